"""Near misses at scale: unanswerable variants of benchmark questions, made and checked
mechanically, split once by article into a dev part and a frozen test part.

A near miss looks answerable from an article but is not: the right behaviour is to
abstain. :func:`generate` derives them from SQuAD-format questions (CMRC 2018, DRCD),
one per kind of change per question where the change applies:

* ``year``, ``date``, ``ordinal``, ``number``: a year (``1955年``), a day
  (``3月5日``), an ordinal (``第三届``, ``第一轮``) or a count with its unit (``17座``)
  shifted to a value the article never states (in digits or Chinese numerals; a year
  also not inside a range ``1950年至1960年``, not in a decade ``1950年代`` and not where
  the article counts years relatively, ``次年``, ``三年后``);
* ``variant``: the number of a model or a title shifted (``C-170`` → ``C-171``,
  ``《战国无双3》`` → ``《战国无双4》``);
* ``entity``: a person, place or organisation of the question (the article's subject,
  its title, or a name jieba's dictionary tags ``nr``/``ns``/``nt``) replaced by a name
  of the same kind (a person for a person; ``…县`` for ``…县``, ``…大学`` for ``…大学``)
  from jieba's dictionary that occurs in no paragraph of the corpus at all, so that
  no article can answer the question;
* ``qualifier``: a qualifier swapped within its dimension (``全年``/``前三季度``,
  ``全国``/``全球`` (widening only next to a superlative), ``最高``/``最低``,
  ``首张``/``第二张``, ``男子``/``女子``, ``东部``/``西部``, ...), where the article
  states the question's value and none of the new one's spellings;
* ``attribute``: an attribute of the article's subject (its title, where the question
  names it) that the article does not state: the ``人口`` or ``面积`` of a place, the
  ``身高`` of a person, the ``售价`` of a work, the founding year of an organisation;
  only where no word and no value pattern of that attribute occurs in the article.

Every comparison is made on text folded to simplified script
(:func:`qa.normalize_for_matching`, OpenCC), so a traditional DRCD question is checked
against its traditional article exactly as a simplified one. A generation is rejected
when the new term occurs anywhere in the article (every paragraph and the title), when
the question's value is not in the article to begin with (the change must contradict
something stated), and when a paragraph of another article holds the new term together
with a good part of the rest of the question (:data:`ELSEWHERE_COVERAGE`), which could
answer it.

The split (:func:`split_of`) is a pure function of the article id: ``dev`` where the
last hex digit of the sha1 of the id is 0-a (about 11 of 16 articles), else ``test``;
the same rule as the page set's (``eval.pages.split_of``). The test part is frozen:
it is reported only as a whole, never read question by question, and the rules of the
reader are never written against it.

Command line (a thin wrapper)::

    python -m eval.nearmiss generate ../shared/benchmarks/cmrc2018_dev.json \\
        ../shared/benchmarks/drcd_dev.json --out eval/questions/near_miss_generated.jsonl

writes ``near_miss_generated_dev.jsonl`` and ``near_miss_generated_test.jsonl`` beside
``--out`` (their union is the whole set) and prints the counts.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import json
import logging
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from eval.squad import BenchmarkQuestion, load_squad
from qa import Document, detect_script, normalize_for_matching, to_script

__all__ = [
    "ELSEWHERE_COVERAGE",
    "KINDS",
    "Article",
    "NearMiss",
    "NearMissGenerator",
    "cn_to_int",
    "counts",
    "generate",
    "int_to_cn",
    "read_near_misses",
    "split_of",
    "write_split",
]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

KINDS = ("year", "date", "ordinal", "number", "variant", "entity", "qualifier", "attribute")
"""The kinds of change, in the order they are tried for each question."""

ELSEWHERE_COVERAGE = 0.4
"""A generation is rejected when a paragraph outside its article holds the new term and
at least this share of the rest of the question's character bigrams (those of the new
term left out): that paragraph might answer it."""

_DEV_DIGITS = "0123456789a"


def split_of(article_id: str) -> str:
    """The part an article belongs to: ``dev`` where the last hex digit of the sha1 of its
    id is 0-a (about 11 of 16 articles), else ``test``. Pure: it depends on the id only.

    Args:
        article_id: the article's id (``cmrc2018_dev:DEV_0``, ``drcd_dev:1190``, a page id).

    Returns:
        ``"dev"`` or ``"test"``.
    """
    digest = hashlib.sha1(article_id.encode("utf-8")).hexdigest()
    return "dev" if digest[-1] in _DEV_DIGITS else "test"


def _hash(text: str) -> int:
    return int(hashlib.sha1(text.encode("utf-8")).hexdigest()[:12], 16)


# -- Chinese numerals ---------------------------------------------------------------------

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}  # fmt: skip
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}
_CN_NUM = "零〇一二两三四五六七八九十百千"
_INT_CN = "零一二三四五六七八九"


def cn_to_int(text: str) -> int | None:
    """The value of a Chinese numeral below 10,000 (``十二`` → 12, ``二十`` → 20,
    ``一百零五`` → 105, ``一九五五`` → 1955 read digit by digit); None where ``text``
    is not one."""
    if not text or any(c not in _CN_NUM for c in text):
        return None
    if not any(c in _CN_UNITS for c in text):
        value = 0
        for c in text:
            value = value * 10 + _CN_DIGITS[c]
        return value
    total, digit = 0, None
    for c in text:
        if c in _CN_DIGITS:
            digit = _CN_DIGITS[c]
        else:
            total += (1 if digit is None else digit) * _CN_UNITS[c]
            digit = None
    return total + (digit or 0)


def int_to_cn(value: int) -> str:
    """The Chinese numeral of ``0 <= value < 10,000`` as written in running text
    (12 → ``十二``, 20 → ``二十``, 105 → ``一百零五``)."""
    if not 0 <= value < 10_000:
        raise ValueError("value must be at least 0 and below 10000")
    if value < 10:
        return _INT_CN[value]
    if value < 20:
        return "十" + (_INT_CN[value - 10] if value > 10 else "")
    out, zero = "", False
    for unit, name in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = value // unit % 10
        if d:
            if zero and out:
                out += "零"
            out += _INT_CN[d] + name
            zero = False
        else:
            zero = True
    return out


def _year_cn(year: int) -> tuple[str, str]:
    digits = str(year)
    return "".join("〇一二三四五六七八九"[int(d)] for d in digits), "".join(
        _INT_CN[int(d)] for d in digits
    )


# -- the articles -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Article:
    """A benchmark article: its paragraphs joined, title first, folded for matching.

    Attributes:
        id: the article id (``cmrc2018_dev:DEV_0``).
        title: the title as written.
        text: title and paragraphs, folded (simplified script, half width, lower case).
        paragraphs: ids of its paragraphs.
    """

    id: str
    title: str
    text: str
    paragraphs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NearMiss:
    """One generated (or hand-written) near miss: a question to abstain on.

    Attributes:
        id: unique in the set (``nmg-<kind>-<source question id>``).
        question: the changed question, in the source question's script.
        source_id: the benchmark question it was made from.
        article: the article it looks answerable from (the unit of the split).
        kind: one of :data:`KINDS`.
        old: the term of the source question that was changed (``""`` for an attribute).
        new: the term put in its place (for an attribute, the attribute asked for).
        split: ``dev`` or ``test`` (:func:`split_of` of ``article``).
        absent: the term, folded for matching, that was checked not to occur anywhere in
            the article (``第四届``, ``1956``, ``3月6日``, ``人口``, a name).
    """

    id: str
    question: str
    source_id: str
    article: str
    kind: str
    old: str
    new: str
    split: str
    absent: str = ""

    def to_json(self) -> dict[str, Any]:
        """The JSONL record: a question set line (``qa eval``) with the provenance."""
        return {
            "id": self.id,
            "question": self.question,
            "answers": [],
            "doc_ids": [],
            "category": f"near-miss/{self.kind}",
            "expected": "abstain",
            "source_id": self.source_id,
            "article": self.article,
            "kind": self.kind,
            "old": self.old,
            "new": self.new,
            "absent": [self.absent] if self.absent else [],
            "split": self.split,
        }


# -- patterns -----------------------------------------------------------------------------

_YEAR = re.compile(
    r"(?<![\d.\-－–—~∼至到])(1[0-9]{3}|20[0-9]{2}|(?<=[于在从自是(（，、])[1-9][0-9]{2})"
    r"(?=\s*年(?!代|为止|以前|之前|以后|之后|以来|起|前|后|底|初|末|间|内))"
)
# A year that bounds a span (截至2016年, 直到2016年为止) states what held then too.
_BOUNDED_YEAR = re.compile(r"(截至|截止|直到|迄|到|至|从|自)\s*$")
_DATE = re.compile(r"(?<![\d.])(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_ORD_UNITS = (
    "顺位|舰队|阶段|届|次|个|名|位|代|任|轮|季|集|章|部|期|号|条|款|项|场|批|张|座|世|军"
    "|师|团|局|盘|节|版|卷|回|站|天|年|周|波|棒|道|级|层|所|家|种|首|本"
)
_ORDINAL = re.compile(rf"第\s*([0-9]+|[一二三四五六七八九十百两]+)\s*({_ORD_UNITS})?")
_COUNT_UNITS = (
    "平方公里|公里|千米|公尺|英里|小时|分钟|个|人|名|次|座|所|家|岁|米|吨|场|首|部|本|种|项"
    "|条|支|位|架|艘|辆|颗|间|层|户|只|匹|头|届|秒|天|周|年|倍|枚|块|层|句|集|章|卷|册|国"
)
_COUNT = re.compile(rf"(?<![\d.\-－–—~∼^×xX*/A-Za-z第])(\d+)(?![\d.])\s*({_COUNT_UNITS})(?!代)")
_COMPARATORS = (
    "超过", "以上", "以下", "至少", "多于", "少于", "不到", "不足", "大约", "约", "近",
    "逾", "余", "多", "左右", "上下", "前", "后", "内", "高于", "低于", "大于", "小于",
)  # fmt: skip
# A number that names a model or a title: after Latin letters (C-170, iPhone 7) or
# right after a Chinese character and before a closing mark or the end (战国无双3》).
_VARIANT = re.compile(
    r"(?:(?<=[A-Za-z])|(?<=[A-Za-z][\-\s]))(\d+)(?![\d.])"
    r"|(?<=[\u4e00-\u9fff])(\d{1,2})(?=[》」』”\"'’)）]|\s*$|[A-Za-z])"
)
_RELATIVE_YEAR = re.compile(
    r"次年|翌年|隔年|前年|去年|明年|后年|前一年|后一年|第二年|第三年|"
    r"[\d一二三四五六七八九十两]+\s*(?:年|个年头)\s*(?:后|前|之后|以后|之前|以前|间|内)"
)
_RELATIVE_DAY = re.compile(
    r"翌日|次日|隔日|隔天|翌晚|次晨|前一日|前一天|后一天|第二天|第三天|"
    r"[\d一二三四五六七八九十两]+\s*(?:日|天)\s*(?:后|前|之后|以后|之前|以前|间|内)"
)
_YEAR_RANGE = re.compile(r"(1[0-9]{3}|20[0-9]{2})\s*年?\s*[至到\-–—~－、]\s*(1[0-9]{3}|20[0-9]{2})")
_AGE = re.compile(r"[\d一二三四五六七八九十]+\s*岁")
_BIRTH = re.compile(r"出生|生于|年生|诞生")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_INTERROGATIVE_BIGRAMS = frozenset(
    "什么 多少 哪个 哪些 哪里 哪一 哪位 哪家 哪年 哪国 是谁 为何 为什 何时 何地 何处 几个 几年"
    " 是什 是多 是哪 的是 是在 了什 有多 有哪 由哪 在哪 于哪 于何 被哪 从哪 和哪 与哪".split()
)


# Qualifier dimensions, simplified: each value with the spellings that state it.
_QUALIFIERS: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...], bool], ...] = (
    # (dimension, values with their spellings, ordered narrow to wide)
    (
        "period",
        (
            ("第一季度", ("第一季度", "一季度", "首季")),
            ("上半年", ("上半年", "前两季度", "前二季度")),
            ("前三季度", ("前三季度", "前3季度", "1-9月", "1至9月", "一至九月")),
            ("全年", ("全年", "整年", "全年度")),
        ),
        False,
    ),
    (
        "scope",
        (
            ("全市", ("全市",)),
            ("全省", ("全省",)),
            ("全国", ("全国", "国内")),
            ("全球", ("全球", "全世界", "世界上", "世界第", "世界最", "世界之最", "国际上")),
        ),
        True,
    ),
    ("sex", (("男子", ("男子",)), ("女子", ("女子",))), False),
    ("sex-p", (("男性", ("男性",)), ("女性", ("女性",))), False),
    ("season", (("夏季", ("夏季", "夏天")), ("冬季", ("冬季", "冬天"))), False),
    ("season2", (("春季", ("春季", "春天")), ("秋季", ("秋季", "秋天"))), False),
    ("ew", (("东部", ("东部",)), ("西部", ("西部",))), False),
    ("ns", (("南部", ("南部",)), ("北部", ("北部",))), False),
    ("ew-bank", (("东岸", ("东岸",)), ("西岸", ("西岸",))), False),
    ("ns-bank", (("南岸", ("南岸",)), ("北岸", ("北岸",))), False),
    ("river", (("上游", ("上游",)), ("下游", ("下游",))), False),
)
_SUPERLATIVES: tuple[tuple[str, tuple[str, ...], str, tuple[str, ...]], ...] = (
    ("最高", (), "最低", ("最矮",)),
    ("最大", (), "最小", ()),
    ("最多", (), "最少", ()),
    ("最长", (), "最短", ()),
    ("最早", ("最先", "首先"), "最晚", ("最迟", "最后")),
    ("最快", (), "最慢", ()),
    ("最深", (), "最浅", ()),
    ("最重", (), "最轻", ()),
    ("最热", (), "最冷", ()),
    ("最强", (), "最弱", ()),
    ("最宽", (), "最窄", ()),
    ("最厚", (), "最薄", ()),
    ("最古老", ("最老", "最早"), "最年轻", ("最新",)),
)
_SCOPE_AFTER = frozenset("的最第首各范排性")
_SCOPE_BEFORE = frozenset("占居在于为列是")
# After a superlative: 的, a copula or the end of a clause (最高的山 / 海拔最高?), so that
# names such as 最高法院 are left alone.
_AFTER_SUPERLATIVE = re.compile(r"(?:的|是|为|达|者|[，,。？?！!]|\s*$)")
_FIRSTS = (
    "届|次|张|位|个|部|座|家|所|任|代|批|条|架|艘|本|首|场|期|款|颗|名|座|枚|集"  # 首张 → 第二张
)
_FIRST = re.compile(rf"(首|头一)({_FIRSTS})")


@dataclass(frozen=True, slots=True)
class _Attribute:
    name: str
    template: str  # {s}: the subject
    absent: re.Pattern[str]  # none of this may occur in the folded article


def _attr(name: str, template: str, absent: str) -> _Attribute:
    return _Attribute(name, template, re.compile(absent))


_FOUNDED = (
    r"成立|创立|创办|创建|建立|设立|组建|始建|建于|创于|建校|开办|开业|组成|诞生|始于|起源|成军"
    r"|创始|前身|年建|年创"
)
_STAFF = r"员工|雇员|职员|职工|教职|人员|\d\s*万?\s*[名人]|[万千百]名|[万千百]人"
_ATTRIBUTES: dict[str, tuple[_Attribute, ...]] = {
    "person": (
        _attr(
            "身高",
            "{s}的身高是多少？",
            r"身高|公分|厘米|cm|\d\s*米|[一二三四五六七八九十]米|英尺|英寸",
        ),
        _attr("体重", "{s}的体重是多少？", r"体重|公斤|千克|kg|磅|斤"),
        _attr("血型", "{s}的血型是什么？", r"血型"),
        _attr("配偶", "{s}的妻子是谁？", r"妻|夫人|丈夫|配偶|结婚|娶|嫁|婚|伴侣|皇后|王后"),
    ),
    "settlement": (
        _attr("人口", "{s}的人口有多少？", r"人口|居民|\d\s*万?\s*人|[万亿]人|户"),
        _attr("面积", "{s}的面积是多少？", r"面积|平方|公顷|亩|km|英亩"),
        _attr("邮政编码", "{s}的邮政编码是多少？", r"邮政|邮编|邮递|区号|代码"),
    ),
    "island": (
        _attr("人口", "{s}的人口有多少？", r"人口|居民|\d\s*万?\s*人|[万亿]人|户"),
        _attr("面积", "{s}的面积是多少？", r"面积|平方|公顷|亩|km|英亩"),
        _attr("海拔", "{s}的最高点海拔是多少米？", r"海拔|\d\s*米|公尺|高度|英尺|高出|米高|最高"),
    ),
    "mountain": (
        _attr("海拔", "{s}的海拔是多少米？", r"海拔|\d\s*米|公尺|高度|英尺|高出|米高|最高"),
        _attr("面积", "{s}的面积是多少？", r"面积|平方|公顷|亩|km|英亩"),
    ),
    "water": (
        _attr("深度", "{s}的最大深度是多少米？", r"深|\d\s*米|公尺|英尺"),
        _attr("长度", "{s}的全长是多少公里？", r"全长|长度|长约|长达|公里|千米|km|英里"),
        _attr("面积", "{s}的面积是多少？", r"面积|平方|公顷|亩|km|英亩"),
    ),
    "land": (
        _attr("面积", "{s}的面积是多少？", r"面积|平方|公顷|亩|km|英亩"),
        _attr("海拔", "{s}的平均海拔是多少米？", r"海拔|\d\s*米|公尺|高度|英尺|高出|米高"),
    ),
    "facility": (
        _attr("造价", "{s}的造价是多少？", r"造价|投资|耗资|成本|\d\s*[万亿]?\s*元|资金|经费|拨款"),
        _attr("客流量", "{s}每天的客流量是多少？", r"客流|人次|乘客|旅客|流量|使用量"),
        _attr("设计者", "{s}是由谁设计的？", r"设计|建筑师|规划"),
    ),
    "company": (
        _attr("成立年份", "{s}是哪一年成立的？", _FOUNDED),
        _attr("员工人数", "{s}有多少名员工？", _STAFF),
        _attr(
            "年营收", "{s}的年营业收入是多少？", r"营收|营业额|收入|营业|利润|[元亿]|美元|资产|市值"
        ),
    ),
    "school": (
        _attr("成立年份", "{s}是哪一年成立的？", _FOUNDED),
        _attr(
            "学生人数",
            "{s}有多少名学生？",
            r"学生|学员|在校|在读|招生|\d\s*万?\s*[名人]|[万千百]名|[万千百]人",
        ),
        _attr("校长", "{s}的现任校长是谁？", r"校长|院长|掌校|主任|校监"),
    ),
    "organization": (
        _attr("成立年份", "{s}是哪一年成立的？", _FOUNDED),
        _attr(
            "成员人数",
            "{s}有多少名成员？",
            r"成员|会员|党员|队员|员工|人员|\d\s*万?\s*[名人]|[万千百]名|[万千百]人",
        ),
    ),
    "work": (
        _attr(
            "销量",
            "{s}的销量是多少？",
            r"销量|销售|售出|卖出|发行量|万张|万套|万份|万本|万部|白金|金唱片|出货|票房",
        ),
        _attr("售价", "{s}的售价是多少？", r"售价|价格|定价|价钱|[元円]|美元|日元|价"),
    ),
}
_ORG_SUFFIX = re.compile(
    r"(公司|集团|银行|大学|学院|中学|小学|学校|医院|协会|学会|委员会|俱乐部|球队|乐队|组合"
    r"|航空|电视台|报社|出版社|基金会|研究所|研究院|党|联盟|联合会|商会|企业|工作室)$"
)
_FACILITY_SUFFIX = re.compile(
    r"(站|机场|大桥|桥|隧道|港|码头|大厦|塔|体育场|体育馆|博物馆|公园|水库|大坝|线|铁路|公路|高速公路)$"
)
_PLACE_SUFFIX = re.compile(
    r"(市|省|县|区|镇|乡|村|州|国|岛|群岛|半岛|山|山脉|河|江|湖|海|湾|峡|高原|平原|盆地|沙漠|城|邨)$"
)
_PLACE_CLASS = {
    **dict.fromkeys(
        ("市", "省", "县", "区", "镇", "乡", "村", "州", "国", "城", "邨", ""), "settlement"
    ),
    **dict.fromkeys(("岛", "群岛", "半岛"), "island"),
    **dict.fromkeys(("山", "山脉"), "mountain"),
    **dict.fromkeys(("河", "江", "湖", "海", "湾", "峡"), "water"),
    **dict.fromkeys(("高原", "平原", "盆地", "沙漠"), "land"),
}
_ORG_CLASS = {
    **dict.fromkeys(
        ("公司", "集团", "银行", "企业", "航空", "电视台", "报社", "出版社", "工作室"), "company"
    ),
    **dict.fromkeys(("大学", "学院", "中学", "小学", "学校"), "school"),
}
_ORG_TEXT = re.compile(
    r"^[^，。,]{0,30}是[^，。,]{0,12}?一[家间所个支][^，。,]{0,14}?"
    r"(?:公司|企业|集团|银行|大学|学院|学校|医院|机构|协会|球队|球会|俱乐部|乐队|团体|政党|组织)"
)
_PLACE_TEXT = re.compile(
    r"^[^，。,]{0,30}是[^，。,]{0,12}?一[个座条][^，。,]{0,14}?"
    r"(?:城市|县城|乡镇|村庄|国家|地区|行政区|城镇)"
)
_OCCUPATIONS = (
    "运动员|演员|歌手|作家|政治家|画家|诗人|导演|教练|球员|学者|将领|官员|音乐家|主持人|模特"
    "|漫画家|艺人|作曲家|商人|企业家|军人|律师|[\u4e00-\u9fff]学家|主席|校长|皇帝|亲王|大臣"
)
# A person's article opens on the name and a bracket (dates, an original spelling), then
# a courtesy name, a birthplace or an occupation in the first clause.
_PERSON_TEXT = re.compile(
    r"^[^，。,()（）]{2,24}[（(][^）)]{0,60}[）)]\s*[，,]?\s*(?:"
    rf"是?[^，。,\d]{{0,12}}?(?:{_OCCUPATIONS})|字[\u4e00-\u9fff]{{1,2}}[，,]|[\u4e00-\u9fff]{{2,8}}人[，,。])"
    r"|^[^，。,]{2,24}[（(]\s*\d{3,4}年[^）)]{0,20}[－—\-–~]"
)


@dataclass(slots=True)
class _Corpus:
    """The folded paragraphs, joined, for finding which paragraphs hold a term."""

    texts: list[str]
    articles: list[str]
    starts: list[int]
    joined: str
    found: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @classmethod
    def of(cls, documents: Sequence[Document]) -> _Corpus:
        texts = [normalize_for_matching(d.text) for d in documents]
        starts, pos = [], 0
        for t in texts:
            starts.append(pos)
            pos += len(t) + 1
        return cls(
            texts,
            [d.get_meta("article") or d.id for d in documents],
            starts,
            "\x00".join(texts),
        )

    def holding(self, term: str) -> tuple[int, ...]:
        """The paragraphs that hold ``term`` (folded)."""
        if term not in self.found:
            hits: list[int] = []
            i = self.joined.find(term)
            while i >= 0:
                p = bisect.bisect_right(self.starts, i) - 1
                if not hits or hits[-1] != p:
                    hits.append(p)
                i = self.joined.find(term, self.starts[p] + len(self.texts[p]) + 1)
            self.found[term] = tuple(hits)
        return self.found[term]


def _bigrams(folded: str) -> set[str]:
    out = set()
    for i in range(len(folded) - 1):
        pair = folded[i : i + 2]
        if _CJK.match(pair[0]) and _CJK.match(pair[1]) and pair not in _INTERROGATIVE_BIGRAMS:
            out.add(pair)
    return out


# -- the generator ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Edit:
    kind: str
    start: int  # in the question (and in its simplified form: same length)
    end: int
    new: str  # simplified; converted to the question's script when put in
    old: str
    check: str  # the folded term that must not be in the article
    template: str = ""  # an attribute question replaces the whole question


class NearMissGenerator:
    """Makes near misses of benchmark questions against their articles.

    Args:
        documents: the benchmark paragraphs (``eval.squad.load_squad``), each with its
            ``article`` meta.
        questions: the benchmark questions.

    Raises:
        ValueError: when there are no documents.
    """

    def __init__(
        self, documents: Sequence[Document], questions: Sequence[BenchmarkQuestion]
    ) -> None:
        if not documents:
            raise ValueError("documents must not be empty: give the benchmark paragraphs")
        self.questions = tuple(questions)
        self.corpus = _Corpus.of(documents)
        by_article: dict[str, list[Document]] = {}
        for d in documents:
            by_article.setdefault(d.get_meta("article") or d.id, []).append(d)
        self.articles: dict[str, Article] = {}
        for aid, docs in by_article.items():
            title = docs[0].title
            text = "\n".join([title, *(d.text for d in docs)])
            self.articles[aid] = Article(
                aid, title, normalize_for_matching(text), tuple(d.id for d in docs)
            )
        self._pool: dict[str, list[str]] | None = None

    # -- public -------------------------------------------------------------------------

    def generate(self, kinds: Iterable[str] = KINDS) -> list[NearMiss]:
        """Near misses of every question, one per kind that applies, in question order.

        Args:
            kinds: the kinds to make (default: all of :data:`KINDS`).

        Raises:
            ValueError: for a kind not in :data:`KINDS`.
        """
        wanted = tuple(kinds)
        unknown = [k for k in wanted if k not in KINDS]
        if unknown:
            raise ValueError(f"unknown near-miss kinds {unknown}: choose from {list(KINDS)}")
        out: list[NearMiss] = []
        seen: set[tuple[str, str]] = set()
        for q in self.questions:
            for item in self.for_question(q, wanted):
                key = (item.article, normalize_for_matching(item.question))
                if key in seen:
                    continue
                seen.add(key)
                out.append(item)
        return out

    def for_question(self, q: BenchmarkQuestion, kinds: Sequence[str] = KINDS) -> list[NearMiss]:
        """The near misses of one question (at most one per kind)."""
        article = self.articles.get(q.article)
        if article is None:
            return []
        simple = to_script(q.question, "simplified")
        if len(simple) != len(q.question):
            return []  # offsets would not carry over (rare phrase conversions)
        folded_q = normalize_for_matching(q.question)
        traditional = detect_script(q.question) == "traditional"
        makers: dict[str, Callable[[BenchmarkQuestion, str, Article], Iterator[_Edit]]] = {
            "year": self._years,
            "date": self._dates,
            "ordinal": self._ordinals,
            "number": self._counts,
            "variant": self._variants,
            "entity": self._entities,
            "qualifier": self._qualifiers,
            "attribute": self._attributes,
        }
        out = []
        for kind in kinds:
            for edit in makers[kind](q, simple, article):
                if edit.check in article.text:
                    continue
                question = self._apply(q.question, edit, traditional)
                folded = normalize_for_matching(question)
                if folded == folded_q or self._answered_elsewhere(folded, edit.check, article):
                    continue
                out.append(
                    NearMiss(
                        id=f"nmg-{kind}-{q.id}",
                        question=question,
                        source_id=q.id,
                        article=q.article,
                        kind=kind,
                        old=edit.old,
                        new=to_script(edit.new, "traditional") if traditional else edit.new,
                        split=split_of(q.article),
                        absent=edit.check,
                    )
                )
                break
        return out

    # -- helpers ------------------------------------------------------------------------

    @staticmethod
    def _apply(question: str, edit: _Edit, traditional: bool) -> str:
        """The question with the edit made, in the question's script (the new term, or
        an attribute question's template, is written in simplified script)."""
        if edit.template:
            return to_script(edit.template, "traditional") if traditional else edit.template
        new = to_script(edit.new, "traditional") if traditional else edit.new
        return question[: edit.start] + new + question[edit.end :]

    def _answered_elsewhere(self, folded_question: str, term: str, article: Article) -> bool:
        """Whether a paragraph outside the article holds ``term`` and at least
        :data:`ELSEWHERE_COVERAGE` of the rest of the question (its character bigrams
        without the term's): the paragraph about a swapped-in name may well state what
        is asked of it."""
        grams = _bigrams(folded_question) - _bigrams(term)
        if not grams:
            return bool(self.corpus.holding(term))
        for p in self.corpus.holding(term):
            if self.corpus.articles[p] == article.id:
                return True  # cannot happen after the article check; kept as a guard
            share = len(grams & _bigrams(self.corpus.texts[p])) / len(grams)
            if share >= ELSEWHERE_COVERAGE:
                return True
        return False

    @staticmethod
    def _order(key: str, options: Sequence[int]) -> list[int]:
        # Deterministic, varied by question: every other question tries the other way first.
        flip = _hash(key) % 2 == 1
        return [-d if flip else d for d in options]

    # -- numbers ------------------------------------------------------------------------

    def _years(self, q: BenchmarkQuestion, simple: str, article: Article) -> Iterator[_Edit]:
        text = article.text
        if _RELATIVE_YEAR.search(text) or (_AGE.search(text) and _BIRTH.search(text)):
            return
        ranges = [(int(a), int(b)) for a, b in _YEAR_RANGE.findall(text)]
        for m in _YEAR.finditer(simple):
            year = int(m[1])
            if m[1] not in text or _BOUNDED_YEAR.search(simple, 0, m.start()):
                continue
            for delta in self._order(q.id, (1, 2, 3, 5, 10)):
                new = year + delta
                if any(min(a, b) <= new <= max(a, b) for a, b in ranges):
                    continue
                forms = (str(new), *_year_cn(new))
                decade = f"{new // 10 % 10}0年代"
                if any(f in text for f in forms) or decade in text:
                    continue
                yield _Edit("year", m.start(1), m.end(1), str(new), m[1], str(new))

    def _dates(self, q: BenchmarkQuestion, simple: str, article: Article) -> Iterator[_Edit]:
        text = article.text
        if _RELATIVE_DAY.search(text):
            return
        for m in _DATE.finditer(simple):
            month, day = int(m[1]), int(m[2])
            if not (1 <= month <= 12 and 1 <= day <= 31):
                continue
            if not _has_date(text, month, day):
                continue
            if re.search(rf"(?<!\d){month}\s*月\s*\d+\s*日?\s*[至到\-–—~－、]", text) or re.search(
                rf"{int_to_cn(month)}月[一二三四五六七八九十]+日?\s*[至到\-–—~－、]", text
            ):
                continue
            for delta in self._order(q.id, (1, 2, 3, 7)):
                new = day + delta
                if not 1 <= new <= 28 or _has_date(text, month, new):
                    continue
                yield _Edit("date", m.start(2), m.end(2), str(new), m[2], f"{month}月{new}日")

    def _ordinals(self, q: BenchmarkQuestion, simple: str, article: Article) -> Iterator[_Edit]:
        text = article.text
        for m in _ORDINAL.finditer(simple):
            raw, unit = m[1], m[2] or ""
            value = int(raw) if raw.isdigit() else cn_to_int(raw)
            if value is None or value > 200 or not _has_ordinal(text, value, unit):
                continue
            if unit and re.search(
                rf"第?\s*[\d一二三四五六七八九十]+\s*{unit}?\s*[至到\-–—~－]\s*第?\s*[\d一二三四五六七八九十]+\s*{unit}",
                text,
            ):
                continue
            for delta in self._order(q.id, (1, 2, 3)):
                new = value + delta
                if new < 1 or _has_ordinal(text, new, unit):
                    continue
                written = str(new) if raw.isdigit() else int_to_cn(new)
                check = f"第{written}{unit}"
                yield _Edit("ordinal", m.start(1), m.end(1), written, raw, check)
        for m in _FIRST.finditer(simple):
            unit = m[2]
            if m[0] not in text or _has_ordinal(text, 2, unit):
                continue
            yield _Edit("ordinal", m.start(), m.end(), f"第二{unit}", m[0], f"第二{unit}")

    def _counts(self, q: BenchmarkQuestion, simple: str, article: Article) -> Iterator[_Edit]:
        text = article.text
        for m in _COUNT.finditer(simple):
            raw, unit = m[1], m[2]
            value = int(raw)
            if unit == "年" and (
                value >= 100 or any(y.start(1) == m.start(1) for y in _YEAR.finditer(simple))
            ):
                continue  # a year, not a count
            before, after = simple[max(0, m.start() - 3) : m.start()], simple[m.end() : m.end() + 2]
            if any(c in before or after.startswith(c) for c in _COMPARATORS):
                continue
            if not re.search(rf"(?<![\d.]){raw}(?![\d.])", text):
                continue
            step = 1 if value < 20 else 10 ** (len(raw) - 1)
            for delta in self._order(q.id, (step, 2 * step)):
                new = value + delta
                if new < 1 or re.search(rf"(?<![\d.]){new}(?![\d.])", text):
                    continue
                if new < 10_000 and f"{int_to_cn(new)}{unit}" in text:
                    continue
                yield _Edit("number", m.start(1), m.end(1), str(new), raw, f"{new}{unit}")

    def _variants(self, q: BenchmarkQuestion, simple: str, article: Article) -> Iterator[_Edit]:
        text = article.text
        for m in _VARIANT.finditer(simple):
            group = 1 if m[1] is not None else 2
            raw, start, end = m[group], m.start(group), m.end(group)
            head = normalize_for_matching(simple[max(0, start - 3) : start])
            old = head + raw
            if old not in text:
                continue
            value = int(raw)
            for delta in self._order(q.id, (1, 2)):
                new = value + delta
                check = head + str(new)
                if new < 0 or check in text:
                    continue
                yield _Edit("variant", start, end, str(new), raw, check)

    # -- entities -----------------------------------------------------------------------

    def _entity_pool(self) -> dict[str, list[str]]:
        """Names to put in, by type key (``person``, ``place:县``, ``place:``,
        ``organization:大学``): names of jieba's dictionary (persons: ``nr``, three
        characters, a common surname first, dictionary frequency 60 or more; places:
        ``ns``, with the ending of their kind, or well known (frequency 3,000 or more)
        without one; organisations:
        ``nt`` with the ending of their kind), sorted. Those that occur anywhere in the
        corpus are skipped when chosen (:meth:`_entities`), so the question is about a
        name no paragraph mentions."""
        if self._pool is None:
            self._pool = _dictionary_names()
        return self._pool

    def _entities(self, q: BenchmarkQuestion, simple: str, article: Article) -> Iterator[_Edit]:
        pool = self._entity_pool()
        targets: list[tuple[int, int, str, str]] = []
        subject = _subject_of(article)
        typed = _subject_type(subject, article.text)
        at = simple.find(subject) if typed else -1
        if typed and at >= 0 and _stands_alone(subject, simple):
            targets.append((at, at + len(subject), subject, typed))
        for start, end, word, key in _tagged(simple):
            if _stands_alone(normalize_for_matching(word), article.text):
                targets.append((start, end, word, key))
        for start, end, word, key in targets:
            if "·" in word:
                continue  # no transliterated names to put in
            choices = pool.get(_PLACE_FALLBACK if key in {"place:", "place:国"} else key, [])
            if not choices:
                continue
            first = _hash(q.id + word) % len(choices)
            tried = 0
            for i in range(len(choices)):
                other = choices[(first + i) % len(choices)]
                folded = normalize_for_matching(other)
                if folded in normalize_for_matching(simple) or self.corpus.holding(folded):
                    continue  # a name some paragraph mentions could be asked about there
                yield _Edit("entity", start, end, other, word, folded)
                tried += 1
                if tried >= 3:
                    break

    # -- qualifiers ---------------------------------------------------------------------

    def _qualifiers(self, q: BenchmarkQuestion, simple: str, article: Article) -> Iterator[_Edit]:
        text = article.text
        superlative = "最" in simple or "第一" in simple or "首" in simple
        for _name, values, widen_only in _QUALIFIERS:
            for i, (value, _spellings) in enumerate(values):
                at = simple.find(value)
                if at < 0 or value not in text:
                    continue
                if _name == "scope" and not (
                    simple[at + len(value) : at + len(value) + 1] in _SCOPE_AFTER
                    or simple[at - 1 : at] in _SCOPE_BEFORE
                ):
                    continue  # 全球领导力课程: a name, not a scope
                order = sorted(
                    (j for j in range(len(values)) if j != i),
                    key=lambda j: _hash(f"{q.id}{values[j][0]}"),
                )
                for j in order:
                    if widen_only and superlative and j < i:
                        continue  # 全国最大 is implied by 全球最大: widen only
                    new, spellings = values[j]
                    if any(s in text for s in spellings):
                        continue
                    yield _Edit("qualifier", at, at + len(value), new, value, new)
        for a, a_alt, b, b_alt in _SUPERLATIVES:
            for old, new, forbidden in ((a, b, (b, *b_alt)), (b, a, (a, *a_alt))):
                for m in re.finditer(re.escape(old), simple):
                    if not _AFTER_SUPERLATIVE.match(simple, m.end()):
                        continue
                    if old not in text or any(f in text for f in forbidden):
                        continue
                    yield _Edit("qualifier", m.start(), m.end(), new, old, new)

    # -- attributes ---------------------------------------------------------------------

    def _attributes(self, q: BenchmarkQuestion, simple: str, article: Article) -> Iterator[_Edit]:
        subject = _subject_of(article)
        if normalize_for_matching(subject) not in normalize_for_matching(simple):
            return
        typed = _subject_type(subject, article.text)
        if typed is None:
            return
        family, _, suffix = typed.partition(":")
        if family == "place":
            family = _PLACE_CLASS[suffix]
        elif family == "organization":
            family = _ORG_CLASS.get(suffix, "organization")
        options = _ATTRIBUTES[family]
        first = _hash(q.id) % len(options)
        for i in range(len(options)):
            attr = options[(first + i) % len(options)]
            if attr.absent.search(article.text) or attr.name in article.text:
                continue
            written = f"《{subject}》" if typed == "work" else subject
            template = attr.template.format(s=written)
            yield _Edit("attribute", 0, len(simple), attr.name, "", attr.name, template)


def _has_date(text: str, month: int, day: int) -> bool:
    if re.search(rf"(?<!\d){month}\s*月\s*{day}\s*日", text):
        return True
    return f"{int_to_cn(month)}月{int_to_cn(day)}日" in text or (
        f"{int_to_cn(month)}月{int_to_cn(day)}号" in text
    )


def _has_ordinal(text: str, value: int, unit: str) -> bool:
    cn = int_to_cn(value) if value < 10_000 else str(value)
    written = rf"第\s*(?:{value}|{cn})(?![\d{_CN_NUM}])"
    if unit:
        if re.search(rf"{written}\s*{unit}", text):
            return True
        if value == 1 and re.search(rf"(?:首|头一|头){unit}", text):
            return True
        if value == 2 and f"次{unit}" in text and unit in "届任代":
            return True
        return False
    return re.search(written, text) is not None


_FAMILIES = (("nr", "person"), ("ns", "place"), ("nt", "organization"))
# Common nouns jieba's dictionary tags as names.
_NOT_NAMES = frozenset(
    "城市 国家 地区 亚科 亚种 中央 政府 人民 全国 世界 国际 东方 西方 南方 北方 中华 华人"
    " 解密 维基 大陆 本土 当地 首都 省会 市区 郊区 乡村 农村 东北 东南 西北 西南 中原 华北"
    " 华南 华东 华中 南北 大都 太阳 庆典 新建 江南 河口 海洋 湖泊 长度 北约 亚洲 欧洲 非洲"
    " 美洲 大洋洲 辽东 关东 关中 岭南 西域 天下 中外 内地 海外 国内 地球 月球 东西 哥哥 大桥"
    " 朝廷 美丽 英雄 永乐 午门 天门 太庙 天安门 天安门城楼 天安门广场 长江大桥 福利 日志 神圣"
    " 长大 古典 冰川 江北".split()
)
# Endings of common nouns that jieba's dictionary tags as person names (大雄宝殿, 金盏花).
_NOT_PERSON_ENDINGS = frozenset(
    "殿寺宫庙馆楼堂园花草树木经书记法学论史传图门山河湖江海岛原庄镇生老主村队党会社团军部性奖墙"
)
_ALONE_CHARS = frozenset(
    "的在于和与及是为由被把从对向将等之也都并而或以其曾已即就便又亦仍还共各该此"
)


def _stands_alone(word: str, text: str) -> bool:
    """Whether ``word`` occurs in ``text`` at least once as a word of its own: between
    non-Chinese characters, function characters or the ends (勒斯, always inside
    赛普勒斯, does not)."""
    i = text.find(word)
    while i >= 0:
        before = text[i - 1] if i else ""
        after = text[i + len(word)] if i + len(word) < len(text) else ""
        if all(not c or not _CJK.match(c) or c in _ALONE_CHARS for c in (before, after)):
            return True
        i = text.find(word, i + 1)
    return False


@functools.lru_cache(maxsize=16384)
def _tagged(simple: str) -> tuple[tuple[int, int, str, str], ...]:
    """(start, end, word, type key) of the names jieba's dictionary tags in a simplified
    question that can be swapped for another of their kind: persons (``person``; Chinese
    names tagged ``nr`` of three characters or more with a common surname first: jieba
    tags 刘宋 and 伊拉克 as names too), places and organisations with the ending that
    says their kind (``place:县``, ``organization:大学``), and well-known places
    (``place:``; ``ns`` words of dictionary frequency 1,000 or more). Names next to
    another name (``中国陕西省``) or cut from one (``姆·拉登``) are left out."""
    import jieba
    import jieba.posseg as pseg

    jieba.setLogLevel(logging.WARNING)
    out: list[tuple[int, int, str, str]] = []
    pos = 0
    words = pseg.lcut(simple, HMM=False)
    for i, w in enumerate(words):
        start, end = pos, pos + len(w.word)
        pos = end
        family = next((f for prefix, f in _FAMILIES if w.flag.startswith(prefix)), None)
        if family is None or len(w.word) < 2 or w.word in _NOT_NAMES:
            continue
        if not all(_CJK.match(c) for c in w.word):
            continue
        neighbours = [words[k] for k in (i - 1, i + 1) if 0 <= k < len(words)]
        if any(n.word[:1] in "·‧・•." or n.word[-1:] in "·‧・•." for n in neighbours):
            continue
        if any(n.flag[:2] in {"nr", "ns", "nt"} for n in neighbours):
            continue
        if any(
            len(n.word) == 1 and _CJK.match(n.word) and n.word not in _ALONE_CHARS
            for n in neighbours
        ):
            continue  # 外 + 蒙古: part of a longer name
        if simple.rfind("《", 0, start) > simple.rfind("》", 0, start):
            continue  # inside a title: 《利维坦》 is a book
        if family == "person":
            if (
                w.flag != "nr"
                or len(w.word) < 3
                or w.word[0] not in _SURNAMES
                or w.word[-1] in _NOT_PERSON_ENDINGS
            ):
                continue  # Chinese names only: jieba tags 伊拉克, 奥斯陆 as names
            key = "person"
        else:
            suffix = _suffix(w.word, family)
            if not suffix and (family != "place" or jieba.dt.FREQ.get(w.word, 0) < 1000):
                continue
            key = f"{family}:{suffix}"
        out.append((start, end, w.word, key))
    return tuple(out)


def _suffix(word: str, family: str) -> str:
    """The ending that says what kind of place or organisation ``word`` names (``县``,
    ``大学``), where two characters or more come before it (台湾 is no bay)."""
    pattern = {"place": _PLACE_SUFFIX, "organization": _ORG_SUFFIX, "facility": _FACILITY_SUFFIX}
    m = pattern[family].search(word) if family in pattern else None
    return m.group(1) if m and m.start(1) >= 2 else ""


# Well-known places without an ending, and countries, are replaced by a city, province or
# state of the dictionary (the well-known ones all occur somewhere in the benchmarks).
_PLACE_FALLBACK = "place:*"
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏"
    "魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚"
    "邵万钱严覃武戴莫孔向汤"
)


@functools.lru_cache(maxsize=1)
def _dictionary_names() -> dict[str, list[str]]:
    import jieba
    import jieba.posseg as pseg

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    freq = jieba.dt.FREQ
    pool: dict[str, set[str]] = {}
    for word, flag in pseg.dt.word_tag_tab.items():
        if len(word) < 2 or word in _NOT_NAMES or not all(_CJK.match(c) for c in word):
            continue
        f = freq.get(word, 0)
        if flag == "nr":
            if (
                len(word) == 3
                and f >= 60
                and word[0] in _SURNAMES
                and word[-1] not in _NOT_PERSON_ENDINGS
            ):
                pool.setdefault("person", set()).add(word)
        elif flag == "ns":
            suffix = _suffix(word, "place")
            if suffix == "国":
                continue  # 保家卫国 and its kind: idioms, not countries
            if (suffix and f >= 20 and len(word) > len(suffix)) or (not suffix and f >= 3000):
                pool.setdefault(f"place:{suffix}", set()).add(word)
                if suffix in {"", "市", "省", "州"}:
                    pool.setdefault(_PLACE_FALLBACK, set()).add(word)
        elif flag == "nt":
            suffix = _suffix(word, "organization")
            if suffix and len(word) > len(suffix) + 1:
                pool.setdefault(f"organization:{suffix}", set()).add(word)
    return {k: sorted(v) for k, v in pool.items()}


def _subject_of(article: Article) -> str:
    """The article's subject: its title without a bracketed note, in simplified script."""
    return to_script(re.sub(r"[（(][^）)]*[）)]$", "", article.title).strip(), "simplified")


_NOT_SUBJECTS = re.compile(
    r"(条款|之治|会议|竞选|选举|计划|战争|战役|事件|运动|卫星|公约|条约|法案|列表|系列|年表|比赛"
    r"|锦标赛|联赛|杯|奖|节|案|病|症|科|属|目|种|语|文化|主义|理论|定理|效应|反应|技术|工程)$"
)
_PERSON_NAME = re.compile(
    r"^(?:[\u4e00-\u9fff]{2,4}|[\u4e00-\u9fff]{1,6}(?:·[\u4e00-\u9fff]{1,8})+)$"
)


def _subject_type(subject: str, text: str) -> str | None:
    """The type key of an article's subject, from its title's ending and the article's
    first sentence: ``person``, ``work``, ``place:<suffix>``, ``facility:<suffix>``,
    ``organization:<suffix>`` (suffix: ``市``, ``站``, ``公司``, ... or empty), or None
    where unsure (no attribute is asked of it and it replaces nothing)."""
    folded = normalize_for_matching(subject)
    if len(folded) < 2 or _NOT_SUBJECTS.search(subject) or subject[:1].isdigit():
        return None
    first = text.split("\n", 2)[1] if "\n" in text else text
    first = re.split(r"[。！？]", first, maxsplit=1)[0]
    if f"《{folded}》" in text:
        return "work"
    for family, pattern in (
        ("organization", _ORG_SUFFIX),
        ("facility", _FACILITY_SUFFIX),
        ("place", _PLACE_SUFFIX),
    ):
        m = pattern.search(subject)
        if m:
            if m.group(1) == "线" and not re.search(r"(?:[\dA-Za-z]|号|快|支|干)线$", subject):
                return None  # 装配线 is no route
            return f"{family}:{m.group(1)}"
    if not first.startswith(folded[:2]):
        return None  # the article does not open on its subject: too unsure
    if _PERSON_NAME.match(subject) and _PERSON_TEXT.search(first):
        return "person"
    if _ORG_TEXT.search(first):
        return "organization:"
    if _PLACE_TEXT.search(first):
        return "place:"
    return None


# -- files --------------------------------------------------------------------------------


def generate(paths: Iterable[str | Path], kinds: Iterable[str] = KINDS) -> list[NearMiss]:
    """Near misses of the questions of SQuAD-format files, against their articles.

    Args:
        paths: SQuAD-format files (CMRC 2018, DRCD), pooled.
        kinds: the kinds to make (default: all).

    Returns:
        The near misses in question order, at most one per kind and question.
    """
    documents, questions = load_squad(paths)
    return NearMissGenerator(documents, questions).generate(kinds)


def write_split(items: Sequence[NearMiss], out: str | Path) -> dict[str, Path]:
    """Write ``items`` as two JSONL question sets beside ``out``: ``<stem>_dev.jsonl``
    and ``<stem>_test.jsonl`` (by :func:`split_of` of each item's article).

    Returns:
        The path written for each part.
    """
    out = Path(out)
    paths = {part: out.with_name(f"{out.stem}_{part}.jsonl") for part in ("dev", "test")}
    out.parent.mkdir(parents=True, exist_ok=True)
    for part, path in paths.items():
        lines = [
            json.dumps(item.to_json(), ensure_ascii=False) for item in items if item.split == part
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return paths


def read_near_misses(path: str | Path) -> list[dict[str, Any]]:
    """The records of a near-miss JSONL file (with their provenance fields)."""
    return [
        json.loads(line)
        for line in Path(path).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def counts(items: Iterable[NearMiss] | Iterable[Mapping[str, Any]]) -> dict[str, Counter[str]]:
    """Counts by kind and by split."""
    kinds: Counter[str] = Counter()
    splits: Counter[str] = Counter()
    for item in items:
        kind = item.kind if isinstance(item, NearMiss) else item["kind"]
        split = item.split if isinstance(item, NearMiss) else item["split"]
        kinds[kind] += 1
        splits[split] += 1
    return {"kind": kinds, "split": splits}


# -- command line -------------------------------------------------------------------------

app = typer.Typer(add_completion=False, rich_markup_mode=None, help="Near misses at scale.")


@app.command("generate")
def _generate_command(
    files: Annotated[list[Path], typer.Argument(help="SQuAD-format files, pooled.")],
    out: Annotated[
        Path,
        typer.Option(help="Where the set goes: writes STEM_dev.jsonl and STEM_test.jsonl."),
    ] = Path("eval/questions/near_miss_generated.jsonl"),
    kinds: Annotated[str, typer.Option(help="Comma-separated kinds.")] = ",".join(KINDS),
) -> None:
    """Derive near misses from benchmark questions and write them split by article."""
    items = generate(files, [k.strip() for k in kinds.split(",") if k.strip()])
    written = write_split(items, out)
    c = counts(items)
    print(f"{len(items)} near misses from {len(files)} file(s)")
    print("by kind: " + ", ".join(f"{k} {c['kind'][k]}" for k in KINDS if c["kind"][k]))
    for part, path in written.items():
        print(f"{part}: {c['split'][part]} -> {path}")


@app.command("counts")
def _counts_command(
    files: Annotated[list[Path], typer.Argument(help="Near-miss JSONL files.")],
) -> None:
    """Print the counts of near-miss files by kind and split (no questions)."""
    for f in files:
        c = counts(read_near_misses(f))
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(c["kind"].items()))
        print(f"{f}: {sum(c['split'].values())} ({kinds})")


if __name__ == "__main__":
    app()
