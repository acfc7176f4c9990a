"""Chunk offsets always point at the chunk text; configuration is validated."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus import ChunkingConfig, Document, chunk_document, chunk_documents, document_from_text

PIECES = st.sampled_from(
    list("長三角聯盟國資企業創新发展新质生产力")
    + ["。", "！", "？", "；", "…", "……", "，", "、", "\n", "\n\n", " ", "AI", "23.2", "!", "?"]
)
TEXTS = st.lists(PIECES, min_size=0, max_size=300).map("".join)


@st.composite
def configs(draw: st.DrawFn) -> ChunkingConfig:
    size = draw(st.integers(min_value=1, max_value=80))
    overlap = draw(st.integers(min_value=0, max_value=size - 1))
    return ChunkingConfig(chunk_size=size, chunk_overlap=overlap)


@settings(max_examples=150, deadline=None)
@given(text=TEXTS, config=configs())
def test_chunk_offsets_match_text(text: str, config: ChunkingConfig) -> None:
    doc = Document(id="d", title="", text=text, source="s")
    chunks = chunk_document(doc, config)
    for i, c in enumerate(chunks):
        assert doc.text[c.start : c.end] == c.text
        assert c.text and c.text == c.text.strip()
        assert c.index == i and c.doc_id == "d" and c.id == f"d-{i:04d}"
    starts = [c.start for c in chunks]
    assert starts == sorted(starts)
    if text.strip():
        assert chunks


def test_chunks_cover_cleaned_seed(raw_003: str) -> None:
    doc = document_from_text(raw_003, source="seed")
    chunks = chunk_document(doc, ChunkingConfig(chunk_size=120, chunk_overlap=20))
    assert len(chunks) > 5
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)
    assert all(len(c.text) <= 120 for c in chunks)
    assert chunks[-1].text.endswith("營造良好的創新氛圍。")
    both = chunk_documents([doc, doc])
    assert len(both) == 2 * len(chunk_document(doc))


def test_blank_document_has_no_chunks() -> None:
    assert chunk_document(Document(id="d", title="", text=" \n\n ", source="s")) == ()


@pytest.mark.parametrize(
    ("size", "overlap", "message"),
    [
        (0, 0, "chunk_size must be greater than 0"),
        (-5, 0, "chunk_size must be greater than 0"),
        (10, 10, "chunk_overlap"),
        (10, -1, "chunk_overlap"),
    ],
)
def test_config_validation(size: int, overlap: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        ChunkingConfig(chunk_size=size, chunk_overlap=overlap)


def test_config_defaults() -> None:
    config = ChunkingConfig()
    assert 0 <= config.chunk_overlap < config.chunk_size
