"""The checks in use, in the order their reason is given: one registry.

:data:`CHECKS` is an immutable tuple of check instances, constructed here, explicitly.
The extractive reader (:func:`~qa.answering.extractive.reader.read`) and citation
verification of generated answers (:class:`~qa.answering.verify.CitationVerifier`) both
judge their evidence with it; a new rule is a class of its own module in this package,
with its own tests, added here.
"""

from __future__ import annotations

from collections.abc import Sequence

from qa.analysis.question import QuestionAnalysis
from qa.answering.checks.base import Check, Evidence, Scope
from qa.answering.checks.constraint import ConstraintCheck
from qa.answering.checks.role import RoleCheck

__all__ = ["CHECKS", "MIN_FIRINGS", "check_named", "failures", "first_failure", "scoped"]

MIN_FIRINGS = 10
"""A check is kept only if it fires at least this often on the reader's chosen sentence
over the pooled benchmark (CMRC 2018 + DRCD dev, 6,743 questions): one that fires less
encodes questions, not a method (``qa eval`` prints the firings, ``checks.md``)."""

CHECKS: tuple[Check, ...] = (
    ConstraintCheck(),
    RoleCheck(),
)
"""Every check in use, in the order their reason is given (the first that fires):
``constraint`` (34 firings on the pooled benchmark) and ``role`` (13)."""


def first_failure(
    question: QuestionAnalysis, evidence: Evidence, checks: Sequence[Check] = CHECKS
) -> str:
    """The name of the first check that fires on ``evidence`` ("" when none does).

    Args:
        question: the analysed question.
        evidence: what the answer rests on.
        checks: the checks to apply, in order (default: :data:`CHECKS`).

    Returns:
        ``constraint`` or ``role`` (with the default checks) or "".
    """
    for check in checks:
        if check.fires(question, evidence):
            return check.name
    return ""


def failures(
    question: QuestionAnalysis, evidence: Evidence, checks: Sequence[Check] = CHECKS
) -> tuple[str, ...]:
    """The names of every check that fires on ``evidence``, in order (for statistics:
    :func:`first_failure` stops at the first)."""
    return tuple(check.name for check in checks if check.fires(question, evidence))


def scoped(scope: Scope, checks: Sequence[Check] = CHECKS) -> tuple[Check, ...]:
    """The checks of one scope (``statement`` or ``answer``), in order."""
    return tuple(check for check in checks if check.scope == scope)


def check_named(name: str, checks: Sequence[Check] = CHECKS) -> Check:
    """The check called ``name``.

    Raises:
        KeyError: when no check has that name.
    """
    for check in checks:
        if check.name == name:
            return check
    raise KeyError(f"no check is called {name!r}; the checks are {[c.name for c in checks]}")
