"""Plain-text articles (``.txt``): one article per file, in UTF-8, GB18030 or Big5."""

from __future__ import annotations

from dataclasses import dataclass

from corpus.formats.base import BytesReader, LoadResult, SourceFile
from corpus.ids import path_id

__all__ = ["TextReader"]


@dataclass(frozen=True, slots=True)
class TextReader(BytesReader):
    """Reads a ``.txt`` file as one article: decoded, cleaned, its title, date, outlet
    and reporter read from the text; its id from its path relative to the folder given."""

    name: str = "text"
    suffixes: tuple[str, ...] = (".txt",)
    description: str = "plain-text articles"

    def read_bytes(self, data: bytes, file: SourceFile) -> LoadResult:
        """The file's article, or why it gives none (empty, binary, undecodable)."""
        from corpus.formats.documents import decode_text, document_from_text

        text = decode_text(data, str(file.path))
        if not isinstance(text, str):
            return LoadResult(skipped=(text,))
        relative = file.relative
        return LoadResult(
            documents=(document_from_text(text, source=relative, doc_id=path_id(relative)),)
        )
