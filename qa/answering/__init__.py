"""Answering: backends behind one :class:`Answerer` protocol, picked by a factory.

* :mod:`~qa.answering.base`: the :class:`Answerer` protocol (and the optional
  :class:`StreamingAnswerer`, :class:`FollowUpRewriter`);
* :mod:`~qa.answering.extractive`: the default backend (source sentences, trimmed);
* :mod:`~qa.answering.generative`: answers written by a language model
  (:mod:`~qa.answering.llm`), checked sentence by sentence;
* :mod:`~qa.answering.verify`: citation verification, with
  :mod:`~qa.answering.splitter` (sentences as text arrives), :mod:`~qa.answering.support`
  (whether sources state a claim) and :mod:`~qa.answering.claims` (facts, overlap);
* :mod:`~qa.answering.terms`: term statistics for matching, independent of the BM25
  tokenizer;
* :mod:`~qa.answering.factory`: :func:`make_answerer` picks the backend from the
  configuration.
"""

from __future__ import annotations

from qa.answering.base import Answerer, FollowUpRewriter, StreamingAnswerer
from qa.answering.extractive import ABSTAIN_TEXT, ExtractiveAnswerer, abstain_text
from qa.answering.factory import make_answerer
from qa.answering.generative import GenerativeAnswerer
from qa.answering.llm import Generator, make_generator
from qa.answering.support import (
    NOVEL_THRESHOLD,
    SUPPORT_THRESHOLD,
    support_score,
    supports,
)
from qa.answering.terms import TermStatistics
from qa.answering.verify import MAX_QUOTE_SENTENCES, CitationVerifier, verify_text

__all__ = [
    "ABSTAIN_TEXT",
    "MAX_QUOTE_SENTENCES",
    "NOVEL_THRESHOLD",
    "SUPPORT_THRESHOLD",
    "Answerer",
    "CitationVerifier",
    "ExtractiveAnswerer",
    "FollowUpRewriter",
    "GenerativeAnswerer",
    "Generator",
    "StreamingAnswerer",
    "TermStatistics",
    "abstain_text",
    "make_answerer",
    "make_generator",
    "support_score",
    "supports",
    "verify_text",
]
