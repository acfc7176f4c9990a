"""Pick the answer backend from the configuration (txtai's ``factory.py`` habit)."""

from __future__ import annotations

from embeddings.store import IndexSnapshot
from qa.answering.base import Answerer
from qa.answering.extractive import ExtractiveAnswerer, ReaderModel
from qa.answering.terms import TermStatistics
from qa.config import GENERATORS, AssistantConfig

__all__ = ["make_answerer"]


def make_answerer(config: AssistantConfig, snapshot: IndexSnapshot) -> Answerer:
    """The answerer ``config.generator`` names, over ``snapshot``.

    Args:
        config: the assistant's configuration.
        snapshot: the index the answers are drawn from (for term statistics).

    Returns:
        The answerer.

    Raises:
        ValueError: for a generator name this version does not know, or a reader model
            file that does not fit this version.
        FileNotFoundError: when ``config.reader_model`` names no file.
    """
    if config.generator == "extractive":
        return ExtractiveAnswerer(
            TermStatistics.for_snapshot(snapshot),
            model=ReaderModel.load(config.reader_model) if config.reader_model else None,
            abstain_threshold=config.abstain_threshold,
            answer_passages=config.answer_passages,
            answer_chars=config.answer_chars,
        )
    raise ValueError(
        f"unknown generator {config.generator!r}: choose one of {', '.join(GENERATORS)}"
    )
