"""The :class:`IndexWriter`: every change to an index, published as immutable snapshots."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np
import numpy.typing as npt

from corpus.dedupe import DuplicateIndex, fingerprint
from corpus.errors import EmptyCorpusError
from corpus.formats import FORMATS
from corpus.progress import Progress
from corpus.types import Document
from embeddings.encoder import Encoder
from embeddings.errors import IndexMismatchError, IndexNotFoundError, IndexWriteError
from embeddings.store import (
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
    save_snapshot,
    settings_compatible,
)
from embeddings.store.files import SEGMENTS, read_manifest
from embeddings.store.merge import rewrite_needed, rewrite_segments
from embeddings.store.packed import PackedDocuments
from embeddings.store.recovery import recover_index
from embeddings.store.space import segment_bytes, write_errors
from embeddings.tokenize import get_tokenizer
from qa.config import AssistantConfig
from qa.encoders import COVERAGE_SAMPLE, add_vectors_hint, resolve_encoder
from qa.updates import (
    Changes,
    IndexDuplicates,
    IngestSummary,
    MemoryLookup,
    SnapshotLookup,
    WrittenPrints,
    latest_by_id,
    plan_changes,
    plan_packed,
)
from qa.writing.lock import DEFAULT_LOCK_TIMEOUT, WriteLock
from qa.writing.prepare import (
    Locate,
    locator,
    plan_segment,
    prefiltered,
    prepare_documents,
    settings_for,
)

__all__ = ["IndexWriter", "PublishHook"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

PublishHook = Callable[[IndexSnapshot], None]
"""Called with each snapshot a writer publishes, before it is published (see
:meth:`IndexWriter.subscribe`)."""


class IndexWriter:
    """Writes one index and publishes each state of it as an immutable snapshot.

    Readers take :attr:`snapshot` (or :meth:`subscribe` to be given each new one) and
    never see a change half made: a change is applied to a copy (a new segment, and
    tombstones beside the old ones), committed, and then published with one assignment.

    **Writes to disk.** A writer bound to an index directory (:attr:`directory`:
    :meth:`open`, or after :meth:`save`) commits each change there before it publishes
    it, under the lock protocol of :mod:`qa.writing.lock`: it takes the index's write
    lock (one writer across processes), re-opens the newest generation (another process
    may have written it; it is published from then on), applies the change, commits it
    and merges segments by the merge policy. When the commit fails, the writer
    publishes what it published before and the error says so; the same change tried
    again is applied again. A writer in memory keeps its changes in memory until
    :meth:`save` (or a change given ``commit_to``).

    Args:
        snapshot: the index.
        config: the configuration the index was built with (how new documents are
            chunked, whether copies are merged, the dense index type of new segments).
        encoder: the model that embeds new chunks (None: a lexical index, or the model
            could not be loaded).
        warnings: notes from opening or building the index (such as why its model could
            not be loaded).
        merge_policy: when segments are merged (default :class:`MergePolicy`).
        lock_timeout: seconds a write waits for another writer of its index directory.
        directory: the index directory to commit changes to (None: in memory).
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
        directory: str | Path | None = None,
    ) -> None:
        self.config = config or AssistantConfig()
        self.encoder = encoder
        self.warnings = tuple(warnings)
        self.merge_policy = merge_policy or MergePolicy()
        self.lock_timeout = lock_timeout
        self._directory = Path(directory) if directory is not None else None
        self._snapshot = snapshot
        self._lock = WriteLock()
        self._hooks: list[PublishHook] = []

    # -- construction -----------------------------------------------------------------

    @classmethod
    def build(
        cls,
        documents: Iterable[Document],
        config: AssistantConfig | None = None,
        *,
        progress: Progress | None = None,
    ) -> IndexWriter:
        """A writer over a new index of ``documents``, in memory (the last of several
        with one id wins; copies of one story are indexed once, the others recorded as
        its alternates, see :mod:`corpus.dedupe`; ``config.duplicate_threshold=0``
        turns that off).

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
        prepared = prepare_documents(changes.upserts, config, tokenizer, prints, progress)
        if not prepared or not any(p.size for p in prepared):
            raise EmptyCorpusError(
                "no article with text to index: give files or folders of articles "
                f"({FORMATS.suffix_list()})"
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
    def empty(
        cls, config: AssistantConfig, first: Sequence[PreparedDocument] | PackedDocuments
    ) -> IndexWriter:
        """A writer over a new, empty index in memory, with the encoder the chunks of
        ``first`` (the first documents it will be given) call for."""
        if isinstance(first, PackedDocuments):
            head = first.take(np.arange(min(len(first), COVERAGE_SAMPLE)))
            sample = head.chunk_texts()[:COVERAGE_SAMPLE]
        else:
            sample = [c.text for p in first[:COVERAGE_SAMPLE] for c in p.chunks]
            sample = sample[:COVERAGE_SAMPLE]
        encoder, warnings = resolve_encoder(config, sample, building=True)
        settings = check_encoder(settings_for(config, encoder), encoder)
        empty = IndexSnapshot(
            settings, [], created_at=now(), tokenizer=get_tokenizer(config.tokenizer)
        )
        return cls(empty, config, encoder=encoder, warnings=warnings)

    @classmethod
    def open(
        cls,
        directory: str | Path,
        config: AssistantConfig | None = None,
        *,
        commit: bool = True,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    ) -> IndexWriter:
        """A writer over the index at ``directory`` (what :meth:`qa.Assistant.load`
        reads; see there), recovered first where a write was interrupted.

        Args:
            directory: the index directory.
            config: the configuration (default :class:`AssistantConfig`).
            commit: bind the writer to ``directory`` (False: changes stay in memory
                until :meth:`save`).
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
            raise IndexMismatchError(mismatch_message(directory, reason))
        built_with = snapshot.settings.model
        encoder: Encoder | None = None
        warnings: tuple[str, ...] = ()
        if config.model and built_with and config.model != built_with:
            raise IndexMismatchError(
                mismatch_message(
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
        return cls(
            snapshot,
            config,
            encoder=encoder,
            warnings=warnings,
            lock_timeout=lock_timeout,
            directory=directory if commit else None,
        )

    # -- what it publishes ------------------------------------------------------------

    @property
    def snapshot(self) -> IndexSnapshot:
        """The snapshot published last (immutable: the index as of one change)."""
        return self._snapshot

    @property
    def directory(self) -> Path | None:
        """The index directory changes are committed to before they are published (set
        by :meth:`open` and :meth:`save`), or None when they stay in memory."""
        return self._directory

    def subscribe(self, hook: PublishHook) -> None:
        """Call ``hook(snapshot)`` with each snapshot this writer publishes, under its
        lock, before :attr:`snapshot` changes: when a hook raises, the snapshot is not
        published (a committed one stays on disk; the next write re-reads it) and the
        change that published it raises."""
        self._hooks.append(hook)

    @contextmanager
    def locked(self, directory: str | Path | None = None) -> Iterator[Path | None]:
        """Hold this writer's lock (no change is made or published meanwhile) and, with
        ``directory``, that index's write lock (:class:`~qa.writing.lock.WriteLock`).

        Raises:
            IndexBusyError: when another writer holds ``directory`` for ``lock_timeout`` s.
        """
        root = Path(directory) if directory is not None else None
        with self._lock.hold(root, self.lock_timeout) as held:
            yield held

    def _publish(self, snapshot: IndexSnapshot, target: Path | None = None) -> None:
        """Publish ``snapshot`` (one assignment: readers see the old one or the new one),
        bound to ``target`` where it was committed there."""
        for hook in self._hooks:
            hook(snapshot)
        self._snapshot = snapshot
        if target is not None:
            self._directory = target

    # -- changes ----------------------------------------------------------------------

    def save(self, directory: str | Path) -> None:
        """Write the index to ``directory`` and bind the writer to it (later changes
        are committed there before they are published).

        Under the index's write lock. To the directory it is bound to, the newest
        generation there (another process may have written it) is kept and merged by the
        merge policy. To the directory it was opened from, only what changed is written:
        new segments, tombstones, and the manifest, replaced atomically. Over another
        index, the snapshot's segments are written into it and a new manifest naming only
        them is committed; where there is none, the whole index is written into the
        directory, manifest last. There is never a moment without a complete index under
        the name; segments are then merged where the merge policy says so. (A writer
        opened with ``commit=False`` saves what it publishes: commits other writers made
        since it was opened are replaced.)

        Raises:
            IndexWriteError: when the files cannot be written (the index on disk is
                unchanged, and so is what the writer publishes).
            IndexBusyError: when another writer holds the index for ``lock_timeout`` s.
        """
        target = Path(directory)
        with self._lock.hold(target, self.lock_timeout):
            snapshot = self._snapshot
            if self._directory is not None and _same_dir(self._directory, target):
                snapshot = self._latest(target)
            self._publish(self._commit(snapshot, target), target)

    def add(
        self,
        documents: Iterable[Document] | Iterable[PreparedDocument] | PackedDocuments,
        *,
        progress: Progress | None = None,
        commit_to: str | Path | None = None,
        written: WrittenPrints | None = None,
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
                :func:`embeddings.store.prepare_document` with the index's settings, one
                by one or packed (what ``qa ingest``'s worker processes hand over:
                planned and built from the arrays, :func:`qa.updates.plan_packed`).
            progress: the progress hook.
            commit_to: the index directory to commit the change to before it is
                published (default: :attr:`directory`; None there: in memory). The
                writer is bound to it afterwards.
            written: for packed documents, what the same ingest wrote before
                (:class:`qa.updates.WrittenPrints`: copies are checked faster).

        Raises:
            EmptyCorpusError: when the change would leave the index empty.
            IndexWriteError: when the change cannot be committed (the index on disk and
                the snapshot published are as they were; trying again applies it).
            IndexBusyError: when another writer holds the index for ``lock_timeout`` s.
        """
        if isinstance(documents, PackedDocuments):
            return self._add_packed(documents, progress, commit_to, written)
        items: list[Document | PreparedDocument] = list(documents)
        prepared = {p.document.id: p for p in items if isinstance(p, PreparedDocument)}
        docs = [p.document if isinstance(p, PreparedDocument) else p for p in items]
        with self._writing(commit_to) as target:
            snapshot = self._latest(target)
            prints = {i: p.fingerprint for i, p in prepared.items() if p.fingerprint is not None}
            threshold = self.config.duplicate_threshold
            duplicates = IndexDuplicates(snapshot, threshold) if threshold else None
            if duplicates is not None and prints:
                duplicates.prefetch(prints)
            changes = plan_changes(
                SnapshotLookup(snapshot), docs, duplicates=duplicates, fingerprints=prints
            )
            if changes.summary.changed:
                new = self._apply(snapshot, changes, prepared, progress)
                self._publish(self._commit(new, target), target)
            return changes.summary

    def _add_packed(
        self,
        packed: PackedDocuments,
        progress: Progress | None,
        commit_to: str | Path | None,
        written: WrittenPrints | None,
    ) -> IngestSummary:
        """:meth:`add` of packed documents."""
        with self._writing(commit_to) as target:
            snapshot = self._latest(target)
            changes = plan_packed(
                prefiltered(SnapshotLookup(snapshot), snapshot, packed.documents),
                snapshot,
                packed,
                self.config.duplicate_threshold,
                written,
            )
            if changes.summary.changed:
                new = self._apply(snapshot, changes, packed, progress)
                self._publish(self._commit(new, target), target)
            return changes.summary

    def remove(self, doc_ids: Iterable[str], *, commit_to: str | Path | None = None) -> int:
        """Remove documents by id (marked deleted in their segments); returns how many
        were removed.

        Args:
            doc_ids: the ids; unknown ones are ignored.
            commit_to: as for :meth:`add`.

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

    def plan_segment(
        self,
        changes: Changes,
        prepared: Mapping[str, PreparedDocument] | PackedDocuments,
        locate: Locate,
        *,
        progress: Progress | None = None,
    ) -> tuple[list[PreparedDocument] | PackedDocuments, npt.NDArray[np.float32] | None]:
        """The documents of the segment that ``changes`` writes, in order, prepared, and
        their chunks' vectors (None for a lexical index): what :meth:`add` builds its new
        segment from, for a writer that builds the segment elsewhere
        (:class:`qa.staged.StagedIngest`). See :func:`qa.writing.prepare.plan_segment`.

        Raises:
            ModelUnavailableError: when the index has vectors, a chunk needs one and the
                model is not loaded.
        """
        return plan_segment(
            self._snapshot, self.config, self.encoder, changes, prepared, locate, progress
        )

    def commit(self, snapshot: IndexSnapshot) -> None:
        """Commit ``snapshot`` to the index directory this writer is bound to, merge its
        segments by the merge policy, and publish it: for a change made from
        :attr:`snapshot` (new segments written into the index's ``segments/``
        beforehand, :mod:`embeddings.store.staging`) by code that has held the index's
        write lock since it read it (:class:`qa.staged.StagedIngest`).

        Raises:
            ValueError: when the writer is not bound to an index directory, or
                ``snapshot`` is not of its index.
            IndexWriteError: when another writer committed since :attr:`snapshot` was
                read, or the files cannot be written (the index on disk and the snapshot
                published are as they were).
            IndexBusyError: when another writer holds the index for ``lock_timeout`` s.
        """
        with self._writing(None) as target:
            if target is None:
                raise ValueError("this index is in memory: save it to a directory first")
            current = self._snapshot
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

    def refresh(self, directory: str | Path | None = None) -> bool:
        """Re-open the index as of its current manifest (another process may have
        written it): only segments not opened yet are opened.

        Args:
            directory: the index directory (default: the one :attr:`snapshot` was
                opened from or saved to).

        Returns:
            Whether the writer now publishes another generation or directory.

        Raises:
            ValueError: for an index in memory and no ``directory``.
            IndexNotFoundError, IndexCorruptError, IndexMismatchError: as :meth:`open`.
        """
        with self._lock.hold():
            snapshot = self._snapshot
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
                raise IndexMismatchError(mismatch_message(root, reason))
            self._publish(fresh, root if self._directory is not None else None)
            return True

    def optimize(
        self, directory: str | Path | None = None, *, max_rows: int | None = None
    ) -> tuple[int, int]:
        """Merge every segment into one, dropping deleted documents for good; with
        ``max_rows``, rewrite the live content as segments of at most that many rows
        instead, in order (cut between documents), and record the maximum in the index
        (later merges keep to it, until an optimize without one).

        With ``directory``, the index is saved there first (and the writer bound to
        it); else the result is committed to the directory the writer is bound to or
        :attr:`snapshot` was opened from, under the index's write lock.

        Returns:
            ``(segments before, deleted documents dropped)``.

        Raises:
            ValueError: for a non-positive ``max_rows``.
            IndexWriteError: when the files cannot be written.
            IndexBusyError: when another writer holds the index for ``lock_timeout`` s.
        """
        if max_rows is not None and max_rows <= 0:
            raise ValueError("max_rows must be greater than 0")
        target = directory if directory is not None else self._directory
        if target is None:
            target = self._snapshot.directory
        with self._writing(target) as root:
            snapshot = self._latest(root)
            if root is not None and not (
                snapshot.directory is not None and _same_dir(snapshot.directory, root)
            ):
                snapshot = save_snapshot(snapshot, root)
            count, deleted = len(snapshot.states), snapshot.deleted_documents
            if max_rows is None:
                rewrite = count > 1 or bool(deleted)
            else:
                rewrite = rewrite_needed(snapshot.states, max_rows)
            if rewrite or snapshot.max_segment_rows != max_rows:
                snapshot = self._rewrite(snapshot, max_rows, rewrite)
            else:
                deleted = 0
            self._publish(snapshot, root if directory is not None else None)
            return count, deleted

    def close(self) -> None:
        """Release the open files of the snapshot published last (for a writer that is
        done: :func:`qa.index.optimize_index`)."""
        self._snapshot.close()

    # -- the generation protocol --------------------------------------------------------

    @contextmanager
    def _writing(self, commit_to: str | Path | None) -> Iterator[Path | None]:
        """Hold the writer's lock and, where changes go to disk, the write lock of the
        index directory they are committed to (yielded; None: in memory)."""
        target = Path(commit_to) if commit_to is not None else self._directory
        with self._lock.hold(target, self.lock_timeout) as held:
            yield held

    def _latest(self, target: Path | None) -> IndexSnapshot:
        """The snapshot to apply a change to: the newest generation at ``target`` when
        this writer reads that index and another process committed since (it is
        published from now on), else the current one."""
        snapshot = self._snapshot
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
            raise IndexMismatchError(mismatch_message(target, reason))
        self._publish(fresh)
        return fresh

    def _apply(
        self,
        snapshot: IndexSnapshot,
        changes: Changes,
        prepared: Mapping[str, PreparedDocument] | PackedDocuments,
        progress: Progress | None,
    ) -> IndexSnapshot:
        """``snapshot`` with the planned changes (not yet committed or published)."""
        ready, vectors = plan_segment(
            snapshot, self.config, self.encoder, changes, prepared, locator(snapshot), progress
        )
        new = snapshot.without(changes.removals)
        if ready:
            new = new.with_segment(
                build_segment(ready, vectors=vectors, dense_kind=self.config.dense_index)
            )
        if new.document_count == 0:
            raise EmptyCorpusError("this change would leave the index empty")
        return new

    def _commit(self, snapshot: IndexSnapshot, target: Path | None) -> IndexSnapshot:
        """``snapshot`` committed to ``target`` (None: kept in memory), its segments
        merged by the merge policy.

        A merge that fails after the commit is logged: the change is on disk and
        published unmerged; the next write merges.
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

    def _rewrite(
        self, snapshot: IndexSnapshot, max_rows: int | None, rewrite: bool
    ) -> IndexSnapshot:
        """``snapshot`` optimized (see :meth:`optimize`), committed when it lives in a
        directory; ``rewrite`` False: only the recorded maximum segment size changes."""
        root = snapshot.directory
        parent = None if root is None else root / SEGMENTS
        dense_kind = self.config.dense_index
        with write_errors(
            f"cannot merge the segments of {root if root is not None else 'the index'}",
            where=root or ".",
            outcome="the index there is unchanged",
            needed=functools.partial(_segments_bytes, snapshot.states),
        ):
            if not rewrite:
                merged = [st.segment for st in snapshot.states]
            elif max_rows is None:
                merged = [merge_segments(snapshot.states, parent=parent, dense_kind=dense_kind)]
            else:
                merged = rewrite_segments(
                    snapshot.states, max_rows, parent=parent, dense_kind=dense_kind
                )
        # The maximum is recorded in the index: later merges keep to it (none after a
        # merge into one segment).
        rewritten = snapshot.with_states([SegmentState(m) for m in merged])
        rewritten = rewritten.with_max_segment_rows(max_rows)
        return rewritten if root is None else commit_snapshot(rewritten, root)


def mismatch_message(directory: str | Path, reason: str) -> str:
    """Why the index at ``directory`` cannot be used with these settings, and what to do."""
    return (
        f"the index at {directory} does not match the current settings: {reason}. "
        f"Re-ingest to rebuild it: qa ingest PATH... --index {directory} --rebuild"
    )


def _segments_bytes(states: Sequence[SegmentState]) -> int:
    """About how many bytes the segments of ``states`` take on disk."""
    return sum(segment_bytes(st.segment) for st in states)


def _same_dir(a: Path, b: Path) -> bool:
    return a.resolve() == b.resolve()
