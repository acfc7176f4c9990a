"""What an update changes: new, changed, unchanged and merged documents, and removals."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from corpus.dedupe import DuplicateIndex, alternate_of
from corpus.types import Alternate, Document

__all__ = [
    "IngestSummary",
    "Merge",
    "latest_by_id",
    "merge_documents",
    "merges_in",
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


def merges_in(documents: Iterable[Document]) -> tuple[Merge, ...]:
    """The merges recorded on ``documents`` (their alternates)."""
    return tuple(Merge(d.id, a) for d in documents for a in d.alternates)


def merge_documents(
    current: Sequence[Document],
    incoming: Iterable[Document],
    *,
    duplicates: DuplicateIndex | None = None,
) -> tuple[tuple[Document, ...], IngestSummary]:
    """The document set after adding ``incoming`` to ``current``.

    A document whose id is indexed replaces the old version when its content differs
    (same content hash and text: unchanged, nothing to do); it keeps the old version's
    alternates. A document with a new id that copies an indexed story (by
    ``duplicates``) is recorded on it as an alternate, or replaces it where it is the
    longer copy; one whose id is a recorded alternate with the same content hash is
    unchanged. Anything else is added.

    Args:
        current: the indexed documents.
        incoming: new versions and new documents (the last of several with one id wins).
        duplicates: a near-duplicate index over ``current``, updated in place to match
            the result; None to skip near-duplicate detection.

    Returns:
        The merged documents (current order, new ones appended) and what changed.
    """
    merged: dict[str, Document] = {d.id: d for d in current}
    owner = {a.id: d.id for d in current for a in d.alternates}
    added = updated = unchanged = 0
    merges: list[Merge] = []
    for doc in latest_by_id(incoming):
        old = merged.get(doc.id)
        if old is not None:
            if old.content_hash == doc.content_hash and old.text == doc.text:
                unchanged += 1
                continue
            updated += 1
            merged[doc.id] = replace(doc, alternates=old.alternates)
            if duplicates is not None:
                duplicates.add(doc)
            continue
        kept_id = owner.get(doc.id)
        if kept_id is not None and kept_id in merged:
            kept = merged[kept_id]
            known = next(a for a in kept.alternates if a.id == doc.id)
            if known.content_hash == doc.content_hash:
                unchanged += 1
                continue
            # A changed copy: drop its old record and look at it afresh.
            others = tuple(a for a in kept.alternates if a.id != doc.id)
            merged[kept_id] = replace(kept, alternates=others)
            del owner[doc.id]
        match = duplicates.find(doc) if duplicates is not None else None
        if match is None or match.doc_id not in merged:
            added += 1
            merged[doc.id] = doc
            if duplicates is not None:
                duplicates.add(doc)
            continue
        kept = merged[match.doc_id]
        if match.longer:
            record = alternate_of(kept, match.similarity)
            new = replace(doc, alternates=(*kept.alternates, record))
            del merged[kept.id]
            merged[doc.id] = new
            assert duplicates is not None
            duplicates.remove(kept.id)
            duplicates.add(new)
            for alt in new.alternates:
                owner[alt.id] = new.id
            merges.append(Merge(new.id, record, replaced=True))
        else:
            record = alternate_of(doc, match.similarity)
            merged[kept.id] = replace(kept, alternates=(*kept.alternates, record))
            owner[doc.id] = kept.id
            merges.append(Merge(kept.id, record))
    summary = IngestSummary(
        added=added,
        updated=updated,
        unchanged=unchanged,
        merged=len(merges),
        merges=tuple(merges),
    )
    return tuple(merged.values()), summary


def remove_documents(
    current: Sequence[Document], doc_ids: Iterable[str]
) -> tuple[tuple[Document, ...], int]:
    """The documents left after removing ``doc_ids``, and how many were removed."""
    drop = set(doc_ids)
    kept = tuple(d for d in current if d.id not in drop)
    return kept, len(current) - len(kept)
