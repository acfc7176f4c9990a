"""Article bodies hidden until scripts run.

Some publishers ship the article in a container styled ``visibility: hidden`` (or
``opacity: 0``) that a script reveals once the page has loaded; main-content extraction,
which rightly ignores hidden elements, then finds only the page's labels. A container
hidden that way that holds a body of text is made visible before extraction; content
hidden with ``display: none`` (menus, pop-ups, templates) stays hidden.
"""

from __future__ import annotations

import re

from lxml import etree
from lxml.html import HtmlElement

__all__ = ["MIN_HIDDEN_BODY_CHARS", "reveal_hidden_bodies"]

MIN_HIDDEN_BODY_CHARS = 200
"""A hidden container is revealed where it holds at least this many characters of text."""

_HIDING = re.compile(r"(?:visibility\s*:\s*hidden|opacity\s*:\s*0(?:\.0+)?\s*(?:;|$))\s*;?", re.I)
_SPACE = re.compile(r"\s+")
_NOT_TEXT = frozenset({"script", "style", "noscript", "template"})


def _text_chars(element: HtmlElement) -> int:
    total = 0
    for el in element.iter():
        if not isinstance(el.tag, str) or el.tag in _NOT_TEXT:
            continue
        total += len(_SPACE.sub("", el.text or ""))
        if el is not element:
            total += len(_SPACE.sub("", el.tail or ""))
    return total


def reveal_hidden_bodies(tree: HtmlElement, min_chars: int = MIN_HIDDEN_BODY_CHARS) -> int:
    """Remove ``visibility: hidden`` and ``opacity: 0`` from the inline style of the
    containers that hold at least ``min_chars`` characters of text (the tree is changed
    in place).

    Args:
        tree: a parsed page.
        min_chars: the least text a hidden container must hold to be revealed.

    Returns:
        How many containers were revealed.
    """
    revealed = 0
    for el in tree.iter(etree.Element):
        style = el.get("style") if isinstance(el.tag, str) else None
        if not style or not _HIDING.search(style):
            continue
        if _text_chars(el) >= min_chars:
            rest = _HIDING.sub("", style).strip()
            if rest:
                el.set("style", rest)
            else:
                del el.attrib["style"]
            revealed += 1
    return revealed
