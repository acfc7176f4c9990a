"""Follow-up questions resolved against earlier turns (qa.conversation)."""

from __future__ import annotations

import pytest

from qa import Assistant, analyze_follow_up, resolve_follow_up
from qa.conversation import question_topic

SEED = "长三角国资百企联盟创新子联盟由哪些企业牵头组建?"
TOPIC = "长三角国资百企联盟创新子联盟"


@pytest.mark.parametrize(
    ("question", "topic"),
    [
        (SEED, TOPIC),
        ("長三角綠色低碳產業鏈聯盟在哪裡成立?", "長三角綠色低碳產業鏈聯盟"),
        ("浙江省能源集团牵头共建了什么实验室?", "浙江省能源集团"),
        ("第六届长三角地区国资国企联席会议的主题是什么?", "第六届长三角地区国资国企联席会议"),
        ("GDP总量多少?", "GDP总量"),
        ("?", ""),
    ],
)
def test_question_topic(question: str, topic: str) -> None:
    assert question_topic(question) == topic


@pytest.mark.parametrize(
    ("follow_up", "query"),
    [
        ("它的首批成员有多少家?", f"{TOPIC}的首批成员有多少家?"),
        ("其成员来自哪些行业?", f"{TOPIC}成员来自哪些行业?"),
        ("那首批成员呢?", f"{TOPIC}首批成员呢?"),
        ("首批成员呢?", f"{TOPIC}的首批成员呢"),
    ],
)
def test_follow_ups_get_the_earlier_topic(follow_up: str, query: str) -> None:
    assert resolve_follow_up(follow_up, [(SEED, "由浙江省能源集团等4家企业牵头组建 [1]")]) == query


@pytest.mark.parametrize(
    "question",
    [
        "白马湖实验室是谁牵头共建的?",  # names its own topic
        "长三角国资百企联盟创新子联盟的首批成员有多少家?",  # repeats the topic
        "其中有多少家国企?",  # 其中 is not a reference back
        "长三角三省一市前三季度的GDP总量是多少?",
    ],
)
def test_self_contained_questions_are_unchanged(question: str) -> None:
    resolved = analyze_follow_up(question, [SEED])
    assert not resolved.is_follow_up
    assert resolved.query == resolved.focus == question


def test_no_history_no_change() -> None:
    assert resolve_follow_up("它的首批成员有多少家?", []) == "它的首批成员有多少家?"
    assert (
        resolve_follow_up("它的首批成员有多少家?", [("", ""), ("  ", "x")])
        == "它的首批成员有多少家?"
    )


def test_follow_up_of_a_follow_up_keeps_the_topic() -> None:
    history = ["長三角綠色低碳產業鏈聯盟由哪些單位發起?", "它在哪里成立?"]
    resolved = analyze_follow_up("它有多少成员?", history)
    assert resolved.topic == "長三角綠色低碳產業鏈聯盟"
    assert resolved.query == "長三角綠色低碳產業鏈聯盟有多少成员?"
    assert resolved.focus == "有多少成员"


def test_the_latest_topic_wins() -> None:
    history = [SEED, "白马湖实验室是谁牵头共建的?"]
    assert resolve_follow_up("它领办了多少项目?", history).startswith("白马湖实验室")


def test_assistant_answers_the_seed_follow_up(seed_assistant: Assistant) -> None:
    first = seed_assistant.ask(SEED)
    answer = seed_assistant.ask("它的首批成员有多少家?", history=[(SEED, first.text)])
    assert not answer.abstained
    assert "20家国企成为首批成员单位" in answer.text
    quote = answer.citations[0].quote
    assert "20家國企成為首批成員單位" in quote
    doc = seed_assistant.get_document(answer.citations[0].doc_id)
    assert (
        doc is not None and doc.text[answer.citations[0].start : answer.citations[0].end] == quote
    )
    assert answer.question == "它的首批成员有多少家?"


def test_history_is_optional_and_harmless(seed_assistant: Assistant) -> None:
    plain = seed_assistant.ask(SEED)
    with_history = seed_assistant.ask(SEED, history=["白马湖实验室是谁牵头共建的?"])
    assert plain.text == with_history.text
