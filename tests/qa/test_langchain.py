"""The LangChain retriever (extra ``[langchain]``), with the real langchain-core."""

from __future__ import annotations

import asyncio
import importlib
import sys

import pytest

from qa import Assistant, SearchFilters

pytest.importorskip("langchain_core")

from langchain_core.documents import Document  # noqa: E402
from langchain_core.retrievers import BaseRetriever  # noqa: E402
from langchain_core.runnables import RunnableLambda  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from qa.integrations.langchain import AssistantRetriever  # noqa: E402


def test_retriever_returns_passages_as_documents(seed_assistant: Assistant) -> None:
    retriever = AssistantRetriever(assistant=seed_assistant, k=3)
    assert isinstance(retriever, BaseRetriever)
    docs = retriever.invoke("白马湖实验室是哪家企业牵头共建的?")
    passages = seed_assistant.search("白马湖实验室是哪家企业牵头共建的?", k=3)
    assert len(docs) == 3 and all(isinstance(d, Document) for d in docs)
    for doc, passage in zip(docs, passages, strict=True):
        assert doc.page_content == passage.chunk.text and doc.id == passage.chunk.id
        meta = doc.metadata
        assert (meta["doc_id"], meta["rank"], meta["score"]) == (
            passage.document.id,
            passage.rank,
            passage.score,
        )
        text = seed_assistant.get_document(meta["doc_id"])
        assert text is not None and text.text[meta["start"] : meta["end"]] == doc.page_content
    assert "白馬湖實驗室" in docs[0].page_content and docs[0].metadata["outlet"] == "中新網"
    assert set(docs[0].metadata["scores"]) >= {"bm25", "fused"}


def test_filters_batch_async_and_chains(seed_assistant: Assistant) -> None:
    green = [d for d in seed_assistant.documents if d.outlet == "澎湃新聞"][0]
    retriever = AssistantRetriever(
        assistant=seed_assistant, k=2, filters=SearchFilters(doc_ids=(green.id,))
    )
    docs = retriever.invoke("长三角")
    assert docs and {d.metadata["doc_id"] for d in docs} == {green.id}
    # The Runnable interface: batches, async, and composition in a chain.
    assert [len(b) for b in retriever.batch(["长三角", "联盟"])] == [len(docs), 2]
    assert asyncio.run(retriever.ainvoke("长三角")) == docs
    chain = retriever | RunnableLambda(lambda ds: "\n".join(d.page_content for d in ds))
    assert chain.invoke("长三角") == "\n".join(d.page_content for d in docs)


def test_construction_is_validated(seed_assistant: Assistant) -> None:
    with pytest.raises(ValidationError):
        AssistantRetriever(assistant=seed_assistant, k=0)
    with pytest.raises(ValidationError):
        AssistantRetriever(assistant="not an assistant")  # type: ignore[arg-type]


def test_missing_extra_is_an_actionable_import_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "langchain_core", None)
    monkeypatch.setitem(sys.modules, "langchain_core.retrievers", None)
    monkeypatch.delitem(sys.modules, "qa.integrations.langchain", raising=False)
    with pytest.raises(ImportError, match=r"zhnews-qa\[langchain\]"):
        importlib.import_module("qa.integrations.langchain")
    monkeypatch.undo()
    importlib.import_module("qa.integrations.langchain")
