from __future__ import annotations

import dataclasses
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from corpus.chunking import ChunkingConfig, chunk_documents
from corpus.errors import EmptyCorpusError
from corpus.types import Chunk, Document
from embeddings.encoder import Encoder
from embeddings.errors import (
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
)
from embeddings.postings import Postings
from embeddings.store import (
    FORMAT_VERSION,
    IndexSettings,
    IndexSnapshot,
    build_snapshot,
    load_snapshot,
    save_snapshot,
    settings_compatible,
)

from .helpers import make_document

CHUNKING = ChunkingConfig(chunk_size=16, chunk_overlap=4)


def _files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def documents(news: tuple[str, ...]) -> tuple[Document, ...]:
    return tuple(make_document(text, f"news/{i}.txt") for i, text in enumerate(news))


def _chunks(documents: tuple[Document, ...]) -> tuple[Chunk, ...]:
    return chunk_documents(documents, CHUNKING)


@pytest.fixture(scope="module")
def dense_settings(tiny_encoder: Encoder) -> IndexSettings:
    return IndexSettings(chunking=CHUNKING, tokenizer="char12", model=tiny_encoder.model)


@pytest.fixture(scope="module")
def snapshot(
    documents: tuple[Document, ...], dense_settings: IndexSettings, tiny_encoder: Encoder
) -> IndexSnapshot:
    return build_snapshot(documents, _chunks(documents), dense_settings, encoder=tiny_encoder)


@pytest.fixture
def count_encoded(tiny_encoder: Encoder, monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Records the texts of every ``tiny_encoder.encode`` call."""
    calls: list[list[str]] = []
    original: Callable[..., Any] = tiny_encoder.encode

    def encode(texts: list[str], **kwargs: Any) -> np.ndarray:
        calls.append(list(texts))
        return original(texts, **kwargs)

    monkeypatch.setattr(tiny_encoder, "encode", encode)
    return calls


def test_build_fills_dimension_and_lookups(
    snapshot: IndexSnapshot, documents: tuple[Document, ...]
) -> None:
    assert snapshot.settings.dimension == 32
    assert snapshot.size == len(snapshot.chunks) > len(documents)
    assert snapshot.vectors is not None and snapshot.vectors.shape == (snapshot.size, 32)
    assert snapshot.dense is not None and snapshot.dense.size == snapshot.size
    for row, chunk in enumerate(snapshot.chunks):
        doc = snapshot.document_of(row)
        assert doc.id == chunk.doc_id
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert snapshot.row_of(chunk.id) == row
    assert snapshot.document(documents[2].id) == documents[2]
    mask = snapshot.document_mask([documents[1].id, "unknown"])
    assert mask.tolist() == [c.doc_id == documents[1].id for c in snapshot.chunks]


def test_snapshot_is_immutable(snapshot: IndexSnapshot) -> None:
    with pytest.raises(AttributeError):
        snapshot.chunks = ()  # type: ignore[misc]
    assert snapshot.vectors is not None
    with pytest.raises(ValueError):
        snapshot.vectors[0, 0] = 0.0
    with pytest.raises(TypeError):
        snapshot.doc_by_id["x"] = snapshot.documents[0]  # type: ignore[index]


def test_round_trip(snapshot: IndexSnapshot, dense_settings: IndexSettings, tmp_path: Path) -> None:
    target = tmp_path / "index"
    save_snapshot(snapshot, target)
    assert sorted(os.listdir(tmp_path)) == ["index"]  # no temporary directory left
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["counts"]["chunks"] == snapshot.size
    assert manifest["counts"]["documents"] == len(snapshot.documents)
    assert manifest["model"] == {"name": dense_settings.model, "dimension": 32}
    assert manifest["generation"] == 1
    (entry,) = manifest["segments"]
    assert (target / "segments" / entry["name"] / "documents.sqlite").is_file()
    # The text is stored once: chunks are offsets into the documents.
    assert not list(target.rglob("chunks.jsonl"))

    loaded = load_snapshot(target, expected=dense_settings)
    assert loaded.settings == snapshot.settings
    assert loaded.documents == snapshot.documents
    assert loaded.chunks == snapshot.chunks
    assert loaded.created_at == snapshot.created_at
    assert loaded.vectors is not None and snapshot.vectors is not None
    np.testing.assert_array_equal(loaded.vectors, snapshot.vectors)
    for query in ("浦東機場", "绿色低碳产业", "女排"):
        a, b = snapshot.bm25.search(query, 5), loaded.bm25.search(query, 5)
        assert a.indices.tolist() == b.indices.tolist()
    assert loaded.dense is not None and snapshot.dense is not None
    q = snapshot.vectors[3]
    assert (
        loaded.dense.search(q, 4).indices.tolist() == snapshot.dense.search(q, 4).indices.tolist()
    )


def test_lexical_only_round_trip(documents: tuple[Document, ...], tmp_path: Path) -> None:
    settings = IndexSettings(chunking=CHUNKING, tokenizer="jieba")
    built = build_snapshot(documents, _chunks(documents), settings, encoder=None)
    assert built.lexical_only and built.vectors is None
    save_snapshot(built, tmp_path / "lex")
    assert not list((tmp_path / "lex").rglob("vectors.npy"))
    loaded = load_snapshot(tmp_path / "lex", expected=settings)
    assert loaded.lexical_only
    assert loaded.bm25.tokenizer_name == "jieba"
    row = loaded.bm25.search("浦东机场", 1).indices[0]
    assert "浦东" in loaded.chunks[row].text


def test_update_reuses_vectors_of_unchanged_chunks(
    documents: tuple[Document, ...],
    dense_settings: IndexSettings,
    tiny_encoder: Encoder,
    count_encoded: list[list[str]],
    tmp_path: Path,
) -> None:
    first = build_snapshot(documents, _chunks(documents), dense_settings, encoder=tiny_encoder)
    assert sum(map(len, count_encoded)) == first.size
    save_snapshot(first, tmp_path / "index")
    previous = load_snapshot(tmp_path / "index", expected=dense_settings)

    changed = dataclasses.replace(documents[0], text="北京大学今天举行毕业典礼。")
    added = make_document("国务院总理会见外国客人。", "news/new.txt")
    new_docs = (changed, *documents[1:], added)
    new_chunks = _chunks(new_docs)
    count_encoded.clear()
    second = build_snapshot(
        new_docs, new_chunks, dense_settings, encoder=tiny_encoder, previous=previous
    )
    old_texts = {c.text for c in first.chunks}
    expected_new = [c.text for c in new_chunks if c.text not in old_texts]
    assert count_encoded == [expected_new]
    assert second.vectors is not None and first.vectors is not None
    for row, chunk in enumerate(second.chunks):
        if chunk.text in old_texts:
            np.testing.assert_array_equal(
                second.vectors[row], first.vectors[first.row_of(chunk.id)]
            )
    np.testing.assert_allclose(
        second.vectors, tiny_encoder.encode([c.text for c in new_chunks]), atol=1e-5
    )

    # A save over the loaded (memory-mapped) previous index works and is readable.
    save_snapshot(second, tmp_path / "index")
    assert load_snapshot(tmp_path / "index").size == second.size

    # Other settings: nothing is reused.
    count_encoded.clear()
    other = dataclasses.replace(dense_settings, chunking=ChunkingConfig(20, 5))
    redo = _chunks(new_docs)
    build_snapshot(new_docs, redo, other, encoder=tiny_encoder, previous=second)
    assert sum(map(len, count_encoded)) == len(redo)


def test_progress_stages(
    documents: tuple[Document, ...], dense_settings: IndexSettings, tiny_encoder: Encoder
) -> None:
    stages: set[str] = set()
    build_snapshot(
        documents,
        _chunks(documents),
        dense_settings,
        encoder=tiny_encoder,
        progress=lambda stage, done, total: stages.add(stage),
    )
    assert stages == {"embed", "bm25"}


def test_interrupted_save_keeps_previous_index(
    snapshot: IndexSnapshot,
    documents: tuple[Document, ...],
    dense_settings: IndexSettings,
    tiny_encoder: Encoder,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    target = tmp_path / "index"
    save_snapshot(snapshot, target)
    before = _files(target)

    smaller = build_snapshot(
        documents[:2], _chunks(documents[:2]), IndexSettings(chunking=CHUNKING), encoder=None
    )

    def crash(self: Postings, directory: str | Path) -> None:
        Path(directory).mkdir()
        (Path(directory) / "partial").write_text("half", encoding="utf-8")
        raise RuntimeError("simulated crash while writing")

    monkeypatch.setattr(Postings, "save", crash)
    with pytest.raises(RuntimeError, match="simulated crash"):
        save_snapshot(smaller, target)
    assert sorted(os.listdir(tmp_path)) == ["index"]
    assert _files(target) == before
    assert load_snapshot(target).size == snapshot.size

    # The same within the index (a commit of a new segment): the manifest is untouched.
    loaded = load_snapshot(target)
    extra = build_snapshot(
        documents[:2], _chunks(documents[:2]), dense_settings, encoder=tiny_encoder
    )
    grown = loaded.with_segment(extra.segments[0])
    with pytest.raises(RuntimeError, match="simulated crash"):
        save_snapshot(grown, target)
    assert _files(target) == before
    assert load_snapshot(target).size == snapshot.size

    def disk_full(self: Postings, directory: str | Path) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Postings, "save", disk_full)
    with pytest.raises(IndexWriteError, match="No space left"):
        save_snapshot(smaller, target)
    with pytest.raises(IndexWriteError, match="No space left"):
        save_snapshot(grown, target)
    assert sorted(os.listdir(tmp_path)) == ["index"]
    assert _files(target) == before
    assert load_snapshot(target).size == snapshot.size


def test_save_refuses_to_replace_a_non_index_directory(
    snapshot: IndexSnapshot, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("keep me", encoding="utf-8")
    with pytest.raises(IndexWriteError, match="not an index"):
        save_snapshot(snapshot, tmp_path)
    assert (tmp_path / "notes.txt").read_text(encoding="utf-8") == "keep me"


def test_settings_compatible(dense_settings: IndexSettings) -> None:
    lexical = IndexSettings(chunking=CHUNKING, tokenizer="char12")
    assert settings_compatible(dense_settings, dense_settings) is None
    assert settings_compatible(lexical, dense_settings) is not None
    assert "lexical only" in (settings_compatible(lexical, dense_settings) or "")
    assert settings_compatible(dense_settings, lexical) is not None
    assert settings_compatible(dense_settings, lexical, check_model=False) is None
    reason = settings_compatible(lexical, dataclasses.replace(lexical, tokenizer="jieba"))
    assert reason is not None and "'char12'" in reason and "'jieba'" in reason
    with_dim = dataclasses.replace(dense_settings, dimension=32)
    assert settings_compatible(with_dim, dense_settings) is None  # 0 = not known yet
    assert settings_compatible(with_dim, dataclasses.replace(with_dim, dimension=64))


def test_settings_validate() -> None:
    with pytest.raises(ValueError, match="unknown tokenizer"):
        IndexSettings(tokenizer="spaces")
    with pytest.raises(ValueError, match="lexical-only"):
        IndexSettings(dimension=32)


def test_mismatch_errors(
    snapshot: IndexSnapshot, dense_settings: IndexSettings, tmp_path: Path
) -> None:
    save_snapshot(snapshot, tmp_path / "index")
    cases = {
        "tokenizer": dataclasses.replace(dense_settings, tokenizer="jieba"),
        "chunk_size": dataclasses.replace(dense_settings, chunking=ChunkingConfig(300, 50)),
        "normalization": dataclasses.replace(dense_settings, normalization="other/9"),
        "other-model": dataclasses.replace(dense_settings, model="other-model"),
        "lexical-only": IndexSettings(chunking=CHUNKING, tokenizer="char12"),
    }
    for needle, expected in cases.items():
        with pytest.raises(IndexMismatchError, match=needle) as info:
            load_snapshot(tmp_path / "index", expected=expected)
        assert "qa ingest" in str(info.value)


def test_format_version_mismatch(snapshot: IndexSnapshot, tmp_path: Path) -> None:
    target = tmp_path / "index"
    save_snapshot(snapshot, target)
    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    manifest["format_version"] = FORMAT_VERSION + 1
    (target / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexMismatchError, match="format version"):
        load_snapshot(target)


def test_not_found(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="qa ingest PATH --index"):
        load_snapshot(tmp_path / "missing")
    with pytest.raises(IndexNotFoundError, match="manifest"):
        load_snapshot(tmp_path)


def _segment(d: Path) -> Path:
    (entry,) = json.loads((d / "manifest.json").read_text(encoding="utf-8"))["segments"]
    return d / "segments" / entry["name"]


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: shutil.rmtree(_segment(d)),
        lambda d: (_segment(d) / "chunks.npy").unlink(),
        lambda d: _truncate(_segment(d) / "chunks.npy"),
        lambda d: (_segment(d) / "documents.sqlite").write_bytes(b"garbage" * 100),
        lambda d: (_segment(d) / "documents.sqlite").unlink(),
        lambda d: (d / "manifest.json").write_text("{", encoding="utf-8"),
        lambda d: (_segment(d) / "vectors.npy").unlink(),
        lambda d: np.save(_segment(d) / "vectors.npy", np.zeros((2, 32), dtype=np.float32)),
        lambda d: (_segment(d) / "postings" / "keys.npy").unlink(),
        lambda d: _truncate(_segment(d) / "postings" / "rows.npy"),
        lambda d: (_segment(d) / "postings" / "postings.json").unlink(),
        lambda d: (_segment(d) / "segment.json").write_text("[]", encoding="utf-8"),
    ],
    ids=[
        "segment-missing",
        "chunks-missing",
        "chunks-truncated",
        "documents-garbage",
        "documents-missing",
        "manifest-broken",
        "vectors-missing",
        "vectors-wrong-shape",
        "postings-keys-missing",
        "postings-truncated",
        "postings-meta-missing",
        "segment-meta-broken",
    ],
)
def test_corrupt_index(
    snapshot: IndexSnapshot, tmp_path: Path, damage: Callable[[Path], object]
) -> None:
    target = tmp_path / "index"
    save_snapshot(snapshot, target)
    damage(target)
    with pytest.raises(IndexCorruptError, match="re-ingest"):
        loaded = load_snapshot(target)
        _ = [d.text for d in loaded.documents]  # documents are read on demand


def test_missing_tombstones_are_corruption(documents: tuple[Document, ...], tmp_path: Path) -> None:
    built = build_snapshot(
        documents, _chunks(documents), IndexSettings(chunking=CHUNKING), encoder=None
    )
    saved = save_snapshot(built.without([documents[0].id]), tmp_path / "index")
    (tmp_path / "index" / saved.states[0].deletes_file).unlink()
    with pytest.raises(IndexCorruptError, match="re-ingest"):
        load_snapshot(tmp_path / "index")


def test_build_validation(
    documents: tuple[Document, ...], dense_settings: IndexSettings, tiny_encoder: Encoder
) -> None:
    chunks = _chunks(documents)
    with pytest.raises(ValueError, match="no encoder"):
        build_snapshot(documents, chunks, dense_settings, encoder=None)
    with pytest.raises(ValueError, match="lexical only"):
        build_snapshot(documents, chunks, IndexSettings(chunking=CHUNKING), encoder=tiny_encoder)
    with pytest.raises(ValueError, match="encoder loads"):
        build_snapshot(
            documents,
            chunks,
            dataclasses.replace(dense_settings, model="another"),
            encoder=tiny_encoder,
        )
    with pytest.raises(ValueError, match="dimension"):
        build_snapshot(
            documents,
            chunks,
            dataclasses.replace(dense_settings, dimension=64),
            encoder=tiny_encoder,
        )
    with pytest.raises(ValueError, match="absent"):
        build_snapshot(documents[1:], chunks, IndexSettings(chunking=CHUNKING), encoder=None)
    with pytest.raises(EmptyCorpusError):
        build_snapshot(documents, (), IndexSettings(chunking=CHUNKING), encoder=None)
