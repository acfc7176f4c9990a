"""Sentence and clause spans of Chinese text, as character offsets."""

from __future__ import annotations

import re

__all__ = ["clause_spans", "sentence_spans"]

# A sentence ends at 。！？!?；;… (runs of them), plus any closing quotes or brackets that
# follow, or at a line break. ASCII "." ends a sentence only before whitespace, so
# numbers such as 23.2 stay whole.
_SENTENCE_END = re.compile(r"(?:[。！？!?；;…]+|\.(?=\s))[”’」』）)\]】\"']*|\n+")


def _spans(text: str, start: int, end: int, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    pos = start
    for m in pattern.finditer(text, start, end):
        _append(text, pos, m.end(), spans)
        pos = m.end()
    _append(text, pos, end, spans)
    return spans


def _append(text: str, s: int, e: int, spans: list[tuple[int, int]]) -> None:
    # Trim surrounding whitespace from the span; drop spans that are only whitespace.
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s:
        spans.append((s, e))


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans ``(s, e)`` of the sentences of ``text[start:end]``, as offsets into ``text``.

    Each span keeps its end punctuation and trims surrounding whitespace.
    """
    return _spans(text, start, len(text) if end is None else end, _SENTENCE_END)


_OPEN = "“‘「『《（(【"
_CLOSE = "”’」』》）)】"
# The characters clause_spans acts on: brackets and quotes, and the clause breaks inside
# a sentence, commas and colons (not the enumeration comma 、).
_CLAUSE_MARK = re.compile("[" + re.escape(_OPEN + _CLOSE) + "，,：:]")


def clause_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Spans of the comma- or colon-separated clauses of ``text[start:end]``.

    Separators inside quotes and brackets (``“創新協同長三角,發展新質生產力”``) do not
    split. Each span keeps its trailing separator (strip it for display).
    """
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    depth = 0
    pos = start
    for m in _CLAUSE_MARK.finditer(text, start, end):
        ch = m.group()
        if ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth = max(0, depth - 1)
        elif depth == 0:
            _append(text, pos, m.end(), spans)
            pos = m.end()
    _append(text, pos, end, spans)
    return spans
