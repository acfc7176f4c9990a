"""The extractive reader: the default answer backend, offline and CPU-only.

* :mod:`.sentences`: the candidate sentences of retrieved passages, prepared once;
* :mod:`.stages`: the reader's stages, each with its features (question terms,
  shortlist, sentence features, span candidates, span features, confidence features);
* :mod:`.alignment`: the question aligned to a sentence (the answer slot), which the
  sentence and span stages read;
* :mod:`.reader`: the decision (:func:`~.reader.read` runs the stages, then the checks
  of :mod:`qa.answering.checks`);
* :mod:`.model`: the trained rankers, confidence model, calibration and threshold;
* :mod:`.trees`: the models' trees evaluated with numpy (LightGBM's predictions);
* :mod:`.answerer`: :class:`ExtractiveAnswerer`, the :class:`~qa.answering.Answerer`;
* :mod:`.training`: training rows from questions with known answers, and the fit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corpus.lazy import lazy_exports

if TYPE_CHECKING:
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

# Each public name and where it lives, imported on first use (PEP 562): answering does not
# import the training code.
_EXPORTS: dict[str, tuple[str, str]] = {
    "ABSTAIN_TEXT": ("qa.answering.extractive.answerer", "ABSTAIN_TEXT"),
    "RELATED_TEXT": ("qa.answering.extractive.answerer", "RELATED_TEXT"),
    "SECOND_JOIN": ("qa.answering.extractive.answerer", "SECOND_JOIN"),
    "ExtractiveAnswerer": ("qa.answering.extractive.answerer", "ExtractiveAnswerer"),
    "abstain_text": ("qa.answering.extractive.answerer", "abstain_text"),
    "clause_window": ("qa.answering.extractive.answerer", "clause_window"),
    "ReaderModel": ("qa.answering.extractive.model", "ReaderModel"),
    "default_model": ("qa.answering.extractive.model", "default_model"),
    "ReaderData": ("qa.answering.extractive.training", "ReaderData"),
    "TrainingQuestion": ("qa.answering.extractive.training", "TrainingQuestion"),
    "collect": ("qa.answering.extractive.training", "collect"),
    "fit": ("qa.answering.extractive.training", "fit"),
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
