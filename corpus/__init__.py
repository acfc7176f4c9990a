"""Load, decode, clean, normalise and chunk Chinese news articles.

The public API of the corpus layer; nothing here imports from other packages of the
project.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from corpus.lazy import lazy_exports

if TYPE_CHECKING:
    from corpus.bundled import bundled_articles_dir
    from corpus.chunking import ChunkingConfig, chunk_document, chunk_documents
    from corpus.cleaning import CleanedArticle, clean_article
    from corpus.encoding import decode_bytes
    from corpus.errors import (
        CorpusError,
        EmptyCorpusError,
        PathNotFoundError,
        QAError,
        UnreadableFileError,
    )
    from corpus.loaders import (
        LoadResult,
        PageReport,
        SkippedFile,
        document_from_text,
        load_documents,
    )
    from corpus.normalize import detect_script, normalize_for_matching, to_script
    from corpus.progress import Progress, null_progress
    from corpus.types import (
        Alternate,
        Chunk,
        CleaningReport,
        Document,
        Removal,
        content_hash,
        stable_id,
    )

logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "Alternate",
    "Chunk",
    "ChunkingConfig",
    "CleanedArticle",
    "CleaningReport",
    "CorpusError",
    "Document",
    "EmptyCorpusError",
    "LoadResult",
    "PageReport",
    "PathNotFoundError",
    "Progress",
    "QAError",
    "Removal",
    "SkippedFile",
    "UnreadableFileError",
    "bundled_articles_dir",
    "chunk_document",
    "chunk_documents",
    "clean_article",
    "content_hash",
    "decode_bytes",
    "detect_script",
    "document_from_text",
    "load_documents",
    "normalize_for_matching",
    "null_progress",
    "stable_id",
    "to_script",
]

# Each public name and where it lives, imported on first use (PEP 562): importing
# ``corpus`` (or one of its modules, such as ``corpus.errors``) does not import the rest.
_EXPORTS: dict[str, tuple[str, str]] = {
    "bundled_articles_dir": ("corpus.bundled", "bundled_articles_dir"),
    "ChunkingConfig": ("corpus.chunking", "ChunkingConfig"),
    "chunk_document": ("corpus.chunking", "chunk_document"),
    "chunk_documents": ("corpus.chunking", "chunk_documents"),
    "CleanedArticle": ("corpus.cleaning", "CleanedArticle"),
    "clean_article": ("corpus.cleaning", "clean_article"),
    "decode_bytes": ("corpus.encoding", "decode_bytes"),
    "CorpusError": ("corpus.errors", "CorpusError"),
    "EmptyCorpusError": ("corpus.errors", "EmptyCorpusError"),
    "PathNotFoundError": ("corpus.errors", "PathNotFoundError"),
    "QAError": ("corpus.errors", "QAError"),
    "UnreadableFileError": ("corpus.errors", "UnreadableFileError"),
    "LoadResult": ("corpus.loaders", "LoadResult"),
    "PageReport": ("corpus.loaders", "PageReport"),
    "SkippedFile": ("corpus.loaders", "SkippedFile"),
    "document_from_text": ("corpus.loaders", "document_from_text"),
    "load_documents": ("corpus.loaders", "load_documents"),
    "detect_script": ("corpus.normalize", "detect_script"),
    "normalize_for_matching": ("corpus.normalize", "normalize_for_matching"),
    "to_script": ("corpus.normalize", "to_script"),
    "Progress": ("corpus.progress", "Progress"),
    "null_progress": ("corpus.progress", "null_progress"),
    "Alternate": ("corpus.types", "Alternate"),
    "Chunk": ("corpus.types", "Chunk"),
    "CleaningReport": ("corpus.types", "CleaningReport"),
    "Document": ("corpus.types", "Document"),
    "Removal": ("corpus.types", "Removal"),
    "content_hash": ("corpus.types", "content_hash"),
    "stable_id": ("corpus.types", "stable_id"),
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
