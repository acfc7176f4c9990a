"""Index settings: what an index's content depends on, and when an index can serve a
request (:func:`settings_compatible`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from corpus.chunking import ChunkingConfig
from corpus.normalize import NORMALIZATION_VERSION
from embeddings.tokenize import DEFAULT_TOKENIZER, TOKENIZER_NAMES

__all__ = ["FORMAT_VERSION", "IndexSettings", "settings_compatible"]

FORMAT_VERSION = 4
"""Version of the on-disk layout (2: BM25 document frequencies stored with the index;
3: document ids from canonical URLs or relative paths (:mod:`corpus.ids`), and the
alternates of merged copies in documents.jsonl; 4: segments named by the manifest, each
with its documents in SQLite, chunks as offsets, postings and vectors as memory-mapped
arrays, and tombstones for deletes, see :mod:`embeddings.store.files`). An index of an
older version must be rebuilt."""


@dataclass(frozen=True, slots=True)
class IndexSettings:
    """Everything an index's content depends on; an index is reusable only if equal.

    Attributes:
        chunking: chunk size and overlap.
        tokenizer: BM25 tokenizer name (see :data:`embeddings.tokenize.TOKENIZER_NAMES`).
        model: embedding model name or path; "" for a lexical-only index.
        dimension: embedding dimension; 0 for lexical only, or "not known yet" when a
            model is named (filled in from the encoder by :func:`build_snapshot`).
        normalization: version of :func:`corpus.normalize.normalize_for_matching`.
        format_version: version of the on-disk layout.

    Raises:
        ValueError: for an unknown tokenizer or a negative dimension, or a dimension
            without a model.
    """

    chunking: ChunkingConfig = field(default_factory=ChunkingConfig)
    tokenizer: str = DEFAULT_TOKENIZER
    model: str = ""
    dimension: int = 0
    normalization: str = NORMALIZATION_VERSION
    format_version: int = FORMAT_VERSION

    def __post_init__(self) -> None:
        if self.tokenizer not in TOKENIZER_NAMES:
            raise ValueError(
                f"unknown tokenizer {self.tokenizer!r}: choose one of "
                f"{', '.join(repr(n) for n in TOKENIZER_NAMES)}"
            )
        if self.dimension < 0:
            raise ValueError("dimension must be at least 0")
        if not self.model and self.dimension:
            raise ValueError("dimension must be 0 for a lexical-only index (model is empty)")

    @property
    def lexical_only(self) -> bool:
        """Whether the index has no dense vectors."""
        return not self.model

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form, as stored in the manifest."""
        return {
            "format_version": self.format_version,
            "normalization": self.normalization,
            "chunking": {
                "chunk_size": self.chunking.chunk_size,
                "chunk_overlap": self.chunking.chunk_overlap,
            },
            "tokenizer": self.tokenizer,
            "model": {"name": self.model, "dimension": self.dimension},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> IndexSettings:
        """Inverse of :meth:`to_dict`.

        Raises:
            KeyError, TypeError, ValueError: when ``data`` is not a settings dict.
        """
        chunking = data["chunking"]
        model = data["model"]
        return cls(
            chunking=ChunkingConfig(int(chunking["chunk_size"]), int(chunking["chunk_overlap"])),
            tokenizer=str(data["tokenizer"]),
            model=str(model["name"]),
            dimension=int(model["dimension"]),
            normalization=str(data["normalization"]),
            format_version=int(data["format_version"]),
        )


def settings_compatible(
    index: IndexSettings, expected: IndexSettings, *, check_model: bool = True
) -> str | None:
    """Why an index built with ``index`` settings cannot serve ``expected``, if it cannot.

    Args:
        index: the settings the index was built with.
        expected: the settings the caller wants.
        check_model: compare the model too (including lexical-only versus dense);
            pass False when only lexical retrieval will be used.

    Returns:
        None when compatible, else a one-line reason naming both values.
    """
    if index.format_version != expected.format_version:
        return (
            f"index format version is {index.format_version}, "
            f"this version reads {expected.format_version}"
        )
    if index.normalization != expected.normalization:
        return (
            f"text normalization is {index.normalization!r} in the index, "
            f"{expected.normalization!r} now"
        )
    if index.chunking != expected.chunking:
        a, b = index.chunking, expected.chunking
        return (
            f"chunking is chunk_size={a.chunk_size}, chunk_overlap={a.chunk_overlap} in the "
            f"index, chunk_size={b.chunk_size}, chunk_overlap={b.chunk_overlap} requested"
        )
    if index.tokenizer != expected.tokenizer:
        return f"tokenizer is {index.tokenizer!r} in the index, {expected.tokenizer!r} requested"
    if not check_model:
        return None
    if index.model != expected.model:
        if not index.model:
            return (
                f"the index is lexical only (built without an embedding model), "
                f"model {expected.model!r} requested"
            )
        if not expected.model:
            return (
                f"the index has vectors of model {index.model!r}, lexical-only (no model) requested"
            )
        return f"model is {index.model!r} in the index, {expected.model!r} requested"
    if index.dimension and expected.dimension and index.dimension != expected.dimension:
        return f"dimension is {index.dimension} in the index, {expected.dimension} requested"
    return None
