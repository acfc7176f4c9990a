"""Per-value document sets of a segment, for metadata filters without a scan.

* outlets: each distinct folded outlet (:func:`corpus.normalize.normalize_for_matching`)
  with the positions of its documents (one sorted list per value, CSR);
* dates: the positions of the dated documents in order of their ``published`` string,
  with those strings, so a date range is two binary searches.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from corpus.normalize import normalize_for_matching
from corpus.types import Document
from embeddings.errors import IndexCorruptError
from embeddings.mapped import load_array

__all__ = ["Facets"]

_OUTLETS = "outlets.json"
_ARRAYS = ("outlet_ptr", "outlet_docs", "dates", "date_docs")
_WIDTH = 32
_DATE = f"S{_WIDTH}"
"""Publish times are ISO 8601 strings of at most 25 characters; 32 bytes hold them."""


def _key(text: str) -> npt.NDArray[np.bytes_]:
    return np.array(text.encode("utf-8")[:_WIDTH], dtype=_DATE)


@dataclass(frozen=True, slots=True, eq=False)
class Facets:
    """Document positions by outlet and by date.

    Attributes:
        outlets: the distinct folded outlets, sorted.
        outlet_ptr: the documents of ``outlets[i]`` are ``outlet_docs[ptr[i]:ptr[i+1]]``.
        outlet_docs: document positions grouped by outlet, ascending in each group.
        dates: the ``published`` strings of dated documents (UTF-8), ascending.
        date_docs: the positions of those documents, in the same order.
    """

    outlets: tuple[str, ...]
    outlet_ptr: npt.NDArray[np.int64]
    outlet_docs: npt.NDArray[np.int32]
    dates: npt.NDArray[np.bytes_]
    date_docs: npt.NDArray[np.int32]

    @classmethod
    def build(cls, documents: Sequence[Document]) -> Facets:
        """The facets of documents in position order."""
        return cls.from_values(
            [normalize_for_matching(d.outlet) for d in documents],
            [d.published for d in documents],
        )

    @classmethod
    def from_values(cls, outlets: Sequence[str], published: Sequence[str]) -> Facets:
        """The facets of documents with these folded outlets and publish times."""
        values = sorted(set(outlets))
        code = {v: i for i, v in enumerate(values)}
        codes = np.fromiter((code[o] for o in outlets), dtype=np.int64, count=len(outlets))
        order = np.argsort(codes, kind="stable").astype(np.int32)
        ptr = np.zeros(len(values) + 1, dtype=np.int64)
        np.cumsum(np.bincount(codes, minlength=len(values)), out=ptr[1:])
        stamps = np.array([p.encode("utf-8")[:_WIDTH] for p in published], dtype=_DATE)
        dated = np.flatnonzero(stamps != b"")
        by_date = dated[np.argsort(stamps[dated], kind="stable")]
        return cls(tuple(values), ptr, order, stamps[by_date], by_date.astype(np.int32))

    def outlet_positions(self, folded: Sequence[str]) -> npt.NDArray[np.int64]:
        """Positions of the documents whose folded outlet is one of ``folded`` (sorted)."""
        parts = []
        for value in set(folded):
            at = _find(self.outlets, value)
            if at is not None:
                parts.append(self.outlet_docs[self.outlet_ptr[at] : self.outlet_ptr[at + 1]])
        if not parts:
            return np.empty(0, dtype=np.int64)
        return np.sort(np.concatenate(parts)).astype(np.int64)

    def date_positions(self, start: str = "", end: str = "") -> npt.NDArray[np.int64]:
        """Positions of dated documents with ``start <= published`` and ``published`` at
        most ``end`` on ``end``'s length (``"2024-07-01"`` includes that whole day);
        empty bounds are open. Sorted."""
        lo = int(np.searchsorted(self.dates, _key(start), side="left")) if start else 0
        hi = (
            int(np.searchsorted(self.dates, _key(end + "\uffff"), side="right"))
            if end
            else self.dates.shape[0]
        )
        return np.sort(self.date_docs[lo : max(lo, hi)]).astype(np.int64)

    def save(self, directory: str | Path) -> None:
        """Write the facets into ``directory``."""
        path = Path(directory)
        (path / _OUTLETS).write_text(json.dumps(list(self.outlets), ensure_ascii=False), "utf-8")
        for name in _ARRAYS:
            np.save(path / f"{name}.npy", getattr(self, name))

    @classmethod
    def load(cls, directory: str | Path) -> Facets:
        """Read facets written by :meth:`save` (arrays memory-mapped).

        Raises:
            IndexCorruptError: when a file is missing or unreadable.
        """
        path = Path(directory)
        try:
            outlets = tuple(json.loads((path / _OUTLETS).read_text("utf-8")))
            arrays = {n: load_array(path / f"{n}.npy") for n in _ARRAYS}
        except (OSError, ValueError) as err:
            raise IndexCorruptError(f"the facets at {path} are unreadable: {err}") from err
        return cls(outlets, **arrays)


def _find(values: tuple[str, ...], value: str) -> int | None:
    import bisect

    at = bisect.bisect_left(values, value)
    return at if at < len(values) and values[at] == value else None
