"""The benchmark corpus generator: seeded, real questions, gold known."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench.synth import DEFAULT_FILES, extra_articles, generate

pytestmark = pytest.mark.skipif(
    not all(p.exists() for p in DEFAULT_FILES), reason="benchmarks not available"
)


def _lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_corpus_is_seeded_and_every_question_has_its_gold_article(tmp_path: Path) -> None:
    meta = generate(tmp_path / "a", 600, questions=30, seed=5)
    generate(tmp_path / "b", 600, questions=30, seed=5)
    for name in ("articles.jsonl", "questions.jsonl"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    articles = {str(a["id"]): a for a in _lines(tmp_path / "a" / "articles.jsonl")}
    questions = _lines(tmp_path / "a" / "questions.jsonl")
    assert len(articles) == meta["articles"] and len(questions) == 30
    assert int(meta["estimated_chunks"]) >= 600
    for q in questions:
        (gold,) = q["doc_ids"]
        text = str(articles[gold]["text"])
        assert any(str(a) in text for a in q["answers"])
    generate(tmp_path / "c", 600, questions=30, seed=6)
    assert (tmp_path / "c" / "articles.jsonl").read_bytes() != (
        tmp_path / "a" / "articles.jsonl"
    ).read_bytes()


def test_extra_articles_are_new_ids(tmp_path: Path) -> None:
    generate(tmp_path, 300, questions=5)
    path = extra_articles(tmp_path, 12)
    extra = _lines(path)
    corpus = {a["id"] for a in _lines(tmp_path / "articles.jsonl")}
    assert len(extra) == 12 and not corpus & {a["id"] for a in extra}
