"""Sharded search keeps serving through failures (a local Ray instance of 2 CPUs): a
shard whose process is killed is restarted and reopened, one stopped for good is
replaced, a lost local Ray instance is started anew; meanwhile the health says which
shard cannot serve and why, and searches and writes fail in bounded time. A new
generation of the index opens on the same actors, so a write needs no spare CPU."""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from corpus import Document
from corpus.normalize import normalize_for_matching
from qa import Assistant, AssistantConfig
from qa.index import optimize_index
from qa.ingest import ingest_paths
from tests.embeddings.corpus_fixture import queries, synthetic_texts

ray = pytest.importorskip("ray", reason="the ray extra is not installed")

from qa.distributed import _ray  # noqa: E402
from qa.distributed.shards import (  # noqa: E402
    ShardedIndex,
    ShardedRetrievers,
    ShardError,
    ShardHealth,
)

pytestmark = pytest.mark.slow

LEXICAL = AssistantConfig(model="", chunk_size=80, chunk_overlap=10)
BOUND = 10.0  # seconds a search or a write may take to fail while a shard is down


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    _ray.connect(num_cpus=2)  # a new local instance: both CPUs go to the two shards
    yield
    ray.shutdown()


@pytest.fixture(scope="module")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of several segments (two shards or more)."""
    root = tmp_path_factory.mktemp("shard-health")
    path = root / "articles.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i, text in enumerate(synthetic_texts(150, seed=5)):
            record = {"id": f"a{i:04d}", "title": f"第{i}篇", "text": text}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    ingest_paths([path], root / "index", LEXICAL, workers=0)
    optimize_index(root / "index", max_rows=60)
    return root / "index"


@pytest.fixture
def copy(index_dir: Path, tmp_path: Path) -> Path:
    """A copy of the index, for tests that write."""
    shutil.copytree(index_dir, tmp_path / "index")
    return tmp_path / "index"


def _pid(actor: Any) -> int:
    return int(ray.get(actor.__ray_call__.remote(lambda shard: os.getpid()), timeout=30))


def _until(what: Callable[[], ShardHealth], ready: bool, limit: float) -> tuple[ShardHealth, float]:
    """Call ``what`` until its health's readiness is ``ready``; the health and the
    seconds it took."""
    started = time.monotonic()
    while True:
        health = what()
        waited = time.monotonic() - started
        if health.ready == ready or waited > limit:
            return health, waited
        time.sleep(0.2)


def _same_as_single(index: ShardedIndex, single: Assistant) -> None:
    for q in queries(5):
        got = index.search_bm25(normalize_for_matching(q), 10)
        want = single.snapshot.bm25.search(q, 10)
        assert got.indices.tolist() == want.indices.tolist(), q


def test_a_killed_shard_process_is_restarted_and_reopened(index_dir: Path) -> None:
    single = Assistant.load(index_dir, LEXICAL)
    with ShardedIndex(index_dir, 2, cpus_per_shard=1.0, timeout=20) as index:
        assert index.health().ready
        os.kill(_pid(index.actors[1]), signal.SIGKILL)
        health, _ = _until(index.health, False, 10)
        assert not health.ready and health.unavailable == (2,)
        assert health.reason is not None and "shard 2 of 2" in health.reason
        started = time.monotonic()
        with pytest.raises(ShardError, match="shard 2 of 2"):
            index.search_bm25(normalize_for_matching(queries(1)[0]), 5)
        assert time.monotonic() - started < BOUND
        # Ray restarts the process; the repair opens the index on it again.
        health, _ = _until(index.repair, True, 60)
        assert health.ready, health.reason
        _same_as_single(index, single)


def test_a_shard_stopped_for_good_is_replaced(index_dir: Path) -> None:
    single = Assistant.load(index_dir, LEXICAL)
    with ShardedIndex(index_dir, 2, cpus_per_shard=1.0, timeout=20) as index:
        first = index.actors[0]
        ray.kill(first)  # no restart
        health, _ = _until(index.health, False, 10)
        assert health.unavailable == (1,) and health.silent == (1,)
        assert health.reason is not None and "shard 1 of 2 died" in health.reason
        health, _ = _until(index.repair, True, 60)
        assert health.ready, health.reason
        assert index.actors[0] != first
        _same_as_single(index, single)


def _add(assistant: Assistant, n: int) -> None:
    text = f"白马湖实验室第{n}次发布了新的研究成果,引起广泛关注。" * 2
    assistant.add_documents([Document(id=f"new{n}", title=f"新{n}", text=text, source="t")])


def test_a_new_generation_opens_on_the_same_actors(copy: Path) -> None:
    # Two shards of one CPU each fill the two CPUs: new actors for each generation could
    # not start (a write used to wait for them until the timeout, then fail).
    assistant = Assistant.load(copy, LEXICAL)
    shards = ShardedRetrievers(2, cpus_per_shard=1.0, timeout=20, check_every=None)
    try:
        assistant.use_retrievers(shards)
        assert shards.index is not None
        actors = shards.index.actors
        for n in range(2):
            started = time.monotonic()
            _add(assistant, n)
            assert time.monotonic() - started < BOUND
        assert shards.index.generation == assistant.snapshot.generation
        assert shards.index.actors == actors
        found = assistant.search("白马湖实验室第1次发布", k=3)
        assert found and found[0].document.id == "new1"
    finally:
        shards.close()


def test_a_write_while_a_shard_is_down_fails_in_bounded_time(copy: Path) -> None:
    assistant = Assistant.load(copy, LEXICAL)
    shards = ShardedRetrievers(2, cpus_per_shard=1.0, timeout=20, check_every=None)
    try:
        assistant.use_retrievers(shards)
        assert shards.index is not None
        os.kill(_pid(shards.index.actors[0]), signal.SIGKILL)
        started = time.monotonic()
        with pytest.raises(ShardError, match="shard 1 of 2"):
            _add(assistant, 0)
        assert time.monotonic() - started < BOUND

        # The write was committed, not served: once the shard is back, serving the newest
        # generation (what the service's follower does) opens it on every shard.
        def refreshed() -> ShardHealth:
            try:
                assistant.refresh()
            except ShardError:
                pass
            return shards.check()

        health, _ = _until(refreshed, True, 60)
        assert health.ready, health.reason
        assert assistant.search("白马湖实验室第0次发布", k=3)[0].document.id == "new0"
    finally:
        shards.close()


def test_the_process_survives_losing_its_local_ray_and_starts_a_new_one(
    index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Last in the module: it ends the Ray instance the others use (and starts another).
    from ray._private import ray_constants

    from qa.distributed import shards as shards_module

    single = Assistant.load(index_dir, LEXICAL)
    shards = ShardedRetrievers(2, cpus_per_shard=1.0, timeout=20, check_every=None)
    try:
        shards(single.snapshot, None)
        index = shards.index
        assert index is not None and shards.check().ready
        lost = _ray.cluster_address()
        node = ray._private.worker._global_node
        gcs = node.all_processes[ray_constants.PROCESS_TYPE_GCS_SERVER][0].process
        # First as for a cluster this process joined (nobody here can bring it back):
        # the connection is dropped before Ray's core ends the process for it (after
        # 60 s without the GCS), and every search fails at once meanwhile.
        monkeypatch.setattr(shards_module, "started_locally", lambda: False)
        monkeypatch.setattr(shards_module, "RELEASE_AFTER", 0.0)
        os.kill(gcs.pid, signal.SIGKILL)
        health, _ = _until(shards.check, False, 10)
        assert not health.ready and not health.ray_reachable
        assert health.reason is not None and "cannot be reached" in health.reason
        assert not ray.is_initialized()  # dropped: Ray cannot end this process any more
        started = time.monotonic()
        with pytest.raises(ShardError, match="cannot be reached"):
            index.search_bm25(normalize_for_matching(queries(1)[0]), 5)
        assert time.monotonic() - started < 1.0  # at once, not after the timeout
        assert not shards.check().ready  # still nothing there: it waits
        # This process started that instance: a new one is started, and the shards anew.
        monkeypatch.undo()
        health, _ = _until(shards.check, True, 90)
        assert health.ready, health.reason
        assert _ray.cluster_address() not in (None, lost)  # a new instance
        _same_as_single(index, single)
    finally:
        shards.close()
