"""Character classes: the one table of CJK ranges, shared by cleaning, encoding
detection, tokenization and question analysis (built once, immutable)."""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = [
    "CJK_CLASS",
    "CJK_PUNCTUATION",
    "CJK_RANGES",
    "common_cjk",
    "is_cjk",
    "is_common_cjk",
]

# The CJK unified ideographs: extension A, the basic block, the compatibility
# ideographs, and the supplementary planes (extensions B to H, U+20000..U+323AF), as
# inclusive code point ranges (for array code), and as the body of a regex class.
CJK_RANGES: tuple[tuple[int, int], ...] = (
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x323AF),
)
CJK_CLASS = "".join(f"{chr(lo)}-{chr(hi)}" for lo, hi in CJK_RANGES)
_CJK_RE = re.compile(f"[{CJK_CLASS}]")

# Punctuation that ordinary Chinese text uses (counts as plausible in a decoding).
CJK_PUNCTUATION = frozenset("，。、；：？！「」『』（）《》〈〉【】“”‘’—…·　～．")


def is_cjk(ch: str) -> bool:
    """Whether ``ch`` is one CJK ideograph."""
    return len(ch) == 1 and _CJK_RE.match(ch) is not None


def _decode_pairs(codec: str, leads: range, trails: list[int]) -> set[str]:
    out: set[str] = set()
    for hi in leads:
        for lo in trails:
            try:
                ch = bytes((hi, lo)).decode(codec)
            except UnicodeDecodeError:
                continue
            if is_cjk(ch):
                out.add(ch)
    return out


@lru_cache(maxsize=1)
def common_cjk() -> frozenset[str]:
    """Frequently used ideographs: GB2312 level 1 plus Big5 level 1 (about 9,000 chars).

    Rare characters (outside both sets) are a strong sign of a wrong decoding or of
    mojibake; real news text is made almost entirely of these common ones.
    """
    chars = _decode_pairs("gb2312", range(0xB0, 0xD8), list(range(0xA1, 0xFF)))
    big5_trails = list(range(0x40, 0x7F)) + list(range(0xA1, 0xFF))
    chars |= _decode_pairs("big5", range(0xA4, 0xC7), big5_trails)
    return frozenset(chars)


def is_common_cjk(ch: str) -> bool:
    """Whether ``ch`` is a frequently used ideograph (see :func:`common_cjk`)."""
    return ch in common_cjk()
