"""The author(s) a page states in its visible text.

Read where Chinese pages state them, in this order, the first that names anybody wins:

1. a **labelled byline** above the article (``作者：郭励弘``, ``记者 伊琳 李清芬``,
   ``马俊峰/文``, ``文/张三``, ``本贴由大卫于…发表``), in the lines between the headline
   and the first paragraph or just above the first paragraph;
2. the **article's own first and last lines**: a dateline's reporter
   (``据新华社拉萨电（记者 格桑边觉）``), a closing signature (``（袁源）``,
   ``（常书香 马丹阳）``, ``□ 本报记者 葛灵丹``, ``执笔人：闵乐夫 赵兰波``);
3. a **name alone on the line** under the headline (``胡平``, ``赵延东、风笑天``);
4. the **editor** (``编辑：山石``, ``（责任编辑：魏喆）``, :func:`page_editor`) where nobody
   else is named, not in the byline, the meta tags or the text.

Never from menus, sidebars, comments, footers or link labels, and nothing is guessed.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import islice

from corpus.html.layout import Block
from corpus.names import has_surname

__all__ = [
    "find_authors",
    "is_names",
    "leading_names",
    "page_author",
    "page_editor",
    "page_issuer",
    "poster",
]

_FURNITURE = frozenset(
    {"navigation", "sidebar", "footer", "comments", "related", "advertising", "breadcrumb",
     "share", "header"}
)  # fmt: skip
_MAX_LINES_BEFORE = 8
_MAX_BYLINE = 120
_MAX_NOTES = 4
_CJK_START = re.compile(r"[\u3400-\u9fff]")
_SENTENCE_END = re.compile(r"[。！？!?”」』）)]")
_CJK = r"[\u3400-\u9fff]"
_CJK_NAME = rf"{_CJK}(?:[·•]?{_CJK}){{1,3}}"
_HANDLE = r"[A-Za-z][A-Za-z0-9_.\-]{1,19}"
# A name ends where the word does: a Chinese name followed by more Chinese text is the
# start of a sentence (记者从上海获悉), not a name.
_NAME = rf"(?:{_CJK_NAME}(?!{_CJK})|{_HANDLE}(?![A-Za-z0-9_=\"'.\-]))"
_SEP = r"(?:\s*[、，,]\s*|\s+)"
_NAMES = rf"{_NAME}(?:{_SEP}{_NAME}){{0,5}}"
_STOP = (
    r"来源|來源|编辑|編輯|责任|責任|时间|時間|日期|发布|發布|浏览|瀏覽|阅读|閱讀|点击|點擊"
    r"|报道|報道|摄影|攝影|通讯员|通訊員|实习生|實習生|字号|字號|分享|供图|供圖|受访者|受訪者"
    r"|出自|单位|單位|简介|簡介"
)
_NOT_NAMES = frozenset(
    "来源 來源 编辑 編輯 责编 責編 时间 時間 日期 发布 發布 报道 報導 报道 综合 綜合 通讯 通訊 "
    "本报 本報 本网 本網 记者 記者 作者 佚名 不详 未知 网友 網友 转载 轉載 原创 原創 admin "
    "单位 單位 简介 簡介 出自 size".split()
)
# The author's name in the original script after a translated one: ``周思博 (Joel Spolsky)``.
_ALIAS = r"(?:\s*[(（](?P<alias>[A-Za-z][A-Za-z .'\-]{1,40})[)）])?"
# Labelled author fields, most specific first.
_LABELLED = (
    re.compile(
        rf"(?:作者|作\s+者|撰文|撰稿|执笔人?|執筆人?|发帖人|發帖人|楼主|樓主)\s*[:：]?\s*(?P<v>{_NAMES})"
        rf"{_ALIAS}"
    ),
    re.compile(
        rf"(?:本报|本報|本网|本網|特约|特約|见习|見習|首席)?(?:记者|記者)\s*[:：]?\s*(?P<v>{_NAMES})"
    ),
    re.compile(rf"(?<![\u3400-\u9fff])文\s*[/／|｜:：]\s*(?P<v>{_NAMES})"),
    re.compile(rf"(?P<v>{_NAMES})\s*[/／]\s*文(?![\u3400-\u9fff])"),
    re.compile(rf"本[贴帖]由\s*(?P<v>{_CJK_NAME}|{_HANDLE})\s*于"),
    # ``[ 黄宇 ] 来源：[ 国际金融报 ]``: the author in brackets before the source.
    re.compile(rf"[\[【]\s*(?P<v>{_NAMES})\s*[\]】][^\w\u3400-\u9fff]{{0,3}}(?:来源|來源)"),
    re.compile(rf"\bby\s+(?P<v>{_HANDLE})", re.I),
)
_EDITOR = re.compile(rf"(?:责任编辑|責任編輯|责编|責編|编辑|編輯)\s*[:：]\s*(?P<v>{_NAMES})")
# A closing signature: the names in brackets at the very end of the article's last line.
_SIGNATURE = re.compile(rf"[(（]\s*(?P<v>{_NAMES})\s*[)）]\s*$")
# A post's signature line: ``由海姑娘张贴 @ 2005-03-21 01:20:44``.
_POSTED = re.compile(
    rf"(?<![\u3400-\u9fff])由\s*(?P<v>{_CJK_NAME}|{_HANDLE})\s*(?:张贴|張貼|发表|發表|发布|發布)"
)
# A forum post's signature: ``本贴由大卫于2005年8月12日16:12:21在〖…〗发表``.
_THIS_POST = re.compile(rf"本[贴帖]由\s*(?P<v>{_CJK_NAME}|{_HANDLE})\s*于")
# A government page's information table: ``发文机关：吉林省人民政府``.
_ISSUER = re.compile(
    r"^\s*(?:发文机关|發文機關|发布机构|發布機構|发文单位|發文單位)\s*[:：]\s*(?P<v>.*)$"
)
_ISSUER_NOT = re.compile(r"[。！？!?:：]|\d{4}")
_ALONE = re.compile(rf"^\s*(?P<v>{_CJK_NAME}(?:{_SEP}{_CJK_NAME}){{0,4}})\s*$")


def _clean(value: str) -> str:
    names = [n for n in re.split(r"[\s、，,]+", value) if n]
    kept: list[str] = []
    for name in names:
        cut = re.split(_STOP, name, maxsplit=1)[0]
        if len(cut) < len(name):
            if len(cut) >= 2 and cut not in _NOT_NAMES:
                kept.append(cut)
            break  # a label after the name ends the list
        if name in _NOT_NAMES:
            continue
        kept.append(name)
    return " ".join(dict.fromkeys(kept))


# A two-character name set with a space between its characters to line up with
# three-character ones (``作者: 赵 培``, ``王 刚、李 明``): one character, a space, one
# character, neither beside another.
_SPACED_NAME = re.compile(rf"(?<!{_CJK})({_CJK})[ \u3000]({_CJK})(?!{_CJK})")


def _join_spaced_names(line: str) -> str:
    """``作者: 赵 培：北京`` -> ``作者: 赵培：北京``."""
    return _SPACED_NAME.sub(r"\1\2", line)


def find_authors(line: str, *, signature: bool = False, alone: bool = False) -> str:
    """The author names a line states in a labelled field, space-separated ("" for none).

    Args:
        line: one line of text.
        signature: also read a closing signature (``（常书香 马丹阳）`` at the end).
        alone: the line may be names and nothing else (``赵延东、风笑天``).
    """
    line = _join_spaced_names(line)
    for pattern in _LABELLED:
        m = pattern.search(line)
        if m:
            names = _clean(m["v"])
            if names and m.groupdict().get("alias") and " " not in names:
                names += f" ({m['alias'].strip()})"
            if names:
                return names
    if signature:
        m = _SIGNATURE.search(line)
        if m:
            names = _clean(m["v"])
            # Unlabelled: ``（袁源）`` is a signature, ``名称（代码）`` is not.
            if names and (not _CJK_START.match(names) or has_surname(names.split()[0])):
                return names
    if alone:
        m = _ALONE.match(line)
        if m:
            names = _clean(m["v"])
            # Unlabelled, a line of two to four characters is a name only where it starts
            # with a surname (``胡平``, not ``学习目的``).
            if names and has_surname(names.split()[0]):
                return names
    return ""


def poster(line: str) -> str:
    """Who a post's signature line says posted it (``由海姑娘张贴 @ …`` -> ``海姑娘``;
    "" where the line is no such signature)."""
    m = _POSTED.search(line)
    return _clean(m["v"]) if m else ""


def leading_names(value: str) -> str:
    """The names a field's value starts with, space-separated (``郭励弘 我来说两句(0)`` ->
    ``郭励弘``; "" where it starts with none)."""
    m = re.match(rf"\s*(?P<v>{_NAMES})", value)
    return _clean(m["v"]) if m else ""


def is_names(value: str) -> bool:
    """Whether a value is nothing but person names (``张三``, ``张三、李四``, ``zboygirl``),
    not a site, an organisation or a list of them."""
    return (
        bool(re.fullmatch(_NAMES, value.strip()))
        and all(n not in _NOT_NAMES for n in re.split(r"[\s、，,]+", value.strip()))
        and "." not in value
    )


def _usable(block: Block) -> bool:
    return block.region not in _FURNITURE and block.link_chars < 0.5 * len(block.text)


def _byline_names(block: Block, *, alone: bool = False) -> str:
    """The names a line above the text states: outside its links first (``作者：<a>专栏
    </a>`` names nobody); then with them, for a name that links to its author's own
    page (``作者: <a>赵 培</a>``), where every name starts with a surname."""
    names = find_authors(block.plain or block.text, alone=alone)
    if names or not block.plain or block.plain == block.text:
        return names
    linked = find_authors(block.text, alone=alone)
    return linked if linked and all(map(has_surname, linked.split())) else ""


def _closing(blocks: Sequence[Block], body_start: int, body_end: int) -> list[int]:
    """The article's last paragraph (a block of 40 characters or more that ends a
    sentence) and the short lines under it, up to a block of links (``编辑： 金金`` /
    ``来源： 21世纪经济报道`` / ``作者：宋怡 杨志华`` / ``我要说说 打印 推荐``)."""
    last = next(
        (i for i in range(body_end - 1, body_start, -1)
         if _usable(blocks[i]) and len(blocks[i].text) >= 40
         and _SENTENCE_END.search(blocks[i].text.rstrip()[-3:])),
        -1,
    )  # fmt: skip
    if last < 0:
        return []
    found = [last]
    for i in range(last + 1, min(body_end, last + 1 + _MAX_NOTES)):
        if not _usable(blocks[i]) or len(blocks[i].text) > _MAX_BYLINE:
            break
        found.append(i)
    return found


def page_author(
    blocks: Sequence[Block], *, title_at: int, body_start: int, body_end: int
) -> tuple[str, str]:
    """The author(s) a page states in its visible text, space-separated, and where.

    Args:
        blocks: the page's visible blocks.
        title_at: the headline's block (-1 where not found).
        body_start: the article's first paragraph (-1 where unknown: nothing is read).
        body_end: the index after the article's last block.

    Returns:
        ``(names, where)``: ``byline``, ``article``, ``under-title`` or ``editor``;
        ``("", "")`` where the page names nobody.
    """
    if body_start < 0:
        return "", ""
    top = title_at + 1 if 0 <= title_at < body_start else max(0, body_start - _MAX_LINES_BEFORE)
    above = [i for i in range(top, body_start) if len(blocks[i].text) <= _MAX_BYLINE]
    for i in above:
        if _usable(blocks[i]):
            names = _byline_names(blocks[i])
            if names:
                return names, "byline"
    # The article's first block, its last paragraph and the short notes under it, and the
    # last three blocks that are not links or furniture.
    tail = list(islice((i for i in range(body_end - 1, body_start, -1) if _usable(blocks[i])), 3))
    ends = [body_start, *_closing(blocks, body_start, body_end), *tail]
    for i in dict.fromkeys(ends):
        block = blocks[i]
        if not _usable(block):
            continue
        text = block.text
        closing = i > body_start
        if i == body_start:
            text = text[:80]  # a dateline's reporter stands at the start
        elif len(text) > _MAX_BYLINE:
            text = text[-40:]  # a signature stands at the end of a long last paragraph
        names = find_authors(text, signature=closing)
        if names:
            return names, "article"
    # A forum post's own signature anywhere in it (``本贴由大卫于…发表``).
    for i in range(body_start, body_end):
        block = blocks[i]
        if _usable(block) and len(block.text) <= _MAX_BYLINE:
            m = _THIS_POST.search(block.text)
            if m and _clean(m["v"]):
                return _clean(m["v"]), "article"
    # A name alone under the headline; where the headline is not known, in the lines
    # just above the text.
    under = (
        range(title_at + 1, min(body_start, title_at + 4))
        if 0 <= title_at < body_start
        else range(max(0, body_start - 3), body_start)
    )
    for i in under:
        if _usable(blocks[i]):
            names = _byline_names(blocks[i], alone=True)
            if names:
                return names, "under-title"
    return "", ""


def page_issuer(blocks: Sequence[Block]) -> str:
    """The issuing body a government page's information table names (``发文机关：`` /
    ``吉林省人民政府``, the value in the label's cell or the next), for documents whose
    author is an office, not a person ("" where the page has no such table)."""
    for i, block in enumerate(blocks):
        if block.region in _FURNITURE or len(block.text) > _MAX_BYLINE:
            continue
        m = _ISSUER.match(block.text)
        if m is None:
            continue
        value = m["v"].strip() or (blocks[i + 1].text.strip() if i + 1 < len(blocks) else "")
        if 2 <= len(value) <= 40 and not _ISSUER_NOT.search(value):
            return value
    return ""


def page_editor(blocks: Sequence[Block], *, title_at: int, body_start: int, body_end: int) -> str:
    """The editor a page names (``编辑：山石``, ``（责任编辑：魏喆）``) in its byline or
    anywhere in its article, for pages that name no author ("" where none)."""
    if body_start < 0:
        return ""
    top = title_at + 1 if 0 <= title_at < body_start else max(0, body_start - _MAX_LINES_BEFORE)
    for i in range(top, body_end):
        if _usable(blocks[i]) and len(blocks[i].text) <= _MAX_BYLINE:
            m = _EDITOR.search(blocks[i].text)
            if m and _clean(m["v"]):
                return _clean(m["v"])
    return ""
