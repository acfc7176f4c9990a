"""A worker's memory over many questions: one process asks distinct questions of an
index and prints its resident memory (RSS, anonymous, file-backed) as it goes.

Usage::

    python -m bench.worker_memory --index bench-data/100k/index --questions 10000 [--out FILE]

The questions are the CMRC 2018 and DRCD dev questions (:data:`bench.synth.DEFAULT_FILES`,
6,743, shuffled), then questions made of fragments of the corpus's articles
(``articles.jsonl`` beside the index) until there are ``--questions``: each is new to
the caches, as a worker's questions are. ``--tracemalloc`` adds the 30 places of our
code holding the most memory at the end (slower: about three times).
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import time
from collections.abc import Sequence
from pathlib import Path

from bench.common import index_chunks, machine, write_result
from bench.synth import DEFAULT_FILES

_TAILS = ("是什么？", "是哪一年？", "在哪里？", "是谁？", "有多少？")


def memory() -> dict[str, int]:
    """VmRSS, RssAnon and RssFile of this process, in MiB (Linux)."""
    found: dict[str, int] = {}
    with open("/proc/self/status", encoding="ascii") as f:
        for line in f:
            key = line.split(":")[0]
            if key in ("VmRSS", "RssAnon", "RssFile"):
                found[key] = int(line.split()[1]) // 1024
    return found


def questions(index: Path, count: int, seed: int = 3) -> list[str]:
    """``count`` distinct questions (see the module)."""
    asked: list[str] = []
    for path in DEFAULT_FILES:
        data = json.loads(path.read_text(encoding="utf-8"))
        asked += [q["question"] for a in data["data"] for p in a["paragraphs"] for q in p["qas"]]
    rng = random.Random(seed)
    rng.shuffle(asked)
    if len(asked) < count:
        articles = index.parent / "articles.jsonl"
        texts = [
            t
            for line in articles.open(encoding="utf-8")
            if len(t := json.loads(line)["text"]) >= 60
        ]
        while len(asked) < count:
            text = rng.choice(texts)
            at = rng.randrange(0, len(text) - 40)
            fragment = text[at : at + rng.randint(10, 22)].strip("，。、；")
            asked.append(fragment + rng.choice(_TAILS))
    return asked[:count]


def _where(limit: int) -> list[str]:
    import tracemalloc

    held: collections.Counter[str] = collections.Counter()
    for stat in tracemalloc.take_snapshot().statistics("traceback"):
        frames = list(stat.traceback)[::-1]  # the most recent call first
        ours = [
            f for f in frames if any(p in f.filename for p in ("/qa/", "/embeddings/", "/corpus/"))
        ]
        frame = (ours or frames)[0]
        held[f"{frame.filename}:{frame.lineno}"] += stat.size
    return [f"{size / 2**20:7.1f} MiB  {where}" for where, size in held.most_common(limit)]


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--questions", type=int, default=10_000)
    parser.add_argument("--every", type=int, default=1000, help="print after this many")
    parser.add_argument("--tracemalloc", action="store_true")
    parser.add_argument("--out", type=Path, default=None, help="append the record to this file")
    args = parser.parse_args(argv)
    if args.tracemalloc:
        import tracemalloc

        tracemalloc.start(4)
    from qa import Assistant, AssistantConfig

    asked = questions(args.index, args.questions)
    start = time.process_time()
    assistant = Assistant.load(args.index, AssistantConfig(model=""))
    samples: list[dict[str, float]] = [{"asked": 0, **memory()}]
    print(json.dumps(samples[-1]), flush=True)
    for i, question in enumerate(asked, 1):
        assistant.ask(question)
        if i == 1 or i % args.every == 0 or i == len(asked):
            cpu = round(time.process_time() - start, 1)
            samples.append({"asked": i, **memory(), "cpu_s": cpu})
            print(json.dumps(samples[-1]), flush=True)
    if args.tracemalloc:
        print("\n".join(_where(30)))
    write_result(
        args.out,
        {
            "benchmark": "worker_memory",
            "index": str(args.index),
            "chunks": index_chunks(args.index),
            "machine": machine(),
            "questions": len(asked),
            "tracemalloc": args.tracemalloc,
            "samples": samples,
        },
    )


if __name__ == "__main__":
    main()
