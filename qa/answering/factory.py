"""Pick the answer backend from the configuration (txtai's ``factory.py`` habit)."""

from __future__ import annotations

from embeddings.store import IndexSnapshot
from qa.answering.base import Answerer
from qa.answering.extractive import ExtractiveAnswerer, ReaderModel
from qa.answering.generative import GenerativeAnswerer
from qa.answering.llm import Generator, make_generator
from qa.answering.terms import TermStatistics
from qa.config import GENERATORS, AssistantConfig

__all__ = ["make_answerer"]


def make_answerer(
    config: AssistantConfig, snapshot: IndexSnapshot, generator: Generator | None = None
) -> Answerer:
    """The answerer ``config.generator`` names, over ``snapshot``.

    ``extractive`` is the extractive reader; ``transformers`` and ``openai`` are a
    :class:`~qa.answering.generative.GenerativeAnswerer` over that language model, with
    the extractive reader as its fallback.

    Args:
        config: the assistant's configuration.
        snapshot: the index the answers are drawn from (for term statistics).
        generator: the language model to use (an :class:`~qa.assistant.Assistant` makes
            it once and keeps it across index updates); default: one made from
            ``config`` by :func:`~qa.answering.llm.make_generator`.

    Returns:
        The answerer.

    Raises:
        ValueError: for a generator name this version does not know, or a reader model
            file that does not fit this version.
        FileNotFoundError: when ``config.reader_model`` names no file.
    """
    extractive = ExtractiveAnswerer(
        TermStatistics.for_snapshot(snapshot),
        model=ReaderModel.load(config.reader_model) if config.reader_model else None,
        abstain_threshold=config.abstain_threshold,
        answer_passages=config.answer_passages,
        answer_chars=config.answer_chars,
        pool_bytes=config.sentence_cache_mb << 20,
    )
    if config.generator == "extractive":
        return extractive
    if config.generator in GENERATORS:
        model = generator or make_generator(config)
        assert model is not None  # a generative backend always has a model
        return GenerativeAnswerer(model, extractive, answer_passages=config.answer_passages)
    raise ValueError(
        f"unknown generator {config.generator!r}: choose one of {', '.join(GENERATORS)}"
    )
