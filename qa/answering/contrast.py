"""Qualifiers that exclude one another: ``全球`` against ``全国``, ``国有`` against ``民营``.

A near miss often keeps every word of a real fact but one qualifier: "约占**全球**的多少"
asked of a sentence stating "约占**全国**的四分之一", "多少个**国有**企业…样本" of one about
"**民营**企业…样本". A paraphrase does not do that: it may drop a qualifier or say it in
other words of the same meaning (``全世界`` for ``全球``), but it does not put another
value of the same dimension in its place.

:data:`CONTRAST_SETS` lists dimensions (scope, ownership, group of people, direction of a
change, extremes, half of the year, ...), each as classes of words of one meaning.
:func:`contrast` finds a question qualifier whose class the text never states while it
states another class of the same dimension, one the question does not state itself
(``东部…，西部则是?`` names both). The lexicon is small on purpose: each
dimension is one whose values cannot stand in for one another in a fact; how often it
turns a right answer away is measured on the benchmarks (docs/reader.md).

Entries are simplified script; match them against folded text
(:func:`corpus.normalize.normalize_for_matching`).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["CONTRAST_SETS", "contrast", "may_contrast"]

CONTRAST_SETS: tuple[tuple[tuple[str, ...], ...], ...] = (
    # scope
    (
        ("全球", "全世界", "世界", "国际", "环球"),
        ("全国", "国内", "我国"),
        ("全省", "省内"),
        ("全市", "市内"),
    ),
    # ownership
    (("国有", "国企", "国资", "央企", "国营"), ("民营", "民企", "私营"), ("外资", "外企", "合资")),
    # group of people
    (
        ("女", "女性", "妇女", "女子"),
        ("男", "男性", "男子"),
        ("青年", "青少年"),
        ("老年",),
        ("少年", "儿童"),
    ),
    # half of the year
    (("上半年",), ("下半年",)),
    # direction of trade, of a change
    (("进口",), ("出口",)),
    (("增长", "增加", "上升", "提高", "上涨"), ("下降", "减少", "降低", "下跌", "下滑")),
    # extremes
    (("最高",), ("最低",)),
    (("最大",), ("最小",)),
    (("最多",), ("最少",)),
    (("最早",), ("最晚", "最迟")),
    # town and country, regions
    (("城镇", "城市"), ("农村", "乡村")),
    (("东部",), ("西部",), ("中部",)),
    # places of a contest, medals
    (("冠军",), ("亚军",), ("季军",)),
    (("金牌",), ("银牌",), ("铜牌",)),
    # seasons
    (("夏季", "夏天"), ("冬季", "冬天")),
    (("春季", "春天"), ("秋季", "秋天")),
    # results, events, degrees
    (("盈利",), ("亏损",)),
    (("开幕",), ("闭幕",)),
    (("主场",), ("客场",)),
    (("本科",), ("硕士",), ("博士",)),
)
"""Dimensions, each a tuple of classes; the words of a class mean one value."""

_MEMBERS = frozenset(word for dimension in CONTRAST_SETS for cls in dimension for word in cls)


def _stated(words: Sequence[str], cls: Sequence[str]) -> str | None:
    """The member of the class a word is or starts with (``国有企业`` states ``国有``), or
    None. One-character members count only as whole words (``女``, not ``女儿``)."""
    for word in words:
        for member in cls:
            if word == member or (len(member) >= 2 and word.startswith(member)):
                return member
    return None


def may_contrast(folded: str) -> bool:
    """Whether a folded question holds any qualifier of :data:`CONTRAST_SETS` (a cheap
    test before tokenising anything)."""
    return any(member in folded for member in _MEMBERS)


def contrast(question: Sequence[str], text: Sequence[str]) -> tuple[str, str] | None:
    """A qualifier of the question that the text replaces by another of its dimension.

    Args:
        question: the words (jieba) of the folded question.
        text: the words of the folded text (a sentence and the one before it).

    Returns:
        ``(asked, stated)`` (one member of each class) for the first such pair, or None.
    """
    if not may_contrast("".join(question)):
        return None
    joined = "".join(text)
    for dimension in CONTRAST_SETS:
        for i, cls in enumerate(dimension):
            asked = _stated(question, cls)
            if asked is None or _stated(text, cls) is not None:
                continue
            # A member inside another word still states the class (``在全国``): only
            # the tokenisation differs.
            if any(len(m) >= 2 and m in joined for m in cls):
                continue
            for j, other in enumerate(dimension):
                # ``东部…，西部则是?``: a class the question states itself is no
                # replacement of another it states.
                if j == i or _stated(question, other) is not None:
                    continue
                stated = _stated(text, other)
                if stated is not None:
                    return asked, stated
    return None
