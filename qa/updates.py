"""What an update changes: new, changed and unchanged documents, and removals."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from corpus.types import Document

__all__ = ["IngestSummary", "latest_by_id", "merge_documents", "remove_documents"]


@dataclass(frozen=True, slots=True)
class IngestSummary:
    """What an ingest changed (counts of documents).

    Attributes:
        added: documents that were not in the index.
        updated: documents whose text changed.
        unchanged: documents already indexed as they are (no work done).
        removed: documents taken out.
    """

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        """True when the index content changed."""
        return bool(self.added or self.updated or self.removed)


def latest_by_id(documents: Iterable[Document]) -> list[Document]:
    """Documents with text, keeping the last of each id (a later version replaces an
    earlier one, in the earlier one's place)."""
    return list({d.id: d for d in documents if d.text.strip()}.values())


def merge_documents(
    current: Sequence[Document], incoming: Iterable[Document]
) -> tuple[tuple[Document, ...], IngestSummary]:
    """The document set after adding ``incoming`` to ``current``.

    A document whose id is new is added; one with a known id replaces the old version
    when its content differs (same content hash and text: unchanged, nothing to do).

    Returns:
        The merged documents (current order, new ones appended) and what changed.
    """
    merged: dict[str, Document] = {d.id: d for d in current}
    existing: Mapping[str, Document] = dict(merged)
    added = updated = unchanged = 0
    for doc in latest_by_id(incoming):
        old = existing.get(doc.id)
        if old is None:
            added += 1
        elif old.content_hash == doc.content_hash and old.text == doc.text:
            unchanged += 1
            continue
        else:
            updated += 1
        merged[doc.id] = doc
    summary = IngestSummary(added=added, updated=updated, unchanged=unchanged)
    return tuple(merged.values()), summary


def remove_documents(
    current: Sequence[Document], doc_ids: Iterable[str]
) -> tuple[tuple[Document, ...], int]:
    """The documents left after removing ``doc_ids``, and how many were removed."""
    drop = set(doc_ids)
    kept = tuple(d for d in current if d.id not in drop)
    return kept, len(current) - len(kept)
