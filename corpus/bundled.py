"""The seed articles shipped with the distribution (``corpus/articles``)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["bundled_articles_dir"]


def bundled_articles_dir() -> Path:
    """The folder of the bundled seed articles (the default corpus of a first run)."""
    return Path(str(resources.files("corpus").joinpath("articles")))
