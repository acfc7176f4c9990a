"""Remove site furniture: text after the end mark, related-article lists, footers.

* End mark: the first ``(完)`` / ``（完）`` that ends a line closes the article. The mark
  and everything after it are removed; the sentence before it stays intact. (The mark
  itself is dropped because it is not part of what the article says and would only end
  up in quotes.)
* Related-article lists: teaser lines with view counts or dates
  (``...(945 )人閱讀時間:2025-11-07``, ``...2024-12-25``), the short headline line just
  before each teaser, and list headers (``相關新聞``).
* Footers: WeChat, copyright, ICP records (``微信二維碼``, ``微信號:``, ``Copyright``,
  ``版權所有``, ``備案號:蘇ICP備...``).
* View counters (``瀏覽量: 123``) and field labels with nothing after them (``來源:``).

Traditional and simplified spellings are both recognised.
"""

from __future__ import annotations

import re

from corpus.cleaning.base import Edit, RuleResult, drop_lines, split_lines
from corpus.types import Removal

__all__ = ["END_MARK", "RULE", "find_end_mark", "is_boilerplate_line", "remove_boilerplate"]

RULE = "boilerplate"

# A run of end marks counts as one (``(完)(完)``), so a second pass finds none left; any
# whitespace but a line break may follow (a form feed too: whitespace clean-up removes it
# later, and a second pass would then see the mark).
END_MARK = re.compile(r"(?:[(（]\s*完\s*[)）][^\S\n]*)+(?=\n|$)")
# One mark; :func:`find_end_mark` chains them (searching with END_MARK itself retries
# from every mark of a long run, each time to the end of the run: quadratic).
_ONE_MARK = re.compile(r"[(（]\s*完\s*[)）][^\S\n]*")
_MAX_FOOTER = 160
_FOOTER = re.compile(
    r"微信二維碼|微信二维码|微信號\s*[:：]|微信号\s*[:：]|微信公眾號\s*[:：]|微信公众号\s*[:：]"
    r"|copyright|版權所有|版权所有|備案號|备案号|ICP\s*[備备證证]|all rights reserved|©"
    r"|掃一掃|扫一扫|關注我們|关注我们|聯繫我們\s*[:：]|联系我们\s*[:：]",
    re.IGNORECASE,
)
_TEASER = re.compile(
    r"[(（]\s*\d+\s*[)）]\s*人\s*(?:閱讀|阅读|瀏覽|浏览)"
    r"|人(?:閱讀|阅读)(?:時間|时间)\s*[:：]"
    # One ellipsis before the date finds what a run of them (``(?:\.{3}|…)+``) finds,
    # in linear time: the run was retried from each of its ellipses.
    r"|(?:\.{3}|…)\s*\d{4}-\d{1,2}-\d{1,2}"
)
_LIST_HEADER = re.compile(
    r"^(?:相關新聞|相关新闻|相關閱讀|相关阅读|相關文章|相关文章|推薦閱讀|推荐阅读|熱門文章|热门文章"
    r"|猜你喜歡|猜你喜欢|延伸閱讀|延伸阅读|更多新聞|更多新闻)\s*[:：]?$"
)
_COUNTER = re.compile(
    r"^(?:瀏覽量|浏览量|閱讀量|阅读量|點擊量|点击量|瀏覽|浏览|閱讀|阅读|點擊|点击|閱讀數|阅读数)"
    r"(?:次數|次数)?\s*[:：]\s*\d*\s*次?$"
)
_EMPTY_FIELD = re.compile(
    r"^(?:來源|来源|作者|編輯|编辑|責任編輯|责任编辑|責編|责编|發布時間|发布时间|發佈時間"
    r"|時間|时间|日期|標籤|标签|關鍵詞|关键词|關鍵字|关键字|分享到|分享)\s*[:：]$"
)
_SENTENCE_END = re.compile(r"[。！？!?]")
_MAX_HEADLINE = 40


def is_boilerplate_line(line: str) -> bool:
    """Whether a whole line is site furniture (footer, teaser, counter, empty field).

    Args:
        line: one line of text.

    Returns:
        True where the line should not be part of the article body.
    """
    s = line.strip()
    if not s:
        return False
    if len(s) <= _MAX_FOOTER and _FOOTER.search(s):
        return True
    return bool(
        _TEASER.search(s) or _LIST_HEADER.match(s) or _COUNTER.match(s) or _EMPTY_FIELD.match(s)
    )


def find_end_mark(text: str) -> tuple[int, int] | None:
    """The span of the first run of end marks that ends a line: what
    ``END_MARK.search(text)`` finds, in linear time.

    Args:
        text: article text.

    Returns:
        ``(start, end)``, or None where no end mark ends a line.
    """
    pos = 0
    while (first := _ONE_MARK.search(text, pos)) is not None:
        # A mark starts only with a parenthesis, which no mark holds inside: the marks
        # from ``first`` are the only way on, and a later start inside them would fail too.
        end, found = first.end(), None
        while True:
            if end == len(text) or text[end] == "\n":
                found = end
            more = _ONE_MARK.match(text, end)
            if more is None:
                break
            end = more.end()
        if found is not None:
            return first.start(), found
        pos = end
    return None


def remove_boilerplate(text: str) -> RuleResult:
    """Remove the end-mark tail, related-article lists, footers and counters.

    Args:
        text: article text.

    Returns:
        The body, one removal for the tail after the end mark and one per removed line.
    """
    tail: list[Edit] = []
    tail_removals: list[Removal] = []
    body = text
    mark = find_end_mark(text)
    if mark is not None:
        start = mark[0]
        tail = [Edit(start, len(text))]
        tail_removals = [Removal(RULE, text[start:], start, len(text))]
        body = text[:start]
    lines = split_lines(body)
    drop = [is_boilerplate_line(line) for line in lines]
    # The headline of a related article sits on its own line just before its teaser.
    for i, line in enumerate(lines):
        if drop[i] and _TEASER.search(line) and i > 0:
            prev = lines[i - 1].strip()
            if prev and not drop[i - 1] and len(prev) <= _MAX_HEADLINE:
                if not _SENTENCE_END.search(prev[-1:]):
                    drop[i - 1] = True
    # Offsets in ``body`` are offsets in ``text``: the body is its prefix.
    lines_result = drop_lines(body, drop, RULE)
    return RuleResult.of(
        text,
        [*lines_result.edits, *tail],
        [*tail_removals, *lines_result.removals],
    )
