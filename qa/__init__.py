"""Question answering over Chinese news with citations to the exact source text.

Example:
    >>> from qa import Assistant
    >>> assistant = Assistant.from_paths(["corpus/articles"])
    >>> answer = assistant.ask("长三角国资百企联盟创新子联盟由哪些企业牵头组建?")
    >>> print(answer.text)           # 由浙江省能源集团等4家企业牵头组建 [1]
    >>> answer.citations[0].quote    # the source sentence, verbatim
"""

from __future__ import annotations

from corpus.bundled import bundled_articles_dir
from corpus.chunking import ChunkingConfig
from corpus.html import decode_page
from corpus.loaders import document_from_text, load_documents, load_page
from corpus.normalize import detect_script, normalize_for_matching, to_script
from corpus.progress import Progress
from corpus.sentences import sentence_spans
from corpus.types import Alternate, Chunk, CleaningReport, Document, Removal
from qa.analysis.question import QuestionAnalysis, analyze_question
from qa.answering import (
    MAX_QUOTE_SENTENCES,
    NOVEL_THRESHOLD,
    SUPPORT_THRESHOLD,
    Answerer,
    TermStatistics,
    make_answerer,
    support_score,
    supports,
    verify_text,
)
from qa.answering.extractive import (
    ReaderData,
    ReaderModel,
    TrainingQuestion,
    default_model,
)
from qa.answering.extractive.training import (
    OutOfFold,
)
from qa.answering.extractive.training import (
    collect as collect_reader_data,
)
from qa.answering.extractive.training import (
    concat as concat_reader_data,
)
from qa.answering.extractive.training import (
    fit as fit_reader,
)
from qa.answering.extractive.training import (
    fit_confidence as fit_reader_confidence,
)
from qa.answering.extractive.training import (
    out_of_fold as reader_out_of_fold,
)
from qa.assistant import Assistant, validate_question
from qa.config import DEFAULT_MODEL, GENERATORS, MAX_QUESTION_CHARS, AssistantConfig
from qa.conversation import ResolvedQuestion, analyze_follow_up, resolve_follow_up
from qa.errors import (
    CorpusError,
    EmptyCorpusError,
    GenerationError,
    IndexBusyError,
    IndexCorruptError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
    InvalidQuestionError,
    ModelUnavailableError,
    QAError,
    UnreadableFileError,
)
from qa.index import index_generation, open_or_build
from qa.lexicon import interrogative_pattern
from qa.markers import MARKER, marker_numbers, strip_markers
from qa.retrieval import FUSION_METHODS, Fusion, Query, Retriever, Searcher, make_retrievers
from qa.types import (
    Answer,
    AnswerDelta,
    Citation,
    Draft,
    FloatMap,
    Passage,
    Question,
    SearchFilters,
)
from qa.updates import IngestSummary, Merge

__all__ = [
    "DEFAULT_MODEL",
    "FUSION_METHODS",
    "GENERATORS",
    "MARKER",
    "MAX_QUESTION_CHARS",
    "Alternate",
    "MAX_QUOTE_SENTENCES",
    "NOVEL_THRESHOLD",
    "SUPPORT_THRESHOLD",
    "Answer",
    "AnswerDelta",
    "Answerer",
    "Assistant",
    "AssistantConfig",
    "Chunk",
    "ChunkingConfig",
    "Citation",
    "CleaningReport",
    "CorpusError",
    "Document",
    "Draft",
    "EmptyCorpusError",
    "FloatMap",
    "Fusion",
    "GenerationError",
    "IndexBusyError",
    "IndexCorruptError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexWriteError",
    "IngestSummary",
    "InvalidQuestionError",
    "Merge",
    "ModelUnavailableError",
    "OutOfFold",
    "Passage",
    "Progress",
    "QAError",
    "Query",
    "Question",
    "QuestionAnalysis",
    "ReaderData",
    "ReaderModel",
    "Removal",
    "ResolvedQuestion",
    "Retriever",
    "SearchFilters",
    "Searcher",
    "TermStatistics",
    "TrainingQuestion",
    "UnreadableFileError",
    "analyze_follow_up",
    "analyze_question",
    "bundled_articles_dir",
    "collect_reader_data",
    "concat_reader_data",
    "default_model",
    "detect_script",
    "decode_page",
    "document_from_text",
    "fit_reader",
    "fit_reader_confidence",
    "interrogative_pattern",
    "load_documents",
    "load_page",
    "make_answerer",
    "make_retrievers",
    "marker_numbers",
    "normalize_for_matching",
    "index_generation",
    "open_or_build",
    "reader_out_of_fold",
    "resolve_follow_up",
    "sentence_spans",
    "strip_markers",
    "support_score",
    "supports",
    "to_script",
    "validate_question",
    "verify_text",
]
