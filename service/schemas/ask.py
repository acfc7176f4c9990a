"""Models of ``POST /v1/ask`` and ``GET /v1/search``."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from qa import Answer, Citation, Passage, SearchFilters
from service.schemas.common import (
    MAX_QUESTION,
    NOT_BLANK,
    SEED_QUESTION,
    IsoDate,
    PositiveInt,
    Request,
)

__all__ = ["AskRequest", "AskResponse", "CitationOut", "Filters", "PassageOut", "SearchResponse"]


class Filters(Request):
    """Restrict retrieval to some documents (all given conditions must hold)."""

    doc_ids: list[str] = Field(default_factory=list, max_length=1000)
    outlets: list[str] = Field(default_factory=list, max_length=100)
    published_from: IsoDate | None = None
    published_to: IsoDate | None = None

    def to_qa(self) -> SearchFilters:
        """The library's :class:`~qa.SearchFilters`."""
        return SearchFilters(
            doc_ids=tuple(self.doc_ids),
            outlets=tuple(self.outlets),
            published_from=self.published_from or "",
            published_to=self.published_to or "",
        )


class AskRequest(Request):
    """A question to answer from the corpus."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"question": SEED_QUESTION, "top_k": 5},
                {
                    "question": "白马湖实验室是谁牵头共建的?",
                    "filters": {"outlets": ["中新網"], "published_from": "2024-01-01"},
                },
            ]
        },
    )

    question: str = Field(
        min_length=1,
        max_length=MAX_QUESTION,
        pattern=NOT_BLANK,
        description="Simplified or traditional script; not blank.",
    )
    top_k: PositiveInt | None = Field(default=None, description="Passages to use (1 to max_top_k).")
    filters: Filters | None = None


class CitationOut(BaseModel):
    """Where an answer sentence comes from; ``quote == document.text[start:end]``."""

    marker: int = Field(description="The n of the [n] marker in the answer text.")
    doc_id: str
    chunk_id: str
    title: str
    outlet: str
    date: str
    url: str
    quote: str
    start: int = Field(description="Start offset of the quote in the document's cleaned text.")
    end: int = Field(description="End offset (exclusive).")

    @classmethod
    def from_qa(cls, c: Citation) -> CitationOut:
        """Map a :class:`~qa.Citation`."""
        return cls(
            marker=c.marker,
            doc_id=c.doc_id,
            chunk_id=c.chunk_id,
            title=c.title,
            outlet=c.outlet,
            date=c.date,
            url=c.url,
            quote=c.quote,
            start=c.start,
            end=c.end,
        )


class PassageOut(BaseModel):
    """A retrieved chunk with its scores and its document's metadata."""

    rank: int
    score: float = Field(description="The fused score results are ranked by.")
    scores: dict[str, float] = Field(description="Per retriever: bm25, dense, fused.")
    doc_id: str
    chunk_id: str
    text: str
    start: int
    end: int
    title: str
    outlet: str
    published: str
    url: str

    @classmethod
    def from_qa(cls, p: Passage) -> PassageOut:
        """Map a :class:`~qa.Passage`."""
        doc = p.document
        return cls(
            rank=p.rank,
            score=float(p.score),
            scores={k: float(v) for k, v in p.scores.items()},
            doc_id=doc.id,
            chunk_id=p.chunk.id,
            text=p.chunk.text,
            start=p.chunk.start,
            end=p.chunk.end,
            title=doc.display_title,
            outlet=doc.outlet,
            published=doc.published,
            url=doc.url,
        )


class AskResponse(BaseModel):
    """An answer with citations, the passages it was drawn from, and timings."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "question": SEED_QUESTION,
                    "answer": "这是长三角国资百企联盟下设的第一个专业子联盟,在三省一市国资委大力"
                    "支持下,由浙江省能源集团等4家企业牵头组建 [1]",
                    "abstained": False,
                    "confidence": 0.84,
                    "citations": [
                        {
                            "marker": 1,
                            "doc_id": "b953cbe5ffcf7eaf",
                            "chunk_id": "b953cbe5ffcf7eaf-0003",
                            "title": "中新網杭州11月1日電…",
                            "outlet": "中新網",
                            "date": "",
                            "url": "",
                            "quote": "據悉,這是長三角國資百企聯盟下設的第一個專業子聯盟,…組建。",
                            "start": 1510,
                            "end": 1573,
                        }
                    ],
                    "passages": [],
                    "timings": {"retrieve_ms": 2.1, "answer_ms": 1.3, "total_ms": 3.4},
                }
            ]
        }
    )

    question: str
    answer: str = Field(
        description="The answer with [n] citation markers, in the question's script."
    )
    short_answer: str = Field(
        default="", description="The bare answer span (name, number, date), where there is one."
    )
    abstained: bool = Field(description="True when the corpus holds nothing that answers.")
    confidence: float = Field(description="Estimated probability that the answer is right.")
    generator: str = Field(default="", description="The backend that wrote the answer.")
    dropped: int = Field(default=0, description="Answer sentences verification removed.")
    fallback: str = Field(
        default="", description="Why the configured generator's answer was replaced, if it was."
    )
    citations: list[CitationOut]
    passages: list[PassageOut]
    timings: dict[str, float] = Field(description="Milliseconds per pipeline stage.")

    @classmethod
    def from_qa(cls, a: Answer) -> AskResponse:
        """Map a :class:`~qa.Answer`."""
        return cls(
            question=a.question,
            answer=a.text,
            short_answer=a.short_answer,
            abstained=a.abstained,
            confidence=float(a.confidence),
            generator=a.generator,
            dropped=a.dropped,
            fallback=a.fallback,
            citations=[CitationOut.from_qa(c) for c in a.citations],
            passages=[PassageOut.from_qa(p) for p in a.passages],
            timings={k: float(v) for k, v in a.timings.items()},
        )


class SearchResponse(BaseModel):
    """Passages for a query, best first (no answer)."""

    query: str
    k: int
    passages: list[PassageOut]
