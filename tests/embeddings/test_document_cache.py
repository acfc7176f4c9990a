"""The decoded documents a SQLite document store keeps: bounded by bytes, least recently
read first out."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus.types import Document
from embeddings.store import documents as store
from embeddings.store.documents import SqliteDocuments, write_documents


def _store(tmp_path: Path, lengths: list[int]) -> SqliteDocuments:
    docs = [
        Document(id=f"d{i}", title="标题", text="新" * n, source=f"d{i}.txt")
        for i, n in enumerate(lengths)
    ]
    write_documents(tmp_path / "documents.sqlite", docs)
    return SqliteDocuments(tmp_path / "documents.sqlite")


def test_the_cache_keeps_to_its_bytes_and_drops_the_least_recent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "CACHE_BYTES", 20_000)
    docs = _store(tmp_path, [3000] * 8)  # about 6.7 KB each decoded: two fit, not three
    first = docs.get(0)
    assert docs.get(0) is first  # kept
    second = docs.get(1)
    docs.get(0)  # 0 is now the most recent
    docs.get(2)  # over budget: 1 goes
    assert 0 < docs.cached_bytes <= 20_000
    assert docs.get(0) is first
    assert docs.get(1) is not second and docs.get(1) == second
    for i in range(8):
        docs.get(i)
        assert docs.cached_bytes <= 20_000


def test_a_document_larger_than_the_budget_is_read_but_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "CACHE_BYTES", 5_000)
    docs = _store(tmp_path, [10, 4000])
    small = docs.get(0)
    big = docs.get(1)
    assert big.text == "新" * 4000 and docs.get(1) is not big
    assert docs.get(0) is small
