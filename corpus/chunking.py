"""Sentence-aware chunking with exact character offsets.

Uses langchain-text-splitters' recursive splitter with Chinese sentence ends as
separators, then locates every chunk in the document so that
``document.text[chunk.start:chunk.end] == chunk.text`` always holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from corpus.types import Chunk, Document

if TYPE_CHECKING:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

__all__ = ["SENTENCE_SEPARATORS", "ChunkingConfig", "chunk_document", "chunk_documents"]

# Coarsest first: paragraphs, lines, sentence ends, clause breaks, then characters.
SENTENCE_SEPARATORS: tuple[str, ...] = (
    "\n\n",
    "\n",
    "。",
    "！",
    "？",
    "!",
    "?",
    "…",
    "；",
    ";",
    ". ",
    "，",
    ",",
    "、",
    " ",
    "",
)


@dataclass(frozen=True, slots=True)
class ChunkingConfig:
    """How documents are cut into chunks.

    Attributes:
        chunk_size: maximum chunk length in characters.
        chunk_overlap: characters shared by neighbouring chunks.
    """

    chunk_size: int = 300
    chunk_overlap: int = 50

    def __post_init__(self) -> None:
        if self.chunk_size <= 0:
            raise ValueError("chunk_size must be greater than 0")
        if not 0 <= self.chunk_overlap < self.chunk_size:
            raise ValueError("chunk_overlap must be at least 0 and smaller than chunk_size")

    def splitter(self) -> RecursiveCharacterTextSplitter:
        """The configured langchain splitter."""
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        return RecursiveCharacterTextSplitter(
            separators=list(SENTENCE_SEPARATORS),
            keep_separator="end",
            chunk_size=self.chunk_size,
            chunk_overlap=self.chunk_overlap,
            strip_whitespace=False,
        )


def chunk_document(
    document: Document,
    config: ChunkingConfig | None = None,
    *,
    splitter: RecursiveCharacterTextSplitter | None = None,
) -> tuple[Chunk, ...]:
    """Cut one document into chunks that know their character span.

    Args:
        document: the cleaned document.
        config: chunk size and overlap (defaults apply when omitted).
        splitter: a prebuilt splitter (to reuse across many documents).

    Returns:
        The chunks in document order; empty for a blank document. Leading and trailing
        whitespace is trimmed from each chunk (and from its span).
    """
    splitter = splitter or (config or ChunkingConfig()).splitter()
    text = document.text
    chunks: list[Chunk] = []
    cursor = 0
    for piece in splitter.split_text(text):
        # Chunks come in order and overlap backwards by at most chunk_overlap characters,
        # so search from just after the previous chunk's start.
        start = text.find(piece, cursor)
        if start < 0:  # pragma: no cover - the splitter returns substrings of the input
            raise RuntimeError("chunk text not found in document")
        cursor = start + 1
        stripped = piece.strip()
        if not stripped:
            continue
        s = start + (len(piece) - len(piece.lstrip()))
        e = s + len(stripped)
        index = len(chunks)
        chunks.append(
            Chunk(
                id=f"{document.id}-{index:04d}",
                doc_id=document.id,
                index=index,
                text=text[s:e],
                start=s,
                end=e,
            )
        )
    return tuple(chunks)


def chunk_documents(
    documents: list[Document] | tuple[Document, ...], config: ChunkingConfig | None = None
) -> tuple[Chunk, ...]:
    """Chunk many documents with one splitter."""
    splitter = (config or ChunkingConfig()).splitter()
    out: list[Chunk] = []
    for doc in documents:
        out.extend(chunk_document(doc, splitter=splitter))
    return tuple(out)
