"""The extractive reader: the default answer backend, offline and CPU-only.

* :mod:`.sentences`: the candidate sentences of retrieved passages, prepared once;
* :mod:`.features`: features of sentences, spans and readings;
* :mod:`.reader`: the decision (best sentence, best span, confidence features);
* :mod:`.model`: the trained rankers, confidence model, calibration and threshold;
* :mod:`.answerer`: :class:`ExtractiveAnswerer`, the :class:`~qa.answering.Answerer`;
* :mod:`.training`: training rows from questions with known answers, and the fit.
"""

from __future__ import annotations

from qa.answering.extractive.answerer import (
    ABSTAIN_TEXT,
    RELATED_TEXT,
    SECOND_JOIN,
    ExtractiveAnswerer,
    abstain_text,
    clause_window,
)
from qa.answering.extractive.model import ReaderModel, default_model
from qa.answering.extractive.training import (
    ReaderData,
    TrainingQuestion,
    collect,
    fit,
)

__all__ = [
    "ABSTAIN_TEXT",
    "RELATED_TEXT",
    "SECOND_JOIN",
    "ExtractiveAnswerer",
    "ReaderData",
    "ReaderModel",
    "TrainingQuestion",
    "abstain_text",
    "clause_window",
    "collect",
    "default_model",
    "fit",
]
