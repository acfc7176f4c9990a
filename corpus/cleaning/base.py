"""The contract every cleaning rule follows: text in, cleaned text plus removals out."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from corpus.types import Removal

__all__ = ["RuleResult", "join_lines", "split_lines"]


@dataclass(frozen=True, slots=True)
class RuleResult:
    """What one rule did to a text.

    Attributes:
        text: the text after the rule.
        removals: what the rule took out, in order.
    """

    text: str
    removals: tuple[Removal, ...] = ()


def split_lines(text: str) -> list[str]:
    """Lines of a text (``\\n`` separated; the pipeline normalises newlines first)."""
    return text.split("\n")


def join_lines(lines: Iterable[str]) -> str:
    """Inverse of :func:`split_lines`."""
    return "\n".join(lines)
