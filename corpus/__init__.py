"""Load, decode, clean, normalise and chunk Chinese news articles.

The public API of the corpus layer; nothing here imports from other packages of the
project.
"""

from __future__ import annotations

import logging

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
from corpus.loaders import LoadResult, PageReport, SkippedFile, document_from_text, load_documents
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
