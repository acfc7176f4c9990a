"""Models of ``/healthz`` and ``/readyz``."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

__all__ = ["HealthResponse", "ReadyResponse"]


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
