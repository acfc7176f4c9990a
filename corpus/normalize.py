"""Script-agnostic text normalisation for matching.

Indexes and queries go through :func:`normalize_for_matching` so that a simplified
question finds traditional text and the reverse. Displayed text is never normalised.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import opencc

__all__ = [
    "Folded",
    "Script",
    "detect_script",
    "fold",
    "load_converters",
    "normalize_for_matching",
    "to_script",
]

Script = Literal["simplified", "traditional", "unknown"]

NORMALIZATION_VERSION = "t2s+nfkc+casefold/1"


@lru_cache(maxsize=4)
def _converter(config: str) -> opencc.OpenCC:
    # OpenCC converters are immutable and costly to build: build each once per process.
    import opencc

    return opencc.OpenCC(config)


def load_converters() -> None:
    """Build both script converters now rather than at their first use (about 50 ms for
    simplified-to-traditional, which the first answer to a question in either script
    needs: :func:`detect_script`)."""
    _converter("t2s")
    _converter("s2t")


_CACHED_CHARS = 1024
"""Texts up to this length are remembered (:func:`_fold_cached`)."""


def normalize_for_matching(text: str) -> str:
    """Fold a text for matching: traditional -> simplified, full-width -> half-width, case.

    Sentences and questions are folded again and again while answering one question
    (each step of matching folds what it compares); short texts are remembered, so the
    script conversion, the costly part, runs once per distinct text.

    Args:
        text: any text.

    Returns:
        The folded text (its length may differ from the input's).
    """
    if len(text) <= _CACHED_CHARS:
        return _fold_cached(text)
    return _fold(text)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKC", text)
    return str(_converter("t2s").convert(text).casefold())


@lru_cache(maxsize=4096)
def _fold_cached(text: str) -> str:
    return _fold(text)


@dataclass(frozen=True, slots=True)
class Folded:
    """A text folded for matching, with the way back to the original's offsets.

    Attributes:
        original: the text as given.
        text: the folded text.
        starts: ``starts[i]`` is the offset in ``original`` of the character that folded
            text position ``i`` comes from; one entry more than ``text`` has characters
            (the last is ``len(original)``). Empty when the two have equal lengths and
            positions correspond one to one (the usual case for Chinese text).
    """

    original: str
    text: str
    starts: tuple[int, ...] = ()

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span ``(s, e)`` of folded span ``[start, end)``."""
        if not self.starts:
            return start, end
        s = self.starts[start]
        e = self.starts[end] if end < len(self.starts) else len(self.original)
        # A folded character that expanded from one original character (ß -> ss) ends
        # where the next original character starts.
        if end > start and e <= s:
            e = s + 1
        return s, e


def fold(text: str) -> Folded:
    """:func:`normalize_for_matching` of ``text``, keeping the offsets of the original.

    Where folding keeps the length (almost always for Chinese text), positions correspond
    one to one. Otherwise each character is folded on its own (traditional-to-simplified
    conversion then works character by character, without OpenCC's phrase table) and
    the offsets are recorded.
    """
    folded = normalize_for_matching(text)
    if len(folded) == len(text):
        return Folded(text, folded)
    pieces: list[str] = []
    starts: list[int] = []
    for i, ch in enumerate(text):
        piece = normalize_for_matching(ch)
        pieces.append(piece)
        starts.extend([i] * len(piece))
    starts.append(len(text))
    return Folded(text, "".join(pieces), tuple(starts))


def detect_script(text: str) -> Script:
    """Guess whether a Chinese text is written in simplified or traditional characters.

    Counts characters that change under traditional-to-simplified conversion (only
    traditional text has them) against those that change the other way.

    Returns:
        ``"traditional"``, ``"simplified"``, or ``"unknown"`` where neither shows.
    """
    t2s = _converter("t2s").convert(text)
    s2t = _converter("s2t").convert(text)
    trad = sum(1 for a, b in zip(text, t2s, strict=False) if a != b)
    simp = sum(1 for a, b in zip(text, s2t, strict=False) if a != b)
    if trad > simp:
        return "traditional"
    if simp > trad:
        return "simplified"
    return "unknown"


def to_script(text: str, script: Script) -> str:
    """Convert ``text`` to ``script``; ``"unknown"`` leaves it unchanged."""
    if script == "simplified":
        return str(_converter("t2s").convert(text))
    if script == "traditional":
        return str(_converter("s2t").convert(text))
    return text
