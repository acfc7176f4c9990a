"""Stage 6, confidence: how sure a reading is.

One row of :data:`CONFIDENCE_FEATURES` per reading: the two rankers' scores and margins,
the chosen sentence's and span's own features, and whether the chosen sentence and its
document state the question's qualifiers or rivals of them (:func:`contrast_levels`,
over the contrast sets of :data:`qa.lexicon.CONTRAST_SETS`). The confidence model
(:meth:`~qa.answering.extractive.model.ReaderModel.confidence`, calibrated) reads it;
the checks (:mod:`qa.answering.checks`) judge the same reading beside it. Two more
levels say whether the chosen sentence and its document state a value of the measure
the question asks (:func:`measure_level`, over :data:`qa.lexicon.MEASURES`) and the
model numbers it names (:func:`variant_level`: ``E24P`` asked, ``E23P`` stated).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

from corpus.normalize import normalize_for_matching
from qa.analysis.question import QuestionAnalysis
from qa.answering.extractive.stages.question import TYPE_FEATURES
from qa.answering.extractive.stages.sentence_features import SENTENCE_COLUMNS
from qa.answering.extractive.stages.span_features import SPAN_COLUMNS
from qa.lexicon import CHINESE_NUMERALS, CONTRAST_SETS, MEASURES, UNITS

__all__ = [
    "CONFIDENCE_FEATURES",
    "CONTRAST_FEATURES",
    "FROM_SENTENCE",
    "STATED_FEATURES",
    "confidence_features",
    "contrast_levels",
    "measure_level",
    "variant_level",
]

FROM_SENTENCE: tuple[str, ...] = (
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
    "doc_missing_share",
    "attr_in_doc",
    "doc_missing_names",
    "doc_missing_name_share",
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
    *FROM_SENTENCE,
    "span_length",
    "span_type_compatible",
    "span_holds_expected",
    "span_q_overlap",
    "q_terms",
    *TYPE_FEATURES,
    "contrast_sentence",
    "contrast_document",
    "measure_stated",
    "variant_stated",
)
"""Per question: how sure the reading is (scores and margins of the two rankers, the
chosen sentence's and span's own features, the contrast levels of
:func:`contrast_levels`). Not the number of candidate sentences:
it measures the corpus, not the reading (a small corpus has fewer), and a model that
learned it on the benchmark's pooled corpus turned answers away on small ones."""

_CONFIDENCE_COLUMNS = {name: i for i, name in enumerate(CONFIDENCE_FEATURES)}

CONTRAST_FEATURES: tuple[str, ...] = ("contrast_sentence", "contrast_document")
"""The contrast levels (:func:`contrast_levels`) of the chosen sentence (with the one
before it) and of its whole document."""

STATED_FEATURES: tuple[str, ...] = ("measure_stated", "variant_stated")
"""Whether the chosen sentence and its document state a value of the measure asked
(:func:`measure_level`) and the model numbers named (:func:`variant_level`)."""

NO_QUALIFIER, STATED, UNSTATED, REPLACED = 0.0, 1.0, 2.0, 3.0
"""Contrast levels: the question states no qualifier of a contrast set; the text states
the question's; it states none of its dimension; it states another of the dimension
instead (a near miss: ``全年`` asked, ``前三季度`` stated)."""


@dataclass(frozen=True, slots=True)
class _Dimension:
    """One contrast set, compiled: its spellings longest first, each spelling's class,
    and the character bigrams of each spelling (for documents known by their terms)."""

    pattern: re.Pattern[str]
    class_of: dict[str, int]
    bigrams: tuple[tuple[int, tuple[str, ...]], ...]


def _bigrams(word: str) -> tuple[str, ...]:
    return tuple(word[i : i + 2] for i in range(len(word) - 1))


def _is_cjk(word: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in word)


_DIMENSIONS: tuple[_Dimension, ...] = tuple(
    _Dimension(
        re.compile(
            "|".join(
                re.escape(w)
                for w in sorted((w for cls in classes for w in cls), key=len, reverse=True)
            )
        ),
        {w: i for i, cls in enumerate(classes) for w in cls},
        tuple((i, _bigrams(w)) for i, cls in enumerate(classes) for w in cls if _is_cjk(w)),
    )
    for _name, classes in CONTRAST_SETS
)
_DIMENSION_OF: dict[str, int] = {
    w: d for d, (_name, classes) in enumerate(CONTRAST_SETS) for cls in classes for w in cls
}
# Any spelling, at any position (a lookahead, so that overlapping spellings of two
# sets, 世界最 and 最大, are both found).
_ANY_QUALIFIER = re.compile(
    "(?=(" + "|".join(re.escape(w) for w in sorted(_DIMENSION_OF, key=len, reverse=True)) + "))"
)


def _classes_in(text: str, dimension: _Dimension) -> frozenset[int]:
    """The classes of ``dimension`` that folded ``text`` states."""
    return frozenset(dimension.class_of[m.group()] for m in dimension.pattern.finditer(text))


def _classes_in_terms(terms: Container[str], dimension: _Dimension) -> frozenset[int]:
    """The classes of ``dimension`` a document states, known by its matching terms (its
    characters and character bigrams): a spelling counts where all its bigrams do."""
    return frozenset(i for i, grams in dimension.bigrams if all(g in terms for g in grams))


def _level(question: dict[int, frozenset[int]], stated: Callable[[int], frozenset[int]]) -> float:
    """The highest contrast level over the dimensions the question names (dimension ->
    the classes it names)."""
    level = NO_QUALIFIER
    for d, asked in question.items():
        here = stated(d)
        if asked & here:
            level = max(level, STATED)
        elif here - asked:
            return REPLACED
        else:
            level = max(level, UNSTATED)
    return level


def contrast_levels(
    question: str, text: str, document: Container[str] | None = None
) -> tuple[float, float]:
    """How the text an answer comes from treats the question's qualifiers.

    For every contrast set (:data:`qa.lexicon.CONTRAST_SETS`) of which the question
    names a value: :data:`STATED` where the text names it too, :data:`REPLACED` where
    the text names none of the question's values of that set but another one
    (``全国`` asked, ``全球`` stated), :data:`UNSTATED` where it names none; the highest
    over the sets, :data:`NO_QUALIFIER` when the question names none. Set lookups on
    text already folded: one regular expression over the question, then one per named
    set over the text, bigram lookups in the document's terms.

    Args:
        question: the folded question.
        text: the folded text of the chosen sentence (and the one before it).
        document: the matching terms of the sentence's document (characters and
            bigrams); None: the document level is the sentence's.

    Returns:
        ``(sentence level, document level)``.
    """
    named = {_DIMENSION_OF[m.group(1)] for m in _ANY_QUALIFIER.finditer(question)}
    if not named:
        return NO_QUALIFIER, NO_QUALIFIER
    # Each set named (a spelling of one set may hide one of another: 世界最大), in full.
    asked = {d: found for d in sorted(named) if (found := _classes_in(question, _DIMENSIONS[d]))}
    sentence = _level(asked, lambda d: _classes_in(text, _DIMENSIONS[d]))
    if document is None:
        return sentence, sentence
    # The sentence is a part of its document: what it states, the document states.
    whole = _level(
        asked,
        lambda d: _classes_in_terms(document, _DIMENSIONS[d]) | _classes_in(text, _DIMENSIONS[d]),
    )
    return sentence, whole


# -- measures and model numbers -----------------------------------------------------------

NOT_ASKED, IN_SENTENCE, IN_DOCUMENT, NOWHERE, SIBLING = 0.0, 1.0, 2.0, 3.0, 4.0
"""Levels of :func:`measure_level` and :func:`variant_level`: the question asks no
measure (names no model number); the chosen sentence (with the one before it) states
it; only elsewhere in its document; nowhere in the document; (model numbers) nowhere,
but the document states one of the same shape with other digits (``E23P`` for
``E24P``: a near miss)."""

_NUMBER = rf"(?:\d+(?:[.,]\d+)*|[{CHINESE_NUMERALS}]+)"
_LARGE = r"(?:多|余|几)?(?:千万|百万|万|亿|千|百)?"
_COUNTABLE = frozenset({"money", "people", "copies"})


def _unit(unit: str) -> str:
    # A unit of letters ends where the letters do (``m`` is not the start of ``mm``).
    return re.escape(unit) + ("(?![a-z])" if unit[-1].isascii() and unit[-1].isalpha() else "")


def _value_pattern(measure: str, units: tuple[str, ...]) -> re.Pattern[str]:
    """A number in one of ``units`` (longest first); a bare large number (``30万``) for
    counts and money, an amount after a currency sign for money."""
    alternatives = [
        rf"{_NUMBER}{_LARGE}\s?(?:"
        + "|".join(_unit(u) for u in sorted(units, key=len, reverse=True))
        + ")"
    ]
    if measure in _COUNTABLE:
        alternatives.append(r"\d+(?:\.\d+)?(?:万|亿)")
    if measure == "money":
        alternatives.append(r"[$¥€£]\s?\d")
    return re.compile("|".join(alternatives))


_MEASURE_VALUES: dict[str, re.Pattern[str]] = {
    name: _value_pattern(name, units) for name, _asks, units in MEASURES
}
_MEASURE_NEEDLES: dict[str, tuple[str, ...]] = {
    name: (
        *units,
        *(("万", "亿") if name in _COUNTABLE else ()),
        *(("$", "¥", "€", "£") if name == "money" else ()),
    )
    for name, _asks, units in MEASURES
}
"""The strings every value of a measure holds."""
_MEASURE_FIRST: dict[str, frozenset[str]] = {
    name: frozenset(n[0] for n in needles) for name, needles in _MEASURE_NEEDLES.items()
}


@lru_cache(maxsize=512)
def _characters(text: str) -> frozenset[str]:
    return frozenset(text)


def _states(measure: str, text: str) -> bool:
    """Whether folded ``text`` states a value of ``measure``; a text that holds none of
    the first characters of its units is not searched (a document's characters are
    remembered: it is read again for every question about it)."""
    chars = _characters(text) if len(text) > 200 else frozenset(text)
    if chars.isdisjoint(_MEASURE_FIRST[measure]):
        return False
    return bool(_MEASURE_VALUES[measure].search(text))


_ASKED_MEASURE = re.compile(
    "|".join(
        re.escape(w)
        for w in sorted({w for _, asks, _ in MEASURES for w in asks}, key=len, reverse=True)
    )
)
_MEASURE_OF_WORD: dict[str, tuple[str, ...]] = {}
for _name, _asks, _units in MEASURES:
    for _word in _asks:
        _MEASURE_OF_WORD[_word] = (*_MEASURE_OF_WORD.get(_word, ()), _name)
_UNIT_AFTER = re.compile(
    "|".join(
        _unit(u)
        for u in sorted({u for _, _, units in MEASURES for u in units}, key=len, reverse=True)
    )
)
_SHARE_WORDS = ("百分", "比例", "比率", "比重")
_ANY_UNIT = re.compile(
    "|".join(re.escape(u) for u in sorted({*UNITS, "倍", "百分"}, key=len, reverse=True))
)
_MEASURES_OF_UNIT: dict[str, tuple[str, ...]] = {}
for _name, _asks, _units in MEASURES:
    for _u in _units:
        _MEASURES_OF_UNIT[_u] = (*_MEASURES_OF_UNIT.get(_u, ()), _name)


def asked_measures(analysis: QuestionAnalysis) -> tuple[str, ...]:
    """The measures (:data:`qa.lexicon.MEASURES`) a question for a number asks a value
    of: those of a unit right after the interrogative (``多少公里``, ``几名``); where the
    interrogative has a unit of another kind (``多少倍``, ``几个``), none; else those of
    the words before it that ask one (``…的造价是多少``). ``多久`` asks a time, ``第几`` a
    rank, ``百分之多少`` a share: none."""
    if analysis.answer_type != "number" or analysis.wh_start < 0 or analysis.wh == "多久":
        return ()
    if analysis.folded[analysis.wh_start - 1 : analysis.wh_start] in ("第", "前") or any(
        w in analysis.folded for w in _SHARE_WORDS
    ):
        return ()
    start = analysis.wh_start + len(analysis.wh)
    after = analysis.folded[start:]
    if unit := _UNIT_AFTER.match(after):
        return _MEASURES_OF_UNIT[unit.group()]
    if _ANY_UNIT.match(after):
        return ()
    found: dict[str, None] = {}
    for m in _ASKED_MEASURE.finditer(analysis.folded[: analysis.wh_start]):
        found.update(dict.fromkeys(_MEASURE_OF_WORD[m.group()]))
    return tuple(found)


@lru_cache(maxsize=512)
def _folded_document(text: str, title: str) -> str:
    """A document's title and text, folded (once per document while it is read often)."""
    return normalize_for_matching(title + "\n" + text)


def folded_document(text: str, title: str = "") -> str:
    """The folded title and text of a document (remembered for the last 512)."""
    return _folded_document(text, title)


def measure_level(analysis: QuestionAnalysis, text: str, document: Callable[[], str]) -> float:
    """Whether the text an answer comes from states a value of the measure asked.

    Args:
        analysis: the question's analysis.
        text: the folded chosen sentence (with the one before it).
        document: gives the folded text (and title) of its document, when needed.

    Returns:
        :data:`NOT_ASKED` when the question asks no measure of
        :data:`qa.lexicon.MEASURES`, else :data:`IN_SENTENCE`, :data:`IN_DOCUMENT` or
        :data:`NOWHERE`: where the first value of the measure (any of them, where the
        question's words ask several) is stated.
    """
    measures = asked_measures(analysis)
    if not measures:
        return NOT_ASKED
    if any(_states(m, text) for m in measures):
        return IN_SENTENCE
    whole = document()
    if any(_states(m, whole) for m in measures):
        return IN_DOCUMENT
    return NOWHERE


_RUN = re.compile(r"(?<![a-z0-9])[a-z0-9][a-z0-9.\-]*[a-z0-9]")
_TITLE = re.compile(r"《([^《》]{1,40})》")
_DIGITS = re.compile(r"\d+")


def _model_numbers(folded: str) -> list[str]:
    """The model numbers a question names: runs of letters and digits that hold both
    (``e24p``, ``hat-p-3b``, ``mp5``), and book titles that hold a digit."""
    runs = [
        m.group()
        for m in _RUN.finditer(folded)
        if any(c.isdigit() for c in m.group()) and any(c.isalpha() for c in m.group())
    ]
    runs += [m.group(1) for m in _TITLE.finditer(folded) if any(c.isdigit() for c in m.group(1))]
    return list(dict.fromkeys(runs))


@dataclass(frozen=True, slots=True)
class _Run:
    """A model number's patterns: the run itself and any run of its shape (its digits any
    digits), each bounded, with the longest part of the shape that is not digits (a text
    without it is not searched)."""

    run: str
    exact: re.Pattern[str]
    shape: re.Pattern[str]
    literal: str

    def stated(self, text: str) -> bool:
        return self.run in text and bool(self.exact.search(text))

    def sibling(self, text: str) -> bool:
        return self.literal in text and bool(self.shape.search(text))


@lru_cache(maxsize=1024)
def _run_patterns(run: str) -> _Run:
    left = r"(?<![a-z0-9])" if run[0].isascii() and run[0].isalnum() else ""
    right = r"(?![a-z0-9])" if run[-1].isascii() and run[-1].isalnum() else ""
    parts = _DIGITS.split(run)
    shape = r"\d+".join(re.escape(p) for p in parts)
    return _Run(
        run,
        re.compile(left + re.escape(run) + right),
        re.compile(left + shape + right),
        max(parts, key=len),
    )


def variant_level(question: str, text: str, document: Callable[[], str]) -> float:
    """Whether the text an answer comes from states the model numbers the question names.

    Args:
        question: the folded question.
        text: the folded chosen sentence (with the one before it).
        document: gives the folded text (and title) of its document, when needed.

    Returns:
        :data:`NOT_ASKED` when the question names no model number, else the worst over
        them: :data:`IN_SENTENCE`, :data:`IN_DOCUMENT`, :data:`NOWHERE`, or
        :data:`SIBLING` where the document states none of them as named but one of the
        same shape with other digits (``hat-p-2b`` for ``hat-p-3b``).
    """
    level = NOT_ASKED
    for run in _model_numbers(question):
        pattern = _run_patterns(run)
        if pattern.stated(text):
            here = IN_SENTENCE
        elif pattern.stated(whole := document()):
            here = IN_DOCUMENT
        elif pattern.sibling(whole) or pattern.sibling(text):
            here = SIBLING
        else:
            here = NOWHERE
        level = max(level, here)
    return level


def confidence_features(
    sentence_x: npt.NDArray[np.float32],
    sentence_scores: npt.NDArray[np.float32],
    best_sentence: int,
    span_x: npt.NDArray[np.float32],
    span_scores: npt.NDArray[np.float32],
    best_span: int,
    contrast: tuple[float, float] = (NO_QUALIFIER, NO_QUALIFIER),
    stated: tuple[float, float] = (NOT_ASKED, NOT_ASKED),
) -> npt.NDArray[np.float32]:
    """The row of :data:`CONFIDENCE_FEATURES` for one reading.

    Args:
        sentence_x: the sentence feature rows.
        sentence_scores: the sentence ranker's scores.
        best_sentence: the chosen sentence's row.
        span_x: the span feature rows of the chosen sentence(s).
        span_scores: the span ranker's scores.
        best_span: the chosen span's row.
        contrast: the chosen sentence's and its document's :func:`contrast_levels`.
        stated: the chosen sentence's :func:`measure_level` and :func:`variant_level`.
    """
    out = np.zeros(len(CONFIDENCE_FEATURES), dtype=np.float32)
    col = _CONFIDENCE_COLUMNS
    sc = np.sort(sentence_scores)[::-1]
    out[col["sentence_score"]] = sc[0]
    out[col["sentence_margin"]] = sc[0] - sc[1] if len(sc) > 1 else 10.0
    exp = np.exp(sentence_scores - sc[0])
    out[col["sentence_share"]] = 1.0 / float(exp.sum())
    pc = np.sort(span_scores)[::-1]
    out[col["span_score"]] = pc[0]
    out[col["span_margin"]] = pc[0] - pc[1] if len(pc) > 1 else 10.0
    row = sentence_x[best_sentence]
    for name in (*FROM_SENTENCE, "q_terms", *TYPE_FEATURES):
        out[col[name]] = row[SENTENCE_COLUMNS[name]]
    span = span_x[best_span]
    out[col["span_length"]] = span[SPAN_COLUMNS["length"]]
    out[col["span_type_compatible"]] = span[SPAN_COLUMNS["type_compatible"]]
    out[col["span_holds_expected"]] = span[SPAN_COLUMNS["holds_expected"]]
    out[col["span_q_overlap"]] = span[SPAN_COLUMNS["q_overlap"]]
    out[col["contrast_sentence"]], out[col["contrast_document"]] = contrast
    out[col["measure_stated"]], out[col["variant_stated"]] = stated
    return out
