"""Ingestion and sharded search on Ray (a local instance of 2 CPUs): ``qa ingest --ray``
writes the index plain ingest writes, and sharded search returns the single index's
top-k, or an error naming the shard that failed; never a silently partial result."""

from __future__ import annotations

import functools
import itertools
import json
import logging
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from corpus import loaders
from corpus.normalize import normalize_for_matching
from embeddings.store.merge import MergePolicy
from qa import Assistant, AssistantConfig
from qa import ingest as ingest_module
from qa.cli import app as cli_app
from qa.ingest import ingest_paths
from qa.retrieval.search import Searcher
from qa.writing import writer as writer_module
from tests.embeddings.corpus_fixture import queries, synthetic_texts

ray = pytest.importorskip("ray", reason="the ray extra is not installed")

from embeddings.errors import IndexWriteError  # noqa: E402
from qa.distributed import (  # noqa: E402
    RaySegmentSink,
    ShardedIndex,
    ShardedRetrievers,
    ShardError,
    connect,
    ray_ingest,
    ray_runner,
    sharded_retrievers,
)
from qa.distributed import writers as writers_module  # noqa: E402
from qa.distributed.shards import partition  # noqa: E402
from qa.distributed.writers import WrittenSegment  # noqa: E402
from qa.index import optimize_index  # noqa: E402
from qa.staged import SegmentJob  # noqa: E402

pytestmark = pytest.mark.slow

LEXICAL = AssistantConfig(model="", chunk_size=80, chunk_overlap=10)


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    connect(num_cpus=2)
    yield
    ray.shutdown()


def _articles(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "articles.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i, text in enumerate(synthetic_texts(n, seed=5)):
            record = {"id": f"a{i:04d}", "title": f"第{i}篇", "text": text}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


@pytest.fixture(scope="module")
def ray_written(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path, Path, list[WrittenSegment]]:
    """The same input ingested by plain ingest and by Ray (small parts, many segments,
    copies merged and replaced: tombstones), with what each Ray segment writer wrote."""
    root = tmp_path_factory.mktemp("distributed")
    path = _articles(root / "in", 150)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loaders, "STREAM_BYTES", 1000)
        patch.setattr(loaders, "_PART_LINES", 7)
        patch.setattr(ingest_module, "_IN_PROCESS_BYTES", 0)
        # The segments as written: no merge rewrites one after the commit (a segment whose
        # share of replaced copies passes the policy's 30% would otherwise be rewritten,
        # which is the merge policy's business, not the writers').
        no_rewrites = functools.partial(MergePolicy, max_deleted=1.0)
        patch.setattr(writer_module, "MergePolicy", no_rewrites)
        ingest_paths([path], root / "plain", LEXICAL, workers=0, segment_rows=60)
        # What ray_ingest(..., workers=2, writers=2) runs, keeping the sink to look at.
        sink = RaySegmentSink(2)
        ingest_paths(
            [path],
            root / "ray",
            LEXICAL,
            segment_rows=60,
            runner=ray_runner(2, encode=LEXICAL),
            sink=sink,
        )
    return path, root / "plain", root / "ray", sink.written


@pytest.fixture(scope="module")
def built(
    ray_written: tuple[Path, Path, Path, list[WrittenSegment]],
) -> tuple[Path, Path, Path]:
    """The input, the index plain ingest wrote, the index Ray wrote."""
    return ray_written[:3]


def _segments(directory: Path) -> list[dict[str, object]]:
    manifest = json.loads((directory / "manifest.json").read_text(encoding="utf-8"))
    return list(manifest["segments"])


def test_ray_ingest_writes_the_index_plain_ingest_writes(built: tuple[Path, Path, Path]) -> None:
    _, plain_dir, ray_dir = built
    plain = Assistant.load(plain_dir, LEXICAL)
    by_ray = Assistant.load(ray_dir, LEXICAL)
    # Same documents and chunks, in the same order, in the same segments.
    assert list(by_ray.documents) == list(plain.documents)
    assert list(by_ray.snapshot.chunks) == list(plain.snapshot.chunks)
    keys = ("documents", "chunks", "deleted_documents", "deleted_chunks")
    shape = [[s[key] for key in keys] for s in _segments(plain_dir)]
    assert [[s[key] for key in keys] for s in _segments(ray_dir)] == shape
    assert len(shape) > 2
    assert plain.snapshot.deleted_documents > 0  # copies replaced by longer ones
    for q in queries(20):
        a, b = plain.snapshot.bm25.search(q, 10), by_ray.snapshot.bm25.search(q, 10)
        assert a.indices.tolist() == b.indices.tolist(), q
        assert a.scores.tolist() == b.scores.tolist(), q
        assert [p.chunk.id for p in by_ray.search(q, k=5)] == [
            p.chunk.id for p in plain.search(q, k=5)
        ]


def test_ray_segments_are_written_in_parallel_by_several_processes(
    ray_written: tuple[Path, Path, Path, list[WrittenSegment]],
) -> None:
    _, plain_dir, ray_dir, written = ray_written
    # Every segment of the index but the last (the driver, which has nothing else left
    # to do then, writes that one) was built and written by a writer actor: two
    # processes, neither of them this one. All were committed in one generation, in
    # input order.
    segments = _segments(ray_dir)
    names = [s["name"] for s in segments]
    assert len(names) > 2 and sorted(w.name for w in written) == sorted(names[:-1])
    processes = {w.pid for w in written}
    assert len(processes) == 2 and os.getpid() not in processes
    assert sum(w.rows for w in written) == sum(int(s["chunks"]) for s in segments[:-1])
    manifest = json.loads((ray_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["generation"] == 2  # the empty index, then everything at once
    plain = json.loads((plain_dir / "manifest.json").read_text(encoding="utf-8"))
    assert plain["generation"] > len(names)  # one commit per segment
    assert sorted(p.name for p in (ray_dir / "segments").iterdir()) == sorted(names)


def test_a_failed_ray_segment_leaves_the_index_at_its_previous_generation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _articles(tmp_path / "in", 150)
    monkeypatch.setattr(loaders, "STREAM_BYTES", 1000)
    monkeypatch.setattr(loaders, "_PART_LINES", 7)
    first = tmp_path / "first.jsonl"
    first.write_text(
        "".join(path.read_text(encoding="utf-8").splitlines(keepends=True)[:40]),
        encoding="utf-8",
    )
    ingest_paths([first], tmp_path / "idx", LEXICAL, workers=0)
    before = (tmp_path / "idx" / "manifest.json").read_text(encoding="utf-8")
    files = sorted(p.relative_to(tmp_path) for p in (tmp_path / "idx").rglob("*"))

    class FailingWriter(writers_module._SegmentWriter):
        """A writer whose second segment fails (a full disk on one machine); defined
        here, so that Ray sends the class itself to the actors."""

        def __init__(self) -> None:
            self.calls = 0

        def write(self, job: SegmentJob) -> WrittenSegment:
            self.calls += 1
            if self.calls == 2:
                raise OSError(28, f"No space left on device (test): {job.name}")
            return super().write(job)

    monkeypatch.setattr(writers_module, "_SegmentWriter", FailingWriter)
    # Two writers, each failing on its second segment: the third segment fails after
    # two were written into the staging area (the last would be the driver's).
    with pytest.raises(IndexWriteError, match="No space left on device"):
        ray_ingest([path], tmp_path / "idx", LEXICAL, workers=1, writers=2, segment_rows=30)
    assert (tmp_path / "idx" / "manifest.json").read_text(encoding="utf-8") == before
    assert sorted(p.relative_to(tmp_path) for p in (tmp_path / "idx").rglob("*")) == files
    assert Assistant.load(tmp_path / "idx", LEXICAL).snapshot.document_count > 0


def test_ray_ingest_into_an_existing_index_is_a_no_op_for_the_same_input(
    built: tuple[Path, Path, Path],
) -> None:
    path, _, ray_dir = built
    _, result = ray_ingest([path], ray_dir, LEXICAL, workers=1, writers=2)
    assert result.summary.added == result.summary.updated == 0
    assert not result.summary.changed


def test_partition_covers_every_segment_in_contiguous_runs() -> None:
    assert partition([5, 5, 5, 5], 2) == [(0, 2), (2, 4)]
    assert partition([100, 1, 1], 3) == [(0, 1), (1, 2), (2, 3)]
    assert partition([1, 1, 1, 100], 2) == [(0, 3), (3, 4)]
    with pytest.raises(ValueError, match="at most that many shards"):
        partition([3, 3], 3)


@pytest.mark.parametrize("shards", [1, 2, 3])
def test_sharded_top_k_equals_the_single_index(shards: int, built: tuple[Path, Path, Path]) -> None:
    _, plain_dir, _ = built
    single = Assistant.load(plain_dir, LEXICAL)
    snap = single.snapshot
    rng = np.random.default_rng(shards)
    with ShardedIndex(plain_dir, shards, cpus_per_shard=0.5) as index:
        assert index.shards == shards
        searcher = Searcher(
            index.snapshot,
            sharded_retrievers(index, None),
            candidates=LEXICAL.candidates,
            duplicate_threshold=LEXICAL.duplicate_threshold,
        )
        for q in queries(20):
            folded = normalize_for_matching(q)
            for k in (1, 10, snap.size):
                want = snap.bm25.search(q, k)
                got = index.search_bm25(folded, k)
                assert got.indices.tolist() == want.indices.tolist(), (q, k)
                assert got.scores.tolist() == want.scores.tolist(), (q, k)
            mask = rng.random(snap.size) < 0.5
            want, got = snap.bm25.search(q, 10, mask), index.search_bm25(folded, 10, mask)
            assert got.indices.tolist() == want.indices.tolist(), q
            assert got.scores.tolist() == want.scores.tolist(), q
            # Whole passages, fused and deduplicated as the assistant returns them.
            assert searcher.search(q, 5) == single.search(q, k=5)


def test_shards_over_an_index_cut_with_a_maximum_answer_as_the_single_index(
    built: tuple[Path, Path, Path], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _, plain_dir, _ = built
    single = Assistant.load(plain_dir, LEXICAL)  # several segments, with deletions
    directory = tmp_path / "idx"
    shutil.copytree(plain_dir, directory)
    optimize_index(directory)  # one segment: what qa index optimize used to leave
    retrievers = ShardedRetrievers(3, cpus_per_shard=0.5)
    assistant = Assistant.load(directory, LEXICAL)
    with pytest.raises(ValueError, match="qa index optimize .*--max-segment-rows"):
        assistant.use_retrievers(retrievers)
    # Cut into segments of at most a third of the rows: three shards or more.
    optimize_index(directory, max_rows=single.snapshot.size // 3)
    assistant = Assistant.load(directory, LEXICAL)
    assert len(assistant.snapshot.states) >= 3
    assistant.use_retrievers(retrievers)
    index = retrievers.index
    assert index is not None and index.shards == 3

    def same_as_single() -> None:
        for q in queries(20):
            want = single.snapshot.bm25.search(q, 10)
            got = retrievers.index.search_bm25(normalize_for_matching(q), 10)  # type: ignore[union-attr]
            assert got.indices.tolist() == want.indices.tolist(), q
            assert got.scores.tolist() == want.scores.tolist(), q
            assert assistant.search(q, k=5) == single.search(q, k=5)

    same_as_single()
    # A later generation with fewer segments than shards is served on fewer, with a
    # warning (not left unserved).
    optimize_index(directory)
    with caplog.at_level(logging.WARNING, logger="qa.distributed.shards"):
        assert assistant.refresh()
    assert retrievers.index is not None and retrievers.index.shards == 1
    assert "fewer than the 3 shards" in caplog.text
    same_as_single()
    retrievers.close()


def test_a_dead_shard_fails_the_query_by_name(built: tuple[Path, Path, Path]) -> None:
    _, plain_dir, _ = built
    query = normalize_for_matching(queries(1)[0])
    with ShardedIndex(plain_dir, 3, cpus_per_shard=0.5, timeout=20) as index:
        assert index.search_bm25(query, 5).size > 0
        ray.kill(index.actors[1])
        with pytest.raises(ShardError, match="shard 2 of 3 failed"):
            index.search_bm25(query, 5)


def test_a_slow_shard_times_out_with_an_error(built: tuple[Path, Path, Path]) -> None:
    _, plain_dir, _ = built
    query = normalize_for_matching(queries(1)[0])
    with ShardedIndex(plain_dir, 2, cpus_per_shard=0.5, timeout=20) as index:
        index.timeout = 1.0
        # The second shard is busy (actors answer one call at a time) for longer.
        busy = index.actors[1].__ray_call__.remote(lambda shard: time.sleep(6))
        with pytest.raises(ShardError, match=r"shard 2 of 2 did not answer within 1 s"):
            index.search_bm25(query, 5)
        ray.get(busy)


def test_dense_sharded_search_equals_the_single_index(
    tiny_model_dir: Path,
    tiny_model_corpus: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No copy merging (the texts share sentences).
    config = AssistantConfig(
        model=str(tiny_model_dir),
        local_files_only=True,
        chunk_size=80,
        chunk_overlap=10,
        duplicate_threshold=0.0,
    )
    path = _tiny_articles(tmp_path / "articles.jsonl", tiny_model_corpus)
    queries = list(tiny_model_corpus) + ["台风", "央行准备金率", "女排决赛"]
    monkeypatch.setattr(loaders, "STREAM_BYTES", 1000)
    monkeypatch.setattr(loaders, "_PART_LINES", 7)
    ray_ingest([path], tmp_path / "idx", config, workers=2, writers=1, segment_rows=10)
    single = Assistant.load(tmp_path / "idx", config)
    assert single.dense_enabled and len(single.snapshot.states) >= 2
    encoder = single.encoder  # the assistant's loaded query encoder
    with ShardedIndex(tmp_path / "idx", 2, cpus_per_shard=0.5) as index:
        searcher = Searcher(
            index.snapshot,
            sharded_retrievers(index, encoder),
            candidates=config.candidates,
            duplicate_threshold=config.duplicate_threshold,
        )
        assert searcher.retriever_names == ("bm25", "dense")
        for q in queries:
            assert searcher.search(q, 5) == single.search(q, k=5)


def _tiny_articles(path: Path, corpus: tuple[str, ...]) -> Path:
    """Articles of two texts each that the tiny model covers (else the index is built
    without vectors)."""
    with path.open("w", encoding="utf-8") as fh:
        for i, texts in enumerate(itertools.permutations(corpus, 2)):
            record = {"id": f"t{i:03d}", "title": f"第{i}篇", "text": "".join(texts)}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def test_ray_ingest_with_a_model_encodes_on_actors_what_plain_ingest_encodes(
    tiny_model_dir: Path,
    tiny_model_corpus: tuple[str, ...],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from embeddings.encoder import Encoder

    config = AssistantConfig(
        model=str(tiny_model_dir),
        local_files_only=True,
        chunk_size=80,
        chunk_overlap=10,
        batch_size=4,
    )
    path = _tiny_articles(tmp_path / "articles.jsonl", tiny_model_corpus)
    monkeypatch.setattr(loaders, "STREAM_BYTES", 1000)
    monkeypatch.setattr(loaders, "_PART_LINES", 7)
    monkeypatch.setattr(ingest_module, "_IN_PROCESS_BYTES", 0)
    ingest_paths([path], tmp_path / "plain", config, workers=0, segment_rows=10)
    # The driver encodes nothing: the actors (other processes) did.
    encoded: list[int] = []
    real_encode = Encoder.encode

    def counting(self: Encoder, texts: list[str], **kwargs: object) -> object:
        encoded.append(len(texts))
        return real_encode(self, texts, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Encoder, "encode", counting)
    ray_ingest([path], tmp_path / "ray", config, workers=1, encoders=1, writers=2, segment_rows=10)
    assert encoded == []
    monkeypatch.setattr(Encoder, "encode", real_encode)

    plain = Assistant.load(tmp_path / "plain", config)
    by_ray = Assistant.load(tmp_path / "ray", config)
    assert plain.dense_enabled and by_ray.dense_enabled
    assert list(by_ray.documents) == list(plain.documents)
    assert list(by_ray.snapshot.chunks) == list(plain.snapshot.chunks)
    assert len(plain.snapshot.states) >= 2
    for a, b in zip(plain.snapshot.states, by_ray.snapshot.states, strict=True):
        assert a.segment.vectors is not None and b.segment.vectors is not None
        assert a.segment.vectors.shape == b.segment.vectors.shape
        np.testing.assert_allclose(b.segment.vectors, a.segment.vectors, atol=1e-5)
    for q in list(tiny_model_corpus) + ["台风", "央行准备金率", "女排决赛"]:
        want = [p.chunk.id for p in plain.search(q, k=5)]
        assert [p.chunk.id for p in by_ray.search(q, k=5)] == want, q


def test_ray_ingest_without_a_loadable_model_builds_a_lexical_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The actors cannot load the model either: the parts come without vectors and the
    # index is built lexical-only with the driver's warning, as plain ingest builds it.
    config = AssistantConfig(
        model=str(tmp_path / "no-such-model"),
        local_files_only=True,
        chunk_size=80,
        chunk_overlap=10,
    )
    path = _articles(tmp_path / "in", 20)
    monkeypatch.setattr(ingest_module, "_IN_PROCESS_BYTES", 0)
    assistant, result = ray_ingest([path], tmp_path / "idx", config, workers=1, encoders=1)
    assert assistant is not None and not assistant.dense_enabled
    assert result.summary.added > 0
    assert any("no-such-model" in w for w in assistant.warnings)


def test_qa_ingest_with_ray_writes_what_qa_ingest_writes(
    built: tuple[Path, Path, Path], tmp_path: Path
) -> None:
    from typer.testing import CliRunner

    path, _, _ = built
    runner = CliRunner()
    lexical = ["--model", "", "--chunk-size", "80", "--chunk-overlap", "10"]
    plain = runner.invoke(cli_app, ["ingest", str(path), "--index", str(tmp_path / "a"), *lexical])
    assert plain.exit_code == 0, plain.output
    by_ray = runner.invoke(
        cli_app,
        [
            "ingest",
            str(path),
            "--index",
            str(tmp_path / "b"),
            "--ray",
            "--workers",
            "2",
            "--ray-writers",
            "2",
            *lexical,
        ],
    )
    assert by_ray.exit_code == 0, by_ray.output
    a, b = Assistant.load(tmp_path / "a", LEXICAL), Assistant.load(tmp_path / "b", LEXICAL)
    assert list(a.documents) == list(b.documents)
    assert list(a.snapshot.chunks) == list(b.snapshot.chunks)
    # The summary line is the same too.
    assert plain.output.splitlines()[-1] == by_ray.output.splitlines()[-1]


def test_the_service_searches_on_shards_and_says_when_one_fails(
    built: tuple[Path, Path, Path],
) -> None:
    from fastapi.testclient import TestClient

    from service.app import create_app
    from service.settings import Settings

    _, plain_dir, _ = built
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        model="",
        chunk_size=80,
        chunk_overlap=10,
        index_dir=plain_dir,
        persist=False,
        shards=2,
    )
    single = Assistant.load(plain_dir, LEXICAL)
    with TestClient(create_app(settings)) as client:
        client.app.state.loader.join(timeout=120)  # type: ignore[attr-defined]
        ready = client.get("/readyz")
        assert ready.status_code == 200, ready.text
        for q in queries(5):
            got = client.get("/v1/search", params={"q": q, "k": 5})
            assert got.status_code == 200, got.text
            want = single.search(q, k=5)
            assert [(p["chunk_id"], p["score"]) for p in got.json()["passages"]] == [
                (p.chunk.id, p.score) for p in want
            ]
        shards = client.app.state.assistant._retrievers  # type: ignore[attr-defined]
        ray.kill(shards.index.actors[0])
        failed = client.get("/v1/search", params={"q": queries(1)[0], "k": 5})
        assert failed.status_code == 503
        error = failed.json()["error"]
        assert error["code"] == "shard_unavailable"
        assert "shard 1 of 2 failed" in error["message"]
        shards.close()
