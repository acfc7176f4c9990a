"""Map offsets of an edited text back to the text before the edits.

The cleaning pipeline applies its rules one after another; each rule's edits give an
:class:`EditMap`, and mapping a span back through the maps of all earlier rules gives its
offsets in the article as it was given. Costs O(log edits) per offset; no per-character
table.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence

from corpus.cleaning.base import Edit

__all__ = ["EditMap"]


class EditMap:
    """Offsets of ``apply_edits(text, edits)`` mapped back to offsets of ``text``.

    A position inside a replacement maps to the replaced span (its start for a start
    offset, its end for an end offset); elsewhere positions shift by the lengths removed
    or added before them.

    Args:
        edits: sorted, non-overlapping edits of the input.
    """

    def __init__(self, edits: Sequence[Edit]) -> None:
        self._in_start = [e.start for e in edits]
        self._in_end = [e.end for e in edits]
        self._length = [len(e.replacement) for e in edits]
        self._out_start: list[int] = []
        delta = 0
        for e in edits:
            self._out_start.append(e.start - delta)
            delta += (e.end - e.start) - len(e.replacement)

    def start(self, position: int) -> int:
        """The input offset of the character at output ``position``."""
        i = bisect_right(self._out_start, position) - 1
        if i < 0:
            return position
        out, length = self._out_start[i], self._length[i]
        if position < out + length:
            return self._in_start[i]
        return self._in_end[i] + (position - out - length)

    def end(self, position: int) -> int:
        """The input offset of an exclusive end at output ``position``."""
        i = bisect_left(self._out_start, position) - 1
        if i < 0:
            return position
        out, length = self._out_start[i], self._length[i]
        if position <= out + length:
            return self._in_end[i]
        return self._in_end[i] + (position - out - length)
