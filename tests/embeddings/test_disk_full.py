"""A full disk, on a real small file system (issue 30, item 5): every way it shows
itself (ENOSPC, SQLite's "database or disk is full", numpy's short write, FAISS's write
error) is recognised, and a write that meets it is an ``IndexDiskFullError`` that says
the disk is full and how much the write needed, the index left as it was."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from corpus.chunking import ChunkingConfig
from embeddings.errors import IndexDiskFullError, IndexWriteError, is_disk_full
from embeddings.store import (
    IndexSettings,
    IndexSnapshot,
    SegmentState,
    build_segment,
    open_snapshot,
    prepare_document,
    save_snapshot,
)
from embeddings.store.recovery import recover_index
from embeddings.tokenize import get_tokenizer
from tests.small_disk import SmallDisk

from .corpus_fixture import synthetic_texts
from .helpers import make_document

SETTINGS = IndexSettings(chunking=ChunkingConfig(chunk_size=60, chunk_overlap=10))


def _segment(first: int, count: int, tag: str):  # type: ignore[no-untyped-def]
    tok = get_tokenizer(SETTINGS.tokenizer)
    texts = synthetic_texts(first + count, seed=7)[first:]
    docs = [make_document(t, f"news/{tag}-{first + i}.txt") for i, t in enumerate(texts)]
    return build_segment([prepare_document(d, SETTINGS.chunking, tok) for d in docs])


def _signature(snapshot: IndexSnapshot) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((d.id, d.content_hash) for d in snapshot.documents))


def _sqlite(path: Path) -> None:
    con = sqlite3.connect(path)
    try:
        con.execute("CREATE TABLE t (x TEXT)")
        con.executemany("INSERT INTO t VALUES (?)", [("x" * 4096,)] * 100)
        con.commit()
    finally:
        con.close()


def _faiss(path: Path) -> None:
    import faiss

    index = faiss.IndexFlatIP(64)
    index.add(np.zeros((2000, 64), dtype=np.float32))
    faiss.write_index(index, str(path))


WRITES = {
    "plain write (ENOSPC)": lambda p: p.write_bytes(b"x" * 400_000),
    "SQLite (database or disk is full)": _sqlite,
    "numpy (requested and written)": lambda p: np.save(p, np.zeros(50_000)),
    "FAISS (No space left on device)": _faiss,
}


@pytest.mark.parametrize("write", list(WRITES), ids=list(WRITES))
def test_every_way_a_full_disk_shows_itself_is_recognised(
    write: str, small_disk: SmallDisk
) -> None:
    small_disk.fill(leave=8192)
    with pytest.raises(Exception) as caught:  # noqa: PT011 - whatever the library raises
        WRITES[write](small_disk.path / "file")
    assert is_disk_full(caught.value), repr(caught.value)
    assert not is_disk_full(IndexWriteError("cannot write the index"))
    wrapped = IndexWriteError("cannot write the index")
    wrapped.__cause__ = caught.value
    assert is_disk_full(wrapped)


def test_a_write_that_fills_the_disk_changes_nothing_and_says_why(
    small_disk: SmallDisk,
) -> None:
    """The next segment's commit, with the disk filled to k pages short of it for every
    k: each attempt either commits, or raises ``IndexDiskFullError`` (whichever of
    SQLite, numpy or a plain write met the full disk) and leaves the index as it was."""
    target = small_disk.path / "index"
    base = save_snapshot(IndexSnapshot(SETTINGS, [SegmentState(_segment(0, 12, "a"))]), target)
    old = _signature(base)
    extra = _segment(40, 30, "b")
    causes: set[str] = set()
    committed = False
    leave = 0
    while not committed:
        small_disk.fill(leave)
        try:
            save_snapshot(open_snapshot(target).with_segment(extra), target)
            committed = True
        except IndexDiskFullError as exc:
            message = str(exc)
            assert message.startswith("the disk is full: cannot write the index to ")
            assert "the write needs about " in message and " free there now" in message
            assert "the index there is unchanged" in message
            assert exc.needed and exc.needed > 0 and exc.free is not None
            cause = exc.__cause__
            if isinstance(cause, sqlite3.Error):
                causes.add("sqlite")
            elif isinstance(cause, OSError) and cause.errno is None:
                causes.add("numpy")  # "2078 requested and 1008 written"
            elif isinstance(cause, OSError):
                causes.add("ENOSPC")
            recover_index(target)
            assert _signature(open_snapshot(target)) == old
        leave += 4096
        assert leave < 4_000_000, "the write never went through"
    small_disk.empty()
    assert _signature(open_snapshot(target)) == tuple(
        sorted(old + tuple((d.id, d.content_hash) for d in extra.documents.iter_documents()))
    )
    # The sweep met the full disk in SQLite (the documents), in numpy (the arrays) and in
    # plain writes (JSON files, the manifest).
    assert causes == {"sqlite", "numpy", "ENOSPC"}, causes
