"""Write ``constraints.txt``: the exact version of every package the project needs, as
installed in the running environment (the project's virtualenv, with every extra).

    . .venv/bin/activate
    pip install -e ".[dev,bench,llm,ray,langchain]" -c constraints.txt   # or pip install -U ...
    python scripts/freeze_constraints.py            # rewrites constraints.txt
    python scripts/freeze_constraints.py --check    # exit 1 where the file is out of date

"Needs" is the closure of pyproject.toml's dependencies and all its extras over the
installed packages' own requirements (their extras and environment markers evaluated
here), so what else the environment holds is left out (and named on stderr). The project
itself and pip are left out; local version labels are dropped (``torch==2.13.0`` matches
the CPU wheel's ``2.13.0+cpu``, PEP 440).
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tomllib
from collections import deque
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import NormalizedName, canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
CONSTRAINTS = ROOT / "constraints.txt"
COMMAND = "python scripts/freeze_constraints.py"
# Installers, not dependencies: what a fresh virtualenv brings is used as it is.
_TOOLS = {"pip", "setuptools", "wheel", "distribute"}

HEADER = f"""\
# The exact versions the project is tested with: CI (.ci/run), the README's commands and
# the Dockerfile install with -c constraints.txt. Every package that pyproject.toml's
# dependencies and extras need, as installed in the project's virtualenv. Regenerate it
# there, with every extra installed, whenever a dependency changes:
#     {COMMAND}
# (torch==2.13.0 matches the CPU wheel's 2.13.0+cpu: PEP 440 ignores local labels.)
"""


def project_requirements(pyproject: Path = ROOT / "pyproject.toml") -> list[Requirement]:
    """The dependencies and every extra's requirements declared in ``pyproject``."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    specs = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        specs.extend(extra)
    return [Requirement(s) for s in specs]


def _applies(req: Requirement, extras: set[str]) -> bool:
    """Whether ``req`` applies here, with these extras of the package requiring it."""
    if req.marker is None:
        return True
    return any(req.marker.evaluate({"extra": e}) for e in extras | {""})


def closure(roots: list[Requirement]) -> tuple[dict[NormalizedName, str], list[str]]:
    """The installed version of every package ``roots`` need, and the needed ones that
    are not installed (as ``name (needed by ...)``)."""
    wanted: dict[NormalizedName, set[str]] = {}
    versions: dict[NormalizedName, str] = {}
    missing: list[str] = []
    queue: deque[tuple[Requirement, str]] = deque((r, "pyproject.toml") for r in roots)
    while queue:
        req, parent = queue.popleft()
        name = canonicalize_name(req.name)
        extras = {canonicalize_name(e) for e in req.extras}
        if name in wanted and extras <= wanted[name]:
            continue
        wanted.setdefault(name, set()).update(extras)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            missing.append(f"{req.name} (needed by {parent})")
            continue
        versions[name] = dist.version
        for spec in dist.requires or []:
            sub = Requirement(spec)
            if _applies(sub, wanted[name]):
                queue.append((sub, name))
    return versions, missing


def render(versions: dict[NormalizedName, str]) -> str:
    lines = [
        f"{name}=={Version(version).public}"
        for name, version in sorted(versions.items())
        if name not in _TOOLS
    ]
    return HEADER + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--output", type=Path, default=CONSTRAINTS)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)

    roots = project_requirements()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = canonicalize_name(pyproject["project"]["name"])
    versions, missing = closure(roots)
    versions.pop(project, None)
    if missing:
        print(
            "not installed, so not pinned: "
            + ", ".join(sorted(missing))
            + '\ninstall every extra first: pip install -e ".[dev,bench,llm,ray,langchain]"',
            file=sys.stderr,
        )
        return 1
    others = sorted(
        {canonicalize_name(d.metadata["Name"]) for d in metadata.distributions()}
        - set(versions)
        - _TOOLS
        - {project}
    )
    if others:
        print("installed but not needed, left out: " + ", ".join(others), file=sys.stderr)
    text = render(versions)
    if args.check:
        old = args.output.read_text(encoding="utf-8") if args.output.exists() else ""
        if old == text:
            return 0
        sys.stdout.writelines(
            difflib.unified_diff(
                old.splitlines(keepends=True),
                text.splitlines(keepends=True),
                str(args.output),
                "installed",
            )
        )
        print(f"{args.output} is out of date: run {COMMAND}", file=sys.stderr)
        return 1
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {len(text.splitlines()) - HEADER.count(chr(10))} pins to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
