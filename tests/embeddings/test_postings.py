"""Postings: build, merge (streamed, with deleted rows dropped), save and load."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from corpus.normalize import normalize_for_matching
from embeddings import postings as postings_module
from embeddings.postings import Postings, PostingsBuilder, merge_postings
from embeddings.terms import char12_keys, count_terms

TEXTS = (
    "北京大学今天举行开学典礼，三千名新生参加。",
    "上海浦东国际机场航班恢复正常，旅客有序出行。",
    "長三角綠色低碳產業鏈聯盟在浙江溫州成立。",
    "，。",
    "Apple 发布 iPhone 15，国内售价 5999 元起。",
    "北京北京北京，大学大学。",
)


def _build(texts: tuple[str, ...] | list[str]) -> Postings:
    builder = PostingsBuilder()
    for text in texts:
        builder.add(count_terms(char12_keys(normalize_for_matching(text))))
    return builder.build()


def _as_dict(p: Postings) -> dict[int, list[tuple[int, int, int]]]:
    out = {}
    for t, key in enumerate(p.keys.tolist()):
        s, e = int(p.indptr[t]), int(p.indptr[t + 1])
        pairs = p.pairs[p.codes[s:e]]
        out[key] = list(
            zip(p.rows[s:e].tolist(), pairs[:, 0].tolist(), pairs[:, 1].tolist(), strict=True)
        )
    return out


def test_build_counts_terms_rows_and_lengths() -> None:
    p = _build(TEXTS)
    assert p.size == len(TEXTS)
    assert p.lengths[3] == 0
    beijing = p.find(np.array([(ord("北") << 21) | ord("京")], dtype=np.uint64))
    rows = p.term_rows(int(beijing[0])).tolist()
    assert rows == [0, 5]
    entries = _as_dict(p)[(ord("北") << 21) | ord("京")]
    assert entries[1][1] == 3  # tf 3 in the last text
    assert p.document_frequency(np.array([beijing[0], -1])).tolist() == [2, 0]
    assert np.all(p.max_tf >= 1) and np.all(np.diff(p.indptr) >= 1)


@pytest.mark.parametrize("block", [3, 10_000_000])
def test_merge_equals_a_build_over_the_live_rows(
    block: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(postings_module, "MERGE_BLOCK", block)
    a, b = _build(TEXTS[:3]), _build(TEXTS[3:])
    live_a = np.array([True, False, True])
    expected = _build([TEXTS[0], TEXTS[2], *TEXTS[3:]])
    a.save(tmp_path / "a")
    b.save(tmp_path / "b")
    mapped = (Postings.load(tmp_path / "a"), Postings.load(tmp_path / "b"))
    for (first, second), directory in (
        ((a, b), None),
        ((a, b), tmp_path / "merged"),
        # parts mapped from files: their pages are released block by block
        (mapped, tmp_path / "merged-mapped"),
    ):
        merged = merge_postings([(first, live_a), (second, None)], directory)
        assert _as_dict(merged) == _as_dict(expected)
        assert merged.lengths.tolist() == expected.lengths.tolist()
        np.testing.assert_array_equal(merged.max_tf, expected.max_tf)
        np.testing.assert_array_equal(merged.min_len, expected.min_len)


def test_save_and_load(tmp_path: Path) -> None:
    p = _build(TEXTS)
    p.save(tmp_path / "p")
    loaded = Postings.load(tmp_path / "p")
    assert _as_dict(loaded) == _as_dict(p)
    assert isinstance(loaded.rows, np.memmap) or not loaded.rows.flags.writeable
    with pytest.raises(ValueError):
        loaded.rows[0] = 1


def test_empty_rows_only() -> None:
    p = _build(["，。", ""])
    assert p.size == 2 and p.vocab_size == 0 and p.total_length == 0
    # A lookup in a segment without terms: no term, no rows (it once indexed past the end).
    terms = p.find(np.array([1, 2, 3], dtype=np.uint64))
    assert terms.tolist() == [-1, -1, -1]
    assert p.document_frequency(terms).tolist() == [0, 0, 0]


def test_rows_added_as_flat_arrays_build_the_same_postings() -> None:
    counts = [count_terms(char12_keys(normalize_for_matching(t))) for t in TEXTS]
    one_by_one = _build(TEXTS)
    builder = PostingsBuilder()
    builder.add(counts[0])  # rows one at a time and flat ones, mixed
    rest = counts[1:]
    builder.add_many(
        np.concatenate([c.keys for c in rest]),
        np.concatenate([c.tf for c in rest]),
        np.array([c.keys.size for c in rest], dtype=np.int64),
        np.array([c.length for c in rest], dtype=np.int64),
    )
    assert len(builder) == len(TEXTS)
    flat = builder.build()
    for name in ("keys", "indptr", "rows", "codes", "pairs", "max_tf", "min_len", "lengths"):
        assert np.array_equal(getattr(flat, name), getattr(one_by_one, name)), name


def test_flat_rows_must_add_up() -> None:
    builder = PostingsBuilder()
    keys = np.array([1, 2], dtype=np.uint64)
    with pytest.raises(ValueError, match="add up"):
        builder.add_many(keys, np.ones(2, np.uint32), np.array([1]), np.array([1]))
