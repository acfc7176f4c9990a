"""Embeddings and indexes: the encoder, the dense (FAISS) and sparse (BM25) indexes, and
the on-disk index store.

Every text that enters an index, and every query, is folded with
:func:`corpus.normalize.normalize_for_matching` inside these classes.
"""

from __future__ import annotations

import logging

from embeddings.dense import DenseIndex
from embeddings.encoder import BGE_ZH_QUERY_PREFIX, Encoder, default_query_prefix
from embeddings.errors import (
    IndexCorruptError,
    IndexError_,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
    ModelUnavailableError,
)
from embeddings.sparse import BM25Index
from embeddings.store import (
    FORMAT_VERSION,
    IndexSettings,
    IndexSnapshot,
    build_snapshot,
    load_snapshot,
    save_snapshot,
    settings_compatible,
)
from embeddings.tokenize import DEFAULT_TOKENIZER, TOKENIZER_NAMES, Tokenizer, get_tokenizer
from embeddings.types import Hits

__all__ = [
    "BGE_ZH_QUERY_PREFIX",
    "BM25Index",
    "DEFAULT_TOKENIZER",
    "DenseIndex",
    "Encoder",
    "FORMAT_VERSION",
    "Hits",
    "IndexCorruptError",
    "IndexError_",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexSettings",
    "IndexSnapshot",
    "IndexWriteError",
    "ModelUnavailableError",
    "TOKENIZER_NAMES",
    "Tokenizer",
    "build_snapshot",
    "default_query_prefix",
    "get_tokenizer",
    "load_snapshot",
    "save_snapshot",
    "settings_compatible",
]

logging.getLogger(__name__).addHandler(logging.NullHandler())
