"""The generator contract: a prompt in, the model's text out, whole or in pieces.

A :class:`Generator` wraps one language model backend (a local transformers model, an
OpenAI-compatible server). It knows nothing of passages or citations: the
:class:`~qa.answering.generative.GenerativeAnswerer` builds the prompt
(:mod:`qa.answering.llm.prompt`) and verifies what comes back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from corpus.progress import Progress
from qa.types import GenerationStats

__all__ = [
    "GenerationMeter",
    "GenerationStats",
    "Generator",
    "Message",
    "Prompt",
    "StatsSink",
    "StopFilter",
    "cut_at_stop",
]

StatsSink = Callable[[GenerationStats], None]
"""Receives the :class:`~qa.types.GenerationStats` of one generation."""

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class Message:
    """One chat message.

    Attributes:
        role: ``system``, ``user`` or ``assistant``.
        content: its text.
    """

    role: Role
    content: str

    def to_dict(self) -> dict[str, str]:
        """The ``{"role": ..., "content": ...}`` form of chat APIs and templates."""
        return {"role": self.role, "content": self.content}


@dataclass(frozen=True, slots=True)
class Prompt:
    """What a model is asked, as chat messages and as plain text for base models.

    Attributes:
        messages: the chat messages (system first).
        cue: the line a plain-text prompt ends with; the answer continues it
            (``回答：``).
        stop: where a base model's continuation ends (it would go on to write the next
            question); chat models end on their own. Whitespace before the answer does
            not count.
        example: a worked example put before the last message in the plain-text form
            (base models follow a format they are shown better than one they are told).
    """

    messages: tuple[Message, ...]
    cue: str
    stop: tuple[str, ...] = ()
    example: str = ""

    def plain(self) -> str:
        """The prompt as one text, for models without a chat template."""
        parts = [m.content.strip() for m in self.messages]
        if self.example and parts:
            parts.insert(len(parts) - 1, self.example.strip())
        return "\n\n".join(parts) + f"\n{self.cue}"


class Generator(Protocol):
    """A language model that continues prompts.

    Implementations: :class:`~qa.answering.llm.transformers.TransformersGenerator`,
    :class:`~qa.answering.llm.openai.OpenAIGenerator`. Both decode greedily, so the
    same prompt gives the same text whole or streamed.
    """

    @property
    def name(self) -> str:
        """``backend:model``, as recorded in :attr:`qa.types.Answer.generator`."""
        ...

    def warm_up(self, progress: Progress | None = None) -> None:
        """Load the model (or check nothing needs loading) ahead of the first question.

        Raises:
            ModelUnavailableError: when the model cannot be loaded.
        """
        ...

    def generate(self, prompt: Prompt, *, on_stats: StatsSink | None = None) -> str:
        """The model's whole answer to ``prompt``.

        ``on_stats``, when given, is called once with the generation's token counts and
        times when it has finished (not when it fails). Each generation is also logged at
        INFO (``qa … -v``) with the same figures.

        Raises:
            GenerationError: when the model or its server fails.
            ModelUnavailableError: when the model cannot be loaded.
        """
        ...

    def stream(self, prompt: Prompt, *, on_stats: StatsSink | None = None) -> Iterator[str]:
        """The model's answer to ``prompt`` in pieces as it is written (joined: what
        :meth:`generate` returns).

        ``on_stats``, when given, is called once with the generation's token counts and
        times when it has finished or the iterator was closed early (not when it fails).

        Raises:
            GenerationError: when the model or its server fails (possibly after some
                pieces).
            ModelUnavailableError: when the model cannot be loaded.
        """
        ...


class GenerationMeter:
    """Times one generation and counts its tokens, for :class:`~qa.types.GenerationStats`.

    The clock starts at construction (when the request is made); :meth:`token` marks
    generated tokens as they come (the first one's time is the time to first token);
    :meth:`finish` stops the clock (the end of generation, which a consumer of a stream
    may see later). Safe to feed from the thread that generates while another reads.

    Args:
        generator: the backend and model, as :attr:`Generator.name`.
        clock: the time source (tests).
    """

    def __init__(self, generator: str, clock: Callable[[], float] = time.perf_counter) -> None:
        self.generator = generator
        self.prompt_tokens: int | None = None
        self.new_tokens: int | None = None
        self._clock = clock
        self._start = clock()
        self._first: float | None = None
        self._end: float | None = None

    def token(self, count: int = 1) -> None:
        """Mark ``count`` generated tokens, now."""
        if count <= 0:
            return
        if self._first is None:
            self._first = self._clock()
        self.new_tokens = (self.new_tokens or 0) + count

    def first_token(self) -> None:
        """Mark the first generated text, now, where tokens are not counted one by one (a
        server's stream)."""
        if self._first is None:
            self._first = self._clock()

    def finish(self) -> None:
        """Stop the clock (a second call changes nothing)."""
        if self._end is None:
            self._end = self._clock()

    def stats(self) -> GenerationStats:
        """The figures so far (the clock stopped now where :meth:`finish` was not called)."""
        end = self._end if self._end is not None else self._clock()
        return GenerationStats(
            generator=self.generator,
            prompt_tokens=self.prompt_tokens,
            new_tokens=self.new_tokens,
            seconds=max(0.0, end - self._start),
            first_token_seconds=None if self._first is None else self._first - self._start,
        )

    def report(self, logger: logging.Logger, on_stats: StatsSink | None) -> GenerationStats:
        """Stop the clock, log the figures at INFO (also as the record's ``generation``
        field, which the service's JSON logs write out) and give them to ``on_stats``."""
        self.finish()
        stats = self.stats()
        logger.info(
            "%s: %s", self.generator, stats.describe(), extra={"generation": stats.to_dict()}
        )
        if on_stats is not None:
            on_stats(stats)
        return stats


def cut_at_stop(text: str, stops: tuple[str, ...]) -> str:
    """``text`` without leading whitespace, up to the first occurrence of any of
    ``stops`` (all of it without stops)."""
    if not stops:
        return text
    return _cut(text.lstrip(), stops)


def _cut(text: str, stops: tuple[str, ...]) -> str:
    cut = min((i for s in stops if s and (i := text.find(s)) >= 0), default=len(text))
    return text[:cut]


class StopFilter:
    """Passes streamed text on until a stop string appears, holding back what could be
    the start of one. Joined, its output is :func:`cut_at_stop` of the whole text.

    Args:
        stops: the stop strings.
    """

    def __init__(self, stops: tuple[str, ...]) -> None:
        self._stops = tuple(s for s in stops if s)
        self._held = ""
        self._started = not self._stops  # leading whitespace is dropped when stopping
        self.stopped = False

    def feed(self, piece: str) -> str:
        """Add ``piece``; returns the text that is now safe to pass on."""
        if self.stopped:
            return ""
        if not self._started:
            piece = piece.lstrip()
            if not piece:
                return ""
            self._started = True
        text = self._held + piece
        cut = _cut(text, self._stops)
        if cut != text:
            self.stopped = True
            self._held = ""
            return cut
        keep = max((_overlap(text, s) for s in self._stops), default=0)
        self._held = text[len(text) - keep :] if keep else ""
        return text[: len(text) - keep]

    def close(self) -> str:
        """The text held back at the end (it did not become a stop string)."""
        held, self._held = ("" if self.stopped else self._held), ""
        return held


def _overlap(text: str, stop: str) -> int:
    """The length of the longest end of ``text`` that begins ``stop`` (shorter than it)."""
    for n in range(min(len(text), len(stop) - 1), 0, -1):
        if stop.startswith(text[-n:]):
            return n
    return 0
