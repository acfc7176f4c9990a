"""Chunk vectors for new segments, reusing vectors already computed for the same text."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from corpus.progress import Progress
from embeddings.encoder import Encoder

__all__ = ["embed_texts"]

logger = logging.getLogger(__name__)


def embed_texts(
    texts: Sequence[str],
    encoder: Encoder,
    *,
    reuse: Mapping[str, Callable[[], npt.NDArray[np.float32]]] | None = None,
    progress: Progress | None = None,
) -> npt.NDArray[np.float32]:
    """Vectors of ``texts``, in order; texts found in ``reuse`` are not encoded again.

    A chunk's vector depends only on its text and the model, so the unchanged chunks of
    an updated document keep theirs; the rest are encoded in batches (the encoder's
    batch size), with ``progress("embed", done, total)`` after each.

    Args:
        texts: the chunk texts.
        encoder: the encoder of the index's model.
        reuse: text -> a function returning its known vector (computed for an index
            with the same model).
        progress: the progress hook.

    Returns:
        A float32 array of shape ``(len(texts), encoder.dimension)``.
    """
    out = np.empty((len(texts), encoder.dimension), dtype=np.float32)
    missing: list[int] = []
    reused = 0
    for i, text in enumerate(texts):
        known = reuse.get(text) if reuse else None
        if known is None:
            missing.append(i)
        else:
            out[i] = known()
            reused += 1
    logger.info("embedding %d chunks, reusing %d vectors", len(missing), reused)
    if missing:
        out[missing] = encoder.encode([texts[i] for i in missing], progress=progress)
    elif progress is not None:
        progress("embed", 0, 0)
    return out
