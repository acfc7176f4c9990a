"""Term statistics for matching questions against sentences, whatever the BM25 tokenizer.

Answer scores are shares of the question's terms (IDF-weighted) found in a sentence.
Their scale must not change with the index's BM25 tokenizer (jieba's coarse words would
match more, character bigrams less), so answer matching always uses the same terms: CJK
character unigrams and bigrams, and other-script words whole (``char12``), with their
inverse document frequency over the index's chunks. For a ``char12`` index those are the
BM25 index's own statistics; for another tokenizer they are counted once from the chunk
texts when the statistics are built.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
import numpy.typing as npt

from corpus.normalize import normalize_for_matching
from embeddings.store import IndexSnapshot
from embeddings.tokenize import Char12Tokenizer

__all__ = ["ANALYZER", "TermStatistics"]

ANALYZER = "char12"
"""The tokenization answer matching uses, whatever the index's BM25 tokenizer."""


IdfFunction = Callable[[Sequence[str]], npt.NDArray[np.float32]]


def _idf_from_counts(df: dict[str, int], size: int) -> IdfFunction:
    n = float(size)

    def idf(tokens: Sequence[str]) -> npt.NDArray[np.float32]:
        counts = np.array([df.get(t, 0) for t in tokens], dtype=np.float64)
        return np.log1p((n - counts + 0.5) / (counts + 0.5)).astype(np.float32)

    return idf


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

        A ``char12`` index answers IDF queries itself; for any other tokenizer the
        ``char12`` document frequencies are counted once here, over all chunk texts.
        """
        if snapshot.bm25.tokenizer_name == ANALYZER:
            return cls(snapshot.bm25.idf, snapshot.size)
        tokenizer = Char12Tokenizer()
        df: Counter[str] = Counter()
        for chunk in snapshot.chunks:
            df.update(set(tokenizer(normalize_for_matching(chunk.text))))
        return cls(_idf_from_counts(dict(df), snapshot.size), snapshot.size)

    def tokens(self, normalized: str) -> list[str]:
        """The matching terms of a text already folded by ``normalize_for_matching``."""
        return self._tokenizer(normalized)
