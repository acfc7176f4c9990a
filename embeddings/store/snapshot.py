"""The in-memory index: an immutable snapshot of documents, chunks, BM25 and vectors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np
import numpy.typing as npt

from corpus.types import Chunk, Document
from embeddings.dense import DenseIndex
from embeddings.sparse import BM25Index
from embeddings.store.settings import IndexSettings

__all__ = ["IndexSnapshot"]


@dataclass(frozen=True, slots=True, eq=False)
class IndexSnapshot:
    """A loaded (or freshly built) index; never changes after construction.

    Row ``i`` of :attr:`bm25`, :attr:`dense` and :attr:`vectors` is ``chunks[i]``.

    Attributes:
        settings: what the index was built with (dimension filled in).
        documents: the documents.
        chunks: the chunks, in row order.
        bm25: the sparse index.
        dense: the dense index, or None for a lexical-only index.
        vectors: the chunk embeddings (read-only), or None for a lexical-only index.
        created_at: when the index was built (ISO 8601, UTC).

    Raises:
        ValueError: when the parts disagree (row counts, unknown document ids,
            duplicate ids, vectors without a model).
    """

    settings: IndexSettings
    documents: tuple[Document, ...]
    chunks: tuple[Chunk, ...]
    bm25: BM25Index
    dense: DenseIndex | None = None
    vectors: npt.NDArray[np.float32] | None = None
    created_at: str = ""
    _doc_by_id: Mapping[str, Document] = field(init=False, repr=False)
    _doc_pos: Mapping[str, int] = field(init=False, repr=False)
    _row_by_chunk_id: Mapping[str, int] = field(init=False, repr=False)
    _chunk_doc: npt.NDArray[np.int64] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        n = len(self.chunks)
        doc_pos = {doc.id: i for i, doc in enumerate(self.documents)}
        if len(doc_pos) != len(self.documents):
            raise ValueError("documents have duplicate ids")
        rows = {chunk.id: i for i, chunk in enumerate(self.chunks)}
        if len(rows) != n:
            raise ValueError("chunks have duplicate ids")
        try:
            chunk_doc = np.fromiter((doc_pos[c.doc_id] for c in self.chunks), np.int64, n)
        except KeyError as err:
            raise ValueError(
                f"a chunk refers to document {err.args[0]!r}, which is absent"
            ) from err
        chunk_doc.flags.writeable = False
        if self.bm25.size != n:
            raise ValueError(f"the BM25 index has {self.bm25.size} rows for {n} chunks")
        if self.settings.lexical_only:
            if self.dense is not None or self.vectors is not None:
                raise ValueError("a lexical-only index (settings.model empty) has no vectors")
        else:
            if self.dense is None or self.vectors is None:
                raise ValueError(f"an index with model {self.settings.model!r} needs vectors")
            expected = (n, self.settings.dimension)
            if self.vectors.shape != expected or self.dense.size != n:
                raise ValueError(
                    f"vectors have shape {self.vectors.shape} and the dense index "
                    f"{self.dense.size} rows; expected {expected}"
                )
            if self.dense.dimension != self.settings.dimension:
                raise ValueError("the dense index dimension disagrees with the settings")
            if self.vectors.flags.writeable:
                view = self.vectors.view()
                view.flags.writeable = False
                object.__setattr__(self, "vectors", view)
        object.__setattr__(
            self, "_doc_by_id", MappingProxyType(dict(zip(doc_pos, self.documents, strict=True)))
        )
        object.__setattr__(self, "_doc_pos", MappingProxyType(doc_pos))
        object.__setattr__(self, "_row_by_chunk_id", MappingProxyType(rows))
        object.__setattr__(self, "_chunk_doc", chunk_doc)

    @property
    def size(self) -> int:
        """Number of chunks (rows)."""
        return len(self.chunks)

    @property
    def lexical_only(self) -> bool:
        """Whether the index has no dense vectors."""
        return self.dense is None

    @property
    def doc_by_id(self) -> Mapping[str, Document]:
        """Documents by id (read-only)."""
        return self._doc_by_id

    @property
    def chunk_documents(self) -> npt.NDArray[np.int64]:
        """For each row, the position of its document in :attr:`documents` (read-only)."""
        return self._chunk_doc

    def document(self, doc_id: str) -> Document:
        """The document with this id.

        Raises:
            KeyError: when there is none.
        """
        return self._doc_by_id[doc_id]

    def document_position(self, doc_id: str) -> int | None:
        """The position of the document with this id in :attr:`documents`, or None."""
        return self._doc_pos.get(doc_id)

    def document_of(self, row: int) -> Document:
        """The document that chunk row ``row`` belongs to."""
        return self.documents[int(self._chunk_doc[row])]

    def row_of(self, chunk_id: str) -> int:
        """The row of the chunk with this id.

        Raises:
            KeyError: when there is none.
        """
        return self._row_by_chunk_id[chunk_id]

    def document_mask(self, doc_ids: Iterable[str]) -> npt.NDArray[np.bool_]:
        """A row mask selecting the chunks of the given documents (unknown ids ignored).

        Args:
            doc_ids: document ids.

        Returns:
            A boolean array over rows, for the ``mask`` of the indexes' ``search``.
        """
        wanted = np.zeros(len(self.documents), dtype=np.bool_)
        positions = [self._doc_pos[d] for d in doc_ids if d in self._doc_pos]
        wanted[positions] = True
        return wanted[self._chunk_doc]
