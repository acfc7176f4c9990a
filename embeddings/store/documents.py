"""A segment's documents: in memory, or in a SQLite file read by position or id on demand.

A document is stored once, as the JSON of :meth:`corpus.types.Document.to_dict`; chunks
are only offsets into its text (see :mod:`embeddings.store.segment`). The SQLite file of
a segment is written once and opened read-only and ``immutable`` (no locking, shared by
every process that reads the index). The file is opened once, when the segment is: one
connection, shared by the threads (queries are serialised; each takes microseconds), so
a reader keeps reading a segment that a merge in another process has deleted since.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Protocol

from corpus.types import Document
from embeddings.errors import IndexCorruptError
from embeddings.recent import Recent

__all__ = [
    "CACHE_BYTES",
    "DOCUMENTS_FILE",
    "DocumentStore",
    "MemoryDocuments",
    "SqliteDocuments",
    "write_documents",
]

DOCUMENTS_FILE = "documents.sqlite"
CACHE_BYTES = 4 << 20
"""Memory for the documents a SQLite store keeps decoded (the passages of recent
questions), as :func:`_document_bytes` estimates it: about 1,500 news articles of 3 KB;
an index of N segments keeps at most N times this."""
_SCHEMA = """
CREATE TABLE documents (
    pos INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE alternates (alt_id TEXT NOT NULL, pos INTEGER NOT NULL);
"""
_INDEXES = """
CREATE INDEX documents_id ON documents (id);
CREATE INDEX alternates_id ON alternates (alt_id);
"""


class DocumentStore(Protocol):
    """The documents of one segment, by position (0 .. len - 1)."""

    def __len__(self) -> int: ...

    def get(self, position: int) -> Document:
        """The document at ``position``.

        Raises:
            IndexError: for a position out of range.
        """
        ...

    def get_many(self, positions: Sequence[int]) -> list[Document]:
        """The documents at ``positions``, in that order."""
        ...

    def positions(self, doc_id: str) -> list[int]:
        """The positions holding documents with this id (several where an id was
        re-added after a delete), ascending."""
        ...

    def alternate_owners(self, alt_id: str) -> list[int]:
        """The positions of documents that record ``alt_id`` as an alternate."""
        ...

    def ids(self) -> list[str]:
        """All ids, in position order."""
        ...

    def iter_documents(self) -> Iterator[Document]:
        """All documents, in position order."""
        ...

    def close(self) -> None:
        """Release files (a no-op in memory)."""
        ...


class MemoryDocuments:
    """Documents held as objects.

    Args:
        documents: the documents, in position order.
    """

    def __init__(self, documents: Sequence[Document]) -> None:
        self._docs = tuple(documents)
        self._by_id: dict[str, list[int]] = {}
        self._owners: dict[str, list[int]] = {}
        for i, doc in enumerate(self._docs):
            self._by_id.setdefault(doc.id, []).append(i)
            for alt in doc.alternates:
                self._owners.setdefault(alt.id, []).append(i)

    def __len__(self) -> int:
        return len(self._docs)

    def get(self, position: int) -> Document:
        if position < 0:
            raise IndexError(position)
        return self._docs[position]

    def get_many(self, positions: Sequence[int]) -> list[Document]:
        return [self._docs[p] for p in positions]

    def positions(self, doc_id: str) -> list[int]:
        return list(self._by_id.get(doc_id, ()))

    def alternate_owners(self, alt_id: str) -> list[int]:
        return list(self._owners.get(alt_id, ()))

    def ids(self) -> list[str]:
        return [d.id for d in self._docs]

    def iter_documents(self) -> Iterator[Document]:
        return iter(self._docs)

    def close(self) -> None:
        return None


def _encode(doc: Document) -> str:
    """``doc.to_dict()`` as JSON, built field by field (``dataclasses.asdict`` is slow)."""
    data = {
        "id": doc.id,
        "title": doc.title,
        "text": doc.text,
        "source": doc.source,
        "url": doc.url,
        "published": doc.published,
        "outlet": doc.outlet,
        "reporter": doc.reporter,
        "place": doc.place,
        "content_hash": doc.content_hash,
        "meta": [list(kv) for kv in doc.meta],
        "report": {
            "removals": [
                {"rule": r.rule, "text": r.text, "start": r.start, "end": r.end}
                for r in doc.report.removals
            ]
        },
        "alternates": [
            {
                "id": a.id,
                "source": a.source,
                "url": a.url,
                "title": a.title,
                "outlet": a.outlet,
                "published": a.published,
                "content_hash": a.content_hash,
                "similarity": a.similarity,
            }
            for a in doc.alternates
        ],
    }
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def write_documents(path: str | Path, documents: Iterable[Document]) -> int:
    """Write documents to a new SQLite file, in position order; returns how many.

    Raises:
        OSError, sqlite3.Error: when the file cannot be written.
    """
    target = Path(path)
    if target.exists():
        target.unlink()
    con = sqlite3.connect(target)
    try:
        con.execute("PRAGMA journal_mode = OFF")
        con.execute("PRAGMA synchronous = OFF")
        con.executescript(_SCHEMA)
        count = 0
        rows: list[tuple[int, str, str, str]] = []
        alternates: list[tuple[str, int]] = []
        for pos, doc in enumerate(documents):
            rows.append((pos, doc.id, doc.content_hash, _encode(doc)))
            alternates.extend((a.id, pos) for a in doc.alternates)
            count += 1
            if len(rows) >= 5000:
                con.executemany("INSERT INTO documents VALUES (?, ?, ?, ?)", rows)
                rows.clear()
        con.executemany("INSERT INTO documents VALUES (?, ?, ?, ?)", rows)
        con.executemany("INSERT INTO alternates VALUES (?, ?)", alternates)
        con.executescript(_INDEXES)
        con.commit()
        return count
    finally:
        con.close()


def _document_bytes(doc: Document) -> int:
    """What a decoded document holds, about: its texts and its object with its fields."""
    size = 600 + sys.getsizeof(doc.text) + sys.getsizeof(doc.title) + sys.getsizeof(doc.source)
    return size + sum(sys.getsizeof(k) + sys.getsizeof(v) + 64 for k, v in doc.meta)


class SqliteDocuments:
    """Documents read from a segment's SQLite file on demand (recent ones cached).

    Args:
        path: the file written by :func:`write_documents`.

    Raises:
        IndexCorruptError: when the file cannot be opened as such a database.
    """

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._cache: Recent[int, Document] = Recent(CACHE_BYTES)
        self._query = threading.Lock()
        if not self._path.is_file():
            raise IndexCorruptError(f"{self._path} is missing")
        try:
            uri = f"{self._path.resolve().as_uri()}?mode=ro&immutable=1"
            self._connection: sqlite3.Connection | None = sqlite3.connect(
                uri, uri=True, check_same_thread=False
            )
            (count,) = self._connection.execute("SELECT COUNT(*) FROM documents").fetchone()
        except sqlite3.Error as err:
            raise IndexCorruptError(f"cannot read the documents in {self._path}: {err}") from err
        self._count = int(count)

    def _rows(self, sql: str, args: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        with self._query:
            if self._connection is None:
                raise IndexCorruptError(f"{self._path} was closed")
            return self._connection.execute(sql, args).fetchall()

    def __len__(self) -> int:
        return self._count

    def get(self, position: int) -> Document:
        found = self._cache.get(position)
        if found is not None:
            return found
        if not 0 <= position < self._count:
            raise IndexError(position)
        rows = self._rows("SELECT data FROM documents WHERE pos = ?", (position,))
        if not rows:
            raise IndexCorruptError(f"{self._path} has no document at position {position}")
        doc = Document.from_dict(json.loads(str(rows[0][0])))
        return self._cache.put(position, doc, _document_bytes(doc))

    @property
    def cached_bytes(self) -> int:
        """Bytes of the documents kept decoded (as estimated; at most :data:`CACHE_BYTES`)."""
        return self._cache.used

    def get_many(self, positions: Sequence[int]) -> list[Document]:
        return [self.get(int(p)) for p in positions]

    def positions(self, doc_id: str) -> list[int]:
        rows = self._rows("SELECT pos FROM documents WHERE id = ? ORDER BY pos", (doc_id,))
        return [int(str(r[0])) for r in rows]

    def alternate_owners(self, alt_id: str) -> list[int]:
        rows = self._rows("SELECT pos FROM alternates WHERE alt_id = ? ORDER BY pos", (alt_id,))
        return [int(str(r[0])) for r in rows]

    def ids(self) -> list[str]:
        return [str(r[0]) for r in self._rows("SELECT id FROM documents ORDER BY pos")]

    def iter_documents(self) -> Iterator[Document]:
        """All documents, in position order, read in batches (memory stays bounded)."""
        last = -1
        while True:
            rows = self._rows(
                "SELECT pos, data FROM documents WHERE pos > ? ORDER BY pos LIMIT 1000", (last,)
            )
            if not rows:
                return
            for pos, data in rows:
                yield Document.from_dict(json.loads(str(data)))
                last = int(str(pos))

    def close(self) -> None:
        with self._query:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
