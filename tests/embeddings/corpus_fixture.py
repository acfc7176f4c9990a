"""A seeded synthetic corpus for index tests: sentences of the benchmark paragraphs, the
seed articles and the news snippets, recombined (simplified and traditional mixed)."""

from __future__ import annotations

import json
import random
from pathlib import Path

from corpus.sentences import sentence_spans

ROOT = Path(__file__).resolve().parents[2]
PARAGRAPHS = ROOT / "tests" / "corpus" / "fixtures" / "benchmark_paragraphs.json"
ARTICLES = ROOT / "corpus" / "articles"


def sentences() -> list[str]:
    """Every sentence of the fixture paragraphs and seed articles."""
    texts = [p["context"] for p in json.loads(PARAGRAPHS.read_text(encoding="utf-8")).values()]
    texts += [p.read_text(encoding="utf-8") for p in sorted(ARTICLES.iterdir())]
    out = []
    for text in texts:
        out.extend(text[s:e] for s, e in sentence_spans(text) if e - s >= 6)
    return out


def synthetic_texts(count: int, seed: int = 3) -> list[str]:
    """``count`` texts of 1 to 6 random sentences."""
    rng = random.Random(seed)
    pool = sentences()
    return ["".join(rng.choice(pool) for _ in range(rng.randint(1, 6))) for _ in range(count)]


def queries(count: int, seed: int = 5) -> list[str]:
    """Query strings: pieces of sentences, some with added latin words and numbers."""
    rng = random.Random(seed)
    pool = sentences()
    out = []
    for _ in range(count):
        s = rng.choice(pool)
        a = rng.randrange(len(s))
        out.append(s[a : a + rng.randint(3, 20)] + rng.choice(["", " 2024", " AI", "的"]))
    return out
