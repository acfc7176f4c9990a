"""Dependencies: the assistant (503 until ready), settings, and the write key check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from qa import Assistant
from service.errors import ServiceError
from service.metrics import Metrics
from service.settings import Settings

__all__ = [
    "AssistantDep",
    "MetricsDep",
    "SettingsDep",
    "WriteAuth",
    "get_assistant",
    "get_metrics",
    "get_settings_dep",
    "require_write_key",
]

_bearer = HTTPBearer(auto_error=False, description="The key set in QA_API_KEY.")


def get_settings_dep(request: Request) -> Settings:
    """The settings the app was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_assistant(request: Request) -> Assistant:
    """The loaded assistant.

    Raises:
        ServiceError: 503 while the index is loading or when it failed to load.
    """
    assistant: Assistant | None = request.app.state.assistant
    if assistant is None:
        error: str | None = request.app.state.load_error  # without server paths
        message = (
            f"the index could not be loaded: {error}"
            if error
            else "the index is still loading: retry shortly (GET /readyz says when ready)"
        )
        raise ServiceError(503, "not_ready", message, headers={"Retry-After": "5"})
    return assistant


def get_metrics(request: Request) -> Metrics:
    """The app's metrics."""
    metrics: Metrics = request.app.state.metrics
    return metrics


def require_write_key(
    settings: Annotated[Settings, Depends(get_settings_dep)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Check ``Authorization: Bearer <key>`` against the configured key in constant time.

    Raises:
        ServiceError: 403 when no key is configured (writes are off) or the key is wrong;
            401 when the request carries no bearer key.
    """
    if settings.api_key is None:
        raise ServiceError(
            403,
            "writes_disabled",
            "document writes are disabled: set QA_API_KEY on the server to enable them",
        )
    if credentials is None or not credentials.credentials:
        raise ServiceError(
            401,
            "unauthorized",
            "document writes need an API key: send 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    expected = settings.api_key.get_secret_value().encode("utf-8")
    given = credentials.credentials.encode("utf-8", errors="surrogateescape")
    if not hmac.compare_digest(given, expected):
        raise ServiceError(403, "forbidden", "the API key is not valid")


AssistantDep = Annotated[Assistant, Depends(get_assistant)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
WriteAuth = Depends(require_write_key)
