"""Term statistics for answer matching do not depend on the BM25 tokenizer."""

from __future__ import annotations

import numpy as np

from corpus.chunking import ChunkingConfig, chunk_documents
from corpus.normalize import normalize_for_matching
from corpus.types import Document
from embeddings.store import IndexSettings, build_snapshot
from qa import TermStatistics

DOCS = (
    Document(id="a", title="", text="白马湖实验室由浙江省能源集团牵头共建。", source="a"),
    Document(id="b", title="", text="长三角三省一市在杭州召开会议。", source="b"),
    Document(id="c", title="", text="会议在杭州召开，实验室发布新装备。", source="c"),
)


def _stats(tokenizer: str) -> TermStatistics:
    chunks = chunk_documents(DOCS, ChunkingConfig(300, 50))
    return TermStatistics.for_snapshot(
        build_snapshot(DOCS, chunks, IndexSettings(tokenizer=tokenizer), encoder=None)
    )


def test_idf_is_the_same_whatever_the_bm25_tokenizer() -> None:
    char12, jieba = _stats("char12"), _stats("jieba")
    tokens = char12.tokens(normalize_for_matching("白马湖实验室在杭州召开会议"))
    assert tokens == jieba.tokens(normalize_for_matching("白马湖实验室在杭州召开会议"))
    np.testing.assert_allclose(char12.idf(tokens), jieba.idf(tokens), rtol=1e-6)


def test_rarer_terms_weigh_more() -> None:
    stats = _stats("char12")
    common, rare = stats.idf(["杭州", "白马"])
    assert rare > common > 0  # 杭州 is in two chunks, 白马 in one
