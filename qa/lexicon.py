"""Words that ask rather than tell: the one interrogative lexicon of the project.

Interrogatives and sentence-final particles carry no content to match in a source
sentence; they mark the slot the answer fills. Question analysis, answer extraction and
follow-up resolution all use this table. Entries are in simplified script: match them
against text folded with :func:`corpus.normalize.normalize_for_matching`.

Each interrogative comes with the kind of answer it asks for by itself; question analysis
(:mod:`qa.analysis.question`) refines the kind from the words around it (``哪个城市`` asks
for a place, ``什么时候`` for a time).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["ANSWER_TYPES", "INTERROGATIVES", "WH_TYPES", "interrogative_pattern"]

ANSWER_TYPES: tuple[str, ...] = (
    "person",
    "place",
    "organization",
    "time",
    "number",
    "list",
    "reason",
    "manner",
    "entity",
    "yesno",
)
"""The kinds of answer a question can ask for (``entity``: any noun phrase)."""

WH_TYPES: tuple[tuple[str, str], ...] = (
    ("为什么", "reason"),
    ("为何", "reason"),
    ("因何", "reason"),
    ("何故", "reason"),
    ("怎么样", "manner"),
    ("什么样", "manner"),
    ("怎样", "manner"),
    ("如何", "manner"),
    ("怎么", "manner"),
    ("哪些", "list"),
    ("哪位", "person"),
    ("何人", "person"),
    ("谁", "person"),
    ("哪里", "place"),
    ("哪儿", "place"),
    ("何地", "place"),
    ("何处", "place"),
    ("什么时候", "time"),
    ("甚么时候", "time"),
    ("何时", "time"),
    ("几时", "time"),
    ("哪年", "time"),
    ("哪天", "time"),
    ("多少", "number"),
    ("多大", "number"),
    ("多长", "number"),
    ("多远", "number"),
    ("多久", "number"),
    ("多高", "number"),
    ("多重", "number"),
    ("多深", "number"),
    ("多宽", "number"),
    ("多快", "number"),
    ("几", "number"),
    ("哪家", "organization"),
    ("哪个", "entity"),
    ("哪一", "entity"),
    ("哪", "entity"),
    ("什么", "entity"),
    ("甚么", "entity"),
    ("啥", "entity"),
    ("有何", "entity"),
    ("何种", "entity"),
    ("是否", "yesno"),
    ("是不是", "yesno"),
    ("有没有", "yesno"),
    ("吗", "yesno"),
    ("呢", "yesno"),
)
"""Interrogative -> the kind of answer it asks for; longer words before their prefixes
where they share a start (``哪些`` before ``哪``)."""

INTERROGATIVES: tuple[str, ...] = tuple(word for word, _ in WH_TYPES)
"""Interrogative words and question particles."""


@lru_cache(maxsize=8)
def _compile(extra: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first, so that 为什么 wins over 什么 and 哪些 over 哪.
    words = sorted(INTERROGATIVES, key=len, reverse=True)
    return re.compile("|".join([*words, *extra]))


def interrogative_pattern(extra: Iterable[str] = ()) -> re.Pattern[str]:
    """A regex matching any interrogative (longest first), plus the ``extra``
    alternatives given.

    Args:
        extra: further regex alternatives tried after the lexicon (``"[?？]"``,
            ``"请问"``).

    Returns:
        The compiled pattern (cached per ``extra``).
    """
    return _compile(tuple(extra))
