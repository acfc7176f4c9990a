"""Models of ``/v1/documents``."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from qa import Alternate, Document, IngestSummary, Merge
from service.schemas.common import Request

__all__ = [
    "DOC_ID_ALPHABET",
    "INGEST_EXAMPLE",
    "MAX_DOC_ID",
    "AlternateOut",
    "CleaningReportOut",
    "DeleteResponse",
    "DocumentDetail",
    "DocumentList",
    "DocumentSummary",
    "IngestArticle",
    "IngestRequest",
    "IngestResponse",
    "IngestedDocument",
    "MergeOut",
    "RemovalOut",
    "SkippedOut",
    "doc_id_problem",
    "public_source",
]

MAX_DOC_ID = 200
"""The longest id a client may give a document."""
DOC_ID_ALPHABET = "letters A-Z a-z, digits and . _ : -"
"""What an id a client gives may hold: each such id is one path segment of
``/v1/documents/{id}`` as it is, with nothing to escape."""
_DOC_ID = re.compile(r"[A-Za-z0-9._:-]+")


def doc_id_problem(doc_id: str) -> str | None:
    """Why ``doc_id`` cannot be a document's id given by a client, else None: it must
    hold only :data:`DOC_ID_ALPHABET`, at most :data:`MAX_DOC_ID` characters, and not be
    ``.`` or ``..`` (which URLs resolve away)."""
    if not doc_id:
        return "an id must not be empty"
    if len(doc_id) > MAX_DOC_ID:
        return f"an id has at most {MAX_DOC_ID} characters ({len(doc_id)} given)"
    if not _DOC_ID.fullmatch(doc_id):
        bad = next(c for c in doc_id if not _DOC_ID.fullmatch(c))
        return (
            f"an id may hold only {DOC_ID_ALPHABET} (so that /v1/documents/{{id}} addresses "
            f"it); {bad!r} is not allowed"
        )
    if doc_id in (".", ".."):
        return "an id must not be '.' or '..'"
    return None


def _valid_id(doc_id: str | None) -> str | None:
    if doc_id is not None:
        problem = doc_id_problem(doc_id)
        if problem:
            raise ValueError(problem)
    return doc_id


_WINDOWS_PATH = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\)")


def public_source(source: str) -> str:
    """A document's source as clients see it: never an absolute server path. Sources are
    stored relative to what was ingested (or as the URL); an index written before that
    holds absolute paths, shown by their last component (``a.txt``, ``feed.jsonl:7``)."""
    if source.startswith("/") or _WINDOWS_PATH.match(source):
        return re.split(r"[\\/]", source.rstrip("/\\"))[-1]
    return source


class DocumentSummary(BaseModel):
    """A document's metadata, without its text."""

    id: str
    title: str
    outlet: str
    published: str
    source: str
    url: str
    chars: int = Field(description="Length of the cleaned text.")

    @classmethod
    def from_qa(cls, d: Document) -> DocumentSummary:
        """Map a :class:`~qa.Document`."""
        return cls(
            id=d.id,
            title=d.display_title,
            outlet=d.outlet,
            published=d.published,
            source=public_source(d.source),
            url=d.url,
            chars=len(d.text),
        )


class DocumentList(BaseModel):
    """A page of documents."""

    total: int
    offset: int
    limit: int
    documents: list[DocumentSummary]


class RemovalOut(BaseModel):
    """One thing cleaning took out, with its offsets in the article as given."""

    rule: str
    text: str
    start: int = Field(description="Offset of the removed text in the raw article.")
    end: int = Field(description="End offset (exclusive).")


class CleaningReportOut(BaseModel):
    """What cleaning removed from the article."""

    counts: dict[str, int]
    removals: list[RemovalOut]


class AlternateOut(BaseModel):
    """Another copy of the document's story, merged into it at ingest."""

    id: str = Field(description="The id the copy would have had.")
    source: str
    url: str
    title: str
    outlet: str
    published: str
    similarity: float = Field(
        description="Share of the shorter text's character 5-grams found in the other."
    )

    @classmethod
    def from_qa(cls, a: Alternate) -> AlternateOut:
        """Map an :class:`~qa.Alternate`."""
        return cls(
            id=a.id,
            source=public_source(a.source),
            url=a.url,
            title=a.title,
            outlet=a.outlet,
            published=a.published,
            similarity=a.similarity,
        )


class DocumentDetail(DocumentSummary):
    """A document: cleaned text, metadata, cleaning report and merged copies."""

    text: str
    reporter: str
    place: str
    meta: dict[str, str]
    report: CleaningReportOut
    alternates: list[AlternateOut] = Field(
        default_factory=list, description="Copies of the same story merged into it."
    )

    @classmethod
    def from_qa(cls, d: Document) -> DocumentDetail:
        """Map a :class:`~qa.Document`."""
        meta: dict[str, str] = {}
        for key, value in d.meta:
            meta.setdefault(key, value)
        return cls(
            **DocumentSummary.from_qa(d).model_dump(),
            text=d.text,
            reporter=d.reporter,
            place=d.place,
            meta=meta,
            report=CleaningReportOut(
                counts=d.report.by_rule(),
                removals=[
                    RemovalOut(rule=r.rule, text=r.text, start=r.start, end=r.end)
                    for r in d.report.removals
                ],
            ),
            alternates=[AlternateOut.from_qa(a) for a in d.alternates],
        )


class IngestArticle(Request):
    """One article to add (cleaned like a file would be)."""

    text: str = Field(min_length=1, max_length=2_000_000, description="The raw article text.")
    id: Annotated[str | None, AfterValidator(_valid_id)] = Field(
        default=None,
        min_length=1,
        max_length=MAX_DOC_ID,
        # In the schema only: the validator gives the reason a pattern error would not.
        json_schema_extra={"pattern": r"^[A-Za-z0-9._:-]+$"},
        description=f"The article's id: {DOC_ID_ALPHABET}, at most {MAX_DOC_ID} characters "
        "(default: derived from url, source or text).",
    )
    title: str = Field(default="", max_length=1000)
    url: str = Field(default="", max_length=4000)
    published: str = Field(default="", max_length=40, examples=["2024-11-01"])
    outlet: str = Field(default="", max_length=200)
    source: str | None = Field(
        default=None,
        min_length=1,
        max_length=4000,
        description="Where it came from; the id derives from it (default: url, else the text).",
    )


INGEST_EXAMPLE: dict[str, Any] = {
    "articles": [
        {
            "title": "白马湖实验室发布新成果",
            "text": "杭州11月2日电 白马湖实验室今天发布了无人智能清舱装备。",
            "outlet": "示例新闻",
            "published": "2024-11-02",
        }
    ]
}


class IngestRequest(Request):
    """Articles to add; an article with the id of an indexed one replaces it."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [INGEST_EXAMPLE]},
    )

    articles: list[IngestArticle] = Field(min_length=1, max_length=1000)


class SkippedOut(BaseModel):
    """An article, file or archive record that was not added, and why."""

    source: str
    reason: str
    code: str = Field(
        default="", description="The reason's short name (list-page, not-html, empty, ...)."
    )


class MergeOut(BaseModel):
    """A copy of an indexed story, merged into it instead of indexed again."""

    kept: str = Field(description="The id of the document that stays in the index.")
    alternate: AlternateOut
    replaced: bool = Field(
        description="True where the copy was the indexed document, replaced by a longer copy."
    )

    @classmethod
    def from_qa(cls, m: Merge) -> MergeOut:
        """Map a :class:`~qa.Merge`."""
        return cls(kept=m.kept, alternate=AlternateOut.from_qa(m.alternate), replaced=m.replaced)


class IngestedDocument(DocumentSummary):
    """A document of a write, and where it is served."""

    merged_into: str | None = Field(
        default=None,
        description="Where the article copies an indexed story: the id of the document it "
        "was merged into (GET that id; the copy is in its alternates), as its own id "
        "addresses no document. null: served under its own id.",
    )


class IngestResponse(BaseModel):
    """What a write changed."""

    added: int
    updated: int
    unchanged: int
    merged: int = Field(description="Copies of indexed stories merged into them.")
    merges: list[MergeOut]
    skipped: list[SkippedOut]
    documents: list[IngestedDocument] = Field(description="The documents of this request.")
    total_documents: int

    @classmethod
    def from_qa(
        cls,
        summary: IngestSummary,
        skipped: list[SkippedOut],
        documents: list[Document],
        total: int,
        merged_into: Mapping[str, str] | None = None,
    ) -> IngestResponse:
        """Map an :class:`~qa.IngestSummary`; ``merged_into`` maps the id of each
        document merged into another to that one's id."""
        into = merged_into or {}
        return cls(
            added=summary.added,
            updated=summary.updated,
            unchanged=summary.unchanged,
            merged=summary.merged,
            merges=[MergeOut.from_qa(m) for m in summary.merges],
            skipped=skipped,
            documents=[
                IngestedDocument(
                    **DocumentSummary.from_qa(d).model_dump(), merged_into=into.get(d.id)
                )
                for d in documents
            ],
            total_documents=total,
        )


class DeleteResponse(BaseModel):
    """A removed document."""

    deleted: str
    total_documents: int
