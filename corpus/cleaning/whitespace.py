"""Tidy whitespace while keeping paragraph breaks."""

from __future__ import annotations

import re

__all__ = ["normalize_newlines", "tidy_whitespace"]

_BLANK_RUN = re.compile(r"\n{3,}")
_EDGE_SPACE = " \t\u3000\u00a0\f\v"


def normalize_newlines(text: str) -> str:
    """Turn ``\\r\\n`` and lone ``\\r`` into ``\\n``.

    Args:
        text: any text.

    Returns:
        The text with Unix newlines only.
    """
    return text.replace("\r\n", "\n").replace("\r", "\n")


def tidy_whitespace(text: str) -> str:
    """Strip spaces at both ends of each line, collapse 3+ newlines to 2, trim the text.

    Leading full-width indentation (``\\u3000\\u3000``) is layout, not content, so it goes
    too.

    Args:
        text: text with ``\\n`` newlines.

    Returns:
        The tidied text.
    """
    lines = [line.strip(_EDGE_SPACE) for line in text.split("\n")]
    return _BLANK_RUN.sub("\n\n", "\n".join(lines)).strip("\n")
