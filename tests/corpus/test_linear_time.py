"""The cleaning rules and the Markdown reader run in linear time on hostile input, and the
linear versions give exactly what the plain regular expressions they replace gave.

The equivalence tests keep the old (quadratic) code here as the reference and compare on
arbitrary text; the timing test is a guard against quadratic blow-ups only, with a bound
far above the measured figures (docs/reliability.md).
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.cleaning import clean_article, find_garbled, is_boilerplate_line
from corpus.cleaning.boilerplate import _TEASER, END_MARK, find_end_mark
from corpus.cleaning.garbled import _LOST_CHAR, _scan
from corpus.markdown import _heading_text, _md_inline, markdown_to_text

# -- the reference implementations (quadratic on hostile input) --------------------------

_REF_IMAGE = re.compile(r"!\[([^\]]*)\]\([^)]*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_REF_CODE = re.compile(r"`([^`]+)`")
_REF_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_REF_EM_STAR = re.compile(r"(?<![*\\])\*(?=\S)(.+?)(?<=\S)\*(?!\*)")
_REF_EM_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9_])_(?=\S)(.+?)(?<=\S)_(?![A-Za-z0-9_])")
_REF_HEADING_END = re.compile(r"(.*?)\s*#*\s*$")
_REF_TEASER = re.compile(
    r"[(（]\s*\d+\s*[)）]\s*人\s*(?:閱讀|阅读|瀏覽|浏览)"
    r"|人(?:閱讀|阅读)(?:時間|时间)\s*[:：]"
    r"|(?:\.{3}|…)+\s*\d{4}-\d{1,2}-\d{1,2}"
)


def _ref_inline(line: str) -> str:
    line = _REF_IMAGE.sub("", line)
    line = _REF_LINK.sub(r"\1", line)
    line = _REF_CODE.sub(r"\1", line)
    line = _REF_STRONG.sub(r"\2", line)
    line = _REF_EM_STAR.sub(r"\1", line)
    return _REF_EM_UNDERSCORE.sub(r"\1", line)


def _ref_find_garbled(text: str) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    i = 0
    while (m := _LOST_CHAR.search(text, i)) is not None:
        i = m.start()
        end, strong = _scan(text, i + 1)
        if text[i] == "\ufffd" or (strong and end - i >= 2):
            spans.append((i, end))
            i = end
            continue
        i += 1
    return spans


MARKDOWN_PIECES = st.sampled_from(
    list("[]()!*_#`\\ \t中a1-+>.~") + ["**", "__", "](", "![", "# ", "\n", "\u3000", "x_y"]
)
MARKDOWN_LINE = st.lists(MARKDOWN_PIECES, max_size=30).map("".join)
GARBLED_TEXT = st.lists(
    st.sampled_from(list("?!≈)aZk@~中鬓閰é。 \ufffd") + ["?dòng)", "?!≈鬓k", "閰^"]), max_size=40
).map("".join)


@settings(max_examples=2000, deadline=None)
@given(MARKDOWN_LINE)
def test_inline_markdown_is_the_plain_regex_result(line: str) -> None:
    line = line.replace("\n", " ")
    assert _md_inline(line) == _ref_inline(line)


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=" \t#a中\u3000\x1c", max_size=20))
def test_heading_end_is_the_plain_regex_result(rest: str) -> None:
    m = _REF_HEADING_END.match(rest)
    assert m is not None
    assert _heading_text(rest) == m.group(1)


END_MARK_TEXT = st.lists(
    st.sampled_from(["(完)", "（完）", "(", "完", ")", "）", " ", "\t", "\n", "\x0c", "文"]),
    max_size=30,
).map("".join)


@settings(max_examples=2000, deadline=None)
@given(END_MARK_TEXT)
def test_end_mark_is_the_plain_regex_result(text: str) -> None:
    m = END_MARK.search(text)
    assert find_end_mark(text) == (None if m is None else m.span())


@settings(max_examples=1000, deadline=None)
@given(
    st.lists(
        st.sampled_from([".", "…", " ", "2024-1-2", "1", "-", "文", "(", ")", "人", "阅读"]),
        max_size=20,
    )
)
def test_teaser_dates_are_found_as_before(pieces: list[str]) -> None:
    line = "标题" + "".join(pieces)
    assert bool(_TEASER.search(line)) == bool(_REF_TEASER.search(line))
    if _REF_TEASER.search(line):
        assert is_boilerplate_line(line)


@settings(max_examples=2000, deadline=None)
@given(GARBLED_TEXT)
def test_garbled_spans_are_the_old_scan_result(text: str) -> None:
    assert find_garbled(text) == _ref_find_garbled(text)


def test_markdown_still_reads_normal_articles() -> None:
    title, text = markdown_to_text(
        "# 标题 #\n\n**白马湖**实验室 [发布](https://e.cn/a) 了 *新* 机器人 ![图](x.png)\n"
        "## 小标题\n- 一条 `代码` 和 __粗__ 与 _斜_\n"
    )
    assert title == "标题"
    assert text.split("\n") == [
        "",
        "白马湖实验室 发布 了 新 机器人 ",
        "小标题",
        "一条 代码 和 粗 与 斜",
        "",
    ]


HOSTILE = ["?", "?a", "?!", "*", "*a ", "**a ", "_", "_a ", "__a ", "#", "[", "[a", "[a](", "![a](",
           "`", " ", "(a ", "長(zhǎng)", "(完)", "（完） ", "…", "...", "(1)"]  # fmt: skip


@pytest.mark.parametrize("piece", HOSTILE)
def test_a_hostile_200k_character_article_is_cleaned_in_bounded_time(piece: str) -> None:
    # Quadratic rules took seconds at 10k characters and hours at 200k; linear ones take
    # well under a second here (docs/reliability.md). The bound only catches blow-ups.
    raw = "中文" + piece * (200_000 // len(piece)) + "x"
    started = time.perf_counter()
    clean_article(raw)
    markdown_to_text("# " + raw)
    assert time.perf_counter() - started < 5.0
