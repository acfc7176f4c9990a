"""The dense index: inner product over L2-normalised embeddings, exact or approximate.

The index type follows the size (:func:`dense_factory`): below :data:`EXACT_BELOW` rows
the search is exact, a matrix product over the vectors themselves (numpy; no FAISS
copy of them); above it an HNSW graph (FAISS ``HNSW32``, whose flat storage *is* the
vectors: they are read back from it, never kept twice, and memory-mapped on load), or
IVF-PQ on request (compressed codes in FAISS, the float32 vectors beside them for
merges). Filtering by a row mask happens inside FAISS through an ``IDSelectorBitmap``
(or as a mask on the exact scores), so a filtered search never scans rows in Python.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from embeddings.types import Hits

if TYPE_CHECKING:
    import faiss

__all__ = ["DENSE_KINDS", "EXACT_BELOW", "DenseIndex", "dense_factory"]

DENSE_KINDS: tuple[str, ...] = ("auto", "flat", "hnsw", "ivfpq")
EXACT_BELOW = 50_000
"""Rows below which ``auto`` searches exactly (docs/performance.md has the timings)."""
HNSW = "HNSW32"
HNSW_EF_SEARCH = 256
"""HNSW's search breadth (recall@10 against exact in docs/performance.md: at 1M
clustered vectors 0.902 at 0.50 ms p50, against 0.851 at 0.36 ms with 128; at 100k
0.998 either way)."""
IVF_NPROBE = 32


def dense_factory(rows: int, dimension: int, kind: str = "auto") -> str:
    """The FAISS ``index_factory`` string for ``rows`` vectors of ``dimension``.

    Args:
        rows: vectors in the index.
        dimension: their dimension.
        kind: ``auto`` (exact below :data:`EXACT_BELOW` rows, HNSW above), ``flat``
            (always exact), ``hnsw``, or ``ivfpq``.

    Raises:
        ValueError: for an unknown kind.
    """
    if kind not in DENSE_KINDS:
        raise ValueError(f"unknown dense index kind {kind!r}: choose one of {DENSE_KINDS}")
    if kind == "flat" or (kind == "auto" and rows < EXACT_BELOW):
        return "Flat"
    if kind == "ivfpq":
        lists = max(16, min(65536, int(4 * rows**0.5)))
        m = next(m for m in (64, 48, 32, 24, 16, 12, 8, 4, 2, 1) if dimension % m == 0)
        return f"IVF{lists},PQ{m}"
    return HNSW


logger = logging.getLogger(__name__)


def _as_matrix(vectors: npt.ArrayLike) -> npt.NDArray[np.float32]:
    """``vectors`` as a C-contiguous float32 matrix (no copy when it already is one)."""
    array = np.asarray(vectors)
    if array.ndim != 2:
        raise ValueError(f"vectors must be a 2-D array (rows, dimension), got shape {array.shape}")
    if array.shape[1] == 0:
        raise ValueError("vectors must have a dimension greater than 0")
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"vectors must be floating point, got dtype {array.dtype}")
    return np.ascontiguousarray(array, dtype=np.float32)


def _search_parameters(index: faiss.Index, selector: faiss.IDSelector) -> Any:
    """Search parameters of the right class for ``index``, carrying ``selector``.

    The parameter objects keep references to what they are given (faiss's wrappers),
    so the selector and nested parameters live as long as the returned object.
    """
    import faiss

    # faiss's type stubs lack the keyword constructors its Python wrappers add.
    fx: Any = faiss
    if isinstance(index, faiss.IndexPreTransform):
        inner = _search_parameters(index.index, selector)
        return fx.SearchParametersPreTransform(index_params=inner)
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        return fx.SearchParametersIVF(sel=selector, nprobe=ivf.nprobe)
    if isinstance(index, faiss.IndexHNSW):
        return fx.SearchParametersHNSW(sel=selector, efSearch=index.hnsw.efSearch)
    return fx.SearchParameters(sel=selector)


def _flat_view(index: faiss.Index) -> npt.NDArray[np.float32] | None:
    """The vectors of a flat FAISS storage, as a zero-copy numpy view (None for other
    storages)."""
    import faiss

    storage = faiss.downcast_index(index)
    if not isinstance(storage, faiss.IndexFlat):
        return None
    n, d = int(storage.ntotal), int(storage.d)
    if n == 0:
        return np.empty((0, d), dtype=np.float32)
    view = faiss.rev_swig_ptr(storage.get_xb(), n * d).reshape(n, d)
    view.flags.writeable = False
    return view


class DenseIndex:
    """Inner-product search over rows of vectors: exact (numpy) or through FAISS.

    Build with :meth:`build` or read with :meth:`load`; the constructor only wraps parts.

    Args:
        index: a trained FAISS index using ``METRIC_INNER_PRODUCT``, or None for exact
            search over ``vectors``.
        vectors: the float32 vectors (row ``i`` is id ``i``); required without
            ``index``; with an HNSW index they are read from its storage when omitted.

    Raises:
        ValueError: when the index does not use inner product or disagrees with
            ``vectors``, or there is neither.
    """

    def __init__(
        self, index: faiss.Index | None, vectors: npt.NDArray[np.float32] | None = None
    ) -> None:
        self._owner = index  # keeps FAISS memory behind zero-copy views alive
        if index is not None:
            import faiss

            if index.metric_type != faiss.METRIC_INNER_PRODUCT:
                raise ValueError("the FAISS index must use METRIC_INNER_PRODUCT")
            if isinstance(index, faiss.IndexFlat):
                # Exact search needs no FAISS copy of the vectors: search them directly.
                if vectors is not None and np.shape(vectors) != (index.ntotal, index.d):
                    raise ValueError(
                        f"vectors have shape {np.shape(vectors)} but the FAISS index holds "
                        f"({index.ntotal}, {index.d})"
                    )
                vectors = vectors if vectors is not None else _flat_view(index)
                index = None
            elif vectors is None and isinstance(index, faiss.IndexHNSW):
                vectors = _flat_view(index.storage)
        if vectors is not None:
            vectors = _as_matrix(vectors)
            expected = None if index is None else (int(index.ntotal), int(index.d))
            if expected is not None and vectors.shape != expected:
                raise ValueError(
                    f"vectors have shape {vectors.shape} but the FAISS index holds {expected}"
                )
            if vectors.flags.writeable:
                vectors = vectors.view()
                vectors.flags.writeable = False
        elif index is None:
            raise ValueError("an exact index needs its vectors")
        self._index = index
        self._vectors = vectors

    @classmethod
    def build(cls, vectors: npt.ArrayLike, factory: str = "Flat") -> DenseIndex:
        """Index ``vectors``; row ``i`` gets id ``i``.

        Args:
            vectors: a (rows, dimension) float array, normally L2-normalised.
            factory: a ``faiss.index_factory`` description (``"Flat"``, ``"HNSW32"``,
                ``"IVF1024,PQ48"``; see :func:`dense_factory`); indexes that need
                training are trained on ``vectors``. ``"Flat"`` searches exactly over
                the vectors, without FAISS.

        Returns:
            The index.

        Raises:
            ValueError: for a bad array, an invalid factory string, or too few vectors
                to train the index.
        """
        import faiss

        matrix = _as_matrix(vectors)
        if factory == "Flat":
            return cls(None, matrix)
        try:
            index = faiss.index_factory(matrix.shape[1], factory, faiss.METRIC_INNER_PRODUCT)
        except RuntimeError as err:
            raise ValueError(f"invalid FAISS factory string {factory!r}: {err}") from err
        if not index.is_trained:
            try:
                index.train(matrix)
            except RuntimeError as err:
                raise ValueError(
                    f"cannot train a {factory!r} index on {matrix.shape[0]} vectors: {err}; "
                    "use 'Flat' for small corpora"
                ) from err
        if isinstance(index, faiss.IndexHNSW):
            index.hnsw.efSearch = HNSW_EF_SEARCH
        ivf = faiss.try_extract_index_ivf(index)
        if ivf is not None:
            ivf.nprobe = min(IVF_NPROBE, ivf.nlist)
        if matrix.shape[0]:
            index.add(matrix)
        logger.debug("dense index %r: %d vectors of %d", factory, *matrix.shape)
        keep = None if isinstance(index, faiss.IndexHNSW) else matrix
        return cls(index, keep)

    @property
    def dimension(self) -> int:
        """Vector dimension."""
        if self._index is not None:
            return int(self._index.d)
        assert self._vectors is not None
        return int(self._vectors.shape[1])

    @property
    def size(self) -> int:
        """Number of rows."""
        if self._index is not None:
            return int(self._index.ntotal)
        assert self._vectors is not None
        return int(self._vectors.shape[0])

    @property
    def kind(self) -> str:
        """``flat`` (exact), ``hnsw``, ``ivfpq``, or the FAISS class name."""
        if self._index is None:
            return "flat"
        import faiss

        if isinstance(self._index, faiss.IndexHNSW):
            return "hnsw"
        if faiss.try_extract_index_ivf(self._index) is not None:
            return "ivfpq" if "PQ" in type(faiss.downcast_index(self._index)).__name__ else "ivf"
        return type(self._index).__name__

    @property
    def exact(self) -> bool:
        """Whether searches are exact (no FAISS index)."""
        return self._index is None

    @property
    def holds_vectors(self) -> bool:
        """Whether the FAISS file holds the vectors themselves (HNSW's flat storage), so
        they need not be saved beside it."""
        import faiss

        return self._index is not None and isinstance(self._index, faiss.IndexHNSW)

    @property
    def vectors(self) -> npt.NDArray[np.float32] | None:
        """The indexed vectors (read-only), or ``None`` when the index keeps only codes
        and was loaded without them."""
        return self._vectors

    def search(
        self,
        query_vector: npt.ArrayLike,
        k: int,
        mask: npt.NDArray[np.bool_] | None = None,
    ) -> Hits:
        """The ``k`` rows with the largest inner product with ``query_vector``.

        Args:
            query_vector: shape ``(dimension,)`` or ``(1, dimension)``.
            k: the most hits to return (clamped to the number of rows).
            mask: optional boolean array over rows; only rows where it is True can hit.

        Returns:
            Hits, best first (fewer than ``k`` when the mask or an approximate index
            leaves fewer).

        Raises:
            ValueError: for a non-positive ``k``, a query of the wrong shape, or a mask of
                the wrong type or shape.
        """
        if k <= 0:
            raise ValueError("k must be greater than 0")
        query = np.asarray(query_vector, dtype=np.float32).reshape(1, -1)
        if query.shape[1] != self.dimension:
            raise ValueError(
                f"query vector has dimension {query.shape[1]}, the index has {self.dimension}"
            )
        size = self.size
        if mask is not None:
            mask = np.asarray(mask)
            if mask.dtype != np.bool_:
                raise ValueError(f"mask must be a boolean array, got dtype {mask.dtype}")
            if mask.shape != (size,):
                raise ValueError(
                    f"mask must have shape ({size},) (one entry per row), got {mask.shape}"
                )
            if not mask.any():
                return Hits.empty()
        if size == 0:
            return Hits.empty()
        if self._index is None:
            return self._exact(query[0], min(k, size), mask)
        params: Any = None
        bitmap: npt.NDArray[np.uint8] | None = None
        if mask is not None:
            import faiss

            # bitmap must outlive the search: the selector only holds a pointer to it.
            bitmap = np.packbits(mask, bitorder="little")
            selector = faiss.IDSelectorBitmap(size, faiss.swig_ptr(bitmap))
            params = _search_parameters(self._index, selector)
        query = np.ascontiguousarray(query)
        scores, ids = self._index.search(query, min(k, size), params=params)
        del bitmap
        found = ids[0] >= 0
        return Hits(ids[0][found].astype(np.int64), scores[0][found].astype(np.float32))

    def _exact(
        self, query: npt.NDArray[np.float32], k: int, mask: npt.NDArray[np.bool_] | None
    ) -> Hits:
        assert self._vectors is not None
        scores = self._vectors @ query
        if mask is not None:
            scores = np.where(mask, scores, -np.inf).astype(np.float32)
            k = min(k, int(mask.sum()))
        if k < scores.shape[0]:
            top = np.argpartition(-scores, k - 1)[:k]
        else:
            top = np.arange(scores.shape[0])
        order = top[np.lexsort((top, -scores[top]))]
        return Hits(order.astype(np.int64), scores[order].astype(np.float32))

    def save(self, path: str | Path) -> None:
        """Write the index to ``path``: the FAISS index (for an exact one, a FAISS flat
        index of its vectors).

        Args:
            path: the file to write.
        """
        import faiss

        index = self._index
        if index is None:
            assert self._vectors is not None
            index = faiss.IndexFlatIP(self.dimension)
            index.add(np.ascontiguousarray(self._vectors))
        faiss.write_index(index, str(path))

    @classmethod
    def load(
        cls, path: str | Path, vectors: npt.NDArray[np.float32] | None = None, *, mmap: bool = True
    ) -> DenseIndex:
        """Read an index written by :meth:`save`.

        Args:
            path: the file given to :meth:`save`.
            vectors: the vectors it was built from (an IVF-PQ index keeps only codes);
                an HNSW or flat file holds its own.
            mmap: map a flat storage's vectors from the file instead of reading them.

        Returns:
            The index.

        Raises:
            FileNotFoundError: when ``path`` does not exist.
            ValueError: when the file is not a FAISS inner-product index or disagrees
                with ``vectors``.
        """
        import faiss

        if not Path(path).is_file():
            raise FileNotFoundError(f"no FAISS index at {path}")
        try:
            index = faiss.read_index(str(path), faiss.IO_FLAG_MMAP_IFC if mmap else 0)
        except RuntimeError as err:
            raise ValueError(f"cannot read the FAISS index at {path}: {err}") from err
        return cls(index, vectors)
