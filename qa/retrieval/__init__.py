"""Retrieval: retrievers behind one protocol, fused, filtered, as passages.

* :mod:`~qa.retrieval.base`: the :class:`Retriever` protocol and the folded :class:`Query`;
* :mod:`~qa.retrieval.bm25`, :mod:`~qa.retrieval.dense`: the two implementations;
* :mod:`~qa.retrieval.fusion`: RRF or weighted fusion over any list of retrievers;
* :mod:`~qa.retrieval.filters`: metadata filters as row masks;
* :mod:`~qa.retrieval.search`: the :class:`Searcher` that runs them over one snapshot;
* :mod:`~qa.retrieval.factory`: which retrievers a snapshot gets.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corpus.lazy import lazy_exports

if TYPE_CHECKING:
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

# Each public name and where it lives, imported on first use (PEP 562): importing one
# module (``qa.retrieval.fusion`` for the configuration's FUSION_METHODS) does not
# import the others.
_EXPORTS: dict[str, tuple[str, str]] = {
    "Query": ("qa.retrieval.base", "Query"),
    "Retriever": ("qa.retrieval.base", "Retriever"),
    "RowMask": ("qa.retrieval.base", "RowMask"),
    "BM25Retriever": ("qa.retrieval.bm25", "BM25Retriever"),
    "DenseRetriever": ("qa.retrieval.dense", "DenseRetriever"),
    "make_retrievers": ("qa.retrieval.factory", "make_retrievers"),
    "RowFilter": ("qa.retrieval.filters", "RowFilter"),
    "FUSION_METHODS": ("qa.retrieval.fusion", "FUSION_METHODS"),
    "Fusion": ("qa.retrieval.fusion", "Fusion"),
    "fuse": ("qa.retrieval.fusion", "fuse"),
    "rrf_fuse": ("qa.retrieval.fusion", "rrf_fuse"),
    "weighted_fuse": ("qa.retrieval.fusion", "weighted_fuse"),
    "Searcher": ("qa.retrieval.search", "Searcher"),
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
