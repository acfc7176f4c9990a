"""No path that exists on one machine only: the benchmark files are found beside the
checkout (``../shared/benchmarks``) or through ``QA_BENCHMARKS_DIR``, as the tests find
them, and no file of the repository names an absolute path of one machine's checkout."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from bench.common import benchmarks_dir

ROOT = Path(__file__).resolve().parents[1]
# Built, not written: this file would hold it otherwise.
MACHINE_ROOT = "/" + "work" + "/"
_SKIPPED_DIRS = {
    ".git",
    ".venv",
    ".hypothesis",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
    "__pycache__",
    "node_modules",
    "runs",
    "bench-data",
    "test-output",
}
"""Generated or ignored folders, left out where git cannot list the repository's files."""


def test_the_benchmarks_are_found_beside_the_checkout_or_where_the_variable_says(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("QA_BENCHMARKS_DIR", raising=False)
    assert benchmarks_dir() == ROOT.parent / "shared" / "benchmarks"
    monkeypatch.setenv("QA_BENCHMARKS_DIR", str(tmp_path))
    assert benchmarks_dir() == tmp_path


def test_the_synthetic_corpus_reads_the_benchmarks_from_there() -> None:
    from bench.synth import BENCHMARKS, DEFAULT_FILES

    assert BENCHMARKS == benchmarks_dir()
    assert {p.parent for p in DEFAULT_FILES} == {BENCHMARKS}


def _repository_files() -> list[Path]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT,
            capture_output=True,
            check=True,
            timeout=60,
        ).stdout.decode("utf-8", "surrogateescape")
        files = [ROOT / name for name in listed.split("\0") if name]
    except (OSError, subprocess.SubprocessError):  # no git: the working tree
        files = [
            p
            for p in ROOT.rglob("*")
            if p.is_file() and not _SKIPPED_DIRS & set(p.relative_to(ROOT).parts)
        ]
    return [p for p in files if p.is_file() and not any(".egg-info" in d for d in p.parts)]


def test_no_file_names_a_path_of_one_machines_checkout() -> None:
    found = []
    for path in _repository_files():
        try:
            text = path.read_bytes().decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if MACHINE_ROOT in line:
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == [], "\n".join(found)
