"""Near-duplicate articles: the same story syndicated under several URLs or outlets.

Two texts are copies when nearly all of the shorter one's character 5-grams (after
folding script, width and case, without spaces and punctuation) occur in the longer
one: ``containment >= threshold`` (0.8 by default; all of them for a text shorter than
60 5-grams, where one changed character already moves the share by a tenth), and the
shorter states no number the longer lacks (counted with repeats, beyond one in ten), so
two reports on one template with different figures stay two articles. Candidates come
from MinHash LSH (datasketch) at a Jaccard similarity of 0.5, so checking a new article
against an index costs a few milliseconds however large the index; only candidates are
compared exactly.

Of two copies the first one seen is kept, unless the other is at least 10% longer (a
copy cut short must not stand for the whole story); the other is recorded on the kept
document as an :class:`~corpus.types.Alternate`.

Thresholds (docs/ingestion.md has the figures): over the 1,848 paragraphs of the CMRC
2018 and DRCD dev sets, no two different paragraphs reach a containment above 0.55;
syndicated copies of one story on the fixture pages (other titles, an added editor's
note, the last two paragraphs cut) reach 0.98 to 1.0.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from corpus.normalize import normalize_for_matching
from corpus.types import Alternate, Document

if TYPE_CHECKING:
    from datasketch import MinHash, MinHashLSH

__all__ = [
    "DEFAULT_THRESHOLD",
    "DuplicateIndex",
    "Match",
    "alternate_of",
    "containment",
    "numbers",
    "shingles",
]

DEFAULT_THRESHOLD = 0.8
"""Share of the shorter text's 5-grams that must occur in the longer one."""
SHINGLE = 5
NUM_PERM = 128
CANDIDATE_JACCARD = 0.5
"""LSH threshold: pairs below this Jaccard similarity are rarely compared."""
LONGER = 1.1
"""A copy with this many times the 5-grams of the kept one replaces it."""
MAX_MISSING_NUMBERS = 0.1
SHORT = 60
"""Texts with fewer 5-grams than this are copies only when wholly contained."""

_NON_WORD = re.compile(r"[\W_]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def shingles(text: str, size: int = SHINGLE, *, fold_script: bool = True) -> frozenset[str]:
    """The character ``size``-grams of a text, folded for matching (script, width,
    case), spaces and punctuation removed.

    Args:
        text: any text.
        size: the n-gram length.
        fold_script: fold script and width too (the costly part); without it, case only.
    """
    if fold_script:
        folded = _NON_WORD.sub("", normalize_for_matching(text))
    else:
        folded = _NON_WORD.sub("", text.casefold())
    if len(folded) <= size:
        return frozenset({folded}) if folded else frozenset()
    return frozenset(folded[i : i + size] for i in range(len(folded) - size + 1))


def numbers(text: str) -> Counter[str]:
    """The numbers a text states (digit runs, decimals included, width-folded), with how
    often each occurs."""
    return Counter(_NUMBER.findall(normalize_for_matching(text)))


def containment(a: frozenset[str], b: frozenset[str]) -> float:
    """Share of the smaller set that lies in the other (0 for an empty set)."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    if not small:
        return 0.0
    return len(small & large) / len(small)


def alternate_of(doc: Document, similarity: float) -> Alternate:
    """The record of ``doc`` as a copy merged into another document."""
    return Alternate(
        id=doc.id,
        source=doc.source,
        url=doc.url,
        title=doc.title,
        outlet=doc.outlet,
        published=doc.published,
        content_hash=doc.content_hash,
        similarity=round(similarity, 4),
    )


@dataclass(frozen=True, slots=True)
class Match:
    """An indexed document that a new one copies.

    Attributes:
        doc_id: the indexed document.
        similarity: the containment of the shorter text in the longer.
        longer: whether the new document is the longer copy (by :data:`LONGER`), and so
            should be kept instead.
    """

    doc_id: str
    similarity: float
    longer: bool


@dataclass(frozen=True, slots=True)
class _Entry:
    grams: frozenset[str]
    numbers: Counter[str]
    signature: MinHash


def _hash(value: bytes) -> int:
    return zlib.crc32(value)  # deterministic across runs, unlike hash()


class DuplicateIndex:
    """Finds the indexed documents a new one copies (MinHash LSH, then an exact check).

    Args:
        documents: documents to index at once.
        threshold: the containment from which two texts are copies (0 < t <= 1).

    Raises:
        ValueError: for a threshold outside (0, 1].
        ImportError: when datasketch is not installed.
    """

    def __init__(self, documents: Iterable[Document] = (), *, threshold: float = DEFAULT_THRESHOLD):
        if not 0.0 < threshold <= 1.0:
            raise ValueError("the duplicate threshold must be greater than 0 and at most 1")
        try:
            from datasketch import MinHashLSH
        except ImportError as exc:  # pragma: no cover - a declared dependency
            raise ImportError(
                "near-duplicate detection needs datasketch: pip install 'datasketch>=1.6'"
            ) from exc
        self.threshold = threshold
        self._lsh: MinHashLSH = MinHashLSH(threshold=CANDIDATE_JACCARD, num_perm=NUM_PERM)
        self._entries: dict[str, _Entry] = {}
        for doc in documents:
            self.add(doc)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._entries

    def _entry(self, text: str) -> _Entry:
        from datasketch import MinHash

        grams = shingles(text)
        signature = MinHash(num_perm=NUM_PERM, hashfunc=_hash)
        signature.update_batch([g.encode("utf-8") for g in grams])
        return _Entry(grams, numbers(text), signature)

    def add(self, doc: Document) -> None:
        """Index a document (replacing an earlier one with its id)."""
        self.remove(doc.id)
        entry = self._entry(doc.text)
        if not entry.grams:
            return
        self._entries[doc.id] = entry
        self._lsh.insert(doc.id, entry.signature)

    def remove(self, doc_id: str) -> None:
        """Forget a document (nothing happens for an unknown id)."""
        if self._entries.pop(doc_id, None) is not None:
            self._lsh.remove(doc_id)

    def find(self, doc: Document) -> Match | None:
        """The indexed document (other than ``doc`` itself) that ``doc`` copies most
        closely, or None."""
        entry = self._entry(doc.text)
        if not entry.grams:
            return None
        best: Match | None = None
        for key in self._lsh.query(entry.signature):
            if key == doc.id:
                continue
            other = self._entries[key]
            similarity = containment(entry.grams, other.grams)
            small, large = (
                (entry, other) if len(entry.grams) <= len(other.grams) else (other, entry)
            )
            needed = 1.0 if len(small.grams) < SHORT else self.threshold
            if similarity < needed:
                continue
            missing = sum((small.numbers - large.numbers).values())
            if missing > MAX_MISSING_NUMBERS * sum(small.numbers.values()):
                continue
            if best is None or similarity > best.similarity:
                longer = len(entry.grams) >= LONGER * len(other.grams)
                best = Match(str(key), similarity, longer)
        return best
