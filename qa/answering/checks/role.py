"""``role``: the role asked about is left unfilled."""

from __future__ import annotations

from qa.analysis.question import QuestionAnalysis
from qa.answering.checks.base import Evidence, Scope
from qa.answering.claims import names_a_person
from qa.lexicon import OFFICE_HOLDER, OFFICES

__all__ = ["RoleCheck", "attribute_stated"]


def attribute_stated(analysis: QuestionAnalysis, evidence: Evidence) -> bool:
    """Whether the sentence (or the one before it) names the attribute asked about.

    True when the question asks about no attribute. The attribute's deputy does not
    count (``副局长`` does not state ``局长``) unless the deputy is what is asked.
    """
    attribute = analysis.attribute
    if not attribute:
        return True
    for text in evidence.texts:
        start = text.find(attribute)
        while start >= 0:
            if attribute.startswith("副") or not text[:start].endswith("副"):
                return True
            start = text.find(attribute, start + 1)
    return False


class RoleCheck:
    """The sentences name the attribute asked about only as its deputy (``副局长`` for
    ``…的局长是谁``); or the question asks who holds a role (``…的秘书长是谁``) that
    neither sentence names, and neither names a person at all (jieba's ``nr*``): there
    is nobody in them to be the answer; or the attribute is an office
    (:data:`~qa.lexicon.OFFICES`: ``理事长单位``, ``校长``) that neither sentence names."""

    __slots__ = ()
    name = "role"
    description = (
        "unfilled role: deputy only (副局长 for 局长), a person asked by a role neither "
        "sentence names nor fills with a person, or an office neither names"
    )
    scope: Scope = "answer"

    def fires(self, question: QuestionAnalysis, evidence: Evidence) -> bool:
        attribute = question.attribute
        if not attribute or attribute_stated(question, evidence):
            return False
        texts = evidence.texts
        if any("副" + attribute in text for text in texts):
            return True
        held = attribute.removesuffix(OFFICE_HOLDER)
        office = next((o for o in OFFICES if held.endswith(o)), None)
        if office is not None and not any(office in text for text in texts):
            return True
        return question.answer_type == "person" and not any(names_a_person(t) for t in texts)
