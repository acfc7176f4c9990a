"""Errors of the index layer (subclasses of :class:`corpus.errors.QAError`)."""

from __future__ import annotations

from corpus.errors import QAError

__all__ = [
    "IndexBusyError",
    "IndexCorruptError",
    "IndexError_",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexWriteError",
    "ModelUnavailableError",
]


class IndexError_(QAError):  # noqa: N801 - avoid shadowing the builtin IndexError
    """A problem with an on-disk index."""


class IndexNotFoundError(IndexError_):
    """No index exists at the given directory."""


class IndexCorruptError(IndexError_):
    """An index directory exists but cannot be read (truncated, edited, wrong files)."""


class IndexMismatchError(IndexError_):
    """An index was built with other settings (chunking, tokenizer, model) than requested."""


class IndexWriteError(IndexError_):
    """An index could not be written (no space, no permission, target not an index)."""


class IndexBusyError(IndexWriteError):
    """Another writer (thread or process) held the index's write lock for too long."""


class ModelUnavailableError(QAError):
    """The configured embedding model cannot be loaded (offline, not cached, bad path)."""
