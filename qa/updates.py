"""What an update changes: new, changed, unchanged and merged documents, and removals."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from corpus.dedupe import (
    DuplicateIndex,
    Fingerprint,
    Match,
    alternate_of,
    better,
    compare,
    complete,
    fingerprint,
)
from corpus.types import Alternate, Document

if TYPE_CHECKING:
    from embeddings.store import IndexSnapshot

__all__ = [
    "CandidateSource",
    "Changes",
    "DocumentLookup",
    "Duplicates",
    "IndexDuplicates",
    "IngestSummary",
    "MemoryLookup",
    "Merge",
    "SnapshotLookup",
    "latest_by_id",
    "merge_documents",
    "plan_changes",
    "remove_documents",
]


@dataclass(frozen=True, slots=True)
class Merge:
    """A copy of an indexed story merged into it instead of being indexed again.

    Attributes:
        kept: the id of the document that stays in the index.
        alternate: the copy, as recorded on the kept document.
        replaced: True where the copy was the document kept before, replaced by a longer
            copy of the story (``kept``).
    """

    kept: str
    alternate: Alternate
    replaced: bool = False


@dataclass(frozen=True, slots=True)
class IngestSummary:
    """What an ingest changed (counts of documents).

    Attributes:
        added: documents that were not in the index.
        updated: documents whose text changed.
        unchanged: documents already indexed as they are (no work done), copies already
            merged included.
        removed: documents taken out.
        merged: copies of indexed stories recorded as alternates instead of indexed
            (see :mod:`corpus.dedupe`).
        merges: what each merge did.
    """

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    merged: int = 0
    merges: tuple[Merge, ...] = ()

    @property
    def changed(self) -> bool:
        """True when the index content changed."""
        return bool(self.added or self.updated or self.removed or self.merged)


def latest_by_id(documents: Iterable[Document]) -> list[Document]:
    """Documents with text, keeping the last of each id (a later version replaces an
    earlier one, in the earlier one's place)."""
    return list({d.id: d for d in documents if d.text.strip()}.values())


class DocumentLookup(Protocol):
    """The indexed documents, looked up by id (an index answers from disk, on demand)."""

    def get(self, doc_id: str) -> Document | None:
        """The indexed document with this id, or None."""
        ...

    def alternate_owner(self, alt_id: str) -> Document | None:
        """The indexed document that records ``alt_id`` as an alternate, or None."""
        ...


class Duplicates(Protocol):
    """Near-duplicate detection over the indexed documents and those of the update
    (:class:`corpus.dedupe.DuplicateIndex` in memory; :class:`IndexDuplicates` over an
    index)."""

    def find(self, doc: Document, print_: Fingerprint | None = None) -> Match | None: ...

    def add(self, doc: Document, print_: Fingerprint | None = None) -> None: ...

    def remove(self, doc_id: str) -> None: ...


class MemoryLookup:
    """A :class:`DocumentLookup` over documents in memory."""

    def __init__(self, documents: Iterable[Document] = ()) -> None:
        self._docs = {d.id: d for d in documents}
        self._owners = {a.id: d.id for d in self._docs.values() for a in d.alternates}

    def get(self, doc_id: str) -> Document | None:
        return self._docs.get(doc_id)

    def alternate_owner(self, alt_id: str) -> Document | None:
        owner = self._owners.get(alt_id)
        return None if owner is None else self._docs.get(owner)


class SnapshotLookup:
    """A :class:`DocumentLookup` over an index snapshot (reads only what it is asked)."""

    def __init__(self, snapshot: IndexSnapshot) -> None:
        self._snapshot = snapshot

    def get(self, doc_id: str) -> Document | None:
        return self._snapshot.doc_by_id.get(doc_id)

    def alternate_owner(self, alt_id: str) -> Document | None:
        return self._snapshot.alternate_owner(alt_id)


class CandidateSource(Protocol):
    """Where near-duplicate candidates come from: the indexed documents sharing an LSH
    band key with a text (an :class:`~embeddings.store.IndexSnapshot`; the planner of a
    staged ingest, :class:`qa.staged.StagedIngest`)."""

    def duplicate_candidates(self, bands: npt.NDArray[np.uint64]) -> list[Document]: ...

    def duplicate_candidates_many(self, bands: npt.NDArray[np.uint64]) -> list[list[Document]]: ...


class IndexDuplicates:
    """Near-duplicate detection against an index snapshot plus the documents of one
    update: candidates come from the LSH band keys the segments store, so nothing of
    the index is held in memory; each candidate is then checked exactly from its text.

    Args:
        snapshot: the index (or another source of candidates).
        threshold: the containment from which two texts are copies.
    """

    def __init__(self, snapshot: CandidateSource, threshold: float) -> None:
        self._snapshot = snapshot
        self._batch = DuplicateIndex(threshold=threshold)
        self._shadowed: set[str] = set()
        self._prints: dict[str, Fingerprint] = {}
        self._candidates: dict[str, list[Document]] = {}
        self.threshold = threshold

    def prefetch(self, prints: Mapping[str, Fingerprint]) -> None:
        """Look up the indexed candidates of many documents at once (one search per
        segment for all of them); :meth:`find` then uses them."""
        ids = [i for i, p in prints.items() if p.size]
        if not ids:
            return
        bands = np.stack([prints[i].bands for i in ids])
        found = self._snapshot.duplicate_candidates_many(bands)
        self._candidates.update(zip(ids, found, strict=True))

    def _print(self, doc: Document) -> Fingerprint:
        found = self._prints.get(doc.id)
        if found is None:
            found = self._prints[doc.id] = fingerprint(doc.body)
        return found

    def find(self, doc: Document, print_: Fingerprint | None = None) -> Match | None:
        entry = print_ if print_ is not None else fingerprint(doc.body)
        best = self._batch.find(doc, entry)
        if entry.size == 0:
            return best
        candidates = self._candidates.pop(doc.id, None)
        if candidates is None:
            candidates = self._snapshot.duplicate_candidates(entry.bands)
        for other in sorted(candidates, key=lambda d: d.id):
            if other.id == doc.id or other.id in self._shadowed:
                continue
            entry = complete(entry, doc.body)
            best = better(best, compare(entry, self._print(other), other.id, self.threshold))
        return best

    def add(self, doc: Document, print_: Fingerprint | None = None) -> None:
        self._shadowed.add(doc.id)
        self._batch.add(doc, print_)

    def remove(self, doc_id: str) -> None:
        self._shadowed.add(doc_id)
        self._batch.remove(doc_id)


@dataclass(frozen=True, slots=True)
class Changes:
    """What an update does to the index.

    Attributes:
        upserts: documents to write (new ones, new versions, and indexed documents whose
            alternates changed), in order.
        removals: ids of indexed documents whose current record goes (replaced or
            merged into another).
        summary: the counts.
    """

    upserts: tuple[Document, ...]
    removals: tuple[str, ...]
    summary: IngestSummary


def plan_changes(
    current: DocumentLookup,
    incoming: Iterable[Document],
    *,
    duplicates: Duplicates | None = None,
    fingerprints: Mapping[str, Fingerprint] | None = None,
) -> Changes:
    """What adding ``incoming`` to the indexed documents changes, costing only the
    incoming documents (and the indexed ones they touch).

    A document whose id is indexed replaces the old version when its content differs
    (same content hash and text: unchanged, nothing to do); it keeps the old version's
    alternates. A document with a new id that copies an indexed story (by
    ``duplicates``) is recorded on it as an alternate, or replaces it where it is the
    longer copy; one whose id is a recorded alternate with the same content hash is
    unchanged. Anything else is added.

    Args:
        current: the indexed documents.
        incoming: new versions and new documents (the last of several with one id wins).
        duplicates: near-duplicate detection over ``current``, updated in place to match
            the result; None to skip it.
        fingerprints: the incoming documents' fingerprints by id, where already computed.

    Returns:
        The changes.
    """
    overlay: dict[str, Document | None] = {}
    owners: dict[str, str | None] = {}

    def lookup(doc_id: str) -> Document | None:
        if doc_id in overlay:
            return overlay[doc_id]
        return current.get(doc_id)

    def owner(alt_id: str) -> str | None:
        if alt_id in owners:
            return owners[alt_id]
        found = current.alternate_owner(alt_id)
        return None if found is None else found.id

    prints = fingerprints or {}
    added = updated = unchanged = 0
    merges: list[Merge] = []
    for doc in latest_by_id(incoming):
        print_ = prints.get(doc.id)
        old = lookup(doc.id)
        if old is not None:
            if old.content_hash == doc.content_hash and old.text == doc.text:
                unchanged += 1
                continue
            updated += 1
            overlay[doc.id] = replace(doc, alternates=old.alternates)
            if duplicates is not None:
                duplicates.add(doc, print_)
            continue
        kept_id = owner(doc.id)
        kept = lookup(kept_id) if kept_id is not None else None
        if kept is not None:
            known = next((a for a in kept.alternates if a.id == doc.id), None)
            if known is not None and known.content_hash == doc.content_hash:
                unchanged += 1
                continue
            # A changed copy: drop its old record and look at it afresh.
            others = tuple(a for a in kept.alternates if a.id != doc.id)
            overlay[kept.id] = replace(kept, alternates=others)
            owners[doc.id] = None
        match = duplicates.find(doc, print_) if duplicates is not None else None
        target = lookup(match.doc_id) if match is not None else None
        if match is None or target is None:
            added += 1
            overlay[doc.id] = doc
            if duplicates is not None:
                duplicates.add(doc, print_)
            continue
        if match.longer:
            record = alternate_of(target, match.similarity)
            new = replace(doc, alternates=(*target.alternates, record))
            overlay[target.id] = None
            overlay[doc.id] = new
            assert duplicates is not None
            duplicates.remove(target.id)
            duplicates.add(new, print_)
            for alt in new.alternates:
                owners[alt.id] = new.id
            merges.append(Merge(new.id, record, replaced=True))
        else:
            record = alternate_of(doc, match.similarity)
            overlay[target.id] = replace(target, alternates=(*target.alternates, record))
            owners[doc.id] = target.id
            merges.append(Merge(target.id, record))
    summary = IngestSummary(
        added=added,
        updated=updated,
        unchanged=unchanged,
        merged=len(merges),
        merges=tuple(merges),
    )
    removals = tuple(i for i in overlay if current.get(i) is not None)
    upserts = tuple(d for d in overlay.values() if d is not None)
    return Changes(upserts, removals, summary)


def merge_documents(
    current: Sequence[Document],
    incoming: Iterable[Document],
    *,
    duplicates: Duplicates | None = None,
) -> tuple[tuple[Document, ...], IngestSummary]:
    """The document set after adding ``incoming`` to ``current`` (all in memory; see
    :func:`plan_changes` for the rules).

    Args:
        current: the indexed documents.
        incoming: new versions and new documents (the last of several with one id wins).
        duplicates: a near-duplicate index over ``current``, updated in place to match
            the result; None to skip near-duplicate detection.

    Returns:
        The merged documents (current order, a new version in its old place, new ones
        appended) and what changed.
    """
    changes = plan_changes(MemoryLookup(current), incoming, duplicates=duplicates)
    merged: dict[str, Document] = {d.id: d for d in current}
    gone = set(changes.removals) - {d.id for d in changes.upserts}
    for doc_id in gone:
        del merged[doc_id]
    for doc in changes.upserts:
        if doc.id in merged:
            merged[doc.id] = doc
        else:
            merged[doc.id] = doc
    return tuple(merged.values()), changes.summary


def remove_documents(
    current: Sequence[Document], doc_ids: Iterable[str]
) -> tuple[tuple[Document, ...], int]:
    """The documents left after removing ``doc_ids``, and how many were removed."""
    drop = set(doc_ids)
    kept = tuple(d for d in current if d.id not in drop)
    return kept, len(current) - len(kept)
