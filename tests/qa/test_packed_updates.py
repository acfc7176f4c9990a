"""Updates planned from packed documents (qa.updates.plan_packed, BatchDuplicates,
PrefilteredLookup): the changes, merges and index that the documents given one by one
make."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from corpus.dedupe import DuplicateIndex, fingerprint
from corpus.types import Document, content_hash
from embeddings.store import prepare_document
from embeddings.store.packed import PackedDocuments
from embeddings.tokenize import get_tokenizer
from qa import AssistantConfig
from qa.updates import (
    BatchDuplicates,
    IndexDuplicates,
    PrefilteredLookup,
    SnapshotLookup,
    plan_changes,
    plan_packed,
)
from qa.writing import IndexWriter
from qa.writing.prepare import prefiltered
from tests.embeddings.corpus_fixture import synthetic_texts

CONFIG = AssistantConfig(model="", chunk_size=80, chunk_overlap=10)
STORY = "".join(f"第{i}段：长三角国资国企联席会议在杭州召开，发布倡议书。" for i in range(12))
TEMPLATE = (
    "本报讯 今日上证指数收报{a}点，上涨{b}%，成交额{c}亿元。深证成指收报{d}点。"
    "创业板指收报{e}点。沪深两市共有{f}只股票上涨，北向资金净流入{g}亿元。"
)


def _doc(doc_id: str, text: str) -> Document:
    return Document(id=doc_id, title="", text=text, source=doc_id, content_hash=content_hash(text))


def _batch() -> list[Document]:
    """New articles, syndicated copies (a longer one among them), reports on one
    template with other figures, a repeated id and an empty text."""
    texts = synthetic_texts(20, seed=11)
    docs = [_doc(f"n{i:02d}", t) for i, t in enumerate(texts)]
    docs += [
        _doc("story-half", STORY[: len(STORY) * 2 // 3]),
        _doc("story-copy", STORY[: len(STORY) * 2 // 3] + "（来源：新华社）"),
        _doc("story-full", STORY),
        _doc("story-again", "编者按：" + STORY),
        _doc("report-a", TEMPLATE.format(a=3021, b=0.52, c=8123, d=9550, e=1870, f=3011, g=41)),
        _doc("report-b", TEMPLATE.format(a=3035, b=0.46, c=7990, d=9601, e=1881, f=2875, g=37)),
        _doc("n03", texts[3] + "更正：标题有误。"),
        _doc("empty", "   "),
        _doc("copy-of-n05", texts[5] + "（完）"),
    ]
    return docs


def _pack(docs: list[Document]) -> PackedDocuments:
    tok = get_tokenizer(CONFIG.tokenizer)
    return PackedDocuments.pack(
        [prepare_document(d, CONFIG.chunking, tok) for d in docs if d.text.strip()]
    )


def _one_by_one(writer: IndexWriter, packed: PackedDocuments) -> object:
    snapshot = writer.snapshot
    prepared = {p.document.id: p for p in packed.unpack()}
    prints = {i: p.fingerprint for i, p in prepared.items() if p.fingerprint is not None}
    duplicates = IndexDuplicates(snapshot, CONFIG.duplicate_threshold)
    duplicates.prefetch(prints)
    return plan_changes(
        SnapshotLookup(snapshot),
        [p.document for p in packed.unpack()],
        duplicates=duplicates,
        fingerprints=prints,
    )


@pytest.mark.parametrize("indexed", [0, 8, 27])
def test_packed_plans_are_the_plans_of_the_documents_one_by_one(
    indexed: int, tmp_path: Path
) -> None:
    docs = [d for d in _batch() if d.text.strip()]
    writer = IndexWriter.build(docs[:indexed] or synthetic_texts_docs(), CONFIG)
    writer.save(tmp_path / "idx")
    packed = _pack(docs)
    snapshot = writer.snapshot
    lookup = prefiltered(SnapshotLookup(snapshot), snapshot, packed.documents)
    planned = plan_packed(lookup, snapshot, packed, CONFIG.duplicate_threshold)
    expected = _one_by_one(writer, packed)
    assert planned == expected
    if indexed == 0:
        assert planned.summary.merged >= 3  # copies within the batch were merged


def synthetic_texts_docs() -> list[Document]:
    return [_doc(f"old{i}", t) for i, t in enumerate(synthetic_texts(5, seed=2))]


def test_a_packed_add_writes_the_index_of_the_documents_one_by_one(tmp_path: Path) -> None:
    docs = _batch()
    first, second = docs[:12], docs[12:]
    tok = get_tokenizer(CONFIG.tokenizer)
    one = IndexWriter.build(first, CONFIG)
    two = IndexWriter.build(first, CONFIG)
    one.save(tmp_path / "one")
    two.save(tmp_path / "two")
    prepared = [prepare_document(d, CONFIG.chunking, tok).light() for d in second]
    assert one.add(prepared) == two.add(PackedDocuments.pack(prepared))
    a, b = one.snapshot, two.snapshot
    assert [d.to_dict() for d in a.documents] == [d.to_dict() for d in b.documents]
    assert [c.text for c in a.chunks] == [c.text for c in b.chunks]
    for x, y in zip(a.states, b.states, strict=True):
        for name in ("keys", "indptr", "rows", "codes", "pairs", "lengths"):
            u, v = getattr(x.segment.postings, name), getattr(y.segment.postings, name)
            assert np.array_equal(u, v), name
        assert np.array_equal(x.segment.bands, y.segment.bands)
        assert np.array_equal(x.deleted, y.deleted)


def test_batch_duplicates_answer_as_a_duplicate_index() -> None:
    docs = [d for d in _batch() if d.text.strip()]
    packed = _pack(docs)
    assert packed.prints is not None and packed.bands is not None
    batch = BatchDuplicates(
        packed.documents, packed.bands, packed.prints.sizes, packed.fingerprint, 0.8
    )
    reference = DuplicateIndex(threshold=0.8)
    at = {d.id: i for i, d in enumerate(packed.documents)}
    for doc in packed.documents:
        print_ = packed.fingerprint(at[doc.id])
        assert batch.find(doc, print_) == reference.find(doc, print_)
        batch.add(doc, print_)
        reference.add(doc, print_)
    for gone in ("story-half", "n01", "unknown"):
        batch.remove(gone)
        reference.remove(gone)
    for doc in packed.documents:
        print_ = packed.fingerprint(at[doc.id])
        assert batch.find(doc, print_) == reference.find(doc, print_)
    with pytest.raises(KeyError):
        batch.find(_doc("stranger", STORY), fingerprint(STORY).light())


def test_a_prefiltered_lookup_answers_only_for_ids_known_absent() -> None:
    held = _doc("held", STORY)

    class Lookup:
        asked: list[str] = []

        def get(self, doc_id: str) -> Document | None:
            self.asked.append(doc_id)
            return held if doc_id == "held" else None

        def alternate_owner(self, alt_id: str) -> Document | None:
            self.asked.append("alt:" + alt_id)
            return None

    inner = Lookup()
    lookup = PrefilteredLookup(inner, absent=["new"], unowned=["new", "held"])
    assert lookup.get("new") is None and lookup.get("held") is held
    assert lookup.get("other") is None  # not known absent: asked
    assert lookup.alternate_owner("held") is None and lookup.alternate_owner("x") is None
    assert inner.asked == ["held", "other", "alt:x"]


def test_written_prints_stand_for_the_texts_recorded(tmp_path: Path) -> None:
    from qa.updates import WrittenPrints

    docs = [d for d in _batch() if d.text.strip()]
    first, later = docs[:16], docs[16:]
    packed = _pack(first)
    written = WrittenPrints()
    written.record(packed)
    for i, doc in enumerate(packed.documents):
        recorded, light = written.get(doc), packed.fingerprint(i)
        assert recorded is not None and light is not None
        assert (recorded.size, recorded.numbers) == (light.size, light.numbers)
    changed = _doc(first[0].id, first[0].text + "补充。")
    assert written.get(changed) is None and written.get(_doc("nobody", STORY)) is None
    # Planning against an index with what was written recorded: the same changes.
    writer = IndexWriter.build(first, CONFIG)
    writer.save(tmp_path / "idx")
    snapshot = writer.snapshot
    incoming = _pack(later + [_doc("copy-of-n07", first[7].text + "（完）")])
    with_record = plan_packed(
        SnapshotLookup(snapshot), snapshot, incoming, CONFIG.duplicate_threshold, written
    )
    without = plan_packed(SnapshotLookup(snapshot), snapshot, incoming, CONFIG.duplicate_threshold)
    assert with_record == without and with_record.summary.merged >= 1
