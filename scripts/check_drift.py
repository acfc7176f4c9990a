"""Dependency drift: install the project with the NEWEST releases of its dependencies (no
constraints.txt) into a scratch virtualenv, and check that it still works there, before a
user's ``pip install`` finds out.

    python scripts/check_drift.py                  # smoke checks (a few minutes)
    python scripts/check_drift.py --suite fast     # the whole fast suite instead (~15 min)

A copy of the working tree and a fresh virtualenv in a temporary folder (nothing is
written into the repository), installed the README's way: torch first (the version
constraints.txt pins, from PyTorch's CPU index: ``--torch``, ``--torch-index``; an empty
index, or ``QA_TORCH_INDEX=""``, uses pip's configured indexes, as on CI machines with a
local CPU wheel), then ``pip install -e ".[dev]"`` with the pip a fresh virtualenv brings.
The smoke checks: ``pip check``; every module of corpus, embeddings, qa, service and eval
imports; ``qa ingest`` of the fixture web pages and ``qa ask`` on the seed articles; the
page, HTML and dependency tests. Prints each package whose newest release differs from its
pin, and exits 1 when a check fails.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("corpus", "embeddings", "qa", "service", "eval")
TORCH_INDEX = "https://download.pytorch.org/whl/cpu"
QUESTION = "长三角国资百企联盟创新子联盟由哪些企业牵头组建?"
ANSWER = "浙江省能源集团"
SMOKE_TESTS = (
    "tests/corpus/test_pages.py",
    "tests/corpus/test_html.py",
    "tests/test_dependencies.py",
)
# Not copied: at the top, what is not source (.gitignore's folders); anywhere, caches.
_TOP = {".git", ".venv", "build", "dist", "index", ".qa-index", "runs", "test-output", "bench-data"}
_ANYWHERE = shutil.ignore_patterns("__pycache__", "*.egg-info", ".*_cache", "*.faiss")
_IMPORT_ALL = """
import importlib, pkgutil, sys
failed = []
for name in sys.argv[1:]:
    package = importlib.import_module(name)
    for info in pkgutil.walk_packages(package.__path__, name + "."):
        try:
            importlib.import_module(info.name)
        except Exception as exc:
            failed.append(f"{info.name}: {type(exc).__name__}: {exc}")
print("\\n".join(failed))
sys.exit(1 if failed else 0)
"""


def pins(path: Path = ROOT / "constraints.txt") -> dict[str, str]:
    """Canonical name -> pinned version, from constraints.txt."""
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            out[_canonical(name)] = version.strip()
    return out


def _canonical(name: str) -> str:
    return "-".join(name.replace("_", "-").replace(".", "-").lower().split("-"))


def _ignore(folder: str, names: list[str]) -> set[str]:
    top = _TOP & set(names) if Path(folder) == ROOT else set()
    return top | set(_ANYWHERE(folder, names))


class Scratch:
    """A copy of the working tree and a virtualenv beside it; runs commands there."""

    def __init__(self, base: Path, python: str) -> None:
        self.tree = base / "tree"
        self.venv = base / "venv"
        shutil.copytree(ROOT, self.tree, ignore=_ignore)
        subprocess.run([python, "-m", "venv", str(self.venv)], check=True)
        self.bin = self.venv / "bin"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("QA_")}
        for key in ("PYTHONPATH", "PIP_CONSTRAINT", "PIP_REQUIREMENT"):
            self.env.pop(key, None)
        self.env.update(
            VIRTUAL_ENV=str(self.venv),
            PATH=f"{self.bin}{os.pathsep}{os.environ.get('PATH', '')}",
            HOME=str(base / "home"),
            HF_HUB_OFFLINE="1",
            TRANSFORMERS_OFFLINE="1",
            QA_INDEX_DIR=str(base / "index"),
            QA_MODEL="",
        )
        (base / "home").mkdir()

    def run(self, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            list(args),
            cwd=self.tree,
            env=self.env,
            text=True,
            capture_output=True,
            timeout=timeout,
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--suite", choices=("smoke", "fast"), default="smoke")
    parser.add_argument(
        "--torch",
        default=f"torch=={pins()['torch']}",
        help="torch requirement, installed first (default: the pinned one)",
    )
    parser.add_argument(
        "--torch-index",
        default=os.environ.get("QA_TORCH_INDEX", TORCH_INDEX),
        help="index of CPU torch wheels; '' for pip's configured indexes",
    )
    parser.add_argument("--python", default=sys.executable, help="interpreter of the venv")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    args = parser.parse_args(argv)

    base = Path(tempfile.mkdtemp(prefix="zhnews-qa-drift-"))
    failures: list[str] = []

    def step(what: str, result: subprocess.CompletedProcess[str], ok: bool = True) -> bool:
        passed = ok and result.returncode == 0
        print(f"{'ok  ' if passed else 'FAIL'} {what}", flush=True)
        if not passed:
            failures.append(what)
            print((result.stdout + result.stderr)[-4000:], flush=True)
        return passed

    started = time.monotonic()
    try:
        box = Scratch(base, args.python)
        pip = (str(box.bin / "python"), "-m", "pip")
        print(f"scratch: {base} ({box.run(*pip, '--version').stdout.split(' from ')[0]})")
        index = ("--index-url", args.torch_index) if args.torch_index else ()
        if not step(f"pip install {args.torch}", box.run(*pip, "install", args.torch, *index)):
            return 1
        if not step('pip install -e ".[dev]" (newest)', box.run(*pip, "install", "-e", ".[dev]")):
            return 1
        step("pip check", box.run(*pip, "check"))

        listed = box.run(*pip, "list", "--format=json", "--exclude-editable")
        pinned = pins(box.tree / "constraints.txt")
        for row in json.loads(listed.stdout or "[]"):
            name, version = _canonical(row["name"]), row["version"].split("+")[0]
            if name in pinned and pinned[name] != version:
                print(f"     drift: {name} {pinned[name]} -> {version}")

        python = str(box.bin / "python")
        step("import every module", box.run(python, "-c", _IMPORT_ALL, *PACKAGES))
        if args.suite == "fast":
            step(
                "pytest (the fast suite)",
                box.run(python, "-m", "pytest", "-q", "-x", timeout=3 * 3600),
            )
            return 1 if failures else 0
        ingest = box.run(
            str(box.bin / "qa"),
            "ingest",
            "tests/corpus/fixtures/pages",
            "--index",
            str(base / "pages-index"),
        )
        indexed = re.search(r"(\d+) documents", ingest.stdout + ingest.stderr)
        step("qa ingest tests/corpus/fixtures/pages", ingest, bool(indexed and int(indexed[1])))
        ask = box.run(str(box.bin / "qa"), "ask", QUESTION)
        step(f"qa ask {QUESTION}", ask, ANSWER in ask.stdout)
        step(
            "pytest " + " ".join(SMOKE_TESTS),
            box.run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", *SMOKE_TESTS),
        )
        return 1 if failures else 0
    finally:
        minutes = (time.monotonic() - started) / 60
        print(
            f"{'FAILED: ' + ', '.join(failures) if failures else 'no drift breaks'}"
            f" ({minutes:.1f} min)"
        )
        if args.keep:
            print(f"kept {base}")
        else:
            shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
