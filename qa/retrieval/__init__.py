"""Retrieval: retrievers behind one protocol, fused, filtered, as passages.

* :mod:`~qa.retrieval.base`: the :class:`Retriever` protocol and the folded :class:`Query`;
* :mod:`~qa.retrieval.bm25`, :mod:`~qa.retrieval.dense`: the two implementations;
* :mod:`~qa.retrieval.fusion`: RRF or weighted fusion over any list of retrievers;
* :mod:`~qa.retrieval.filters`: metadata filters as row masks;
* :mod:`~qa.retrieval.search`: the :class:`Searcher` that runs them over one snapshot;
* :mod:`~qa.retrieval.factory`: which retrievers a snapshot gets.
"""

from __future__ import annotations

from qa.retrieval.base import Query, Retriever, RowMask
from qa.retrieval.bm25 import BM25Retriever
from qa.retrieval.dense import DenseRetriever
from qa.retrieval.factory import make_retrievers
from qa.retrieval.filters import RowFilter
from qa.retrieval.fusion import FUSION_METHODS, Fusion, fuse, rrf_fuse, weighted_fuse
from qa.retrieval.search import Searcher

__all__ = [
    "BM25Retriever",
    "DenseRetriever",
    "FUSION_METHODS",
    "Fusion",
    "Query",
    "Retriever",
    "RowFilter",
    "RowMask",
    "Searcher",
    "fuse",
    "make_retrievers",
    "rrf_fuse",
    "weighted_fuse",
]
