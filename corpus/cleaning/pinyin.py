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

from corpus._charsets import is_cjk
from corpus.cleaning.base import RuleResult
from corpus.types import Removal

__all__ = ["RULE", "remove_pinyin", "syllable_matches"]

RULE = "pinyin"

_TONED = "āáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜńňǹḿ"
_SYLLABLE = f"[a-z{_TONED}]+"
_ANNOTATION = re.compile(rf"[(（][ \t]*(?P<body>{_SYLLABLE}(?:[ \t'’-]+{_SYLLABLE})*)[ \t]*[)）]")
_SEPARATORS = re.compile(r"[ \t'’-]+")


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

    Args:
        text: article text.

    Returns:
        The text without the annotations, and one removal per annotation.
    """
    out: list[str] = []
    removals: list[Removal] = []
    last = 0
    for m in _ANNOTATION.finditer(text):
        syllables = [s for s in _SEPARATORS.split(m.group("body")) if s]
        start = m.start()
        before = text[max(0, start - len(syllables)) : start]
        if len(before) != len(syllables) or start - len(syllables) < last:
            continue
        if all(syllable_matches(c, s) for c, s in zip(before, syllables, strict=True)):
            out.append(text[last:start])
            removals.append(Removal(RULE, m.group()))
            last = m.end()
    out.append(text[last:])
    return RuleResult("".join(out), tuple(removals))
