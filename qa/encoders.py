"""Which embedding model a corpus gets: load it, and check that it can read the corpus.

A model that cannot be loaded (offline and not cached, a bad path), or one that maps too
many of the corpus's tokens to its unknown token (an English-only model on Chinese text),
would only add noise to the fusion; :func:`resolve_encoder` then returns no encoder and
one warning that names the model to configure.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from embeddings.encoder import Encoder, default_query_prefix
from embeddings.errors import ModelUnavailableError
from qa.config import AssistantConfig

__all__ = ["COVERAGE_SAMPLE", "add_vectors_hint", "make_encoder", "resolve_encoder"]

logger = logging.getLogger(__name__)

COVERAGE_SAMPLE = 200
"""Chunks sampled to measure whether the embedding model covers the corpus's script."""


def make_encoder(config: AssistantConfig) -> Encoder:
    """The (not yet loaded) encoder of ``config.model``.

    Raises:
        ValueError: when ``config.model`` is empty (no model configured).
    """
    return Encoder(
        config.model,
        device=config.device,
        batch_size=config.batch_size,
        local_files_only=config.local_files_only,
        query_prefix=default_query_prefix(config.model),
    )


def add_vectors_hint(model: str) -> str:
    """How to give a lexical-only index dense vectors later (a sentence for messages)."""
    return (
        "to add dense vectors once the model is available, re-ingest with it: "
        f"qa ingest PATH... --model {model} --rebuild"
    )


def resolve_encoder(
    config: AssistantConfig, sample: Sequence[str], *, building: bool = False
) -> tuple[Encoder | None, tuple[str, ...]]:
    """The dense encoder, or None with one warning saying why and what to configure.

    Args:
        config: the configuration (``model`` "" means lexical only, without a warning).
        sample: chunk texts to measure the model's unknown-token rate on.
        building: an index is being built: without an encoder it is built lexical-only,
            later loads do not try the model again, and the warning says how to add
            vectors later.

    Returns:
        ``(encoder, warnings)``: the loaded encoder and no warning, or None and one
        warning when the model cannot be loaded or does not cover the corpus's script.
    """
    if not config.model:
        return None, ()
    encoder = make_encoder(config)
    later = (
        f" The index is built without dense vectors, so later runs serve BM25 without "
        f"trying the model again; {add_vectors_hint(config.model)}."
        if building
        else ""
    )
    try:
        encoder.warm_up()
    except ModelUnavailableError as exc:
        msg = f"{str(exc).rstrip('.')}. Serving lexical (BM25) retrieval only.{later}"
        logger.warning(msg)
        return None, (msg,)
    rate = encoder.unknown_token_rate(list(sample[:COVERAGE_SAMPLE])) if sample else 0.0
    if rate > config.max_unknown_rate:
        redo = (
            " and re-ingest with it: qa ingest PATH... --model NAME --rebuild" if building else ""
        )
        msg = (
            f"Embedding model {config.model!r} does not cover this corpus's script: it maps "
            f"{rate:.0%} of the corpus's tokens to its unknown token. Serving lexical (BM25) "
            "retrieval only. Configure a Chinese model (--model / QA_MODEL), e.g. "
            f"BAAI/bge-small-zh-v1.5{redo}."
        )
        logger.warning(msg)
        return None, (msg,)
    return encoder, ()
