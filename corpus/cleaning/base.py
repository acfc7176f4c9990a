"""The contract every cleaning rule follows: text in; edits, the cleaned text and the
removals out.

A rule describes what it does as :class:`Edit` spans of its input (each replaced by a
possibly empty string) and reports what it took out as :class:`~corpus.types.Removal`
spans of its input. The pipeline composes the edits of all rules (see
:mod:`corpus.cleaning.offsets`) to give every removal its exact offsets in the article
as it was given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from corpus.types import Removal

__all__ = ["Edit", "RuleResult", "apply_edits", "drop_lines", "join_lines", "split_lines"]


@dataclass(frozen=True, slots=True)
class Edit:
    """Replace ``text[start:end]`` of a rule's input with ``replacement``."""

    start: int
    end: int
    replacement: str = ""


@dataclass(frozen=True, slots=True)
class RuleResult:
    """What one rule did to a text.

    Attributes:
        text: the text after the rule (its input with ``edits`` applied).
        removals: what the rule took out, in order; ``start``/``end`` are offsets into
            the rule's input.
        edits: the sorted, non-overlapping edits of the rule's input that give ``text``.
    """

    text: str
    removals: tuple[Removal, ...] = ()
    edits: tuple[Edit, ...] = ()

    @classmethod
    def of(cls, text: str, edits: Iterable[Edit], removals: Iterable[Removal]) -> RuleResult:
        """The result of applying ``edits`` to ``text``."""
        ordered = tuple(sorted(edits, key=lambda e: (e.start, e.end)))
        return cls(apply_edits(text, ordered), tuple(removals), ordered)


def apply_edits(text: str, edits: Sequence[Edit]) -> str:
    """``text`` with the sorted, non-overlapping ``edits`` applied.

    Raises:
        ValueError: when edits overlap, are out of order or out of range.
    """
    out: list[str] = []
    last = 0
    for edit in edits:
        if not last <= edit.start <= edit.end <= len(text):
            raise ValueError(f"edit {edit} overlaps another or lies outside the text")
        out.append(text[last : edit.start])
        out.append(edit.replacement)
        last = edit.end
    out.append(text[last:])
    return "".join(out)


def split_lines(text: str) -> list[str]:
    """Lines of a text (``\\n`` separated; the pipeline normalises newlines first)."""
    return text.split("\n")


def join_lines(lines: Iterable[str]) -> str:
    """Inverse of :func:`split_lines`."""
    return "\n".join(lines)


def drop_lines(text: str, drop: Sequence[bool], rule: str) -> RuleResult:
    """Remove the lines of ``text`` where ``drop`` is True, as ``join_lines`` of the rest
    would, reporting one removal per line (its span excludes the newline).

    Args:
        text: the text.
        drop: one flag per line of ``split_lines(text)``.
        rule: the rule name of the removals.
    """
    lines = split_lines(text)
    if len(drop) != len(lines):
        raise ValueError(f"drop has {len(drop)} flags for {len(lines)} lines")
    starts = []
    pos = 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    ends = [s + len(line) for s, line in zip(starts, lines, strict=True)]
    removals = [Removal(rule, lines[i], starts[i], ends[i]) for i in range(len(lines)) if drop[i]]
    edits: list[Edit] = []
    last = len(lines) - 1
    i = 0
    while i <= last:
        if not drop[i]:
            i += 1
            continue
        j = i
        while j < last and drop[j + 1]:
            j += 1
        if j < last:  # the lines and the newline after them
            edits.append(Edit(starts[i], ends[j] + 1))
        elif i > 0:  # trailing lines: the newline before them and the lines
            edits.append(Edit(ends[i - 1], ends[j]))
        else:  # every line
            edits.append(Edit(0, len(text)))
        i = j + 1
    return RuleResult.of(text, edits, removals)
