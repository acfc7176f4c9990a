"""The answerer contract: a question and its passages in, a draft answer out.

Every answerer owns its confidence and therefore its abstention decision: the
:class:`~qa.types.Draft` it returns says whether it abstained. The
:class:`~qa.assistant.Assistant` adds retrieval, timings and the passages, and never
second-guesses that decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from qa.types import Draft, Passage, Question

__all__ = ["Answerer"]


class Answerer(Protocol):
    """Writes a cited answer from retrieved passages, or abstains.

    Implementations: :class:`~qa.answering.extractive.ExtractiveAnswerer`.
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
