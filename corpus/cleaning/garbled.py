"""Remove mojibake left by GBK bytes read with the wrong alignment or codec.

In the seeds such fragments look like ``澎湃新聞?dòng)浾?`` (``記者`` destroyed) or
``儀式?!≈鬓k方`` (``。主辦方`` shifted by one byte). They are recognised by code, not
by a list: a run starting at an ASCII ``?`` (or U+FFFD, where a byte was lost) and made of
further ``?``, ``!``, ``≈``, stray latin letters and rare ideographs. A run counts as
garbled only with at least one *strong* sign (``≈``, U+FFFD, a rare ideograph glued to a
lone ASCII byte, a latin fragment with an unmatched ``)`` or tone marks), so a real
``?`` in a question, ``?AI`` or a rare name character after ``?`` stays.

Where the tail of a run is a misaligned GBK sequence (odd byte count), dropping its first
byte sometimes restores common characters (``≈鬓k`` -> ``主辦``, ``閰^`` -> ``區``); the
repair is kept only when every restored character is a common ideograph.
"""

from __future__ import annotations

import re

from corpus.charsets import is_cjk, is_common_cjk
from corpus.cleaning.base import Edit, RuleResult
from corpus.types import Removal

__all__ = ["RULE", "find_garbled", "remove_garbled", "repair_fragment"]

RULE = "garbled"

_LOST = "?\ufffd"
_LOST_CHAR = re.compile(f"[{re.escape(_LOST)}]")  # where a garbled run can start
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]+\)?")
# One ASCII byte in the GBK trail-byte range, not followed by another letter.
_TRAIL = re.compile(r"[@-~](?![A-Za-z])")
_TAIL_ISLAND = re.compile(r"[^\x00-\x7f]+[@-~]?$")


def _scan(text: str, start: int) -> tuple[int, bool]:
    """End of the suspicious run starting at ``start`` and whether it shows a strong sign."""
    j = start
    strong = False
    n = len(text)
    while j < n:
        c = text[j]
        if c in _LOST or c == "!":
            strong = strong or c == "\ufffd"
            j += 1
            continue
        if c == "≈":
            strong = True
            j += 1
            continue
        m = _LATIN.match(text, j)
        if m:
            frag = m.group()
            if frag.endswith(")") or not frag.isascii():
                strong = True
            j = m.end()
            continue
        if is_cjk(c) and not is_common_cjk(c):
            # A rare ideograph alone may be a name after a real question mark; glued to a
            # lone ASCII byte it is half of a misaligned double-byte character.
            j += 1
            glued = _TRAIL.match(text, j)
            if glued:
                strong = True
                j = glued.end()
            continue
        break
    return j, strong


def find_garbled(text: str) -> list[tuple[int, int]]:
    """Spans ``(start, end)`` of confidently garbled runs in ``text``.

    Args:
        text: article text.

    Returns:
        Non-overlapping spans, in order.
    """
    spans: list[tuple[int, int]] = []
    i = 0
    while (m := _LOST_CHAR.search(text, i)) is not None:
        i = m.start()
        end, strong = _scan(text, i + 1)
        # U+FFFD marks a lost byte: never text, so even a lone one goes.
        if text[i] == "\ufffd" or (strong and end - i >= 2):
            spans.append((i, end))
            i = end
            continue
        # A weak run holds no U+FFFD, and a ``?`` inside it is always where a token of
        # the scan starts, so a scan from there would end at ``end`` with a subset of the
        # same signs: weak too. Skipping to ``end`` keeps the result and makes the
        # search linear (rescanning from each ``?`` was quadratic in runs of ``?``).
        i = max(end, i + 1)
    return spans


def repair_fragment(fragment: str) -> str:
    """Characters recoverable from the tail of a garbled run, or "" where none are.

    Args:
        fragment: a garbled run as found by :func:`find_garbled`.

    Returns:
        The restored common ideographs (possibly empty).
    """
    m = _TAIL_ISLAND.search(fragment)
    if not m:
        return ""
    try:
        data = m.group().encode("gb18030")
    except UnicodeEncodeError:
        return ""
    if len(data) % 2 == 0 or len(data) < 3:
        return ""
    try:
        restored = data[1:].decode("gbk")
    except UnicodeDecodeError:
        return ""
    if restored and all(is_cjk(c) and is_common_cjk(c) for c in restored):
        return restored
    return ""


def remove_garbled(text: str) -> RuleResult:
    """Remove (or, where possible, repair) garbled runs.

    Args:
        text: article text.

    Returns:
        The text with each garbled run replaced by what could be restored of it (usually
        nothing), one removal and one edit per run.
    """
    edits: list[Edit] = []
    removals: list[Removal] = []
    for start, end in find_garbled(text):
        run = text[start:end]
        edits.append(Edit(start, end, repair_fragment(run)))
        removals.append(Removal(RULE, run, start, end))
    return RuleResult.of(text, edits, removals)
