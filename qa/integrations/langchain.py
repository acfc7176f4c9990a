"""A LangChain retriever over an :class:`~qa.assistant.Assistant` (extra ``[langchain]``).

Example:
    >>> from qa import Assistant, AssistantConfig
    >>> from qa.integrations.langchain import AssistantRetriever
    >>> assistant = Assistant.from_paths(["corpus/articles"], AssistantConfig(model=""))
    >>> retriever = AssistantRetriever(assistant=assistant, k=3)
    >>> docs = retriever.invoke("白马湖实验室")   # LangChain Documents, best first
    >>> docs[0].metadata["title"], docs[0].metadata["scores"]

Each passage becomes a ``Document`` whose ``page_content`` is the chunk's text and whose
``id`` is the chunk id; the metadata carry the document id, title, outlet, date, URL,
source, the chunk's character span in the document, its rank and its scores, so chains can
cite the exact source as the assistant does.
"""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from qa.assistant import Assistant
from qa.types import Passage, SearchFilters

try:
    from langchain_core.callbacks import CallbackManagerForRetrieverRun
    from langchain_core.documents import Document as LangChainDocument
    from langchain_core.retrievers import BaseRetriever
except ImportError as exc:  # pragma: no cover - exercised with the extra missing
    raise ImportError(
        "qa.integrations.langchain needs langchain-core, which is not installed: install "
        "the extra with pip install 'zhnews-qa[langchain]' (or pip install langchain-core)"
    ) from exc

__all__ = ["AssistantRetriever", "passage_to_document"]


def passage_to_document(passage: Passage) -> LangChainDocument:
    """A LangChain ``Document`` for one passage (see the module docstring)."""
    doc, chunk = passage.document, passage.chunk
    metadata: dict[str, Any] = {
        "doc_id": doc.id,
        "chunk_id": chunk.id,
        "title": doc.display_title,
        "outlet": doc.outlet,
        "published": doc.published,
        "url": doc.url,
        "source": doc.source,
        "start": chunk.start,
        "end": chunk.end,
        "rank": passage.rank,
        "score": passage.score,
        "scores": dict(passage.scores.items()),
    }
    return LangChainDocument(page_content=chunk.text, metadata=metadata, id=chunk.id)


class AssistantRetriever(BaseRetriever):
    """LangChain ``BaseRetriever`` over :meth:`Assistant.search <qa.assistant.Assistant.search>`.

    Attributes:
        assistant: the assistant to search (its index, retrievers and fusion).
        k: passages to return per query.
        filters: optional restriction to some documents (ids, outlets, dates).

    Raises:
        pydantic.ValidationError: at construction, for ``k`` < 1 or a value that is not
            an ``Assistant``.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    assistant: Assistant
    k: int = Field(default=5, ge=1, le=1000)
    filters: SearchFilters | None = None

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[LangChainDocument]:
        passages = self.assistant.search(query, k=self.k, filters=self.filters)
        return [passage_to_document(p) for p in passages]
