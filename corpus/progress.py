"""A progress hook, so long work can report without the library printing anything."""

from __future__ import annotations

from typing import Protocol

__all__ = ["Progress", "null_progress"]


class Progress(Protocol):
    """Called as work advances: ``progress(stage, done, total)``.

    ``stage`` names the step (``"load"``, ``"chunk"``, ``"embed"``, ``"bm25"``); ``done``
    and ``total`` count its items. The CLI renders these as progress bars.
    """

    def __call__(self, stage: str, done: int, total: int) -> None: ...


def null_progress(stage: str, done: int, total: int) -> None:
    """A progress hook that does nothing."""
