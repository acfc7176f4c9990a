"""Error hierarchy shared by every layer.

The base class lives in the lowest layer so that ``corpus`` and ``embeddings`` can raise
errors of the one hierarchy without importing upwards; ``qa.errors`` re-exports all of
them as the public home.
"""

from __future__ import annotations

__all__ = [
    "CorpusError",
    "EmptyCorpusError",
    "PathNotFoundError",
    "QAError",
    "UnreadableFileError",
]


class QAError(Exception):
    """Base class of every error this project raises on purpose."""


class CorpusError(QAError):
    """A problem with the input articles."""


class UnreadableFileError(CorpusError):
    """A file is empty, binary, or in an encoding that cannot be detected."""


class EmptyCorpusError(CorpusError):
    """No article could be loaded from the given input."""


class PathNotFoundError(CorpusError):
    """A path given to the loader does not exist."""
