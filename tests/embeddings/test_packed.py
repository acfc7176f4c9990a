"""Packed prepared documents (embeddings.store.packed): the same content as the
documents one by one, gathered, joined and pickled as a few arrays; a segment built from
a pack equals one built from the documents."""

from __future__ import annotations

import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.chunking import ChunkingConfig
from corpus.types import Alternate, CleaningReport, Document, Removal
from embeddings.store import build_segment, prepare_document
from embeddings.store.analysis import PreparedDocument
from embeddings.store.packed import PackedDocuments, spans_of
from embeddings.tokenize import get_tokenizer
from tests.embeddings.corpus_fixture import synthetic_texts
from tests.embeddings.helpers import make_document

CHUNKING = ChunkingConfig(60, 10)
CHAR12 = get_tokenizer("char12")


def _prepared(
    texts: list[str], *, tokenizer: str = "char12", fingerprint: bool = True
) -> list[PreparedDocument]:
    tok = CHAR12 if tokenizer == "char12" else get_tokenizer(tokenizer)
    return [
        prepare_document(
            make_document(t, f"doc-{i}.txt"), CHUNKING, tok, with_fingerprint=fingerprint
        )
        for i, t in enumerate(texts)
    ]


def _same(a: PreparedDocument, b: PreparedDocument) -> None:
    assert a.document == b.document
    assert np.array_equal(a.starts, b.starts) and np.array_equal(a.ends, b.ends)
    assert len(a.terms) == len(b.terms)
    for x, y in zip(a.terms, b.terms, strict=True):
        assert np.array_equal(x.keys, y.keys) and np.array_equal(x.tf, y.tf)
        assert x.length == y.length
    assert (a.analyzer is None) == (b.analyzer is None)
    if a.analyzer is not None and b.analyzer is not None:
        for x, y in zip(a.analyzer, b.analyzer, strict=True):
            assert np.array_equal(x, y)
    assert (a.fingerprint is None) == (b.fingerprint is None)
    if a.fingerprint is not None and b.fingerprint is not None:
        light = a.fingerprint.light()
        assert b.fingerprint.grams is None
        assert b.fingerprint.size == light.size and b.fingerprint.numbers == light.numbers
        assert np.array_equal(b.fingerprint.bands, light.bands)
        assert np.array_equal(b.fingerprint.signature, light.signature)


@pytest.mark.parametrize("tokenizer", ["char12", "jieba"])
def test_a_pack_holds_the_documents_as_prepared(tokenizer: str) -> None:
    prepared = _prepared(synthetic_texts(12) + ["", "12.5 萬人 3 次"], tokenizer=tokenizer)
    packed = PackedDocuments.pack(prepared)
    assert len(packed) == len(prepared)
    assert packed.rows == sum(p.size for p in prepared)
    for a, b in zip(prepared, packed.unpack(), strict=True):
        _same(a, b)
    assert packed.chunk_texts() == [c.text for p in prepared for c in p.chunks]


def test_take_and_concat_gather_whole_documents() -> None:
    prepared = _prepared(synthetic_texts(10))
    packed = PackedDocuments.pack(prepared)
    order = [7, 2, 2, 9, 0]
    for i, p in zip(order, packed.take(order).unpack(), strict=True):
        _same(prepared[i], p)
    assert len(packed.take([])) == 0 and packed.take([]).rows == 0
    joined = PackedDocuments.concat(
        [PackedDocuments.pack(prepared[:3]), PackedDocuments.pack([]), packed.take([3, 4, 5])]
    )
    for a, b in zip(prepared[:6], joined.unpack(), strict=True):
        _same(a, b)


def test_packs_of_different_kinds_are_not_joined() -> None:
    with_prints = PackedDocuments.pack(_prepared(synthetic_texts(2)))
    without = PackedDocuments.pack(_prepared(synthetic_texts(2), fingerprint=False))
    assert without.prints is None and without.bands is None
    with pytest.raises(ValueError, match="same kinds"):
        PackedDocuments.concat([with_prints, without])


def test_a_pack_pickles_as_columns_and_comes_back_equal() -> None:
    prepared = _prepared(synthetic_texts(4))
    doc = prepared[1].document
    rich = Document(
        id=doc.id,
        title="標題",
        text=doc.text,
        source=doc.source,
        url="https://example.com/a",
        published="2024-07-01",
        outlet="新华社",
        content_hash=doc.content_hash,
        meta=(("caption", "图"),),
        report=CleaningReport((Removal("pinyin", "（pīn）", 3, 8),)),
        alternates=(Alternate("x", "y", similarity=0.95),),
    )
    packed = PackedDocuments.pack(prepared).with_documents(
        [prepared[0].document, rich, *(p.document for p in prepared[2:])]
    )
    back = pickle.loads(pickle.dumps(packed, protocol=pickle.HIGHEST_PROTOCOL))
    assert back.documents == packed.documents
    assert back.documents[1].report == rich.report and back.documents[0].report == CleaningReport()
    for a, b in zip(packed.unpack(), back.unpack(), strict=True):
        _same(a, b)


def test_other_records_must_keep_the_texts() -> None:
    packed = PackedDocuments.pack(_prepared(synthetic_texts(2)))
    other = make_document("另一篇文章。", "other.txt")
    with pytest.raises(ValueError, match="differs"):
        packed.with_documents([packed.documents[0], other])
    with pytest.raises(ValueError, match="2"):
        packed.with_documents([packed.documents[0]])


@pytest.mark.parametrize("tokenizer", ["char12", "jieba"])
def test_a_segment_of_a_pack_is_the_segment_of_the_documents(tokenizer: str) -> None:
    prepared = _prepared(synthetic_texts(15), tokenizer=tokenizer)
    a = build_segment(prepared, name="s")
    b = build_segment(PackedDocuments.pack(prepared), name="s")
    assert np.array_equal(a.chunks, b.chunks) and np.array_equal(a.doc_rows, b.doc_rows)
    for name in ("keys", "indptr", "rows", "codes", "pairs", "max_tf", "min_len", "lengths"):
        assert np.array_equal(getattr(a.postings, name), getattr(b.postings, name)), name
    assert np.array_equal(a.bands, b.bands) and np.array_equal(a.band_docs, b.band_docs)
    assert (a.analyzer is None) == (b.analyzer is None)
    if a.analyzer is not None and b.analyzer is not None:
        assert np.array_equal(a.analyzer.keys, b.analyzer.keys)
        assert np.array_equal(a.analyzer.df, b.analyzer.df)
    assert np.array_equal(a.ids, b.ids)


@settings(max_examples=60, deadline=None)
@given(
    counts=st.lists(st.integers(0, 5), max_size=12),
    picks=st.lists(st.integers(0, 11), max_size=12),
)
def test_take_gathers_the_runs_of_the_picked_documents(counts: list[int], picks: list[int]) -> None:
    """Offsets of arbitrary runs (empty ones included) gather the right items."""
    from embeddings.store.packed import _gather

    sizes = np.array(counts, dtype=np.int64)
    offsets = spans_of(sizes)
    items = np.arange(int(offsets[-1]))
    chosen = np.array([p for p in picks if p < len(counts)], dtype=np.int64)
    expected = [i for p in chosen.tolist() for i in items[offsets[p] : offsets[p + 1]].tolist()]
    assert _gather(offsets, chosen).tolist() == expected


@settings(max_examples=25, deadline=None)
@given(texts=st.lists(st.text(min_size=0, max_size=120), min_size=1, max_size=5))
def test_any_text_packs_and_comes_back(texts: list[str]) -> None:
    prepared = _prepared(texts)
    packed = pickle.loads(pickle.dumps(PackedDocuments.pack(prepared)))
    for a, b in zip(prepared, packed.unpack(), strict=True):
        _same(a, b)
    assert packed.chunk_texts() == [c.text for p in prepared for c in p.chunks]
