"""Core corpus types: frozen, typed, and serialisable to plain dicts."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

__all__ = [
    "Alternate",
    "Chunk",
    "CleaningReport",
    "Document",
    "Removal",
    "content_hash",
    "stable_id",
]


def stable_id(*parts: str, length: int = 16) -> str:
    """Deterministic hex id from string parts (sha1, truncated)."""
    h = hashlib.sha1()
    for part in parts:
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()[:length]


def content_hash(text: str) -> str:
    """Full sha256 of a text, used to detect changed articles."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Removal:
    """One thing the cleaner took out of an article.

    Attributes:
        rule: name of the cleaning rule (``pinyin``, ``boilerplate``, ``caption``, ...).
        text: the removed text, verbatim.
        start: offset of the removed text in the article as given (for a report of
            :func:`~corpus.cleaning.clean_article`: ``raw[start:end] == text``; a rule
            called on its own reports offsets into its input).
        end: end offset (exclusive); ``0, 0`` where unknown (older indexes).
    """

    rule: str
    text: str
    start: int = 0
    end: int = 0


@dataclass(frozen=True, slots=True)
class CleaningReport:
    """What cleaning removed from one article, in order of removal."""

    removals: tuple[Removal, ...] = ()

    def count(self, rule: str | None = None) -> int:
        """Number of removals, optionally only those of one rule."""
        return sum(1 for r in self.removals if rule is None or r.rule == rule)

    def by_rule(self) -> dict[str, int]:
        """Removal counts per rule."""
        counts: dict[str, int] = {}
        for r in self.removals:
            counts[r.rule] = counts.get(r.rule, 0) + 1
        return counts


@dataclass(frozen=True, slots=True)
class Alternate:
    """Another copy of a document's story (the same text under another URL or outlet),
    merged into the document at ingest instead of being indexed twice.

    Attributes:
        id: the id the copy would have had.
        source: where the copy came from (file path, URL).
        url: its URL where known, else "".
        title: its title where known, else "".
        outlet: its outlet where known, else "".
        published: its publish time where known, else "".
        content_hash: its content hash (re-ingesting the same copy changes nothing).
        similarity: share of the shorter text's character 5-grams found in the other
            (1.0 for identical texts).
    """

    id: str
    source: str
    url: str = ""
    title: str = ""
    outlet: str = ""
    published: str = ""
    content_hash: str = ""
    similarity: float = 0.0


@dataclass(frozen=True, slots=True)
class Document:
    """A cleaned article.

    Attributes:
        id: deterministic id (see :mod:`corpus.ids`): from the article's canonical URL
            where it has one, else from its path relative to the folder it was loaded
            from; stable across edits of the text, so a changed article replaces its
            earlier version.
        title: the article's title, or its first line where it states none.
        text: the cleaned text, in the article's own script: the headline's line first
            where the article states a title (see :attr:`body`), then the body.
        source: where it came from (file path, URL or the id given in a JSONL line).
        url: the article's (canonical) URL where known, else "".
        published: publish time as ISO 8601 (``2024-07-01T17:35:13`` or ``2024-11-01``),
            "" where the article does not state it.
        outlet: the news outlet where stated (``中新網``, ``澎湃新聞``), else "".
        reporter: reporter name(s) where stated, else "".
        place: dateline place where stated (``杭州``), else "".
        content_hash: sha256 of the input text (for a web page: of its extracted text
            and metadata), to detect changed articles.
        meta: further metadata, as sorted (key, value) pairs (photo captions, the site
            name, the fetch time of a crawled page, ...).
        report: what cleaning removed.
        alternates: other copies of the same story merged into this document at ingest
            (see :mod:`corpus.dedupe`).
    """

    id: str
    title: str
    text: str
    source: str
    url: str = ""
    published: str = ""
    outlet: str = ""
    reporter: str = ""
    place: str = ""
    content_hash: str = ""
    meta: tuple[tuple[str, str], ...] = ()
    report: CleaningReport = field(default_factory=CleaningReport)
    alternates: tuple[Alternate, ...] = ()

    @property
    def body(self) -> str:
        """The text without its headline line: what two copies of one story share even
        under different headlines (near-duplicate detection compares bodies)."""
        if self.title and self.text.startswith(self.title + "\n"):
            return self.text[len(self.title) + 1 :]
        return self.text

    @property
    def display_title(self) -> str:
        """The stated title, or the first line of the text (shortened) where there is none."""
        if self.title:
            return self.title
        first = self.text.strip().split("\n", 1)[0].strip()
        return first if len(first) <= 40 else first[:40] + "…"

    def get_meta(self, key: str, default: str = "") -> str:
        """The first value stored under ``key`` in :attr:`meta`."""
        for k, v in self.meta:
            if k == key:
                return v
        return default

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-serialisable)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Document:
        """Inverse of :meth:`to_dict`."""
        report = data.get("report") or {}
        removals = tuple(Removal(**r) for r in report.get("removals", ()))
        return cls(
            id=data["id"],
            title=data.get("title", ""),
            text=data["text"],
            source=data.get("source", ""),
            url=data.get("url", ""),
            published=data.get("published", ""),
            outlet=data.get("outlet", ""),
            reporter=data.get("reporter", ""),
            place=data.get("place", ""),
            content_hash=data.get("content_hash", ""),
            meta=tuple((str(k), str(v)) for k, v in data.get("meta", ())),
            report=CleaningReport(removals),
            alternates=tuple(Alternate(**a) for a in data.get("alternates", ())),
        )


@dataclass(frozen=True, slots=True)
class Chunk:
    """A span of a document's cleaned text.

    Invariant: ``document.text[chunk.start:chunk.end] == chunk.text``.
    """

    id: str
    doc_id: str
    index: int
    text: str
    start: int
    end: int

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form (JSON-serialisable)."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Chunk:
        """Inverse of :meth:`to_dict`."""
        return cls(**data)
