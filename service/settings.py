"""Service settings: the shared :class:`qa.settings.QASettings` plus the service's own
fields, from ``QA_*`` environment variables and ``.env``.

This is the only module of the service that reads the environment.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import NoDecode

from qa import AssistantConfig
from qa.settings import QASettings
from service.concurrency import DEFAULT_REQUEST_THREADS

__all__ = ["Settings", "get_settings"]

_CANDIDATES = AssistantConfig().candidates
_ORIGIN = re.compile(r"https?://[^/\s?#]+/?")


class Settings(QASettings):
    """Everything the service is configured with.

    Each field can be set through an environment variable named ``QA_`` plus the field
    name in upper case (``QA_PORT=9000``), or in a ``.env`` file; ``qa serve`` flags win.
    The index and assistant fields (``index_dir``, ``articles``, ``model``, ``offline``,
    ``chunk_size``, ...) are those of :class:`qa.settings.QASettings`.

    Attributes:
        host: interface to listen on.
        port: TCP port.
        workers: worker processes (they share the index's memory-mapped files and the
            port; see :mod:`service.workers`).
        persist: save the index to ``index_dir`` after each document write, and serve
            the newest generation committed there (by another worker or ``qa ingest``)
            within a second.
        max_top_k: the largest ``top_k``/``k`` a request may ask for.
        api_key: the bearer key document writes need; with none, writes are refused.
        max_body_bytes: larger request bodies get 413.
        chat_model: the model id the OpenAI-compatible routes answer as; a chat request
            naming another model gets 404 ``model_not_found``.
        chat_sources: append a sources block (numbered quotes with title, outlet and
            date) to the content of chat answers, for chat UIs that show only
            ``content``; a request's ``sources`` field overrides it.
        cors_origins: browser origins allowed to call the API (comma-separated in the
            environment, ``*`` for any); empty (the default) turns CORS off.
        log_level: log level of the service and uvicorn.
        log_format: ``text`` (one line per record) or ``json`` (one JSON object per
            record, with the request id).
        malloc_arena_max: the most glibc malloc arenas a serving process uses (bounds
            its memory under concurrent load; see :mod:`service.memory`); 0 leaves
            glibc's default.
        shards: search on this many Ray shard actors, each holding some of the index's
            segments (:mod:`qa.distributed`; needs the ``ray`` extra and one worker);
            0 (the default) searches in this process.
        ray_address: the Ray cluster the shards run on (``auto``: the one ``ray start``
            started on this machine); none starts a local Ray instance.
        shard_timeout: seconds a search waits for every shard; a shard that fails or
            does not answer in time fails the request with 503 ``shard_unavailable``.
        request_threads: threads a worker answers requests in at once; the others wait
            their turn in arrival order (see :mod:`service.concurrency`: a question is
            CPU work under Python's global lock, so more threads only share one core).
    """

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    persist: bool = True
    max_top_k: int = Field(default=50, ge=1, le=1000)
    api_key: SecretStr | None = None
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    chat_model: str = Field(default="zhnews-qa", min_length=1)
    chat_sources: bool = False
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    log_level: Literal["critical", "error", "warning", "info", "debug"] = "info"
    log_format: Literal["text", "json"] = "text"
    malloc_arena_max: int = Field(default=2, ge=0, le=1024)
    shards: int = Field(default=0, ge=0, le=1024)
    ray_address: str | None = None
    shard_timeout: float = Field(default=30.0, gt=0)
    request_threads: int = Field(default=DEFAULT_REQUEST_THREADS, ge=1, le=256)

    @field_validator("log_level", "log_format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _valid_origins(cls, value: list[str]) -> list[str]:
        for origin in value:
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"{origin!r} is not a browser origin: give scheme://host[:port] without "
                    "a path (https://chat.example.org, http://localhost:3000), or * for any"
                )
        return [o.rstrip("/") for o in value]

    @field_validator("api_key", mode="before")
    @classmethod
    def _empty_key_is_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    def assistant_config(self, **overrides: object) -> AssistantConfig:
        """The :class:`~qa.AssistantConfig` these settings describe; retrieval takes at
        least ``max_top_k`` candidates per retriever.

        Raises:
            ValueError: when the values are inconsistent (e.g. overlap >= chunk size).
        """
        candidates = max(_CANDIDATES, self.max_top_k)
        return super().assistant_config(**{"candidates": candidates, **overrides})


@lru_cache
def get_settings() -> Settings:
    """The settings from the environment, read once."""
    return Settings()
