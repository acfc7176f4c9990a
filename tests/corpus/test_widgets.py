"""Sidebar headline lists, navigation bars and page widgets (expand and collapse, share,
comment, print and font-size labels, breadcrumbs) never reach the stored text, while
article paragraphs, with or without a link in them, stay."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml.html import document_fromstring

from corpus import load_documents
from corpus.cleaning.widgets import is_breadcrumb, is_widget_line, widget_tail
from corpus.html.extract import extract_main_text
from corpus.types import Document

FIXTURES = Path(__file__).parent / "fixtures" / "widgets"

PARAGRAPHS = [
    "今年以来，本市利用街角空地和拆违腾退的边角地块，新建了十二座口袋公园，"
    "总面积约三万平方米，周边居民步行五分钟即可到达。",
    "这些公园由园林部门统一设计，保留了原有的大树，增加了座椅、儿童游乐设施和夜间照明。"
    "更多设计细节可以在规划公示页面查看。",
    "园林部门负责人介绍，明年还将在老城区再建八座口袋公园，并对已建成的公园开展养护评估。",
]


def _body(doc: Document) -> list[str]:
    """The document's lines, without a leading headline line (the title)."""
    lines = doc.text.split("\n")
    if lines and doc.title and lines[0] == doc.title:
        lines = lines[1:]
    return lines


# -- labels ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "分享到：微信 微博 QQ",
        "字号：大 中 小",
        "【打印本稿】 【关闭】",
        "返回页首 | 关闭窗口",
        "返回顶部",
        "收起",
        "展开全文",
        "阅读全文 >>",
        "评论(12) 收藏 举报",
        "发送给朋友 发表评论 打印本文",
        "共 3 篇评论 发表评论 >>>",
        "第1页/共1页 << 上一页 | 下一页 >>",
        "页面功能 【我来说两句】【我要“揪”错】【推荐】【字体：大 中 小】【打印】 【关闭】",
        "您的位置：主页>艺术教育>院校招生资讯>中央美术学院",
        "首页 >> 人物聚焦 >> 2005人物",
        "分享讓更多人看到",
    ],
)
def test_widget_lines(line: str) -> None:
    assert is_widget_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "中",  # a one-character label alone is not a widget
        "今天的会议收起了往日的严肃气氛。",
        "他说，价格>成本>收入是不可能的，这是常识。",
        "温度从20>15>10度",
        "市民可以通过微信、微博和QQ分享自己拍摄的公园照片，参加摄影比赛。",
        "评论员文章：口袋公园要建好更要管好",
        "共有帖子数1个",
    ],
)
def test_not_widget_lines(line: str) -> None:
    assert not is_widget_line(line)


@pytest.mark.parametrize(
    ("line", "kept"),
    [
        ("某公司员工：只有30分钟午餐时间 收起", "某公司员工：只有30分钟午餐时间"),
        ("明年还将再建八座口袋公园。 展开全文", "明年还将再建八座口袋公园。"),
        ("明年还将再建八座口袋公园……展开全文", "明年还将再建八座口袋公园……"),
        ("明年还将再建八座口袋公园。 收起 分享 评论(12)", "明年还将再建八座口袋公园。"),
        ("他把书收起", "他把书收起"),  # no space: a word of the sentence
        ("老人把伞收起。", "老人把伞收起。"),
        ("收起", "收起"),  # nothing before it: the whole line is judged elsewhere
        ("Follow us on Twitter", "Follow us on Twitter"),  # Latin words are not cut
    ],
)
def test_widget_labels_at_the_end_of_a_line(line: str, kept: str) -> None:
    assert line[: widget_tail(line)].rstrip() == kept


@given(st.text(alphabet=st.sampled_from(list("收起展开全文分享评论 。…a1(")), max_size=40))
def test_widget_tail_is_a_prefix_cut_and_idempotent(line: str) -> None:
    cut = widget_tail(line)
    assert 0 <= cut <= len(line)
    kept = line[:cut].rstrip()
    assert widget_tail(kept) == len(kept)


def test_breadcrumbs() -> None:
    assert is_breadcrumb("当前位置：首页｜新华社记者看东北｜人物专访")
    assert is_breadcrumb("汽车 >> 车坛动态 >> 业界新闻")
    assert not is_breadcrumb("3 > 2 > 1")


# -- pages -------------------------------------------------------------------------------


def test_share_comment_and_print_widgets_are_dropped() -> None:
    (doc,) = load_documents([FIXTURES / "share_widgets.html"]).documents
    # The paragraph with a link stays; the one ending in " 收起" loses the label.
    assert _body(doc) == PARAGRAPHS


def test_a_sidebar_headline_list_is_dropped() -> None:
    (doc,) = load_documents([FIXTURES / "headline_list.html"]).documents
    assert _body(doc) == PARAGRAPHS
    for junk in ("午餐时间", "地铁六号线", "加装电梯", "市民热线", "充电桩", "收起"):
        assert junk not in doc.text


def _main(html: str) -> str:
    main = extract_main_text(document_fromstring(html))
    assert main is not None
    return main.text


_ARTICLE = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)


def test_a_navigation_bar_is_dropped() -> None:
    nav = (
        '<table><tr><td><a href="/">首页</a> | <a href="/news/">新闻</a> | <a href="/city/">城市'
        '</a> | <a href="/life/">生活</a></td></tr></table>'
    )
    text = _main(f"<html><body><article>{nav}{_article_with_more()}</article></body></html>")
    assert text.split("\n")[0] == PARAGRAPHS[0]  # the bar above it is gone


def _article_with_more() -> str:
    more = (
        "<p>据介绍，口袋公园的建设资金由市区两级财政共同承担，每座公园的平均造价约为一百五十万元，"
        "建成后由所在街道负责日常管理。</p>"
    )
    return _ARTICLE + more


def _table(rows: list[str], anchor: str) -> str:
    cells = "".join(
        f"<tr><td>[{i}]</td><td>{anchor.format(i=i)} {row}</td></tr>"
        for i, row in enumerate(rows, 1)
    )
    return f"<table>{cells}</table>"


def test_a_table_of_links_goes_but_anchors_without_href_are_text() -> None:
    # The same rows: with <a href> they are a headline list; after an empty <a name=...>
    # anchor (trafilatura marks it as a link without a target) they are a reference list.
    works = [
        "城市口袋公园设计研究[J]. 园林学报, 2020.",
        "街角空间更新的实践[M]. 北京: 建筑出版社, 2019.",
        "社区公园的日常管理[J]. 城市管理, 2021.",
    ]
    anchors = _table(works, '<a target="_self" name="ref{i}" id="ref{i}"></a>')
    text = _main(f"<html><body><article>{_article_with_more()}{anchors}</article></body></html>")
    assert "[2] 街角空间更新的实践[M]. 北京: 建筑出版社, 2019." in text.split("\n")
    headlines = [f'<a href="/news/{i}.html">{work}</a>' for i, work in enumerate(works)]
    links = _table(headlines, "")
    text = _main(f"<html><body><article>{_article_with_more()}{links}</article></body></html>")
    assert "街角空间" not in text and PARAGRAPHS[2] in text.split("\n")
