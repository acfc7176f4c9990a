"""Question answering over Chinese news with citations to the exact source text.

Example:
    >>> from qa import Assistant
    >>> assistant = Assistant.from_paths(["corpus/articles"])
    >>> answer = assistant.ask("长三角国资百企联盟创新子联盟由哪些企业牵头组建?")
    >>> print(answer.text)           # 由浙江省能源集团等4家企业牵头组建 [1]
    >>> answer.citations[0].quote    # the source sentence, verbatim
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from corpus.lazy import lazy_exports

if TYPE_CHECKING:
    from corpus.bundled import bundled_articles_dir
    from corpus.chunking import ChunkingConfig
    from corpus.formats import FORMATS
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
    from qa.answering.checks.statistics import assistant_check_statistics
    from qa.answering.extractive import (
        ReaderData,
        ReaderModel,
        TrainingQuestion,
        default_model,
    )
    from qa.answering.extractive.training import (
        ORIGIN_WEIGHTS as READER_ORIGIN_WEIGHTS,
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
    from qa.answering.extractive.training import (
        without_features as reader_oof_without,
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
    "assistant_check_statistics",
    "DEFAULT_MODEL",
    "FORMATS",
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
    "reader_oof_without",
    "READER_ORIGIN_WEIGHTS",
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

# Each public name and where it lives: resolved on first use (module ``__getattr__``,
# PEP 562), so that ``import qa`` and the ``qa`` command start in milliseconds and a
# command imports only what it uses.
_EXPORTS: dict[str, tuple[str, str]] = {
    "assistant_check_statistics": ("qa.answering.checks.statistics", "assistant_check_statistics"),
    "bundled_articles_dir": ("corpus.bundled", "bundled_articles_dir"),
    "ChunkingConfig": ("corpus.chunking", "ChunkingConfig"),
    "FORMATS": ("corpus.formats", "FORMATS"),
    "decode_page": ("corpus.html", "decode_page"),
    "document_from_text": ("corpus.loaders", "document_from_text"),
    "load_documents": ("corpus.loaders", "load_documents"),
    "load_page": ("corpus.loaders", "load_page"),
    "detect_script": ("corpus.normalize", "detect_script"),
    "normalize_for_matching": ("corpus.normalize", "normalize_for_matching"),
    "to_script": ("corpus.normalize", "to_script"),
    "Progress": ("corpus.progress", "Progress"),
    "sentence_spans": ("corpus.sentences", "sentence_spans"),
    "Alternate": ("corpus.types", "Alternate"),
    "Chunk": ("corpus.types", "Chunk"),
    "CleaningReport": ("corpus.types", "CleaningReport"),
    "Document": ("corpus.types", "Document"),
    "Removal": ("corpus.types", "Removal"),
    "QuestionAnalysis": ("qa.analysis.question", "QuestionAnalysis"),
    "analyze_question": ("qa.analysis.question", "analyze_question"),
    "Answerer": ("qa.answering", "Answerer"),
    "MAX_QUOTE_SENTENCES": ("qa.answering", "MAX_QUOTE_SENTENCES"),
    "NOVEL_THRESHOLD": ("qa.answering", "NOVEL_THRESHOLD"),
    "SUPPORT_THRESHOLD": ("qa.answering", "SUPPORT_THRESHOLD"),
    "TermStatistics": ("qa.answering", "TermStatistics"),
    "make_answerer": ("qa.answering", "make_answerer"),
    "support_score": ("qa.answering", "support_score"),
    "supports": ("qa.answering", "supports"),
    "verify_text": ("qa.answering", "verify_text"),
    "ReaderData": ("qa.answering.extractive", "ReaderData"),
    "ReaderModel": ("qa.answering.extractive", "ReaderModel"),
    "TrainingQuestion": ("qa.answering.extractive", "TrainingQuestion"),
    "default_model": ("qa.answering.extractive", "default_model"),
    "OutOfFold": ("qa.answering.extractive.training", "OutOfFold"),
    "collect_reader_data": ("qa.answering.extractive.training", "collect"),
    "concat_reader_data": ("qa.answering.extractive.training", "concat"),
    "fit_reader": ("qa.answering.extractive.training", "fit"),
    "fit_reader_confidence": ("qa.answering.extractive.training", "fit_confidence"),
    "reader_out_of_fold": ("qa.answering.extractive.training", "out_of_fold"),
    "reader_oof_without": ("qa.answering.extractive.training", "without_features"),
    "READER_ORIGIN_WEIGHTS": ("qa.answering.extractive.training", "ORIGIN_WEIGHTS"),
    "Assistant": ("qa.assistant", "Assistant"),
    "validate_question": ("qa.assistant", "validate_question"),
    "AssistantConfig": ("qa.config", "AssistantConfig"),
    "DEFAULT_MODEL": ("qa.config", "DEFAULT_MODEL"),
    "GENERATORS": ("qa.config", "GENERATORS"),
    "MAX_QUESTION_CHARS": ("qa.config", "MAX_QUESTION_CHARS"),
    "ResolvedQuestion": ("qa.conversation", "ResolvedQuestion"),
    "analyze_follow_up": ("qa.conversation", "analyze_follow_up"),
    "resolve_follow_up": ("qa.conversation", "resolve_follow_up"),
    "CorpusError": ("qa.errors", "CorpusError"),
    "EmptyCorpusError": ("qa.errors", "EmptyCorpusError"),
    "GenerationError": ("qa.errors", "GenerationError"),
    "IndexBusyError": ("qa.errors", "IndexBusyError"),
    "IndexCorruptError": ("qa.errors", "IndexCorruptError"),
    "IndexMismatchError": ("qa.errors", "IndexMismatchError"),
    "IndexNotFoundError": ("qa.errors", "IndexNotFoundError"),
    "IndexWriteError": ("qa.errors", "IndexWriteError"),
    "InvalidQuestionError": ("qa.errors", "InvalidQuestionError"),
    "ModelUnavailableError": ("qa.errors", "ModelUnavailableError"),
    "QAError": ("qa.errors", "QAError"),
    "UnreadableFileError": ("qa.errors", "UnreadableFileError"),
    "index_generation": ("qa.index", "index_generation"),
    "open_or_build": ("qa.index", "open_or_build"),
    "interrogative_pattern": ("qa.lexicon", "interrogative_pattern"),
    "MARKER": ("qa.markers", "MARKER"),
    "marker_numbers": ("qa.markers", "marker_numbers"),
    "strip_markers": ("qa.markers", "strip_markers"),
    "FUSION_METHODS": ("qa.retrieval", "FUSION_METHODS"),
    "Fusion": ("qa.retrieval", "Fusion"),
    "Query": ("qa.retrieval", "Query"),
    "Retriever": ("qa.retrieval", "Retriever"),
    "Searcher": ("qa.retrieval", "Searcher"),
    "make_retrievers": ("qa.retrieval", "make_retrievers"),
    "Answer": ("qa.types", "Answer"),
    "AnswerDelta": ("qa.types", "AnswerDelta"),
    "Citation": ("qa.types", "Citation"),
    "Draft": ("qa.types", "Draft"),
    "FloatMap": ("qa.types", "FloatMap"),
    "Passage": ("qa.types", "Passage"),
    "Question": ("qa.types", "Question"),
    "SearchFilters": ("qa.types", "SearchFilters"),
    "IngestSummary": ("qa.updates", "IngestSummary"),
    "Merge": ("qa.updates", "Merge"),
}


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, __all__)
