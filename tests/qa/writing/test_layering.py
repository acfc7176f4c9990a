"""The writer stands apart from the question path: nothing in qa.writing imports the
assistant, retrieval or answering, and the staged ingest and the Ray segment writers
write through the writer, not the assistant."""

from __future__ import annotations

from tests.test_architecture import ROOT, _imported_modules

QUESTION_PATH = ("qa.assistant", "qa.retrieval", "qa.answering", "qa.conversation")


def _imports(rel: str) -> set[str]:
    return _imported_modules(ROOT / rel)


def test_the_writer_imports_nothing_of_the_question_path() -> None:
    modules = sorted((ROOT / "qa" / "writing").glob("*.py"))
    assert modules
    bad = {
        f"{path.relative_to(ROOT)} imports {name}"
        for path in modules
        for name in _imported_modules(path)
        if name.startswith((*QUESTION_PATH, "qa.ingest", "qa.staged", "qa.index", "qa.cli"))
    }
    assert not bad, "; ".join(sorted(bad))


def test_ingest_writers_use_the_writer_not_the_assistant() -> None:
    for rel in ("qa/staged.py", "qa/distributed/writers.py"):
        assert not any(m.startswith("qa.assistant") for m in _imports(rel)), rel
    assert "qa.writing" in _imports("qa/staged.py")
