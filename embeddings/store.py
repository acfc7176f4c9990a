"""The on-disk index: documents, chunks, BM25, and (optionally) vectors with FAISS.

Layout of an index directory::

    manifest.json     settings, counts, per-document content hashes, created_at
    documents.jsonl   the cleaned documents, one JSON object per line
    chunks.jsonl      the chunks, in row order (row i of every index is chunk i)
    bm25/             the BM25 index (bm25s files plus our parameters file)
    vectors.npy       float32 (chunks, dimension)   -- only with a model
    dense.faiss       the FAISS index               -- only with a model

A save writes everything into a sibling temporary directory, syncs it, and swaps it in
with renames, so a crash leaves either the previous index or the new one under the
target name, never a half-written one. Loading reads only these files: never the raw
articles, and never the model.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import numpy.typing as npt

from corpus.chunking import ChunkingConfig
from corpus.errors import EmptyCorpusError
from corpus.normalize import NORMALIZATION_VERSION
from corpus.progress import Progress
from corpus.types import Chunk, Document
from embeddings.dense import DenseIndex
from embeddings.encoder import Encoder
from embeddings.errors import (
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
)
from embeddings.sparse import BM25Index
from embeddings.tokenize import DEFAULT_TOKENIZER, TOKENIZER_NAMES

__all__ = [
    "FORMAT_VERSION",
    "IndexSettings",
    "IndexSnapshot",
    "build_snapshot",
    "load_snapshot",
    "save_snapshot",
    "settings_compatible",
]

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1

MANIFEST = "manifest.json"
DOCUMENTS = "documents.jsonl"
CHUNKS = "chunks.jsonl"
BM25_DIR = "bm25"
VECTORS = "vectors.npy"
DENSE = "dense.faiss"


def _ingest_hint(directory: str | Path) -> str:
    return f"qa ingest corpus/articles --index {directory}"


@dataclass(frozen=True, slots=True)
class IndexSettings:
    """Everything an index's content depends on; an index is reusable only if equal.

    Attributes:
        chunking: chunk size and overlap.
        tokenizer: BM25 tokenizer name (see :data:`embeddings.tokenize.TOKENIZER_NAMES`).
        model: embedding model name or path; "" for a lexical-only index.
        dimension: embedding dimension; 0 for lexical only, or "not known yet" when a
            model is named (filled in from the encoder by :func:`build_snapshot`).
        normalization: version of :func:`corpus.normalize.normalize_for_matching`.
        format_version: version of the on-disk layout.

    Raises:
        ValueError: for an unknown tokenizer or a negative dimension, or a dimension
            without a model.
    """

    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    tokenizer: str = DEFAULT_TOKENIZER
    model: str = ""
    dimension: int = 0
    normalization: str = NORMALIZATION_VERSION
    format_version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        if self.tokenizer not in TOKENIZER_NAMES:
            raise ValueError(
                f"unknown tokenizer {self.tokenizer!r}: choose one of "
                f"{', '.join(repr(n) for n in TOKENIZER_NAMES)}"
            )
        if self.dimension < 0:
            raise ValueError("dimension must be at least 0")
        if not self.model and self.dimension:
            raise ValueError("dimension must be 0 for a lexical-only index (model is empty)")

    @property
    def lexical_only(self) -> bool:
        """Whether the index has no dense vectors."""
        return not self.model

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form, as stored in the manifest."""
        return {
            "format_version": self.format_version,
            "normalization": self.normalization,
            "chunking": {
                "chunk_size": self.chunking.chunk_size,
                "chunk_overlap": self.chunking.chunk_overlap,
            },
            "tokenizer": self.tokenizer,
            "model": {"name": self.model, "dimension": self.dimension},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IndexSettings:
        """Inverse of :meth:`to_dict`.

        Raises:
            KeyError, TypeError, ValueError: when ``data`` is not a settings dict.
        """
        chunking = data["chunking"]
        model = data["model"]
        return cls(
            chunking=ChunkingConfig(int(chunking["chunk_size"]), int(chunking["chunk_overlap"])),
            tokenizer=str(data["tokenizer"]),
            model=str(model["name"]),
            dimension=int(model["dimension"]),
            normalization=str(data["normalization"]),
            format_version=int(data["format_version"]),
        )


def settings_compatible(
    index: IndexSettings, expected: IndexSettings, *, check_model: bool = True
) -> str | None:
    """Why an index built with ``index`` settings cannot serve ``expected``, if it cannot.

    Args:
        index: the settings the index was built with.
        expected: the settings the caller wants.
        check_model: compare the model too (including lexical-only versus dense);
            pass False when only lexical retrieval will be used.

    Returns:
        None when compatible, else a one-line reason naming both values.
    """
    if index.format_version != expected.format_version:
        return (
            f"index format version is {index.format_version}, "
            f"this version reads {expected.format_version}"
        )
    if index.normalization != expected.normalization:
        return (
            f"text normalization is {index.normalization!r} in the index, "
            f"{expected.normalization!r} now"
        )
    if index.chunking != expected.chunking:
        a, b = index.chunking, expected.chunking
        return (
            f"chunking is chunk_size={a.chunk_size}, chunk_overlap={a.chunk_overlap} in the "
            f"index, chunk_size={b.chunk_size}, chunk_overlap={b.chunk_overlap} requested"
        )
    if index.tokenizer != expected.tokenizer:
        return f"tokenizer is {index.tokenizer!r} in the index, {expected.tokenizer!r} requested"
    if not check_model:
        return None
    if index.model != expected.model:
        if not index.model:
            return (
                f"the index is lexical only (built without an embedding model), "
                f"model {expected.model!r} requested"
            )
        if not expected.model:
            return (
                f"the index has vectors of model {index.model!r}, lexical-only (no model) requested"
            )
        return f"model is {index.model!r} in the index, {expected.model!r} requested"
    if index.dimension and expected.dimension and index.dimension != expected.dimension:
        return f"dimension is {index.dimension} in the index, {expected.dimension} requested"
    return None


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


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def build_snapshot(
    documents: Sequence[Document],
    chunks: Sequence[Chunk],
    settings: IndexSettings,
    *,
    encoder: Encoder | None,
    previous: IndexSnapshot | None = None,
    progress: Progress | None = None,
    dense_factory: str = "Flat",
) -> IndexSnapshot:
    """Build a complete index in memory.

    Chunks whose text was embedded in ``previous`` (built with compatible settings)
    reuse that vector; only new or changed chunk texts are encoded, in batches. BM25 is
    rebuilt over all chunks (its statistics depend on the whole corpus).

    Args:
        documents: all documents of the new index.
        chunks: all their chunks, in row order.
        settings: the settings; ``settings.model`` must be ``encoder.model`` (or "" with
            no encoder); a ``dimension`` of 0 is filled in from the encoder.
        encoder: the encoder, or None for a lexical-only index.
        previous: the current index, whose vectors may be reused.
        progress: called as ``progress("embed" | "bm25", done, total)``.
        dense_factory: FAISS ``index_factory`` string of the dense index.

    Returns:
        The new snapshot.

    Raises:
        EmptyCorpusError: when there are no chunks.
        ValueError: when settings and encoder disagree, or documents/chunks are
            inconsistent (duplicate ids, chunks of absent documents).
        ModelUnavailableError: when the encoder's model cannot be loaded.
    """
    if not chunks:
        raise EmptyCorpusError(
            "nothing to index: the documents produced no chunks (are the articles empty?)"
        )
    if encoder is None and settings.model:
        raise ValueError(
            f"settings name model {settings.model!r} but no encoder was given; pass an "
            "Encoder, or use model='' for a lexical-only index"
        )
    if encoder is not None:
        if not settings.model:
            raise ValueError("an encoder was given but settings.model is '' (lexical only)")
        if encoder.model != settings.model:
            raise ValueError(
                f"settings.model is {settings.model!r} but the encoder loads {encoder.model!r}"
            )
        dimension = encoder.dimension
        if settings.dimension and settings.dimension != dimension:
            raise ValueError(
                f"settings.dimension is {settings.dimension} but model {encoder.model!r} "
                f"produces {dimension}"
            )
        settings = replace(settings, dimension=dimension)

    docs = tuple(documents)
    rows = tuple(chunks)
    texts = [c.text for c in rows]
    tokenizer = (
        previous.bm25.tokenizer
        if previous is not None and previous.bm25.tokenizer_name == settings.tokenizer
        else settings.tokenizer
    )
    # Validate ids before the expensive steps.
    doc_ids = {d.id for d in docs}
    if len(doc_ids) != len(docs):
        raise ValueError("documents have duplicate ids")
    for c in rows:
        if c.doc_id not in doc_ids:
            raise ValueError(f"chunk {c.id!r} refers to document {c.doc_id!r}, which is absent")

    vectors: npt.NDArray[np.float32] | None = None
    dense: DenseIndex | None = None
    if encoder is not None:
        vectors = _embed(texts, settings, encoder, previous, progress)
        dense = DenseIndex.build(vectors, dense_factory)
    bm25 = BM25Index.build(texts, tokenizer, progress=progress)
    return IndexSnapshot(
        settings=settings,
        documents=docs,
        chunks=rows,
        bm25=bm25,
        dense=dense,
        vectors=vectors,
        created_at=_now(),
    )


def _embed(
    texts: list[str],
    settings: IndexSettings,
    encoder: Encoder,
    previous: IndexSnapshot | None,
    progress: Progress | None,
) -> npt.NDArray[np.float32]:
    """Vectors of ``texts``, reusing ``previous`` ones for unchanged texts."""
    out = np.empty((len(texts), settings.dimension), dtype=np.float32)
    reusable: dict[str, int] = {}
    if (
        previous is not None
        and previous.vectors is not None
        and settings_compatible(previous.settings, settings) is None
    ):
        # A chunk's vector depends only on its text and the settings, so any unchanged
        # text (same chunk, or the same text moved) keeps its vector.
        reusable = {c.text: i for i, c in enumerate(previous.chunks)}
    dst_reuse: list[int] = []
    src_reuse: list[int] = []
    missing: list[int] = []
    for i, text in enumerate(texts):
        j = reusable.get(text)
        if j is None:
            missing.append(i)
        else:
            dst_reuse.append(i)
            src_reuse.append(j)
    if dst_reuse:
        assert previous is not None and previous.vectors is not None
        out[dst_reuse] = previous.vectors[src_reuse]
    logger.info("embedding %d chunks, reusing %d vectors", len(missing), len(dst_reuse))
    if missing:
        out[missing] = encoder.encode([texts[i] for i in missing], progress=progress)
    elif progress is not None:
        progress("embed", 0, 0)
    return out


def _write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as fh:
        for record in records:
            fh.write(json.dumps(record, ensure_ascii=False))
            fh.write("\n")


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # directories cannot be opened on some platforms (Windows)
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            with open(os.path.join(dirpath, name), "rb") as fh:
                os.fsync(fh.fileno())
        _fsync_dir(Path(dirpath))


def _write_contents(snapshot: IndexSnapshot, directory: Path) -> None:
    """Write every file of the index into an empty ``directory``; the manifest last."""
    _write_jsonl(directory / DOCUMENTS, (d.to_dict() for d in snapshot.documents))
    _write_jsonl(directory / CHUNKS, (c.to_dict() for c in snapshot.chunks))
    snapshot.bm25.save(directory / BM25_DIR)
    if snapshot.dense is not None and snapshot.vectors is not None:
        np.save(directory / VECTORS, np.ascontiguousarray(snapshot.vectors), allow_pickle=False)
        snapshot.dense.save(directory / DENSE)
    manifest = snapshot.settings.to_dict()
    manifest.update(
        {
            "created_at": snapshot.created_at or _now(),
            "counts": {
                "documents": len(snapshot.documents),
                "chunks": len(snapshot.chunks),
                "bm25_vocabulary": snapshot.bm25.vocab_size,
            },
            "bm25": snapshot.bm25.params,
            "documents": {d.id: d.content_hash for d in snapshot.documents},
        }
    )
    (directory / MANIFEST).write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8"
    )


def save_snapshot(snapshot: IndexSnapshot, directory: str | Path) -> None:
    """Write ``snapshot`` to ``directory`` atomically, replacing any index there.

    The files go to a temporary sibling directory first, are synced to disk, and then
    replace the target by renames; if anything fails the previous index stays as it was.

    Args:
        snapshot: the index to write.
        directory: the index directory (its parent is created if needed).

    Raises:
        IndexWriteError: when the files cannot be written, or ``directory`` exists and
            holds something other than an index (it is never overwritten then).
    """
    target = Path(directory)
    if target.exists() and (
        not target.is_dir() or (any(target.iterdir()) and not (target / MANIFEST).is_file())
    ):
        raise IndexWriteError(
            f"{target} exists and is not an index; choose a new or empty directory for --index"
        )
    tag = uuid.uuid4().hex[:12]
    parent = target.parent
    tmp = parent / f".{target.name}.tmp-{tag}"
    old = parent / f".{target.name}.old-{tag}"
    try:
        parent.mkdir(parents=True, exist_ok=True)
        tmp.mkdir()
        _write_contents(snapshot, tmp)
        _fsync_tree(tmp)
        if target.exists():
            os.replace(target, old)
            try:
                os.replace(tmp, target)
            except BaseException:
                os.replace(old, target)
                raise
        else:
            os.replace(tmp, target)
        _fsync_dir(parent)
    except OSError as err:
        raise IndexWriteError(
            f"cannot write the index to {target}: {err}; any previous index there is unchanged"
        ) from err
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    shutil.rmtree(old, ignore_errors=True)
    logger.info("saved index to %s (%d chunks)", target, len(snapshot.chunks))


def _corrupt(directory: Path, what: str) -> IndexCorruptError:
    return IndexCorruptError(
        f"the index at {directory} is damaged ({what}); delete it and re-ingest: "
        f"{_ingest_hint(directory)}"
    )


def load_snapshot(directory: str | Path, expected: IndexSettings | None = None) -> IndexSnapshot:
    """Read an index written by :func:`save_snapshot`.

    Only the index's own files are read: no raw article, no model.

    Args:
        directory: the index directory.
        expected: the settings the caller needs; any difference (see
            :func:`settings_compatible`) raises. None accepts any settings (check
            ``snapshot.settings`` yourself).

    Returns:
        The snapshot.

    Raises:
        IndexNotFoundError: when the directory or its manifest does not exist.
        IndexCorruptError: when files are missing, unreadable or inconsistent.
        IndexMismatchError: when the index was written in another format version or
            with settings other than ``expected``.
    """
    root = Path(directory)
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        where = "does not exist" if not root.exists() else "has no manifest.json"
        raise IndexNotFoundError(
            f"no index at {root} (the directory {where}); build one with "
            f"`qa ingest PATH --index {root}`"
        )
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        version = int(manifest["format_version"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise _corrupt(root, f"unreadable manifest.json: {err}") from err
    if version != FORMAT_VERSION:
        raise IndexMismatchError(
            f"the index at {root} has format version {version}, this version reads "
            f"{FORMAT_VERSION}; re-ingest to rebuild it: {_ingest_hint(root)}"
        )
    try:
        settings = IndexSettings.from_dict(manifest)
        counts = manifest["counts"]
        n_docs, n_chunks = int(counts["documents"]), int(counts["chunks"])
        hashes = dict(manifest["documents"])
    except (ValueError, KeyError, TypeError) as err:
        raise _corrupt(root, f"invalid manifest.json: {err}") from err
    if expected is not None:
        reason = settings_compatible(settings, expected)
        if reason is not None:
            raise IndexMismatchError(
                f"the index at {root} was built with other settings: {reason}; "
                f"re-ingest to rebuild it: {_ingest_hint(root)}"
            )

    try:
        documents = tuple(Document.from_dict(d) for d in _read_jsonl(root / DOCUMENTS))
        chunks = tuple(Chunk.from_dict(c) for c in _read_jsonl(root / CHUNKS))
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise _corrupt(root, f"cannot read documents or chunks: {err}") from err
    if len(documents) != n_docs or len(chunks) != n_chunks:
        raise _corrupt(
            root,
            f"{len(documents)} documents and {len(chunks)} chunks on disk, the manifest "
            f"says {n_docs} and {n_chunks}",
        )
    if {d.id: d.content_hash for d in documents} != hashes:
        raise _corrupt(root, "documents.jsonl disagrees with the manifest's content hashes")

    try:
        bm25 = BM25Index.load(root / BM25_DIR)
    except (IndexNotFoundError, IndexCorruptError) as err:
        raise _corrupt(root, str(err)) from err
    if bm25.tokenizer_name != settings.tokenizer:
        raise _corrupt(root, "the BM25 index's tokenizer disagrees with the manifest")

    dense: DenseIndex | None = None
    vectors: npt.NDArray[np.float32] | None = None
    if settings.model:
        try:
            # Memory-mapped: the vectors are only read when an update reuses them.
            vectors = np.load(root / VECTORS, mmap_mode="r", allow_pickle=False)
            if vectors.dtype != np.float32:
                raise ValueError(f"vectors.npy holds {vectors.dtype}, not float32")
            dense = DenseIndex.load(root / DENSE, vectors)
        except (OSError, ValueError) as err:
            raise _corrupt(root, f"cannot read the vectors or the FAISS index: {err}") from err
    try:
        return IndexSnapshot(
            settings=settings,
            documents=documents,
            chunks=chunks,
            bm25=bm25,
            dense=dense,
            vectors=vectors,
            created_at=str(manifest.get("created_at", "")),
        )
    except ValueError as err:
        raise _corrupt(root, str(err)) from err
