"""``constraint``: another value of what the question states (qa.answering.checks.constraint)."""

from __future__ import annotations

import pytest

from corpus.types import Document
from qa import analyze_question
from qa.answering.checks.constraint import ConstraintCheck, conflicts
from qa.answering.extractive.sentences import Candidate
from tests.qa.answering.checks.evidence import candidates_of, evidence, fires

CHECK = ConstraintCheck()


@pytest.mark.parametrize(
    ("question", "sentence", "fired"),
    [
        # another ordinal, or a count in Chinese numerals against one in digits
        ("第五届联席会议在哪里召开?", 0, True),
        ("联盟已推动成立四批共多少个产业链联盟?", 1, True),
        # the same value, in digits or numerals; no constraint; one the sentence lacks
        ("第六届联席会议在哪里召开?", 0, False),
        ("联盟已推动成立三批共多少个产业链联盟?", 1, False),
        ("联席会议在哪里召开?", 0, False),
        ("2024年的联席会议在哪里召开?", 0, False),
    ],
)
def test_fires_on_another_value(
    candidates: list[Candidate], question: str, sentence: int, fired: bool
) -> None:
    assert fires(CHECK, question, evidence(candidates[sentence])) is fired


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        # the same value in other words satisfies the constraint and is no conflict
        ("首届联盟是哪一年成立的?", "第一屆聯盟於2018年成立。", (1, 1, False)),
        ("提名影片从哪一年开始增加到十部?", "2010年起提名影片數擴大到10部。", (1, 1, False)),
        ("13世纪时罗马人以什么人为主力?", "13世紀初，羅馬人以突厥人為主力。", (1, 1, False)),
        ("图伯特是清朝时哪一地区的称呼?", "西藏在清代又稱圖伯特。", (1, 1, False)),
        ("2003年1月担任编辑长的是谁?", "2003年1月24號，擔任編輯長的高橋俊昌過世。", (1, 1, False)),
        # another value of the same kind still conflicts
        ("14世纪时罗马人以什么人为主力?", "13世紀初，羅馬人以突厥人為主力。", (1, 0, True)),
        ("图伯特是唐朝时哪一地区的称呼?", "西藏在清代又稱圖伯特。", (1, 0, True)),
        ("2003年2月担任编辑长的是谁?", "2003年1月24號，擔任編輯長的高橋俊昌過世。", (1, 0, True)),
    ],
)
def test_constraints_in_other_words(
    question: str, sentence: str, expected: tuple[int, int, bool]
) -> None:
    (candidate,) = candidates_of(Document(id="c", title="", text=sentence, source="c.txt"))
    analysis = analyze_question(question)
    assert conflicts(analysis, candidate.sentence, candidate.previous) == expected
    assert CHECK.fires(analysis, evidence(candidate)) is expected[2]


def test_periods_and_counts() -> None:
    text = (
        "第六屆長三角地區國資國企聯席會議在浙江杭州召開。"
        "長三角三省一市前三季度的GDP總量創新高，達23.2萬億元。"
    )
    meeting, gdp = candidates_of(Document(id="d", title="", text=text, source="d.txt"))
    assert conflicts(analyze_question("长三角全年GDP是多少?"), gdp.sentence)[2]
    assert conflicts(analyze_question("长三角前三季度GDP是多少?"), gdp.sentence) == (1, 1, False)
    # A constraint the sentence does not mention at all is no conflict.
    assert conflicts(analyze_question("2024年联席会议在哪里召开?"), meeting.sentence) == (
        1,
        0,
        False,
    )


def test_the_sentence_before_satisfies_but_does_not_contradict(
    candidates: list[Candidate],
) -> None:
    # Sentence 1 is read with 0 (第六届): a question about it is satisfied there...
    analysis = analyze_question("第六届会议前联盟成立了多少个产业链联盟?")
    assert conflicts(analysis, candidates[1].sentence, candidates[1].previous) == (1, 1, False)
    # ... and another ordinal in the sentence before is no contradiction of the sentence.
    other = analyze_question("第五届会议前联盟成立了多少个产业链联盟?")
    assert not CHECK.fires(other, evidence(candidates[1]))
