"""Chunk vectors for a new snapshot, reusing those of the previous one."""

from __future__ import annotations

import logging

import numpy as np
import numpy.typing as npt

from corpus.progress import Progress
from embeddings.encoder import Encoder
from embeddings.store.settings import IndexSettings, settings_compatible
from embeddings.store.snapshot import IndexSnapshot

__all__ = ["embed_chunks"]

logger = logging.getLogger(__name__)


def embed_chunks(
    texts: list[str],
    settings: IndexSettings,
    encoder: Encoder,
    previous: IndexSnapshot | None,
    progress: Progress | None,
) -> npt.NDArray[np.float32]:
    """Vectors of ``texts``, reusing ``previous`` ones for unchanged texts.

    A chunk's vector depends only on its text and the index settings, so a text embedded
    in ``previous`` (built with compatible settings) keeps its vector; the rest are
    encoded in batches.

    Args:
        texts: the chunk texts, in row order.
        settings: the new index's settings (``dimension`` filled in).
        encoder: the encoder of ``settings.model``.
        previous: the current index, or None.
        progress: called as ``progress("embed", done, total)``.

    Returns:
        A float32 array of shape ``(len(texts), settings.dimension)``.
    """
    out = np.empty((len(texts), settings.dimension), dtype=np.float32)
    reusable: dict[str, int] = {}
    if (
        previous is not None
        and previous.vectors is not None
        and settings_compatible(previous.settings, settings) is None
    ):
        # A chunk's vector depends only on its text and the settings, so any unchanged
        # text (same chunk, or the same text moved) keeps its vector.
        reusable = {c.text: i for i, c in enumerate(previous.chunks)}
    dst_reuse: list[int] = []
    src_reuse: list[int] = []
    missing: list[int] = []
    for i, text in enumerate(texts):
        j = reusable.get(text)
        if j is None:
            missing.append(i)
        else:
            dst_reuse.append(i)
            src_reuse.append(j)
    if dst_reuse:
        assert previous is not None and previous.vectors is not None
        out[dst_reuse] = previous.vectors[src_reuse]
    logger.info("embedding %d chunks, reusing %d vectors", len(missing), len(dst_reuse))
    if missing:
        out[missing] = encoder.encode([texts[i] for i in missing], progress=progress)
    elif progress is not None:
        progress("embed", 0, 0)
    return out
