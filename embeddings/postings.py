"""One segment's inverted index: term keys, postings, document lengths, as flat arrays.

Layout (every array a ``.npy`` file, memory-mapped on load):

* ``keys``   uint64[V]: the term keys (see :mod:`embeddings.terms`), ascending;
* ``indptr`` int64[V+1]: term ``i``'s postings are ``rows[indptr[i]:indptr[i+1]]``;
* ``rows``   int32[P]: the rows (chunks) holding the term, ascending per term;
* ``codes``  uint16 or uint32[P]: for each posting, an index into ``pairs``;
* ``pairs``  uint32[C, 2]: the distinct ``(term frequency, row length)`` pairs of the
  segment. BM25's term-frequency part depends on a posting only through this pair, so a
  query computes it once per pair (a few thousand values) for the collection's current
  average length, then gathers it per posting; nothing stored depends on statistics
  of other segments, which is what lets segments be written independently and their
  statistics be combined at query time;
* ``max_tf``, ``min_len`` uint32[V]: per term, the largest term frequency and the
  shortest row among its postings (an upper bound of the term's score in any row, for
  pruning);
* ``lengths`` uint32[N]: the number of tokens of each row.

A segment with ``N`` rows and ``P`` postings takes ``14 V + 6 P + 4 N`` bytes (``P`` is
about 400 per chunk of 300 characters with ``char12``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from embeddings.errors import IndexCorruptError
from embeddings.mapped import ArrayWriter, load_array, release
from embeddings.terms import TermCounts

__all__ = ["Postings", "PostingsBuilder", "merge_postings"]

_FILES = ("keys", "indptr", "rows", "codes", "pairs", "max_tf", "min_len", "lengths")
_META = "postings.json"
_FORMAT = 1
_DENSE_PAIR_TABLE = 1 << 22
"""Up to this many (tf, length) cells, pair codes come from a table instead of a sort."""
MERGE_BLOCK = 2_000_000
"""Postings handled at once while merging: a block's arrays take about 65 bytes a
posting (130 MB; 8,000,000 took 520 MB and was slower on a 100k-chunk optimize: 6.8
against 6.0 s)."""


def _readonly(array: npt.NDArray[Any]) -> npt.NDArray[Any]:
    if array.flags.writeable:
        array = array.view()
        array.flags.writeable = False
    return array


def _pair_codes(
    tf: npt.NDArray[np.uint32], lengths: npt.NDArray[np.uint32]
) -> tuple[npt.NDArray[np.uint32], npt.NDArray[np.uint32]]:
    """The distinct (tf, length) pairs, ascending, and each posting's index among them."""
    if tf.size == 0:
        return np.empty((0, 2), dtype=np.uint32), np.empty(0, dtype=np.uint32)
    width = int(lengths.max()) + 1
    cells = (int(tf.max()) + 1) * width
    combined = tf.astype(np.int64) * width + lengths
    if cells <= _DENSE_PAIR_TABLE:
        present = np.zeros(cells, dtype=np.bool_)
        present[combined] = True
        cell_ids = np.flatnonzero(present)
        index = np.cumsum(present, dtype=np.int64) - 1
        codes = index[combined]
    else:
        cell_ids, codes = np.unique(combined, return_inverse=True)
    pairs = np.stack((cell_ids // width, cell_ids % width), axis=1).astype(np.uint32)
    return pairs, codes.astype(np.uint32)


def _code_dtype(n_pairs: int) -> type[np.unsignedinteger[Any]]:
    return np.uint16 if n_pairs <= np.iinfo(np.uint16).max + 1 else np.uint32


@dataclass(frozen=True, slots=True, eq=False)
class Postings:
    """The inverted index of one segment (read-only arrays; see the module docstring).

    Build with :class:`PostingsBuilder`, read with :meth:`load`, combine with
    :func:`merge_postings`.
    """

    keys: npt.NDArray[np.uint64]
    indptr: npt.NDArray[np.int64]
    rows: npt.NDArray[np.int32]
    codes: npt.NDArray[np.unsignedinteger[Any]]
    pairs: npt.NDArray[np.uint32]
    max_tf: npt.NDArray[np.uint32]
    min_len: npt.NDArray[np.uint32]
    lengths: npt.NDArray[np.uint32]

    def __post_init__(self) -> None:
        v = self.keys.shape[0]
        if self.indptr.shape != (v + 1,) or self.max_tf.shape != (v,) or self.min_len.shape != (v,):
            raise ValueError("postings: the term arrays disagree in length")
        if self.rows.shape != self.codes.shape or int(self.indptr[-1]) != self.rows.shape[0]:
            raise ValueError("postings: rows, codes and indptr disagree")
        if self.pairs.ndim != 2 or self.pairs.shape[1] != 2:
            raise ValueError("postings: pairs must have shape (C, 2)")
        for name in _FILES:
            object.__setattr__(self, name, _readonly(getattr(self, name)))

    @property
    def size(self) -> int:
        """Number of rows."""
        return int(self.lengths.shape[0])

    @property
    def vocab_size(self) -> int:
        """Number of distinct terms."""
        return int(self.keys.shape[0])

    @property
    def total_length(self) -> int:
        """Sum of the rows' token counts."""
        return int(self.lengths.sum(dtype=np.int64))

    @property
    def nbytes(self) -> int:
        """Bytes of all arrays."""
        return sum(int(getattr(self, name).nbytes) for name in _FILES)

    def find(self, keys: npt.NDArray[np.uint64]) -> npt.NDArray[np.int64]:
        """The term index of each key, -1 where the segment lacks it."""
        if self.keys.shape[0] == 0 or keys.size == 0:
            return np.full(keys.shape, -1, dtype=np.int64)
        at = np.searchsorted(self.keys, keys)
        at = np.minimum(at, self.keys.shape[0] - 1)
        return np.where(self.keys[at] == keys, at, -1).astype(np.int64)

    def document_frequency(self, terms: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        """Rows holding each term (by term index; 0 for -1)."""
        if self.keys.shape[0] == 0:  # no term at all (e.g. rows without text)
            return np.zeros(terms.shape, dtype=np.int64)
        safe = np.maximum(terms, 0)
        df = self.indptr[safe + 1] - self.indptr[safe]
        return np.where(terms >= 0, df, 0)

    def term_rows(self, term: int) -> npt.NDArray[np.int32]:
        """The rows holding term ``term`` (an index), ascending."""
        return self.rows[self.indptr[term] : self.indptr[term + 1]]

    # -- files ---------------------------------------------------------------------------

    def save(self, directory: str | Path) -> None:
        """Write the arrays to ``directory`` (created if needed)."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        for name in _FILES:
            np.save(path / f"{name}.npy", np.ascontiguousarray(getattr(self, name)))
        meta = {"format": _FORMAT, "rows": self.size, "terms": self.vocab_size}
        (path / _META).write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path, *, mmap: bool = True) -> Postings:
        """Read arrays written by :meth:`save` (memory-mapped unless ``mmap=False``).

        Raises:
            IndexCorruptError: when a file is missing, unreadable or inconsistent.
        """
        path = Path(directory)
        try:
            meta = json.loads((path / _META).read_text(encoding="utf-8"))
            if int(meta["format"]) != _FORMAT:
                raise ValueError(f"format {meta['format']}, this version reads {_FORMAT}")
            arrays = {name: load_array(path / f"{name}.npy", mmap=mmap) for name in _FILES}
            postings = cls(**arrays)
            if postings.size != int(meta["rows"]) or postings.vocab_size != int(meta["terms"]):
                raise ValueError("the counts disagree with postings.json")
            return postings
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise IndexCorruptError(f"the postings at {path} are unreadable: {err}") from err


class PostingsBuilder:
    """Collects the term counts of rows, in row order, and builds their postings (rows
    one at a time, :meth:`add`, or many at once as flat arrays, :meth:`add_many`)."""

    def __init__(self) -> None:
        self._keys: list[npt.NDArray[np.uint64]] = []
        self._tf: list[npt.NDArray[np.uint32]] = []
        self._nnz: list[npt.NDArray[np.int64]] = []
        self._lengths: list[npt.NDArray[np.int64]] = []
        self._row_nnz: list[int] = []
        self._row_lengths: list[int] = []
        self._rows = 0
        self._postings = 0

    def __len__(self) -> int:
        return self._rows

    @property
    def postings(self) -> int:
        """Postings collected so far."""
        return self._postings

    def add(self, counts: TermCounts) -> None:
        """Append one row."""
        self._keys.append(counts.keys)
        self._tf.append(counts.tf)
        self._row_nnz.append(int(counts.keys.size))
        self._row_lengths.append(counts.length)
        self._rows += 1
        self._postings += int(counts.keys.size)

    def extend(self, rows: Sequence[TermCounts]) -> None:
        """Append rows."""
        for counts in rows:
            self.add(counts)

    def add_many(
        self,
        keys: npt.NDArray[np.uint64],
        tf: npt.NDArray[np.uint32],
        counts: npt.NDArray[np.int64],
        lengths: npt.NDArray[np.int64],
    ) -> None:
        """Append rows given as flat arrays: every row's keys (ascending within a row)
        one row after the other, their term frequencies, each row's number of keys, and
        each row's length.

        Raises:
            ValueError: when the arrays disagree.
        """
        if counts.shape != lengths.shape or keys.shape != tf.shape:
            raise ValueError("add_many: counts and lengths, keys and tf must match")
        if int(counts.sum()) != keys.shape[0]:
            raise ValueError("add_many: the counts do not add up to the keys")
        self._settle()
        self._keys.append(keys)
        self._tf.append(tf)
        self._nnz.append(np.asarray(counts, dtype=np.int64))
        self._lengths.append(np.asarray(lengths, dtype=np.int64))
        self._rows += int(counts.shape[0])
        self._postings += int(keys.shape[0])

    def _settle(self) -> None:
        """Move the rows added one at a time into the array lists."""
        if self._row_nnz:
            self._nnz.append(np.asarray(self._row_nnz, dtype=np.int64))
            self._lengths.append(np.asarray(self._row_lengths, dtype=np.int64))
            self._row_nnz, self._row_lengths = [], []

    def build(self) -> Postings:
        """The postings of the rows added, in order (row ``i`` is the ``i``-th added)."""
        self._settle()
        n = self._rows
        lengths = (
            np.concatenate(self._lengths).astype(np.uint32)
            if self._lengths
            else np.empty(0, dtype=np.uint32)
        )
        if self._postings == 0:
            empty = np.empty(0, dtype=np.uint64)
            return Postings(
                keys=empty,
                indptr=np.zeros(1, dtype=np.int64),
                rows=np.empty(0, dtype=np.int32),
                codes=np.empty(0, dtype=np.uint16),
                pairs=np.empty((0, 2), dtype=np.uint32),
                max_tf=np.empty(0, dtype=np.uint32),
                min_len=np.empty(0, dtype=np.uint32),
                lengths=lengths,
            )
        keys = self._keys[0] if len(self._keys) == 1 else np.concatenate(self._keys)
        order = np.argsort(keys, kind="stable")  # rows stay ascending within a term
        keys = keys[order]
        rows = np.repeat(np.arange(n, dtype=np.int32), np.concatenate(self._nnz))[order]
        tf = (self._tf[0] if len(self._tf) == 1 else np.concatenate(self._tf))[order]
        del order
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        return _finish(keys[starts], starts, rows, tf.astype(np.uint32, copy=False), lengths)


def _finish(
    keys: npt.NDArray[np.uint64],
    starts: npt.NDArray[np.int64],
    rows: npt.NDArray[np.int32],
    tf: npt.NDArray[np.uint32],
    lengths: npt.NDArray[np.uint32],
) -> Postings:
    row_len = lengths[rows]
    pairs, codes = _pair_codes(tf, row_len)
    indptr = np.append(starts, rows.shape[0]).astype(np.int64)
    return Postings(
        keys=keys,
        indptr=indptr,
        rows=rows,
        codes=codes.astype(_code_dtype(pairs.shape[0])),
        pairs=pairs,
        max_tf=np.maximum.reduceat(tf, starts).astype(np.uint32),
        min_len=np.minimum.reduceat(row_len, starts).astype(np.uint32),
        lengths=lengths,
    )


def merge_postings(
    parts: Sequence[tuple[Postings, npt.NDArray[np.bool_] | None]],
    directory: str | Path | None = None,
) -> Postings:
    """One index over the live rows of several, in order.

    Postings are streamed term block by term block (:data:`MERGE_BLOCK` postings at a
    time); with ``directory`` they are appended to files there, and the pages of the
    parts' mapped files are released as the merge passes them, so merging segments of
    any size holds only the term dictionary, the row maps and one block in memory.

    Args:
        parts: each segment's postings with its live-row mask (None: all live). Row
            numbers of the result run over the live rows of the first part, then of the
            second, and so on; terms left with no live row are dropped.
        directory: where to write the result (as :meth:`Postings.save` does); None
            builds it in memory.

    Returns:
        The merged postings (memory-mapped from ``directory`` where one is given).
    """
    row_maps: list[npt.NDArray[np.int32]] = []
    lengths: list[npt.NDArray[np.uint32]] = []
    total = 0
    base = 0
    for postings, live in parts:
        if live is None:
            live = np.ones(postings.size, dtype=np.bool_)
        new = np.cumsum(live, dtype=np.int64) - 1 + base
        row_maps.append(np.where(live, new, -1).astype(np.int32))
        lengths.append(np.asarray(postings.lengths)[live])
        total += int(np.count_nonzero(live[postings.rows])) if postings.rows.size else 0
        release(postings.rows)
        base += int(np.count_nonzero(live))
    all_lengths = np.concatenate(lengths) if lengths else np.empty(0, dtype=np.uint32)
    keys = np.unique(np.concatenate([np.asarray(p.keys) for p, _ in parts]))
    term_maps = [np.searchsorted(keys, p.keys) for p, _ in parts]
    # The pairs of the result: those of the parts (a pair held only by dead rows costs
    # one unused entry).
    width = int(all_lengths.max(initial=0)) + 1
    for postings, _ in parts:
        if postings.pairs.shape[0]:
            width = max(width, int(postings.pairs[:, 1].max()) + 1)
    cells = np.unique(
        np.concatenate(
            [np.asarray(p.pairs[:, 0], np.int64) * width + p.pairs[:, 1] for p, _ in parts]
        )
    )
    pairs = np.stack((cells // width, cells % width), axis=1).astype(np.uint32)
    code_dtype = _code_dtype(pairs.shape[0])
    out_dir = Path(directory) if directory is not None else None
    df = np.zeros(keys.shape[0], dtype=np.int64)
    max_tf = np.zeros(keys.shape[0], dtype=np.uint32)
    min_len = np.zeros(keys.shape[0], dtype=np.uint32)
    kept_rows: list[npt.NDArray[np.int32]] = []
    kept_codes: list[npt.NDArray[Any]] = []
    at = 0
    with ExitStack() as stack:
        writers: tuple[ArrayWriter, ArrayWriter] | None = None
        if out_dir is not None:
            # Appended to the files, with the parts' pages released after each block:
            # the postings pass through the page cache, not this process's memory.
            out_dir.mkdir(parents=True, exist_ok=True)
            writers = (
                stack.enter_context(ArrayWriter(out_dir / "rows.npy", np.int32, total)),
                stack.enter_context(ArrayWriter(out_dir / "codes.npy", code_dtype, total)),
            )
        for lo, hi in _blocks(parts, term_maps, keys.shape[0]):
            block = _merged_block(parts, term_maps, row_maps, lo, hi)
            if block is None:
                continue
            terms, rows, tf = block
            row_len = all_lengths[rows]
            n = rows.shape[0]
            codes = np.searchsorted(cells, tf.astype(np.int64) * width + row_len)
            if writers is not None:
                writers[0].write(rows)
                writers[1].write(codes)
                for postings, _ in parts:
                    release(postings.rows)
                    release(postings.codes)
            else:
                kept_rows.append(rows.astype(np.int32))
                kept_codes.append(codes.astype(code_dtype))
            starts = np.flatnonzero(np.concatenate(([True], terms[1:] != terms[:-1])))
            present = terms[starts]
            df[present] = np.diff(np.append(starts, n))
            max_tf[present] = np.maximum.reduceat(tf, starts)
            min_len[present] = np.minimum.reduceat(row_len, starts)
            at += n
    assert at == total
    alive = df > 0
    indptr = np.concatenate(([0], np.cumsum(df[alive]))).astype(np.int64)
    if out_dir is not None:
        rows_out = load_array(out_dir / "rows.npy")
        codes_out = load_array(out_dir / "codes.npy")
    else:
        rows_out = np.concatenate([np.empty(0, np.int32), *kept_rows])
        codes_out = np.concatenate([np.empty(0, code_dtype), *kept_codes])
    merged = Postings(
        keys=keys[alive],
        indptr=indptr,
        rows=rows_out,
        codes=codes_out,
        pairs=pairs,
        max_tf=max_tf[alive],
        min_len=min_len[alive],
        lengths=all_lengths,
    )
    if out_dir is None:
        return merged
    for name in ("keys", "indptr", "pairs", "max_tf", "min_len", "lengths"):
        np.save(out_dir / f"{name}.npy", np.ascontiguousarray(getattr(merged, name)))
    meta = {"format": _FORMAT, "rows": merged.size, "terms": merged.vocab_size}
    (out_dir / _META).write_text(json.dumps(meta), encoding="utf-8")
    return Postings.load(out_dir)


def _merged_block(
    parts: Sequence[tuple[Postings, npt.NDArray[np.bool_] | None]],
    term_maps: Sequence[npt.NDArray[np.int64]],
    row_maps: Sequence[npt.NDArray[np.int32]],
    lo: int,
    hi: int,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int32], npt.NDArray[np.uint32]] | None:
    """The live postings of merged terms ``lo:hi`` from every part, ordered by term, then
    part, then row: their terms, new rows and term frequencies (None when there are none)."""
    block_rows: list[npt.NDArray[np.int32]] = []
    block_terms: list[npt.NDArray[np.int64]] = []
    block_tf: list[npt.NDArray[np.uint32]] = []
    for (postings, _), tmap, rmap in zip(parts, term_maps, row_maps, strict=True):
        a, b = (int(x) for x in np.searchsorted(tmap, [lo, hi]))
        if a == b:
            continue
        s, e = int(postings.indptr[a]), int(postings.indptr[b])
        rows = rmap[postings.rows[s:e]]
        terms = np.repeat(tmap[a:b], np.diff(postings.indptr[a : b + 1]))
        tf = postings.pairs[postings.codes[s:e], 0]
        keep = rows >= 0
        block_rows.append(rows[keep])
        block_terms.append(terms[keep])
        block_tf.append(tf[keep])
    if not block_rows:
        return None
    terms = np.concatenate(block_terms)
    if terms.size == 0:
        return None
    order = np.argsort(terms, kind="stable")  # parts in order, rows ascending in each
    return terms[order], np.concatenate(block_rows)[order], np.concatenate(block_tf)[order]


def _blocks(
    parts: Sequence[tuple[Postings, npt.NDArray[np.bool_] | None]],
    term_maps: Sequence[npt.NDArray[np.int64]],
    n_terms: int,
) -> Iterator[tuple[int, int]]:
    """Ranges of merged term indices holding about :data:`MERGE_BLOCK` postings each."""
    counts = np.zeros(n_terms, dtype=np.int64)
    for (postings, _), tmap in zip(parts, term_maps, strict=True):
        counts[tmap] += np.diff(postings.indptr)
    ends = np.cumsum(counts)
    lo = 0
    while lo < n_terms:
        start = int(ends[lo - 1]) if lo else 0
        hi = int(np.searchsorted(ends, start + MERGE_BLOCK, side="right"))
        hi = min(max(hi, lo + 1), n_terms)
        yield lo, hi
        lo = hi
