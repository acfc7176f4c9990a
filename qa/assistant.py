"""The :class:`Assistant` facade: build or load an index, then search and ask."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from corpus.chunking import chunk_documents
from corpus.errors import EmptyCorpusError
from corpus.loaders import load_documents
from corpus.progress import Progress
from corpus.types import Document
from embeddings.encoder import Encoder, default_query_prefix
from embeddings.errors import IndexMismatchError, ModelUnavailableError
from embeddings.store import (
    IndexSettings,
    IndexSnapshot,
    build_snapshot,
    load_snapshot,
    save_snapshot,
    settings_compatible,
)
from qa.config import AssistantConfig
from qa.conversation import Turn, analyze_follow_up
from qa.errors import InvalidQuestionError
from qa.extractive import ExtractiveAnswerer, abstain_text
from qa.retrieval import HybridRetriever
from qa.types import Answer, Citation, Passage, SearchFilters

if TYPE_CHECKING:
    from corpus.loaders import SkippedFile

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

__all__ = ["Assistant", "IngestSummary", "validate_question"]

# Chunks sampled to measure whether the embedding model covers the corpus's script.
_COVERAGE_SAMPLE = 200


class IngestSummary:
    """What an ingest changed (counts of documents)."""

    __slots__ = ("added", "removed", "skipped", "unchanged", "updated")

    def __init__(
        self,
        added: int = 0,
        updated: int = 0,
        unchanged: int = 0,
        removed: int = 0,
        skipped: tuple[SkippedFile, ...] = (),
    ) -> None:
        self.added = added
        self.updated = updated
        self.unchanged = unchanged
        self.removed = removed
        self.skipped = skipped

    @property
    def changed(self) -> bool:
        """True when the index content changed."""
        return bool(self.added or self.updated or self.removed)

    def __repr__(self) -> str:
        return (
            f"IngestSummary(added={self.added}, updated={self.updated}, "
            f"unchanged={self.unchanged}, removed={self.removed}, skipped={len(self.skipped)})"
        )


class Assistant:
    """Question answering over an indexed corpus of news articles.

    Build one with :meth:`from_paths`, :meth:`from_documents` or :meth:`load`; then
    :meth:`ask` and :meth:`search`. Reads work on an immutable index snapshot; updates
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
        """Index documents in memory.

        Raises:
            EmptyCorpusError: when there is no document with text.
        """
        config = config or AssistantConfig()
        docs = _dedupe([d for d in documents if d.text.strip()])
        if not docs:
            raise EmptyCorpusError(
                "no article with text to index: give files or folders of .txt, .md, .html "
                "or .jsonl articles"
            )
        chunks = chunk_documents(docs, config.chunking)
        encoder, warnings = _resolve_encoder(config, [c.text for c in chunks])
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
        result = load_documents(paths, progress=progress)
        if not result.documents:
            raise EmptyCorpusError(_empty_message(paths, result.skipped))
        return cls.from_documents(result.documents, config, progress=progress)

    @classmethod
    def load(cls, directory: str | Path, config: AssistantConfig | None = None) -> Assistant:
        """Open an index written by :meth:`save` or ``qa ingest``.

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
        if config.model:
            sample = [c.text for c in snapshot.chunks[:_COVERAGE_SAMPLE]]
            encoder, warnings = _resolve_encoder(config, sample)
            if encoder is not None and not built_with:
                raise IndexMismatchError(
                    _mismatch_message(
                        directory,
                        f"it has no dense vectors, and {config.model!r} is now available",
                    )
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
        only new and changed chunks are embedded.
        """
        with self._write_lock:
            current = {d.id: d for d in self._state.snapshot.documents}
            summary = IngestSummary()
            merged = dict(current)
            for doc in _dedupe([d for d in documents if d.text.strip()]):
                old = current.get(doc.id)
                if old is None:
                    summary.added += 1
                elif old.content_hash == doc.content_hash and old.text == doc.text:
                    summary.unchanged += 1
                    continue
                else:
                    summary.updated += 1
                merged[doc.id] = doc
            if summary.changed:
                self._rebuild(tuple(merged.values()), progress)
            return summary

    def remove_documents(self, doc_ids: Iterable[str]) -> int:
        """Remove documents by id; returns how many were removed.

        Raises:
            EmptyCorpusError: when the removal would leave the index empty.
        """
        with self._write_lock:
            drop = set(doc_ids)
            kept = tuple(d for d in self._state.snapshot.documents if d.id not in drop)
            removed = len(self._state.snapshot.documents) - len(kept)
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
        retriever = HybridRetriever(
            snapshot,
            self._encoder if snapshot.dense is not None else None,
            candidates=self.config.candidates,
            rrf_k=self.config.rrf_k,
        )
        answerer = ExtractiveAnswerer(
            snapshot.bm25.tokenize,
            snapshot.bm25.idf,
            max_sentences=self.config.max_answer_sentences,
            abstain_threshold=self.config.abstain_threshold,
            answer_passages=self.config.answer_passages,
        )
        return _State(snapshot, retriever, answerer)

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
        return self._state.retriever.dense_enabled

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
        return self._state.retriever.search(query, k or self.config.top_k, filters)

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
                is resolved against them before retrieval (see :mod:`qa.conversation`).

        Raises:
            InvalidQuestionError: for an empty or overlong question.
        """
        question = self._check(question)
        state = self._state  # one consistent snapshot for the whole question
        retriever, answerer = state.retriever, state.answerer
        t0 = time.perf_counter()
        resolved = analyze_follow_up(question, history) if history else None
        query = resolved.query if resolved is not None else question
        passages = retriever.search(query, top_k or self.config.top_k, filters)
        t1 = time.perf_counter()
        if resolved is not None and resolved.is_follow_up:
            # Match answer sentences on what the follow-up asks (its focus), unless the
            # whole resolved question finds better support.
            extracts = answerer.extract(resolved.focus, passages)
            alternative = answerer.extract(query, passages)
            if alternative and (not extracts or alternative[0].score > extracts[0].score):
                extracts = alternative
        else:
            extracts = answerer.extract(question, passages)
        confidence = extracts[0].score if extracts else 0.0
        abstained = confidence < self.config.abstain_threshold
        citations: tuple[Citation, ...] = ()
        if abstained:
            text = abstain_text(question)
        else:
            text, citations = answerer.render(question, extracts)
        t2 = time.perf_counter()
        return Answer(
            question=question,
            text=text,
            citations=citations,
            passages=passages,
            abstained=abstained,
            confidence=round(confidence, 4),
            timings={
                "retrieve_ms": round((t1 - t0) * 1000, 3),
                "answer_ms": round((t2 - t1) * 1000, 3),
                "total_ms": round((t2 - t0) * 1000, 3),
            },
        )

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
    retriever: HybridRetriever
    answerer: ExtractiveAnswerer


def _dedupe(documents: Sequence[Document]) -> list[Document]:
    """Keep the last document of each id (a later version replaces an earlier one)."""
    return list({d.id: d for d in documents}.values())


def _settings(config: AssistantConfig, encoder: Encoder | None) -> IndexSettings:
    return IndexSettings(
        chunking=config.chunking,
        tokenizer=config.tokenizer,
        model=config.model if encoder is not None else "",
        dimension=encoder.dimension if encoder is not None else 0,
    )


def _resolve_encoder(
    config: AssistantConfig, sample: Sequence[str]
) -> tuple[Encoder | None, tuple[str, ...]]:
    """The dense encoder, or None with one warning saying why and what to configure."""
    if not config.model:
        return None, ()
    encoder = Encoder(
        config.model,
        device=config.device,
        batch_size=config.batch_size,
        local_files_only=config.local_files_only,
        query_prefix=default_query_prefix(config.model),
    )
    try:
        encoder.warm_up()
    except ModelUnavailableError as exc:
        msg = f"{str(exc).rstrip('.')}. Serving lexical (BM25) retrieval only."
        logger.warning(msg)
        return None, (msg,)
    rate = encoder.unknown_token_rate(list(sample[:_COVERAGE_SAMPLE])) if sample else 0.0
    if rate > config.max_unknown_rate:
        msg = (
            f"Embedding model {config.model!r} does not cover this corpus's script: it maps "
            f"{rate:.0%} of the corpus's tokens to its unknown token. Serving lexical (BM25) "
            "retrieval only. Configure a Chinese model (--model / QA_MODEL), e.g. "
            "BAAI/bge-small-zh-v1.5."
        )
        logger.warning(msg)
        return None, (msg,)
    return encoder, ()


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
