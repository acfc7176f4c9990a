"""ASGI middleware: the request body size limit (413, on the declared length and on the
bytes read), and the request id (``X-Request-ID``) with one access log record per request
(and the answering process, ``X-Worker-PID``)."""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import OPENAI_PREFIXES
from service.logs import request_id

__all__ = ["REQUEST_ID_HEADER", "WORKER_HEADER", "BodyLimitMiddleware", "RequestIdMiddleware"]

REQUEST_ID_HEADER = "X-Request-ID"
WORKER_HEADER = "X-Worker-PID"
# What a client may send as its own id: short, no spaces or control characters (log safe).
_CLIENT_ID = re.compile(r"[A-Za-z0-9._:/+=@-]{1,128}")

access_logger = logging.getLogger("service.access")


class RequestIdMiddleware:
    """Give each HTTP request an id and log it once, when the response is complete.

    The id is the request's ``X-Request-ID`` when that is a plain token of at most 128
    characters, else a new random one. It is returned in the ``X-Request-ID`` response
    header and set in :data:`service.logs.request_id` while the request is handled, so
    every log record of the request carries it. ``X-Worker-PID`` names the process that
    answered (which of several workers, ``qa serve --workers N``).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = _header(scope, b"x-request-id")
        rid = given if given and _CLIENT_ID.fullmatch(given) else uuid.uuid4().hex
        token = request_id.set(rid)
        start = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
                headers = MutableHeaders(scope=message)
                headers[REQUEST_ID_HEADER] = rid
                headers[WORKER_HEADER] = str(os.getpid())
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            access_logger.info(
                "%s %s %d",
                scope.get("method", ""),
                scope.get("path", ""),
                status,
                extra={
                    "method": scope.get("method", ""),
                    "path": scope.get("path", ""),
                    "status": status,
                    "duration_ms": round((time.perf_counter() - start) * 1000, 3),
                },
            )
            request_id.reset(token)


class _TooLarge(Exception):
    pass


class BodyLimitMiddleware:
    """Refuse request bodies over ``max_bytes`` with 413 in the one error shape."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await self._reject(scope, send)
            return
        seen = 0
        started = False
        over = False  # the body went over the limit
        replaced = False  # the app's own answer to that was replaced by the 413

        async def limited_receive() -> Message:
            nonlocal seen, over
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    over = True
                    raise _TooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return
            if message["type"] == "http.response.start":
                if over:
                    # FastAPI turns an error while reading a body parameter into its own
                    # 400 ("There was an error parsing the body"): answer 413 instead.
                    replaced = started = True
                    await self._reject(scope, send)
                    return
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._reject(scope, send)

    async def _reject(self, scope: Scope, send: Send) -> None:
        body: dict[str, object] = {
            "code": "payload_too_large",
            "message": f"the request body is over the limit of {self.max_bytes:,} bytes: "
            "send less (fewer or smaller articles)",
        }
        if str(scope.get("path", "")).startswith(OPENAI_PREFIXES):
            body["type"] = "invalid_request_error"
            body["param"] = None
        payload = json.dumps({"error": body}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(payload)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value).decode("latin-1").strip()
    return None


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
