from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings.errors import IndexCorruptError, IndexNotFoundError
from embeddings.sparse import BM25Index
from embeddings.tokenize import Tokenizer


@pytest.fixture(scope="module", params=["char12", "jieba", "jieba+char2"])
def index(request: pytest.FixtureRequest, news: tuple[str, ...]) -> BM25Index:
    return BM25Index.build(news, request.param)


def test_ranks_the_right_text_first(index: BM25Index) -> None:
    hits = index.search("浦东机场航班", 3)
    assert hits.indices[0] == 1
    assert hits.indices.dtype == np.int64 and hits.scores.dtype == np.float32
    assert np.all(np.diff(hits.scores) <= 0)
    assert np.all(hits.scores > 0)
    assert index.search("存款准备金率", 1).indices.tolist() == [4]


def test_traditional_query_finds_simplified_text(index: BM25Index) -> None:
    assert index.search("浦東機場航班", 1).indices.tolist() == [1]


def test_simplified_query_finds_traditional_text(index: BM25Index) -> None:
    assert index.search("绿色低碳产业链联盟", 1).indices.tolist() == [2]
    assert index.search("女排战胜对手", 1).indices.tolist() == [5]


def test_unknown_tokens_give_no_hit(index: BM25Index) -> None:
    hits = index.search("量子芯片", 5)  # no character of it is in the corpus
    assert hits.size == 0
    assert index.search("", 5).size == 0
    assert index.search("，。！", 5).size == 0


def test_only_positive_scores_and_k_clamped(index: BM25Index, news: tuple[str, ...]) -> None:
    hits = index.search("北京", 100)
    assert 1 <= hits.size <= len(news)
    assert np.all(hits.scores > 0)
    assert index.search("发布", 1).size == 1


def test_case_and_width_folded(index: BM25Index) -> None:
    assert index.search("ＩＰＨＯＮＥ", 1).indices.tolist() == [6]


def test_mask_restricts_results(index: BM25Index, news: tuple[str, ...]) -> None:
    mask = np.ones(len(news), dtype=bool)
    mask[1] = False
    hits = index.search("浦东机场航班", 5, mask=mask)
    assert 1 not in hits.indices.tolist()
    only = np.zeros(len(news), dtype=bool)
    only[[3, 4]] = True
    assert set(index.search("发布 红色预警 准备金", 5, mask=only).indices.tolist()) <= {3, 4}
    assert index.search("浦东机场", 5, mask=np.zeros(len(news), dtype=bool)).size == 0


def test_bad_arguments(index: BM25Index, news: tuple[str, ...]) -> None:
    with pytest.raises(ValueError, match="k must be greater than 0"):
        index.search("北京", 0)
    with pytest.raises(ValueError, match="shape"):
        index.search("北京", 1, mask=np.ones(len(news) + 1, dtype=bool))
    with pytest.raises(ValueError, match="boolean"):
        index.search("北京", 1, mask=np.ones(len(news), dtype=np.int64))
    with pytest.raises(ValueError, match="empty"):
        BM25Index.build([])
    with pytest.raises(ValueError, match="unknown tokenizer"):
        BM25Index.build(["a"], "spaces")


def test_texts_without_tokens_are_indexable() -> None:
    index = BM25Index.build(["，。", "北京"])
    assert index.search("北京", 5).indices.tolist() == [1]


def test_save_load_round_trip(index: BM25Index, tmp_path: Path) -> None:
    index.save(tmp_path / "bm25")
    loaded = BM25Index.load(tmp_path / "bm25")
    assert loaded.tokenizer_name == index.tokenizer_name
    assert loaded.size == index.size
    assert loaded.vocab_size == index.vocab_size
    assert loaded.params == index.params
    for query in ("浦東機場航班", "绿色低碳", "北京 发布", "量子"):
        a, b = index.search(query, 5), loaded.search(query, 5)
        assert a.indices.tolist() == b.indices.tolist()
        np.testing.assert_allclose(a.scores, b.scores, rtol=1e-6)


def test_load_reuses_a_given_tokenizer(
    news: tuple[str, ...], jieba_tokenizer: Tokenizer, tmp_path: Path
) -> None:
    BM25Index.build(news, jieba_tokenizer).save(tmp_path)
    assert BM25Index.load(tmp_path, jieba_tokenizer).tokenizer is jieba_tokenizer
    with pytest.raises(ValueError, match="jieba"):
        BM25Index.load(tmp_path, BM25Index.build(["x"], "char12").tokenizer)


def test_load_errors(news: tuple[str, ...], tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError):
        BM25Index.load(tmp_path / "missing")
    BM25Index.build(news, "char12").save(tmp_path)
    (tmp_path / "keys.npy").write_bytes(b"not an array")
    with pytest.raises(IndexCorruptError):
        BM25Index.load(tmp_path)


def test_parameters_are_configurable(news: tuple[str, ...]) -> None:
    a = BM25Index.build(news, "char12", k1=0.5, b=0.1)
    assert a.params == {"k1": 0.5, "b": 0.1, "method": "lucene"}
    with pytest.raises(ValueError, match="b must be"):
        BM25Index.build(news, "char12", b=2.0)
    with pytest.raises(ValueError, match="method"):
        BM25Index.build(news, "char12", method="tfidf")


def test_progress_is_reported(news: tuple[str, ...]) -> None:
    calls: list[tuple[str, int, int]] = []
    BM25Index.build(news, "char12", progress=lambda s, d, t: calls.append((s, d, t)))
    assert calls[-1] == ("bm25", len(news), len(news))


def test_idf_and_document_frequency(news: tuple[str, ...]) -> None:
    index = BM25Index.build(news, "char12")
    tokens = ["发布", "浦东", "量子", ""]
    df = index.document_frequency(tokens)
    assert df.tolist() == [sum("发布" in t for t in news), 1, 0, 0]
    idf = index.idf(tokens)
    assert idf.dtype == np.float32
    assert idf[2] == idf.max() and idf[0] < idf[1] < idf[2]
    n = len(news)
    assert idf[1] == pytest.approx(np.log1p((n - 1 + 0.5) / 1.5))
