"""The :class:`Assistant` facade: the question path over the snapshots an index writer
publishes (build or load an index, then search and ask)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from corpus.errors import EmptyCorpusError
from corpus.formats import FORMATS
from corpus.progress import Progress
from corpus.types import Document
from embeddings.encoder import Encoder
from embeddings.store import IndexSnapshot, MergePolicy, PreparedDocument
from qa.answering import (
    Answerer,
    ExtractiveAnswerer,
    FollowUpRewriter,
    StreamingAnswerer,
    make_answerer,
    make_generator,
)
from qa.config import AssistantConfig
from qa.conversation import Turn, analyze_follow_up
from qa.errors import InvalidQuestionError
from qa.retrieval import Retriever, Searcher, make_retrievers
from qa.types import Answer, AnswerDelta, Draft, FloatMap, Passage, Question, SearchFilters
from qa.updates import IngestSummary
from qa.writing import DEFAULT_LOCK_TIMEOUT, IndexWriter

if TYPE_CHECKING:
    from corpus.loaders import SkippedFile

__all__ = [
    "AnswererFactory",
    "Assistant",
    "IngestSummary",
    "RetrieverFactory",
    "validate_question",
]

RetrieverFactory = Callable[[IndexSnapshot, Encoder | None], list[Retriever]]
"""Makes the retrievers of a snapshot, given the query encoder (None: lexical only)."""

AnswererFactory = Callable[[IndexSnapshot], Answerer]
"""Makes the answerer of a snapshot (the default: the configured backend,
:func:`qa.answering.make_answerer`)."""


class Assistant:
    """Question answering over an indexed corpus of news articles.

    Build one with :meth:`from_paths`, :meth:`from_documents` or :meth:`load`; then
    :meth:`ask` (or :meth:`ask_stream`) and :meth:`search`. With a language model
    configured (``generator="transformers"`` or ``"openai"``), it loads on
    :meth:`warm_up` or on the first question. Questions read the immutable index
    snapshot its :class:`~qa.writing.IndexWriter` (:attr:`writer`) published last, and
    the searcher and answerer made for it, so concurrent questions always see a complete
    index. Updates (:meth:`add_documents`, :meth:`remove_documents`, :meth:`save`, ...)
    are the writer's: each adds a segment and tombstones beside it, costs the documents
    it changes, not the corpus, and is served once the writer publishes it.

    **Writes to disk.** An assistant loaded from an index directory (:meth:`load`) or
    saved to one (:meth:`save`) is bound to it (:attr:`directory`): each update takes the
    index's write lock (one writer across processes, :mod:`qa.writing.lock`), re-opens
    the newest generation (another process may have written it), applies the change,
    commits it to disk, and only then serves it. When the commit fails, the assistant
    serves what it served before and the error says so; the same update tried again is
    applied again. An assistant built in memory keeps its updates in memory until
    :meth:`save` (or an update given ``commit_to``).

    Args:
        snapshot: the index.
        config: the configuration the index was built with.
        encoder: the dense query encoder, or None for lexical retrieval alone.
        warnings: notes for the user (such as why dense retrieval is off).
        merge_policy: when segments are merged (default :class:`MergePolicy`).
        lock_timeout: seconds a write waits for another writer of its index directory.
        retrievers: makes the retrievers of each snapshot served, as
            ``retrievers(snapshot, encoder)`` (default
            :func:`qa.retrieval.make_retrievers`; :class:`qa.distributed.ShardedRetrievers`
            searches on Ray shard actors).
    """

    def __init__(
        self,
        snapshot: IndexSnapshot,
        config: AssistantConfig | None = None,
        *,
        encoder: Encoder | None = None,
        warnings: Sequence[str] = (),
        merge_policy: MergePolicy | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        retrievers: RetrieverFactory | None = None,
    ) -> None:
        writer = IndexWriter(
            snapshot,
            config,
            encoder=encoder,
            warnings=warnings,
            merge_policy=merge_policy,
            lock_timeout=lock_timeout,
        )
        self._serve(writer, retrievers)

    def _serve(self, writer: IndexWriter, retrievers: RetrieverFactory | None) -> None:
        self._writer = writer
        self._retrievers: RetrieverFactory = retrievers or make_retrievers
        self._answerers: AnswererFactory | None = None
        # One language model for the assistant's life (index updates keep it).
        self._generator = make_generator(writer.config)
        self._state = self._make_state(writer.snapshot)
        writer.subscribe(self._published)

    # -- construction -----------------------------------------------------------------

    @classmethod
    def from_writer(
        cls, writer: IndexWriter, *, retrievers: RetrieverFactory | None = None
    ) -> Assistant:
        """The assistant over the snapshots ``writer`` publishes (its configuration,
        encoder and warnings), from the one it published last.

        Args:
            writer: the index's writer.
            retrievers: as for the class.
        """
        assistant = cls.__new__(cls)
        assistant._serve(writer, retrievers)
        return assistant

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
        return cls.from_writer(IndexWriter.build(documents, config, progress=progress))

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
        # Imported here: the loaders (HTML extraction, encodings) cost a cold `qa ask`,
        # which reads no article, about 0.1 s.
        from corpus.loaders import load_documents

        result = load_documents(paths, progress=progress)
        if not result.documents:
            raise EmptyCorpusError(_empty_message(paths, result.skipped))
        return cls.from_documents(result.documents, config, progress=progress)

    @classmethod
    def load(
        cls,
        directory: str | Path,
        config: AssistantConfig | None = None,
        *,
        commit: bool = True,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> Assistant:
        """Open an index written by :meth:`save` or ``qa ingest``.

        An interrupted write is recovered first
        (:func:`embeddings.store.recovery.recover_index`): the newest complete generation
        is restored when the name holds none, and leftovers are removed.

        The index's files are memory-mapped and its documents read on demand, so opening
        costs about the same at any size. An index with dense vectors loads
        ``config.model`` (it must be the model the vectors were made with) and serves
        BM25 alone, with one warning, when the model cannot be loaded. A lexical-only
        index (built with ``model=""`` or while the model could not be loaded) serves
        BM25 without touching the model at all; to give it vectors, build it again with
        the model.

        Args:
            directory: the index directory.
            config: the configuration (default :class:`AssistantConfig`).
            commit: bind the assistant to ``directory``: each update is committed there
                before it is served (see the class). False keeps updates in memory
                until :meth:`save`.
            lock_timeout: seconds a write waits for another writer of ``directory``.

        Raises:
            IndexNotFoundError: when there is no index at ``directory``.
            IndexCorruptError: when the index cannot be read.
            IndexMismatchError: when it was built with other settings than ``config``.
            IndexWriteError: when an interrupted write cannot be recovered.
        """
        writer = IndexWriter.open(directory, config, commit=commit, lock_timeout=lock_timeout)
        return cls.from_writer(writer)

    def _published(self, snapshot: IndexSnapshot) -> None:
        """Serve ``snapshot``, which the writer publishes (one attribute assignment:
        questions see the old state or the new one, never a mix)."""
        self._state = self._make_state(snapshot)

    def _answerer(self, snapshot: IndexSnapshot) -> Answerer:
        factory = self._answerers
        if factory is not None:
            return factory(snapshot)
        return make_answerer(self.config, snapshot, self._generator)

    def _make_state(self, snapshot: IndexSnapshot) -> _State:
        config = self.config
        # The generation's own cache: the one before goes with its snapshot.
        snapshot.bm25.limit_cache(config.score_cache_mb << 20)
        searcher = Searcher(
            snapshot,
            self._retrievers(snapshot, self._writer.encoder),
            fusion=config.fusion_config,
            candidates=config.candidates,
            duplicate_threshold=config.duplicate_threshold,
        )
        return _State(snapshot, searcher, self._answerer(snapshot))

    def use_answerers(self, answerers: AnswererFactory | None) -> None:
        """Answer the current snapshot, and every later one, with the answerer that
        ``answerers(snapshot)`` makes (None: the configured backend again): the seam for
        other answerers and for tests' fakes.

        Raises:
            Whatever ``answerers`` raises (the assistant then answers as before).
        """
        self._reserve("_answerers", answerers)

    def use_retrievers(self, retrievers: RetrieverFactory) -> None:
        """Serve the current snapshot, and every later one, with the retrievers that
        ``retrievers(snapshot, encoder)`` makes (see the class's ``retrievers``).

        Raises:
            Whatever ``retrievers`` raises (the assistant then serves as before).
        """
        self._reserve("_retrievers", retrievers)

    @property
    def retrievers(self) -> RetrieverFactory:
        """What makes the retrievers of each snapshot served (see :meth:`use_retrievers`):
        :func:`qa.retrieval.make_retrievers`, or a :class:`qa.distributed.ShardedRetrievers`
        (the service asks it for its health)."""
        return self._retrievers

    def _reserve(self, factory: str, value: object) -> None:
        """Set one of the factories and serve the current snapshot with it; on failure
        put the old one back and go on serving as before."""
        with self._writer.locked():  # no snapshot is published meanwhile
            previous = getattr(self, factory)
            setattr(self, factory, value)
            try:
                self._state = self._make_state(self._state.snapshot)
            except BaseException:
                setattr(self, factory, previous)
                raise

    # -- writes: the writer's ----------------------------------------------------------

    @property
    def writer(self) -> IndexWriter:
        """The index's writer, whose snapshots this assistant serves."""
        return self._writer

    @property
    def config(self) -> AssistantConfig:
        """The configuration the index was built with."""
        return self._writer.config

    @property
    def directory(self) -> Path | None:
        """The index directory updates are committed to before they are served (set by
        :meth:`load` and :meth:`save`), or None when they stay in memory."""
        return self._writer.directory

    @property
    def lock_timeout(self) -> float:
        """Seconds a write waits for another writer of its index directory."""
        return self._writer.lock_timeout

    @lock_timeout.setter
    def lock_timeout(self, seconds: float) -> None:
        self._writer.lock_timeout = seconds

    @property
    def merge_policy(self) -> MergePolicy:
        """When segments are merged."""
        return self._writer.merge_policy

    @merge_policy.setter
    def merge_policy(self, policy: MergePolicy) -> None:
        self._writer.merge_policy = policy

    def save(self, directory: str | Path) -> None:
        """Write the index to ``directory`` and bind the assistant to it (later updates
        are committed there before they are served); see :meth:`IndexWriter.save`.

        Raises:
            IndexWriteError: when the files cannot be written (the index on disk is
                unchanged, and so is the assistant).
            IndexBusyError: when another writer holds the index for ``lock_timeout`` s.
        """
        self._writer.save(directory)

    def add_documents(
        self,
        documents: Iterable[Document] | Iterable[PreparedDocument],
        *,
        progress: Progress | None = None,
        commit_to: str | Path | None = None,
    ) -> IngestSummary:
        """Add new documents and replace changed ones (matched by id); unchanged ones
        cost nothing, copies of an indexed story are merged into it
        (:meth:`IndexWriter.add` says how).

        Args:
            documents: the documents, or documents prepared by
                :func:`embeddings.store.prepare_document` with the index's settings.
            progress: the progress hook.
            commit_to: the index directory to commit the update to before it is served
                (default: :attr:`directory`; None there: in memory). The assistant is
                bound to it afterwards.

        Raises:
            EmptyCorpusError: when the update would leave the index empty.
            IndexWriteError: when the update cannot be committed (the index on disk and
                the documents served are as they were; trying again applies it).
            IndexBusyError: when another writer holds the index for ``lock_timeout`` s.
        """
        return self._writer.add(documents, progress=progress, commit_to=commit_to)

    def remove_documents(
        self, doc_ids: Iterable[str], *, commit_to: str | Path | None = None
    ) -> int:
        """Remove documents by id (marked deleted in their segments); returns how many
        were removed.

        Args:
            doc_ids: the ids; unknown ones are ignored.
            commit_to: as for :meth:`add_documents`.

        Raises:
            EmptyCorpusError: when the removal would leave the index empty.
            IndexWriteError: when the removal cannot be committed (nothing is removed).
            IndexBusyError: when another writer holds the index for ``lock_timeout`` s.
        """
        return self._writer.remove(doc_ids, commit_to=commit_to)

    def commit(self, snapshot: IndexSnapshot) -> None:
        """Commit ``snapshot``, made from the one served, to the bound index directory
        and serve it (:meth:`IndexWriter.commit`, which says what it raises)."""
        self._writer.commit(snapshot)

    def refresh(self, directory: str | Path | None = None) -> bool:
        """Re-open the index as of its current manifest (another process may have
        written it): only segments not opened yet are opened.

        Args:
            directory: the index directory (default: the one it was loaded from or last
                saved to).

        Returns:
            Whether the assistant now reads another generation or directory.

        Raises:
            ValueError: for an in-memory index and no ``directory``.
            IndexNotFoundError, IndexCorruptError, IndexMismatchError: as :meth:`load`.
        """
        return self._writer.refresh(directory)

    def optimize(self, directory: str | Path | None = None) -> int:
        """Merge every segment into one, dropping deleted documents for good (what
        ``qa index optimize`` runs); with ``directory``, the result is saved there (and
        the assistant bound to it), else committed to the directory it is bound to or
        was loaded from, under the index's write lock.

        Returns:
            The number of segments merged.

        Raises:
            IndexWriteError: when the files cannot be written.
            IndexBusyError: when another writer holds the index for ``lock_timeout`` s.
        """
        return self._writer.optimize(directory)[0]

    def warm_up(self, progress: Progress | None = None) -> None:
        """Load the answerer's models now rather than on the first question: the
        extractive reader's (its trees and jieba's tagger, tens of milliseconds) and the language
        model, if one is configured (converting a GGUF file's tokenizer the first time
        reports through ``progress``).

        Raises:
            ModelUnavailableError: when the model cannot be loaded; the message says what
                to install or configure.
        """
        answerer = self._state.answerer
        if isinstance(answerer, (StreamingAnswerer, ExtractiveAnswerer)):
            answerer.warm_up(progress)

    # -- queries ----------------------------------------------------------------------

    @property
    def documents(self) -> Sequence[Document]:
        """The indexed documents (read from the index on demand)."""
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
    def encoder(self) -> Encoder | None:
        """The dense query encoder (the index's model), or None for lexical retrieval."""
        return self._writer.encoder

    @property
    def warnings(self) -> tuple[str, ...]:
        """Notes for the user, such as why dense retrieval is off."""
        return self._writer.warnings

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
            generation=draft.generation,
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


def _empty_message(paths: Iterable[str | Path], skipped: Sequence[SkippedFile]) -> str:
    names = ", ".join(str(p) for p in paths)
    msg = f"no article could be loaded from {names or 'the given paths'}"
    if skipped:
        msg += f" ({len(skipped)} file(s) skipped: " + "; ".join(
            f"{s.path}: {s.reason}" for s in skipped[:5]
        )
        msg += ")"
    return msg + f". Give files or folders of articles: {FORMATS.suffix_list()}."
