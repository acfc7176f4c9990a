"""The :class:`Assistant` facade: build or load an index, then search and ask."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from corpus.chunking import chunk_documents
from corpus.dedupe import DuplicateIndex
from corpus.errors import EmptyCorpusError
from corpus.loaders import load_documents
from corpus.progress import Progress
from corpus.types import Document
from embeddings.encoder import Encoder
from embeddings.errors import IndexMismatchError
from embeddings.store import (
    IndexSettings,
    IndexSnapshot,
    build_snapshot,
    load_snapshot,
    save_snapshot,
    settings_compatible,
)
from qa.answering import (
    Answerer,
    FollowUpRewriter,
    StreamingAnswerer,
    make_answerer,
    make_generator,
)
from qa.config import AssistantConfig
from qa.conversation import Turn, analyze_follow_up
from qa.encoders import COVERAGE_SAMPLE, add_vectors_hint, resolve_encoder
from qa.errors import InvalidQuestionError
from qa.retrieval import Searcher, make_retrievers
from qa.types import Answer, AnswerDelta, Draft, FloatMap, Passage, Question, SearchFilters
from qa.updates import IngestSummary, latest_by_id, merge_documents, remove_documents

if TYPE_CHECKING:
    from corpus.loaders import SkippedFile

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = ["Assistant", "IngestSummary", "validate_question"]


class Assistant:
    """Question answering over an indexed corpus of news articles.

    Build one with :meth:`from_paths`, :meth:`from_documents` or :meth:`load`; then
    :meth:`ask` (or :meth:`ask_stream`) and :meth:`search`. With a language model
    configured (``generator="transformers"`` or ``"openai"``), it loads on
    :meth:`warm_up` or on the first question. Reads work on an immutable index snapshot; updates
    (:meth:`add_documents`, :meth:`remove_documents`) build a new snapshot beside it and
    swap it in whole, so concurrent questions always see a complete index.

    Args:
        snapshot: the index.
        config: the configuration the index was built with.
        encoder: the dense query encoder, or None for lexical retrieval alone.
        warnings: notes for the user (such as why dense retrieval is off).
    """

    def __init__(
        self,
        snapshot: IndexSnapshot,
        config: AssistantConfig | None = None,
        *,
        encoder: Encoder | None = None,
        warnings: Sequence[str] = (),
    ) -> None:
        self.config = config or AssistantConfig()
        self._encoder = encoder
        self._warnings = tuple(warnings)
        self._write_lock = threading.Lock()
        # One language model for the assistant's life (index updates keep it).
        self._generator = make_generator(self.config)
        self._state = self._make_state(snapshot)
        # The near-duplicate index over the current snapshot's documents, built on the
        # first update and kept in step with the snapshot (see add_documents).
        self._duplicates: tuple[IndexSnapshot, DuplicateIndex] | None = None

    # -- construction -----------------------------------------------------------------

    @classmethod
    def from_documents(
        cls,
        documents: Iterable[Document],
        config: AssistantConfig | None = None,
        *,
        progress: Progress | None = None,
    ) -> Assistant:
        """Index documents in memory (the last of several with one id wins; copies of one
        story are indexed once, the others recorded as its alternates, see
        :mod:`corpus.dedupe`; ``config.duplicate_threshold=0`` turns that off).

        Raises:
            EmptyCorpusError: when there is no document with text.
        """
        config = config or AssistantConfig()
        docs = tuple(latest_by_id(documents))
        if config.duplicate_threshold:
            docs, _ = merge_documents((), docs, duplicates=_duplicate_index((), config))
        if not docs:
            raise EmptyCorpusError(
                "no article with text to index: give files or folders of .txt, .md, .html "
                "or .jsonl articles"
            )
        chunks = chunk_documents(docs, config.chunking)
        encoder, warnings = resolve_encoder(config, [c.text for c in chunks], building=True)
        snapshot = build_snapshot(
            docs, chunks, _settings(config, encoder), encoder=encoder, progress=progress
        )
        return cls(snapshot, config, encoder=encoder, warnings=warnings)

    @classmethod
    def from_paths(
        cls,
        paths: Iterable[str | Path],
        config: AssistantConfig | None = None,
        *,
        progress: Progress | None = None,
    ) -> Assistant:
        """Load, clean and index the articles under ``paths`` (files or folders).

        Raises:
            PathNotFoundError: when a path does not exist.
            EmptyCorpusError: when no article could be loaded.
        """
        paths = list(paths)
        result = load_documents(paths, progress=progress)
        if not result.documents:
            raise EmptyCorpusError(_empty_message(paths, result.skipped))
        return cls.from_documents(result.documents, config, progress=progress)

    @classmethod
    def load(cls, directory: str | Path, config: AssistantConfig | None = None) -> Assistant:
        """Open an index written by :meth:`save` or ``qa ingest``.

        An index with dense vectors loads ``config.model`` (it must be the model the
        vectors were made with) and serves BM25 alone, with one warning, when the model
        cannot be loaded. A lexical-only index (built with ``model=""`` or while the
        model could not be loaded) serves BM25 without touching the model at all; to
        give it vectors, build it again with the model.

        Raises:
            IndexNotFoundError: when there is no index at ``directory``.
            IndexCorruptError: when the index cannot be read.
            IndexMismatchError: when it was built with other settings than ``config``.
        """
        config = config or AssistantConfig()
        snapshot = load_snapshot(directory)
        reason = settings_compatible(snapshot.settings, _settings(config, None), check_model=False)
        if reason:
            raise IndexMismatchError(_mismatch_message(directory, reason))
        built_with = snapshot.settings.model
        encoder: Encoder | None = None
        warnings: tuple[str, ...] = ()
        if config.model and built_with and config.model != built_with:
            raise IndexMismatchError(
                _mismatch_message(
                    directory, f"it was embedded with {built_with!r}, not {config.model!r}"
                )
            )
        if config.model and built_with:
            sample = [c.text for c in snapshot.chunks[:COVERAGE_SAMPLE]]
            encoder, warnings = resolve_encoder(config, sample)
        elif config.model:
            # A lexical-only index serves BM25 as built: the model is not loaded (no torch,
            # no hub request), and the note on how to add vectors was given at build time.
            logger.info(
                "the index at %s has no dense vectors: serving BM25 retrieval (%s)",
                directory,
                add_vectors_hint(config.model),
            )
        return cls(snapshot, config, encoder=encoder, warnings=warnings)

    def save(self, directory: str | Path) -> None:
        """Write the index to ``directory`` atomically (the old one stays until complete)."""
        save_snapshot(self._state.snapshot, directory)

    # -- updates ----------------------------------------------------------------------

    def add_documents(
        self, documents: Iterable[Document], *, progress: Progress | None = None
    ) -> IngestSummary:
        """Add new documents and replace changed ones (matched by id).

        Unchanged documents (same id and content hash) are left alone and cost nothing;
        only new and changed chunks are embedded. A new document that copies an indexed
        story (or one of the batch) is recorded as that document's alternate instead of
        being indexed twice, or replaces it where it is the longer copy
        (:mod:`corpus.dedupe`); the summary lists these merges.
        """
        with self._write_lock:
            snapshot = self._state.snapshot
            duplicates = self._duplicate_index(snapshot)
            try:
                merged, summary = merge_documents(
                    snapshot.documents, documents, duplicates=duplicates
                )
                if summary.changed:
                    self._rebuild(merged, progress)
            except BaseException:
                self._duplicates = None  # it may hold documents that were not indexed
                raise
            if duplicates is not None:
                self._duplicates = (self._state.snapshot, duplicates)
            return summary

    def _duplicate_index(self, snapshot: IndexSnapshot) -> DuplicateIndex | None:
        if not self.config.duplicate_threshold:
            return None
        if self._duplicates is not None and self._duplicates[0] is snapshot:
            return self._duplicates[1]
        return _duplicate_index(snapshot.documents, self.config)

    def remove_documents(self, doc_ids: Iterable[str]) -> int:
        """Remove documents by id; returns how many were removed.

        Raises:
            EmptyCorpusError: when the removal would leave the index empty.
        """
        with self._write_lock:
            kept, removed = remove_documents(self._state.snapshot.documents, doc_ids)
            if removed:
                if not kept:
                    raise EmptyCorpusError("removing these documents would leave the index empty")
                self._rebuild(kept, None)
            return removed

    def _rebuild(self, documents: tuple[Document, ...], progress: Progress | None) -> None:
        chunks = chunk_documents(documents, self.config.chunking)
        snapshot = build_snapshot(
            documents,
            chunks,
            self._state.snapshot.settings,
            encoder=self._encoder if self._state.snapshot.dense is not None else None,
            previous=self._state.snapshot,
            progress=progress,
        )
        # One attribute assignment: readers see the old or the new state, never a mix.
        self._state = self._make_state(snapshot)

    def _make_state(self, snapshot: IndexSnapshot) -> _State:
        searcher = Searcher(
            snapshot,
            make_retrievers(snapshot, self._encoder),
            fusion=self.config.fusion_config,
            candidates=self.config.candidates,
            duplicate_threshold=self.config.duplicate_threshold,
        )
        return _State(snapshot, searcher, make_answerer(self.config, snapshot, self._generator))

    def warm_up(self, progress: Progress | None = None) -> None:
        """Load the language model now, if one is configured, rather than on the first
        question (converting a GGUF file's tokenizer the first time reports through
        ``progress``).

        Raises:
            ModelUnavailableError: when the model cannot be loaded; the message says what
                to install or configure.
        """
        answerer = self._state.answerer
        if isinstance(answerer, StreamingAnswerer):
            answerer.warm_up(progress)

    # -- queries ----------------------------------------------------------------------

    @property
    def documents(self) -> tuple[Document, ...]:
        """The indexed documents."""
        return self._state.snapshot.documents

    @property
    def snapshot(self) -> IndexSnapshot:
        """The current index snapshot."""
        return self._state.snapshot

    @property
    def dense_enabled(self) -> bool:
        """Whether dense retrieval takes part in searches."""
        return "dense" in self._state.searcher.retriever_names

    @property
    def abstain_threshold(self) -> float | None:
        """The confidence below which the answerer abstains (None where it has none)."""
        threshold = getattr(self._state.answerer, "abstain_threshold", None)
        return float(threshold) if threshold is not None else None

    @property
    def warnings(self) -> tuple[str, ...]:
        """Notes for the user, such as why dense retrieval is off."""
        return self._warnings

    def get_document(self, doc_id: str) -> Document | None:
        """The document with this id, or None."""
        return self._state.snapshot.doc_by_id.get(doc_id)

    def search(
        self, query: str, *, k: int | None = None, filters: SearchFilters | None = None
    ) -> tuple[Passage, ...]:
        """The best passages for ``query``, without an answer.

        Raises:
            InvalidQuestionError: for an empty or overlong query.
        """
        query = self._check(query)
        return self._state.searcher.search(query, k or self.config.top_k, filters)

    def ask(
        self,
        question: str,
        *,
        top_k: int | None = None,
        filters: SearchFilters | None = None,
        history: Sequence[Turn | str] = (),
    ) -> Answer:
        """Answer ``question`` from the corpus, with citations, or abstain.

        Args:
            question: the question, in simplified or traditional script.
            top_k: passages to retrieve (default from the configuration).
            filters: optional restriction to some documents.
            history: earlier turns of a conversation, oldest first (``(question, answer)``
                pairs or the questions alone); a follow-up such as 它的首批成员有多少家?
                is rewritten into a self-contained question before retrieval: by the
                language model when one is configured, else (or when its rewrite is
                unusable) by the rules of :mod:`qa.conversation`.

        Raises:
            InvalidQuestionError: for an empty or overlong question.
        """
        prepared = self._prepare(question, top_k, filters, history)
        draft = prepared.state.answerer.answer(prepared.question, prepared.passages)
        return prepared.finish(draft)

    def ask_stream(
        self,
        question: str,
        *,
        top_k: int | None = None,
        filters: SearchFilters | None = None,
        history: Sequence[Turn | str] = (),
    ) -> Iterator[AnswerDelta | Answer]:
        """Answer ``question`` as a stream: verified pieces of text, then the answer.

        With a language model, each :class:`~qa.types.AnswerDelta` is a sentence that
        citation verification kept, given out as soon as it is verified; no unverified
        text is ever given out. The last event is the :class:`~qa.types.Answer`, the same
        (text and citations) as :meth:`ask` gives; its text is the deltas joined. The
        extractive reader gives its answer as one delta.

        The question is checked before this returns; retrieval and answering run as the
        iterator is consumed.

        Args:
            question: as for :meth:`ask`.
            top_k: as for :meth:`ask`.
            filters: as for :meth:`ask`.
            history: as for :meth:`ask`.

        Raises:
            InvalidQuestionError: for an empty or overlong question.
        """
        self._check(question)
        return self._stream(question, top_k, filters, history)

    def _stream(
        self,
        question: str,
        top_k: int | None,
        filters: SearchFilters | None,
        history: Sequence[Turn | str],
    ) -> Iterator[AnswerDelta | Answer]:
        prepared = self._prepare(question, top_k, filters, history)
        answerer = prepared.state.answerer
        if not isinstance(answerer, StreamingAnswerer):
            draft = answerer.answer(prepared.question, prepared.passages)
            if draft.text:
                yield AnswerDelta(draft.text)
            yield prepared.finish(draft)
            return
        for event in answerer.stream(prepared.question, prepared.passages):
            if isinstance(event, Draft):
                yield prepared.finish(event)
                return
            yield event

    def _prepare(
        self,
        question: str,
        top_k: int | None,
        filters: SearchFilters | None,
        history: Sequence[Turn | str],
    ) -> _Prepared:
        """Check the question, resolve a follow-up, and retrieve its passages."""
        text = self._check(question)
        state = self._state  # one consistent snapshot for the whole question
        t0 = time.perf_counter()
        rewriter = state.answerer if isinstance(state.answerer, FollowUpRewriter) else None
        q = _question(text, history, rewriter)
        t1 = time.perf_counter()
        passages = state.searcher.search(q.query, top_k or self.config.top_k, filters)
        return _Prepared(state, q, passages, t0, t1, time.perf_counter())

    def _check(self, question: str) -> str:
        return validate_question(question, self.config.max_question_chars)


def validate_question(question: str, max_chars: int) -> str:
    """The question stripped of surrounding whitespace.

    Raises:
        InvalidQuestionError: when it is not a string, empty or blank, or longer than
            ``max_chars`` characters.
    """
    if not isinstance(question, str):
        raise InvalidQuestionError("the question must be a string")
    question = question.strip()
    if not question:
        raise InvalidQuestionError(
            "the question is empty: ask something, e.g. "
            "长三角国资百企联盟创新子联盟由哪些企业牵头组建?"
        )
    if len(question) > max_chars:
        raise InvalidQuestionError(
            f"the question is {len(question):,} characters long; the limit is "
            f"{max_chars:,}: ask a shorter question"
        )
    return question


# -- helpers ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _State:
    """What one question reads: an index snapshot and the components built on it."""

    snapshot: IndexSnapshot
    searcher: Searcher
    answerer: Answerer


@dataclass(frozen=True, slots=True)
class _Prepared:
    """A question ready to be answered: resolved, with its passages and times so far."""

    state: _State
    question: Question
    passages: tuple[Passage, ...]
    t0: float
    t_resolved: float
    t_retrieved: float

    def finish(self, draft: Draft) -> Answer:
        """The :class:`~qa.types.Answer` of ``draft``, with timings."""
        t_end = time.perf_counter()
        timings = {
            "retrieve_ms": round((self.t_retrieved - self.t_resolved) * 1000, 3),
            "answer_ms": round((t_end - self.t_retrieved) * 1000, 3),
            "total_ms": round((t_end - self.t0) * 1000, 3),
        }
        if self.question.history:
            timings = {"resolve_ms": round((self.t_resolved - self.t0) * 1000, 3), **timings}
        return Answer(
            question=self.question.text,
            text=draft.text,
            citations=draft.citations,
            passages=self.passages,
            abstained=draft.abstained,
            confidence=round(draft.confidence, 4),
            timings=FloatMap.of(timings),
            short_answer=draft.short_answer,
            generator=draft.generator,
            dropped=draft.dropped,
            fallback=draft.fallback,
            query=self.question.query,
        )


def _question(
    text: str, history: Sequence[Turn | str], rewriter: FollowUpRewriter | None = None
) -> Question:
    """The question with its follow-up resolution against ``history``.

    A language model (``rewriter``) rewrites the follow-up when one is configured; the
    rules of :mod:`qa.conversation` resolve it otherwise, or when the model's rewrite is
    unusable, and always give the focus.
    """
    turns = tuple((t, "") if isinstance(t, str) else (t[0], t[1]) for t in history)
    if not turns:
        return Question(text)
    resolved = analyze_follow_up(text, history)
    rewritten = rewriter.rewrite_follow_up(text, turns) if rewriter is not None else None
    query = rewritten or resolved.query
    focus = resolved.focus if resolved.is_follow_up else text
    return Question(text, query=query, focus=focus, history=turns)


def _duplicate_index(documents: Sequence[Document], config: AssistantConfig) -> DuplicateIndex:
    return DuplicateIndex(documents, threshold=config.duplicate_threshold)


def _settings(config: AssistantConfig, encoder: Encoder | None) -> IndexSettings:
    return IndexSettings(
        chunking=config.chunking,
        tokenizer=config.tokenizer,
        model=config.model if encoder is not None else "",
        dimension=encoder.dimension if encoder is not None else 0,
    )


def _mismatch_message(directory: str | Path, reason: str) -> str:
    return (
        f"the index at {directory} does not match the current settings: {reason}. "
        f"Re-ingest to rebuild it: qa ingest PATH... --index {directory} --rebuild"
    )


def _empty_message(paths: Iterable[str | Path], skipped: Sequence[SkippedFile]) -> str:
    names = ", ".join(str(p) for p in paths)
    msg = f"no article could be loaded from {names or 'the given paths'}"
    if skipped:
        msg += f" ({len(skipped)} file(s) skipped: " + "; ".join(
            f"{s.path}: {s.reason}" for s in skipped[:5]
        )
        msg += ")"
    return msg + ". Give files or folders of .txt, .md, .html or .jsonl articles."
