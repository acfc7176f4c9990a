"""Answering: backends behind one :class:`Answerer` protocol, picked by a factory.

* :mod:`~qa.answering.base`: the :class:`Answerer` protocol;
* :mod:`~qa.answering.extractive`: the default backend (source sentences, trimmed);
* :mod:`~qa.answering.terms`: term statistics for matching, independent of the BM25
  tokenizer;
* :mod:`~qa.answering.factory`: :func:`make_answerer` picks the backend from the
  configuration.
"""

from __future__ import annotations

from qa.answering.base import Answerer
from qa.answering.extractive import ABSTAIN_TEXT, ExtractiveAnswerer, abstain_text
from qa.answering.factory import make_answerer
from qa.answering.terms import TermStatistics

__all__ = [
    "ABSTAIN_TEXT",
    "Answerer",
    "ExtractiveAnswerer",
    "TermStatistics",
    "abstain_text",
    "make_answerer",
]
