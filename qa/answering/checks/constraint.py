"""``constraint``: the sentence states another value of what the question states."""

from __future__ import annotations

from qa.analysis.question import QuestionAnalysis, compatible
from qa.answering.checks.base import Evidence, Scope, Stated

__all__ = ["ConstraintCheck", "conflicts"]


def conflicts(
    analysis: QuestionAnalysis, sentence: Stated, previous: Stated | None = None
) -> tuple[int, int, bool]:
    """How the question's constraints fare in a sentence (and the sentence before it).

    The sentence ranker's constraint features (``cons_total``, ``cons_sat``,
    ``cons_conflict``) and :class:`ConstraintCheck` both read it.

    Returns:
        ``(stated, satisfied, conflict)``: how many constraints the question states, how
        many the sentence (or the one before it) states too, in any wording
        (:func:`~qa.analysis.question.compatible`: ``首届`` for ``第一届``, ``2003年1月24号``
        for ``2003年1月``), and whether the sentence states another value of the same
        kind instead of one the question states (``第六届`` for ``第五届``, ``前三季度``
        for ``全年``).
    """
    if not analysis.constraints:
        return 0, 0, False  # nothing to compare: the sentence's values are not read
    values = set(sentence.values)
    if previous is not None:
        values |= previous.values
    satisfied = 0
    conflict = False
    for c in analysis.constraints:
        if any(compatible(c, v) for v in values):
            satisfied += 1
            continue
        unit = c.value.split("|", 1)[1] if "|" in c.value else None
        for v in sentence.values:
            if v.kind != c.kind:
                continue
            if c.kind in ("ordinal", "quantity", "percent"):
                v_unit = v.value.split("|", 1)[1] if "|" in v.value else None
                if v_unit != unit:
                    continue
            conflict = True
            break
    return len(analysis.constraints), satisfied, conflict


class ConstraintCheck:
    """Another value of an ordinal, year, date, period, quantity or percentage the
    question states (``第六届`` for ``第五届``, ``三批`` for ``四批``: counts in Chinese
    numerals compare with counts in digits)."""

    __slots__ = ()
    name = "constraint"
    description = "contradicted constraint (ordinal, year, date, period, quantity, percentage)"
    scope: Scope = "statement"

    def fires(self, question: QuestionAnalysis, evidence: Evidence) -> bool:
        return conflicts(question, evidence.sentence, evidence.previous)[2]
