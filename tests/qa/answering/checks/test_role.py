"""``role``: the role asked about left unfilled."""

from __future__ import annotations

import pytest

from qa import analyze_question
from qa.answering.checks.role import RoleCheck, attribute_stated
from qa.answering.extractive.sentences import Candidate
from tests.qa.answering.checks.evidence import evidence, fires

CHECK = RoleCheck()


@pytest.mark.parametrize(
    ("question", "sentence", "fired"),
    [
        # a role asked of a sentence that names neither the role nor anybody
        ("长三角企业家联盟的秘书长是谁?", 1, True),
        ("倡議書的起草人是誰?", 2, True),
        ("授牌仪式的主持人是谁?", 5, True),
        # ... or names it only as its deputy
        ("规划发展局的局长是谁?", 3, True),
        # an office (and the organisation holding it) the sentences do not name, even
        # where they name a person
        ("规划发展局的秘书长是谁?", 3, True),
        ("产业链联盟的理事长单位是哪家企业?", 5, True),
        # not where the sentence names a person (尚鹏), nor a question with no
        # attribute, nor another answer type
        ("规划发展局的处长是谁?", 3, False),
        ("谁推动成立了三批产业链联盟?", 1, False),
        ("长三角企业家联盟的秘书处在哪里?", 1, False),
        # the deputy asked about is stated
        ("国务院国资委规划发展局的副局长是谁?", 3, False),
        # a missing attribute on its own is no rule (docs/decisions.md)
        ("该联盟的成员单位有哪些?", 4, False),
    ],
)
def test_unfilled_role(
    candidates: list[Candidate], question: str, sentence: int, fired: bool
) -> None:
    assert fires(CHECK, question, evidence(candidates[sentence])) is fired


def test_the_role_stated_in_the_sentence_before_counts(candidates: list[Candidate]) -> None:
    # 副局长 does not state 局长, but it does state itself; sentence 4 is read with 3.
    assert not fires(CHECK, "规划发展局的副局长是谁?", evidence(candidates[4]))
    assert not fires(CHECK, "规划发展局的处长是谁?", evidence(candidates[4]))
    assert fires(CHECK, "规划发展局的处长是谁?", evidence(candidates[5]))


def test_attribute_stated(candidates: list[Candidate]) -> None:
    assert attribute_stated(analyze_question("联盟的理事长是谁?"), evidence(candidates[0])) is False
    assert attribute_stated(analyze_question("联盟成立了几批?"), evidence(candidates[0]))
    assert attribute_stated(analyze_question("规划发展局的副局长是谁?"), evidence(candidates[3]))
    assert not attribute_stated(analyze_question("规划发展局的局长是谁?"), evidence(candidates[3]))
