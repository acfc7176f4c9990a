"""One JSON error shape for every failure: ``{"error": {"code", "message"}}``.

Domain errors (:class:`qa.errors.QAError` subclasses) are translated to HTTP codes here;
on the OpenAI-compatible routes the body also carries OpenAI's ``type`` and ``param``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from qa.errors import (
    EmptyCorpusError,
    IndexBusyError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
    InvalidQuestionError,
    ModelUnavailableError,
    QAError,
    ShardError,
    is_disk_full,
)
from service.redact import redact_paths
from service.schemas import ErrorResponse
from service.settings import Settings

__all__ = [
    "ERROR_RESPONSES",
    "ServiceError",
    "disk_full_error",
    "error_response",
    "install_error_handlers",
    "public_message",
]

logger = logging.getLogger(__name__)

OPENAI_PREFIXES = ("/v1/chat", "/v1/models")

_OPENAI_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    409: "invalid_request_error",
    413: "invalid_request_error",
    422: "invalid_request_error",
    429: "rate_limit_error",
    503: "server_error",
}

# Codes whose OpenAI type is not the status's (OpenAI answers an unknown model with 404
# and invalid_request_error).
_OPENAI_CODE_TYPES = {"model_not_found": "invalid_request_error"}

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    503: "not_ready",
    507: "insufficient_storage",
}


class ServiceError(Exception):
    """An error with an HTTP status and a stable code.

    Args:
        status: the HTTP status.
        code: machine-readable code (``not_ready``, ``document_not_found``, ...).
        message: what happened and what to do.
        param: the request field at fault, where one is.
        headers: extra response headers (``WWW-Authenticate``).
    """

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.param = param
        self.headers = headers


def disk_full_error(what: str) -> ServiceError:
    """The 507 for a request the server's disk has no room for (``what`` could not be
    done); the server log says where."""
    return ServiceError(
        507,
        "insufficient_storage",
        f"{what}: no space left on the server's disk; nothing was changed: try again "
        "once the disk is fixed",
    )


def public_message(settings: Settings, text: str) -> str:
    """``text`` without server file paths, for a client: the index directory shown as
    ``<index_dir>``, any other absolute path as its last component (``…/articles``,
    :func:`service.redact.redact_paths`)."""
    return redact_paths(text, [(settings.index_dir, "<index_dir>")])


def _is_openai(request: Request) -> bool:
    return request.url.path.startswith(OPENAI_PREFIXES)


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    *,
    param: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """The JSON error response, OpenAI-style on the OpenAI routes."""
    body: dict[str, Any] = {"code": code, "message": message}
    if _is_openai(request):
        # OpenAI answers every malformed request with 400.
        status = 400 if status == 422 else status
        body["type"] = _OPENAI_CODE_TYPES.get(code) or _OPENAI_TYPES.get(status, "server_error")
        body["param"] = param
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _domain_status(exc: QAError) -> tuple[int, str]:
    if isinstance(exc, InvalidQuestionError):
        return 400, "invalid_question"
    if isinstance(exc, EmptyCorpusError):
        return 409, "empty_corpus"
    if isinstance(exc, IndexNotFoundError | IndexCorruptError | IndexMismatchError):
        return 503, "index_unavailable"
    if isinstance(exc, ModelUnavailableError):
        return 503, "model_unavailable"
    if isinstance(exc, ShardError):
        return 503, "shard_unavailable"
    if isinstance(exc, IndexBusyError):
        return 503, "index_busy"
    if isinstance(exc, IndexWriteError):
        return (507 if is_disk_full(exc) else 500), "index_write_failed"
    return 400, "bad_request"


def _location(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts)


def _validation_message(exc: RequestValidationError) -> tuple[str, str | None]:
    errors = list(exc.errors())
    if not errors:
        return "the request is not valid", None
    messages = []
    for err in errors[:5]:
        where = _location(err.get("loc", ()))
        msg = str(err.get("msg", "invalid value")).removeprefix("Value error, ")
        if err.get("type") == "extra_forbidden":
            msg = "unknown field; remove it"
        elif err.get("type") == "string_pattern_mismatch":
            msg = "must not be blank"
        messages.append(f"{where}: {msg}" if where else msg)
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "; ".join(messages) + more, _location(errors[0].get("loc", ())) or None


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that give every failure the one error shape."""

    async def service_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ServiceError)
        return error_response(
            request, exc.status, exc.code, exc.message, param=exc.param, headers=exc.headers
        )

    async def qa_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, QAError)
        status, code = _domain_status(exc)
        full = str(exc)
        message = public_message(request.app.state.settings, full)
        if message != full or status >= 500:  # the log keeps what the client does not see
            logger.warning("%s %s: %s", request.method, request.url.path, full)
        return error_response(request, status, code, message)

    async def validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        message, param = _validation_message(exc)
        return error_response(request, 422, "invalid_request", message, param=param)

    async def http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        status = exc.status_code
        code = _HTTP_CODES.get(status, "http_error")
        message = str(exc.detail) if exc.detail else code.replace("_", " ")
        if status == 404 and message == "Not Found":
            message = f"no route {request.method} {request.url.path}: see /docs"
        headers = dict(exc.headers) if exc.headers else None
        if status == 405:
            # Starlette names only the first route with this path; list every one's.
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        return error_response(request, status, code, message, headers=headers)

    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        if is_disk_full(exc):  # e.g. a multipart body spooled to a full temporary disk
            full = disk_full_error("the request could not be handled")
            return error_response(request, full.status, full.code, full.message)
        return error_response(
            request, 500, "internal_error", "internal error: the server log has the details"
        )

    app.add_exception_handler(ServiceError, service_error)
    app.add_exception_handler(QAError, qa_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def _allowed_methods(request: Request) -> str:
    """The methods some route answers at the request's path, for ``Allow``."""
    routes = request.app.router.routes
    allowed = [
        method
        for method in _METHODS
        if any(r.matches({**request.scope, "method": method})[0] is Match.FULL for r in routes)
    ]
    return ", ".join(allowed)


def _doc(description: str) -> dict[str, Any]:
    return {"model": ErrorResponse, "description": description}


ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _doc("Bad input (e.g. a blank question)."),
    422: _doc("The request does not match the schema (wrong types, unknown fields, ...)."),
    413: _doc("The request body is over the configured limit."),
    503: _doc("The index is still loading (or could not be loaded)."),
    507: _doc("No space left on the server's disk; nothing was changed."),
}
"""Error responses every API route documents."""
