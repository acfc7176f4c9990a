"""Adapters that put the assistant into other tools; each needs its own optional extra
and is imported on its own (``from qa.integrations.langchain import AssistantRetriever``)."""
