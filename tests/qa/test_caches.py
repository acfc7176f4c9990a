"""The per-generation caches of an assistant: sized by its configuration, and dropped
with their generation when a new one is served."""

from __future__ import annotations

import gc
import weakref

import pytest

from corpus.types import Document
from qa import Assistant, AssistantConfig

TEXTS = (
    "第六届长三角地区国资国企联席会议于2024年6月5日在浙江杭州召开。",
    "长三角三省一市前三季度的GDP总量创新高，达23.2万亿元。",
    "第三次会议由上海主办，来自各地的代表参加了会议。",
)


def _documents() -> list[Document]:
    return [Document(id=f"d{i}", title="", text=t, source=f"d{i}.txt") for i, t in enumerate(TEXTS)]


def test_the_caches_take_their_sizes_from_the_config() -> None:
    config = AssistantConfig(model="", score_cache_mb=3, sentence_cache_mb=2)
    assistant = Assistant.from_documents(_documents(), config)
    state = assistant._state
    assert state.snapshot.bm25.cache_bytes == 3 << 20
    assistant.ask("长三角前三季度的GDP总量是多少？")
    pool = state.answerer._pool  # type: ignore[attr-defined]
    assert 0 < pool.used <= 2 << 20


def test_a_new_generation_gets_new_caches_and_the_old_ones_go() -> None:
    assistant = Assistant.from_documents(_documents(), AssistantConfig(model="", score_cache_mb=1))
    assistant.ask("第三次会议由哪里主办？")
    old = assistant._state
    pool = weakref.ref(old.answerer._pool)  # type: ignore[attr-defined]
    bm25 = weakref.ref(old.snapshot.bm25)
    del old
    assistant.add_documents([Document(id="new", title="", text="上海今天举行了会议。", source="n")])
    state = assistant._state
    assert state.snapshot.bm25 is not bm25() and state.snapshot.bm25.cache_bytes == 1 << 20
    assert state.answerer._pool.used == 0  # type: ignore[attr-defined]
    gc.collect()
    assert pool() is None and bm25() is None


@pytest.mark.parametrize("field", ["score_cache_mb", "sentence_cache_mb"])
def test_negative_sizes_are_refused(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        AssistantConfig(model="", **{field: -1})
