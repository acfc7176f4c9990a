"""Prepared sentences (qa.answering.extractive.sentences): typed spans found when first
read are those of the folded text, and equality does not depend on whether they were."""

from __future__ import annotations

import pytest

from corpus.chunking import ChunkingConfig, chunk_documents
from corpus.types import Document
from embeddings.store import IndexSettings, IndexSnapshot, build_snapshot
from qa import TermStatistics
from qa.analysis.question import constraint_of
from qa.analysis.spans import typed_spans
from qa.answering.extractive.sentences import SentencePool

TEXT = (
    "第六屆長三角地區國資國企聯席會議於2024年6月5日在浙江杭州召開。"
    "長三角三省一市前三季度的GDP總量創新高，達23.2萬億元。"
    "第三次會議由上海主辦。"
)


@pytest.fixture(scope="module")
def snapshot() -> IndexSnapshot:
    docs = (Document(id="d", title="", text=TEXT, source="d.txt"),)
    chunks = chunk_documents(docs, ChunkingConfig(300, 50))
    return build_snapshot(docs, chunks, IndexSettings(), encoder=None)


def _sentences(snapshot: IndexSnapshot) -> tuple:
    pool = SentencePool(TermStatistics.for_snapshot(snapshot))
    return pool.sentences(snapshot.chunks[0], snapshot.documents[0])


def test_spans_and_values_are_those_of_the_folded_text(snapshot: IndexSnapshot) -> None:
    sentences = _sentences(snapshot)
    assert len(sentences) == 3
    for s in sentences:
        typed = tuple(typed_spans(s.folded.text))
        assert s.spans == typed
        assert s.values == frozenset(c for t in typed if (c := constraint_of(t)) is not None)
        assert s.spans is s.spans  # found once
    assert any(s.values for s in sentences)


def test_equality_does_not_depend_on_spans_being_read(snapshot: IndexSnapshot) -> None:
    read, unread = _sentences(snapshot), _sentences(snapshot)
    for s in read:
        _ = s.values
    assert read == unread
    assert {hash(s) for s in read} == {hash(s) for s in unread}
    assert "_typed" not in repr(read[0])


def test_the_pool_keeps_to_its_budget_and_answers_the_same(snapshot: IndexSnapshot) -> None:
    terms = TermStatistics.for_snapshot(snapshot)
    chunk, document = snapshot.chunks[0], snapshot.documents[0]
    full = SentencePool(terms).sentences(chunk, document)
    none = SentencePool(terms, budget=0)
    assert none.sentences(chunk, document) == full
    assert none.used == 0 and none.sentences(chunk, document) is not none.sentences(chunk, document)
    small = SentencePool(terms, budget=1 << 20)
    first = small.sentences(chunk, document)
    assert small.sentences(chunk, document) is first  # kept
    assert 0 < small.used <= (1 << 20) * 3 // 4
    assert small.document_term_set(document) is small.document_term_set(document)
    assert small.used <= 1 << 20
