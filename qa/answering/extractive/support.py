"""Whether the chosen sentence can answer the question at all: checks beside the
learned confidence.

The confidence model scores how well a sentence and span fit the question; it does not
know that a near miss ("第五届" asked, "第六届" stated) is no answer at all, since such
questions are rare in the training data. :func:`unsupported` names what the question
states and the sentence (with the sentence before it) does not:

* ``constraint``: another value of an ordinal, year, date, period, quantity or
  percentage the question states (:func:`~qa.answering.extractive.features.conflicts`);
* ``currency``: an amount in another currency than the one asked for;
* ``name``: the question names something in book-title marks or quotes
  (``《长三角民营企业发展倡议书》``) that the sentence does not, and the sentence names
  something else that differs from it by a little (``《长三角国资国企发展新质生产力倡议书》``):
  a near miss of a name, not a paraphrase of it;
* ``role``: the sentence names the attribute asked about only as its deputy (``副局长``
  for ``…的局长是谁``); or the question asks who holds a role (``…的秘书长是谁``) that
  neither sentence names, and neither names a person at all: there is nobody in them to
  be the answer; or the attribute is an office (:data:`OFFICES`: ``理事长单位``,
  ``校长``) that neither sentence names;
* ``contrast``: the question qualifies with one value of a dimension (``全球``, ``国有``)
  and the sentences state another (``全国``, ``民营``) and not it
  (:mod:`qa.answering.contrast`);
* ``count``: the question asks how many of something (``有多少家成员单位``), and neither
  sentence states any number (:func:`~qa.answering.claims.folded_facts`: digits, or
  Chinese numerals with a measure word) nor the word after the interrogative
  (``成员单位``);
* ``tally``: the question counts things with a measure word (``由多少家企业组成``,
  ``有几名教师``), and neither sentence counts anything: no number with a measure word
  (``五家``, ``30余间``, ``数十名``; ordinals such as ``第四批`` are no count). A sentence
  that names members but never counts them does not say how many;
* ``counted``: the question counts parts of something (``…产业链联盟有多少家成员单位``),
  the sentences never name what is counted (``成员``), and every count they state counts
  the very things the question names (``三批共14个产业链联盟``): they say how many of
  those there are, not how many parts one of them has;
* ``place``: the question names an administrative place (``上海市``) before a word
  (``国资委``) that the sentences never name, not even in short (``上海``), and they put
  another such place before that word (``浙江省国资委``): the same body of somewhere else;
* ``rank``: the question asks about a place in a ranking (``排名第一``, ``位列第三``,
  ``第二名``), and neither sentence ranks anything (no ordinal, ``首``, ``冠``, ``榜``,
  ``最``, ``名列``, ``领先``, ``前三``): a list of winners is no ranking of them;
* ``year``: the question states a year of four digits (``2023年的…会议``) that the whole
  article never states, in its text or its publication date, while it states others;
* ``no_year``: the question asks which year (``白马湖实验室是哪一年成立的``), and neither
  sentence so much as writes the character 年 (no year in any script or reckoning,
  ``1985年``, ``民国七十一年``, ``同年``, ``元禄年间``, can be stated without it).

Each is a rule about what the question and the sentence state, not a fitted weight;
their effect on false abstention is measured on the benchmarks (docs/reader.md; the
rules tried and not taken, a missing attribute on its own, a number or time asked of a
sentence without one, are in docs/decisions.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from rapidfuzz.distance import Indel

from corpus.normalize import normalize_for_matching
from qa.analysis.question import QuestionAnalysis, asks_for_year, compatible
from qa.analysis.spans import NAME_KINDS, TypedSpan, typed_spans
from qa.answering.claims import folded_facts, names_a_person, tagged_words, words
from qa.answering.contrast import contrast, may_contrast
from qa.answering.extractive.features import conflicts, currency_conflict
from qa.answering.extractive.sentences import Candidate, PreparedSentence

__all__ = ["MIN_NAME_CHARS", "NAME_SIMILARITY", "OFFICES", "attribute_stated", "unsupported"]

NAME_SIMILARITY = 0.5
"""Two different names this similar (normalised Indel similarity of their characters)
are variants of one another: the sentence names a near miss of the question's name."""

MIN_NAME_CHARS = 4
"""Names shorter than this are not compared: in a name of two or three characters, one
shared character is already a third or half of it."""


OFFICES: tuple[str, ...] = tuple(
    """理事长 秘书长 会长 主席 董事长 总经理 局长 部长 市长 省长 县长 镇长 校长 院长 主任
    总裁 总统 总理 首相 负责人 队长 社长 行长 厅长 书记 总监""".split()
)
"""Offices: an attribute that ends with one (``理事长单位``, ``首任校长``) asks who holds
it, which a sentence that never names the office does not say."""

_OFFICE_HOLDER = "单位"
"""``理事长单位``: the organisation holding the office; the sentence names the office."""


def _names(spans: Sequence[TypedSpan]) -> list[str]:
    """The names in book-title marks or quotes, without the marks."""
    return [s.text[1:-1] for s in spans if s.kind in NAME_KINDS and len(s.text) > 2]


def _sentences(candidate: Candidate) -> list[PreparedSentence]:
    out = [candidate.sentence]
    if candidate.previous is not None:
        out.append(candidate.previous)
    return out


def _variant(name: str, other: str) -> bool:
    """Whether ``other`` is a near miss of ``name``: close, but neither holds the other."""
    if name in other or other in name:
        return False
    return Indel.normalized_similarity(name, other) >= NAME_SIMILARITY


def _name_conflict(analysis: QuestionAnalysis, candidate: Candidate) -> bool:
    asked = _names(typed_spans(analysis.folded))
    if not asked:
        return False
    sentences = _sentences(candidate)
    text = "".join(s.folded.text for s in sentences)
    # Names the question itself states are no near miss of one another (台东镇, 台东市).
    stated = [n for s in sentences for n in _names(s.spans) if n not in asked]
    return any(
        name not in text
        and len(name) >= MIN_NAME_CHARS
        and any(_variant(name, other) for other in stated)
        for name in asked
    )


def attribute_stated(analysis: QuestionAnalysis, candidate: Candidate) -> bool:
    """Whether the sentence (or the one before it) names the attribute asked about.

    True when the question asks about no attribute. The attribute's deputy does not
    count (``副局长`` does not state ``局长``) unless the deputy is what is asked.
    """
    attribute = analysis.attribute
    if not attribute:
        return True
    for sentence in _sentences(candidate):
        text = sentence.folded.text
        start = text.find(attribute)
        while start >= 0:
            if attribute.startswith("副") or not text[:start].endswith("副"):
                return True
            start = text.find(attribute, start + 1)
    return False


def _role_unfilled(analysis: QuestionAnalysis, candidate: Candidate) -> bool:
    """The attribute asked about is stated only as its deputy (``副局长`` for ``局长``), or
    a person is asked for by a role the sentences neither name nor fill with anybody."""
    attribute = analysis.attribute
    if not attribute or attribute_stated(analysis, candidate):
        return False
    texts = [s.folded.text for s in _sentences(candidate)]
    if any("副" + attribute in text for text in texts):
        return True
    held = attribute.removesuffix(_OFFICE_HOLDER)
    office = next((o for o in OFFICES if held.endswith(o)), None)
    if office is not None and not any(office in text for text in texts):
        return True
    return analysis.answer_type == "person" and not any(names_a_person(t) for t in texts)


def _contrasted(analysis: QuestionAnalysis, candidate: Candidate) -> bool:
    """The sentences replace a qualifier of the question by another of its dimension."""
    if not may_contrast(analysis.folded):
        return False
    text = "。".join(s.folded.text for s in reversed(_sentences(candidate)))
    return contrast(words(analysis.folded), words(text)) is not None


_ASKED_END = "的了呢吗啊?？。!！ "


def _count_unstated(analysis: QuestionAnalysis, candidate: Candidate) -> bool:
    """A count is asked, and the sentences state no number and not what is counted."""
    if analysis.answer_type != "number" or analysis.folded[: analysis.wh_start].endswith("第"):
        return False
    texts = [s.folded.text for s in _sentences(candidate)]
    if folded_facts("。".join(texts), entities=False).numbers:
        return False
    counted = next((w for w in words(analysis.right.strip(_ASKED_END)) if len(w) >= 2), "")
    return bool(counted) and not any(counted in text for text in texts)


_TALLY_ASKED = frozenset("个家名位项件种条座所届期批支台辆场栋间队只头本部篇枚颗架艘株匹款类首幅张")
"""Measure words a count of things is asked with (``多少家``, ``几名``). Not ``人``: a
count of people is often stated as a bare number (``人口8.57万``), and not units
(``多少元``, ``多少米``), which the quantity constraints cover."""

_NUMERALS = "零〇一二两三四五六七八九十百千万亿"
_MEASURES = "".join(sorted(_TALLY_ASKED))

_TALLY_STATED = re.compile(
    rf"(?<![第\d.,:])\d[\d,.]*(?!\s?[\d年月日号时点:])"
    rf"|(?<![第{_NUMERALS}])[{_NUMERALS}几数]+[余多来]?\s?[{_MEASURES}人次倍轮]"
)
"""A count of anything: digits that are no date or time of day (``13 队``, ``1.25亿``,
``5领``), or a Chinese numeral with a measure word (``五家``, ``数十名``), which may
differ from the one asked (``十间分店`` for ``多少家分店``). Ordinals (``第四批``) are no
count."""


def _tally_unstated(analysis: QuestionAnalysis, candidate: Candidate) -> bool:
    """A count of things is asked with a measure word; the sentences count nothing."""
    if analysis.answer_type != "number" or analysis.wh not in ("多少", "几"):
        return False
    if analysis.folded[: analysis.wh_start].endswith("第"):  # 第多少届: an ordinal
        return False
    if analysis.folded[analysis.wh_start + len(analysis.wh) :][:1] not in _TALLY_ASKED:
        return False
    return not any(_TALLY_STATED.search(s.folded.text) for s in _sentences(candidate))


_RANK_ASKED = re.compile(
    r"(?:排名|排行|排|名列|位列|位居|居|列)第[一二三四五六七八九十\d]+|第[一二三四五六七八九十\d]+名"
)
_RANK_STATED = re.compile(
    r"第[零〇一二两三四五六七八九十百\d]+|[首冠榜最]|名列|排名|排行|位列|位居|领先|前[一二三四五六七八九十\d]+"
)


_COUNT_STATED = re.compile(
    rf"(?<![第\d.,:])\d[\d,.]*\s?[{_MEASURES}]"
    rf"|(?<![第{_NUMERALS}])[{_NUMERALS}几数]+[余多来]?\s?[{_MEASURES}]"
)
"""A count with its measure word (``14个``, ``三家``); the words after it say what it counts."""


def _first_word(text: str) -> str:
    """The first word (jieba) of two Chinese characters or more in ``text``, or ""."""
    return next((w for w in words(text) if len(w) >= 2 and w.isalpha() and not w.isascii()), "")


def _counts_other(analysis: QuestionAnalysis, candidate: Candidate) -> bool:
    """A count of things is asked (``有多少家成员单位``); the sentences never name what
    is counted (``成员``), and every count they state counts something the question
    itself names as its subject (``三批共14个产业链联盟`` of ``…产业链联盟有多少家成员单位``):
    they count the things asked about, not their parts."""
    if analysis.answer_type != "number" or analysis.wh not in ("多少", "几"):
        return False
    if analysis.folded[: analysis.wh_start].endswith("第"):
        return False
    after = analysis.folded[analysis.wh_start + len(analysis.wh) :]
    if after[:1] not in _TALLY_ASKED:
        return False
    counted = _first_word(after[1:].strip(_ASKED_END))
    texts = [s.folded.text for s in _sentences(candidate)]
    if not counted or any(counted in text for text in texts):
        return False
    subject = set(words(analysis.folded[: analysis.wh_start]))
    things = [
        _first_word(text[m.end() : m.end() + 12])
        for text in texts
        for m in _COUNT_STATED.finditer(text)
    ]
    return bool(things) and all(thing and thing in subject for thing in things)


_PLACE_SUFFIXES = "省市县区镇乡村州"


def _places(tagged: Sequence[tuple[str, str]]) -> list[tuple[int, str]]:
    """The administrative places (jieba ``ns`` of three characters or more that end in
    省, 市, 县, ...: ``上海市``, ``浙江省``) of tagged words, with their word index.

    Not every ``ns``: jieba tags many words as places that are none or that a sentence
    names otherwise (``太阴``, ``都市``, ``印度尼西亚`` for ``印尼``); with them the rule
    turned away 7 right benchmark answers and caught no near miss (docs/decisions.md).
    """
    return [
        (i, w)
        for i, (w, tag) in enumerate(tagged)
        if tag == "ns" and len(w) >= 3 and w[-1] in _PLACE_SUFFIXES
    ]


def _tagged_without_de(folded: str) -> list[tuple[str, str]]:
    """jieba's tagged words without ``的`` (``上海市的国资委`` reads as ``上海市|国资委``)."""
    return [(w, tag) for w, tag in tagged_words(folded) if w != "的"]


def _place_swapped(analysis: QuestionAnalysis, candidate: Candidate) -> bool:
    """The question names an administrative place before a word (``上海市|国资委``,
    ``上海市的|国资委``) that the sentences never name (nor its short form, ``上海``), and
    they put another such place before that word (``浙江省|国资委``): the same office or
    body of somewhere else."""
    if not any(ch in analysis.folded for ch in _PLACE_SUFFIXES):
        return False
    asked = _tagged_without_de(analysis.folded)
    places = _places(asked)
    if not places:
        return False
    texts = [s.folded.text for s in _sentences(candidate)]
    named = {w for _, w in places}
    for i, place in places:
        if i + 1 >= len(asked) or len(head := asked[i + 1][0]) < 2:
            continue
        short = place[:-1]  # 上海 of 上海市, 苏州 of 苏州市
        if any(place in t or (len(short) >= 2 and short in t) for t in texts):
            continue
        for text in texts:
            if head not in text:
                continue
            tagged = _tagged_without_de(text)
            for j, other in _places(tagged):
                if (
                    j + 1 < len(tagged)
                    and tagged[j + 1][0] == head
                    and other not in named
                    and other[:-1] != short
                ):
                    return True
    return False


def _rank_unstated(analysis: QuestionAnalysis, candidate: Candidate) -> bool:
    """A place in a ranking is asked, and the sentences rank nothing."""
    if not _RANK_ASKED.search(analysis.folded):
        return False
    return not any(_RANK_STATED.search(s.folded.text) for s in _sentences(candidate))


def _year_unstated(analysis: QuestionAnalysis, candidate: Candidate) -> bool:
    """The question states a year that the article never does, though it states others.

    Years of four digits only: earlier ones are often given in another reckoning (an
    era name: ``隆安五年`` for 401). The year counts as stated where its digits stand
    alone anywhere in the article (``1999-00赛季``, ``541春天``), and an article of that
    year may say ``今年``: its publication year counts too.
    """
    asked = {
        c.value
        for c in analysis.constraints
        if c.kind == "year" and len(c.value) == 4 and c.value.isdigit()
    }
    if not asked:
        return False
    sentences = _sentences(candidate)
    years = [c for c in analysis.constraints if c.kind == "year"]
    if any(compatible(c, v) for s in sentences for v in s.values for c in years):
        return False
    document = candidate.passage.document
    folded = normalize_for_matching(f"{document.title}\n{document.text}")
    if any(re.search(rf"(?<!\d){year}(?!\d)", folded) for year in asked):
        return False
    stated = {
        d[:-1]
        for d in folded_facts(folded, entities=False).dates
        if len(d) == 5 and d.endswith("年")
    }
    if document.published[:4].isdigit():
        stated.add(document.published[:4])
    return bool(stated) and not asked & stated


def _no_year(analysis: QuestionAnalysis, candidate: Candidate) -> bool:
    """Which year is asked, and neither sentence writes 年 at all."""
    return asks_for_year(analysis) and not any("年" in s.folded.text for s in _sentences(candidate))


def unsupported(analysis: QuestionAnalysis, candidate: Candidate, short: str) -> str:
    """What the question states that ``candidate`` does not support ("" when nothing).

    Args:
        analysis: the analysed question.
        candidate: the chosen sentence.
        short: the chosen short answer (folded).

    Returns:
        ``constraint``, ``currency``, ``name``, ``role``, ``contrast``, ``count``,
        ``tally``, ``counted``, ``place``, ``rank``, ``year``, ``no_year`` or "".
    """
    if conflicts(analysis, candidate)[2]:
        return "constraint"
    if currency_conflict(analysis, short):
        return "currency"
    for reason, check in _CHECKS:
        if check(analysis, candidate):
            return reason
    return ""


_CHECKS: tuple[tuple[str, Callable[[QuestionAnalysis, Candidate], bool]], ...] = (
    ("name", _name_conflict),
    ("role", _role_unfilled),
    ("contrast", _contrasted),
    ("count", _count_unstated),
    ("tally", _tally_unstated),
    ("counted", _counts_other),
    ("place", _place_swapped),
    ("rank", _rank_unstated),
    ("year", _year_unstated),
    ("no_year", _no_year),
)
"""The checks on what the sentences state, in the order their reason is given."""
