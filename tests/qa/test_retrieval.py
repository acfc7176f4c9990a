"""Retrieval: script-agnostic matching, filters, fusion."""

from __future__ import annotations

import numpy as np
import pytest

from qa import Assistant, AssistantConfig, Document, SearchFilters
from qa.retrieval import rrf_fuse
from tests.qa.conftest import SEED_CONSORTIUM, SEED_GREEN, source_name


@pytest.mark.parametrize(
    ("query", "article"),
    [
        ("白马湖实验室", SEED_CONSORTIUM),
        ("白馬湖實驗室", SEED_CONSORTIUM),
        ("长三角储能及安全产业链联盟", SEED_GREEN),
        ("ＭＥＭＳ与传感器产业创新联盟", SEED_GREEN),  # full-width latin, simplified
        ("mems與傳感器", SEED_GREEN),  # lower case, traditional
    ],
)
def test_search_is_script_and_width_agnostic(
    seed_assistant: Assistant, query: str, article: str
) -> None:
    passages = seed_assistant.search(query, k=3)
    assert passages
    assert source_name(seed_assistant, passages[0].document.id) == article
    assert "bm25" in passages[0].scores and "fused" in passages[0].scores


def test_simplified_corpus_answers_traditional_question() -> None:
    docs = [
        Document(id="a", title="甲", text="浙江省能源集团牵头共建了白马湖实验室。", source="a"),
        Document(id="b", title="乙", text="上海交易集团提供国有产权综合交易服务。", source="b"),
    ]
    assistant = Assistant.from_documents(docs, AssistantConfig(model=""))
    answer = assistant.ask("白馬湖實驗室由哪家企業牽頭共建?")
    assert not answer.abstained
    assert answer.citations[0].doc_id == "a"
    assert "浙江省能源集團" in answer.text  # traditional question -> traditional answer
    assert answer.citations[0].quote == "浙江省能源集团牵头共建了白马湖实验室。"


def test_filters_restrict_documents(seed_assistant: Assistant) -> None:
    consortium = next(d for d in seed_assistant.documents if d.source.endswith(SEED_CONSORTIUM))
    green = next(d for d in seed_assistant.documents if d.source.endswith(SEED_GREEN))
    only_green = SearchFilters(doc_ids=(green.id,))
    for p in seed_assistant.search("长三角", k=10, filters=only_green):
        assert p.document.id == green.id
    by_outlet = seed_assistant.search("长三角", k=10, filters=SearchFilters(outlets=("中新网",)))
    assert by_outlet and {p.document.id for p in by_outlet} == {consortium.id}
    assert green.published.startswith("2024-07-01")
    dated = seed_assistant.search(
        "长三角",
        k=10,
        filters=SearchFilters(published_from="2024-07-01", published_to="2024-07-01"),
    )
    assert dated and {p.document.id for p in dated} == {green.id}
    none = seed_assistant.search("长三角", k=10, filters=SearchFilters(published_to="2000-01-01"))
    assert none == ()
    nothing = seed_assistant.ask("长三角", filters=SearchFilters(doc_ids=("no-such-id",)))
    assert nothing.abstained and nothing.passages == ()


def test_rrf_fuses_and_orders() -> None:
    fused = rrf_fuse({"a": np.array([1, 2, 3]), "b": np.array([3, 1])}, k=60)
    rows = [row for row, _ in fused]
    assert rows[0] == 1  # ranks 1 and 2
    assert rows[1] == 3  # ranks 3 and 1
    assert rows[2] == 2
    assert fused[0][1] == pytest.approx(1 / 61 + 1 / 62)
