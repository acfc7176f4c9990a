"""``/readyz`` is true with ``--shards``: 503 ``shard_unavailable``, saying which shard
and why, while a shard cannot serve or the Ray cluster cannot be reached, and 200 again
when they are back; a document write while a shard does not answer is refused before
anything is written. The slow test runs it on real Ray shards, one of them killed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from embeddings.encoder import Encoder
from embeddings.store import IndexSnapshot
from qa import Assistant
from qa.distributed.shards import ShardHealth
from qa.errors import ShardError
from qa.retrieval import Retriever, make_retrievers
from service import create_app

from .conftest import SEED_QUESTION, auth, make_settings
from .test_api import assert_error

ARTICLE = {"title": "白马湖实验室发布新成果", "text": "白马湖实验室今天发布了新的研究成果。" * 3}
DOWN = ShardHealth(
    2,
    unavailable=(2,),
    silent=(2,),
    reason="shard 2 of 2 is unavailable (Ray is restarting it, or cannot reach it)",
)


class FakeShards:
    """A retriever factory searching in this process, whose shard health the test sets
    (what :class:`qa.distributed.ShardedRetrievers` offers the service)."""

    def __init__(self) -> None:
        self.report = ShardHealth(2)

    def __call__(self, snapshot: IndexSnapshot, encoder: Encoder | None) -> list[Retriever]:
        return make_retrievers(snapshot, encoder)

    def health(self) -> ShardHealth:
        return self.report


@pytest.fixture
def shards() -> FakeShards:
    return FakeShards()


@pytest.fixture
def client(tmp_path: Path, fresh_assistant: Assistant, shards: FakeShards) -> Iterator[TestClient]:
    fresh_assistant.use_retrievers(shards)
    with TestClient(create_app(make_settings(tmp_path), fresh_assistant)) as c:
        yield c


def test_readyz_is_503_with_the_reason_while_a_shard_cannot_serve(
    client: TestClient, shards: FakeShards
) -> None:
    assert client.get("/readyz").status_code == 200
    shards.report = DOWN
    down = client.get("/readyz")
    error = assert_error(down, 503, "shard_unavailable")
    assert error["message"] == DOWN.reason
    assert down.headers["Retry-After"] == "5"
    unreachable = ShardHealth(
        2, (1, 2), (1, 2), ray_reachable=False, reason="the Ray cluster at 10.0.0.5:6379 ..."
    )
    shards.report = unreachable
    assert "10.0.0.5:6379" in assert_error(client.get("/readyz"), 503)["message"]
    shards.report = ShardHealth(2)  # back
    back = client.get("/readyz")
    assert back.status_code == 200 and back.json()["status"] == "ready"


def test_the_reason_names_no_server_path(
    client: TestClient, shards: FakeShards, tmp_path: Path
) -> None:
    where = tmp_path / "index"
    shards.report = ShardHealth(
        2, (1,), reason=f"shard 1 of 2 ... the index at {where} is at generation 6, not 5"
    )
    message = assert_error(client.get("/readyz"), 503, "shard_unavailable")["message"]
    assert str(where) not in message and "<index_dir>" in message


def test_a_write_while_a_shard_does_not_answer_is_refused_before_it_is_written(
    client: TestClient, shards: FakeShards
) -> None:
    before = client.get("/v1/documents").json()["total"]
    shards.report = DOWN
    refused = client.post("/v1/documents", json={"articles": [ARTICLE]}, headers=auth())
    error = assert_error(refused, 503, "shard_unavailable")
    assert "shard 2 of 2" in error["message"] and refused.headers["Retry-After"] == "5"
    assert client.get("/v1/documents").json()["total"] == before
    # The key is checked first.
    no_key = client.post("/v1/documents", json={"articles": [ARTICLE]})
    assert_error(no_key, 401, "unauthorized")
    assert_error(client.delete("/v1/documents/x", headers=auth()), 503, "shard_unavailable")
    # Reads that need no shard are served meanwhile.
    assert client.get("/v1/documents").status_code == 200


def test_a_write_is_let_through_when_every_shard_answers_but_one_lost_the_generation(
    client: TestClient, shards: FakeShards
) -> None:
    # A shard Ray restarted answers but holds no generation until one is opened on it:
    # a write (which opens its new generation on every shard) is what brings it back.
    shards.report = ShardHealth(2, unavailable=(1,), silent=(), reason="shard 1 of 2 restarted")
    assert client.get("/readyz").status_code == 503
    added = client.post("/v1/documents", json={"articles": [ARTICLE]}, headers=auth())
    assert added.status_code == 200, added.text


def test_a_write_stored_before_a_shard_failed_says_it_was_stored(
    tmp_path: Path, fresh_assistant: Assistant
) -> None:
    # The shard fails while the write's new generation is opened on it: the change is
    # committed, and the 503 says so (not served yet; sending it again changes nothing).
    class FailingShards(FakeShards):
        fail = False

        def __call__(self, snapshot: IndexSnapshot, encoder: Encoder | None) -> list[Retriever]:
            if self.fail:
                raise ShardError("shard 2 of 2 died while opening generation 2")
            return super().__call__(snapshot, encoder)

    shards = FailingShards()
    settings = make_settings(tmp_path, persist=True)
    fresh_assistant.save(settings.index_dir)
    fresh_assistant.use_retrievers(shards)
    with TestClient(create_app(settings, fresh_assistant)) as client:
        total = client.get("/v1/documents").json()["total"]
        shards.fail = True
        r = client.post("/v1/documents", json={"articles": [ARTICLE]}, headers=auth())
        error = assert_error(r, 503, "shard_unavailable")
        assert "was stored (generation" in error["message"] and "shard 2 of 2" in error["message"]
        assert r.headers["Retry-After"] == "5"
        # A write the shards refuse before anything is written says nothing of the kind.
        shards.report = DOWN
        r = client.delete("/v1/documents/x", headers=auth())
        assert "was stored" not in assert_error(r, 503, "shard_unavailable")["message"]
        # Once the shards are back the stored change is served.
        shards.fail, shards.report = False, ShardHealth(2)
        fresh_assistant.refresh()
        assert client.get("/v1/documents").json()["total"] == total + 1


# -- on real Ray shards -----------------------------------------------------------------


def _wait_for(client: TestClient, status: int, limit: float) -> tuple[Any, float]:
    started = time.monotonic()
    while True:
        ready = client.get("/readyz")
        waited = time.monotonic() - started
        if ready.status_code == status or waited > limit:
            return ready, waited
        time.sleep(0.1)


@pytest.mark.slow
def test_readyz_follows_a_stopped_shard_and_searches_and_writes_fail_in_bounded_time(
    tmp_path: Path,
) -> None:
    ray = pytest.importorskip("ray", reason="the ray extra is not installed")
    from qa.distributed import _ray
    from qa.index import optimize_index

    settings = make_settings(tmp_path, persist=True, shards=2, shard_timeout=20)
    builder = Assistant.from_paths(list(settings.articles), settings.assistant_config())
    builder.save(settings.index_dir)
    optimize_index(settings.index_dir, max_rows=max(1, builder.snapshot.size // 3))
    _ray.connect(num_cpus=2)  # a new local instance: the two shards (1 CPU each) fill it
    try:
        with TestClient(create_app(settings)) as client:
            client.app.state.loader.join(timeout=120)  # type: ignore[attr-defined]
            assert client.get("/readyz").status_code == 200
            shards = client.app.state.assistant.retrievers  # type: ignore[attr-defined]
            ray.kill(shards.index.actors[0])  # for good: Ray does not restart it
            # Searches fail at once (the actor is gone), a 503 naming the shard.
            started = time.monotonic()
            while True:
                search = client.get("/v1/search", params={"q": SEED_QUESTION, "k": 3})
                if search.status_code != 200 or time.monotonic() - started > 10:
                    break
            assert time.monotonic() - started < 10
            assert "shard 1 of 2" in assert_error(search, 503, "shard_unavailable")["message"]
            # /readyz says so, and why; a write is refused before anything is written.
            error = assert_error(client.get("/readyz"), 503, "shard_unavailable")
            assert "shard 1 of 2 died" in error["message"]
            started = time.monotonic()
            write = client.post("/v1/documents", json={"articles": [ARTICLE]}, headers=auth())
            assert time.monotonic() - started < 10
            assert "shard 1 of 2" in assert_error(write, 503, "shard_unavailable")["message"]
            # A new actor replaces it: ready again, and searches and writes are served.
            back, _ = _wait_for(client, 200, 60)
            assert back.status_code == 200, back.text
            found = client.get("/v1/search", params={"q": SEED_QUESTION, "k": 3})
            assert found.status_code == 200 and found.json()["passages"]
            added = client.post("/v1/documents", json={"articles": [ARTICLE]}, headers=auth())
            assert added.status_code == 200, added.text
            assert added.json()["added"] == 1
            shards.close()
    finally:
        ray.shutdown()
