"""Generated answers: a language model writes, citation verification decides what stays.

:class:`GenerativeAnswerer` asks its :class:`~qa.answering.llm.base.Generator` to answer
from the top passages (:func:`~qa.answering.llm.prompt.answer_prompt`), cuts the text
into sentences as it arrives and verifies each one
(:class:`~qa.answering.verify.CitationVerifier`: citation verification, and the checks of
:mod:`qa.answering.checks` that the extractive reader's answer passes too) before it is
passed on, so no unverified text ever leaves it. :meth:`~GenerativeAnswerer.answer` and
:meth:`~GenerativeAnswerer.stream` share every step after the model's text, so both give
the same answer and citations for the same text.

When no sentence survives (all unsupported, or the model said it does not know), or the
model fails (server unreachable, timed out, model missing), the answer is the extractive
answerer's, and :attr:`~qa.types.Draft.fallback` says why.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace

from corpus.progress import Progress
from qa.answering.base import Answerer
from qa.answering.claim_support import SUPPORT_THRESHOLD
from qa.answering.extractive import ExtractiveAnswerer
from qa.answering.llm.base import Generator, Prompt
from qa.answering.llm.prompt import answer_prompt, parse_rewrite, rewrite_prompt
from qa.answering.splitter import SentenceSplitter
from qa.answering.verify import CitationVerifier, Verified
from qa.errors import QAError
from qa.types import AnswerDelta, Draft, GenerationStats, Passage, Question

__all__ = ["GenerativeAnswerer"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())


class GenerativeAnswerer:
    """Answers with a language model, keeping only sentences its passages support.

    Args:
        generator: the language model.
        fallback: the answerer whose answer is given when nothing generated survives
            (the extractive one, from :func:`~qa.answering.make_answerer`).
        answer_passages: how many of the top passages the model is given.
        threshold: the least share of a claim's words its quotes must contain.

    Raises:
        ValueError: for ``answer_passages < 1`` or a threshold outside (0, 1].
    """

    def __init__(
        self,
        generator: Generator,
        fallback: Answerer,
        *,
        answer_passages: int = 3,
        threshold: float = SUPPORT_THRESHOLD,
    ) -> None:
        if answer_passages <= 0:
            raise ValueError("answer_passages must be greater than 0")
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be greater than 0 and at most 1")
        self.generator = generator
        self.fallback = fallback
        self.answer_passages = answer_passages
        self.threshold = threshold

    @property
    def name(self) -> str:
        """The generator's ``backend:model``."""
        return self.generator.name

    def warm_up(self, progress: Progress | None = None) -> None:
        """Load the model now rather than on the first question.

        Raises:
            ModelUnavailableError: when it cannot be loaded.
        """
        self.generator.warm_up(progress)
        if isinstance(self.fallback, ExtractiveAnswerer):
            self.fallback.warm_up()

    # -- answers ---------------------------------------------------------------------

    def answer(self, question: Question, passages: Sequence[Passage]) -> Draft:
        """The verified generated answer, or the fallback's with the reason.

        Args:
            question: the question (its ``query`` is what the model is asked).
            passages: the retrieved passages, best first.

        Returns:
            The draft; ``dropped`` counts the generated sentences verification removed.
        """
        draft: Draft | None = None
        run = self._run(
            question,
            passages,
            lambda p, sink: (self.generator.generate(p, on_stats=sink),),
        )
        for event in run:
            if isinstance(event, Draft):
                draft = event
        assert draft is not None  # _run always ends with a draft
        return draft

    def stream(
        self, question: Question, passages: Sequence[Passage]
    ) -> Iterator[AnswerDelta | Draft]:
        """The answer as verified sentences while the model writes, then the draft.

        Each :class:`~qa.types.AnswerDelta` is one verified sentence (or the whole
        fallback answer); the last event is the :class:`~qa.types.Draft`, whose text is
        the deltas joined and equals what :meth:`answer` returns for the same model text.
        """
        return self._run(
            question, passages, lambda p, sink: self.generator.stream(p, on_stats=sink)
        )

    def _run(
        self,
        question: Question,
        passages: Sequence[Passage],
        write: Callable[[Prompt, Callable[[GenerationStats], None]], Iterable[str]],
    ) -> Iterator[AnswerDelta | Draft]:
        used = tuple(passages[: self.answer_passages])
        if not used:
            yield from self._fall_back(
                question, passages, "no passage was found to give it", 0, None
            )
            return
        verifier = CitationVerifier(
            question.text, used, query=question.query, threshold=self.threshold
        )
        splitter = SentenceSplitter()
        written: list[str] = []
        measured: list[GenerationStats] = []
        error = ""
        try:
            pieces = iter(write(answer_prompt(question, used), measured.append))
            try:
                for piece in pieces:
                    written.append(piece)
                    for sentence in splitter.feed(piece):
                        text = verifier.add(sentence)
                        if text:
                            yield AnswerDelta(text)
            finally:  # stops a model still writing when the consumer goes away
                close = getattr(pieces, "close", None)
                if close is not None:
                    close()
            for sentence in splitter.close():
                text = verifier.add(sentence)
                if text:
                    yield AnswerDelta(text)
        except (QAError, ImportError) as exc:
            error = str(exc)
            logger.warning("%s could not answer: %s", self.name, error)
        result = verifier.result()
        if logger.isEnabledFor(logging.DEBUG):
            logger.debug(
                "%s wrote %r; verdicts: %s",
                self.name,
                "".join(written),
                [(v.reason or "kept", v.claim.body[:40]) for v in result.verdicts],
            )
        stats = measured[-1] if measured else None
        if result.kept:
            yield Draft(
                result.text,
                result.citations,
                confidence=result.confidence,
                abstained=False,
                generator=self.name,
                dropped=result.dropped,
                generation=stats,
            )
            return
        yield from self._fall_back(
            question, passages, _reason(result, error), result.dropped, stats
        )

    def _fall_back(
        self,
        question: Question,
        passages: Sequence[Passage],
        reason: str,
        dropped: int,
        stats: GenerationStats | None,
    ) -> Iterator[AnswerDelta | Draft]:
        draft = self.fallback.answer(question, passages)
        note = f"{self.name}: {reason}; this is the {self.fallback.name} answer"
        if draft.text:
            yield AnswerDelta(draft.text)
        yield replace(draft, dropped=dropped, fallback=note, generation=stats)

    # -- follow-ups ------------------------------------------------------------------

    def rewrite_follow_up(self, question: str, history: Sequence[tuple[str, str]]) -> str | None:
        """The model's self-contained form of ``question``, or None when it fails or its
        output is not a usable question (see
        :func:`~qa.answering.llm.prompt.parse_rewrite`).

        Args:
            question: the new question.
            history: the earlier ``(question, answer)`` turns, oldest first.
        """
        if not history:
            return None
        try:
            output = self.generator.generate(rewrite_prompt(question, history))
        except (QAError, ImportError) as exc:
            logger.warning("%s could not rewrite the follow-up: %s", self.name, exc)
            return None
        return parse_rewrite(output, question)


def _reason(result: Verified, error: str) -> str:
    """Why nothing generated was kept."""
    if error:
        return f"could not answer ({error})"
    if result.dropped:
        return (
            f"verification dropped all {result.dropped} sentence(s) of its answer: the "
            "passages do not support them"
        )
    if result.unknown:
        return "it found no answer in the passages"
    return "it wrote no answer"
