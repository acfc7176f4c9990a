"""The contract of a check: what it reads of a draft, and what it says.

A check is a rule about what the question states and what the evidence for an answer
states: not a fitted weight, but a veto beside the learned confidence. It reads the
question's analysis and an :class:`Evidence` (the sentence that answers, the sentence
before it, their document and the short answer) and says whether it **fires**: the
evidence does not support what the question states, so the answer is no answer to it.

Every check has a ``name`` (the reason an abstention or a dropped claim gives), a
``description`` (one line, for tables of firing statistics) and a ``scope``:

* ``statement``: it fires where the evidence states something *other* than the question
  (another ordinal, currency, place, a near miss of a name): a source that does so
  supports no claim about the question;
* ``answer``: it fires where the evidence *lacks* what the question asks (no number for
  a count, no 年 for a year): a sentence may still give context, but an answer needs
  one sentence that has it.

The extractive reader's answer is one sentence: every check applies to it. A generated
answer has several claims: statement checks apply to each claim's quotes, answer checks
to the answer as a whole (:mod:`qa.answering.verify`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

from corpus.normalize import Folded, fold
from qa.analysis.question import Constraint, QuestionAnalysis, constraint_of
from qa.analysis.spans import TypedSpan, typed_spans

if TYPE_CHECKING:
    from corpus.types import Document

__all__ = ["Check", "Evidence", "Scope", "Stated", "StatedText", "stated_values"]

Scope = Literal["statement", "answer"]


class Stated(Protocol):
    """A stretch of source text as the checks read it (a prepared candidate sentence of
    the reader, or a quote of a generated claim)."""

    @property
    def folded(self) -> Folded:
        """The text folded for matching."""
        ...

    @property
    def spans(self) -> tuple[TypedSpan, ...]:
        """Its typed spans (dates, numbers, names, ...)."""
        ...

    @property
    def values(self) -> frozenset[Constraint]:
        """The constraints its typed spans state."""
        ...


def stated_values(spans: tuple[TypedSpan, ...]) -> frozenset[Constraint]:
    """The constraints typed spans state (those of kinds that constrain nothing left out)."""
    return frozenset(c for t in spans if (c := constraint_of(t)) is not None)


@dataclass(frozen=True, slots=True)
class StatedText:
    """A source text prepared for the checks (build with :meth:`of`)."""

    folded: Folded
    spans: tuple[TypedSpan, ...]
    values: frozenset[Constraint]

    @classmethod
    def of(cls, text: str) -> StatedText:
        """Fold ``text`` and read its typed spans and the values they state."""
        folded = fold(text)
        spans = tuple(typed_spans(folded.text))
        return cls(folded, spans, stated_values(spans))


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a check reads of an answer.

    Attributes:
        sentence: the sentence that answers (for a generated claim: its quote).
        previous: the sentence before it, where read (a subject, a role, a title named
            there counts).
        document: their document (its whole text, its publication date).
        answer: the short answer, folded (for a generated claim: the claim).
    """

    sentence: Stated
    previous: Stated | None
    document: Document
    answer: str = ""

    @property
    def sentences(self) -> tuple[Stated, ...]:
        """The sentence, then the one before it where there is one."""
        if self.previous is None:
            return (self.sentence,)
        return (self.sentence, self.previous)

    @property
    def texts(self) -> tuple[str, ...]:
        """The folded texts of :attr:`sentences`."""
        return tuple(s.folded.text for s in self.sentences)


class Check(Protocol):
    """A rule on what the question states and the evidence does not support.

    Attributes:
        name: the reason given when it fires (``constraint``, ``role``, ...).
        description: what it checks, in one line.
        scope: ``statement`` (the evidence states something else) or ``answer`` (it
            lacks what is asked).
    """

    @property
    def name(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def scope(self) -> Scope: ...

    def fires(self, question: QuestionAnalysis, evidence: Evidence) -> bool:
        """Whether ``evidence`` fails to support what ``question`` states."""
        ...
