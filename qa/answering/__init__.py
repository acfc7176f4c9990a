"""Answering: backends behind one :class:`Answerer` protocol, picked by a factory.

* :mod:`~qa.answering.base`: the :class:`Answerer` protocol (and the optional
  :class:`StreamingAnswerer`, :class:`FollowUpRewriter`);
* :mod:`~qa.answering.extractive`: the default backend (source sentences, trimmed);
* :mod:`~qa.answering.generative`: answers written by a language model
  (:mod:`~qa.answering.llm`), checked sentence by sentence;
* :mod:`~qa.answering.verify`: citation verification, with
  :mod:`~qa.answering.splitter` (sentences as text arrives),
  :mod:`~qa.answering.claim_support` (whether sources state a claim) and
  :mod:`~qa.answering.claims` (facts, overlap);
* :mod:`~qa.answering.checks`: rules on what the question states that an answer's
  evidence does not support; both backends' drafts pass through them;
* :mod:`~qa.answering.segmentation`: jieba's words and tags, from a cache that opens in
  milliseconds;
* :mod:`~qa.answering.terms`: term statistics for matching, independent of the BM25
  tokenizer;
* :mod:`~qa.answering.factory`: :func:`make_answerer` picks the backend from the
  configuration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corpus.lazy import lazy_exports

if TYPE_CHECKING:
    from qa.answering.base import Answerer, FollowUpRewriter, StreamingAnswerer
    from qa.answering.claim_support import (
        NOVEL_THRESHOLD,
        SUPPORT_THRESHOLD,
        support_score,
        supports,
    )
    from qa.answering.extractive import ABSTAIN_TEXT, ExtractiveAnswerer, abstain_text
    from qa.answering.factory import make_answerer
    from qa.answering.generative import GenerativeAnswerer
    from qa.answering.llm import Generator, make_generator
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

# Each public name and where it lives, imported on first use (PEP 562): a caller of one
# backend (the extractive reader) does not import the others (the language models').
_EXPORTS: dict[str, tuple[str, str]] = {
    "Answerer": ("qa.answering.base", "Answerer"),
    "FollowUpRewriter": ("qa.answering.base", "FollowUpRewriter"),
    "StreamingAnswerer": ("qa.answering.base", "StreamingAnswerer"),
    "ABSTAIN_TEXT": ("qa.answering.extractive", "ABSTAIN_TEXT"),
    "ExtractiveAnswerer": ("qa.answering.extractive", "ExtractiveAnswerer"),
    "abstain_text": ("qa.answering.extractive", "abstain_text"),
    "make_answerer": ("qa.answering.factory", "make_answerer"),
    "GenerativeAnswerer": ("qa.answering.generative", "GenerativeAnswerer"),
    "Generator": ("qa.answering.llm", "Generator"),
    "make_generator": ("qa.answering.llm", "make_generator"),
    "NOVEL_THRESHOLD": ("qa.answering.claim_support", "NOVEL_THRESHOLD"),
    "SUPPORT_THRESHOLD": ("qa.answering.claim_support", "SUPPORT_THRESHOLD"),
    "support_score": ("qa.answering.claim_support", "support_score"),
    "supports": ("qa.answering.claim_support", "supports"),
    "TermStatistics": ("qa.answering.terms", "TermStatistics"),
    "MAX_QUOTE_SENTENCES": ("qa.answering.verify", "MAX_QUOTE_SENTENCES"),
    "CitationVerifier": ("qa.answering.verify", "CitationVerifier"),
    "verify_text": ("qa.answering.verify", "verify_text"),
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
