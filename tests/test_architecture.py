"""Imports point one way (corpus -> embeddings -> qa -> service/eval), the service and the
evaluation use the public API, and the library never reads the environment.

The checks walk every module of every package (new modules included) with ``ast``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OURS = {"corpus", "embeddings", "qa", "service", "eval"}
ALLOWED = {
    "corpus": set(),
    "embeddings": {"corpus"},
    "qa": {"corpus", "embeddings"},
    "service": {"qa"},
    "eval": {"qa"},
}
# `qa serve` / `qa eval` start service/eval code through an import inside the command.
EXCEPTIONS = {("qa/cli/__init__.py", "service"), ("qa/cli/__init__.py", "eval")}
# What service/ and eval/ may import from qa besides the package itself: the error and
# type modules, the application settings, and (in their own cli.py only) the CLI toolkit.
# qa.distributed: the optional Ray layer (qa serve --shards), imported only when used.
PUBLIC_QA_MODULES = {"qa.errors", "qa.types", "qa.settings", "qa.distributed"}
CLI_TOOLKIT = {"qa.cli.options", "qa.cli.output", "qa.cli.core"}
# Application modules: they may read the environment (settings, default paths).
APPLICATION_MODULES = {"qa/settings.py"}


def _modules(package: str) -> list[Path]:
    folder = ROOT / package
    return sorted(folder.rglob("*.py")) if folder.exists() else []


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
    return found


def _is_application(rel: str) -> bool:
    return rel in APPLICATION_MODULES or rel.startswith("qa/cli/")


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package: str) -> None:
    bad = []
    for path in _modules(package):
        rel = path.relative_to(ROOT).as_posix()
        targets = {m.split(".")[0] for m in _imported_modules(path)} & OURS
        for target in targets - {package} - ALLOWED[package]:
            if (rel, target) not in EXCEPTIONS:
                bad.append(f"{rel} imports {target}")
    assert not bad, "imports against the layering: " + "; ".join(bad)


def test_no_relative_imports() -> None:
    bad = []
    for package in OURS:
        for path in _modules(package):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            if any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree)):
                bad.append(path.relative_to(ROOT).as_posix())
    assert not bad, "use absolute imports: " + ", ".join(bad)


def test_service_and_eval_use_only_the_public_qa_api() -> None:
    bad = []
    for package in ("service", "eval"):
        for path in _modules(package):
            allowed = PUBLIC_QA_MODULES | (CLI_TOOLKIT if path.name == "cli.py" else set())
            for module in _imported_modules(path):
                if module.startswith("qa.") and module not in allowed:
                    bad.append(f"{path.relative_to(ROOT)}: {module}")
    assert not bad, "service/eval must use `qa`'s public API: " + "; ".join(bad)


def _reads_environment(tree: ast.AST) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in {"environ", "getenv", "environb"}:
            return True
        if isinstance(node, ast.Name) and node.id in {"environ", "getenv"}:
            return True
        if isinstance(node, ast.ImportFrom) and node.module == "pydantic_settings":
            return True
    return False


def test_library_never_reads_the_environment() -> None:
    bad = []
    for package in ("corpus", "embeddings", "qa"):
        for path in _modules(package):
            rel = path.relative_to(ROOT).as_posix()
            if _is_application(rel):
                continue
            if _reads_environment(ast.parse(path.read_text(encoding="utf-8"))):
                bad.append(rel)
    assert not bad, "only the CLI, qa/settings.py and service/ read the environment: " + ", ".join(
        bad
    )


def test_application_settings_are_used_by_applications_only() -> None:
    bad = []
    for package in ("corpus", "embeddings", "qa"):
        for path in _modules(package):
            rel = path.relative_to(ROOT).as_posix()
            if _is_application(rel):
                continue
            if any(m == "qa.settings" or m.startswith("qa.cli") for m in _imported_modules(path)):
                bad.append(rel)
    assert not bad, "library modules must not use the application settings: " + ", ".join(bad)


def test_core_commands_do_not_import_service_or_eval() -> None:
    code = (
        "import sys, qa.cli, qa.cli.core; "
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in {'service', 'eval'}); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
