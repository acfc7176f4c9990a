"""Features of candidate sentences and candidate answer spans.

Everything here is a pure function of the question analysis, the question's weighted
terms and the prepared sentences, so training (:mod:`.training`) and answering
(:mod:`.answerer`) compute exactly the same numbers. Feature names are listed in
:data:`SENTENCE_FEATURES` and :data:`SPAN_FEATURES`, in column order; the model file
records them and refuses to load against other lists.
"""

from __future__ import annotations

import math
import re
import statistics
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import accumulate

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import LCSseq

from corpus.normalize import normalize_for_matching
from corpus.sentences import clause_spans
from qa.analysis.question import QuestionAnalysis, compatible
from qa.analysis.spans import NAME_KINDS, NUMBER_KINDS, TIME_KINDS
from qa.answering.claims import tagged_words, words
from qa.answering.extractive.sentences import Candidate, PreparedSentence
from qa.answering.terms import TermStatistics
from qa.lexicon import ANSWER_TYPES

__all__ = [
    "CharTables",
    "CONFIDENCE_FEATURES",
    "SENTENCE_FEATURES",
    "SPAN_FEATURES",
    "QuestionTerms",
    "SpanCandidate",
    "conflicts",
    "question_terms",
    "sentence_features",
    "span_candidates",
    "span_features",
    "confidence_features",
    "word_bigrams",
]

_TYPES = tuple(f"type_{t}" for t in ANSWER_TYPES)

SENTENCE_FEATURES: tuple[str, ...] = (
    "cov",
    "cov_uni",
    "cov_bi",
    "cov_prev",
    "cov_next",
    "cov_chunk",
    "near_cov",
    "lcs",
    "lcs_ratio",
    "align_both",
    "align_gap",
    "title_cov",
    "max_idf_present",
    "rare_cov",
    "new_after_left",
    "new_before_right",
    "top_document",
    "slot_both",
    "slot_gap",
    "missing_max",
    "missing_share",
    "doc_missing_max",
    "substituted",
    "deleted",
    "inserted",
    "changed_idf",
    "cov_rel",
    "cov_rank",
    "left_match",
    "left_ratio",
    "right_match",
    "right_ratio",
    "typed_match",
    "typed_any",
    "cons_total",
    "cons_sat",
    "cons_conflict",
    "attr_present",
    "head_present",
    "passage_rank",
    "fused_ratio",
    "bm25_ratio",
    "lead",
    "position",
    "length",
    "q_terms",
    "q_len",
    *_TYPES,
)

_FROM_SENTENCE: tuple[str, ...] = (
    "cov",
    "cov_prev",
    "near_cov",
    "lcs_ratio",
    "align_both",
    "left_ratio",
    "right_ratio",
    "typed_match",
    "cons_total",
    "cons_sat",
    "cons_conflict",
    "attr_present",
    "head_present",
    "passage_rank",
    "bm25_ratio",
    "title_cov",
    "rare_cov",
    "missing_max",
    "missing_share",
    "doc_missing_max",
    "substituted",
    "deleted",
    "inserted",
    "changed_idf",
)
"""The chosen sentence's features that the confidence model sees too."""

CONFIDENCE_FEATURES: tuple[str, ...] = (
    "sentence_score",
    "sentence_margin",
    "sentence_share",
    "span_score",
    "span_margin",
    *_FROM_SENTENCE,
    "span_length",
    "span_type_compatible",
    "span_holds_expected",
    "span_q_overlap",
    "q_terms",
    *_TYPES,
)
"""Per question: how sure the reading is (scores and margins of the two rankers, and
the chosen sentence's and span's own features). Not the number of candidate sentences:
it measures the corpus, not the reading (a small corpus has fewer), and a model that
learned it on the benchmark's pooled corpus turned answers away on small ones."""

_SPAN_KINDS: tuple[str, ...] = (
    "none",
    "date",
    "year",
    "era",
    "time",
    "period",
    "ordinal",
    "percent",
    "quantity",
    "number",
    "quote",
    "title",
)
_TAG_CLASSES = ("nr", "ns", "nt", "nz", "m", "t", "n", "v", "other")


def _tag_class(flag: str) -> str:
    """The coarse class of a jieba part-of-speech tag."""
    if flag == "eng":
        return "nz"
    if flag.startswith(("nr", "ns", "nt", "nz")):
        return flag[:2]
    if flag.startswith("m"):
        return "m"
    for c in ("t", "n", "v"):
        if flag.startswith(c):
            return c
    return "other"


@dataclass(frozen=True, slots=True)
class SentenceWords:
    """A sentence's jieba words: which word each character is in, and its tag class."""

    word_of: tuple[int, ...]
    starts: frozenset[int]
    ends: frozenset[int]
    tags: tuple[str, ...]


@lru_cache(maxsize=4096)
def sentence_words(text: str) -> SentenceWords:
    """The words of a folded sentence (cached: a sentence is tagged once)."""
    word_of: list[int] = []
    starts, ends, tags = set(), set(), []
    pos = 0
    for i, (word, flag) in enumerate(tagged_words(text)):
        starts.add(pos)
        word_of.extend([i] * len(word))
        pos += len(word)
        ends.add(pos)
        tags.append(_tag_class(flag))
    return SentenceWords(tuple(word_of), frozenset(starts), frozenset(ends), tuple(tags))


SPAN_FEATURES: tuple[str, ...] = (
    "length",
    "log_length",
    "clause_share",
    "is_clause",
    "is_sentence",
    "from_typed",
    "from_chunk",
    "from_align",
    "from_strip",
    *(f"kind_{k}" for k in _SPAN_KINDS),
    "holds_expected",
    "type_compatible",
    "org_suffix",
    "place_suffix",
    "person_like",
    "q_overlap",
    "q_bigram_inside",
    "left_adj",
    "right_adj",
    "dist_left",
    "dist_right",
    "clause_cov",
    "starts_function",
    "ends_function",
    "has_comma",
    "has_digit",
    "cjk_share",
    "head_after",
    "head_inside",
    "rel_start",
    "start_cohesion",
    "end_cohesion",
    "inner_cohesion",
    "surname_start",
    "terms_before",
    "terms_after",
    "first_char_score",
    "last_char_score",
    "from_slot",
    "slot_iou",
    "slot_start_gap",
    "slot_end_gap",
    "in_slot",
    "start_boundary",
    "end_boundary",
    "span_words",
    *(f"first_tag_{t}" for t in _TAG_CLASSES),
    *(f"last_tag_{t}" for t in _TAG_CLASSES),
    *_TYPES,
)

_FUNCTION_CHARS = frozenset("的了是在和与及等由被把对从向为将于以并而也都就或其之着过所且还又即")
_PUNCT = frozenset(",.;:!?，。；：！？、()（）“”‘’「」『』《》〈〉\"' \t\n\u3000—-…·")
_COMMAS = frozenset(",，;；")
_ORG_SUFFIX: tuple[str, ...] = tuple(
    "公司 集团 大学 学院 学校 中学 小学 委员会 协会 学会 联合会 研究院 研究所 研究中心 中心 "
    "医院 银行 基金会 俱乐部 球队 队 党 政府 部 局 厅 署 院 所 会 社 台 报 组织 机构 联盟 "
    "乐团 乐队 出版社 电视台 工厂 厂".split()
)
_PLACE_SUFFIX: tuple[str, ...] = tuple(
    "省 市 县 区 镇 乡 村 州 国 岛 山 河 江 湖 海 港 湾 街 路 洲 岭 峰 城 府 郡 岛屿 半岛 "
    "盆地 高原 平原 沙漠 海峡 大道".split()
)
# The most common Chinese surnames (a person's name usually starts with one).
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤"
)
_MAX_SPAN = 60
_PARTICLES_END = "?？!！。 呢吗啊"
_MAX_ALIGN = 40


@dataclass(frozen=True, slots=True)
class CharTables:
    """How typical a span's first and last character are of answers of each type.

    ``first[type][char]`` is the log-odds of ``char`` starting a gold answer of that
    answer type against starting any candidate span (likewise ``last`` for the final
    character); characters not listed score 0. Fitted on training questions by
    :mod:`.training` and stored in the model file.
    """

    first: dict[str, dict[str, float]] = field(default_factory=dict)
    last: dict[str, dict[str, float]] = field(default_factory=dict)

    def score(self, answer_type: str, first: str, last: str) -> tuple[float, float]:
        """The first- and last-character scores of a span."""
        return (
            self.first.get(answer_type, {}).get(first, 0.0),
            self.last.get(answer_type, {}).get(last, 0.0),
        )


@dataclass(frozen=True, slots=True)
class QuestionTerms:
    """The question's matching terms with their IDF weights.

    Attributes:
        analysis: the question analysis.
        weights: term -> IDF (terms of the question without its interrogatives).
        total: sum of the weights.
        bigrams: the terms of two characters or more.
    """

    analysis: QuestionAnalysis
    weights: dict[str, float]
    total: float
    bigrams: frozenset[str]
    unigram_items: tuple[tuple[str, float], ...] = ()
    bigram_items: tuple[tuple[str, float], ...] = ()
    max_idf: float = 0.0
    slots: dict[str, Slot] = field(default_factory=dict, compare=False, repr=False)
    """The question's alignment to each sentence read so far (:func:`slot_of`): a
    sentence's slot serves its sentence features, its span candidates and their
    features. Lives as long as the question's reading."""


def _is_cjk_pair(term: str) -> bool:
    """Whether a term is a bigram of two Chinese characters (not a Latin word or digits)."""
    return len(term) == 2 and all("\u4e00" <= ch <= "\u9fff" for ch in term)


def word_bigrams(folded: str) -> frozenset[str]:
    """The character bigrams of a folded text that lie inside one of its words (jieba,
    without its HMM), or join two single-character words neither of which is a function
    word (a name jieba does not know, ``解|缙``).

    A bigram across two words (``划是`` in ``计划|是``, ``上代`` in ``会上|代表``) says
    nothing about the question's meaning, and in a small corpus that never states it,
    it takes the highest IDF and is always "the rarest term a sentence lacks".
    """
    found: set[str] = set()
    pieces = words(folded)
    for i, word in enumerate(pieces):
        found.update(word[j : j + 2] for j in range(len(word) - 1))
        after = pieces[i + 1] if i + 1 < len(pieces) else ""
        if (
            len(word) == 1
            and len(after) == 1
            and word not in _FUNCTION_CHARS
            and after not in _FUNCTION_CHARS
        ):
            found.add(word + after)
    return frozenset(found)


def question_terms(analysis: QuestionAnalysis, stats: TermStatistics) -> QuestionTerms:
    """Weighted matching terms of an analysed question: its terms in the index's
    tokenisation, less the character bigrams that straddle two words
    (:func:`word_bigrams`) and the function words of one character (``是``, ``的``,
    ``在``). Both say nothing of what the question asks, and in a small corpus either
    can take a high IDF (``是`` is in few of a dozen chunks) and decide which sentence
    matches best."""
    inner = word_bigrams(analysis.content)
    terms = [
        t
        for t in dict.fromkeys(stats.tokens(analysis.content))
        if (t in inner or not _is_cjk_pair(t)) and t not in _FUNCTION_CHARS
    ]
    weights: dict[str, float] = {}
    if terms:
        for term, w in zip(terms, stats.idf(terms), strict=True):
            if w > 0:
                weights[term] = float(w)
    bigrams = frozenset(t for t in weights if len(t) >= 2)
    return QuestionTerms(
        analysis,
        weights,
        sum(weights.values()),
        bigrams,
        tuple((t, w) for t, w in weights.items() if len(t) == 1),
        tuple((t, w) for t, w in weights.items() if len(t) >= 2),
        max(weights.values(), default=0.0),
    )


def _coverage(terms: QuestionTerms, present: frozenset[str], only: str = "") -> float:
    """IDF-weighted share of the question's terms (``only``: ``uni``/``bi`` terms) found
    in ``present``."""
    items: Iterable[tuple[str, float]]
    if only == "uni":
        items = terms.unigram_items
    elif only == "bi":
        items = terms.bigram_items
    else:
        items = terms.weights.items()
    total = found = 0.0
    for t, w in items:
        total += w
        if t in present:
            found += w
    return found / total if total > 0 else 0.0


def _changed_idf(terms: QuestionTerms, changed: Sequence[str]) -> float:
    """The highest IDF (scaled by the question's highest) of the question's terms that
    overlap a substituted or deleted stretch."""
    if not changed:
        return 0.0
    worst = 0.0
    for t, w in terms.weights.items():
        if w <= worst:
            continue
        pair = len(t) == 2
        for piece in changed:
            if t in piece or (pair and (t[0] in piece or t[1] in piece)):
                worst = w
                break
    return worst / (terms.max_idf or 1.0)


def _missing(terms: QuestionTerms, present: frozenset[str]) -> tuple[float, float]:
    """The IDF of the rarest question term (two characters or more) missing from
    ``present``, scaled by the question's highest IDF, and the weighted share missing."""
    worst = missing = total = 0.0
    for t, w in terms.bigram_items:
        total += w
        if t not in present:
            missing += w
            worst = max(worst, w)
    scale = terms.max_idf or 1.0
    return worst / scale, (missing / total if total else 0.0)


def _longest_suffix_in(context: str, text: str, cap: int = 16) -> int:
    """Length of the longest suffix of ``context`` (at most ``cap``) found in ``text``."""
    for length in range(min(cap, len(context)), 0, -1):
        if context[-length:] in text:
            return length
    return 0


def _longest_prefix_in(context: str, text: str, cap: int = 16) -> int:
    """Length of the longest prefix of ``context`` (at most ``cap``) found in ``text``."""
    for length in range(min(cap, len(context)), 0, -1):
        if context[:length] in text:
            return length
    return 0


def _compatible_kinds(answer_type: str) -> frozenset[str]:
    if answer_type == "time":
        return TIME_KINDS
    if answer_type == "number":
        return NUMBER_KINDS
    if answer_type in ("entity", "list"):
        return NAME_KINDS
    return frozenset()


def conflicts(analysis: QuestionAnalysis, candidate: Candidate) -> tuple[int, int, bool]:
    """How the question's constraints fare in a sentence (and the sentence before it).

    Returns:
        ``(stated, satisfied, conflict)``: how many constraints the question states, how
        many the sentence (or the one before it) states too, in any wording
        (:func:`~qa.analysis.question.compatible`: ``首届`` for ``第一届``, ``2003年1月24号``
        for ``2003年1月``), and whether the sentence
        states another value of the same kind instead of one the question states
        (``第六届`` for ``第五届``, ``前三季度`` for ``全年``).
    """
    sentence = candidate.sentence
    values = set(sentence.values)
    if candidate.previous is not None:
        values |= candidate.previous.values
    satisfied = 0
    conflict = False
    for c in analysis.constraints:
        if any(compatible(c, v) for v in values):
            satisfied += 1
            continue
        unit = c.value.split("|", 1)[1] if "|" in c.value else None
        for v in sentence.values:
            if v.kind != c.kind:
                continue
            if c.kind in ("ordinal", "quantity", "percent"):
                v_unit = v.value.split("|", 1)[1] if "|" in v.value else None
                if v_unit != unit:
                    continue
            conflict = True
            break
    return len(analysis.constraints), satisfied, conflict


# Currencies: an amount asked in one (多少美元) is not answered by an amount in another.
# A bare 元 is the local currency of the text (renminbi, New Taiwan or Hong Kong dollars),
# so it fits those and conflicts only with the foreign ones.
_CURRENCIES = (
    "人民币",
    "新台币",
    "美元",
    "港元",
    "港币",
    "日元",
    "欧元",
    "英镑",
    "台币",
    "澳元",
    "卢布",
    "元",
)
_LOCAL_CURRENCIES = frozenset({"元", "台币", "港元"})
_CURRENCY_ALIASES = {"人民币": "元", "港币": "港元", "新台币": "台币"}


def _currency(text: str) -> str | None:
    """The currency ``text`` starts with (magnitudes skipped: 万元, 亿美元), or None."""
    text = text.lstrip("万亿千百")
    for c in _CURRENCIES:
        if text.startswith(c):
            return _CURRENCY_ALIASES.get(c, c)
    return None


def currency_conflict(analysis: QuestionAnalysis, short: str) -> bool:
    """True when the question asks for an amount in one currency (``多少美元``) and the
    short answer states an amount in another (``380亿元``)."""
    if analysis.answer_type != "number":
        return False
    asked = _currency(analysis.right)
    if asked is None:
        return False
    m = re.search(r"[\d零〇一二两三四五六七八九十百千万亿.,]+([^\d\s]*)$", short.strip())
    stated = _currency(m.group(1)) if m else None
    if stated is None or stated == asked:
        return False
    return not ("元" in (stated, asked) and {stated, asked} <= _LOCAL_CURRENCIES)


SHORTLIST = 15
"""Sentences the rankers see: the best by IDF-weighted coverage of the question."""


def shortlist(
    terms: QuestionTerms, candidates: Sequence[Candidate], k: int = SHORTLIST
) -> list[int]:
    """Indices of the ``k`` candidates with the highest coverage of the question's terms
    (ties: passage order), best first."""
    covs = [_coverage(terms, c.sentence.terms) for c in candidates]
    return sorted(range(len(candidates)), key=lambda i: -covs[i])[:k]


def chunk_terms(candidates: Sequence[Candidate]) -> dict[str, frozenset[str]]:
    """The matching terms of each candidate's chunk (the union of its sentences')."""
    out: dict[str, set[str]] = {}
    for c in candidates:
        out.setdefault(c.passage.chunk.id, set()).update(c.sentence.terms)
    return {k: frozenset(v) for k, v in out.items()}


@dataclass(frozen=True, slots=True)
class _TermItems:
    """A question's terms with the groups :func:`sentence_features` weighs them in, and
    each group's total weight (summed in the order of ``QuestionTerms.weights``, as
    :func:`_coverage` sums them)."""

    items: tuple[tuple[str, float, bool, bool, bool], ...]  # term, weight, bigram, near, rare
    uni_total: float
    bi_total: float
    near_total: float
    rare_total: float


def _term_items(
    terms: QuestionTerms, near: Mapping[str, float], rare: Mapping[str, float]
) -> _TermItems:
    items = tuple((t, w, len(t) >= 2, t in near, t in rare) for t, w in terms.weights.items())
    uni = bi = 0.0
    for _, w, bigram, _, _ in items:
        if bigram:
            bi += w
        else:
            uni += w
    return _TermItems(items, uni, bi, sum(near.values()), sum(rare.values()))


@dataclass(frozen=True, slots=True)
class _Matches:
    """Weights of a question's terms found in one candidate sentence (and with its
    neighbours), summed in one pass by :func:`_match_terms`."""

    found: float
    found_uni: float
    found_bi: float
    found_prev: float
    found_next: float
    found_near: float
    found_rare: float
    present: bool
    max_present: float
    missing_prev: float
    worst_missing_prev: float


def _match_terms(
    items: _TermItems,
    present: frozenset[str],
    previous: PreparedSentence | None,
    following: PreparedSentence | None,
) -> _Matches:
    """The sums of :class:`_Matches` for a sentence's terms ``present``; the sentence
    with the one before counts for ``found_prev`` and the missing terms, the sentence
    with the one after for ``found_next``."""
    before = previous.terms if previous is not None else frozenset()
    after = following.terms if following is not None else frozenset()
    found = uni = bi = prev = nxt = near_w = rare_w = top = missing = worst = 0.0
    any_present = False
    for t, w, bigram, near, rare in items.items:
        if t in present:
            found += w
            prev += w
            nxt += w
            if bigram:
                bi += w
            else:
                uni += w
            if near:
                near_w += w
            if rare:
                rare_w += w
            top = max(top, w) if any_present else w
            any_present = True
            continue
        if t in before:
            prev += w
        elif bigram:
            missing += w
            worst = max(worst, w)
        if t in after:
            nxt += w
    return _Matches(found, uni, bi, prev, nxt, near_w, rare_w, any_present, top, missing, worst)


def sentence_features(
    terms: QuestionTerms,
    candidates: Sequence[Candidate],
    stats: TermStatistics,
    chunks: Mapping[str, frozenset[str]] | None = None,
    documents: Mapping[str, frozenset[str]] | None = None,
) -> npt.NDArray[np.float32]:
    """One row of :data:`SENTENCE_FEATURES` per candidate sentence.

    Args:
        terms: the question's terms.
        candidates: the sentences to describe (a shortlist, best coverage first).
        stats: the index's term statistics.
        chunks: the matching terms of each chunk (default: from ``candidates``).
        documents: the matching terms of each document (missing terms are judged
            against the sentence alone where a document is not given).
    """
    chunks = chunks if chunks is not None else chunk_terms(candidates)
    documents = documents or {}

    def stats_tokens(text: str) -> list[str]:
        return stats.tokens(normalize_for_matching(text)) if text else []

    a = terms.analysis
    out = np.zeros((len(candidates), len(SENTENCE_FEATURES)), dtype=np.float32)
    if not candidates:
        return out
    top_fused = max(c.passage.score for c in candidates) or 1.0
    top_bm25 = max(c.passage.scores.get("bm25", 0.0) for c in candidates) or 1.0
    expected = _compatible_kinds(a.answer_type)
    stated = {c.text for c in a.constraints}
    col = _SENTENCE_COLUMNS
    type_index = col[f"type_{a.answer_type}"]
    near = _near_terms(terms)
    content = "".join(ch for ch in a.content if ch not in _PUNCT)
    question_chars = frozenset(content)
    title_cov: dict[str, float] = {}
    doc_missing: dict[str, float] = {}
    max_idf = max(terms.weights.values(), default=0.0)
    median = statistics.median(terms.weights.values()) if terms.weights else 0.0
    rare = {t: w for t, w in terms.weights.items() if w > median}
    items = _term_items(terms, near, rare)
    top_doc = min(candidates, key=lambda c: c.passage.rank).passage.document.id
    width = len(SENTENCE_FEATURES)
    covs = []
    for i, cand in enumerate(candidates):
        s = cand.sentence
        text = s.folded.text
        m = _match_terms(items, s.terms, cand.previous, cand.next)
        cov = m.found / terms.total if terms.total > 0 else 0.0
        covs.append(cov)
        left = _longest_suffix_in(a.left, text)
        right = _longest_prefix_in(a.right, text)
        lcs = LCSseq.similarity(content, text) if content else 0
        gap = _alignment_gap(text, a.left, left, a.right, right)
        doc = cand.passage.document
        if doc.id not in title_cov:
            title_cov[doc.id] = _coverage(terms, frozenset(stats_tokens(doc.title)))
        typed_match = any(t.kind in expected and t.text not in stated for t in s.spans)
        total, sat, conflict = conflicts(a, cand)
        bm25 = cand.passage.scores.get("bm25", 0.0)
        row = [0.0] * width
        row[col["cov"]] = cov
        row[col["cov_uni"]] = m.found_uni / items.uni_total if items.uni_total > 0 else 0.0
        row[col["cov_bi"]] = m.found_bi / items.bi_total if items.bi_total > 0 else 0.0
        row[col["cov_prev"]] = m.found_prev / terms.total if terms.total > 0 else 0.0
        row[col["cov_next"]] = m.found_next / terms.total if terms.total > 0 else 0.0
        row[col["near_cov"]] = m.found_near / items.near_total if near else 0.0
        row[col["lcs"]] = lcs
        row[col["lcs_ratio"]] = lcs / len(content) if content else 0.0
        row[col["align_both"]] = float(gap <= _MAX_ALIGN)
        row[col["align_gap"]] = gap
        row[col["title_cov"]] = title_cov[doc.id]
        row[col["max_idf_present"]] = m.max_present / max_idf if m.present and max_idf else 0.0
        row[col["rare_cov"]] = m.found_rare / items.rare_total if rare else 0.0
        row[col["new_after_left"]] = (
            _novel_after(text, a.left[-left:], question_chars) if left else 0
        )
        row[col["new_before_right"]] = (
            _novel_before(text, a.right[:right], question_chars) if right else 0
        )
        row[col["top_document"]] = float(doc.id == top_doc)
        slot = slot_of(terms, text)
        row[col["slot_both"]] = float(slot.both and slot.gap <= _MAX_ALIGN)
        row[col["slot_gap"]] = min(slot.gap, _MAX_ALIGN + 1)
        row[col["substituted"]] = slot.substituted
        row[col["deleted"]] = slot.deleted
        row[col["inserted"]] = slot.inserted
        row[col["changed_idf"]] = _changed_idf(terms, slot.changed)
        scale = terms.max_idf or 1.0
        row[col["missing_max"]] = m.worst_missing_prev / scale
        row[col["missing_share"]] = m.missing_prev / items.bi_total if items.bi_total else 0.0
        if doc.id in documents:
            if doc.id not in doc_missing:
                doc_missing[doc.id] = _missing(terms, documents[doc.id])[0]
            row[col["doc_missing_max"]] = doc_missing[doc.id]
        else:
            row[col["doc_missing_max"]] = row[col["missing_max"]]
        row[col["left_match"]] = left
        row[col["left_ratio"]] = left / len(a.left) if a.left else 0.0
        row[col["right_match"]] = right
        row[col["right_ratio"]] = right / len(a.right) if a.right else 0.0
        row[col["typed_match"]] = float(typed_match)
        row[col["typed_any"]] = float(bool(s.spans))
        row[col["cons_total"]] = total
        row[col["cons_sat"]] = sat
        row[col["cons_conflict"]] = float(conflict)
        row[col["attr_present"]] = float(bool(a.attribute) and a.attribute in text)
        row[col["head_present"]] = float(bool(a.head) and a.head in text)
        row[col["passage_rank"]] = cand.passage.rank
        row[col["fused_ratio"]] = cand.passage.score / top_fused
        row[col["bm25_ratio"]] = bm25 / top_bm25 if top_bm25 > 0 else 0.0
        row[col["lead"]] = float(s.lead)
        row[col["position"]] = s.position
        row[col["length"]] = math.log1p(len(text))
        row[col["q_terms"]] = len(terms.weights)
        row[col["q_len"]] = len(a.folded)
        row[type_index] = 1.0
        out[i] = row
    chunk_cov: dict[str, float] = {}
    for i, cand in enumerate(candidates):
        cid = cand.passage.chunk.id
        if cid not in chunk_cov:
            chunk_cov[cid] = _coverage(terms, chunks.get(cid, cand.sentence.terms))
        out[i, col["cov_chunk"]] = chunk_cov[cid]
    best = max(covs)
    order = sorted(range(len(covs)), key=lambda j: -covs[j])
    for rank, j in enumerate(order, start=1):
        out[j, col["cov_rel"]] = covs[j] / best if best > 0 else 0.0
        out[j, col["cov_rank"]] = rank
    return out


_SENTENCE_COLUMNS = {name: i for i, name in enumerate(SENTENCE_FEATURES)}


def _near_terms(terms: QuestionTerms, width: int = 6) -> dict[str, float]:
    """The question's terms next to the interrogative: the last ``width`` characters of
    the left context and the first of the right (the words an answer sits between)."""
    a = terms.analysis
    near_text = a.left[-width:] + " " + a.right[:width]
    return {t: w for t, w in terms.weights.items() if t in near_text}


@dataclass(frozen=True, slots=True)
class Slot:
    """Where the answer should sit in a sentence, by aligning the question to it, and how
    closely the rest of the question aligns.

    The question, with its interrogative masked, is aligned to the sentence (longest
    common subsequence); the answer is expected between the last aligned character
    before the interrogative and the first aligned one after it. Within the aligned
    region, a short stretch of the question matched by another short stretch of the
    sentence is a *substitution* (``全球`` for ``全国``), a stretch of the question with
    nothing in the sentence a *deletion*, a stretch of the sentence with nothing in the
    question an *insertion* (``副`` in ``副局长``): the signs of a near miss.

    Attributes:
        start: offset after the last aligned character before the interrogative (-1
            when none aligns).
        end: offset of the first aligned character after it (-1 when none aligns).
        substituted: question characters substituted (stretches of up to 4).
        deleted: question characters deleted (stretches of up to 4).
        inserted: sentence characters inserted (stretches of up to 2).
        changed: the question text substituted or deleted, for weighing.
    """

    start: int
    end: int
    substituted: int = 0
    deleted: int = 0
    inserted: int = 0
    changed: tuple[str, ...] = ()

    @property
    def both(self) -> bool:
        """Both sides align, in order, with text between them."""
        return self.start >= 0 and self.end > self.start

    @property
    def gap(self) -> int:
        """Characters between the two anchors (``_MAX_ALIGN + 1`` when not both)."""
        return self.end - self.start if self.both else _MAX_ALIGN + 1


def alignment_slot(analysis: QuestionAnalysis, text: str) -> Slot:
    """The answer slot of ``analysis``'s question in folded sentence ``text``, and the
    substitutions, deletions and insertions of the alignment around it."""
    q = analysis.folded
    if analysis.wh_start >= 0:
        start, end = analysis.wh_start, analysis.wh_end
    else:  # no interrogative (``…的作者是?``): the answer follows the question's end
        start = end = len(q.rstrip(_PARTICLES_END))
    masked = q[:start] + "\0" * (end - start) + q[end:]
    ops = list(LCSseq.opcodes(masked, text))
    before = after = -1
    equal = [i for i, op in enumerate(ops) if op.tag == "equal"]
    for op in ops:
        if op.tag != "equal":
            continue
        if op.src_end <= start:
            before = op.dest_end
        elif op.src_start >= end and after < 0:
            after = op.dest_start
    substituted = deleted = inserted = 0
    changed: list[str] = []
    if equal:
        # Between the first and last aligned stretch, group consecutive non-equal ops.
        i = equal[0] + 1
        while i < equal[-1]:
            j = i
            while j < equal[-1] and ops[j].tag != "equal":
                j += 1
            q_lo, q_hi, s_len = ops[i].src_start, ops[i].src_end, 0
            for op in ops[i:j]:
                q_lo = min(q_lo, op.src_start)
                q_hi = max(q_hi, op.src_end)
                s_len += op.dest_end - op.dest_start
            q_text = masked[q_lo:q_hi]
            if "\0" not in q_text and _PUNCT.isdisjoint(q_text):
                q_len = q_hi - q_lo
                if q_len and s_len and q_len <= 4 and s_len <= 4:
                    substituted += q_len
                    changed.append(q_text)
                elif q_len and not s_len and q_len <= 4:
                    deleted += q_len
                    changed.append(q_text)
                elif s_len and not q_len and s_len <= 2:
                    inserted += s_len
            i = j + 1
    return Slot(before, after, substituted, deleted, inserted, tuple(changed))


def slot_of(terms: QuestionTerms, text: str) -> Slot:
    """:func:`alignment_slot` of the question of ``terms`` in ``text``, computed once per
    question and sentence."""
    slot = terms.slots.get(text)
    if slot is None:
        slot = terms.slots[text] = alignment_slot(terms.analysis, text)
    return slot


def _novel_after(text: str, needle: str, question_chars: frozenset[str]) -> int:
    """Characters not in the question right after the first occurrence of ``needle``
    (an answer slot after the question's left context), at most 10."""
    i = text.find(needle)
    if i < 0:
        return 0
    n, j = 0, i + len(needle)
    while j < len(text) and n < 10 and text[j] not in question_chars and text[j] not in _PUNCT:
        n, j = n + 1, j + 1
    return n


def _novel_before(text: str, needle: str, question_chars: frozenset[str]) -> int:
    """Characters not in the question right before the first occurrence of ``needle``."""
    i = text.find(needle)
    n, j = 0, i - 1
    while i > 0 and j >= 0 and n < 10 and text[j] not in question_chars and text[j] not in _PUNCT:
        n, j = n + 1, j - 1
    return n


def _alignment_gap(text: str, left: str, left_len: int, right: str, right_len: int) -> float:
    """Characters between an occurrence of the question's left context (its longest
    suffix found, at least 2 characters) and a later one of its right context (longest
    prefix found); ``_MAX_ALIGN + 1`` where there is no such pair."""
    none = float(_MAX_ALIGN + 1)
    if left_len < 2 or right_len < 2:
        return none
    ends = _occurrence_ends(text, left[-left_len:])
    starts = _occurrence_starts(text, right[:right_len])
    gaps = [b - a for a in ends for b in starts if b >= a]
    return float(min(gaps)) if gaps and min(gaps) <= _MAX_ALIGN else none


@dataclass(frozen=True, slots=True)
class SpanCandidate:
    """A candidate answer inside a sentence (offsets into the folded sentence text).

    Attributes:
        sentence: index of the candidate sentence it belongs to.
        start: start offset in the folded sentence.
        end: end offset (exclusive).
        sources: how it was found (``typed``, ``chunk``, ``align``, ``slot``, ``strip``,
            ``clause``, ``sentence``).
        kind: the typed-span kind when it is one exactly, else ``none``.
    """

    sentence: int
    start: int
    end: int
    sources: frozenset[str]
    kind: str = "none"


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    """``[s, e)`` without surrounding punctuation and spaces."""
    while s < e and text[s] in _PUNCT:
        s += 1
    while e > s and text[e - 1] in _PUNCT:
        e -= 1
    return s, e


_LEADS = (
    *("位于", "由于", "因为", "称为", "名为", "可达"),
    *("为", "于", "称", "名", "是", "在", "由", "以", "被"),
)
"""Words that introduce an answer without being part of it (longest first)."""


_LEAD_FIRST = frozenset(lead[0] for lead in _LEADS)


def _lead_length(text: str, s: int, e: int) -> int:
    """The length of the word of :data:`_LEADS` that ``text[s:e]`` starts with, where
    at least two characters follow it (0 when none)."""
    if text[s : s + 1] not in _LEAD_FIRST:
        return 0
    for lead in _LEADS:
        if text.startswith(lead, s) and e - s - len(lead) >= 2:
            return len(lead)
    return 0


def span_candidates(
    terms: QuestionTerms, candidates: Sequence[Candidate], chosen: Sequence[int]
) -> list[SpanCandidate]:
    """Candidate answer spans in the chosen sentences.

    Spans come from typed patterns (dates, quantities, names in quotes), from chunks
    between function characters and punctuation (and runs of up to three of them), from
    aligning the question's left and right context around the interrogative, from
    clauses with the words they share with the question stripped off their ends, and
    whole clauses and sentences. Spans the question itself contains are dropped.
    """
    a = terms.analysis
    question = a.folded
    found: dict[tuple[int, int, int], set[str]] = {}
    kinds: dict[tuple[int, int, int], str] = {}

    def add(idx: int, s: int, e: int, source: str, text: str) -> None:
        s, e = _trim(text, s, e)
        if e <= s or e - s > _MAX_SPAN or text[s:e] in question:
            return
        found.setdefault((idx, s, e), set()).add(source)
        # The same span without the preposition, copula or naming verb that introduces
        # it (为…, 位于…, 称…): found the same way, so it carries the same source.
        lead = _lead_length(text, s, e)
        if lead and text[s + lead : e] not in question:
            found.setdefault((idx, s + lead, e), set()).add(source)

    for idx in chosen:
        sentence = candidates[idx].sentence
        text = sentence.folded.text
        n = len(text)
        add(idx, 0, n, "sentence", text)
        for t in sentence.spans:
            add(idx, t.start, t.end, "typed", text)
            kinds.setdefault((idx, *_trim(text, t.start, t.end)), t.kind)
        clauses = clause_spans(text)
        for cs, ce in clauses:
            add(idx, cs, ce, "clause", text)
            # The clause without the words it shares with the question at either end.
            s, e = _trim(text, cs, ce)
            while s < e and text[s] in question:
                s += 1
            while e > s and text[e - 1] in question:
                e -= 1
            add(idx, s, e, "strip", text)
            # Chunks between function characters and punctuation, and runs of them.
            bounds: list[tuple[int, int]] = []
            start = None
            for i in range(cs, ce):
                if text[i] in _FUNCTION_CHARS or text[i] in _PUNCT:
                    if start is not None:
                        bounds.append((start, i))
                        start = None
                elif start is None:
                    start = i
            if start is not None:
                bounds.append((start, ce))
            for j in range(len(bounds)):
                for k in range(j, min(j + 3, len(bounds))):
                    add(idx, bounds[j][0], bounds[k][1], "chunk", text)
        # The slot the aligned question leaves open.
        slot = slot_of(terms, text)
        if slot.both and slot.gap <= _MAX_ALIGN:
            add(idx, slot.start, slot.end, "slot", text)
        elif slot.start >= 0:
            clause_end = next((ce for cs, ce in clauses if cs <= slot.start < ce), n)
            add(idx, slot.start, clause_end, "slot", text)
        elif slot.end > 0:
            clause_start = next((cs for cs, ce in clauses if cs < slot.end <= ce), 0)
            add(idx, clause_start, slot.end, "slot", text)
        # Alignment: the answer sits between the question's left and right context.
        left = _longest_suffix_in(a.left, text, cap=12)
        right = _longest_prefix_in(a.right, text, cap=12)
        starts = _occurrence_ends(text, a.left[-left:]) if left else []
        ends = _occurrence_starts(text, a.right[:right]) if right else []
        for s in starts:
            later = [e for e in ends if s < e <= s + _MAX_ALIGN]
            if later:
                add(idx, s, later[0], "align", text)
            clause_end = next((ce for cs, ce in clauses if cs <= s < ce), n)
            add(idx, s, clause_end, "align", text)
        for e in ends:
            clause_start = next((cs for cs, ce in clauses if cs < e <= ce), 0)
            add(idx, clause_start, e, "align", text)
    return [
        SpanCandidate(idx, s, e, frozenset(sources), kinds.get((idx, s, e), "none"))
        for (idx, s, e), sources in found.items()
    ]


def _occurrence_ends(text: str, needle: str) -> list[int]:
    out: list[int] = []
    i = text.find(needle)
    while i >= 0 and len(out) < 8:
        out.append(i + len(needle))
        i = text.find(needle, i + 1)
    return out


def _occurrence_starts(text: str, needle: str) -> list[int]:
    out: list[int] = []
    i = text.find(needle)
    while i >= 0 and len(out) < 8:
        out.append(i)
        i = text.find(needle, i + 1)
    return out


def _common_suffix(a: str, b: str, cap: int = 10) -> int:
    n = 0
    while n < cap and n < len(a) and n < len(b) and a[-1 - n] == b[-1 - n]:
        n += 1
    return n


def _common_prefix(a: str, b: str, cap: int = 10) -> int:
    n = 0
    while n < cap and n < len(a) and n < len(b) and a[n] == b[n]:
        n += 1
    return n


def _prefix_counts(text: str, test: Callable[[str], bool]) -> list[int]:
    """``out[i]``: how many of the first ``i`` characters of ``text`` pass ``test``."""
    return list(accumulate(map(test, text), int.__add__, initial=0))


def _cjk_prefix_counts(text: str) -> list[int]:
    """``out[i]``: how many of the first ``i`` characters of ``text`` are CJK ideographs
    (U+4E00..U+9FFF)."""
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    return [0, *np.cumsum((codes >= 0x4E00) & (codes <= 0x9FFF)).tolist()]


@dataclass(frozen=True, slots=True)
class _SpanSentence:
    """What :func:`span_features` needs of one candidate sentence, computed once for all
    of its spans: prefix counts of character classes, so a span's shares cost O(1), and
    the cohesion of the bigram at each offset."""

    text: str
    starts: list[int]
    ends: list[int]
    first_end_from: list[int]
    clauses: tuple[tuple[int, int], ...]
    clause_terms: tuple[tuple[tuple[str, float], ...], ...]
    slot: Slot
    words: SentenceWords
    expected_spans: tuple[tuple[int, int], ...]
    cjk: list[int]
    digits: list[int]
    commas: list[int]
    letters: list[int]
    asked: list[int]
    cohesion: list[float]


def _span_sentence(
    terms: QuestionTerms,
    sentence: PreparedSentence,
    marked: bytearray,
    cohesion: Mapping[str, float],
    question_chars: frozenset[str],
    expected: frozenset[str],
) -> _SpanSentence:
    text = sentence.folded.text
    occ: list[tuple[int, int]] = []
    for term in terms.bigrams:
        j = text.find(term)
        while j >= 0:
            occ.append((j, j + len(term)))
            j = text.find(term, j + 1)
    occ.sort()
    # first_end_from[k]: the earliest end of the occurrences from the k-th start on.
    first_end_from = [*accumulate((oe for _, oe in reversed(occ)), min), len(text) + 1]
    first_end_from[:-1] = first_end_from[-2::-1]
    clauses = tuple(clause_spans(text))
    bigram_weights = [(t, terms.weights[t]) for t in terms.bigrams]
    clause_terms = tuple(
        tuple((t, w) for t, w in bigram_weights if t in text[cs:ce]) for cs, ce in clauses
    )
    # Only the offsets some span reads have a cohesion; the others are never read.
    coh = [cohesion.get(text[j : j + 2], 1.0) if marked[j] else 1.0 for j in range(len(text) - 1)]
    return _SpanSentence(
        text,
        [os_ for os_, _ in occ],
        sorted(oe for _, oe in occ),
        first_end_from,
        clauses,
        clause_terms,
        slot_of(terms, text),
        sentence_words(text),
        tuple((t.start, t.end) for t in sentence.spans if t.kind in expected),
        _cjk_prefix_counts(text),
        _prefix_counts(text, str.isdigit),
        _prefix_counts(text, _COMMAS.__contains__),
        [i - p for i, p in enumerate(_prefix_counts(text, _PUNCT.__contains__))],
        _prefix_counts(text, question_chars.__contains__),
        coh,
    )


def _marked_offsets(
    candidates: Sequence[Candidate], spans: Sequence[SpanCandidate]
) -> dict[int, bytearray]:
    """For each sentence, the offsets whose bigram some span reads: the two at its edges
    (``text[s-1:s+1]``, ``text[e-1:e+1]``) and those inside it."""
    marked: dict[int, bytearray] = {}
    for span in spans:
        text = candidates[span.sentence].sentence.folded.text
        n = len(text)
        mark = marked.get(span.sentence)
        if mark is None:
            mark = marked[span.sentence] = bytearray(max(n - 1, 0))
        s, e = span.start, span.end
        if e - 1 > s:
            mark[s : e - 1] = b"\x01" * (e - 1 - s)
        for i in (s - 1, e - 1):
            if 0 <= i and i + 2 <= n:
                mark[i] = 1
    return marked


def _cohesion(
    stats: TermStatistics, candidates: Sequence[Candidate], marked: Mapping[int, bytearray]
) -> dict[str, float]:
    """IDF of every bigram at or inside a span's edges (``marked`` offsets), scaled to
    0..1 (0: the bigram is everywhere, so a span edge through it cuts a common word)."""
    wanted: set[str] = set()
    for idx, mark in marked.items():
        text = candidates[idx].sentence.folded.text
        wanted.update(text[j : j + 2] for j, m in enumerate(mark) if m)
    if not wanted:
        return {}
    grams = sorted(wanted)
    idf = stats.idf(grams)
    top = float(idf.max()) or 1.0
    return {g: float(v) / top for g, v in zip(grams, idf, strict=True)}


def span_features(
    terms: QuestionTerms,
    candidates: Sequence[Candidate],
    spans: Sequence[SpanCandidate],
    stats: TermStatistics,
    tables: CharTables | None = None,
) -> npt.NDArray[np.float32]:
    """One row of :data:`SPAN_FEATURES` per span candidate (the character scores are 0
    without ``tables``)."""
    a = terms.analysis
    tables = tables or CharTables()
    marked = _marked_offsets(candidates, spans)
    cohesion = _cohesion(stats, candidates, marked)
    out = np.zeros((len(spans), len(SPAN_FEATURES)), dtype=np.float32)
    expected = _compatible_kinds(a.answer_type)
    question_chars = frozenset(a.content) - _PUNCT - {" "}
    total_weight = sum(terms.weights[t] for t in terms.bigrams) or 1.0
    head = a.head
    left_q, right_q = a.left, a.right
    first_scores = tables.first.get(a.answer_type, {})
    last_scores = tables.last.get(a.answer_type, {})
    sentences: dict[int, _SpanSentence] = {}
    width = len(SPAN_FEATURES)
    c = _SPAN_COLUMNS
    type_col = c[f"type_{a.answer_type}"]
    for i, span in enumerate(spans):
        ctx = sentences.get(span.sentence)
        if ctx is None:
            ctx = sentences[span.sentence] = _span_sentence(
                terms,
                candidates[span.sentence].sentence,
                marked[span.sentence],
                cohesion,
                question_chars,
                expected,
            )
        text = ctx.text
        n = len(text)
        s, e = span.start, span.end
        piece = text[s:e]
        length = e - s
        clause_index = next((k for k, (cs, ce) in enumerate(ctx.clauses) if cs <= s < ce), -1)
        clause_len = (
            ctx.clauses[clause_index][1] - ctx.clauses[clause_index][0] if clause_index >= 0 else n
        )
        sources = span.sources
        row = [0.0] * width
        row[c["length"]] = length
        row[c["log_length"]] = math.log1p(length)
        row[c["clause_share"]] = length / max(1, clause_len)
        row[c["is_clause"]] = float("clause" in sources)
        row[c["is_sentence"]] = float("sentence" in sources)
        row[c["from_typed"]] = float("typed" in sources)
        row[c["from_chunk"]] = float("chunk" in sources)
        row[c["from_align"]] = float("align" in sources)
        row[c["from_strip"]] = float("strip" in sources)
        row[c[f"kind_{span.kind}"]] = 1.0
        row[c["holds_expected"]] = float(any(s <= ts and te <= e for ts, te in ctx.expected_spans))
        row[c["type_compatible"]] = float(span.kind in expected)
        row[c["org_suffix"]] = float(piece.endswith(_ORG_SUFFIX))
        row[c["place_suffix"]] = float(piece.endswith(_PLACE_SUFFIX))
        row[c["person_like"]] = float("·" in piece or "•" in piece)
        letters = ctx.letters[e] - ctx.letters[s]
        row[c["q_overlap"]] = (ctx.asked[e] - ctx.asked[s]) / letters if letters else 1.0
        # The question's terms around the span: occurrences ending by its start, starting
        # from its end, and whether one lies inside it.
        starts, ends = ctx.starts, ctx.ends
        left_end = bisect_right(ends, s)
        right_start = bisect_left(starts, e)
        row[c["q_bigram_inside"]] = float(ctx.first_end_from[bisect_left(starts, s)] <= e)
        row[c["left_adj"]] = _common_suffix(left_q, text[:s])
        row[c["right_adj"]] = _common_prefix(right_q, text[e:])
        row[c["dist_left"]] = min(s - ends[left_end - 1], 30) if left_end else 30
        row[c["dist_right"]] = min(starts[right_start] - e, 30) if right_start < len(starts) else 30
        if clause_index >= 0:
            # Question terms in the span's clause but outside the span.
            row[c["clause_cov"]] = (
                sum(w for t, w in ctx.clause_terms[clause_index] if t not in piece) / total_weight
            )
        row[c["starts_function"]] = float(piece[:1] in _FUNCTION_CHARS)
        row[c["ends_function"]] = float(piece[-1:] in _FUNCTION_CHARS)
        row[c["has_comma"]] = float(ctx.commas[e] > ctx.commas[s])
        row[c["has_digit"]] = float(ctx.digits[e] > ctx.digits[s])
        row[c["cjk_share"]] = (ctx.cjk[e] - ctx.cjk[s]) / max(1, length)
        row[c["head_after"]] = float(bool(head) and text[e : e + len(head)] == head)
        row[c["head_inside"]] = float(bool(head) and head in piece)
        row[c["rel_start"]] = s / max(1, n)
        coh = ctx.cohesion
        row[c["start_cohesion"]] = coh[s - 1] if s > 0 else 1.0
        row[c["end_cohesion"]] = coh[e - 1] if e < n else 1.0
        row[c["inner_cohesion"]] = min(coh[s : e - 1]) if e - 1 > s else 1.0
        row[c["surname_start"]] = float(
            2 <= length <= 4 and piece[0] in _SURNAMES and ctx.cjk[e] - ctx.cjk[s] == length
        )
        row[c["terms_before"]] = left_end - bisect_left(ends, s - 10)
        row[c["terms_after"]] = bisect_right(starts, e + 10) - right_start
        slot = ctx.slot
        row[c["from_slot"]] = float("slot" in sources)
        if slot.start >= 0 or slot.end >= 0:
            lo = slot.start if slot.start >= 0 else 0
            hi = slot.end if slot.end > lo else n
            overlap = max(0, min(e, hi) - max(s, lo))
            union = max(e, hi) - min(s, lo)
            row[c["slot_iou"]] = overlap / union if union else 0.0
            row[c["slot_start_gap"]] = min(abs(s - lo), 30) if slot.start >= 0 else 30
            row[c["slot_end_gap"]] = min(abs(e - hi), 30) if slot.end >= 0 else 30
            row[c["in_slot"]] = float(lo <= s and e <= hi)
        else:
            row[c["slot_start_gap"]] = row[c["slot_end_gap"]] = 30
        w = ctx.words
        row[c["start_boundary"]] = float(s in w.starts)
        row[c["end_boundary"]] = float(e in w.ends)
        if length and len(w.word_of) == n:
            first_word, last_word = w.word_of[s], w.word_of[e - 1]
            row[c["span_words"]] = min(last_word - first_word + 1, 10)
            row[c[f"first_tag_{w.tags[first_word]}"]] = 1.0
            row[c[f"last_tag_{w.tags[last_word]}"]] = 1.0
        row[c["first_char_score"]] = first_scores.get(piece[:1], 0.0)
        row[c["last_char_score"]] = last_scores.get(piece[-1:], 0.0)
        row[type_col] = 1.0
        out[i] = row
    return out


def confidence_features(
    sentence_x: npt.NDArray[np.float32],
    sentence_scores: npt.NDArray[np.float32],
    best_sentence: int,
    span_x: npt.NDArray[np.float32],
    span_scores: npt.NDArray[np.float32],
    best_span: int,
) -> npt.NDArray[np.float32]:
    """The row of :data:`CONFIDENCE_FEATURES` for one reading.

    Args:
        sentence_x: the sentence feature rows.
        sentence_scores: the sentence ranker's scores.
        best_sentence: the chosen sentence's row.
        span_x: the span feature rows of the chosen sentence(s).
        span_scores: the span ranker's scores.
        best_span: the chosen span's row.
    """
    out = np.zeros(len(CONFIDENCE_FEATURES), dtype=np.float32)
    col = {name: i for i, name in enumerate(CONFIDENCE_FEATURES)}
    sc = np.sort(sentence_scores)[::-1]
    out[col["sentence_score"]] = sc[0]
    out[col["sentence_margin"]] = sc[0] - sc[1] if len(sc) > 1 else 10.0
    exp = np.exp(sentence_scores - sc[0])
    out[col["sentence_share"]] = 1.0 / float(exp.sum())
    pc = np.sort(span_scores)[::-1]
    out[col["span_score"]] = pc[0]
    out[col["span_margin"]] = pc[0] - pc[1] if len(pc) > 1 else 10.0
    row = sentence_x[best_sentence]
    for name in (*_FROM_SENTENCE, "q_terms", *_TYPES):
        out[col[name]] = row[_SENTENCE_COLUMNS[name]]
    span = span_x[best_span]
    out[col["span_length"]] = span[_SPAN_COLUMNS["length"]]
    out[col["span_type_compatible"]] = span[_SPAN_COLUMNS["type_compatible"]]
    out[col["span_holds_expected"]] = span[_SPAN_COLUMNS["holds_expected"]]
    out[col["span_q_overlap"]] = span[_SPAN_COLUMNS["q_overlap"]]
    return out


_SPAN_COLUMNS = {name: i for i, name in enumerate(SPAN_FEATURES)}
