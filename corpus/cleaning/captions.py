"""Move photo captions out of the body: ``...現場。澎湃新聞記者 姚似璐 圖``, ``主辦方 供圖``.

A caption is a short line that ends in a photo credit (``供圖``, or ``圖``/``攝`` after a
space, or ``記者某某攝``), starts with ``圖為``/``圖片來源``, or is marked ``(資料圖)``.
Both scripts are recognised. The caption lines are returned so the pipeline can store
them in the document's metadata (key ``caption``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.charsets import CJK_CLASS
from corpus.cleaning.base import RuleResult, drop_lines, split_lines

__all__ = ["RULE", "CaptionResult", "extract_captions", "is_caption"]

RULE = "caption"

# Captions are short: a sentence of description plus a credit.
_MAX_CAPTION = 120
_SPACE = r"[ \t\u3000]"
_CAPTION = re.compile(
    rf"""
    (?:{_SPACE}(?:供圖|供图|攝|摄|攝影|摄影|圖|图)$)        # "... 姚似璐 圖", "... 張三 攝"
    | (?:(?:供圖|供图|資料圖|资料图)$)                     # "主辦方供圖"
    | (?:(?:記者|记者){_SPACE}*[{CJK_CLASS}·]{{2,8}}{_SPACE}*(?:攝|摄)$)
    | (?:^(?:圖為|图为|圖片為|图片为|圖片來源|图片来源|圖源|图源|圖[:：]|图[:：]))
    | (?:^[(（](?:資料圖|资料图|資料圖片|资料图片)[)）]$)
    | (?:[(（](?:資料圖|资料图|資料圖片|资料图片)[)）]$)
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class CaptionResult(RuleResult):
    """A :class:`RuleResult` plus the caption lines taken out of the body."""

    captions: tuple[str, ...] = ()


def is_caption(line: str) -> bool:
    """Whether one line is a photo caption.

    Args:
        line: one line of article text.

    Returns:
        True for a short line that ends in a photo credit or is marked as a picture.
    """
    stripped = line.strip()
    if not stripped or len(stripped) > _MAX_CAPTION:
        return False
    return _CAPTION.search(stripped) is not None


def extract_captions(text: str) -> CaptionResult:
    """Take caption lines out of the body.

    Args:
        text: article text.

    Returns:
        The text without caption lines, one removal per caption, and the captions.
    """
    lines = split_lines(text)
    flags = [is_caption(line) for line in lines]
    result = drop_lines(text, flags, RULE)
    captions = tuple(line.strip() for line, flag in zip(lines, flags, strict=True) if flag)
    return CaptionResult(result.text, result.removals, result.edits, captions)
