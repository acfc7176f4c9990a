"""End-to-end questions over the seed articles: answer, citation, script, abstention."""

from __future__ import annotations

import pytest

from qa import Assistant, InvalidQuestionError, detect_script, normalize_for_matching
from tests.qa.conftest import SEED_CONSORTIUM, SEED_GREEN, source_name

# (question, expected article, a phrase the answer must contain, script-normalised)
SEED_QUESTIONS = [
    ("长三角国资百企联盟创新子联盟由哪些企业牵头组建?", SEED_CONSORTIUM, "浙江省能源集团"),
    ("長三角國資百企聯盟創新子聯盟由哪些企業牽頭組建?", SEED_CONSORTIUM, "浙江省能源集团"),
    ("长三角三省一市前三季度的GDP总量是多少?", SEED_CONSORTIUM, "23.2万亿元"),
    ("创新子联盟的首批成员单位有多少家国企?", SEED_CONSORTIUM, "20家"),
    ("白马湖实验室是哪家企业牵头共建的?", SEED_CONSORTIUM, "浙江省能源集团"),
    ("第六届长三角地区国资国企联席会议在哪里召开?", SEED_CONSORTIUM, "杭州"),
    (
        "国务院国资委规划发展局副局长尚鹏表示国资央企将与长三角在哪些方面深化合作?",
        SEED_CONSORTIUM,
        "产业发展",
    ),
    ("2024年度长三角企业家联盟会议在哪里召开?", SEED_GREEN, "温州"),
    ("会议现场发布了多少个长三角地区民营企业发展新质生产力样本?", SEED_GREEN, "36个"),
    ("長三角企業家聯盟此前已推動成立了多少個產業鏈聯盟?", SEED_GREEN, "14个"),
    ("长三角企业家联盟成立于什么时候?", SEED_GREEN, "2020年度"),
    ("长三角汽车后市场产销合作产业链联盟将加强哪些企业的对接?", SEED_GREEN, "零部件"),
]

UNANSWERABLE = [
    "2022年世界杯足球赛的冠军是哪支球队?",
    "厦门南洋职业学院启动了什么知识库建设?",  # only in the removed related-article list
    "低空经济报的微信号是多少?",  # only in the removed footer
    "量子计算机的工作原理是什么?",
]


@pytest.mark.parametrize(("question", "article", "phrase"), SEED_QUESTIONS)
def test_seed_question_is_answered_from_the_right_article(
    seed_assistant: Assistant, question: str, article: str, phrase: str
) -> None:
    answer = seed_assistant.ask(question)
    assert not answer.abstained, answer
    assert answer.citations
    assert source_name(seed_assistant, answer.citations[0].doc_id) == article
    assert phrase in normalize_for_matching(answer.text)
    # Every marker in the text has its citation, and every citation is used.
    for c in answer.citations:
        assert f"[{c.marker}]" in answer.text


def test_the_example_question_matches_the_issue(seed_assistant: Assistant) -> None:
    answer = seed_assistant.ask("长三角国资百企联盟创新子联盟由哪些企业牵头组建?")
    assert "由浙江省能源集团等4家企业牵头组建 [1]" in answer.text
    c = answer.citations[0]
    doc = seed_assistant.get_document(c.doc_id)
    assert doc is not None
    assert c.quote == doc.text[c.start : c.end]
    assert "由浙江省能源集團等4家企業牽頭組建" in c.quote  # original script in the quote
    assert c.outlet == "中新網"
    assert c.title  # the first line where the article has no title


@pytest.mark.parametrize("question", [q for q, _, _ in SEED_QUESTIONS])
def test_answer_is_in_the_question_script(seed_assistant: Assistant, question: str) -> None:
    answer = seed_assistant.ask(question)
    script = detect_script(question)
    if script != "unknown":
        assert detect_script(answer.text) in (script, "unknown")


def test_quotes_are_exact_source_text(seed_assistant: Assistant) -> None:
    for question, _, _ in SEED_QUESTIONS:
        for c in seed_assistant.ask(question).citations:
            doc = seed_assistant.get_document(c.doc_id)
            assert doc is not None
            assert doc.text[c.start : c.end] == c.quote
            chunk_ids = {p.chunk.id for p in seed_assistant.ask(question).passages}
            assert c.chunk_id in chunk_ids


@pytest.mark.parametrize("question", UNANSWERABLE)
def test_unanswerable_question_abstains(seed_assistant: Assistant, question: str) -> None:
    answer = seed_assistant.ask(question)
    assert answer.abstained, answer.text
    assert answer.citations == ()
    assert "没有找到" in normalize_for_matching(answer.text)


def test_answer_has_timings_and_passages(seed_assistant: Assistant) -> None:
    answer = seed_assistant.ask("白马湖实验室", top_k=2)
    assert len(answer.passages) <= 2
    assert set(answer.timings) == {"retrieve_ms", "answer_ms", "total_ms"}
    assert [p.rank for p in answer.passages] == list(range(1, len(answer.passages) + 1))


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_is_refused(seed_assistant: Assistant, question: str) -> None:
    with pytest.raises(InvalidQuestionError, match="empty"):
        seed_assistant.ask(question)


def test_overlong_question_is_refused(seed_assistant: Assistant) -> None:
    with pytest.raises(InvalidQuestionError, match="limit"):
        seed_assistant.ask("长" * 100_000)
    with pytest.raises(InvalidQuestionError):
        seed_assistant.search("长" * 100_000)
