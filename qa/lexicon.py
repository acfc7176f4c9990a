"""Words that ask rather than tell: the one interrogative lexicon of the project.

Interrogatives and sentence-final particles carry no content to match in a source
sentence; they mark the slot the answer fills. Question analysis, answer extraction and
follow-up resolution all blank them out of a question with :func:`interrogative_pattern`.
Entries are in simplified script: match them against text folded with
:func:`corpus.normalize.normalize_for_matching`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["INTERROGATIVES", "interrogative_pattern"]

INTERROGATIVES: tuple[str, ...] = (
    "哪些", "哪个", "哪位", "哪里", "哪儿", "哪家", "哪年", "哪天", "哪一", "哪",
    "什么", "甚么", "多少", "几", "谁", "何时", "何地", "何人", "为何",
    "如何", "怎么样", "怎样", "怎么", "为什么", "是否", "是不是", "有没有", "吗", "呢",
)  # fmt: skip
"""Interrogative words and question particles, longer before their prefixes."""


@lru_cache(maxsize=8)
def _compile(extra: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join([*INTERROGATIVES, *extra]))


def interrogative_pattern(extra: Iterable[str] = ()) -> re.Pattern[str]:
    """A regex matching any interrogative, plus the ``extra`` alternatives given.

    Args:
        extra: further regex alternatives tried after the lexicon (``"[?？]"``,
            ``"请问"``).

    Returns:
        The compiled pattern (cached per ``extra``).
    """
    return _compile(tuple(extra))
