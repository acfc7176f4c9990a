from __future__ import annotations

from pathlib import Path

import pytest

from qa import Assistant, AssistantConfig

ARTICLES = Path(__file__).resolve().parents[2] / "corpus" / "articles"
SEED_CONSORTIUM = "003_89db59789a0dcd3a.txt"  # 中新網: the innovation sub-alliance
SEED_GREEN = "000_222296624ac57386.txt"  # 長三角綠色低碳產業鏈聯盟


@pytest.fixture(scope="session")
def lexical_config() -> AssistantConfig:
    return AssistantConfig(model="")


@pytest.fixture(scope="session")
def seed_assistant(lexical_config: AssistantConfig) -> Assistant:
    return Assistant.from_paths([ARTICLES], lexical_config)


def source_name(assistant: Assistant, doc_id: str) -> str:
    doc = assistant.get_document(doc_id)
    assert doc is not None
    return Path(doc.source).name
