"""Fixtures for the corpus tests: the two seed articles, raw and cleaned."""

from __future__ import annotations

from pathlib import Path

import pytest

from corpus import CleanedArticle, clean_article

ARTICLES = Path(__file__).resolve().parents[2] / "corpus" / "articles"
SEED_000 = ARTICLES / "000_222296624ac57386.txt"
SEED_003 = ARTICLES / "003_89db59789a0dcd3a.txt"


@pytest.fixture(scope="session")
def raw_000() -> str:
    return SEED_000.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def raw_003() -> str:
    return SEED_003.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def cleaned_000(raw_000: str) -> CleanedArticle:
    return clean_article(raw_000)


@pytest.fixture(scope="session")
def cleaned_003(raw_003: str) -> CleanedArticle:
    return clean_article(raw_003)
