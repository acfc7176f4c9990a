"""Settings of the applications built on the library: the ``qa`` CLI and the service.

Each field can be set through an environment variable named ``QA_`` plus the field name in
upper case (``QA_MODEL=""``), or in a ``.env`` file in the working directory; explicit
values (CLI flags) win. Defaults come from :class:`~qa.config.AssistantConfig`, so they are
declared once.

This module is for applications only: nothing in the library (``corpus``, ``embeddings``,
the rest of ``qa``) instantiates it, so the library itself never reads the environment.
The service's settings extend :class:`QASettings` with its own fields.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from corpus.bundled import bundled_articles_dir
from qa.config import AssistantConfig

__all__ = ["QASettings", "default_index_dir"]

_D = AssistantConfig()


def default_index_dir() -> Path:
    """``$XDG_CACHE_HOME/zhnews-qa/index`` (``~/.cache/zhnews-qa/index``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "zhnews-qa" / "index"


class QASettings(BaseSettings):
    """What every command and the service are configured with.

    Attributes:
        index_dir: the index directory (default ``~/.cache/zhnews-qa/index``).
        articles: files or folders an index is built from when ``index_dir`` holds none
            (comma-separated in the environment); default the bundled seed articles.
        model: embedding model (hub name or local path); "" for BM25 only.
        offline: never download the embedding model.
        device: torch device of the model.
        chunk_size: chunk length in characters.
        chunk_overlap: characters shared by neighbouring chunks.
        tokenizer: BM25 tokenization (``char12``, ``jieba``, ``jieba+char2``).
        top_k: passages used per answer.
        duplicate_threshold: share of 5-grams from which two articles are copies of one
            story (merged at ingest, never both cited); 0 turns it off.
        answer_chars: the extractive answer's length budget in characters.
        abstain_threshold: confidence below which answers abstain; unset: the one
            fitted with the reader model.
        reader_model: a trained reader model file; "" for the shipped one.
        generator: the answer backend (``extractive``, ``transformers``, ``openai``).
        llm_model: the generator's model (hub name, folder or ``.gguf`` path for
            ``transformers``; the served model's name for ``openai``).
        llm_base_url: the ``openai`` generator's server (``http://localhost:11434/v1``).
        llm_api_key: the bearer key of that server (environment or ``.env`` only).
        llm_timeout: seconds one generation may take.
        llm_max_new_tokens: at most this many tokens per generated answer.
        score_cache_mb: memory (MiB) for cached BM25 scores of frequent terms.
        sentence_cache_mb: memory (MiB) for the reader's prepared sentences.
    """

    model_config = SettingsConfigDict(
        env_prefix="QA_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    index_dir: Path = Field(default_factory=default_index_dir)
    articles: Annotated[list[Path], NoDecode] = Field(
        default_factory=lambda: [bundled_articles_dir()]
    )
    model: str = _D.model
    offline: bool = _D.local_files_only
    device: str = _D.device
    chunk_size: int = _D.chunk_size
    chunk_overlap: int = _D.chunk_overlap
    tokenizer: str = _D.tokenizer
    top_k: int = _D.top_k
    generator: str = _D.generator
    duplicate_threshold: float = _D.duplicate_threshold
    answer_chars: int = _D.answer_chars
    abstain_threshold: float | None = _D.abstain_threshold
    reader_model: str = _D.reader_model
    llm_model: str = _D.llm_model
    llm_base_url: str = _D.llm_base_url
    llm_api_key: SecretStr = SecretStr(_D.llm_api_key)
    llm_timeout: float = _D.llm_timeout
    llm_max_new_tokens: int = _D.llm_max_new_tokens
    score_cache_mb: int = _D.score_cache_mb
    sentence_cache_mb: int = _D.sentence_cache_mb

    @field_validator("articles", mode="before")
    @classmethod
    def _split_paths(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _valid_config(self) -> QASettings:
        self.assistant_config()  # raises ValueError with the library's message
        return self

    def config_overrides(self) -> dict[str, Any]:
        """The :class:`~qa.config.AssistantConfig` fields these settings set."""
        return {
            "model": self.model,
            "local_files_only": self.offline,
            "device": self.device,
            "chunk_size": self.chunk_size,
            "chunk_overlap": self.chunk_overlap,
            "tokenizer": self.tokenizer,
            "top_k": self.top_k,
            "generator": self.generator,
            "duplicate_threshold": self.duplicate_threshold,
            "answer_chars": self.answer_chars,
            "abstain_threshold": self.abstain_threshold,
            "reader_model": self.reader_model,
            "llm_model": self.llm_model,
            "llm_base_url": self.llm_base_url,
            "llm_api_key": self.llm_api_key.get_secret_value(),
            "llm_timeout": self.llm_timeout,
            "llm_max_new_tokens": self.llm_max_new_tokens,
            "score_cache_mb": self.score_cache_mb,
            "sentence_cache_mb": self.sentence_cache_mb,
        }

    def assistant_config(self, **overrides: Any) -> AssistantConfig:
        """The :class:`~qa.config.AssistantConfig` these settings describe.

        Args:
            overrides: further fields (``abstain_threshold=0.3``), winning over settings.

        Raises:
            ValueError: when the values are inconsistent (overlap >= chunk size, an
                unknown tokenizer, ...).
        """
        return AssistantConfig(**{**self.config_overrides(), **overrides})
