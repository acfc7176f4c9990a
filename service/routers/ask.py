"""``POST /v1/ask`` and ``GET /v1/search``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from qa import SearchFilters
from service.deps import AssistantDep, MetricsDep, SettingsDep
from service.errors import ERROR_RESPONSES, ServiceError, public_message
from service.schemas import (
    MAX_QUESTION,
    NOT_BLANK,
    SEED_QUESTION,
    AskRequest,
    AskResponse,
    IsoDate,
    PassageOut,
    SearchResponse,
)
from service.settings import Settings

router = APIRouter(prefix="/v1", tags=["ask"])


def check_k(value: int | None, settings: Settings, name: str) -> int:
    """``value`` (or the configured default) within 1..max_top_k.

    Raises:
        ServiceError: 422 when it is above the configured maximum.
    """
    if value is None:
        return settings.top_k
    if value > settings.max_top_k:
        raise ServiceError(
            422,
            "invalid_request",
            f"{name}: must be at most {settings.max_top_k}, got {value}",
            param=name,
        )
    return value


@router.post("/ask", response_model=AskResponse, responses=ERROR_RESPONSES, summary="Ask")
async def ask(
    body: AskRequest, assistant: AssistantDep, settings: SettingsDep, metrics: MetricsDep
) -> AskResponse:
    """Answer a question with citations, the passages used, and per-stage timings.

    Example:
    `curl -s localhost:8000/v1/ask -H 'content-type: application/json'
    -d '{"question": "长三角国资百企联盟创新子联盟由哪些企业牵头组建?"}'`
    """
    top_k = check_k(body.top_k, settings, "top_k")
    filters = body.filters.to_qa() if body.filters else None

    def answer() -> AskResponse:
        # Answering and building the response: one turn in the request threads
        # (service.concurrency).
        found = assistant.ask(body.question, top_k=top_k, filters=filters)
        metrics.observe_answer(found)
        response = AskResponse.from_qa(found)
        if response.fallback:  # a model that could not answer may name its files
            response = response.model_copy(
                update={"fallback": public_message(settings, response.fallback)}
            )
        return response

    return await run_in_threadpool(answer)


@router.get("/search", response_model=SearchResponse, responses=ERROR_RESPONSES, summary="Search")
async def search(
    assistant: AssistantDep,
    settings: SettingsDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_QUESTION,
            pattern=NOT_BLANK,
            examples=[SEED_QUESTION, "白马湖实验室"],
        ),
    ],
    k: Annotated[int | None, Query(ge=1, examples=[5])] = None,
    doc_id: Annotated[list[str] | None, Query(description="Only these documents.")] = None,
    outlet: Annotated[list[str] | None, Query(description="Only these outlets.")] = None,
    published_from: Annotated[IsoDate | None, Query()] = None,
    published_to: Annotated[IsoDate | None, Query()] = None,
) -> SearchResponse:
    """The best passages for a query, with their scores (no answer).

    Example: `curl -s 'localhost:8000/v1/search?q=白马湖实验室&k=3'`
    """
    k_value = check_k(k, settings, "k")
    filters = SearchFilters(
        doc_ids=tuple(doc_id or ()),
        outlets=tuple(outlet or ()),
        published_from=published_from or "",
        published_to=published_to or "",
    )

    def found() -> SearchResponse:
        passages = assistant.search(q, k=k_value, filters=None if filters.is_empty() else filters)
        return SearchResponse(
            query=q, k=k_value, passages=[PassageOut.from_qa(p) for p in passages]
        )

    return await run_in_threadpool(found)
