"""Segments: writes as new segments and tombstones, merges, commits of new data only,
and a snapshot of several segments that reads as one index built over the same content."""

from __future__ import annotations

import dataclasses
import json
import os
from collections import Counter
from pathlib import Path

import numpy as np
import pytest

from corpus.chunking import ChunkingConfig, chunk_documents
from corpus.dedupe import fingerprint
from corpus.normalize import normalize_for_matching
from corpus.types import Alternate, CleaningReport, Document, Removal
from embeddings.store import (
    IndexSettings,
    IndexSnapshot,
    MergePolicy,
    SegmentState,
    build_segment,
    build_snapshot,
    load_snapshot,
    merge_segments,
    open_snapshot,
    prepare_document,
    save_snapshot,
)
from embeddings.store.documents import _encode
from embeddings.store.merge import rewrite_needed, rewrite_segments
from embeddings.tokenize import Char12Tokenizer, get_tokenizer

from .corpus_fixture import queries, synthetic_texts
from .helpers import make_document

CHUNKING = ChunkingConfig(chunk_size=60, chunk_overlap=10)
OUTLETS = ("中新網", "澎湃新闻", "")


def _documents(n: int = 40, seed: int = 3) -> list[Document]:
    docs = []
    for i, text in enumerate(synthetic_texts(n, seed=seed)):
        doc = make_document(text, f"news/{seed}-{i}.txt")
        docs.append(
            dataclasses.replace(
                doc, outlet=OUTLETS[i % 3], published=f"2024-0{1 + i % 9}-1{i % 10}"
            )
        )
    return docs


def _segment(docs: list[Document], settings: IndexSettings, vectors: bool = False):  # type: ignore[no-untyped-def]
    tok = get_tokenizer(settings.tokenizer)
    prepared = [prepare_document(d, settings.chunking, tok) for d in docs]
    vecs = None
    if vectors:
        rng = np.random.default_rng(len(docs))
        n = sum(p.size for p in prepared)
        vecs = rng.standard_normal((n, settings.dimension)).astype(np.float32)
    return build_segment(prepared, vectors=vecs), vecs


def _same_retrieval(a: IndexSnapshot, b: IndexSnapshot) -> None:
    assert a.size == b.size and a.document_count == b.document_count
    assert tuple(a.documents) == tuple(b.documents)
    assert tuple(a.chunks) == tuple(b.chunks)
    for query in queries(20):
        x, y = a.bm25.search(query, 10), b.bm25.search(query, 10)
        assert x.indices.tolist() == y.indices.tolist(), query
        np.testing.assert_array_equal(x.scores, y.scores)


@pytest.mark.parametrize("tokenizer", ["char12", "jieba"])
def test_adds_deletes_and_merges_read_as_one_index(tokenizer: str, tmp_path: Path) -> None:
    settings = IndexSettings(chunking=CHUNKING, tokenizer=tokenizer)
    docs = _documents(60)
    first, _ = _segment(docs[:25], settings)
    second, _ = _segment(docs[25:], settings)
    snap = IndexSnapshot(settings, [SegmentState(first), SegmentState(second)])
    gone = {docs[3].id, docs[30].id, docs[59].id}
    snap = snap.without(gone)
    live = [d for d in docs if d.id not in gone]
    fresh = build_snapshot(live, chunk_documents(live, CHUNKING), settings, encoder=None)
    _same_retrieval(snap, fresh)
    for doc in live[:5]:
        assert snap.doc_by_id[doc.id] == doc and snap.document_position(doc.id) == live.index(doc)
    assert docs[3].id not in snap.doc_by_id and snap.document_position(docs[3].id) is None
    row = snap.row_of(f"{live[7].id}-0000")
    assert snap.chunk(row).doc_id == live[7].id and snap.document_of(row) == live[7]
    np.testing.assert_array_equal(snap.chunk_documents, fresh.chunk_documents)
    # Answer matching's char12 statistics, whatever the BM25 tokenizer.
    tokens = Char12Tokenizer()(normalize_for_matching("长三角的企业在温州成立联盟"))
    np.testing.assert_array_equal(snap.analyzer_idf(tokens), fresh.analyzer_idf(tokens))
    df = Counter(
        t for c in fresh.chunks for t in set(Char12Tokenizer()(normalize_for_matching(c.text)))
    )
    n = fresh.size
    expected = [np.log1p((n - df[t] + 0.5) / (df[t] + 0.5)) for t in tokens]
    np.testing.assert_allclose(snap.analyzer_idf(tokens), expected, rtol=1e-6)
    # Saved, re-opened, merged: the same index.
    saved = save_snapshot(snap, tmp_path / "index")
    _same_retrieval(load_snapshot(tmp_path / "index"), fresh)
    merged = merge_segments(saved.states, parent=tmp_path / "index" / "segments")
    _same_retrieval(saved.with_states([SegmentState(merged)]), fresh)
    in_memory = merge_segments(snap.states)
    _same_retrieval(snap.with_states([SegmentState(in_memory)]), fresh)


def test_dense_rows_follow_the_live_rows(tmp_path: Path) -> None:
    settings = IndexSettings(chunking=CHUNKING, model="random", dimension=8)
    docs = _documents(20)
    first, v1 = _segment(docs[:12], settings, vectors=True)
    second, v2 = _segment(docs[12:], settings, vectors=True)
    assert v1 is not None and v2 is not None
    snap = IndexSnapshot(settings, [SegmentState(first), SegmentState(second)])
    snap = snap.without([docs[2].id, docs[15].id])
    dead = set(first.rows_of(np.array([2]))) | {
        first.size + r for r in second.rows_of(np.array([3]))
    }
    all_vectors = np.concatenate([v1, v2])
    live_vectors = all_vectors[[i for i in range(len(all_vectors)) if i not in dead]]
    assert snap.vectors is not None
    np.testing.assert_array_equal(snap.vectors, live_vectors)
    assert snap.dense is not None
    for row in (0, 5, len(live_vectors) - 1):
        hits = snap.dense.search(live_vectors[row], 3)
        expected = np.argsort(-(live_vectors @ live_vectors[row]), kind="stable")[:3]
        assert hits.indices.tolist() == expected.tolist()
    mask = np.zeros(snap.size, dtype=bool)
    mask[[1, 4]] = True
    assert set(snap.dense.search(live_vectors[0], 5, mask).indices.tolist()) == {1, 4}
    saved = save_snapshot(snap, tmp_path / "index")
    np.testing.assert_array_equal(saved.vectors, live_vectors)
    merged = merge_segments(saved.states, parent=tmp_path / "index" / "segments")
    np.testing.assert_array_equal(merged.vectors, live_vectors)


def _tree(root: Path) -> dict[str, tuple[int, float]]:
    return {
        str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime)
        for p in root.rglob("*")
        if p.is_file()
    }


def test_a_commit_writes_only_new_data(tmp_path: Path) -> None:
    settings = IndexSettings(chunking=CHUNKING)
    docs = _documents(30)
    base, _ = _segment(docs[:20], settings)
    target = tmp_path / "index"
    saved = save_snapshot(IndexSnapshot(settings, [SegmentState(base)]), target)
    before = _tree(target)
    extra, _ = _segment(docs[20:], settings)
    grown = saved.with_segment(extra).without([docs[0].id])
    committed = save_snapshot(grown, target)
    after = _tree(target)
    changed = {k for k in before if k in after and before[k] != after[k]}
    assert changed == {"manifest.json"}  # the old segment's files are untouched
    new = set(after) - set(before)
    assert any(k.startswith(f"segments/{extra.name}/") for k in new)
    assert any(k.startswith("deletes/") for k in new)
    assert committed.generation == saved.generation + 1
    # A reader re-opening the new generation reuses the segments it has open.
    reopened = open_snapshot(target, previous=saved)
    assert reopened.states[0].segment is saved.states[0].segment
    assert reopened.document_count == 29


def test_a_reader_keeps_reading_merged_away_segments(tmp_path: Path) -> None:
    settings = IndexSettings(chunking=CHUNKING)
    docs = _documents(30)
    a, _ = _segment(docs[:15], settings)
    b, _ = _segment(docs[15:], settings)
    target = tmp_path / "index"
    saved = save_snapshot(IndexSnapshot(settings, [SegmentState(a), SegmentState(b)]), target)
    reader = open_snapshot(target)
    texts = [c.text for c in reader.chunks[:3]]
    merged = merge_segments(saved.states, parent=target / "segments")
    save_snapshot(saved.with_states([SegmentState(merged)]), target)
    assert len(os.listdir(target / "segments")) == 1  # the old segments are gone
    assert [c.text for c in reader.chunks[:3]] == texts  # still readable (open files)
    assert reader.bm25.search("长三角", 3).size > 0
    assert len(open_snapshot(target).states) == 1


def test_filters_are_row_sets(tmp_path: Path) -> None:
    settings = IndexSettings(chunking=CHUNKING)
    docs = _documents(45)
    a, _ = _segment(docs[:20], settings)
    b, _ = _segment(docs[20:], settings)
    snap = IndexSnapshot(settings, [SegmentState(a), SegmentState(b)]).without([docs[1].id])
    snap = save_snapshot(snap, tmp_path / "index")
    live = [d for d in docs if d.id != docs[1].id]
    rows_of = snap.chunk_documents

    def expected(keep: list[bool]) -> list[bool]:
        return [keep[int(p)] for p in rows_of]

    cases = [
        ({"outlets": ["中新网"]}, [d.outlet == "中新網" for d in live]),
        ({"outlets": ["澎湃新聞", "nope"]}, [d.outlet == "澎湃新闻" for d in live]),
        ({"published_from": "2024-05"}, [d.published >= "2024-05" for d in live]),
        ({"published_to": "2024-03-12"}, [d.published <= "2024-03-12\uffff" for d in live]),
        (
            {"doc_ids": [docs[5].id, docs[1].id, "x"], "outlets": [docs[5].outlet]},
            [d.id == docs[5].id for d in live],
        ),
    ]
    for kwargs, keep in cases:
        mask = snap.filter_mask(**kwargs)  # type: ignore[arg-type]
        assert mask is not None
        assert mask.tolist() == expected(keep), kwargs
    assert snap.filter_mask() is None


def test_copies_are_found_across_segments() -> None:
    settings = IndexSettings(chunking=CHUNKING)
    docs = _documents(20)
    a, _ = _segment(docs[:10], settings)
    b, _ = _segment(docs[10:], settings)
    snap = IndexSnapshot(settings, [SegmentState(a), SegmentState(b)])
    copy = docs[14].text + "（来源：新华社）"
    found = snap.duplicate_candidates(fingerprint(copy).bands)
    assert docs[14].id in {d.id for d in found}
    assert docs[14].id not in {
        d.id for d in snap.without([docs[14].id]).duplicate_candidates(fingerprint(copy).bands)
    }


def test_candidates_of_many_texts_are_those_of_each() -> None:
    settings = IndexSettings(chunking=CHUNKING)
    docs = _documents(24)
    a, _ = _segment(docs[:12], settings)
    b, _ = _segment(docs[12:], settings)
    snap = IndexSnapshot(settings, [SegmentState(a), SegmentState(b)]).without([docs[3].id])
    texts = [
        docs[3].text,
        docs[14].text + "（完）",
        "毫不相干的一句话，与任何文章都不像。",
        docs[7].text,
    ]
    bands = np.stack([fingerprint(t).bands for t in texts])
    many = snap.duplicate_candidates_many(bands)
    assert len(many) == len(texts)
    for row, found in zip(bands, many, strict=True):
        assert sorted(d.id for d in found) == sorted(d.id for d in snap.duplicate_candidates(row))
    assert docs[14].id in {d.id for d in many[1]} and docs[7].id in {d.id for d in many[3]}
    assert docs[3].id not in {d.id for d in many[0]}  # deleted
    texts_a, positions = a.band_candidates_many(bands)
    for t in range(len(texts)):
        assert positions[texts_a == t].tolist() == a.band_candidates(bands[t]).tolist()


def test_documents_stay_readable_after_the_file_is_removed(tmp_path: Path) -> None:
    settings = IndexSettings(chunking=CHUNKING)
    docs = _documents(30)
    saved = save_snapshot(
        build_snapshot(docs, chunk_documents(docs, CHUNKING), settings, encoder=None),
        tmp_path / "idx",
    )
    store = saved.states[0].segment.documents
    (path,) = (tmp_path / "idx").rglob("documents.sqlite")
    path.unlink()  # a merge in another process removed the segment
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:  # another thread (a server's worker thread)
        assert pool.submit(store.get, len(docs) - 1).result().id == docs[-1].id
    assert [d.id for d in store.iter_documents()] == [d.id for d in docs]


def test_documents_are_stored_with_every_field() -> None:
    doc = Document(
        id="a",
        title="标题",
        text="正文",
        source="s.txt",
        url="https://example.com/a",
        published="2024-07-01",
        outlet="中新網",
        reporter="王强",
        place="杭州",
        content_hash="h",
        meta=(("k", "v"),),
        report=CleaningReport((Removal("pinyin", "(zhǎng)", 1, 8),)),
        alternates=(Alternate("b", "b.txt", similarity=0.9),),
    )
    assert json.loads(_encode(doc)) == json.loads(json.dumps(doc.to_dict()))
    assert {f.name for f in dataclasses.fields(Document)} == set(json.loads(_encode(doc)))


def test_merge_policy() -> None:
    policy = MergePolicy(factor=3, min_rows=10, max_deleted=0.5)
    settings = IndexSettings(chunking=CHUNKING)
    docs = _documents(12)
    small = [_segment([d], settings)[0] for d in docs[:7]]
    states = [SegmentState(s) for s in small]
    rows = [st.live_rows for st in states]
    # Seven one-document segments: level 0 but the sixth (over min_rows: level 1).
    assert [policy.level(r) for r in rows] == [0, 0, 0, 0, 0, 1, 0], rows
    assert policy.plan(states) == [(0, 3)]
    assert policy.level(5) == policy.level(10) == 0
    assert policy.level(11) == policy.level(29) == 1 and policy.level(31) == 2
    big = _segment(docs[7:], settings)[0]
    snap = IndexSnapshot(settings, [SegmentState(big)]).without([d.id for d in docs[7:11]])
    assert policy.plan(snap.states) == [(0, 1)]  # over half its rows deleted
    with pytest.raises(ValueError):
        MergePolicy(factor=1)
    with pytest.raises(ValueError, match="max_rows"):
        MergePolicy(max_rows=0)


@dataclasses.dataclass
class _Rows:
    """What the merge policy reads of a segment state: its rows and deleted rows."""

    size: int
    deleted: int = 0

    @property
    def live_rows(self) -> int:
        return self.size - self.deleted

    @property
    def segment(self) -> _Rows:
        return self

    @property
    def bm25(self) -> _Rows:
        return self

    @property
    def count(self) -> int:
        return self.deleted


def test_merge_policy_with_max_rows_folds_small_segments_but_never_above_it() -> None:
    policy = MergePolicy(factor=4, min_rows=100, max_rows=1000)
    # Small segments still fold: ten of 100 rows into one of 400, twice, ...
    assert policy.plan([_Rows(100)] * 4) == [(0, 4)]  # type: ignore[arg-type]
    # ... but a run whose merge would pass the maximum is merged in groups that fit,
    assert policy.plan([_Rows(300)] * 4) == [(0, 3)]  # type: ignore[arg-type]
    assert policy.plan([_Rows(500)] * 4) == [(0, 2), (2, 4)]  # type: ignore[arg-type]
    # and segments that fit with no neighbour stay as they are.
    assert policy.plan([_Rows(600)] * 4) == []  # type: ignore[arg-type]
    # Rewriting a segment of many deleted rows only shrinks it.
    assert policy.plan([_Rows(2000, deleted=1500)]) == [(0, 1)]  # type: ignore[arg-type]
    # Without a maximum, the same run is one merge.
    assert MergePolicy(factor=4, min_rows=100).plan([_Rows(500)] * 4) == [(0, 4)]  # type: ignore[arg-type]


@pytest.mark.parametrize("seed", range(3))
def test_an_index_merged_as_it_grows_keeps_every_segment_within_max_rows(seed: int) -> None:
    # Segments of about 100 rows appended as an ingest writes them, deletions here and
    # there, the merges the policy plans done after each: no segment ever passes the
    # maximum, and they are still folded into segments of about its size.
    rng = np.random.default_rng(seed)
    policy = MergePolicy(factor=3, min_rows=50, max_rows=800)
    states: list[_Rows] = []
    for _ in range(300):
        states.append(_Rows(int(rng.integers(90, 110))))
        if rng.random() < 0.1:
            victim = states[int(rng.integers(len(states)))]
            victim.deleted = min(victim.size, victim.deleted + int(rng.integers(0, 30)))
        plans = policy.plan(states)  # type: ignore[arg-type]
        assert all(a < b for a, b in plans)
        assert all(b <= c for (_, b), (c, _) in zip(plans, plans[1:], strict=False))
        for start, end in reversed(plans):
            merged = sum(st.live_rows for st in states[start:end])
            assert merged <= 800
            states[start:end] = [_Rows(merged)]
    total = sum(st.live_rows for st in states)
    assert max(st.size for st in states) <= 800
    assert len(states) <= 2 * total / 800 + 2 * policy.factor  # folded: not 300
    unbounded = MergePolicy(factor=3, min_rows=50)
    assert unbounded.plan([_Rows(300)] * 3) == [(0, 3)]  # 900 rows: one segment


@pytest.mark.parametrize("tokenizer", ["char12", "jieba"])
def test_rewrite_cuts_an_index_into_segments_of_at_most_max_rows(
    tokenizer: str, tmp_path: Path
) -> None:
    settings = IndexSettings(chunking=CHUNKING, tokenizer=tokenizer)
    docs = _documents(60)
    first, _ = _segment(docs[:25], settings)
    second, _ = _segment(docs[25:], settings)
    snap = IndexSnapshot(settings, [SegmentState(first), SegmentState(second)])
    gone = {docs[3].id, docs[30].id, docs[59].id}
    snap = snap.without(gone)
    live = [d for d in docs if d.id not in gone]
    fresh = build_snapshot(live, chunk_documents(live, CHUNKING), settings, encoder=None)
    max_rows = snap.size // 5
    assert rewrite_needed(snap.states, max_rows)
    for parent in (None, tmp_path / "segments"):
        segments = rewrite_segments(snap.states, max_rows, parent=parent)
        # Several segments, each at most max_rows (a longer document alone), filled in
        # order: the content, statistics and scores of the index they came from.
        assert len(segments) >= 5
        for segment in segments:
            assert segment.size <= max_rows or segment.document_count == 1
        assert all(a.size + b.size > max_rows for a, b in zip(segments, segments[1:], strict=False))
        rewritten = snap.with_states([SegmentState(s) for s in segments])
        _same_retrieval(rewritten, fresh)
        np.testing.assert_array_equal(rewritten.chunk_documents, fresh.chunk_documents)
        tokens = Char12Tokenizer()(normalize_for_matching("长三角的企业在温州成立联盟"))
        np.testing.assert_array_equal(rewritten.analyzer_idf(tokens), fresh.analyzer_idf(tokens))
        # Copies are still found in the new segments.
        again = rewritten.duplicate_candidates(fingerprint(live[40].text).bands)
        assert live[40].id in {d.id for d in again}
        # Rewritten with the same maximum again: nothing to do.
        assert not rewrite_needed(rewritten.states, max_rows)
    whole = IndexSnapshot(settings, [SegmentState(first), SegmentState(second)])
    assert rewrite_needed(whole.states, first.size + second.size)  # they fit in one
    assert not rewrite_needed(whole.states[:1], first.size)
    with pytest.raises(ValueError):
        rewrite_segments(snap.states, 0)


@pytest.mark.parametrize("newer", [True, False])
def test_open_retries_when_a_commit_replaced_the_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, newer: bool
) -> None:
    from embeddings.errors import IndexCorruptError
    from embeddings.store import files

    root = tmp_path / "idx"
    docs = _documents(10)
    settings = IndexSettings(chunking=CHUNKING)
    save_snapshot(
        build_snapshot(docs, chunk_documents(docs, CHUNKING), settings, encoder=None), root
    )
    real = files._open_snapshot
    calls: list[int] = []

    def racing(*args: object, **kwargs: object) -> IndexSnapshot:
        calls.append(1)
        if len(calls) == 1:  # a segment vanished under us: another process committed
            if newer:
                manifest = json.loads((root / files.MANIFEST).read_text(encoding="utf-8"))
                manifest["generation"] += 1
                (root / files.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
            raise IndexCorruptError("a segment is missing")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(files, "_open_snapshot", racing)
    if newer:
        assert open_snapshot(root).document_count == 10
        assert len(calls) == 2
    else:  # the same generation: the index is corrupt, no retry
        with pytest.raises(IndexCorruptError):
            open_snapshot(root)
        assert len(calls) == 1


def test_small_adds_never_rewrite_a_larger_segment() -> None:
    # Above min_rows a segment is of level 1 or more: one-article segments (level 0)
    # merge among themselves, never into it.
    policy = MergePolicy()
    assert policy.level(5) == 0 and policy.level(20_000) == 0
    assert policy.level(20_001) == policy.level(100_000) == 1 and policy.level(200_001) == 2
    assert policy.plan([_Rows(100_000)] + [_Rows(5)] * 10) == [(1, 11)]  # type: ignore[arg-type]
    # Within level 0, a segment holding most of a group's rows is left out of it (split
    # around it), until the others are as large.
    run = [_Rows(5)] * 4 + [_Rows(15_000)] + [_Rows(5)] * 5
    assert policy.plan(run) == [(0, 4), (5, 10)]  # type: ignore[arg-type]
    run = [_Rows(15_000)] + [_Rows(2_000)] * 9
    assert policy.plan(run) == [(0, 10)]  # type: ignore[arg-type]
    # Segments of one level above it merge as before.
    assert policy.plan([_Rows(100_000)] + [_Rows(25_000)] * 9) == [(0, 10)]  # type: ignore[arg-type]


def test_one_article_adds_rewrite_rows_a_logarithmic_number_of_times() -> None:
    # 6,000 adds of 5 rows each beside one 100,000-row segment, the planned merges done
    # after each: the large segment is never rewritten, and the rows added are rewritten
    # about log2 times each (merged as they came, the growing level-0 segment would be
    # rewritten every ninth add: some 400 times each row).
    policy = MergePolicy()
    states: list[_Rows] = [_Rows(100_000)]
    rewritten = 0
    for _ in range(6000):
        states.append(_Rows(5))
        for start, end in reversed(policy.plan(states)):  # type: ignore[arg-type]
            assert start > 0, "a merge rewrote the large segment"
            merged = sum(st.live_rows for st in states[start:end])
            rewritten += merged
            states[start:end] = [_Rows(merged)]
    assert sum(st.live_rows for st in states) == 100_000 + 5 * 6000
    assert len(states) <= 1 + 4 * policy.factor
    assert rewritten <= 5 * 6000 * 16
