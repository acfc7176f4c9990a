"""A seeded synthetic news corpus of a chosen size, with real questions and known gold.

The paragraphs of the CMRC 2018 and DRCD dev sets (in ``$QA_BENCHMARKS_DIR``, else
``../shared/benchmarks`` beside the checkout: :func:`bench.common.benchmarks_dir`) are the
material. ``--questions`` of their questions are drawn at random; each gold paragraph
becomes one article, intact (``gold-<paragraph id>``). Every other article recombines
4 to 12 random sentences of the other paragraphs of one set (simplified or traditional),
so no article but the gold one holds an answer sentence, and no two articles are copies
of one story (near-duplicate merging leaves them all). Articles are written in a random
order (gold ones spread through the file) until the estimated chunk count (default
chunking: 300 characters, overlap 50) reaches ``--chunks``.

Writes ``articles.jsonl`` (what ``qa ingest`` reads: ``id``, ``title``, ``text``,
``published``, ``source``), ``questions.jsonl`` (a ``qa eval`` question set: ``id``,
``question``, ``answers``, ``doc_ids``) and ``meta.json`` (seed, counts).

Usage::

    python -m bench.synth --chunks 100000 --out bench-data/100k
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Sequence
from pathlib import Path

from bench.common import benchmarks_dir
from corpus.sentences import sentence_spans
from eval.squad import load_squad

BENCHMARKS = benchmarks_dir()
DEFAULT_FILES = (BENCHMARKS / "cmrc2018_dev.json", BENCHMARKS / "drcd_dev.json")
CHUNK_SIZE, OVERLAP = 300, 50


def estimated_chunks(length: int) -> int:
    """Chunks the default chunking cuts a text of ``length`` characters into (about)."""
    return max(1, math.ceil((length - OVERLAP) / (CHUNK_SIZE - OVERLAP)))


def generate(
    out: Path,
    chunks: int,
    *,
    questions: int = 500,
    seed: int = 7,
    files: Sequence[Path] = DEFAULT_FILES,
) -> dict[str, int | str]:
    """Write the corpus and its questions to ``out``; returns the counts."""
    rng = random.Random(seed)
    documents, all_questions = load_squad(files)
    by_id = {d.id: d for d in documents}
    picked = rng.sample(list(all_questions), min(questions, len(all_questions)))
    gold_ids = sorted({q.doc_id for q in picked})
    gold = set(gold_ids)
    # Sentences of the non-gold paragraphs, per set (one script per article).
    pools: dict[str, list[str]] = {}
    titles: dict[str, list[str]] = {}
    for doc in documents:
        source = doc.source.split(":", 1)[0]
        titles.setdefault(source, []).append(doc.title)
        if doc.id in gold:
            continue
        pool = pools.setdefault(source, [])
        pool.extend(doc.text[s:e] for s, e in sentence_spans(doc.text) if e - s >= 8)
    sources = sorted(pools)
    out.mkdir(parents=True, exist_ok=True)
    gold_chunks = sum(estimated_chunks(len(by_id[g].text)) for g in gold_ids)
    total = gold_chunks
    n_random = 0
    # Gold articles go to random places among the others.
    lines: list[str] = []
    while total < chunks:
        source = rng.choice(sources)
        pool = pools[source]
        sentences = [rng.choice(pool) for _ in range(rng.randint(4, 12))]
        paragraphs = ["".join(sentences[i : i + 3]) for i in range(0, len(sentences), 3)]
        text = "\n\n".join(paragraphs)
        n_random += 1
        total += estimated_chunks(len(text))
        record = {
            "id": f"syn-{n_random:07d}",
            "title": f"{rng.choice(titles[source])}（{n_random}）",
            "text": text,
            "published": _date(rng),
            "source": f"synthetic/{source}/{n_random}",
        }
        lines.append(json.dumps(record, ensure_ascii=False))
    for doc_id in gold_ids:
        doc = by_id[doc_id]
        record = {
            "id": f"gold-{doc_id}",
            "title": doc.title,
            "text": doc.text,
            "published": _date(rng),
            "source": f"gold/{doc_id}",
        }
        lines.insert(rng.randint(0, len(lines)), json.dumps(record, ensure_ascii=False))
    with (out / "articles.jsonl").open("w", encoding="utf-8") as fh:
        for line in lines:
            fh.write(line + "\n")
    with (out / "questions.jsonl").open("w", encoding="utf-8") as fh:
        for q in picked:
            question: dict[str, object] = {
                "id": q.id,
                "question": q.question,
                "answers": list(q.answers),
                "doc_ids": [f"gold-{q.doc_id}"],
                "category": q.source,
            }
            fh.write(json.dumps(question, ensure_ascii=False) + "\n")
    meta: dict[str, int | str] = {
        "seed": seed,
        "articles": len(lines),
        "gold_articles": len(gold_ids),
        "questions": len(picked),
        "estimated_chunks": total,
    }
    (out / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    return meta


def extra_articles(corpus: Path, count: int, *, seed: int = 99, prefix: str = "new") -> Path:
    """``count`` more random articles (ids ``<prefix>-N``, not in the corpus) written to
    ``corpus/<prefix>-<count>.jsonl``, for measuring updates."""
    rng = random.Random(seed)
    documents, _ = load_squad(DEFAULT_FILES)
    pool = [
        doc.text[s:e] for doc in documents[::2] for s, e in sentence_spans(doc.text) if e - s >= 8
    ]
    path = corpus / f"{prefix}-{count}.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for i in range(count):
            sentences = [rng.choice(pool) for _ in range(rng.randint(4, 12))]
            text = "\n\n".join("".join(sentences[j : j + 3]) for j in range(0, len(sentences), 3))
            record = {
                "id": f"{prefix}-{i:05d}",
                "title": f"{prefix} {i}",
                "text": text,
                "published": _date(rng),
                "source": f"synthetic/{prefix}/{i}",
            }
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path


def _date(rng: random.Random) -> str:
    day = rng.randrange(5 * 365)
    stamp = time.gmtime(time.mktime((2020, 1, 1, 0, 0, 0, 0, 0, 0)) + day * 86400)
    return time.strftime("%Y-%m-%d", stamp)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chunks", type=int, required=True, help="about this many chunks")
    parser.add_argument("--out", type=Path, required=True, help="output folder")
    parser.add_argument("--questions", type=int, default=500)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    meta = generate(args.out, args.chunks, questions=args.questions, seed=args.seed)
    meta["seconds"] = f"{time.perf_counter() - t0:.1f}"
    print(json.dumps(meta))


if __name__ == "__main__":
    main()
