"""Sentences broken over two lines are joined (``<br>`` inside a web page's paragraph,
hard-wrapped text files); headings, list items and paragraphs stay apart; the cleaning
rule reports every joined break with exact offsets and is idempotent."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from corpus import load_documents
from corpus.cleaning import clean_article, join_broken_lines
from corpus.cleaning.base import apply_edits
from corpus.cleaning.linebreaks import RULE, LineShape, continues, wrapped_continues
from corpus.cleaning.offsets import EditMap
from corpus.sentences import sentence_spans
from corpus.types import Document

FIXTURES = Path(__file__).parent / "fixtures" / "widgets"
SEEDS = Path(__file__).resolve().parents[2] / "corpus" / "articles"


def _body(doc: Document) -> list[str]:
    """The document's lines, without a leading headline line (the title)."""
    lines = doc.text.split("\n")
    if lines and doc.title and lines[0] == doc.title:
        lines = lines[1:]
    return lines


# -- the decision, line by line ------------------------------------------------------

JOINED = [
    # (line, next line, separator)
    ("然而最新的研究发现：新冠感染症状中", "嗅觉和味觉减退的比例明显高于此前的估计。", ""),
    ("今年以来，全市新建口袋公园十二座，", "总面积约三万平方米。", ""),
    ("参加会议的有长三角三省一市的企业代表、", "专家学者和政府部门负责人。", ""),
    ("會議指出，今年前三季度全省地區生產總值增長", "百分之五點二，高於全國平均水平。", ""),
    ("研究人员在实验中使用了一种新的基因编辑技术，名为", "CRISPR的工具。", ""),
    ("会议指出，今年前三季度全省地区生产总值同比增长", "5.2%，高于全国平均水平。", ""),
    ("在昨天举行的新闻发布会上，他在接受记者采访时说：", "“我们一定会按时完成任务。”", ""),
    ("The research team said on Monday that most patients had fully", "recovered.", " "),
    ("The new rules, which the committee approved on Monday,", "take effect next year.", " "),
]

NOT_JOINED = [
    # (line, next line): why the break stays
    ("研究团队表示，下一步将扩大样本范围。", "相关数据将在明年上半年公布。"),  # 。
    ("这一差异是否具有统计学意义？", "还需要更多研究来确认。"),  # ？
    ("一是加强统筹协调，二是完善政策体系；", "三是强化督促检查。"),  # ；
    ("他说：“我们一定会按时完成任务！”", "会场响起热烈掌声。"),  # ！ and a closing quote
    ("这项研究由三家医院共同完成（详见附表）", "研究对象均为成年人。"),  # closing bracket
    ("今夕的故事和心里话——", "多年来，何夕似乎一直无从回避异性的爱慕。"),  # dash
    ("专家建议", "出现嗅觉减退的康复者应当尽早就诊。"),  # too short: a heading
    ("长江流域今年汛期降雨偏多两成", "水利部门今天通报，今年入汛以来降雨偏多。"),  # headline
    ("广汽回应现代合资内幕 全面合作项目即将展开", "广汽集团昨日证实，双方正在商谈合作。"),
    ("记者 王建宏 张文攀", "春节前夕，记者来到吉林市的一个村庄。"),  # byline
    ("会议部署了下半年的重点工作，主要包括：", "一、加快重大项目建设进度。"),  # 一、
    ("会议部署了下半年的重点工作，主要包括：", "1. 加快重大项目建设进度。"),  # 1.
    ("会议部署了下半年的重点工作，主要包括：", "（二）完善公共服务体系。"),  # （二）
    ("会议部署了下半年的重点工作，主要包括：", "●完善公共服务体系。"),  # bullet
    ("全书按时间顺序分为上下两编，共十二章，分别是", "第一章 远古的传说"),  # 第一章
    ("下面是本报记者对这位专家的专访，问题如下：", "问：这项研究的意义是什么？"),  # 问：
    ("他是一位在中国生活多年的外国企业家，", "新华社北京3月5日电 全国两会今天开幕。"),  # dateline
    ("他是一位在中国生活多年的外国企业家，", "本报讯 昨天下午，全市防汛会议召开。"),  # 本报讯
    ("The committee met on Monday and approved the plan.", "It takes effect next year."),
]


@pytest.mark.parametrize(("line", "following", "separator"), JOINED)
def test_a_sentence_broken_inside_a_paragraph_joins(
    line: str, following: str, separator: str
) -> None:
    assert continues(LineShape.of(line), following) == separator


@pytest.mark.parametrize(("line", "following"), NOT_JOINED)
def test_a_real_line_break_stays(line: str, following: str) -> None:
    assert continues(LineShape.of(line), following) is None
    text = f"{line}\n{following}"
    assert join_broken_lines(text).text == text


WRAPPED = [
    # Plain text wrapped at 30 ideographs or 70 letters: (line, next line, separator).
    (
        "水利部门今天通报，今年入汛以来长江流域平均降雨量比常年同期偏",
        "多两成，中下游干流水位持续上涨。",
        "",
    ),
    (
        "氣象部門預計，未來十天流域內仍將有兩次較強降雨過程，局地可能",
        "出現大暴雨，山洪和地質災害風險較高。",
        "",
    ),
    (
        "研究人员在实验中使用了一种新的基因编辑技术，并在论文中将其命名为",
        "CRISPR-X，相关代码已经公开。",
        "",
    ),
    (
        "The river authority said on Tuesday that water levels at the main",
        "gauging stations were still rising.",
        " ",
    ),
]

PLAIN_NOT_JOINED = [
    # Each would join inside one paragraph; in plain text they are separate lines.
    # A headline, shorter than the paragraph after it.
    (
        "長三角綠色低碳產業鏈聯盟成立,助新材料新能源企業深度協同",
        "6月5日,以“四鏈”融合、科創未來為主題的2024年度長三角企業家聯盟會議在浙江溫州召開,"
        "第四批長三角產業鏈聯盟成立。",
    ),
    # List items without a full stop, too short to be wrapped lines.
    ("加强区域合作，推动产业链上下游协同发展", "完善公共服务体系，提升群众的获得感"),
    # A lead-in and the paragraph it introduces.
    ("然而最新的研究发现：新冠感染症状中", "嗅觉和味觉减退的比例明显高于此前的估计。"),
]


@pytest.mark.parametrize(("line", "following", "separator"), WRAPPED)
def test_a_hard_wrapped_line_joins(line: str, following: str, separator: str) -> None:
    assert wrapped_continues(LineShape.of(line), following) == separator
    assert join_broken_lines(f"{line}\n{following}").text == f"{line}{separator}{following}"


@pytest.mark.parametrize(("line", "following"), PLAIN_NOT_JOINED)
def test_plain_text_joins_only_wrapped_lines(line: str, following: str) -> None:
    assert continues(LineShape.of(line), following) == ""
    assert wrapped_continues(LineShape.of(line), following) is None
    text = f"{line}\n{following}"
    assert join_broken_lines(text).text == text


def test_an_empty_line_always_separates_paragraphs() -> None:
    text = "水利部门今天通报，今年入汛以来长江流域平均降雨量比常年同期偏\n\n多两成。"
    assert join_broken_lines(text).text == text
    assert join_broken_lines(text.replace("\n\n", "\n \u3000\n")).removals == ()


def test_a_hard_wrapped_paragraph_becomes_one_line_and_reports_each_break() -> None:
    text = (
        "水利部门今天通报，今年入汛以来长江流域平均降雨量比常年同期偏  \n"
        "\u3000多两成，中下游干流水位持续上涨，沿江各地已经启动防汛四级应急\n"
        "响应。\n"
    )
    result = join_broken_lines(text)
    assert result.text == (
        "水利部门今天通报，今年入汛以来长江流域平均降雨量比常年同期偏多两成，"
        "中下游干流水位持续上涨，沿江各地已经启动防汛四级应急响应。\n"
    )
    assert [r.text for r in result.removals] == ["  \n\u3000", "\n"]
    assert all(r.rule == RULE and text[r.start : r.end] == r.text for r in result.removals)


def test_a_joined_line_is_judged_as_a_whole() -> None:
    # The short middle piece alone would not be a wrapped line; the line joined so far is.
    text = (
        "今年一季度，本市规模以上工业增加值同比增长百分之七，增速创下五\n"
        "年来的最高纪录，其中\n"
        "高技术制造业增长最快。"
    )
    assert join_broken_lines(text).text == text.replace("\n", "")


# -- plain text files and web pages, end to end --------------------------------------


def test_hard_wrapped_text_file() -> None:
    (doc,) = load_documents([FIXTURES / "hard_wrapped.txt"]).documents
    assert doc.text.split("\n") == [
        "长江流域今年汛期降雨偏多两成",
        "水利部门今天通报，今年入汛以来长江流域平均降雨量比常年同期偏多两成，中下游干流"
        "水位持续上涨，沿江各地已经启动防汛四级应急响应。",
        "专家提示",
        "气象部门预计，未来十天流域内仍将有两次较强降雨过程，局地可能出现大暴雨，山洪和"
        "地质灾害风险较高，请沿江群众及时关注预警信息。",
        "The river authority said on Tuesday that water levels at the main gauging stations "
        "were still rising and would peak next week.",
    ]
    breaks = [r for r in doc.report.removals if r.rule == RULE]
    raw = (FIXTURES / "hard_wrapped.txt").read_text(encoding="utf-8")
    assert len(breaks) == 5 and all(raw[r.start : r.end] == r.text for r in breaks)


def test_br_inside_a_paragraph_of_a_web_page() -> None:
    (doc,) = load_documents([FIXTURES / "br_sentence.html"]).documents
    assert _body(doc) == [
        "记者从市卫生健康委员会获悉，本市近日完成了一项针对三千名康复者的随访调查，"
        "调查持续了整整一年。",
        "过去人们普遍认为，发热和咳嗽是新冠感染最主要的表现。然而最新的研究发现：新冠感染"
        "症状中嗅觉和味觉减退的比例明显高于此前的估计，部分患者的恢复时间超过半年。",
        # A heading line before a <br> and a sentence that ends before one stay apart.
        "专家建议",
        "出现嗅觉减退的康复者应当尽早到耳鼻喉科就诊，并在医生指导下进行嗅觉训练。",
        "研究团队表示，下一步将扩大样本范围。",
        "相关数据将在明年上半年向社会公开发布。",
        "The research team said on Monday that most patients had fully recovered their "
        "sense of smell within six months.",
        "调查还显示，接种过疫苗的康复者出现长期症状的比例较低，但这一差异是否具有统计学"
        "意义，还需要更多研究来确认。",
    ]
    # The answer that was cut at the <br> is one sentence now.
    sentences = [doc.text[s:e] for s, e in sentence_spans(doc.text)]
    assert (
        "然而最新的研究发现：新冠感染症状中嗅觉和味觉减退的比例明显高于此前的估计，"
        "部分患者的恢复时间超过半年。" in sentences
    )


def test_seed_articles_are_unchanged() -> None:
    # Their lines are paragraphs and a headline: nothing to join.
    for doc in load_documents([SEEDS]).documents:
        assert not [r for r in doc.report.removals if r.rule == RULE], doc.source


# -- properties ------------------------------------------------------------------------

PIECES = st.sampled_from(
    [
        "會議在杭州召開",
        "长三角绿色低碳产业链联盟",
        "今年以来全市新建口袋公园十二座",
        "，",
        "、",
        "：",
        "。",
        "！",
        "”",
        "“",
        "（二）",
        "一、",
        "1.",
        "第二章",
        "新华社北京3月5日电",
        "the committee said",
        "a",
        "7",
        " ",
        "\u3000",
        "\t",
        "\n",
        "\n",
        "\n\n",
        "\r\n",
        "(zhǎng)",
        "(完)",
        "?",
        "\ufffd",
    ]
)
WRAPPED = st.lists(st.one_of(PIECES, st.text(max_size=3)), max_size=40).map("".join)
TEXTS = st.one_of(st.text(max_size=200), WRAPPED)
_EDGE = " \t\u3000\u00a0\f\v"


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
@example(
    "今年一季度，本市规模以上工业增加值同比增长百分之七，增速创下五\n年来的最高纪录，其中\n高技术"
)
def test_join_reports_exact_offsets_for_arbitrary_text(text: str) -> None:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    result = join_broken_lines(text)
    assert apply_edits(text, result.edits) == result.text
    assert len(result.removals) == len(result.edits)
    for removal, edit in zip(result.removals, result.edits, strict=True):
        assert (removal.start, removal.end) == (edit.start, edit.end)
        assert text[removal.start : removal.end] == removal.text
        assert removal.text.strip(_EDGE) == "\n"  # one break and the spaces around it
        assert edit.replacement in ("", " ")
    # Only whitespace changes, and every kept character maps back to itself.
    assert re.sub(r"\s", "", result.text) == re.sub(r"\s", "", text)
    mapping = EditMap(result.edits)
    replaced = {i for i, c in enumerate(result.text) if c == " "}
    for i, ch in enumerate(result.text):
        if i not in replaced:
            assert text[mapping.start(i)] == ch
    # Idempotent: what is left are real breaks.
    assert join_broken_lines(result.text).removals == ()


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_cleaning_reports_joined_breaks_as_raw_slices_and_leaves_none(raw: str) -> None:
    cleaned = clean_article(raw)
    for removal in cleaned.report.removals:
        assert raw[removal.start : removal.end] == removal.text
    assert join_broken_lines(cleaned.text).removals == ()
    assert clean_article(cleaned.text).text == cleaned.text
