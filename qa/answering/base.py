"""The answerer contract: a question and its passages in, a draft answer out.

Every answerer owns its confidence and therefore its abstention decision: the
:class:`~qa.types.Draft` it returns says whether it abstained. The
:class:`~qa.assistant.Assistant` adds retrieval, timings and the passages, and never
second-guesses that decision.

Two optional abilities, checked with ``isinstance``: a :class:`StreamingAnswerer` gives
its answer sentence by sentence as each is verified; a :class:`FollowUpRewriter` turns a
follow-up question into a self-contained one (with a language model).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Protocol, runtime_checkable

from corpus.progress import Progress
from qa.types import AnswerDelta, Draft, Passage, Question

__all__ = ["Answerer", "FollowUpRewriter", "StreamingAnswerer"]


class Answerer(Protocol):
    """Writes a cited answer from retrieved passages, or abstains.

    Implementations: :class:`~qa.answering.extractive.ExtractiveAnswerer`,
    :class:`~qa.answering.generative.GenerativeAnswerer`.
    """

    @property
    def name(self) -> str:
        """The backend's name as recorded in :attr:`qa.types.Answer.generator`."""
        ...

    def answer(self, question: Question, passages: Sequence[Passage]) -> Draft:
        """A draft answer to ``question`` from ``passages`` (best first).

        Args:
            question: the question, with its resolved query and focus.
            passages: the retrieved passages, best first.

        Returns:
            The draft: text with ``[n]`` markers and one citation per marker, or the
            abstention message with ``abstained`` set.
        """
        ...


@runtime_checkable
class StreamingAnswerer(Protocol):
    """An answerer that can give its answer piece by piece."""

    def stream(
        self, question: Question, passages: Sequence[Passage]
    ) -> Iterator[AnswerDelta | Draft]:
        """The answer as verified deltas, then the whole :class:`~qa.types.Draft`.

        The deltas joined are the draft's text, and the draft is the one
        :meth:`Answerer.answer` returns for the same question and passages.
        """
        ...

    def warm_up(self, progress: Progress | None = None) -> None:
        """Load what the answerer needs (a model) ahead of the first question."""
        ...


@runtime_checkable
class FollowUpRewriter(Protocol):
    """Rewrites follow-up questions into self-contained ones."""

    def rewrite_follow_up(self, question: str, history: Sequence[tuple[str, str]]) -> str | None:
        """The self-contained form of ``question`` given the earlier turns, or None when
        it could not be made (the caller falls back to :mod:`qa.conversation`'s rules).
        """
        ...
