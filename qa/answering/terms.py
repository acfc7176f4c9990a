"""Term statistics for matching questions against sentences, whatever the BM25 tokenizer.

Answer scores are shares of the question's terms (IDF-weighted) found in a sentence.
Their scale must not change with the index's BM25 tokenizer (jieba's coarse words would
match more, character bigrams less), so answer matching always uses the same terms: CJK
character unigrams and bigrams, and other-script words whole (``char12``), with their
inverse document frequency over the index's chunks. For a ``char12`` index those are the
BM25 index's own statistics; for another tokenizer the index keeps them beside its
postings.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from embeddings.store import IndexSnapshot
from embeddings.tokenize import Char12Terms, Char12Tokenizer

__all__ = ["ANALYZER", "TermStatistics"]

ANALYZER = "char12"
"""The tokenization answer matching uses, whatever the index's BM25 tokenizer."""


IdfFunction = Callable[[Sequence[str]], npt.NDArray[np.float32]]


class TermStatistics:
    """Tokens and IDF for answer matching.

    Build with :meth:`for_snapshot`.

    Args:
        idf: Lucene's BM25 IDF of ``char12`` tokens over the corpus,
            ``ln(1 + (N - df + 0.5) / (df + 0.5))``.
        size: N, the number of chunks.
    """

    def __init__(self, idf: IdfFunction, size: int = 0) -> None:
        self._tokenizer = Char12Tokenizer()
        self.idf = idf
        self.size = size

    @classmethod
    def for_snapshot(cls, snapshot: IndexSnapshot) -> TermStatistics:
        """Statistics over the chunks of ``snapshot``.

        A ``char12`` index answers IDF queries itself; for any other tokenizer the index
        keeps the ``char12`` document frequencies of every segment beside its postings
        (:meth:`~embeddings.store.IndexSnapshot.analyzer_idf`), so nothing is counted here.
        """
        if snapshot.bm25.tokenizer_name == ANALYZER:
            return cls(snapshot.bm25.idf, snapshot.size)
        return cls(snapshot.analyzer_idf, snapshot.size)

    def tokens(self, normalized: str) -> list[str]:
        """The matching terms of a text already folded by ``normalize_for_matching``."""
        return self._tokenizer(normalized)

    def term_set(self, normalized: str) -> Char12Terms:
        """The matching terms of a folded text as a container: ``t in term_set(text)`` is
        ``t in set(tokens(text))``, answered by searching the text (for a long text asked
        about a few terms, much cheaper than listing its tokens)."""
        return Char12Terms(normalized)
