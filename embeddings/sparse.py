"""The sparse index: BM25 over the postings of one or more segments.

Texts are folded with :func:`corpus.normalize.normalize_for_matching` and cut by one of
our named tokenizers (:mod:`embeddings.tokenize`); terms are 64-bit keys
(:mod:`embeddings.terms`) and each segment's postings are flat arrays
(:mod:`embeddings.postings`), memory-mapped from disk.

**Statistics are combined at query time**, as Lucene does: the number of rows ``N``,
the average row length and each query term's document frequency are sums over the
segments' live rows (rows deleted since a segment was written are subtracted through its
:class:`Deletions`), so an index of several segments scores every row exactly as one
index built over the same live rows would. The scoring is BM25 in its Lucene variant as
bm25s computes it (``idf = ln(1 + (N - df + 0.5) / (df + 0.5))`` in float32;
``tf / (tf + k1 (1 - b + b dl / avgdl))`` in float64; their product rounded to float32
and summed in float32 in the order of the query's tokens, a repeated token counting
each time), so scores are bit for bit those of ``bm25s.BM25(method="lucene")`` over the
same tokens (a test checks this).

**Pruning** (opt-in: ``search_tokens(..., prune=True)``). Over a large segment, most of
a question's postings belong to common characters whose idf is small. A query first
scores the rows of its rarest terms (the highest bound ``idf x max tf part``), takes the
``k``-th best of those partial scores as a threshold, and stops adding terms when the
bounds of all remaining terms together cannot lift a row that holds none of the rare
terms to that threshold (MaxScore, Turtle and Flood 1995). The few rows left are then
scored exactly, term by term in query order, by binary search in each term's postings.
The result is the same as scoring every row (a test compares both paths). It is off by
default: on the 1M-chunk benchmark (one segment, the 500 questions of ``bench/``) it
took 29 ms p50 against 16 ms for scoring every row, as the exact scoring of the rows
left and the dense accumulations cost more than the postings it skips
(docs/performance.md); below 300,000 rows it never runs.
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from corpus.normalize import normalize_for_matching
from corpus.progress import Progress
from embeddings.errors import IndexCorruptError, IndexNotFoundError
from embeddings.postings import Postings, PostingsBuilder
from embeddings.terms import analyze, count_terms, term_keys
from embeddings.tokenize import DEFAULT_TOKENIZER, TOKENIZER_NAMES, Tokenizer, get_tokenizer
from embeddings.types import Hits

__all__ = ["BM25Index", "BM25Part", "BM25_METHODS", "DEFAULT_CACHE_BYTES", "Deletions", "bm25_tfc"]

logger = logging.getLogger(__name__)

BM25_METHODS: tuple[str, ...] = ("lucene",)
_PARAMS_FILE = "embeddings_bm25.json"
_FORMAT = 3
_PROGRESS_EVERY = 1000
_PRUNE_MIN_ROWS = 300_000
"""Segments with fewer rows are always scored in full, even with ``prune=True``."""
_PRUNE_BUDGET = 0.3
"""Pruning gives up (scores every row) when the essential terms hold more than this
share of the query's postings."""
_NON_ESSENTIAL = 0.5
"""Share of the threshold the non-essential terms' bounds may add up to (measured on
the 100k benchmark: 0.5 scores about 20% of a query's postings and 500 rows exactly;
1.0 scores 9% of the postings but 18,000 rows)."""
_SLACK = 1e-4
"""Relative margin on pruning bounds, so float rounding can never prune a winner."""
_ONE_CALL = 65536
"""Up to this many postings a query's terms are summed in one call."""
_SAMPLE_STEP = 8
"""One row in this many is sampled for :func:`_top_dense`'s bound."""
_CACHE_MIN_POSTINGS = 256
"""Terms with fewer postings are not cached (cheap to compute, many of them)."""
DEFAULT_CACHE_BYTES = 128 << 20
"""Memory for cached per-posting scores of frequent terms, per index generation (an
assistant sets its own: ``AssistantConfig.score_cache_mb``)."""


def bm25_tfc(
    tf: npt.NDArray[Any], length: npt.NDArray[Any], avgdl: float, k1: float, b: float
) -> npt.NDArray[np.float64]:
    """BM25's term-frequency part, ``tf / (k1 ((1 - b) + b dl / avgdl) + tf)``, in float64
    with bm25s's order of operations."""
    tf64 = np.asarray(tf, dtype=np.float64)
    dl = np.asarray(length, dtype=np.float64)
    result: npt.NDArray[np.float64] = tf64 / (k1 * ((1 - b) + b * dl / avgdl) + tf64)
    return result


def _check_mask(mask: npt.NDArray[Any] | None, size: int) -> npt.NDArray[np.bool_] | None:
    """Validate a row mask; ``None`` stays ``None``."""
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise ValueError(f"mask must be a boolean array, got dtype {mask.dtype}")
    if mask.shape != (size,):
        raise ValueError(f"mask must have shape ({size},) (one entry per row), got {mask.shape}")
    return mask


def _top(rows: npt.NDArray[np.int64], scores: npt.NDArray[np.float32], k: int) -> Hits:
    """The ``k`` best positive scores, best first, ties by row."""
    keep = scores > 0
    rows, scores = rows[keep], scores[keep]
    if rows.size > k:
        kth = np.partition(scores, rows.size - k)[rows.size - k]
        keep = scores >= kth
        rows, scores = rows[keep], scores[keep]
    order = np.lexsort((rows, -scores))[:k]
    return Hits(rows[order].astype(np.int64), scores[order].astype(np.float32))


def _top_dense(scores: npt.NDArray[np.float32], k: int) -> Hits:
    """:func:`_top` over a score for every row (row = position).

    Over many rows the candidates are first narrowed by a bound read from a sample (every
    :data:`_SAMPLE_STEP`-th row): its ``k``-th best score ``v``. When at least ``k`` rows
    score ``v`` or more, the ``k``-th best score of all rows is at least ``v``, so every
    row of the result (ties included) is among them, and the result is exactly the one
    the full partition gives, for a partition of a sample and of a few hundred rows
    instead of every row (0.1 against 0.9 ms at 100,000 rows).
    """
    n = scores.shape[0]
    if n >= _SAMPLE_STEP * k * 4:
        sample = scores[::_SAMPLE_STEP]
        m = sample.shape[0]
        bound = np.partition(sample, m - k)[m - k]
        if bound > 0:
            cand = np.flatnonzero(scores >= bound)
            if cand.size >= k:
                return _top(cand.astype(np.int64), scores[cand], k)
    kth = scores[np.argpartition(scores, n - k)[n - k :]].min() if k < n else 0.0
    cand = np.flatnonzero(scores >= kth) if kth > 0 else np.flatnonzero(scores > 0)
    return _top(cand.astype(np.int64), scores[cand], k)


@dataclass(frozen=True, slots=True, eq=False)
class Deletions:
    """Rows of a segment deleted since it was written, and the statistics they held.

    Attributes:
        rows: the deleted rows (ascending, unique).
        terms: the segment's term indices held by deleted rows (ascending, unique).
        counts: for each of ``terms``, how many deleted rows hold it.
        length: the deleted rows' total token count.
    """

    rows: npt.NDArray[np.int64]
    terms: npt.NDArray[np.int64]
    counts: npt.NDArray[np.int64]
    length: int

    @classmethod
    def none(cls) -> Deletions:
        """No deletion."""
        empty = np.empty(0, dtype=np.int64)
        return cls(empty, empty, empty, 0)

    @property
    def count(self) -> int:
        """Number of deleted rows."""
        return int(self.rows.shape[0])

    def df(self, terms: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Deleted rows holding each term (by term index; -1 gives 0)."""
        if self.terms.size == 0 or terms.size == 0:
            return np.zeros(terms.shape, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.terms, terms), self.terms.shape[0] - 1)
        return np.where((terms >= 0) & (self.terms[at] == terms), self.counts[at], 0)

    def plus(
        self, postings: Postings, rows: npt.NDArray[np.int64], keys: Sequence[Any]
    ) -> Deletions:
        """These deletions and ``rows`` (with their term keys, one array per row)."""
        rows = np.asarray(rows, dtype=np.int64)
        fresh = np.setdiff1d(rows, self.rows)
        if fresh.size == 0:
            return self
        position = {int(r): i for i, r in enumerate(rows)}
        all_terms = [self.terms] + [
            postings.find(np.asarray(keys[position[int(r)]], dtype=np.uint64)) for r in fresh
        ]
        counts = [self.counts] + [np.ones(t.shape[0], dtype=np.int64) for t in all_terms[1:]]
        terms = np.concatenate(all_terms)
        weights = np.concatenate(counts)
        keep = terms >= 0
        unique, inverse = np.unique(terms[keep], return_inverse=True)
        summed = np.bincount(inverse, weights=weights[keep], minlength=unique.shape[0])
        length = self.length + int(np.asarray(postings.lengths)[fresh].sum(dtype=np.int64))
        return Deletions(np.union1d(self.rows, fresh), unique, summed.astype(np.int64), length)


@dataclass(frozen=True, slots=True, eq=False)
class BM25Part:
    """One segment's postings and the rows deleted from it.

    Attributes:
        postings: the segment's inverted index.
        deletions: what was deleted since it was written.
    """

    postings: Postings
    deletions: Deletions

    @property
    def live_count(self) -> int:
        """Rows not deleted."""
        return self.postings.size - self.deletions.count


class _ValueCache:
    """Terms' per-posting scores (float32), up to a byte budget; the least used go first.

    A term's scores depend on its idf and the average row length, which hold for one
    generation of the index: the cache belongs to one :class:`BM25Index` and goes with
    it. Frequent characters recur in most questions; with their scores cached a query
    only sums them, as bm25s does with its precomputed matrix. Reads take no lock (a
    dict look-up is atomic; a read marks its term in a set); writes take one.

    Eviction is the clock's second chance: the oldest term goes unless it was read
    since it was put or last passed over, in which case it moves to the back. Over the
    100k benchmark's 500 questions, asked once each, 48 MiB computes the scores of 13.7
    million postings, about as many as 128 MiB (13.3 million, nearly all first uses),
    against 15.9 million when the oldest simply went first, and 25.3 million with 32
    MiB (36.0 million oldest first).
    """

    def __init__(self, budget: int) -> None:
        self._budget = budget
        self._used = 0
        self._items: dict[tuple[int, int], npt.NDArray[np.float32]] = {}
        self._read: set[tuple[int, int]] = set()
        self._lock = threading.Lock()
        # The hot path (:meth:`_Segment.values`) calls these two directly: no Python
        # frame per term.
        self.find = self._items.get
        self.mark = self._read.add

    def get(self, key: tuple[int, int]) -> npt.NDArray[np.float32] | None:
        """The scores of ``key`` (segment, term), or None; a found term is marked read."""
        found = self.find(key)
        if found is not None:
            self.mark(key)
        return found

    def put(self, key: tuple[int, int], values: npt.NDArray[np.float32]) -> None:
        size = int(values.nbytes)
        if size > self._budget // 4:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = values
            self._used += size
            self._evict()

    def _evict(self) -> None:
        """Drop terms until the budget holds (under the lock)."""
        items, read = self._items, self._read
        while self._used > self._budget and items:
            key = next(iter(items))
            values = items.pop(key)
            if key in read:
                read.discard(key)
                items[key] = values  # read since: a second chance, at the back
            else:
                self._used -= int(values.nbytes)

    @property
    def used(self) -> int:
        """Bytes held."""
        return self._used

    @property
    def budget(self) -> int:
        """Bytes it may hold."""
        return self._budget

    def resize(self, budget: int) -> None:
        """Hold at most ``budget`` bytes from now on (the least used go first)."""
        if budget < 0:
            raise ValueError("budget must be at least 0")
        with self._lock:
            self._budget = budget
            self._evict()


class _Segment:
    """A part with the per-generation values a query needs."""

    __slots__ = ("part", "postings", "position", "base", "n", "live", "live_rows", "tfc", "cache")

    def __init__(
        self,
        part: BM25Part,
        position: int,
        base: int,
        avgdl: float,
        k1: float,
        b: float,
        cache: _ValueCache,
    ) -> None:
        self.part = part
        self.postings = part.postings
        self.position = position
        self.base = base
        self.n = part.postings.size
        self.cache = cache
        if part.deletions.count:
            live = np.ones(self.n, dtype=np.bool_)
            live[part.deletions.rows] = False
            self.live: npt.NDArray[np.bool_] | None = live
            self.live_rows: npt.NDArray[np.int64] | None = np.flatnonzero(live)
        else:
            self.live = None
            self.live_rows = None
        pairs = part.postings.pairs
        self.tfc = (
            bm25_tfc(pairs[:, 0], pairs[:, 1], avgdl, k1, b)
            if pairs.shape[0]
            else np.empty(0, dtype=np.float64)
        )

    def span(self, term: int) -> tuple[int, int]:
        """Where term ``term``'s postings lie."""
        return int(self.postings.indptr[term]), int(self.postings.indptr[term + 1])

    def values(self, term: int, idf: float) -> npt.NDArray[np.float32]:
        """The float32 score of each posting of ``term`` (as bm25s computes them)."""
        key = (self.position, term)
        cache = self.cache
        found = cache.find(key)
        if found is not None:
            cache.mark(key)
            return found
        s, e = self.span(term)
        codes = self.postings.codes[s:e]
        if e - s <= self.tfc.shape[0]:
            values = (idf * self.tfc[codes]).astype(np.float32)
        else:
            values = (idf * self.tfc).astype(np.float32)[codes]
        if e - s >= _CACHE_MIN_POSTINGS:
            self.cache.put(key, values)
        return values


class BM25Index:
    """BM25 over the live rows of one or more segments, in order.

    Build one segment in memory with :meth:`build`; open segments with the constructor.

    Args:
        parts: the segments (global rows run over the live rows of the first, then of
            the second, ...).
        tokenizer: the tokenizer the rows were cut with.
        k1: BM25 term-frequency saturation.
        b: BM25 length normalisation.
        method: the BM25 variant (only ``"lucene"``).
        cache_bytes: memory for the per-posting scores of frequent terms (see
            :class:`_ValueCache`); 0 turns the cache off.
        collection: for a shard of a larger index, the live rows and total token count
            of the whole index: idf and the average row length are computed over it
            (give :meth:`search_tokens` the whole index's document frequencies too), so
            the shard scores each of its rows as the whole index would. None: these
            segments are the whole index.

    Raises:
        ValueError: for parameters out of range or an unknown method.
    """

    def __init__(
        self,
        parts: Sequence[BM25Part],
        tokenizer: Tokenizer,
        *,
        k1: float = 1.2,
        b: float = 0.75,
        method: str = "lucene",
        cache_bytes: int = DEFAULT_CACHE_BYTES,
        collection: tuple[int, int] | None = None,
    ) -> None:
        if not (math.isfinite(k1) and k1 >= 0):
            raise ValueError("k1 must be a finite number of at least 0")
        if not 0 <= b <= 1:
            raise ValueError("b must be between 0 and 1")
        if method not in BM25_METHODS:
            raise ValueError(f"unknown BM25 method {method!r}: choose one of {BM25_METHODS}")
        self._parts = tuple(parts)
        self._tokenizer = tokenizer
        self._k1, self._b, self._method = float(k1), float(b), method
        self._size = sum(p.live_count for p in self._parts)
        total = sum(p.postings.total_length - p.deletions.length for p in self._parts)
        self._total_length = total
        if collection is not None and collection[0] < self._size:
            raise ValueError("collection must hold at least the rows of these segments")
        self._collection = collection if collection is not None else (self._size, total)
        rows, length = self._collection
        self._avgdl = length / rows if rows else 1.0
        self._cache = _ValueCache(cache_bytes)
        self._segments: list[_Segment] = []
        base = 0
        for i, part in enumerate(self._parts):
            seg = _Segment(part, i, base, self._avgdl or 1.0, self._k1, self._b, self._cache)
            self._segments.append(seg)
            base += part.live_count
        self._vocab_size: int | None = None

    @property
    def cache_bytes(self) -> int:
        """The memory budget of the per-posting score cache (see :class:`_ValueCache`)."""
        return self._cache.budget

    @property
    def cache_used(self) -> int:
        """Bytes the per-posting score cache holds now."""
        return self._cache.used

    def limit_cache(self, budget: int) -> None:
        """Give the per-posting score cache ``budget`` bytes from now on (the least
        used scores go first; 0 turns it off). Scores are the same with any budget.

        Raises:
            ValueError: for a negative budget.
        """
        self._cache.resize(budget)

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def build(
        cls,
        texts: Sequence[str],
        tokenizer: str | Tokenizer = DEFAULT_TOKENIZER,
        *,
        k1: float = 1.2,
        b: float = 0.75,
        method: str = "lucene",
        progress: Progress | None = None,
    ) -> BM25Index:
        """Index ``texts`` in memory; row ``i`` of the index is ``texts[i]``.

        Args:
            texts: the texts, in any script (each is normalised before tokenizing).
            tokenizer: a name from :data:`embeddings.tokenize.TOKENIZER_NAMES`, or a
                tokenizer object (share one to load jieba's dictionary once).
            k1: BM25 term-frequency saturation.
            b: BM25 length normalisation.
            method: the BM25 variant (see :data:`BM25_METHODS`).
            progress: called as ``progress("bm25", done, total)`` while tokenizing.

        Returns:
            The index.

        Raises:
            ValueError: for no texts, an unknown tokenizer or method, or parameters out
                of range.
        """
        if len(texts) == 0:
            raise ValueError("texts must not be empty: there is nothing to index")
        tok = get_tokenizer(tokenizer) if isinstance(tokenizer, str) else tokenizer
        builder = PostingsBuilder()
        total = len(texts)
        for i, text in enumerate(texts, 1):
            builder.add(count_terms(analyze(tok, normalize_for_matching(text))))
            if progress is not None and (i % _PROGRESS_EVERY == 0 or i == total):
                progress("bm25", i, total)
        part = BM25Part(builder.build(), Deletions.none())
        return cls([part], tok, k1=k1, b=b, method=method)

    # -- properties -----------------------------------------------------------------------

    @property
    def parts(self) -> tuple[BM25Part, ...]:
        """The segments."""
        return self._parts

    @property
    def size(self) -> int:
        """Number of (live) rows."""
        return self._size

    @property
    def tokenizer(self) -> Tokenizer:
        """The tokenizer object (share it with another index to load jieba once)."""
        return self._tokenizer

    @property
    def tokenizer_name(self) -> str:
        """Name of the tokenizer rows and queries are cut with."""
        return self._tokenizer.name

    @property
    def vocab_size(self) -> int:
        """Number of distinct terms over all segments (deleted rows' terms included until
        their segment is merged)."""
        if self._vocab_size is None:
            keys = [np.asarray(p.postings.keys) for p in self._parts]
            self._vocab_size = int(np.unique(np.concatenate(keys)).shape[0]) if keys else 0
        return self._vocab_size

    @property
    def params(self) -> dict[str, Any]:
        """The scoring parameters: ``k1``, ``b`` and ``method``."""
        return {"k1": self._k1, "b": self._b, "method": self._method}

    @property
    def total_length(self) -> int:
        """The live rows' total token count."""
        return self._total_length

    @property
    def average_length(self) -> float:
        """The average number of tokens per live row."""
        return self._avgdl

    # -- statistics -----------------------------------------------------------------------

    def tokenize(self, text: str) -> list[str]:
        """Tokens of ``text`` as the index sees them (normalised, then cut).

        Args:
            text: any text.

        Returns:
            The tokens, including those unknown to the index.
        """
        return self._tokenizer(normalize_for_matching(text))

    def _df_keys(
        self, keys: npt.NDArray[np.uint64]
    ) -> tuple[npt.NDArray[np.int64], list[npt.NDArray[np.int64]]]:
        """Live document frequency of each key, and each segment's term indices."""
        df = np.zeros(keys.shape, dtype=np.int64)
        found: list[npt.NDArray[np.int64]] = []
        for seg in self._segments:
            terms = seg.part.postings.find(keys)
            df += seg.part.postings.document_frequency(terms) - seg.part.deletions.df(terms)
            found.append(terms)
        return df, found

    def document_frequency(self, tokens: Sequence[str]) -> npt.NDArray[np.int64]:
        """How many live rows contain each token (0 for tokens unknown to the index).

        Args:
            tokens: tokens as returned by :meth:`tokenize`.

        Returns:
            One count per token, in order.
        """
        if not tokens:
            return np.zeros(0, dtype=np.int64)
        return self._df_keys(term_keys(tokens))[0]

    def idf(self, tokens: Sequence[str]) -> npt.NDArray[np.float32]:
        """Lucene's BM25 inverse document frequency of each token.

        ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))`` over the live rows; a token
        unknown to the index (``df = 0``) gets the highest value. Costs O(len(tokens))
        binary searches per segment, whatever the corpus size.

        Args:
            tokens: tokens as returned by :meth:`tokenize`.

        Returns:
            One float32 IDF per token, in order.
        """
        df = self.document_frequency(tokens).astype(np.float64)
        n = float(self._collection[0])
        return np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)

    # -- search ---------------------------------------------------------------------------

    def search(self, query: str, k: int, mask: npt.NDArray[np.bool_] | None = None) -> Hits:
        """The ``k`` best rows for ``query``.

        Args:
            query: the query, in any script (normalised here).
            k: the most hits to return (clamped to the number of rows).
            mask: optional boolean array over rows; only rows where it is True can hit.

        Returns:
            Hits with a positive score, best first (ties by row); empty when no query
            token is known.

        Raises:
            ValueError: when ``k`` is not positive or ``mask`` has the wrong type or shape.
        """
        return self.search_normalized(normalize_for_matching(query), k, mask)

    def search_normalized(
        self, normalized: str, k: int, mask: npt.NDArray[np.bool_] | None = None
    ) -> Hits:
        """:meth:`search` for a query already folded by ``normalize_for_matching``.

        Raises:
            ValueError: when ``k`` is not positive or ``mask`` has the wrong type or shape.
        """
        return self.search_tokens(self._tokenizer(normalized), k, mask)

    def search_tokens(
        self,
        tokens: Sequence[str],
        k: int,
        mask: npt.NDArray[np.bool_] | None = None,
        *,
        prune: bool = False,
        frequencies: Mapping[str, int] | None = None,
    ) -> Hits:
        """:meth:`search` for a query already cut into tokens (repeats count).

        Args:
            tokens: the query's tokens, in order.
            k: the most hits to return.
            mask: optional boolean array over rows.
            prune: allow pruning on segments of 300,000 rows or more (see the module
                docstring: slower than scoring every row where it was measured).
            frequencies: each token's document frequency over the whole index, for a
                shard built with ``collection`` (default: over these segments).

        Raises:
            ValueError: when ``k`` is not positive or ``mask`` has the wrong type or shape.
        """
        if k <= 0:
            raise ValueError("k must be greater than 0")
        checked = _check_mask(mask, self._size)
        if not tokens or self._size == 0 or (checked is not None and not checked.any()):
            return Hits.empty()
        keys = term_keys(tokens)
        unique, inverse = np.unique(keys, return_inverse=True)
        df, found = self._df_keys(unique)
        if frequencies is not None:
            given = {int(key): int(frequencies[t]) for key, t in zip(keys, tokens, strict=True)}
            df = np.array([given[int(u)] for u in unique], dtype=np.int64)
        known = df > 0
        if not known.any():
            return Hits.empty()
        n = self._collection[0]
        idfs = np.array(
            [math.log(1 + (n - d + 0.5) / (d + 0.5)) for d in df.tolist()], dtype=np.float32
        ).astype(np.float64)  # bm25s's lucene idf: math.log in Python floats, then float32
        sequence = inverse[known[inverse]]  # the known query terms, in query order
        k = min(k, self._size)
        results: list[Hits] = []
        threshold = 0.0
        for seg, terms in zip(self._segments, found, strict=True):
            allowed = self._allowed(seg, checked)
            if allowed is not None and not allowed.any():
                continue
            present = terms[sequence] >= 0
            seq = sequence[present]
            if seq.size == 0:
                continue
            hits = self._score(seg, terms, idfs, seq, k, allowed, threshold, prune)
            if hits.size:
                rows = (
                    hits.indices
                    if seg.live_rows is None
                    else np.searchsorted(seg.live_rows, hits.indices)
                )
                results.append(Hits(rows + seg.base, hits.scores))
                if sum(h.size for h in results) >= k:
                    merged = _merge_hits(results, k)
                    results = [merged]
                    if merged.size >= k:
                        threshold = float(merged.scores[-1])
        if not results:
            return Hits.empty()
        return _merge_hits(results, k)

    def _allowed(
        self, seg: _Segment, mask: npt.NDArray[np.bool_] | None
    ) -> npt.NDArray[np.bool_] | None:
        """The segment's rows that may hit (live and in ``mask``), or None for all."""
        if mask is None:
            return seg.live
        part = mask[seg.base : seg.base + seg.part.live_count]
        if seg.live_rows is None:
            return part
        allowed = np.zeros(seg.n, dtype=np.bool_)
        allowed[seg.live_rows] = part
        return allowed

    def _score(
        self,
        seg: _Segment,
        terms: npt.NDArray[np.int64],
        idfs: npt.NDArray[np.float64],
        seq: npt.NDArray[np.int64],
        k: int,
        allowed: npt.NDArray[np.bool_] | None,
        threshold: float,
        prune: bool,
    ) -> Hits:
        """The segment's ``k`` best rows (segment row numbers)."""
        query = _Query(seg, terms, idfs, seq)
        if prune and seg.n >= _PRUNE_MIN_ROWS:
            hits = _pruned(query, k, allowed, threshold, self._k1, self._b, self._avgdl)
            if hits is not None:
                return hits
        postings = seg.postings
        scores = np.zeros(seg.n, dtype=np.float32)
        rows, values = [], []
        total = 0
        for u in seq.tolist():
            s, e = seg.span(int(terms[u]))
            rows.append(postings.rows[s:e])
            values.append(query.values(u))
            total += e - s
        # Unbuffered adds over the terms' postings in query order: each row's score is
        # summed term by term in query order, as bm25s sums it. Few postings go in one
        # call (fewer calls); many, term by term (no copy).
        if total <= _ONE_CALL:
            np.add.at(scores, np.concatenate(rows), np.concatenate(values))
        else:
            for r, v in zip(rows, values, strict=True):
                np.add.at(scores, r, v)
        if allowed is not None:
            scores *= allowed
        return _top_dense(scores, k)

    # -- files ----------------------------------------------------------------------------

    def save(self, directory: str | Path) -> None:
        """Write a one-segment index to ``directory`` (created if needed).

        Raises:
            ValueError: when the index has several segments or deletions (save those
                through :mod:`embeddings.store`).
        """
        if len(self._parts) != 1 or self._parts[0].deletions.count:
            raise ValueError("only a single segment without deletions can be saved alone")
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        self._parts[0].postings.save(path)
        meta = {"format": _FORMAT, "tokenizer": self.tokenizer_name, "size": self._size}
        meta.update(self.params)
        (path / _PARAMS_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path, tokenizer: Tokenizer | None = None) -> BM25Index:
        """Read an index written by :meth:`save` (memory-mapped).

        Args:
            directory: the directory given to :meth:`save`.
            tokenizer: a tokenizer object to reuse; it must have the recorded name.

        Returns:
            The index.

        Raises:
            IndexNotFoundError: when the directory or its parameters file is missing.
            IndexCorruptError: when the files cannot be read or disagree.
            ValueError: when ``tokenizer`` is not the one the index was built with.
        """
        path = Path(directory)
        params_file = path / _PARAMS_FILE
        if not params_file.is_file():
            raise IndexNotFoundError(f"no BM25 index at {path} ({_PARAMS_FILE} is missing)")
        try:
            meta = json.loads(params_file.read_text(encoding="utf-8"))
            name = str(meta["tokenizer"])
            size = int(meta["size"])
            version = int(meta.get("format", 1))
            k1, b, method = float(meta["k1"]), float(meta["b"]), str(meta["method"])
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise IndexCorruptError(f"cannot read {params_file}: {err}") from err
        if version != _FORMAT:
            raise IndexCorruptError(
                f"the BM25 index at {path} has format {version}, this version reads {_FORMAT}"
            )
        if name not in TOKENIZER_NAMES:
            raise IndexCorruptError(f"{params_file} names an unknown tokenizer {name!r}")
        if tokenizer is not None and tokenizer.name != name:
            raise ValueError(
                f"the index at {path} was built with tokenizer {name!r}, not {tokenizer.name!r}"
            )
        postings = Postings.load(path)
        if postings.size != size:
            raise IndexCorruptError(
                f"the BM25 index at {path} has {postings.size} rows, not {size}"
            )
        part = BM25Part(postings, Deletions.none())
        return cls([part], tokenizer or get_tokenizer(name), k1=k1, b=b, method=method)


def _merge_hits(results: Sequence[Hits], k: int) -> Hits:
    if len(results) == 1:
        return Hits(results[0].indices[:k], results[0].scores[:k])
    rows = np.concatenate([h.indices for h in results])
    scores = np.concatenate([h.scores for h in results])
    return _top(rows, scores, k)


def _accumulate(
    rows: npt.NDArray[np.int32], values: npt.NDArray[np.float64], n: int
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Distinct rows (ascending) and the sum of their values."""
    if rows.size * 16 < n:
        unique, inverse = np.unique(rows, return_inverse=True)
        summed: npt.NDArray[np.float64] = np.bincount(inverse, weights=values).astype(np.float64)
        return unique.astype(np.int64), summed
    dense = np.zeros(n, dtype=np.float64)
    np.add.at(dense, rows, values)
    cand = np.flatnonzero(dense).astype(np.int64)
    return cand, dense[cand]


class _Query:
    """One query's terms in one segment: their postings' scores, and exact row scores."""

    def __init__(
        self,
        seg: _Segment,
        terms: npt.NDArray[np.int64],
        idfs: npt.NDArray[np.float64],
        seq: npt.NDArray[np.int64],
    ) -> None:
        self.seg, self.terms, self.idfs, self.seq = seg, terms, idfs, seq

    def values(self, u: int) -> npt.NDArray[np.float32]:
        """Scores of the postings of query term ``u``."""
        return self.seg.values(int(self.terms[u]), float(self.idfs[u]))

    def exact(self, rows: npt.NDArray[np.int64]) -> npt.NDArray[np.float32]:
        """The scores of ``rows`` (ascending), summed in float32 in query order."""
        seg = self.seg
        scores = np.zeros(rows.shape[0], dtype=np.float32)
        if rows.size == 0:
            return scores
        cache: dict[int, npt.NDArray[np.float32]] = {}
        needles = rows.astype(seg.postings.rows.dtype)  # no cast of the postings
        for u in self.seq.tolist():
            contribution = cache.get(u)
            if contribution is None:
                s, e = seg.span(int(self.terms[u]))
                term_rows = seg.postings.rows[s:e]
                at = np.searchsorted(term_rows, needles)
                at[at == e - s] = 0
                hit = term_rows[at] == needles
                contribution = np.where(hit, self.values(u)[at], np.float32(0))
                cache[u] = contribution
            scores += contribution
        return scores


def _pruned(
    query: _Query,
    k: int,
    allowed: npt.NDArray[np.bool_] | None,
    threshold: float,
    k1: float,
    b: float,
    avgdl: float,
) -> Hits | None:
    """The segment's ``k`` best rows by MaxScore, or None where pruning does not pay.

    1. The rarest terms (highest bound) seed candidates; the best ``4 k`` of them by
       partial score are scored exactly, and the ``k``-th best of those scores is a
       threshold that the final ``k``-th best score can only exceed.
    2. Terms whose bounds sum (smallest first) stays under half the threshold are
       non-essential: a row holding none of the others cannot reach it, and a row must
       score at least half the threshold on the others. The rows of the essential
       terms whose partial score plus the non-essential bounds reaches the threshold
       are scored exactly; the best ``k`` of them are the answer.
    """
    seg = query.seg
    postings = seg.postings
    uniq, mult = np.unique(query.seq, return_counts=True)
    t = query.terms[uniq]
    starts, ends = postings.indptr[t], postings.indptr[t + 1]
    lengths = ends - starts
    total = int(lengths.sum())
    if total < 2 * seg.n:
        return None  # about as fast to score every row
    weights = mult * query.idfs[uniq]
    bounds = weights * bm25_tfc(postings.max_tf[t], postings.min_len[t], avgdl or 1.0, k1, b)

    def gather(chosen: Sequence[int]) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        rows = np.concatenate([postings.rows[starts[i] : ends[i]] for i in chosen])
        values = np.concatenate(
            [query.values(int(uniq[i])).astype(np.float64) * float(mult[i]) for i in chosen]
        )
        cand, partial = _accumulate(rows, values, seg.n)
        if allowed is not None:
            ok = allowed[cand]
            cand, partial = cand[ok], partial[ok]
        return cand, partial

    # 1. A threshold from the rows of the rarest terms.
    desc = np.argsort(-bounds, kind="stable")
    seed_budget = max(int(0.01 * total), 4 * k)
    upto = int(np.searchsorted(np.cumsum(lengths[desc]), seed_budget, side="right"))
    cand, partial = gather(desc[: max(1, upto)].tolist())
    floor = threshold
    if cand.size:
        best = np.sort(cand[np.argsort(-partial, kind="stable")[: 4 * k]])
        scores = query.exact(best)
        if scores.size >= k:
            floor = max(floor, float(np.partition(scores, scores.size - k)[scores.size - k]))
    if floor <= 0:
        return None
    # 2. Essential terms and their candidate rows. Leaving out terms up to half the
    # threshold (not all of it) keeps the rows to score exactly to a few hundred.
    asc = np.argsort(bounds, kind="stable")
    cumulative = np.cumsum(bounds[asc])
    below = cumulative < _NON_ESSENTIAL * floor
    rest = float(cumulative[below][-1]) if below.any() else 0.0
    essential = asc[~below]
    if int(lengths[essential].sum()) > _PRUNE_BUDGET * total:
        return None
    cand, partial = gather(essential.tolist())
    cand = cand[partial + rest * (1 + _SLACK) >= floor * (1 - _SLACK)]
    return _top(cand, query.exact(cand), k)
