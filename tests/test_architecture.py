"""Imports point one way: corpus -> embeddings -> qa -> service/eval."""

from __future__ import annotations

import ast
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
EXCEPTIONS = {("qa/cli.py", "service"), ("qa/cli.py", "eval")}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found & OURS


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_imports_point_one_way(package: str) -> None:
    folder = ROOT / package
    if not folder.exists():
        pytest.skip(f"{package}/ does not exist yet")
    bad = []
    for path in sorted(folder.rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        for target in _imports(path) - {package} - ALLOWED[package]:
            if (rel, target) not in EXCEPTIONS:
                bad.append(f"{rel} imports {target}")
    assert not bad, "imports against the layering: " + "; ".join(bad)


def test_service_and_eval_use_only_the_public_qa_api() -> None:
    bad = []
    for package in ("service", "eval"):
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).exists() else []:
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                    parts = node.module.split(".")
                    if parts[0] == "qa" and len(parts) > 1 and parts[1] not in {"errors", "types"}:
                        bad.append(f"{path.relative_to(ROOT)}: from {node.module}")
    assert not bad, "service/eval must use `qa`'s public API: " + "; ".join(bad)


def test_library_never_reads_the_environment() -> None:
    bad = []
    for package in ("corpus", "embeddings", "qa"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if path.name == "cli.py":
                continue
            text = path.read_text(encoding="utf-8")
            if "os.environ" in text or "getenv(" in text:
                bad.append(str(path.relative_to(ROOT)))
    assert not bad, "only the CLI and service/ read the environment: " + ", ".join(bad)
