"""Every package the code imports is declared in pyproject.toml, and constraints.txt pins
what the project is tested with.

The imports are read with ``ast`` (``import x``, ``from x import y``, and the string of
``importlib.import_module("x")``, ``find_spec("x")``, ``resources.files("x")`` and the
LLM backend's ``_require("x")``), wherever they are (a function's lazy import counts),
and each top-level module is mapped to the distributions installed here that provide it
(``importlib.metadata.packages_distributions``); a module no installed distribution
provides must be named like a declared one (an extra not installed here). What must
declare it:

* the library (corpus, embeddings, qa, service, eval): the dependencies or an extra;
* bench/, scripts/ and docs/scripts/: the same;
* tests/: the dependencies or the ``dev`` extra (what the README's test command installs).

Being installed is not enough: a package that arrives only as another one's dependency
(jusText's ``lxml_html_clean``, huggingface_hub under sentence-transformers) goes the day
that one stops requiring it, or on a pip that resolves it otherwise.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ("corpus", "embeddings", "qa", "service", "eval")
TOOLS = ("bench", "scripts", "docs/scripts")
TESTS = ("tests",)
# Calls whose first argument (a string) names a module the code imports at run time.
_IMPORTING_CALLS = {"import_module", "find_spec", "_require", "__import__"}


def declared(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, set[str]]:
    """Canonical distribution names by group: ``""`` (the dependencies) and each extra."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    groups = {"": project.get("dependencies", []), **project.get("optional-dependencies", {})}
    return {
        group: {canonicalize_name(Requirement(spec).name) for spec in specs}
        for group, specs in groups.items()
    }


def _called_module(node: ast.Call) -> str | None:
    func = node.func
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    is_resources = (
        name == "files"
        and isinstance(func, ast.Attribute)
        and isinstance(func.value, ast.Name)
        and func.value.id == "resources"
    )
    if (name in _IMPORTING_CALLS or is_resources) and node.args:
        first = node.args[0]
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            return first.value
    return None


def imports(source: str) -> list[tuple[str, int]]:
    """The top-level module of every absolute import in ``source``, with its line."""
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((alias.name.split(".")[0], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.split(".")[0], node.lineno))
        elif isinstance(node, ast.Call) and (module := _called_module(node)):
            found.append((module.split(".")[0], node.lineno))
    return found


def _local(root: Path) -> set[str]:
    """Top-level names importable from the repository itself (first-party)."""
    return {p.stem for p in root.iterdir() if p.suffix == ".py" or (p / "__init__.py").exists()}


@cache
def _providers() -> Mapping[str, list[str]]:
    return metadata.packages_distributions()


def undeclared(
    folders: Iterable[str], allowed: set[str], root: Path = ROOT
) -> dict[str, list[str]]:
    """Each third-party module imported under ``folders`` that no distribution of
    ``allowed`` provides, with where it is imported and what provides it here."""
    local = _local(root)
    problems: dict[str, list[str]] = {}
    for folder in folders:
        for path in sorted((root / folder).rglob("*.py")):
            siblings = {p.stem for p in path.parent.glob("*.py")}
            for module, line in imports(path.read_text(encoding="utf-8")):
                if module in sys.stdlib_module_names or module in local | siblings:
                    continue
                dists = {canonicalize_name(d) for d in _providers().get(module, [])}
                if dists & allowed or (not dists and canonicalize_name(module) in allowed):
                    continue
                where = f"{path.relative_to(root)}:{line}"
                problems.setdefault(module, [f"installed from {sorted(dists) or 'nothing'}"])
                problems[module].append(where)
    return problems


def _message(problems: dict[str, list[str]], groups: str) -> str:
    rows = [f"  {m} ({rest[0]}): {', '.join(rest[1:4])}" for m, rest in problems.items()]
    return f"imported, but not declared in pyproject.toml's {groups}:\n" + "\n".join(rows)


def test_the_library_and_its_tools_declare_what_they_import() -> None:
    groups = declared()
    everything = set().union(*groups.values())
    problems = undeclared(LIBRARY + TOOLS, everything)
    assert not problems, _message(problems, "dependencies or extras")


def test_the_tests_need_only_the_dev_extra() -> None:
    groups = declared()
    problems = undeclared(TESTS, groups[""] | groups["dev"])
    assert not problems, _message(problems, "dependencies or dev extra")


def test_trafilatura_s_cleaner_is_declared_not_inherited() -> None:
    # jusText (trafilatura's) imports lxml.html.clean, a project of its own since lxml
    # 5.2; pip 23.2 does not install it from jusText's lxml[html_clean] ("lxml 6.2.1 does
    # not provide the extra 'html_clean'").
    assert "lxml-html-clean" in declared()[""]
    import lxml_html_clean  # noqa: F401
    import trafilatura  # noqa: F401


def test_the_check_finds_an_undeclared_import(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "sibling.py").write_text("")
    (package / "mod.py").write_text(
        "from __future__ import annotations\n"
        "import json\n"
        "import sibling\n"
        "from pkg import mod\n"
        "import leftpad_nowhere.sub\n"
        "def f():\n"
        "    from sklearn.isotonic import IsotonicRegression\n"
        "    importlib.util.find_spec('gguf_nowhere')\n"
        "    return resources.files('assets_nowhere')\n"
        "    import tantivy_like\n",
        encoding="utf-8",
    )
    problems = undeclared(["pkg"], {"scikit-learn", "tantivy-like"}, root=tmp_path)
    assert set(problems) == {"leftpad_nowhere", "gguf_nowhere", "assets_nowhere"}
    assert problems["leftpad_nowhere"] == ["installed from nothing", "pkg/mod.py:5"]
    # sklearn is provided by scikit-learn: declared or not is what counts.
    assert "sklearn" in undeclared(["pkg"], {"tantivy-like"}, root=tmp_path)


# constraints.txt


def constraints() -> dict[str, str]:
    """Canonical name -> pinned version."""
    pins: dict[str, str] = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", line)
            assert match, f"constraints.txt: not an exact pin: {line!r}"
            name = canonicalize_name(match[1])
            assert name not in pins, f"constraints.txt pins {name} twice"
            pins[name] = match[2]
    return pins


def test_constraints_pin_every_declared_package_exactly() -> None:
    pins = constraints()
    for name, version in pins.items():
        assert Version(version).local is None, f"{name}=={version}: no local label"
    missing = set().union(*declared().values()) - set(pins)
    assert not missing, (
        f"constraints.txt pins no version of {sorted(missing)}: install them into the "
        "project's virtualenv and run python scripts/freeze_constraints.py"
    )
    assert "zhnews-qa" not in pins and "pip" not in pins


def test_constraints_header_says_how_to_regenerate() -> None:
    header = (ROOT / "constraints.txt").read_text(encoding="utf-8").split("\n\n")[0]
    assert "python scripts/freeze_constraints.py" in header
    assert (ROOT / "scripts" / "freeze_constraints.py").exists()


@pytest.mark.parametrize("installed", ["+cpu", "+cu128", ""])
def test_the_torch_pin_accepts_the_cpu_wheel(installed: str) -> None:
    torch = constraints()["torch"]
    # PEP 440: a public version in == ignores the candidate's local label, so the pin
    # admits the torch the README installs from the CPU index (2.13.0+cpu).
    assert SpecifierSet(f"=={torch}").contains(f"{torch}{installed}")


@pytest.mark.parametrize("setup", ["README.md", ".ci/run", "Dockerfile"])
def test_torch_is_installed_at_the_pinned_version(setup: str) -> None:
    text = (ROOT / setup).read_text(encoding="utf-8")
    assert set(re.findall(r"torch==([\w.+!]*\w)", text)) == {constraints()["torch"]}


@pytest.mark.drift
def test_the_newest_dependencies_still_work() -> None:
    """scripts/check_drift.py: the project installed with the newest releases (no
    constraints) into a scratch virtualenv passes the smoke checks. Network; minutes;
    ``pytest -m drift`` (QA_TORCH_INDEX="" where pip finds a CPU torch wheel locally)."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_drift.py")],
        capture_output=True,
        text=True,
        timeout=3600,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
