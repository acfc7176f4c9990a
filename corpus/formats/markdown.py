"""Markdown articles (``.md``): one article per file; the first heading is its title."""

from __future__ import annotations

from dataclasses import dataclass

from corpus.formats.base import BytesReader, LoadResult, SourceFile
from corpus.ids import path_id

__all__ = ["MarkdownReader"]


@dataclass(frozen=True, slots=True)
class MarkdownReader(BytesReader):
    """Reads a ``.md`` file as one article: the markup is turned into plain text
    (:func:`corpus.markdown.markdown_to_text`), which is then cleaned like a ``.txt``."""

    name: str = "markdown"
    suffixes: tuple[str, ...] = (".md",)
    description: str = "Markdown articles"

    def read_bytes(self, data: bytes, file: SourceFile) -> LoadResult:
        """The file's article, or why it gives none (empty, binary, undecodable)."""
        from corpus.formats.documents import decode_text, document_from_text
        from corpus.markdown import markdown_to_text

        text = decode_text(data, str(file.path))
        if not isinstance(text, str):
            return LoadResult(skipped=(text,))
        title, body = markdown_to_text(text)
        relative = file.relative
        doc = document_from_text(body, source=relative, title=title, doc_id=path_id(relative))
        return LoadResult(documents=(doc,))
