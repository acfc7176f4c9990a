"""Service settings: the shared :class:`qa.settings.QASettings` plus the service's own
fields, from ``QA_*`` environment variables and ``.env``.

This is the only module of the service that reads the environment.
"""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field, SecretStr, field_validator

from qa import AssistantConfig
from qa.settings import QASettings

__all__ = ["Settings", "get_settings"]

_CANDIDATES = AssistantConfig().candidates


class Settings(QASettings):
    """Everything the service is configured with.

    Each field can be set through an environment variable named ``QA_`` plus the field
    name in upper case (``QA_PORT=9000``), or in a ``.env`` file; ``qa serve`` flags win.
    The index and assistant fields (``index_dir``, ``articles``, ``model``, ``offline``,
    ``chunk_size``, ...) are those of :class:`qa.settings.QASettings`.

    Attributes:
        host: interface to listen on.
        port: TCP port.
        workers: uvicorn worker processes (each holds its own copy of the index).
        persist: save the index to ``index_dir`` after each document write.
        max_top_k: the largest ``top_k``/``k`` a request may ask for.
        api_key: the bearer key document writes need; with none, writes are refused.
        max_body_bytes: larger request bodies get 413.
        chat_model: the model id the OpenAI-compatible routes report.
        stream_chunk_chars: about this many characters per streamed delta.
        stream_delay_ms: pause between streamed deltas (0 for none).
        log_level: uvicorn log level.
    """

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    persist: bool = True
    max_top_k: int = Field(default=50, ge=1, le=1000)
    api_key: SecretStr | None = None
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    chat_model: str = "zhnews-qa"
    stream_chunk_chars: int = Field(default=6, ge=1)
    stream_delay_ms: float = Field(default=15.0, ge=0)
    log_level: str = "info"

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
