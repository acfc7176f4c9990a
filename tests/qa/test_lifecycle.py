"""Index round trip, mismatch, updates, bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa import (
    Assistant,
    AssistantConfig,
    Document,
    EmptyCorpusError,
    IndexMismatchError,
    IndexNotFoundError,
)
from qa.errors import CorpusError
from tests.qa.conftest import ARTICLES

LEXICAL = AssistantConfig(model="")


def _doc(doc_id: str, text: str, h: str = "") -> Document:
    return Document(id=doc_id, title=doc_id, text=text, source=doc_id, content_hash=h or text)


def test_save_and_load_round_trip(tmp_path: Path, seed_assistant: Assistant) -> None:
    seed_assistant.save(tmp_path / "idx")
    loaded = Assistant.load(tmp_path / "idx", LEXICAL)
    assert loaded.documents == seed_assistant.documents
    assert loaded.snapshot.chunks == seed_assistant.snapshot.chunks
    q = "长三角国资百企联盟创新子联盟由哪些企业牵头组建?"
    assert loaded.ask(q).text == seed_assistant.ask(q).text


def test_loading_with_other_settings_says_to_reingest(
    tmp_path: Path, seed_assistant: Assistant
) -> None:
    seed_assistant.save(tmp_path / "idx")
    with pytest.raises(IndexMismatchError, match="qa ingest"):
        Assistant.load(tmp_path / "idx", AssistantConfig(model="", chunk_size=123))
    with pytest.raises(IndexMismatchError, match="jieba"):
        Assistant.load(tmp_path / "idx", AssistantConfig(model="", tokenizer="jieba"))
    # The index is untouched by the failed loads.
    assert Assistant.load(tmp_path / "idx", LEXICAL).documents == seed_assistant.documents


def test_missing_index(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="qa ingest"):
        Assistant.load(tmp_path / "nothing-here", LEXICAL)


def test_reingest_unchanged_is_a_no_op_and_changed_replaces() -> None:
    assistant = Assistant.from_documents(
        [_doc("a", "甲公司生产电池。"), _doc("b", "乙公司生产芯片。")], LEXICAL
    )
    before = assistant.snapshot
    summary = assistant.add_documents([_doc("a", "甲公司生产电池。")])
    assert (summary.added, summary.updated, summary.unchanged) == (0, 0, 1)
    assert assistant.snapshot is before  # nothing rebuilt
    summary = assistant.add_documents(
        [_doc("a", "甲公司改为生产光伏组件。"), _doc("c", "丙公司做物流。")]
    )
    assert (summary.added, summary.updated, summary.unchanged) == (1, 1, 0)
    texts = {c.text for c in assistant.snapshot.chunks}
    assert "甲公司生产电池。" not in texts
    assert "甲公司改为生产光伏组件。" in texts
    assert len(assistant.documents) == 3
    assert assistant.remove_documents(["c", "zzz"]) == 1
    assert {d.id for d in assistant.documents} == {"a", "b"}
    with pytest.raises(EmptyCorpusError):
        assistant.remove_documents(["a", "b"])


def test_empty_corpus_is_refused(tmp_path: Path) -> None:
    with pytest.raises(EmptyCorpusError):
        Assistant.from_documents([], LEXICAL)
    with pytest.raises(EmptyCorpusError):
        Assistant.from_documents([_doc("a", "   ")], LEXICAL)
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    with pytest.raises(EmptyCorpusError, match=r"empty\.txt"):
        Assistant.from_paths([tmp_path], LEXICAL)


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="does-not-exist"):
        Assistant.from_paths([tmp_path / "does-not-exist"], LEXICAL)


def test_bad_files_are_skipped_and_the_rest_ingests(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(
        (ARTICLES / "003_89db59789a0dcd3a.txt").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "binary.txt").write_bytes(bytes(range(256)) * 8)
    assistant = Assistant.from_paths([tmp_path], LEXICAL)
    assert len(assistant.documents) == 1


def test_get_document_of_unknown_id_is_none(seed_assistant: Assistant) -> None:
    assert seed_assistant.get_document("no-such-id") is None
    first = seed_assistant.documents[0]
    assert seed_assistant.get_document(first.id) == first
