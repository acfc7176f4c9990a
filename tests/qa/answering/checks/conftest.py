from __future__ import annotations

import pytest

from corpus.types import Document
from qa.answering.extractive.sentences import Candidate
from tests.qa.answering.checks.evidence import SENTENCES, candidates_of


@pytest.fixture(scope="session")
def candidates() -> list[Candidate]:
    """The candidates of :data:`SENTENCES`, one per sentence."""
    found = candidates_of(Document(id="d", title="", text="".join(SENTENCES), source="d.txt"))
    assert len(found) == len(SENTENCES)
    return found
