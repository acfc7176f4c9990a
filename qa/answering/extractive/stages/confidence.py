"""Stage 6, confidence: how sure a reading is.

One row of :data:`CONFIDENCE_FEATURES` per reading: the two rankers' scores and margins,
and the chosen sentence's and span's own features. The confidence model
(:meth:`~qa.answering.extractive.model.ReaderModel.confidence`, calibrated) reads it;
the checks (:mod:`qa.answering.checks`) judge the same reading beside it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from qa.answering.extractive.stages.question import TYPE_FEATURES
from qa.answering.extractive.stages.sentence_features import SENTENCE_COLUMNS
from qa.answering.extractive.stages.span_features import SPAN_COLUMNS

__all__ = ["CONFIDENCE_FEATURES", "FROM_SENTENCE", "confidence_features"]

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
)
"""Per question: how sure the reading is (scores and margins of the two rankers, and
the chosen sentence's and span's own features). Not the number of candidate sentences:
it measures the corpus, not the reading (a small corpus has fewer), and a model that
learned it on the benchmark's pooled corpus turned answers away on small ones."""

_CONFIDENCE_COLUMNS = {name: i for i, name in enumerate(CONFIDENCE_FEATURES)}


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
    return out
