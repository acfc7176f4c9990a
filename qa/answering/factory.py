"""Pick the answer backend from the configuration (txtai's ``factory.py`` habit)."""

from __future__ import annotations

from embeddings.store import IndexSnapshot
from qa.answering.base import Answerer
from qa.answering.extractive import ExtractiveAnswerer
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
        ValueError: for a generator name this version does not know.
    """
    if config.generator == "extractive":
        return ExtractiveAnswerer(
            TermStatistics.for_snapshot(snapshot),
            max_sentences=config.max_answer_sentences,
            abstain_threshold=config.abstain_threshold,
            answer_passages=config.answer_passages,
        )
    raise ValueError(
        f"unknown generator {config.generator!r}: choose one of {', '.join(GENERATORS)}"
    )
