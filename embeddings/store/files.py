"""The index directory on disk: atomic save, and load with validation.

Layout of an index directory::

    manifest.json     settings, counts, per-document content hashes, created_at
    documents.jsonl   the cleaned documents, one JSON object per line
    chunks.jsonl      the chunks, in row order (row i of every index is chunk i)
    bm25/             the BM25 index (bm25s files, document frequencies, parameters)
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
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from corpus.types import Chunk, Document
from embeddings.dense import DenseIndex
from embeddings.errors import (
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
)
from embeddings.sparse import BM25Index
from embeddings.store.build import now
from embeddings.store.settings import FORMAT_VERSION, IndexSettings, settings_compatible
from embeddings.store.snapshot import IndexSnapshot

__all__ = ["MANIFEST", "load_snapshot", "save_snapshot"]

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
DOCUMENTS = "documents.jsonl"
CHUNKS = "chunks.jsonl"
BM25_DIR = "bm25"
VECTORS = "vectors.npy"
DENSE = "dense.faiss"


def _ingest_hint(directory: str | Path) -> str:
    return f"qa ingest PATH... --index {directory} --rebuild"


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
            "created_at": snapshot.created_at or now(),
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
