"""The :class:`Assistant` facade: build or load an index, then search and ask."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from corpus.dedupe import DuplicateIndex, Fingerprint, fingerprint
from corpus.errors import EmptyCorpusError
from corpus.progress import Progress
from corpus.types import Chunk, Document
from embeddings.encoder import Encoder
from embeddings.errors import (
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
    ModelUnavailableError,
)
from embeddings.store import (
    IndexSettings,
    IndexSnapshot,
    MergePolicy,
    PreparedDocument,
    SegmentState,
    build_segment,
    check_encoder,
    commit_snapshot,
    embed_texts,
    merge_segments,
    now,
    open_snapshot,
    prepare_document,
    save_snapshot,
    settings_compatible,
)
from embeddings.store.files import SEGMENTS, read_manifest
from embeddings.store.lock import DEFAULT_LOCK_TIMEOUT, index_lock
from embeddings.store.recovery import recover_index
from embeddings.store.space import segment_bytes, write_errors
from embeddings.tokenize import Tokenizer, get_tokenizer
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
from qa.encoders import COVERAGE_SAMPLE, add_vectors_hint, resolve_encoder
from qa.errors import InvalidQuestionError
from qa.retrieval import Retriever, Searcher, make_retrievers
from qa.types import Answer, AnswerDelta, Draft, FloatMap, Passage, Question, SearchFilters
from qa.updates import (
    Changes,
    IndexDuplicates,
    IngestSummary,
    MemoryLookup,
    SnapshotLookup,
    latest_by_id,
    plan_changes,
)

if TYPE_CHECKING:
    from corpus.loaders import SkippedFile

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = [
    "Assistant",
    "IngestSummary",
    "RetrieverFactory",
    "SegmentRows",
    "settings_for",
    "validate_question",
]

RetrieverFactory = Callable[[IndexSnapshot, Encoder | None], list[Retriever]]
"""Makes the retrievers of a snapshot, given the query encoder (None: lexical only)."""



def _segments_bytes(states: Sequence[SegmentState]) -> int:
    """About how many bytes the segments of ``states`` take on disk."""
    return sum(segment_bytes(st.segment) for st in states)

class Assistant:
    """Question answering over an indexed corpus of news articles.

    Build one with :meth:`from_paths`, :meth:`from_documents` or :meth:`load`; then
    :meth:`ask` (or :meth:`ask_stream`) and :meth:`search`. With a language model
    configured (``generator="transformers"`` or ``"openai"``), it loads on
    :meth:`warm_up` or on the first question. Reads work on an immutable index snapshot;
    updates (:meth:`add_documents`, :meth:`remove_documents`) add a segment and tombstones
    beside it and swap the new snapshot in, so concurrent questions always see a
    complete index, and an update costs the documents it changes, not the corpus.

    **Writes to disk.** An assistant loaded from an index directory (:meth:`load`) or
    saved to one (:meth:`save`) is bound to it (:attr:`directory`): each update takes the
    index's write lock (:func:`embeddings.store.lock.index_lock`, one writer across
    processes), re-opens the newest generation (another process may have written it),
    applies the change, commits it to disk, and only then serves it. When the commit
    fails, the assistant serves what it served before and the error says so; the same
    update tried again is applied again. An assistant built in memory keeps its updates
    in memory until :meth:`save` (or an update given ``commit_to``).

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
        self.config = config or AssistantConfig()
        self._retrievers: RetrieverFactory = retrievers or make_retrievers
        self.lock_timeout = lock_timeout
        self._directory: Path | None = None
        self._encoder = encoder
        self._warnings = tuple(warnings)
        self._write_lock = threading.Lock()
        # One language model for the assistant's life (index updates keep it).
        self._generator = make_generator(self.config)
        self.merge_policy = merge_policy or MergePolicy()
        self._state = self._make_state(snapshot)

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
        docs = latest_by_id(documents)
        tokenizer = get_tokenizer(config.tokenizer)
        prints = {d.id: fingerprint(d.body) for d in docs} if config.duplicate_threshold else {}
        duplicates = (
            DuplicateIndex(threshold=config.duplicate_threshold)
            if config.duplicate_threshold
            else None
        )
        changes = plan_changes(MemoryLookup(), docs, duplicates=duplicates, fingerprints=prints)
        prepared = _prepare(changes.upserts, config, tokenizer, prints, progress)
        if not prepared or not any(p.size for p in prepared):
            raise EmptyCorpusError(
                "no article with text to index: give files or folders of .txt, .md, .html "
                "or .jsonl articles"
            )
        sample = [c.text for p in prepared[:COVERAGE_SAMPLE] for c in p.chunks]
        encoder, warnings = resolve_encoder(config, sample[:COVERAGE_SAMPLE], building=True)
        settings = check_encoder(settings_for(config, encoder), encoder)
        vectors = None
        if encoder is not None:
            texts = [c.text for p in prepared for c in p.chunks]
            vectors = embed_texts(texts, encoder, progress=progress)
        segment = build_segment(prepared, vectors=vectors, dense_kind=config.dense_index)
        snapshot = IndexSnapshot(
            settings, [SegmentState(segment)], created_at=now(), tokenizer=tokenizer
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
        config = config or AssistantConfig()
        recover_index(directory, timeout=lock_timeout)
        snapshot = open_snapshot(directory)
        reason = settings_compatible(
            snapshot.settings, settings_for(config, None), check_model=False
        )
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
        assistant = cls(snapshot, config, encoder=encoder, warnings=warnings)
        assistant.lock_timeout = lock_timeout
        if commit:
            assistant._directory = Path(directory)
        return assistant

    @property
    def directory(self) -> Path | None:
        """The index directory updates are committed to before they are served (set by
        :meth:`load` and :meth:`save`), or None when they stay in memory."""
        return self._directory

    def save(self, directory: str | Path) -> None:
        """Write the index to ``directory`` and bind the assistant to it (later updates
        are committed there before they are served).

        Under the index's write lock. To the directory it is bound to, the newest
        generation there (another process may have written it) is kept and merged by the
        merge policy. To the directory it was loaded from, only what changed is written:
        new segments, tombstones, and the manifest, replaced atomically. Over another
        index, the snapshot's segments are written into it and a new manifest naming only
        them is committed; where there is none, the whole index is written beside the
        name and renamed into place. There is never a moment without a complete index
        under the name; segments are then merged where the merge policy says so. (An
        assistant loaded with ``commit=False`` saves what it serves: commits other
        writers made since it was loaded are replaced.)

        Raises:
            IndexWriteError: when the files cannot be written (the index on disk is
                unchanged, and so is the assistant).
            IndexBusyError: when another writer holds the index for ``lock_timeout`` s.
        """
        target = Path(directory)
        with self._write_lock, index_lock(target, self.lock_timeout):
            snapshot = self._state.snapshot
            if self._directory is not None and _same_dir(self._directory, target):
                snapshot = self._latest(target)
            self._publish(self._commit(snapshot, target), target)

    @contextmanager
    def _writing(self, commit_to: str | Path | None) -> Iterator[Path | None]:
        """Hold the write lock of this assistant and, where updates go to disk, of the
        index directory they are committed to (yielded; None: in memory)."""
        target = Path(commit_to) if commit_to is not None else self._directory
        with self._write_lock:
            if target is None:
                yield None
                return
            with index_lock(target, self.lock_timeout):
                yield target

    def _latest(self, target: Path | None) -> IndexSnapshot:
        """The snapshot to apply an update to: the newest generation at ``target`` when
        this assistant reads that index and another process committed since (it is
        served from now on), else the current one."""
        snapshot = self._state.snapshot
        if (
            target is None
            or snapshot.directory is None
            or not _same_dir(snapshot.directory, target)
        ):
            return snapshot
        try:
            generation = int(read_manifest(target)["generation"])
        except IndexNotFoundError:
            return snapshot  # gone: the commit writes the whole index again
        if generation == snapshot.generation:
            return snapshot
        fresh = open_snapshot(target, previous=snapshot, tokenizer=snapshot.bm25.tokenizer)
        reason = settings_compatible(fresh.settings, snapshot.settings)
        if reason:
            raise IndexMismatchError(_mismatch_message(target, reason))
        self._state = self._make_state(fresh)
        return fresh

    def _commit(self, snapshot: IndexSnapshot, target: Path | None) -> IndexSnapshot:
        """``snapshot`` committed to ``target`` (None: kept in memory), its segments
        merged by the merge policy.

        A merge that fails after the commit is logged: the update is on disk and served
        unmerged; the next write merges.
        """
        if target is None:
            if snapshot.directory is None:
                snapshot = self._merge(snapshot, self._policy(snapshot).plan(snapshot.states))
            return snapshot
        saved = save_snapshot(snapshot, target)
        try:
            return self._merge(saved, self._policy(saved).plan(saved.states))
        except IndexWriteError as err:
            logger.warning("segments of %s not merged (the update is committed): %s", target, err)
            return saved

    def _policy(self, snapshot: IndexSnapshot) -> MergePolicy:
        """The merge policy, kept to the index's recorded maximum segment size."""
        limit = snapshot.max_segment_rows
        policy = self.merge_policy
        if limit is None or (policy.max_rows is not None and policy.max_rows <= limit):
            return policy
        return replace(policy, max_rows=limit)

    def _publish(self, snapshot: IndexSnapshot, target: Path | None) -> None:
        """Serve ``snapshot`` (one attribute assignment: readers see the old or the new
        state, never a mix), bound to ``target`` where it was committed there."""
        self._state = self._make_state(snapshot)
        if target is not None:
            self._directory = target

    def refresh(self, directory: str | Path | None = None) -> bool:
        """Re-open the index as of its current manifest (another process may have
        written it): only segments this assistant has not opened yet are opened.

        Args:
            directory: the index directory (default: the one it was loaded from or last
                saved to).

        Returns:
            Whether the assistant now reads another generation or directory.

        Raises:
            ValueError: for an in-memory index and no ``directory``.
            IndexNotFoundError, IndexCorruptError, IndexMismatchError: as :meth:`load`.
        """
        with self._write_lock:
            snapshot = self._state.snapshot
            root = Path(directory) if directory is not None else snapshot.directory
            if root is None:
                raise ValueError("this index is in memory: give the directory to open")
            fresh = open_snapshot(root, previous=snapshot, tokenizer=snapshot.bm25.tokenizer)
            if (
                snapshot.directory is not None
                and snapshot.directory.resolve() == root.resolve()
                and fresh.generation == snapshot.generation
            ):
                return False
            reason = settings_compatible(fresh.settings, snapshot.settings)
            if reason:
                raise IndexMismatchError(_mismatch_message(root, reason))
            self._state = self._make_state(fresh)
            if self._directory is not None:
                self._directory = root
            return True

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
        target = directory if directory is not None else self._directory
        if target is None:
            target = self._state.snapshot.directory
        with self._writing(target) as root:
            snapshot = self._latest(root)
            if root is not None and not (
                snapshot.directory is not None and _same_dir(snapshot.directory, root)
            ):
                snapshot = save_snapshot(snapshot, root)
            count = len(snapshot.states)
            if count > 1 or snapshot.deleted_documents:
                # One segment: a recorded maximum segment size no longer holds.
                snapshot = self._merge(snapshot.with_max_segment_rows(None), [(0, count)])
            self._state = self._make_state(snapshot)
            if directory is not None:
                self._directory = root
            return count

    def _merge(self, snapshot: IndexSnapshot, plans: Sequence[tuple[int, int]]) -> IndexSnapshot:
        """``snapshot`` with the planned ranges of segments merged (and committed when
        it lives in a directory)."""
        if not plans:
            return snapshot
        root = snapshot.directory
        parent = None if root is None else root / SEGMENTS
        states = list(snapshot.states)
        for start, end in reversed(plans):
            run = states[start:end]
            with write_errors(
                f"cannot merge segments in {root}",
                where=root or ".",
                outcome="the segments stay as they were",
                needed=functools.partial(_segments_bytes, run),
            ):
                merged = merge_segments(run, parent=parent, dense_kind=self.config.dense_index)
            states[start:end] = [SegmentState(merged)]
        merged_snapshot = snapshot.with_states(states)
        if root is None:
            return merged_snapshot
        return commit_snapshot(merged_snapshot, root)

    # -- updates ----------------------------------------------------------------------

    def add_documents(
        self,
        documents: Iterable[Document] | Iterable[PreparedDocument],
        *,
        progress: Progress | None = None,
        commit_to: str | Path | None = None,
    ) -> IngestSummary:
        """Add new documents and replace changed ones (matched by id).

        Unchanged documents (same id and content hash) are left alone and cost nothing;
        the new and changed ones go to a new segment, their old versions are marked
        deleted, and only new chunk texts are embedded. A new document that copies an
        indexed story (or one of the batch) is recorded as that document's alternate
        instead of being indexed twice, or replaces it where it is the longer copy
        (:mod:`corpus.dedupe`); the summary lists these merges.

        Args:
            documents: the documents, or documents already prepared by
                :func:`embeddings.store.prepare_document` with the index's settings (what
                ``qa ingest`` does in worker processes).
            progress: the progress hook.
            commit_to: the index directory to commit the update to before it is served
                (default: :attr:`directory`, the one the assistant is bound to; None
                there: in memory). The assistant is bound to it afterwards.

        Raises:
            EmptyCorpusError: when the update would leave the index empty.
            IndexWriteError: when the update cannot be committed (the index on disk and
                the documents served are as they were; trying again applies it).
            IndexBusyError: when another writer holds the index for ``lock_timeout`` s.
        """
        items: list[Document | PreparedDocument] = list(documents)
        prepared = {p.document.id: p for p in items if isinstance(p, PreparedDocument)}
        docs = [p.document if isinstance(p, PreparedDocument) else p for p in items]
        with self._writing(commit_to) as target:
            snapshot = self._latest(target)
            prints = {i: p.fingerprint for i, p in prepared.items() if p.fingerprint is not None}
            duplicates = (
                IndexDuplicates(snapshot, self.config.duplicate_threshold)
                if self.config.duplicate_threshold
                else None
            )
            if duplicates is not None and prints:
                duplicates.prefetch(prints)
            changes = plan_changes(
                SnapshotLookup(snapshot), docs, duplicates=duplicates, fingerprints=prints
            )
            if changes.summary.changed:
                new = self._apply(snapshot, changes, prepared, progress)
                self._publish(self._commit(new, target), target)
            return changes.summary

    def _apply(
        self,
        snapshot: IndexSnapshot,
        changes: Changes,
        prepared: Mapping[str, PreparedDocument],
        progress: Progress | None,
    ) -> IndexSnapshot:
        """``snapshot`` with the planned changes (not yet committed or served)."""
        ready, vectors = self._segment_input(
            snapshot, changes, prepared, _locator(snapshot), progress
        )
        new = snapshot.without(changes.removals)
        if ready:
            new = new.with_segment(
                build_segment(ready, vectors=vectors, dense_kind=self.config.dense_index)
            )
        if new.document_count == 0:
            raise EmptyCorpusError("this change would leave the index empty")
        return new

    def plan_segment(
        self,
        changes: Changes,
        prepared: Mapping[str, PreparedDocument],
        locate: Callable[[str], tuple[SegmentRows, int] | None],
        *,
        progress: Progress | None = None,
    ) -> tuple[list[PreparedDocument], npt.NDArray[np.float32] | None]:
        """The documents of the segment that ``changes`` writes, in order, prepared, and
        their chunks' vectors (None for a lexical index): what :meth:`add_documents`
        builds its new segment from, for a writer that builds the segment elsewhere
        (:class:`qa.staged.StagedIngest`).

        Args:
            changes: the planned changes (:func:`qa.updates.plan_changes`).
            prepared: the update's documents prepared with the index's settings, by id;
                the others (indexed documents given new alternates) are prepared here.
            locate: where the live document with an id is, as ``(segment, position)``
                (its vectors are reused for the chunks it shares with the new version).
            progress: the progress hook.

        Raises:
            ModelUnavailableError: when the index has vectors, a chunk needs one and the
                model is not loaded.
        """
        return self._segment_input(self._state.snapshot, changes, prepared, locate, progress)

    def _segment_input(
        self,
        snapshot: IndexSnapshot,
        changes: Changes,
        prepared: Mapping[str, PreparedDocument],
        locate: Callable[[str], tuple[SegmentRows, int] | None],
        progress: Progress | None,
    ) -> tuple[list[PreparedDocument], npt.NDArray[np.float32] | None]:
        tokenizer = snapshot.bm25.tokenizer
        ready: list[PreparedDocument] = []
        todo: list[Document] = []
        for doc in changes.upserts:
            known = prepared.get(doc.id)
            if known is not None and known.document.text == doc.text:
                ready.append(known.with_document(doc))
            else:
                todo.append(doc)
        made = {p.document.id: p for p in _prepare(todo, self.config, tokenizer, {}, progress)}
        for doc in todo:
            ready.append(made[doc.id])
        order = {d.id: i for i, d in enumerate(changes.upserts)}
        ready.sort(key=lambda p: order[p.document.id])
        vectors = None
        if snapshot.dense is not None and self._encoder is not None:
            reuse = _old_vectors(locate, changes.removals)
            _supplied_vectors(reuse, ready, self._encoder.dimension)
            texts = [c.text for p in ready for c in p.chunks]
            vectors = embed_texts(texts, self._encoder, reuse=reuse, progress=progress)
        elif snapshot.dense is not None:
            raise ModelUnavailableError(
                "this index has dense vectors but the model is not loaded: cannot embed new "
                f"documents; make {snapshot.settings.model!r} available and try again"
            )
        return ready, vectors

    def commit(self, snapshot: IndexSnapshot) -> None:
        """Commit ``snapshot`` to the index directory this assistant is bound to, merge
        its segments by the merge policy, and serve it: for a writer that made
        ``snapshot`` from this assistant's snapshot (new segments written into the
        index's ``segments/`` beforehand, :mod:`embeddings.store.staging`) and has held
        the index's write lock since it read it (:class:`qa.staged.StagedIngest`).

        Raises:
            ValueError: when the assistant is not bound to an index directory, or
                ``snapshot`` is not of its index.
            IndexWriteError: when another writer committed since this assistant's
                snapshot was read, or the files cannot be written (the index on disk and
                the documents served are as they were).
            IndexBusyError: when another writer holds the index for ``lock_timeout`` s.
        """
        with self._writing(None) as target:
            if target is None:
                raise ValueError("this assistant is in memory: save it to a directory first")
            current = self._state.snapshot
            if snapshot.directory is None or not _same_dir(snapshot.directory, target):
                raise ValueError(f"the snapshot is not of the index at {target}")
            generation = int(read_manifest(target)["generation"])
            if generation != current.generation or snapshot.generation != generation:
                raise IndexWriteError(
                    f"the index at {target} changed (generation {generation}) while this "
                    f"write was prepared on generation {snapshot.generation}; nothing was "
                    "committed: run it again"
                )
            self._publish(self._commit(snapshot, target), target)

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
        with self._writing(commit_to) as target:
            snapshot = self._latest(target)
            present = [d for d in dict.fromkeys(doc_ids) if d in snapshot.doc_by_id]
            if not present:
                return 0
            if len(present) >= snapshot.document_count:
                raise EmptyCorpusError("removing these documents would leave the index empty")
            self._publish(self._commit(snapshot.without(present), target), target)
            return len(present)

    def _make_state(self, snapshot: IndexSnapshot) -> _State:
        searcher = Searcher(
            snapshot,
            self._retrievers(snapshot, self._encoder),
            fusion=self.config.fusion_config,
            candidates=self.config.candidates,
            duplicate_threshold=self.config.duplicate_threshold,
        )
        return _State(snapshot, searcher, make_answerer(self.config, snapshot, self._generator))

    def use_retrievers(self, retrievers: RetrieverFactory) -> None:
        """Serve the current snapshot, and every later one, with the retrievers that
        ``retrievers(snapshot, encoder)`` makes (see the class's ``retrievers``).

        Raises:
            Whatever ``retrievers`` raises (the assistant then serves as before).
        """
        with self._write_lock:
            previous = self._retrievers
            self._retrievers = retrievers
            try:
                self._state = self._make_state(self._state.snapshot)
            except BaseException:
                self._retrievers = previous
                raise

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


def _prepare(
    documents: Sequence[Document],
    config: AssistantConfig,
    tokenizer: Tokenizer,
    prints: Mapping[str, Fingerprint],
    progress: Progress | None,
) -> list[PreparedDocument]:
    """Chunk and analyse documents (fingerprints computed where dedupe is on)."""
    out = []
    for i, doc in enumerate(documents, 1):
        p = prepare_document(
            doc,
            config.chunking,
            tokenizer,
            with_fingerprint=bool(config.duplicate_threshold) and doc.id not in prints,
        )
        if doc.id in prints:
            p = PreparedDocument(p.document, p.starts, p.ends, p.terms, p.analyzer, prints[doc.id])
        out.append(p)
        if progress is not None and (i % 200 == 0 or i == len(documents)):
            progress("bm25", i, len(documents))
    return out


class SegmentRows(Protocol):
    """What reusing a document's vectors reads of the segment that holds it (an opened
    :class:`~embeddings.store.Segment`, or a planned one)."""

    @property
    def vectors(self) -> npt.NDArray[np.float32] | None: ...

    @property
    def doc_rows(self) -> npt.NDArray[np.int64]: ...

    def chunk(self, row: int) -> Chunk: ...


def _locator(snapshot: IndexSnapshot) -> Callable[[str], tuple[SegmentRows, int] | None]:
    """Where the live document with an id is in ``snapshot``: its segment and position."""

    def locate(doc_id: str) -> tuple[SegmentRows, int] | None:
        hit = snapshot.find(doc_id)
        return None if hit is None else (snapshot.states[hit[0]].segment, hit[1])

    return locate


def _old_vectors(
    locate: Callable[[str], tuple[SegmentRows, int] | None], doc_ids: Sequence[str]
) -> dict[str, Callable[[], npt.NDArray[np.float32]]]:
    """The vectors of the chunks of documents about to be replaced, by chunk text (an
    updated article keeps the vectors of its unchanged chunks)."""
    found: dict[str, Callable[[], npt.NDArray[np.float32]]] = {}
    for doc_id in doc_ids:
        hit = locate(doc_id)
        if hit is None:
            continue
        segment, position = hit
        vectors = segment.vectors
        if vectors is None:
            continue
        for row in range(int(segment.doc_rows[position]), int(segment.doc_rows[position + 1])):
            found.setdefault(segment.chunk(row).text, partial(_row, vectors, row))
    return found


def _supplied_vectors(
    found: dict[str, Callable[[], npt.NDArray[np.float32]]],
    ready: Sequence[PreparedDocument],
    dimension: int,
) -> None:
    """Add to ``found`` the vectors the prepared documents carry (computed with the
    index's model where they were prepared: ``qa ingest --ray``), by chunk text; a text
    found already keeps its vector."""
    for p in ready:
        vectors = p.vectors
        if vectors is None:
            continue
        if vectors.shape[1] != dimension:
            raise ValueError(
                f"the vectors prepared with {p.document.id!r} have {vectors.shape[1]} "
                f"dimensions, the index's model {dimension}: they were computed with "
                "another model"
            )
        for row, chunk in enumerate(p.chunks):
            found.setdefault(chunk.text, partial(_row, vectors, row))


def _row(vectors: npt.NDArray[np.float32], row: int) -> npt.NDArray[np.float32]:
    return np.asarray(vectors[row])


def settings_for(config: AssistantConfig, encoder: Encoder | None) -> IndexSettings:
    """The index settings ``config`` asks for, with ``encoder``'s model (None: lexical)."""
    return IndexSettings(
        chunking=config.chunking,
        tokenizer=config.tokenizer,
        model=config.model if encoder is not None else "",
        dimension=encoder.dimension if encoder is not None else 0,
    )


def _same_dir(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()


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
