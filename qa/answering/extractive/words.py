"""A sentence's words as jieba reads them: where each starts and ends, and the coarse
class of its part of speech.

Read by the span candidates (runs of words) and the span features (word boundaries and
the parts of speech at a span's edges). Tagging uses jieba's dictionary alone
(:func:`qa.answering.claims.tagged_words`), once per sentence (cached).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from qa.answering.claims import tagged_words

__all__ = ["CONTENT_TAGS", "TAG_CLASSES", "SentenceWords", "sentence_words", "tag_class"]

TAG_CLASSES = ("nr", "ns", "nt", "nz", "m", "t", "n", "v", "other")
"""The coarse part-of-speech classes: person, place, organisation and other proper
names, numerals, times, nouns, verbs, and everything else."""

CONTENT_TAGS = frozenset({"nr", "ns", "nt", "nz", "m", "t", "n"})
"""The classes an answer's first and last word are usually of: names, numerals, times
and nouns."""


def tag_class(flag: str) -> str:
    """The coarse class of a jieba part-of-speech tag."""
    if flag == "eng":
        return "nz"
    if flag.startswith(("nr", "ns", "nt", "nz")):
        return flag[:2]
    if flag.startswith("m"):
        return "m"
    for c in ("t", "n", "v"):
        if flag.startswith(c):
            return c
    return "other"


@dataclass(frozen=True, slots=True)
class SentenceWords:
    """A sentence's jieba words.

    Attributes:
        word_of: for each character, the index of the word it is in.
        starts: the offsets where a word starts.
        ends: the offsets where a word ends (exclusive).
        tags: each word's tag class (:data:`TAG_CLASSES`).
        bounds: each word's ``(start, end)``, in order.
    """

    word_of: tuple[int, ...]
    starts: frozenset[int]
    ends: frozenset[int]
    tags: tuple[str, ...]
    bounds: tuple[tuple[int, int], ...]


@lru_cache(maxsize=4096)
def sentence_words(text: str) -> SentenceWords:
    """The words of a folded sentence (cached: a sentence is tagged once)."""
    word_of: list[int] = []
    bounds: list[tuple[int, int]] = []
    tags: list[str] = []
    pos = 0
    for i, (word, flag) in enumerate(tagged_words(text)):
        word_of.extend([i] * len(word))
        bounds.append((pos, pos + len(word)))
        pos += len(word)
        tags.append(tag_class(flag))
    return SentenceWords(
        tuple(word_of),
        frozenset(s for s, _ in bounds),
        frozenset(e for _, e in bounds),
        tuple(tags),
        tuple(bounds),
    )
