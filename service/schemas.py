"""Request and response models of the HTTP API, mapped explicitly from the ``qa`` types.

Requests forbid unknown fields; responses carry examples for the OpenAPI docs.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from qa import Answer, AssistantConfig, Citation, Document, IngestSummary, Passage, SearchFilters

__all__ = [
    "AskRequest",
    "AskResponse",
    "ChatChoice",
    "ChatCompletion",
    "ChatMessage",
    "ChatRequest",
    "CitationOut",
    "CleaningReportOut",
    "DeleteResponse",
    "DocumentDetail",
    "DocumentList",
    "DocumentSummary",
    "ErrorBody",
    "ErrorResponse",
    "Filters",
    "HealthResponse",
    "IsoDate",
    "IngestArticle",
    "IngestRequest",
    "IngestResponse",
    "ModelCard",
    "ModelList",
    "PassageOut",
    "ReadyResponse",
    "SearchResponse",
    "SkippedOut",
]

SEED_QUESTION = "长三角国资百企联盟创新子联盟由哪些企业牵头组建?"
MAX_QUESTION = AssistantConfig().max_question_chars
# Some character that is not whitespace (blank questions are refused).
NOT_BLANK = r"[^\s\x1c-\x1f\x85]"


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date(value: str) -> str:
    if not _ISO_DATE.fullmatch(value):
        raise ValueError("must be a date as YYYY-MM-DD")
    dt.date.fromisoformat(value)  # a real day: raises ValueError for 2024-02-30
    return value


IsoDate = Annotated[
    str,
    AfterValidator(_iso_date),
    WithJsonSchema({"type": "string", "format": "date", "examples": ["2024-11-01"]}),
]
"""A calendar date as ``YYYY-MM-DD``."""


def _json_int(value: Any) -> Any:
    """JSON integers as JSON Schema counts them: ``5`` and ``5.0``, not ``true`` or ``"5"``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


JsonInt = Annotated[int, BeforeValidator(_json_int)]
"""An integer (strict, except that an integral float such as ``5.0`` counts)."""
PositiveInt = Annotated[int, Field(ge=1), BeforeValidator(_json_int)]
"""A :data:`JsonInt` of at least 1."""


class _Request(BaseModel):
    # Strict: no silent coercion of true to 1 or "5" to 5; unknown fields are errors.
    model_config = ConfigDict(extra="forbid", strict=True)


# -- errors -----------------------------------------------------------------------------


class ErrorBody(BaseModel):
    """What went wrong: a stable machine-readable code and a message for people.

    On the OpenAI-compatible routes ``type`` and ``param`` are filled in as OpenAI does.
    """

    code: str = Field(examples=["invalid_request"])
    message: str = Field(examples=["question: String should have at least 1 character"])
    type: str | None = Field(default=None, examples=["invalid_request_error"])
    param: str | None = None


class ErrorResponse(BaseModel):
    """The one error shape: ``{"error": {"code", "message"}}``."""

    error: ErrorBody


# -- ask and search ---------------------------------------------------------------------


class Filters(_Request):
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


class AskRequest(_Request):
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
    abstained: bool = Field(description="True when the corpus holds nothing that answers.")
    confidence: float
    citations: list[CitationOut]
    passages: list[PassageOut]
    timings: dict[str, float] = Field(description="Milliseconds per pipeline stage.")

    @classmethod
    def from_qa(cls, a: Answer) -> AskResponse:
        """Map a :class:`~qa.Answer`."""
        return cls(
            question=a.question,
            answer=a.text,
            abstained=a.abstained,
            confidence=float(a.confidence),
            citations=[CitationOut.from_qa(c) for c in a.citations],
            passages=[PassageOut.from_qa(p) for p in a.passages],
            timings={k: float(v) for k, v in a.timings.items()},
        )


class SearchResponse(BaseModel):
    """Passages for a query, best first (no answer)."""

    query: str
    k: int
    passages: list[PassageOut]


# -- documents --------------------------------------------------------------------------


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
            source=d.source,
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
    """One thing cleaning took out."""

    rule: str
    text: str


class CleaningReportOut(BaseModel):
    """What cleaning removed from the article."""

    counts: dict[str, int]
    removals: list[RemovalOut]


class DocumentDetail(DocumentSummary):
    """A document: cleaned text, metadata and cleaning report."""

    text: str
    reporter: str
    place: str
    meta: dict[str, str]
    report: CleaningReportOut

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
                removals=[RemovalOut(rule=r.rule, text=r.text) for r in d.report.removals],
            ),
        )


class IngestArticle(_Request):
    """One article to add (cleaned like a file would be)."""

    text: str = Field(min_length=1, max_length=2_000_000, description="The raw article text.")
    id: str | None = Field(default=None, min_length=1, max_length=200)
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


class IngestRequest(_Request):
    """Articles to add; an article with the id of an indexed one replaces it."""

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={"examples": [INGEST_EXAMPLE]},
    )

    articles: list[IngestArticle] = Field(min_length=1, max_length=1000)


class SkippedOut(BaseModel):
    """An article or file that was not added, and why."""

    source: str
    reason: str


class IngestResponse(BaseModel):
    """What a write changed."""

    added: int
    updated: int
    unchanged: int
    skipped: list[SkippedOut]
    documents: list[DocumentSummary] = Field(description="The documents of this request.")
    total_documents: int

    @classmethod
    def from_qa(
        cls,
        summary: IngestSummary,
        skipped: list[SkippedOut],
        documents: list[Document],
        total: int,
    ) -> IngestResponse:
        """Map an :class:`~qa.IngestSummary`."""
        return cls(
            added=summary.added,
            updated=summary.updated,
            unchanged=summary.unchanged,
            skipped=skipped,
            documents=[DocumentSummary.from_qa(d) for d in documents],
            total_documents=total,
        )


class DeleteResponse(BaseModel):
    """A removed document."""

    deleted: str
    total_documents: int


# -- health -----------------------------------------------------------------------------


class HealthResponse(BaseModel):
    """The process is up."""

    status: Literal["ok"] = "ok"


class ReadyResponse(BaseModel):
    """The service can answer."""

    status: Literal["ready"] = "ready"
    documents: int
    chunks: int
    retrieval: str = Field(examples=["bm25", "bm25+dense"])
    warnings: list[str]


# -- OpenAI-compatible chat -------------------------------------------------------------


class ContentPart(_Request):
    """A part of a message's content; only text parts are read."""

    model_config = ConfigDict(extra="allow", strict=True)

    type: str
    text: str | None = None


class ChatMessage(_Request):
    """One message of the conversation."""

    model_config = ConfigDict(extra="allow", strict=True)

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[ContentPart] | None = None
    name: str | None = None

    def text(self) -> str:
        """The message's text (text parts joined)."""
        if self.content is None:
            return ""
        if isinstance(self.content, str):
            return self.content
        return "".join(p.text or "" for p in self.content if p.type == "text")


class StreamOptions(_Request):
    """OpenAI ``stream_options``."""

    include_usage: bool = False
    include_obfuscation: bool | None = None


class ChatRequest(_Request):
    """An OpenAI Chat Completions request.

    The last message must be the user's question; earlier user and assistant messages
    are the conversation a follow-up is resolved against. Sampling parameters are
    accepted for compatibility and ignored (answers are extractive); ``n`` must be 1.
    """

    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {
                    "model": "zhnews-qa",
                    "messages": [{"role": "user", "content": SEED_QUESTION}],
                },
                {
                    "model": "zhnews-qa",
                    "stream": True,
                    "messages": [
                        {"role": "user", "content": SEED_QUESTION},
                        {"role": "assistant", "content": "由浙江省能源集团等4家企业牵头组建 [1]"},
                        {"role": "user", "content": "它的首批成员有多少家?"},
                    ],
                },
            ]
        },
    )

    model: str = Field(max_length=200)
    messages: list[ChatMessage] = Field(min_length=1, max_length=200)
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    n: Annotated[int, Field(ge=1, le=1), BeforeValidator(_json_int)] | None = None
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: JsonInt | None = None
    max_completion_tokens: JsonInt | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    stop: str | list[str] | None = None
    seed: JsonInt | None = None
    user: str | None = None
    logit_bias: dict[str, float] | None = None
    logprobs: bool | None = None
    top_logprobs: JsonInt | None = None
    response_format: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: str | dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    metadata: dict[str, str] | None = None
    store: bool | None = None
    service_tier: str | None = None
    reasoning_effort: str | None = None
    top_k: PositiveInt | None = Field(default=None, description="Extension: passages to use.")
    filters: Filters | None = Field(default=None, description="Extension: retrieval filters.")


class AssistantMessage(BaseModel):
    """The answer message; ``content`` carries the [n] markers."""

    role: Literal["assistant"] = "assistant"
    content: str
    refusal: None = None


class ChatChoice(BaseModel):
    """The one choice of a completion."""

    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop"] = "stop"
    logprobs: None = None


class Usage(BaseModel):
    """Token counts (characters stand in for tokens)."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletion(BaseModel):
    """An OpenAI ``chat.completion`` with the extension fields ``citations`` (the answer's
    sources, one per [n] marker), ``abstained`` and ``resolved_question``."""

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[ChatChoice]
    usage: Usage
    system_fingerprint: str | None = None
    citations: list[CitationOut] = Field(description="Extension: the sources of the [n] markers.")
    abstained: bool = Field(description="Extension: the corpus holds nothing that answers.")
    resolved_question: str = Field(
        description="Extension: the question after resolving follow-up references."
    )


class ModelCard(BaseModel):
    """An OpenAI model object."""

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "zhnews-qa"


class ModelList(BaseModel):
    """The models served (one)."""

    object: Literal["list"] = "list"
    data: list[ModelCard]
