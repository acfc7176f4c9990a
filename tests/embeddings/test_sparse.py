from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embeddings.errors import IndexCorruptError, IndexNotFoundError
from embeddings.sparse import _SAMPLE_STEP, BM25Index, _top_dense
from embeddings.tokenize import Tokenizer, get_tokenizer


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


# -- scores equal bm25s's, across segments, and with pruning ------------------------------


def _bm25s_scores(texts: list[str], tokenizer: Tokenizer, query: str) -> np.ndarray:
    import bm25s
    from bm25s.tokenization import Tokenized

    from corpus.normalize import normalize_for_matching

    vocab: dict[str, int] = {}
    ids = [
        [vocab.setdefault(t, len(vocab)) for t in tokenizer(normalize_for_matching(x))]
        for x in texts
    ]
    vocab.setdefault("", len(vocab))
    retriever = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
    retriever.index(Tokenized(ids=ids, vocab=vocab), show_progress=False)
    q = [vocab[t] for t in tokenizer(normalize_for_matching(query)) if t in vocab]
    if not q:
        return np.zeros(len(texts), dtype=np.float32)
    return np.asarray(retriever.get_scores_from_ids(q), dtype=np.float32)


def _expected(scores: np.ndarray, k: int) -> tuple[list[int], np.ndarray]:
    order = np.lexsort((np.arange(scores.shape[0]), -scores))
    order = order[scores[order] > 0][:k]
    return order.tolist(), scores[order]


@pytest.mark.parametrize("name", ["char12", "jieba"])
def test_scores_equal_bm25s(name: str, jieba_tokenizer: Tokenizer) -> None:
    from tests.embeddings.corpus_fixture import queries, synthetic_texts

    tokenizer = jieba_tokenizer if name == "jieba" else get_tokenizer(name)
    texts = synthetic_texts(120)
    index = BM25Index.build(texts, tokenizer)
    for query in queries(25):
        rows, scores = _expected(_bm25s_scores(texts, tokenizer, query), 10)
        hits = index.search(query, 10)
        assert hits.indices.tolist() == rows, query
        np.testing.assert_array_equal(hits.scores, scores)  # bit for bit


@pytest.mark.parametrize("name", ["char12", "jieba"])
def test_segments_and_deletions_score_as_one_index(name: str, jieba_tokenizer: Tokenizer) -> None:
    import random

    from corpus.normalize import normalize_for_matching
    from embeddings.postings import PostingsBuilder
    from embeddings.sparse import BM25Part, Deletions
    from embeddings.terms import analyze, count_terms
    from tests.embeddings.corpus_fixture import queries, synthetic_texts

    tokenizer = jieba_tokenizer if name == "jieba" else get_tokenizer(name)
    texts = synthetic_texts(150, seed=11)
    rng = random.Random(2)
    cuts = sorted(rng.sample(range(1, len(texts)), 3))
    parts = []
    live_texts = []
    for lo, hi in zip([0, *cuts], [*cuts, len(texts)], strict=True):
        counts = [count_terms(analyze(tokenizer, normalize_for_matching(t))) for t in texts[lo:hi]]
        builder = PostingsBuilder()
        builder.extend(counts)
        postings = builder.build()
        dead = sorted(rng.sample(range(hi - lo), (hi - lo) // 4))
        deletions = Deletions.none().plus(
            postings, np.array(dead, dtype=np.int64), [counts[r].keys for r in dead]
        )
        parts.append(BM25Part(postings, deletions))
        live_texts += [t for r, t in enumerate(texts[lo:hi]) if r not in set(dead)]
    segmented = BM25Index(parts, tokenizer)
    single = BM25Index.build(live_texts, tokenizer)
    assert segmented.size == single.size == len(live_texts)
    assert segmented.average_length == single.average_length
    for query in queries(30, seed=9):
        a, b = segmented.search(query, 8), single.search(query, 8)
        assert a.indices.tolist() == b.indices.tolist(), query
        np.testing.assert_array_equal(a.scores, b.scores)
        tokens = segmented.tokenize(query)
        np.testing.assert_array_equal(segmented.idf(tokens), single.idf(tokens))
        rows, scores = _expected(_bm25s_scores(live_texts, tokenizer, query), 8)
        assert b.indices.tolist() == rows
        np.testing.assert_array_equal(b.scores, scores)
    mask = np.zeros(segmented.size, dtype=bool)
    mask[::3] = True
    for query in queries(10, seed=4):
        a, b = segmented.search(query, 5, mask), single.search(query, 5, mask)
        assert a.indices.tolist() == b.indices.tolist()


def test_pruning_finds_the_same_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    from embeddings import sparse
    from tests.embeddings.corpus_fixture import queries, synthetic_texts

    index = BM25Index.build(synthetic_texts(600, seed=21), "char12")
    monkeypatch.setattr(sparse, "_PRUNE_MIN_ROWS", 0)
    calls = {"pruned": 0}
    original = sparse._pruned

    def counted(*args: object, **kwargs: object) -> object:
        result = original(*args, **kwargs)  # type: ignore[arg-type]
        calls["pruned"] += result is not None
        return result

    monkeypatch.setattr(sparse, "_pruned", counted)
    for query in queries(60, seed=13):
        tokens = index.tokenize(query)
        for k in (1, 5, 20):
            a = index.search_tokens(tokens, k, prune=True)
            b = index.search_tokens(tokens, k)
            assert a.indices.tolist() == b.indices.tolist(), (query, k)
            np.testing.assert_array_equal(a.scores, b.scores)
    assert calls["pruned"] > 20  # the pruned path ran for most of them


def test_the_score_cache_keeps_to_its_budget_and_scores_stay_the_same() -> None:
    # 600 rows with "京" (a term with enough postings to be cached) and one other term.
    texts = [f"北京新闻第{i}号" for i in range(600)]
    index = BM25Index.build(texts, "char12")
    before = index.search("北京", 10)
    assert 0 < index.cache_used <= index.cache_bytes
    small = index.cache_used - 1
    index.limit_cache(small)  # the oldest scores go
    assert index.cache_bytes == small and index.cache_used <= small
    index.limit_cache(0)
    assert index.cache_used == 0
    after = index.search("北京", 10)
    assert index.cache_used == 0  # nothing kept with no budget
    assert np.array_equal(before.indices, after.indices)
    assert np.array_equal(before.scores, after.scores)
    with pytest.raises(ValueError, match="budget"):
        index.limit_cache(-1)


def test_the_score_cache_gives_terms_read_since_a_second_chance() -> None:
    from embeddings.sparse import _ValueCache

    scores = np.zeros(100, dtype=np.float32)  # 400 bytes
    cache = _ValueCache(1600)
    for term in range(1, 5):
        cache.put((0, term), scores)
    assert cache.get((0, 1)) is not None  # read: term 1, the oldest, is kept once more
    cache.put((0, 5), scores)  # over budget: term 2 goes instead
    assert cache.get((0, 2)) is None
    assert all(cache.get((0, t)) is not None for t in (1, 3, 4, 5))
    assert cache.used == 1600
    # Now 3, 4, 5, 1 from the oldest, all read: one pass clears their marks, then the
    # oldest go.
    cache.resize(800)
    assert cache.used == 800
    assert cache.get((0, 3)) is None and cache.get((0, 4)) is None
    assert cache.get((0, 5)) is not None and cache.get((0, 1)) is not None


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(1, 6000),
    k=st.integers(1, 60),
    levels=st.integers(1, 40),
    zeros=st.floats(0.0, 1.0),
    seed=st.integers(0, 2**32 - 1),
)
def test_top_dense_is_the_full_sort(
    size: int, k: int, levels: int, zeros: float, seed: int
) -> None:
    """The best ``k`` positive scores, best first, ties by row, whatever the ties and
    zeros: the sampled bound never changes the result."""
    rng = np.random.default_rng(seed)
    # Few distinct values: many ties, at the k-th score too.
    scores = (rng.integers(0, levels, size) / 7).astype(np.float32)
    scores[rng.random(size) < zeros] = 0.0
    hits = _top_dense(scores, k)
    positive = np.flatnonzero(scores > 0)
    order = positive[np.lexsort((positive, -scores[positive]))][:k]
    assert hits.indices.tolist() == order.tolist()
    np.testing.assert_array_equal(hits.scores, scores[order])


def test_top_dense_samples_large_arrays() -> None:
    """Above the sampling size the bound is taken (and a skewed array, whose sample
    misses its best rows, still gives them)."""
    k = 10
    scores = np.zeros(_SAMPLE_STEP * k * 8, dtype=np.float32)
    scores[1::_SAMPLE_STEP] = 5.0  # none of these is sampled
    scores[::_SAMPLE_STEP] = 1.0
    hits = _top_dense(scores, k)
    assert hits.indices.tolist() == list(range(1, _SAMPLE_STEP * k, _SAMPLE_STEP))
