"""Embeddings and indexes: the encoder, the dense (FAISS) and sparse (BM25) indexes, and
the on-disk index store.

Every text that enters an index, and every query, is folded with
:func:`corpus.normalize.normalize_for_matching` inside these classes.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from corpus.lazy import lazy_exports

if TYPE_CHECKING:
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

# Each public name and where it lives, imported on first use (PEP 562): importing
# ``embeddings`` (or one of its modules, such as ``embeddings.errors``) imports none
# of the rest.
_EXPORTS: dict[str, tuple[str, str]] = {
    "DenseIndex": ("embeddings.dense", "DenseIndex"),
    "BGE_ZH_QUERY_PREFIX": ("embeddings.encoder", "BGE_ZH_QUERY_PREFIX"),
    "Encoder": ("embeddings.encoder", "Encoder"),
    "default_query_prefix": ("embeddings.encoder", "default_query_prefix"),
    "IndexCorruptError": ("embeddings.errors", "IndexCorruptError"),
    "IndexError_": ("embeddings.errors", "IndexError_"),
    "IndexMismatchError": ("embeddings.errors", "IndexMismatchError"),
    "IndexNotFoundError": ("embeddings.errors", "IndexNotFoundError"),
    "IndexWriteError": ("embeddings.errors", "IndexWriteError"),
    "ModelUnavailableError": ("embeddings.errors", "ModelUnavailableError"),
    "BM25Index": ("embeddings.sparse", "BM25Index"),
    "FORMAT_VERSION": ("embeddings.store", "FORMAT_VERSION"),
    "IndexSettings": ("embeddings.store", "IndexSettings"),
    "IndexSnapshot": ("embeddings.store", "IndexSnapshot"),
    "build_snapshot": ("embeddings.store", "build_snapshot"),
    "load_snapshot": ("embeddings.store", "load_snapshot"),
    "save_snapshot": ("embeddings.store", "save_snapshot"),
    "settings_compatible": ("embeddings.store", "settings_compatible"),
    "DEFAULT_TOKENIZER": ("embeddings.tokenize", "DEFAULT_TOKENIZER"),
    "TOKENIZER_NAMES": ("embeddings.tokenize", "TOKENIZER_NAMES"),
    "Tokenizer": ("embeddings.tokenize", "Tokenizer"),
    "get_tokenizer": ("embeddings.tokenize", "get_tokenizer"),
    "Hits": ("embeddings.types", "Hits"),
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
