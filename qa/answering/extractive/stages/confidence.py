"""Stage 6, confidence: how sure a reading is.

One row of :data:`CONFIDENCE_FEATURES` per reading: the two rankers' scores and margins,
the chosen sentence's and span's own features, and whether the chosen sentence and its
document state the question's qualifiers or rivals of them (:func:`contrast_levels`,
over the contrast sets of :data:`qa.lexicon.CONTRAST_SETS`). The confidence model
(:meth:`~qa.answering.extractive.model.ReaderModel.confidence`, calibrated) reads it;
the checks (:mod:`qa.answering.checks`) judge the same reading beside it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from qa.answering.extractive.stages.question import TYPE_FEATURES
from qa.answering.extractive.stages.sentence_features import SENTENCE_COLUMNS
from qa.answering.extractive.stages.span_features import SPAN_COLUMNS
from qa.lexicon import CONTRAST_SETS

__all__ = [
    "CONFIDENCE_FEATURES",
    "CONTRAST_FEATURES",
    "FROM_SENTENCE",
    "confidence_features",
    "contrast_levels",
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


def confidence_features(
    sentence_x: npt.NDArray[np.float32],
    sentence_scores: npt.NDArray[np.float32],
    best_sentence: int,
    span_x: npt.NDArray[np.float32],
    span_scores: npt.NDArray[np.float32],
    best_span: int,
    contrast: tuple[float, float] = (NO_QUALIFIER, NO_QUALIFIER),
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
    return out
