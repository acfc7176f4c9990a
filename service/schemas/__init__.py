"""Request and response models of the HTTP API, one module per router, mapped explicitly
from the ``qa`` types. Requests forbid unknown fields; responses carry examples for the
OpenAPI docs."""

from __future__ import annotations

from service.schemas.ask import (
    AskRequest,
    AskResponse,
    CitationOut,
    Filters,
    PassageOut,
    SearchResponse,
)
from service.schemas.chat import (
    AssistantMessage,
    ChatChoice,
    ChatCompletion,
    ChatMessage,
    ChatRequest,
    ContentPart,
    ModelCard,
    ModelList,
    StreamOptions,
    Usage,
)
from service.schemas.common import (
    MAX_QUESTION,
    NOT_BLANK,
    SEED_QUESTION,
    ErrorBody,
    ErrorResponse,
    IsoDate,
    JsonInt,
    PositiveInt,
)
from service.schemas.documents import (
    INGEST_EXAMPLE,
    CleaningReportOut,
    DeleteResponse,
    DocumentDetail,
    DocumentList,
    DocumentSummary,
    IngestArticle,
    IngestRequest,
    IngestResponse,
    RemovalOut,
    SkippedOut,
)
from service.schemas.health import HealthResponse, ReadyResponse

__all__ = [
    "INGEST_EXAMPLE",
    "MAX_QUESTION",
    "NOT_BLANK",
    "SEED_QUESTION",
    "AskRequest",
    "AskResponse",
    "AssistantMessage",
    "ChatChoice",
    "ChatCompletion",
    "ChatMessage",
    "ChatRequest",
    "CitationOut",
    "CleaningReportOut",
    "ContentPart",
    "DeleteResponse",
    "DocumentDetail",
    "DocumentList",
    "DocumentSummary",
    "ErrorBody",
    "ErrorResponse",
    "Filters",
    "HealthResponse",
    "IngestArticle",
    "IngestRequest",
    "IngestResponse",
    "IsoDate",
    "JsonInt",
    "ModelCard",
    "ModelList",
    "PassageOut",
    "PositiveInt",
    "ReadyResponse",
    "RemovalOut",
    "SearchResponse",
    "SkippedOut",
    "StreamOptions",
    "Usage",
]
