"""Question answering over Chinese news with citations to the exact source text.

Example:
    >>> from qa import Assistant
    >>> assistant = Assistant.from_paths(["corpus/articles"])
    >>> answer = assistant.ask("长三角国资百企联盟创新子联盟由哪些企业牵头组建?")
    >>> print(answer.text)           # 由浙江省能源集团等4家企业牵头组建 [1]
    >>> answer.citations[0].quote    # the source sentence, verbatim
"""

from __future__ import annotations

from corpus.chunking import ChunkingConfig
from corpus.loaders import document_from_text, load_documents
from corpus.normalize import detect_script, normalize_for_matching, to_script
from corpus.types import Chunk, CleaningReport, Document, Removal
from qa.assistant import Assistant, IngestSummary
from qa.config import DEFAULT_MODEL, AssistantConfig
from qa.conversation import ResolvedQuestion, analyze_follow_up, resolve_follow_up
from qa.errors import (
    CorpusError,
    EmptyCorpusError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    InvalidQuestionError,
    ModelUnavailableError,
    QAError,
    UnreadableFileError,
)
from qa.types import Answer, Citation, Passage, SearchFilters

__all__ = [
    "DEFAULT_MODEL",
    "Answer",
    "Assistant",
    "AssistantConfig",
    "Chunk",
    "ChunkingConfig",
    "Citation",
    "CleaningReport",
    "CorpusError",
    "Document",
    "EmptyCorpusError",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IngestSummary",
    "InvalidQuestionError",
    "ModelUnavailableError",
    "Passage",
    "QAError",
    "Removal",
    "ResolvedQuestion",
    "SearchFilters",
    "UnreadableFileError",
    "analyze_follow_up",
    "detect_script",
    "document_from_text",
    "load_documents",
    "normalize_for_matching",
    "resolve_follow_up",
    "to_script",
]
