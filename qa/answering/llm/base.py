"""The generator contract: a prompt in, the model's text out, whole or in pieces.

A :class:`Generator` wraps one language model backend (a local transformers model, an
OpenAI-compatible server). It knows nothing of passages or citations: the
:class:`~qa.answering.generative.GenerativeAnswerer` builds the prompt
(:mod:`qa.answering.llm.prompt`) and verifies what comes back.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, Protocol

from corpus.progress import Progress

__all__ = ["Generator", "Message", "Prompt", "StopFilter", "cut_at_stop"]

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

    def generate(self, prompt: Prompt) -> str:
        """The model's whole answer to ``prompt``.

        Raises:
            GenerationError: when the model or its server fails.
            ModelUnavailableError: when the model cannot be loaded.
        """
        ...

    def stream(self, prompt: Prompt) -> Iterator[str]:
        """The model's answer to ``prompt`` in pieces as it is written (joined: what
        :meth:`generate` returns).

        Raises:
            GenerationError: when the model or its server fails (possibly after some
                pieces).
            ModelUnavailableError: when the model cannot be loaded.
        """
        ...


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
