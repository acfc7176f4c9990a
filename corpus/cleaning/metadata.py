"""Extract what the article states about itself: title, time, outlet, reporter, place.

Nothing is invented: a field stays "" unless the text states it.

* Field lines (``發布時間:2024-07-01 17:35:13 瀏覽量:``, ``来源：新华社``) give the publish
  time, outlet, author and editor; they are removed from the body.
* Title: a short first line without sentence-final punctuation, directly followed by a
  field line; it is removed from the body.
* Dateline: ``中新網杭州11月1日電(奚金燕)`` gives outlet ``中新網``, place ``杭州``,
  reporter ``奚金燕`` and meta ``dateline_date`` ``11月1日``. A dateline date sets
  ``published`` only when it states the year. The dateline stays in the body (it is the
  start of the first sentence).
* ``澎湃新聞(www.thepaper.cn)``: a name followed by its web domain names the outlet.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from corpus.charsets import CJK_CLASS
from corpus.cleaning.base import RuleResult, drop_lines, join_lines, split_lines

__all__ = [
    "RULE",
    "ArticleMetadata",
    "Dateline",
    "MetadataResult",
    "extract_metadata",
    "parse_datetime",
    "parse_dateline",
]

RULE = "metadata"

_LABELS: dict[str, str] = {}
for _key, _names in (
    ("published", "發布時間 发布时间 發佈時間 發表時間 发表时间 發布日期 发布日期 時間 时间 日期"),
    ("outlet", "來源 来源 出處 出处"),
    ("reporter", "作者 記者 记者"),
    ("editor", "責任編輯 责任编辑 責編 责编 編輯 编辑"),
    ("views", "瀏覽量 浏览量 閱讀量 阅读量 點擊量 点击量 瀏覽 浏览 閱讀 阅读 點擊 点击"),
):
    for _name in _names.split():
        _LABELS[_name] = _key
# Longest first so that 發布時間 wins over 時間.
_LABEL_ALT = "|".join(sorted(map(re.escape, _LABELS), key=len, reverse=True))
_FIELD = re.compile(
    rf"(?P<label>{_LABEL_ALT})\s*[:：]\s*(?P<value>.*?)\s*(?=(?:{_LABEL_ALT})\s*[:：]|$)"
)
_FIELD_LINE_START = re.compile(rf"^\s*(?:{_LABEL_ALT})\s*[:：]")
_MAX_FIELD_LINE = 120
_MAX_TITLE = 60
_TITLE_END = "。！？!?…；;：:，,、"

_DATE_ISO = re.compile(
    r"(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:\s*T?\s*(?P<H>\d{1,2})\s*[:：時时点點]\s*(?P<M>\d{2})"
    r"(?:\s*[:：分]\s*(?P<S>\d{2}))?)?"
)

_AGENCIES = (
    "中國新聞網 中国新闻网 中新網 中新网 中新社 新華社 新华社 新華網 新华网 人民網 人民网 "
    "央視網 央视网 央視新聞 央视新闻 光明網 光明网 澎湃新聞 澎湃新闻 中央社 法新社 路透社 "
    "美聯社 美联社 本報 本报 本網 本网 本台"
).split()
_OWN = frozenset({"本報", "本报", "本網", "本网", "本台"})
_CJK = f"[{CJK_CLASS}]"
# A name ends in one of these; a paper's or a news site's own web site or agency (新聞網,
# 日報社) ends in two, and both are taken before the place (示例新闻网|杭州, not 示例新闻|网杭州).
_OUTLET_SUFFIX = (
    r"(?:(?:日報|日报|晚報|晚报|時報|时报|新聞|新闻|報|报)(?:網|网|社)?"
    r"|網|网|社|電視台|电视台)"
)
_DATELINE = re.compile(
    rf"""^[ \t\u3000]*
    (?P<outlet>{"|".join(_AGENCIES)}|{_CJK}{{1,6}}?{_OUTLET_SUFFIX})
    (?:記者|记者)?
    (?![網网])(?P<place>{_CJK}{{1,8}}?)
    (?P<date>(?:(?P<y>\d{{4}})年)?(?P<m>\d{{1,2}})月(?P<d>\d{{1,2}})日)
    (?:電|电|訊|讯|消息|報道|报道)
    [ \t\u3000]*
    (?:[(（](?P<reporter>[^()（）\n]{{1,40}})[)）])?
    """,
    re.VERBOSE,
)
_ROLE = re.compile(r"記者|记者|通訊員|通讯员|實習生|实习生|見習記者|见习记者|攝影|摄影|報道|报道")
_DOMAIN_OUTLET = re.compile(
    rf"(?P<name>{_CJK}{{2,10}})[(（]\s*(?:https?://)?(?:www\.)?"
    r"[a-z0-9-]+(?:\.[a-z0-9-]+)+/?\s*[)）]",
    re.IGNORECASE,
)
_LEADING_VERBS = "據据從从由向經经在對对和與与及"
# The bracketed domain alone: where it is absent (most texts) the costly search is skipped.
_DOMAIN_PAREN = re.compile(
    r"[(（]\s*(?:https?://)?(?:www\.)?[a-z0-9-]+(?:\.[a-z0-9-]+)+/?\s*[)）]", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class ArticleMetadata:
    """Fields an article states about itself ("" where it does not)."""

    title: str = ""
    published: str = ""
    outlet: str = ""
    reporter: str = ""
    place: str = ""
    meta: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class MetadataResult(RuleResult):
    """A :class:`RuleResult` plus the extracted fields."""

    metadata: ArticleMetadata = ArticleMetadata()


def parse_datetime(value: str) -> str:
    """ISO 8601 form of a stated date or date-time, or "" where none is stated.

    Args:
        value: text such as ``2024-07-01 17:35:13``, ``2024年7月1日 17:35`` or
            ``2024/7/1``.

    Returns:
        ``2024-07-01T17:35:13``, ``2024-07-01T17:35:00``, ``2024-07-01``, or "" where the
        text holds no valid full date.
    """
    m = _DATE_ISO.search(value)
    if not m:
        return ""
    y, mo, d = int(m["y"]), int(m["m"]), int(m["d"])
    if not (1 <= mo <= 12 and 1 <= d <= 31):
        return ""
    date = f"{y:04d}-{mo:02d}-{d:02d}"
    if m["H"] is None:
        return date
    hh, mm, ss = int(m["H"]), int(m["M"]), int(m["S"] or 0)
    if hh > 23 or mm > 59 or ss > 59:
        return date
    return f"{date}T{hh:02d}:{mm:02d}:{ss:02d}"


def _clean_reporter(value: str) -> str:
    names = _ROLE.sub(" ", value)
    names = re.sub(r"[\s\u3000]+", " ", names).strip(" 、,，")
    return names


@dataclass(frozen=True, slots=True)
class Dateline:
    """A parsed dateline (``中新網杭州11月1日電(奚金燕)``)."""

    outlet: str
    place: str
    date: str
    published: str
    reporter: str


def parse_dateline(line: str) -> Dateline | None:
    """Parse the dateline at the start of a line.

    Args:
        line: the first line of an article body.

    Returns:
        The dateline's parts, or None where the line does not start with one. ``outlet``
        is "" for the paper's own ``本報``; ``published`` is set only when the dateline
        states the year.
    """
    m = _DATELINE.match(line)
    if not m or not m["place"]:
        return None
    outlet = "" if m["outlet"] in _OWN else m["outlet"]
    published = ""
    if m["y"]:
        published = parse_datetime(f"{m['y']}-{m['m']}-{m['d']}")
    reporter = _clean_reporter(m["reporter"] or "")
    if reporter == "完":
        reporter = ""
    return Dateline(outlet, m["place"], m["date"], published, reporter)


def _field_line(line: str) -> list[tuple[str, str]] | None:
    """The (key, value) pairs of a line made only of ``label: value`` fields."""
    s = line.strip()
    if not s or len(s) > _MAX_FIELD_LINE or not _FIELD_LINE_START.match(s):
        return None
    fields: list[tuple[str, str]] = []
    pos = 0
    for m in _FIELD.finditer(s):
        if s[pos : m.start()].strip():
            return None
        fields.append((_LABELS[m["label"]], m["value"].strip()))
        pos = m.end()
    if s[pos:].strip() or not fields:
        return None
    return fields


def _domain_outlet(text: str) -> str:
    if _DOMAIN_PAREN.search(text) is None:
        return ""
    for m in _DOMAIN_OUTLET.finditer(text):
        name = m["name"].lstrip(_LEADING_VERBS)
        if len(name) >= 2:
            return name
    return ""


def extract_metadata(text: str) -> MetadataResult:
    """Extract stated metadata and remove title and field lines from the body.

    Args:
        text: article text (pinyin annotations already removed).

    Returns:
        The body without title and field lines, one removal per removed line, and the
        extracted :class:`ArticleMetadata`.
    """
    lines = split_lines(text)
    parsed = [_field_line(line) for line in lines]
    nonblank = [i for i, line in enumerate(lines) if line.strip()]
    drop = {i for i, p in enumerate(parsed) if p is not None}

    title = ""
    if len(nonblank) >= 2:
        first, second = nonblank[0], nonblank[1]
        candidate = lines[first].strip()
        if (
            parsed[first] is None
            and parsed[second] is not None
            and len(candidate) <= _MAX_TITLE
            and candidate[-1] not in _TITLE_END
        ):
            title = candidate
            drop.add(first)

    published = outlet = reporter = place = ""
    meta: list[tuple[str, str]] = []
    for p in parsed:
        for key, value in p or ():
            if not value:
                continue
            if key == "published" and not published:
                published = parse_datetime(value)
            elif key == "outlet" and not outlet:
                outlet = value
            elif key == "reporter" and not reporter:
                reporter = _clean_reporter(value)
            elif key == "editor":
                meta.append(("editor", value))

    body_lines = [i for i in nonblank if i not in drop]
    if body_lines:
        dateline = parse_dateline(lines[body_lines[0]])
        if dateline is not None:
            outlet = outlet or dateline.outlet
            place = dateline.place
            reporter = reporter or dateline.reporter
            published = published or dateline.published
            meta.append(("dateline_date", dateline.date))
    if not outlet:
        outlet = _domain_outlet(join_lines(lines[i] for i in body_lines))

    result = drop_lines(text, [i in drop for i in range(len(lines))], RULE)
    fields = ArticleMetadata(title, published, outlet, reporter, place, tuple(meta))
    return MetadataResult(result.text, result.removals, result.edits, fields)
