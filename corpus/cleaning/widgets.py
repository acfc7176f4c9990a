"""Recognise page widget labels: expand and collapse (``收起``, ``展开全文``), share
(``分享到：微信 微博 QQ``), comment, like and report buttons, print and close links, font
size switches (``字号：大 中 小``), back-to-top and paging links, breadcrumb trails
(``您的位置：首页 > 新闻 > 正文``).

A page's widgets are labels, not text: a line made (almost) only of them is a widget
line, and such labels at the end of a line after a space (``...午餐时间 收起``) are
taken off. The labels are the same on every site (simplified and traditional spellings);
nothing here is keyed to a site.
"""

from __future__ import annotations

import re
import unicodedata

from corpus.charsets import is_cjk

__all__ = ["is_breadcrumb", "is_widget_line", "widget_tail"]

_EXPAND = (
    "收起 收起全文 展开 展開 展开全文 展開全文 阅读全文 閱讀全文 查看全文 显示全文 顯示全文 "
    "查看更多 显示全部 顯示全部 全文 更多 点击展开 點擊展開 展开阅读全文 展開閱讀全文 "
    "点击查看全文 點擊查看全文 余下全文 餘下全文 加载更多 載入更多 點擊加載更多 点击加载更多 "
    "查看原文 阅读原文 閱讀原文 点击查看 點擊查看 更多内容 更多內容"
)
_SHARE = (
    "分享 分享到 分享至 转发 轉發 微信 微博 新浪微博 腾讯微博 騰訊微博 QQ QQ空间 QQ空間 "
    "QQ好友 朋友圈 微信好友 微信朋友圈 豆瓣 人人网 人人網 开心网 開心網 复制链接 複製鏈接 "
    "复制网址 複製網址 分享让更多人看到 分享讓更多人看到 Facebook Twitter"
)
_COMMENT = (
    "评论 評論 发表评论 發表評論 我来说两句 我來說兩句 我要评论 我要評論 查看评论 查看評論 "
    "网友评论 網友評論 条评论 條評論 篇评论 篇評論 回复 回覆 回復 引用 参与讨论 參與討論"
)
_ACTIONS = (
    "收藏 点赞 點贊 點讚 赞 讚 顶 頂 踩 举报 舉報 纠错 糾錯 我要纠错 我要糾錯 推荐 推薦 "
    "推荐给朋友 推薦給朋友 发送给朋友 發送給朋友 打赏 打賞 关注 關注 订阅 訂閱 收藏本文 "
    "收藏本页 收藏本頁 收藏此帖 回复此帖 回覆此帖 引用此帖 加入收藏"
)
_NAVIGATION = (
    "返回顶部 返回頂部 返回页首 返回頁首 回到顶部 回到頂部 顶部 頂部 返回首页 返回首頁 返回 "
    "返回列表 返回目录 返回目錄 返目录 返目錄 上一页 上一頁 下一页 下一頁 上一篇 下一篇 "
    "首页 首頁 尾页 尾頁 末页 末頁 最末页 最末頁 上章 下章"
)
_PRINT = (
    "打印 列印 打印本页 打印本頁 打印本文 打印本稿 打印此文 打印此页 打印此頁 关闭 關閉 "
    "关闭窗口 關閉窗口 关闭本页 關閉本頁 页面功能 頁面功能"
)
_FONT = "字号 字號 字体 字體 大 中 小 默认 默認 放大 缩小 縮小"

_LABELS = frozenset(
    " ".join((_EXPAND, _SHARE, _COMMENT, _ACTIONS, _NAVIGATION, _PRINT, _FONT)).split()
)
# Labels that may end a line of text after a space (Chinese only: in a Latin sentence a
# space before the last word is normal).
_TAIL_LABELS = frozenset(
    label
    for label in " ".join((_EXPAND, _SHARE, _COMMENT, _ACTIONS)).split()
    if len(label) >= 2 and any(is_cjk(c) for c in label)
)
_EXPAND_LABELS = frozenset(_EXPAND.split())

# What separates labels: spaces, bars, dots, slashes, arrows, brackets, colons, commas;
# counts (``评论(12)``, ``3条评论``) are dropped before the line is cut.
_SEPARATORS = re.compile(
    r"[\s|｜/／\\·•・‧∙◆◇■□●○▪▫►▶◀▲▼△▽→←↑↓»«<>＜＞,，、:：;；\[\]【】()（）「」『』《》〈〉"
    r"“”‘’\"'`~～*＊\-–—_=+]+"
)
_COUNT = re.compile(r"\d+")
# Page and item counters of pagers and comment links: ``第1页``, ``共3页``, ``3条评论``.
_COUNTER = re.compile(r"[第共]?\s*\d+\s*[页頁篇条條楼樓]")
# A breadcrumb trail: ``您的位置：主页>艺术教育>...``, ``首页 >> 人物聚焦 >> 2005人物``.
_BREADCRUMB_START = re.compile(
    r"^\s*(?:您的位置|您现在的位置|您現在的位置|当前位置|當前位置|所在位置|现在位置|現在位置"
    r"|目前位置)\s*[:：]"
)
_TRAIL_STEP = re.compile(r"\s*(?:>>|->|>|»|›|＞|→)\s*")
_MAX_STEP = 15
_SENTENCE_MARKS = re.compile(r"[，。！？；,;!?]")
# A label at the end of a line, after a space or an ellipsis, in brackets or not.
_TAIL = re.compile(
    r"(?:(?<=\s)|(?<=…)|(?<=\.\.\.))[\[【(（]?(?P<label>[^\s\[\]【】()（）….]+?)"
    r"[\]】)）]?(?:[(（]?\d+[)）]?)?\s*$"
)
_MIN_LABEL_SHARE = 0.8
_TAIL_WINDOW = 40


def _letters(text: str) -> int:
    return sum(1 for c in text if unicodedata.category(c).startswith("L"))


def is_widget_line(line: str) -> bool:
    """Whether a line is (almost) only widget labels: ``分享到：微信 微博 QQ``,
    ``【打印】 【关闭】``, ``字号：大 中 小``, ``返回顶部``, ``评论(12) 收藏 举报``.

    At least 80% of its letters must be in labels, and one label must be a word (two
    characters or more): ``大`` or ``中`` alone is not a widget.

    Args:
        line: one line of text.

    Returns:
        True for a widget line.
    """
    if is_breadcrumb(line):
        return True
    counters = _COUNTER.findall(line)
    tokens = [t for t in _SEPARATORS.split(_COUNT.sub(" ", _COUNTER.sub(" ", line))) if t]
    if not tokens:
        return False
    label_letters = sum(_letters(c) for c in counters)
    other_letters = 0
    word = False
    for token in tokens:
        if token in _LABELS:
            label_letters += _letters(token)
            word = word or len(token) >= 2
        else:
            other_letters += _letters(token)
    total = label_letters + other_letters
    return word and total > 0 and label_letters >= _MIN_LABEL_SHARE * total


def is_breadcrumb(line: str) -> bool:
    """Whether a line is a breadcrumb trail: it starts with ``您的位置：`` (or
    ``当前位置：``...), or is three or more short steps (no comma or sentence mark) joined
    by ``>``, ``>>``, ``->``, ``»`` or ``→``.

    Args:
        line: one line of text.

    Returns:
        True for a breadcrumb.
    """
    if _BREADCRUMB_START.match(line):
        return True
    if _SENTENCE_MARKS.search(line):
        return False
    steps = _TRAIL_STEP.split(line.strip())
    return len(steps) >= 3 and all(0 < _letters(step) <= _MAX_STEP for step in steps if step)


def widget_tail(line: str) -> int:
    """Where the widget labels at the end of a line begin (``...午餐时间 收起``: at
    ``收起``): labels after a space, or an expand label after an ellipsis
    (``……展开全文``).

    Args:
        line: one line of text.

    Returns:
        The offset where the trailing labels begin, ``len(line)`` where there are none.
        What comes before is kept as it is (strip its trailing spaces).
    """
    end = len(line)
    while True:
        # Labels are short: look at the end of the line only (linear time on long lines).
        start = max(0, end - _TAIL_WINDOW)
        m = _TAIL.search(line[start:end])
        if m is None:
            return end
        at = start + m.start()
        label = m.group("label")
        before = line[:at].rstrip()
        if not before or label not in _TAIL_LABELS:
            return end
        if not line[at - 1].isspace() and label not in _EXPAND_LABELS:
            return end
        end = len(before)
