"""What an update changes: new, changed, unchanged and merged documents, and removals."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
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
    cannot_match,
    compare,
    complete,
    fingerprint,
)
from corpus.types import Alternate, Document
from embeddings.store.packed import PackedDocuments
from embeddings.store.segment import id_hash

if TYPE_CHECKING:
    from embeddings.store import IndexSnapshot

__all__ = [
    "BatchDuplicates",
    "CandidateSource",
    "Changes",
    "DocumentLookup",
    "Duplicates",
    "IndexDuplicates",
    "IngestSummary",
    "MemoryLookup",
    "Merge",
    "PrefilteredLookup",
    "SnapshotLookup",
    "WrittenPrints",
    "latest_by_id",
    "merge_documents",
    "plan_changes",
    "plan_packed",
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


class PrefilteredLookup:
    """A :class:`DocumentLookup` that answers None at once for ids known to be absent
    (an update's ids whose hashes no segment holds, found for all of them with one array
    search per segment: most ids of a bulk ingest are new), and asks ``current`` for
    the others.

    Args:
        current: the lookup to ask.
        absent: ids that ``current`` holds no document with.
        unowned: ids that no document of ``current`` records as an alternate.
    """

    def __init__(
        self, current: DocumentLookup, absent: Iterable[str], unowned: Iterable[str]
    ) -> None:
        self._current = current
        self._absent = frozenset(absent)
        self._unowned = frozenset(unowned)

    def get(self, doc_id: str) -> Document | None:
        return None if doc_id in self._absent else self._current.get(doc_id)

    def alternate_owner(self, alt_id: str) -> Document | None:
        return None if alt_id in self._unowned else self._current.alternate_owner(alt_id)


class CandidateSource(Protocol):
    """Where near-duplicate candidates come from: the indexed documents sharing an LSH
    band key with a text (an :class:`~embeddings.store.IndexSnapshot`; the planner of a
    staged ingest, :class:`qa.staged.StagedIngest`)."""

    def duplicate_candidates(self, bands: npt.NDArray[np.uint64]) -> list[Document]: ...

    def duplicate_candidates_many(self, bands: npt.NDArray[np.uint64]) -> list[list[Document]]: ...


class BatchDuplicates:
    """Near-duplicate detection among the documents of one update, with the candidates
    planned in arrays: the documents sharing an LSH band key are found for all of them at
    once (one sort per band), instead of a table of lists updated per document. Answers
    as a :class:`~corpus.dedupe.DuplicateIndex` that the same documents were added to
    and removed from: of the documents :meth:`add` ed and not removed since, those
    sharing a band key with the one looked up, checked exactly in the order of their ids.

    Args:
        documents: the update's documents (the last of several with one id stands for
            it).
        prints: their light fingerprints, by position: ``bands`` (documents x BANDS)
            and ``sizes`` as arrays, and each one's :class:`~corpus.dedupe.Fingerprint`
            on demand.
        threshold: the containment from which two texts are copies.
    """

    def __init__(
        self,
        documents: Sequence[Document],
        bands: npt.NDArray[np.uint64],
        sizes: npt.NDArray[np.int64],
        prints: Callable[[int], Fingerprint | None],
        threshold: float,
    ) -> None:
        self.threshold = threshold
        self._docs = documents
        self._prints = prints
        self._at = {d.id: i for i, d in enumerate(documents)}
        self._present: dict[str, int] = {}
        self._added: dict[int, Document] = {}
        self._complete: dict[int, Fingerprint] = {}
        self._groups: list[npt.NDArray[np.int64]] = []
        self._member_of: dict[int, list[int]] = {}
        last = np.zeros(len(documents), dtype=np.bool_)
        if len(documents):
            last[list(self._at.values())] = True
        usable = np.flatnonzero(last & (sizes > 0))
        for band in range(bands.shape[1] if bands.ndim == 2 else 0):
            keys = bands[usable, band]
            order = np.argsort(keys, kind="stable")
            keys = keys[order]
            cut = np.flatnonzero(keys[1:] != keys[:-1]) + 1
            starts = np.concatenate(([0], cut))
            ends = np.concatenate((cut, [keys.shape[0]]))
            for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
                if end - start < 2:
                    continue
                group = len(self._groups)
                members = usable[order[start:end]]
                self._groups.append(members)
                for m in members.tolist():
                    self._member_of.setdefault(m, []).append(group)

    def _print(self, position: int, doc: Document) -> Fingerprint:
        found = self._prints(position)
        return found if found is not None else fingerprint(doc.body)

    def find(self, doc: Document, print_: Fingerprint | None = None) -> Match | None:
        position = self._at.get(doc.id)
        if position is None:
            raise KeyError(f"{doc.id!r} is not a document of this update")
        entry = print_ if print_ is not None else self._print(position, doc)
        if entry.size == 0:
            return None
        groups = self._member_of.get(position)
        if not groups:
            return None
        candidates: set[int] = set()
        for g in groups:
            candidates.update(m for m in self._groups[g].tolist() if m in self._added)
        best: Match | None = None
        for other_id, pos in sorted((self._docs[m].id, m) for m in candidates):
            if other_id == doc.id:
                continue
            other = self._complete.get(pos) or self._print(pos, self._added[pos])
            if cannot_match(entry, other):
                continue
            entry = complete(entry, doc.body)
            if other.grams is None:
                other = self._complete[pos] = complete(other, self._added[pos].body)
            best = better(best, compare(entry, other, other_id, self.threshold))
        return best

    def add(self, doc: Document, print_: Fingerprint | None = None) -> None:
        self.remove(doc.id)
        position = self._at.get(doc.id)
        if position is None:
            raise KeyError(f"{doc.id!r} is not a document of this update")
        entry = print_ if print_ is not None else self._print(position, doc)
        if entry.size == 0:
            return
        self._present[doc.id] = position
        self._added[position] = doc
        if entry.grams is not None:
            self._complete[position] = entry

    def remove(self, doc_id: str) -> None:
        position = self._present.pop(doc_id, None)
        if position is not None:
            del self._added[position]
            self._complete.pop(position, None)


_NO_SIGNATURE = np.empty(0, dtype=np.uint32)
_NO_BANDS = np.empty(0, dtype=np.uint64)


def _text_hash(text: str) -> int:
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "little")


class WrittenPrints:
    """What near-duplicate checks need of the documents one ingest has written (the
    size and numbers of their light fingerprints), kept compact: one sorted array of id
    hashes over every document recorded, with text hashes, sizes and numbers.

    A candidate among the indexed documents that this ingest wrote is then rejected by
    :func:`~corpus.dedupe.cannot_match` without folding its text again; the text hash
    makes sure the record is of the text indexed under the id now (another writer may
    have replaced it).
    """

    def __init__(self) -> None:
        self._ids = np.empty(0, dtype=np.uint64)  # sorted; equal ids oldest first
        self._order = np.empty(0, dtype=np.int64)  # record number of each
        self._texts: list[npt.NDArray[np.uint64]] = []
        self._sizes: list[npt.NDArray[np.int64]] = []
        self._numbers: list[str] = []
        self._flat: tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]] | None = None

    def record(self, packed: PackedDocuments) -> None:
        """Remember the documents of ``packed`` (nothing where they have no
        fingerprints)."""
        if packed.prints is None or not len(packed):
            return
        ids = np.fromiter(
            (id_hash(d.id) for d in packed.documents), dtype=np.uint64, count=len(packed)
        )
        texts = np.fromiter(
            (_text_hash(d.text) for d in packed.documents), dtype=np.uint64, count=len(packed)
        )
        first = len(self._numbers)
        self._texts.append(texts)
        self._sizes.append(packed.prints.sizes)
        self._numbers.extend(packed.prints.numbers)
        self._flat = None
        all_ids = np.concatenate((self._ids, ids))
        all_order = np.concatenate((self._order, np.arange(first, first + len(packed))))
        keep = np.argsort(all_ids, kind="stable")
        self._ids, self._order = all_ids[keep], all_order[keep]

    def get(self, doc: Document) -> Fingerprint | None:
        """The light fingerprint of ``doc`` as recorded (without signature and band keys:
        enough for :func:`~corpus.dedupe.cannot_match`), or None where this text was not
        recorded under its id."""
        if not self._numbers:
            return None
        if self._flat is None:
            self._flat = (np.concatenate(self._texts), np.concatenate(self._sizes))
        texts, sizes = self._flat
        key = id_hash(doc.id)
        at = int(self._ids.searchsorted(np.uint64(key), side="right")) - 1
        text: int | None = None
        while at >= 0 and int(self._ids[at]) == key:  # the newest record first
            if text is None:
                text = _text_hash(doc.text)
            n = int(self._order[at])
            if int(texts[n]) == text:
                counts = Counter(self._numbers[n].split())
                return Fingerprint(None, counts, _NO_SIGNATURE, _NO_BANDS, int(sizes[n]))
            at -= 1
        return None


class IndexDuplicates:
    """Near-duplicate detection against an index snapshot plus the documents of one
    update: candidates come from the LSH band keys the segments store, so nothing of
    the index is held in memory; each candidate is then checked exactly from its text.

    Args:
        snapshot: the index (or another source of candidates).
        threshold: the containment from which two texts are copies.
        batch: the detection among the update's own documents (default: a
            :class:`~corpus.dedupe.DuplicateIndex` filled as they are added; a
            :class:`BatchDuplicates` plans it in arrays).
        written: what this ingest wrote before (indexed candidates recorded there are
            rejected without folding their texts where their numbers rule them out).
    """

    def __init__(
        self,
        snapshot: CandidateSource,
        threshold: float,
        batch: Duplicates | None = None,
        written: WrittenPrints | None = None,
    ) -> None:
        self._written = written
        self._snapshot = snapshot
        self._batch: Duplicates = (
            batch if batch is not None else DuplicateIndex(threshold=threshold)
        )
        self._shadowed: set[str] = set()
        self._prints: dict[str, Fingerprint] = {}
        self._candidates: dict[str, list[Document]] = {}
        self.threshold = threshold

    def prefetch(self, prints: Mapping[str, Fingerprint]) -> None:
        """Look up the indexed candidates of many documents at once (one search per
        segment for all of them); :meth:`find` then uses them."""
        ids = [i for i, p in prints.items() if p.size]
        if ids:
            self.prefetch_bands(ids, np.stack([prints[i].bands for i in ids]))

    def prefetch_bands(self, ids: Sequence[str], bands: npt.NDArray[np.uint64]) -> None:
        """:meth:`prefetch` for documents given by id with their band keys (documents x
        BANDS; those with fingerprints of some size)."""
        if not ids:
            return
        found = self._snapshot.duplicate_candidates_many(bands)
        self._candidates.update(zip(ids, found, strict=True))

    def _print(self, doc: Document) -> Fingerprint:
        found = self._prints.get(doc.id)
        if found is None:
            found = self._written.get(doc) if self._written is not None else None
            if found is None:
                found = fingerprint(doc.body)
            self._prints[doc.id] = found
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
            theirs = self._print(other)
            if cannot_match(entry, theirs):
                continue
            entry = complete(entry, doc.body)
            if theirs.grams is None:
                theirs = self._prints[other.id] = fingerprint(other.body)
            best = better(best, compare(entry, theirs, other.id, self.threshold))
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


class _PackedPrints(Mapping[str, Fingerprint]):
    """The light fingerprints of a pack's documents by id (the last of several with
    one id), made on demand."""

    def __init__(self, packed: PackedDocuments, at: Mapping[str, int]) -> None:
        self._packed = packed
        self._at = at

    def __getitem__(self, doc_id: str) -> Fingerprint:
        found = self._packed.fingerprint(self._at[doc_id])
        if found is None:
            raise KeyError(doc_id)
        return found

    def __len__(self) -> int:
        return len(self._at) if self._packed.prints is not None else 0

    def __iter__(self) -> Iterator[str]:
        return iter(self._at) if self._packed.prints is not None else iter(())


def plan_packed(
    current: DocumentLookup,
    candidates: CandidateSource,
    packed: PackedDocuments,
    threshold: float,
    written: WrittenPrints | None = None,
) -> Changes:
    """:func:`plan_changes` of packed documents (what ``qa ingest``'s workers hand
    over), with their near-duplicate candidates planned in arrays: among themselves
    (:class:`BatchDuplicates`) and in ``candidates`` (one search for all of them,
    :meth:`IndexDuplicates.prefetch_bands`). The result is that of
    :func:`plan_changes` given the documents one by one with their fingerprints.

    Args:
        current: the indexed documents.
        candidates: where candidates among the indexed documents come from.
        packed: the new documents (the last of several with one id wins), with their
            light fingerprints where duplicates are looked for.
        threshold: the containment from which two texts are copies (0: no near-duplicate
            detection).
        written: what this ingest wrote before (see :class:`WrittenPrints`).
    """
    docs = packed.documents
    at = {d.id: i for i, d in enumerate(docs)}
    prints = _PackedPrints(packed, at)
    duplicates: IndexDuplicates | None = None
    if threshold:
        batch: Duplicates | None = None
        if packed.prints is not None and packed.bands is not None:
            batch = BatchDuplicates(
                docs, packed.bands, packed.prints.sizes, packed.fingerprint, threshold
            )
            last = np.fromiter(at.values(), dtype=np.int64, count=len(at))
            last = last[packed.prints.sizes[last] > 0]
            duplicates = IndexDuplicates(candidates, threshold, batch, written)
            duplicates.prefetch_bands([docs[i].id for i in last.tolist()], packed.bands[last])
        else:
            duplicates = IndexDuplicates(candidates, threshold, written=written)
    return plan_changes(current, docs, duplicates=duplicates, fingerprints=prints)


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
