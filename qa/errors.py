"""The public error hierarchy.

Every error this project raises on purpose is a :class:`QAError`. Errors are defined in
the lowest layer that raises them (so imports point one way) and re-exported here.
"""

from __future__ import annotations

from corpus.errors import CorpusError, EmptyCorpusError, QAError, UnreadableFileError
from embeddings.errors import (
    IndexBusyError,
    IndexCorruptError,
    IndexDiskFullError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
    ModelUnavailableError,
    is_disk_full,
)

__all__ = [
    "CorpusError",
    "EmptyCorpusError",
    "GenerationError",
    "IndexBusyError",
    "IndexCorruptError",
    "IndexDiskFullError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexWriteError",
    "InvalidQuestionError",
    "ModelUnavailableError",
    "QAError",
    "ShardError",
    "UnreadableFileError",
    "is_disk_full",
]


class InvalidQuestionError(QAError, ValueError):
    """A question (or search query) is empty, blank or too long."""


class GenerationError(QAError):
    """A language model could not write an answer: its server is unreachable, timed out,
    failed or refused the request. The message names the server or model."""


class ShardError(QAError):
    """A shard of a sharded index (:mod:`qa.distributed`) failed or did not answer in
    time: no result is returned, as one missing that shard's rows would be wrong. The
    message names the shard."""
