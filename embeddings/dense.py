"""The dense index: FAISS inner product over L2-normalised embeddings.

Filtering by a row mask happens inside FAISS through an ``IDSelectorBitmap``, so a
filtered search never scans rows in Python. The float32 vectors are kept next to the
FAISS index so that an update can rebuild it without encoding unchanged chunks again.
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

__all__ = ["DenseIndex"]

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


class DenseIndex:
    """A FAISS inner-product index over rows of vectors.

    Build with :meth:`build` or read with :meth:`load`; the constructor only wraps parts.

    Args:
        index: a trained FAISS index using ``METRIC_INNER_PRODUCT``.
        vectors: the float32 vectors it holds (row ``i`` is id ``i``), or ``None``.

    Raises:
        ValueError: when the index does not use inner product or disagrees with
            ``vectors``.
    """

    def __init__(self, index: faiss.Index, vectors: npt.NDArray[np.float32] | None = None) -> None:
        import faiss

        if index.metric_type != faiss.METRIC_INNER_PRODUCT:
            raise ValueError("the FAISS index must use METRIC_INNER_PRODUCT")
        if vectors is not None:
            vectors = _as_matrix(vectors)
            if vectors.shape != (index.ntotal, index.d):
                raise ValueError(
                    f"vectors have shape {vectors.shape} but the FAISS index holds "
                    f"({index.ntotal}, {index.d})"
                )
            vectors = vectors.view()
            vectors.flags.writeable = False
        self._index = index
        self._vectors = vectors

    @classmethod
    def build(cls, vectors: npt.ArrayLike, factory: str = "Flat") -> DenseIndex:
        """Index ``vectors``; row ``i`` gets id ``i``.

        Args:
            vectors: a (rows, dimension) float array, normally L2-normalised.
            factory: a ``faiss.index_factory`` description (``"Flat"``, ``"HNSW32"``,
                ``"IVF1024,Flat"``); indexes that need training are trained on ``vectors``.

        Returns:
            The index, keeping ``vectors`` as float32.

        Raises:
            ValueError: for a bad array, an invalid factory string, or too few vectors
                to train the index.
        """
        import faiss

        matrix = _as_matrix(vectors)
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
        if matrix.shape[0]:
            index.add(matrix)
        logger.debug("dense index %r: %d vectors of %d", factory, *matrix.shape)
        return cls(index, matrix)

    @property
    def dimension(self) -> int:
        """Vector dimension."""
        return int(self._index.d)

    @property
    def size(self) -> int:
        """Number of rows."""
        return int(self._index.ntotal)

    @property
    def vectors(self) -> npt.NDArray[np.float32] | None:
        """The indexed vectors (read-only), or ``None`` when loaded without them."""
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
        params: Any = None
        bitmap: npt.NDArray[np.uint8] | None = None
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
            import faiss

            # bitmap must outlive the search: the selector only holds a pointer to it.
            bitmap = np.packbits(mask, bitorder="little")
            selector = faiss.IDSelectorBitmap(size, faiss.swig_ptr(bitmap))
            params = _search_parameters(self._index, selector)
        if size == 0:
            return Hits.empty()
        query = np.ascontiguousarray(query)
        scores, ids = self._index.search(query, min(k, size), params=params)
        del bitmap
        found = ids[0] >= 0
        return Hits(ids[0][found].astype(np.int64), scores[0][found].astype(np.float32))

    def save(self, path: str | Path) -> None:
        """Write the FAISS index (not the vectors) to ``path``.

        Args:
            path: the file to write.
        """
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: str | Path, vectors: npt.NDArray[np.float32] | None = None) -> DenseIndex:
        """Read a FAISS index written by :meth:`save`.

        Args:
            path: the file given to :meth:`save`.
            vectors: the vectors it was built from, kept for later rebuilds.

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
            index = faiss.read_index(str(path))
        except RuntimeError as err:
            raise ValueError(f"cannot read the FAISS index at {path}: {err}") from err
        return cls(index, vectors)
