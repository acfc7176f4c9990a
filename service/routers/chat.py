"""OpenAI-compatible ``POST /v1/chat/completions`` and ``GET /v1/models``.

The answer is sent whole, or streamed in OpenAI's ``chat.completion.chunk`` format as the
assistant gives it out (:meth:`qa.Assistant.ask_stream`), clause by clause and without
pauses: with a language model, each sentence as soon as citation verification has kept
it, so no unverified text is sent. Citations travel in the extension field ``citations``
of the completion, and of the final streamed chunk, identical in both, with
``generator``, ``dropped`` and ``fallback``; with ``sources`` (``QA_CHAT_SOURCES``) they
are also appended to the content as a sources block, for chat UIs that show only
``content``.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from qa import MARKER, Answer, AnswerDelta, QAError
from service.concurrency import continue_in_threads
from service.deps import AssistantDep, MetricsDep, SettingsDep
from service.errors import ERROR_RESPONSES, ServiceError, public_message
from service.routers.ask import check_k
from service.schemas import (
    AssistantMessage,
    ChatChoice,
    ChatCompletion,
    ChatMessage,
    ChatRequest,
    CitationOut,
    ErrorResponse,
    ModelCard,
    ModelList,
    Usage,
)
from service.sources import SOURCES_HEADING, sources_block

logger = logging.getLogger(__name__)

T = TypeVar("T")

router = APIRouter(prefix="/v1", tags=["openai"])

# A marker, or one character; deltas break after clause punctuation.
_PIECE = re.compile(rf"{MARKER.pattern}|.", re.DOTALL)
_BREAK_AFTER = set("，,。；;：:！!？?、\n")


def split_deltas(text: str) -> Iterator[str]:
    """``text`` clause by clause: a delta ends after clause punctuation, with the ``[n]``
    markers that follow it, and never splits a marker; joined they give ``text`` back."""
    buf = ""
    ended = False
    for match in _PIECE.finditer(text):
        piece = match.group(0)
        is_marker = len(piece) > 1
        if ended and not is_marker and piece not in _BREAK_AFTER:
            yield buf
            buf = ""
        buf += piece
        ended = is_marker or piece in _BREAK_AFTER
    if buf:
        yield buf


def conversation(messages: list[ChatMessage]) -> tuple[str, list[tuple[str, str]]]:
    """The question (the last user message) and the earlier ``(question, answer)`` turns.

    Raises:
        ServiceError: 400 when the last message is not the user's.
    """
    if messages[-1].role != "user":
        raise ServiceError(
            400,
            "invalid_request",
            "the last message must be the user's question (role 'user')",
            param="messages",
        )
    history: list[tuple[str, str]] = []
    for message in messages[:-1]:
        if message.role == "user":
            history.append((message.text(), ""))
        elif message.role == "assistant" and history:
            question, answer = history[-1]
            text = message.text().split(SOURCES_HEADING, 1)[0]  # an answer, not its sources
            history[-1] = (question, (answer + "\n" + text).strip())
    return messages[-1].text(), history


def _usage(body: ChatRequest, content: str) -> Usage:
    prompt = sum(len(m.text()) for m in body.messages)
    return Usage(
        prompt_tokens=prompt,
        completion_tokens=len(content),
        total_tokens=prompt + len(content),
    )


def _unknown_model(model_id: str, served: str) -> ServiceError:
    """404 ``model_not_found``, as OpenAI answers a model that does not exist."""
    return ServiceError(
        404,
        "model_not_found",
        f"the model {model_id!r} does not exist: this service answers as {served!r} "
        "(GET /v1/models)",
        param="model",
    )


def _sse(payload: dict[str, Any]) -> str:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n"


_STREAM_DOC: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "A `chat.completion`, or with `stream: true` server-sent events of "
        "`chat.completion.chunk` objects ending with `data: [DONE]`.",
        "content": {
            "text/event-stream": {
                "schema": {
                    "type": "object",
                    "description": "One server-sent event; `data` holds a chunk as JSON, "
                    "or `[DONE]` at the end.",
                    "properties": {"data": {"type": "string"}, "event": {"type": "string"}},
                }
            }
        },
    }
}


@router.post(
    "/chat/completions",
    response_model=ChatCompletion,
    responses={
        **ERROR_RESPONSES,
        404: {"model": ErrorResponse, "description": "Unknown model (`model_not_found`)."},
        **_STREAM_DOC,
    },
    summary="Chat completion (OpenAI-compatible)",
)
async def chat_completions(
    body: ChatRequest,
    assistant: AssistantDep,
    settings: SettingsDep,
    metrics: MetricsDep,
) -> ChatCompletion | StreamingResponse:
    """Answer the last user message, resolving follow-ups against the earlier ones.

    Example: `curl -s localhost:8000/v1/chat/completions -H 'content-type: application/json'
    -d '{"model": "zhnews-qa", "messages": [{"role": "user", "content": "白马湖实验室"}]}'`

    Works with the official `openai` package:
    `OpenAI(base_url="http://127.0.0.1:8000/v1", api_key="-").chat.completions.create(
    model="zhnews-qa", messages=[{"role": "user", "content": "..."}])`.
    The answer's sources are in the extension field `citations` (also on the final chunk
    of a stream); with `"sources": true` (default `QA_CHAT_SOURCES`) they are also
    appended to the content. A `model` other than the served one gets 404
    `model_not_found`.
    """
    if body.model != settings.chat_model:
        raise _unknown_model(body.model, settings.chat_model)
    top_k = check_k(body.top_k, settings, "top_k")
    filters = body.filters.to_qa() if body.filters else None
    with_sources = settings.chat_sources if body.sources is None else body.sources
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    if not body.stream:
        # Joining and resolving the turns is CPU work on up to the body limit of text:
        # off the event loop with retrieval and answering, in the request's one turn.
        def complete() -> Answer:
            question, history = conversation(body.messages)
            return assistant.ask(question, top_k=top_k, filters=filters, history=history)

        answer = await run_in_threadpool(complete)
        metrics.observe_answer(answer)
        block = sources_block(answer.citations) if with_sources else ""
        return ChatCompletion(
            id=completion_id,
            created=created,
            model=settings.chat_model,
            choices=[ChatChoice(message=AssistantMessage(content=answer.text + block))],
            usage=_usage(body, answer.text + block),
            citations=[CitationOut.from_qa(c) for c in answer.citations],
            abstained=answer.abstained,
            resolved_question=answer.query,
            generator=answer.generator,
            dropped=answer.dropped,
            fallback=public_message(settings, answer.fallback),
        )

    # In the request's one turn: the question is checked (a bad one is a 400, not a
    # broken stream), and the first event taken (retrieval and answering); the rest
    # continue in threads for requests under way.
    def start() -> tuple[Iterator[AnswerDelta | Answer], AnswerDelta | Answer | QAError]:
        question, history = conversation(body.messages)
        events = assistant.ask_stream(question, top_k=top_k, filters=filters, history=history)
        try:
            return events, next(events)
        except QAError as exc:  # reported in the stream, as one raised later
            return events, exc

    stream, first = await run_in_threadpool(start)
    include_usage = bool(body.stream_options and body.stream_options.include_usage)
    base: dict[str, Any] = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": created,
        "model": settings.chat_model,
        "system_fingerprint": None,
    }
    if include_usage:
        base["usage"] = None

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return {**base, "choices": [choice]}

    async def events() -> AsyncIterator[str]:
        yield _sse(chunk({"role": "assistant", "content": ""}))
        answer: Answer | None = None
        try:
            if isinstance(first, QAError):
                raise first
            async for event in _chain(first, continue_in_threads(stream)):
                if not isinstance(event, AnswerDelta):
                    answer = event
                    continue
                # A delta's clauses as one write: their events arrive together anyway,
                # and each write waits for the event loop's turn at the interpreter.
                yield "".join(_sse(chunk({"content": p})) for p in split_deltas(event.text))
        except QAError as exc:  # headers are sent: report it in the stream
            logger.warning("chat stream failed: %s", exc)
            message = public_message(settings, str(exc))
            yield _sse({"error": {"code": "answer_failed", "message": message}})
            yield "data: [DONE]\n\n"
            return
        assert answer is not None  # the stream always ends with the answer
        metrics.observe_answer(answer)
        block = sources_block(answer.citations) if with_sources else ""
        tail = [_sse(chunk({"content": block}))] if block else []  # one write, as above
        final = chunk({}, "stop")
        final["citations"] = [CitationOut.from_qa(c).model_dump() for c in answer.citations]
        final["abstained"] = answer.abstained
        final["resolved_question"] = answer.query
        final["generator"] = answer.generator
        final["dropped"] = answer.dropped
        final["fallback"] = public_message(settings, answer.fallback)
        tail.append(_sse(final))
        if include_usage:
            usage = _usage(body, answer.text + block)
            tail.append(_sse({**base, "choices": [], "usage": usage.model_dump()}))
        tail.append("data: [DONE]\n\n")
        yield "".join(tail)

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


async def _chain(first: T, rest: AsyncIterator[T]) -> AsyncIterator[T]:
    yield first
    async for item in rest:
        yield item


@router.get("/models", response_model=ModelList, summary="List models (OpenAI-compatible)")
async def list_models(request: Request, settings: SettingsDep) -> ModelList:
    """The one model this service answers as.

    Example: `curl -s localhost:8000/v1/models`
    """
    return ModelList(data=[ModelCard(id=settings.chat_model, created=request.app.state.started)])


@router.get(
    "/models/{model_id}",
    response_model=ModelCard,
    responses={404: {"model": ErrorResponse, "description": "Unknown model."}},
    summary="Retrieve a model (OpenAI-compatible)",
)
async def get_model(
    request: Request,
    settings: SettingsDep,
    model_id: Annotated[str, Path(examples=["zhnews-qa"])],
) -> ModelCard:
    """The model, when it is the one served.

    Example: `curl -s localhost:8000/v1/models/zhnews-qa`
    """
    if model_id != settings.chat_model:
        raise _unknown_model(model_id, settings.chat_model)
    return ModelCard(id=settings.chat_model, created=request.app.state.started)
