"""Documents made ready for a segment: chunked, tokenized and fingerprinted, and the
documents and vectors of the segment an update writes (new chunks embedded, the vectors
of unchanged chunks reused)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from functools import partial
from typing import Protocol

import numpy as np
import numpy.typing as npt

from corpus.dedupe import Fingerprint
from corpus.progress import Progress
from corpus.types import Chunk, Document
from embeddings.encoder import Encoder
from embeddings.errors import ModelUnavailableError
from embeddings.store import IndexSettings, IndexSnapshot, PreparedDocument, embed_texts
from embeddings.store.analysis import prepare_document
from embeddings.store.packed import PackedDocuments
from embeddings.store.segment import id_hash
from embeddings.tokenize import Tokenizer
from qa.config import AssistantConfig
from qa.updates import Changes, DocumentLookup, PrefilteredLookup

__all__ = [
    "Locate",
    "SegmentRows",
    "locator",
    "plan_segment",
    "prefiltered",
    "prepare_documents",
    "settings_for",
]


class SegmentRows(Protocol):
    """What reusing a document's vectors reads of the segment that holds it (an opened
    :class:`~embeddings.store.Segment`, or a planned one)."""

    @property
    def vectors(self) -> npt.NDArray[np.float32] | None: ...

    @property
    def doc_rows(self) -> npt.NDArray[np.int64]: ...

    def chunk(self, row: int) -> Chunk: ...


Locate = Callable[[str], "tuple[SegmentRows, int] | None"]
"""Where the live document with an id is: its segment and position (None: nowhere)."""


def settings_for(config: AssistantConfig, encoder: Encoder | None) -> IndexSettings:
    """The index settings ``config`` asks for, with ``encoder``'s model (None: lexical)."""
    return IndexSettings(
        chunking=config.chunking,
        tokenizer=config.tokenizer,
        model=config.model if encoder is not None else "",
        dimension=encoder.dimension if encoder is not None else 0,
    )


def prepare_documents(
    documents: Sequence[Document],
    config: AssistantConfig,
    tokenizer: Tokenizer,
    prints: Mapping[str, Fingerprint],
    progress: Progress | None,
) -> list[PreparedDocument]:
    """Chunk and analyse documents (fingerprints computed where dedupe is on and
    ``prints`` has none)."""
    out = []
    for i, doc in enumerate(documents, 1):
        p = prepare_document(
            doc,
            config.chunking,
            tokenizer,
            with_fingerprint=bool(config.duplicate_threshold) and doc.id not in prints,
        )
        if doc.id in prints:
            p = PreparedDocument(p.document, p.starts, p.ends, p.terms, p.analyzer, prints[doc.id])
        out.append(p)
        if progress is not None and (i % 200 == 0 or i == len(documents)):
            progress("bm25", i, len(documents))
    return out


def locator(snapshot: IndexSnapshot) -> Locate:
    """Where the live document with an id is in ``snapshot``: its segment and position."""

    def locate(doc_id: str) -> tuple[SegmentRows, int] | None:
        hit = snapshot.find(doc_id)
        return None if hit is None else (snapshot.states[hit[0]].segment, hit[1])

    return locate


def prefiltered(
    lookup: DocumentLookup, snapshot: IndexSnapshot, documents: Sequence[Document]
) -> PrefilteredLookup:
    """``lookup`` (over ``snapshot``) answering at once for the ids of ``documents`` that
    no segment of ``snapshot`` holds, as a document or as an alternate: their hashes
    are searched in each segment's sorted id hashes, all at once."""
    ids = list(dict.fromkeys(d.id for d in documents))
    hashes = np.fromiter((id_hash(i) for i in ids), dtype=np.uint64, count=len(ids))
    held = np.zeros(len(ids), dtype=np.bool_)
    owned = np.zeros(len(ids), dtype=np.bool_)
    for st in snapshot.states:
        held |= np.isin(hashes, st.segment.ids)
        owned |= np.isin(hashes, st.segment.alternate_ids)
    absent = [i for i, h in zip(ids, held.tolist(), strict=True) if not h]
    unowned = [i for i, o in zip(ids, owned.tolist(), strict=True) if not o]
    return PrefilteredLookup(lookup, absent, unowned)


def plan_segment(
    snapshot: IndexSnapshot,
    config: AssistantConfig,
    encoder: Encoder | None,
    changes: Changes,
    prepared: Mapping[str, PreparedDocument] | PackedDocuments,
    locate: Locate,
    progress: Progress | None = None,
) -> tuple[list[PreparedDocument] | PackedDocuments, npt.NDArray[np.float32] | None]:
    """The documents of the segment that ``changes`` writes into ``snapshot``'s index, in
    order, prepared, and their chunks' vectors (None for a lexical index).

    Args:
        snapshot: the index written (its tokenizer, and whether it has vectors).
        config: how documents are chunked, and whether copies are fingerprinted.
        encoder: the index's model (None: not loaded).
        changes: the planned changes (:func:`qa.updates.plan_changes`).
        prepared: the update's documents prepared with the index's settings, by id, or
            packed (the last of several with one id stands for it; the segment's
            documents are then gathered from the arrays, and returned packed); the
            others (indexed documents given new alternates) are prepared here.
        locate: where the live document with an id is (its vectors are reused for the
            chunks it shares with the new version).
        progress: the progress hook.

    Raises:
        ModelUnavailableError: when the index has vectors, a chunk needs one and the
            model is not loaded.
        ValueError: when prepared vectors have another dimension than the model's.
    """
    if isinstance(prepared, PackedDocuments):
        return _plan_packed(snapshot, config, encoder, changes, prepared, locate, progress)
    tokenizer = snapshot.bm25.tokenizer
    ready: list[PreparedDocument] = []
    todo: list[Document] = []
    for doc in changes.upserts:
        known = prepared.get(doc.id)
        if known is not None and known.document.text == doc.text:
            ready.append(known.with_document(doc))
        else:
            todo.append(doc)
    made = {p.document.id: p for p in prepare_documents(todo, config, tokenizer, {}, progress)}
    for doc in todo:
        ready.append(made[doc.id])
    order = {d.id: i for i, d in enumerate(changes.upserts)}
    ready.sort(key=lambda p: order[p.document.id])
    vectors = None
    if snapshot.dense is not None and encoder is not None:
        reuse = _old_vectors(locate, changes.removals)
        _supplied_vectors(reuse, ready, encoder.dimension)
        texts = [c.text for p in ready for c in p.chunks]
        vectors = embed_texts(texts, encoder, reuse=reuse, progress=progress)
    elif snapshot.dense is not None:
        raise ModelUnavailableError(
            "this index has dense vectors but the model is not loaded: cannot embed new "
            f"documents; make {snapshot.settings.model!r} available and try again"
        )
    return ready, vectors


def _plan_packed(
    snapshot: IndexSnapshot,
    config: AssistantConfig,
    encoder: Encoder | None,
    changes: Changes,
    packed: PackedDocuments,
    locate: Locate,
    progress: Progress | None,
) -> tuple[PackedDocuments, npt.NDArray[np.float32] | None]:
    """:func:`plan_segment` of packed documents: the segment's documents gathered from
    the arrays (:meth:`PackedDocuments.take`), packed."""
    at = {d.id: i for i, d in enumerate(packed.documents)}
    picked: list[int] = []
    todo: list[Document] = []
    made_at: list[int] = []  # positions in the upserts of the documents prepared here
    for n, doc in enumerate(changes.upserts):
        i = at.get(doc.id)
        if i is not None and packed.documents[i].text == doc.text:
            picked.append(i)
        else:
            todo.append(doc)
            made_at.append(n)
    everything = len(picked) == len(packed) and picked == list(range(len(packed)))
    kept = packed if everything else packed.take(picked)
    ready = kept.with_vectors(None)
    if todo:
        tokenizer = snapshot.bm25.tokenizer
        made = PackedDocuments.pack(prepare_documents(todo, config, tokenizer, {}, progress))
        if (ready.prints is None) != (made.prints is None):
            # Bands only where every document has them (as for documents one by one).
            ready = replace(ready, prints=None, bands=None)
            made = replace(made, prints=None, bands=None)
        both = PackedDocuments.concat([ready, made.with_vectors(None)])
        order = np.empty(len(changes.upserts), dtype=np.int64)
        mine = np.zeros(len(changes.upserts), dtype=np.bool_)
        mine[made_at] = True
        order[~mine] = np.arange(len(picked))
        order[mine] = len(picked) + np.arange(len(todo))
        ready = both.take(order)
    ready = ready.with_documents(changes.upserts)
    vectors = None
    if snapshot.dense is not None and encoder is not None:
        reuse = _old_vectors(locate, changes.removals)
        if kept.vectors is not None:
            if kept.vectors.shape[1] != encoder.dimension:
                raise ValueError(
                    f"the vectors prepared with the documents have {kept.vectors.shape[1]} "
                    f"dimensions, the index's model {encoder.dimension}: they were computed "
                    "with another model"
                )
            for row, text in enumerate(kept.chunk_texts()):
                reuse.setdefault(text, partial(_row, kept.vectors, row))
        vectors = embed_texts(ready.chunk_texts(), encoder, reuse=reuse, progress=progress)
    elif snapshot.dense is not None:
        raise ModelUnavailableError(
            "this index has dense vectors but the model is not loaded: cannot embed new "
            f"documents; make {snapshot.settings.model!r} available and try again"
        )
    return ready, vectors


def _old_vectors(
    locate: Locate, doc_ids: Sequence[str]
) -> dict[str, Callable[[], npt.NDArray[np.float32]]]:
    """The vectors of the chunks of documents about to be replaced, by chunk text (an
    updated article keeps the vectors of its unchanged chunks)."""
    found: dict[str, Callable[[], npt.NDArray[np.float32]]] = {}
    for doc_id in doc_ids:
        hit = locate(doc_id)
        if hit is None:
            continue
        segment, position = hit
        vectors = segment.vectors
        if vectors is None:
            continue
        for row in range(int(segment.doc_rows[position]), int(segment.doc_rows[position + 1])):
            found.setdefault(segment.chunk(row).text, partial(_row, vectors, row))
    return found


def _supplied_vectors(
    found: dict[str, Callable[[], npt.NDArray[np.float32]]],
    ready: Sequence[PreparedDocument],
    dimension: int,
) -> None:
    """Add to ``found`` the vectors the prepared documents carry (computed with the
    index's model where they were prepared: ``qa ingest --ray``), by chunk text; a text
    found already keeps its vector."""
    for p in ready:
        vectors = p.vectors
        if vectors is None:
            continue
        if vectors.shape[1] != dimension:
            raise ValueError(
                f"the vectors prepared with {p.document.id!r} have {vectors.shape[1]} "
                f"dimensions, the index's model {dimension}: they were computed with "
                "another model"
            )
        for row, chunk in enumerate(p.chunks):
            found.setdefault(chunk.text, partial(_row, vectors, row))


def _row(vectors: npt.NDArray[np.float32], row: int) -> npt.NDArray[np.float32]:
    return np.asarray(vectors[row])
