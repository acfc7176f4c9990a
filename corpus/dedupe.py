"""Near-duplicate articles: the same story syndicated under several URLs or outlets.

Two texts are copies when nearly all of the shorter one's character 5-grams (after
folding script, width and case, without spaces and punctuation) occur in the longer
one: ``containment >= threshold`` (0.8 by default; all of them for a text shorter than
60 5-grams, where one changed character already moves the share by a tenth), and the
shorter states no number the longer lacks (counted with repeats, beyond one in ten), so
two reports on one template with different figures stay two articles. Candidates come
from MinHash LSH (computed with numpy) at a Jaccard similarity of 0.5, so checking a new article
against an index costs a few milliseconds however large the index; only candidates are
compared exactly.

Texts are compared through a :class:`Fingerprint`: the 64-bit hashes of its 5-grams
(sorted, unique: containment is an intersection of two integer arrays), the numbers it
states, and a 128-value MinHash signature of the 5-gram hashes, computed with numpy
(one-permutation hashing: each gram hashed once into one of 128 bins; 25 bands of 5
rows, the banding datasketch picks for a Jaccard threshold of 0.5). The signature's band keys
are what an index stores to find candidates without holding any text in memory.

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
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from corpus.normalize import normalize_for_matching
from corpus.types import Alternate, Document

__all__ = [
    "BANDS",
    "DEFAULT_THRESHOLD",
    "DuplicateIndex",
    "Fingerprint",
    "Match",
    "alternate_of",
    "band_keys",
    "better",
    "cannot_match",
    "compare",
    "complete",
    "containment",
    "fingerprint",
    "gram_hashes",
    "numbers",
    "shingles",
]

DEFAULT_THRESHOLD = 0.8
"""Share of the shorter text's 5-grams that must occur in the longer one."""
SHINGLE = 5
NUM_PERM = 128
BANDS = 25
"""LSH bands (of :data:`ROWS` signature values each): texts sharing one band are
candidates; 25 x 5 of 128 values is datasketch's choice for a Jaccard threshold of 0.5."""
ROWS = 5
CANDIDATE_JACCARD = 0.5
"""LSH threshold: pairs below this Jaccard similarity are rarely compared."""
LONGER = 1.1
"""A copy with this many times the 5-grams of the kept one replaces it."""
MAX_MISSING_NUMBERS = 0.1
SHORT = 60
"""Texts with fewer 5-grams than this are copies only when wholly contained."""

_NON_WORD = re.compile(r"[\W_]+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_MIX = np.uint64(0x9E3779B97F4A7C15)
_MIX2 = np.uint64(0xD6E8FEB86659FD93)
_BIN_BITS = 7  # 2**7 == NUM_PERM bins
_ROTATE = 0x9E3779B1
_M64 = (1 << 64) - 1


def shingles(text: str, size: int = SHINGLE, *, fold_script: bool = True) -> frozenset[str]:
    """The character ``size``-grams of a text, folded for matching (script, width,
    case), spaces and punctuation removed.

    Args:
        text: any text.
        size: the n-gram length.
        fold_script: fold script and width too (the costly part); without it, case only.
    """
    folded = _fold(text, fold_script)
    if len(folded) <= size:
        return frozenset({folded}) if folded else frozenset()
    return frozenset(folded[i : i + size] for i in range(len(folded) - size + 1))


def _fold(text: str, fold_script: bool = True) -> str:
    if fold_script:
        return _NON_WORD.sub("", normalize_for_matching(text))
    return _NON_WORD.sub("", text.casefold())


def gram_hashes(folded: str, size: int = SHINGLE) -> npt.NDArray[np.uint64]:
    """64-bit hashes of the ``size``-grams of an already folded text (sorted, unique).

    The hashes stand for :func:`shingles` (two texts share a hash where they share a
    5-gram, but for a 64-bit collision).
    """
    if not folded:
        return np.empty(0, dtype=np.uint64)
    cps = np.frombuffer(folded.encode("utf-32-le", "surrogatepass"), dtype="<u4").astype(np.uint64)
    n = cps.shape[0]
    if n <= size:
        whole = 0
        for c in cps.tolist():
            whole = (whole * int(_MIX) + c + 1) & _M64
        return np.array([whole], dtype=np.uint64)
    h = np.zeros(n - size + 1, dtype=np.uint64)
    for j in range(size):
        h = h * _MIX + cps[j : n - size + 1 + j] + np.uint64(1)
    h ^= h >> np.uint64(29)
    return np.unique(h)


def signature(grams: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint32]:
    """The MinHash signature (:data:`NUM_PERM` values) of a set of gram hashes, by
    one-permutation hashing with rotation densification (Shrivastava and Li, 2014): each
    gram is hashed once and falls into one of :data:`NUM_PERM` bins, each value is the
    least hash in its bin, and an empty bin borrows from the next non-empty one. It
    estimates Jaccard similarity like 128 independent permutations, at the cost of one."""
    if grams.size == 0:
        return np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)
    h = grams * _MIX2
    h ^= h >> np.uint64(31)
    bins = (h >> np.uint64(64 - _BIN_BITS)).astype(np.intp)
    values = (h & np.uint64(0xFFFFFFFF)).astype(np.uint32)
    sig = np.full(NUM_PERM, np.iinfo(np.uint32).max, dtype=np.uint32)
    np.minimum.at(sig, bins, values)
    filled = np.bincount(bins, minlength=NUM_PERM) > 0
    if not filled.all():
        full = np.flatnonzero(filled)
        slots = np.arange(NUM_PERM)
        donor = full[np.searchsorted(full, slots) % full.shape[0]]
        distance = ((donor - slots) % NUM_PERM).astype(np.uint32)
        sig = np.where(filled, sig, sig[donor] + distance * np.uint32(_ROTATE))
    return sig.astype(np.uint32)


def band_keys(sig: npt.NDArray[np.uint32]) -> npt.NDArray[np.uint64]:
    """One 64-bit key per LSH band of a signature (texts sharing a key are candidates)."""
    rows = sig[: BANDS * ROWS].reshape(BANDS, ROWS).astype(np.uint64)
    key = np.arange(1, BANDS + 1, dtype=np.uint64)
    for j in range(ROWS):
        key = key * _MIX + rows[:, j]
    key ^= key >> np.uint64(31)
    return key


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


@dataclass(frozen=True, slots=True, eq=False)
class Fingerprint:
    """What near-duplicate detection compares of a text.

    Attributes:
        grams: hashes of its folded 5-grams (sorted, unique); None in a light
            fingerprint (:meth:`light`), where :func:`complete` computes them again.
        numbers: the numbers it states, with counts.
        signature: the MinHash signature of the grams.
        bands: the LSH band keys of the signature.
        size: the number of distinct grams.
    """

    grams: npt.NDArray[np.uint64] | None
    numbers: Counter[str]
    signature: npt.NDArray[np.uint32]
    bands: npt.NDArray[np.uint64]
    size: int

    def light(self) -> Fingerprint:
        """This fingerprint without its grams (what finding candidates needs; a tenth of
        the bytes to hold or send between processes)."""
        return Fingerprint(None, self.numbers, self.signature, self.bands, self.size)


def fingerprint(text: str) -> Fingerprint:
    """The fingerprint of a text (folded once for grams and numbers)."""
    folded = normalize_for_matching(text)
    grams = gram_hashes(_NON_WORD.sub("", folded))
    sig = signature(grams)
    return Fingerprint(
        grams, Counter(_NUMBER.findall(folded)), sig, band_keys(sig), int(grams.shape[0])
    )


def complete(print_: Fingerprint, text: str) -> Fingerprint:
    """``print_`` with its grams (computed again from ``text`` for a light one)."""
    return print_ if print_.grams is not None else fingerprint(text)


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


def cannot_match(new: Fingerprint, other: Fingerprint) -> bool:
    """Whether :func:`compare` of these two returns None whatever their grams: a text
    without grams, or a shorter text that states numbers the longer lacks. Decided from
    light fingerprints (:meth:`Fingerprint.light`), so the grams of most candidates are
    never computed."""
    if new.size == 0 or other.size == 0:
        return True
    small, large = (new, other) if new.size <= other.size else (other, new)
    missing = sum((small.numbers - large.numbers).values())
    return missing > MAX_MISSING_NUMBERS * sum(small.numbers.values())


def compare(
    new: Fingerprint, other: Fingerprint, other_id: str, threshold: float = DEFAULT_THRESHOLD
) -> Match | None:
    """Whether the text of ``new`` copies that of ``other`` (the rules of this module).

    Returns:
        The match, or None when they are different texts.
    """
    if new.size == 0 or other.size == 0:
        return None
    if new.grams is None or other.grams is None:
        raise ValueError("compare needs complete fingerprints (see complete())")
    shared = np.intersect1d(new.grams, other.grams, assume_unique=True).shape[0]
    small, large = (new, other) if new.size <= other.size else (other, new)
    similarity = shared / small.size
    needed = 1.0 if small.size < SHORT else threshold
    if similarity < needed:
        return None
    missing = sum((small.numbers - large.numbers).values())
    if missing > MAX_MISSING_NUMBERS * sum(small.numbers.values()):
        return None
    return Match(other_id, similarity, new.size >= LONGER * other.size)


def better(a: Match | None, b: Match | None) -> Match | None:
    """The closer of two matches (the first on a tie)."""
    if a is None:
        return b
    if b is None or b.similarity <= a.similarity:
        return a
    return b


class DuplicateIndex:
    """Finds the indexed documents a new one copies (MinHash LSH, then an exact check),
    all in memory.

    Args:
        documents: documents to index at once.
        threshold: the containment from which two texts are copies (0 < t <= 1).

    Raises:
        ValueError: for a threshold outside (0, 1].
    """

    def __init__(self, documents: Iterable[Document] = (), *, threshold: float = DEFAULT_THRESHOLD):
        if not 0.0 < threshold <= 1.0:
            raise ValueError("the duplicate threshold must be greater than 0 and at most 1")
        self.threshold = threshold
        self._entries: dict[str, Fingerprint] = {}
        self._texts: dict[str, str] = {}
        self._bands: list[dict[int, list[str]]] = [{} for _ in range(BANDS)]
        for doc in documents:
            self.add(doc)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, doc_id: object) -> bool:
        return doc_id in self._entries

    def add(self, doc: Document, print_: Fingerprint | None = None) -> None:
        """Index a document (replacing an earlier one with its id).

        Args:
            doc: the document.
            print_: its fingerprint, where the caller already has it.
        """
        self.remove(doc.id)
        entry = print_ if print_ is not None else fingerprint(doc.body)
        if entry.size == 0:
            return
        self._entries[doc.id] = entry
        self._texts[doc.id] = doc.body
        for table, key in zip(self._bands, entry.bands.tolist(), strict=True):
            holders = table.get(key)
            if holders is None:
                table[key] = [doc.id]
            else:
                holders.append(doc.id)

    def remove(self, doc_id: str) -> None:
        """Forget a document (nothing happens for an unknown id)."""
        entry = self._entries.pop(doc_id, None)
        self._texts.pop(doc_id, None)
        if entry is None:
            return
        for table, key in zip(self._bands, entry.bands.tolist(), strict=True):
            holders = table.get(key)
            if holders is not None:
                holders.remove(doc_id)
                if not holders:
                    del table[key]

    def candidates(self, bands: Sequence[int]) -> set[str]:
        """Ids of indexed documents sharing one of these band keys."""
        found: set[str] = set()
        for table, key in zip(self._bands, bands, strict=True):
            holders = table.get(key)
            if holders:
                found.update(holders)
        return found

    def find(self, doc: Document, print_: Fingerprint | None = None) -> Match | None:
        """The indexed document (other than ``doc`` itself) that ``doc`` copies most
        closely, or None.

        Args:
            doc: the new document.
            print_: its fingerprint, where the caller already has it.
        """
        entry = print_ if print_ is not None else fingerprint(doc.body)
        if entry.size == 0:
            return None
        best: Match | None = None
        for key in sorted(self.candidates(entry.bands.tolist())):
            if key == doc.id or cannot_match(entry, self._entries[key]):
                continue
            entry = complete(entry, doc.body)
            other = self._entries[key]
            if other.grams is None:
                other = self._entries[key] = complete(other, self._texts[key])
            best = better(best, compare(entry, other, key, self.threshold))
        return best
