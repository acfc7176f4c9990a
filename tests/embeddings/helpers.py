"""Helpers of the embeddings tests."""

from __future__ import annotations

from corpus.types import Document, content_hash, stable_id


def make_document(text: str, source: str, title: str = "") -> Document:
    """A document as the corpus layer would make it."""
    return Document(
        id=stable_id(source),
        title=title,
        text=text,
        source=source,
        content_hash=content_hash(text),
    )
