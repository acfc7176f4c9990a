"""The ``[n]`` citation marker: the one pattern every layer uses to find, strip or count
markers in an answer text."""

from __future__ import annotations

import re

__all__ = ["MARKER", "marker_numbers", "strip_markers"]

MARKER = re.compile(r"\s*\[(\d+)\]")
"""A citation marker with the whitespace before it; group 1 is the number."""


def strip_markers(text: str) -> str:
    """``text`` without its ``[n]`` markers (and the spaces before them), stripped."""
    return MARKER.sub("", text).strip()


def marker_numbers(text: str) -> list[int]:
    """The numbers of the markers in ``text``, in order of appearance."""
    return [int(n) for n in MARKER.findall(text)]
