"""The segment an update writes (qa.writing.prepare.plan_segment): its documents in the
order the plan gives, prepared once, and vectors embedded only for new chunk texts (the
replaced version's are reused)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings.encoder import Encoder
from embeddings.errors import ModelUnavailableError
from embeddings.store import prepare_document
from qa import AssistantConfig, Document
from qa.updates import SnapshotLookup, plan_changes
from qa.writing import IndexWriter, locator, plan_segment

A = "上海浦东国际机场航班恢复正常。旅客有序出行。"
B = "台风登陆广东，气象台发布暴雨红色预警。"


def _doc(doc_id: str, text: str) -> Document:
    return Document(id=doc_id, title=doc_id, text=text, source=doc_id)


def test_the_segment_keeps_the_vectors_of_unchanged_chunks_and_the_plans_order(
    tiny_model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = AssistantConfig(
        model=str(tiny_model_dir),
        local_files_only=True,
        max_unknown_rate=1.0,
        chunk_size=40,
        chunk_overlap=0,
        duplicate_threshold=0,
    )
    writer = IndexWriter.build([_doc("a", A), _doc("b", B)], config)
    snapshot = writer.snapshot
    assert writer.encoder is not None and snapshot.dense is not None
    edited = _doc("a", "上海浦东国际机场航班恢复正常。今天旅客很多。")
    new = _doc("c", "气象台发布暴雨红色预警。")
    changes = plan_changes(SnapshotLookup(snapshot), [new, edited])
    # "c" comes prepared (it is not prepared again), "a" is prepared here.
    given = prepare_document(new, config.chunking, snapshot.bm25.tokenizer)
    encoded: list[str] = []
    original = Encoder.encode

    def spy(self: Encoder, texts: list[str], **kwargs: object) -> object:
        encoded.extend(texts)
        return original(self, texts, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Encoder, "encode", spy)
    ready, vectors = writer.plan_segment(changes, {"c": given}, locator(snapshot))
    assert [p.document.id for p in ready] == [d.id for d in changes.upserts] == ["c", "a"]
    assert ready[0].terms is given.terms
    texts = [c.text for p in ready for c in p.chunks]
    old = {c.text: row for row, c in enumerate(snapshot.chunks)}
    assert encoded == [t for t in texts if t not in old]
    assert vectors is not None and vectors.shape == (len(texts), snapshot.settings.dimension)
    assert snapshot.vectors is not None
    for row, text in enumerate(texts):
        if text in old:
            np.testing.assert_array_equal(vectors[row], snapshot.vectors[old[text]])
    # Without the model, an index with vectors cannot take new chunks.
    with pytest.raises(ModelUnavailableError, match="not loaded"):
        plan_segment(snapshot, config, None, changes, {}, locator(snapshot))
