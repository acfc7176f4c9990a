"""Service settings: pydantic-settings with the ``QA_`` prefix (environment and ``.env``).

This is the only module of the service that reads the environment.
"""

from __future__ import annotations

import os
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from qa import DEFAULT_MODEL, AssistantConfig

__all__ = ["Settings", "bundled_articles_dir", "default_index_dir", "get_settings"]


def default_index_dir() -> Path:
    """``$XDG_CACHE_HOME/zhnews-qa/index`` (``~/.cache/zhnews-qa/index``), as the CLI uses."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "zhnews-qa" / "index"


def bundled_articles_dir() -> Path:
    """The seed articles shipped with the distribution (``corpus/articles``)."""
    # A data location, not a code dependency: the service imports only `qa`.
    return Path(str(resources.files("corpus").joinpath("articles")))


class Settings(BaseSettings):
    """Everything the service is configured with.

    Each field can be set through an environment variable named ``QA_`` plus the field
    name in upper case (``QA_PORT=9000``), or in a ``.env`` file; ``qa serve`` flags win.

    Attributes:
        host: interface to listen on.
        port: TCP port.
        workers: uvicorn worker processes (each holds its own copy of the index).
        index_dir: index directory, loaded at start-up; built from ``articles`` and saved
            there when missing. Default ``~/.cache/zhnews-qa/index``.
        articles: article files or folders the index is built from when ``index_dir``
            holds none (comma-separated in the environment); default the bundled seed
            articles.
        persist: save the index to ``index_dir`` after each document write.
        model: embedding model (name or local path); "" for BM25 only.
        offline: never download the embedding model.
        chunk_size: chunk length in characters.
        chunk_overlap: characters shared by neighbouring chunks.
        tokenizer: BM25 tokenization (``char12``, ``jieba``, ``jieba+char2``).
        top_k: passages used per answer when a request does not say.
        max_top_k: the largest ``top_k``/``k`` a request may ask for.
        api_key: the bearer key document writes need; with none, writes are refused.
        max_body_bytes: larger request bodies get 413.
        chat_model: the model id the OpenAI-compatible routes report.
        stream_chunk_chars: about this many characters per streamed delta.
        stream_delay_ms: pause between streamed deltas (0 for none).
        log_level: uvicorn log level.
    """

    model_config = SettingsConfigDict(
        env_prefix="QA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    workers: int = Field(default=1, ge=1, le=64)
    index_dir: Path = Field(default_factory=default_index_dir)
    articles: Annotated[list[Path], NoDecode] = Field(
        default_factory=lambda: [bundled_articles_dir()]
    )
    persist: bool = True
    model: str = DEFAULT_MODEL
    offline: bool = False
    chunk_size: int = Field(default=300, gt=0)
    chunk_overlap: int = Field(default=50, ge=0)
    tokenizer: str = "char12"
    top_k: int = Field(default=5, ge=1, le=100)
    max_top_k: int = Field(default=50, ge=1, le=1000)
    api_key: SecretStr | None = None
    max_body_bytes: int = Field(default=10 * 1024 * 1024, ge=1024)
    chat_model: str = "zhnews-qa"
    stream_chunk_chars: int = Field(default=6, ge=1)
    stream_delay_ms: float = Field(default=15.0, ge=0)
    log_level: str = "info"

    @field_validator("articles", mode="before")
    @classmethod
    def _split_paths(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("api_key", mode="before")
    @classmethod
    def _empty_key_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    def assistant_config(self) -> AssistantConfig:
        """The :class:`~qa.AssistantConfig` these settings describe.

        Raises:
            ValueError: when the values are inconsistent (e.g. overlap >= chunk size).
        """
        return AssistantConfig(
            model=self.model,
            local_files_only=self.offline,
            chunk_size=self.chunk_size,
            chunk_overlap=self.chunk_overlap,
            tokenizer=self.tokenizer,
            top_k=self.top_k,
            candidates=max(50, self.max_top_k),
        )


@lru_cache
def get_settings() -> Settings:
    """The settings from the environment, read once."""
    return Settings()
