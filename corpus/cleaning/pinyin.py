"""Remove pinyin readings printed after characters: ``長(zhǎng)三角`` -> ``長三角``.

An annotation is removed only when it is a real reading of the character(s) right before
it, per pypinyin (any heteronym; tone-marked, or toneless). Everything else in
parentheses stays: ``(www.thepaper.cn)``, ``(奚金燕)``, ``(完)``, ``(AI)``, and a
``(zhang)`` after a character that is not read that way.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from corpus.charsets import is_cjk
from corpus.cleaning.base import Edit, RuleResult
from corpus.types import Removal

__all__ = ["RULE", "remove_pinyin", "syllable_matches"]

RULE = "pinyin"

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜńňǹḿ"
_SYLLABLE = f"[a-z{_TONED}]+"
_ANNOTATION = re.compile(rf"[(（][ \t]*(?P<body>{_SYLLABLE}(?:[ \t'’-]+{_SYLLABLE})*)[ \t]*[)）]")
_SEPARATORS = re.compile(r"[ \t'’-]+")
# An annotation reads at most this many characters (longer ones are not checked).
_MAX_SYLLABLES = 64


def _toneless(syllable: str) -> str:
    decomposed = unicodedata.normalize("NFD", syllable)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return plain.replace("v", "u")


@lru_cache(maxsize=8192)
def _readings(ch: str) -> tuple[frozenset[str], frozenset[str]]:
    """Tone-marked and toneless readings of one character (empty for non-CJK)."""
    import pypinyin

    if not is_cjk(ch):
        return frozenset(), frozenset()
    result = pypinyin.pinyin(ch, heteronym=True, errors="ignore")
    toned = {unicodedata.normalize("NFC", r) for r in (result[0] if result else ())}
    return frozenset(toned), frozenset(_toneless(r) for r in toned)


def syllable_matches(ch: str, syllable: str) -> bool:
    """Whether ``syllable`` (tone-marked or toneless pinyin) is a reading of ``ch``.

    Args:
        ch: one character.
        syllable: one lower-case pinyin syllable, e.g. ``zhǎng`` or ``zhang``.

    Returns:
        True where pypinyin lists the reading for the character.
    """
    toned, plain = _readings(ch)
    syllable = unicodedata.normalize("NFC", syllable)
    if syllable in toned:
        return True
    return syllable == _toneless(syllable) and syllable in plain


def remove_pinyin(text: str) -> RuleResult:
    """Remove parenthesised pinyin readings that follow the character(s) they read.

    The characters an annotation reads are those right before it *after* earlier
    annotations are gone, so ``長(zhǎng)(zhǎng)`` loses both and a second pass finds
    nothing more to remove.

    Args:
        text: article text.

    Returns:
        The text without the annotations, one removal (and one edit) per annotation.
    """
    edits: list[Edit] = []
    removals: list[Removal] = []
    tail = ""  # the last characters of the output so far
    last = 0
    for m in _ANNOTATION.finditer(text):
        syllables = [s for s in _SEPARATORS.split(m.group("body")) if s]
        n = len(syllables)
        tail = (tail + text[last : m.start()])[-_MAX_SYLLABLES:]
        before = tail[-n:] if 0 < n <= len(tail) else ""
        if before and all(syllable_matches(c, s) for c, s in zip(before, syllables, strict=True)):
            edits.append(Edit(m.start(), m.end()))
            removals.append(Removal(RULE, m.group(), m.start(), m.end()))
        else:
            tail = (tail + m.group())[-_MAX_SYLLABLES:]
        last = m.end()
    return RuleResult.of(text, edits, removals)
