"""CPU time and wall time per `Assistant.ask` on the bundled seed articles.

Usage (from the repository root):
python docs/scripts/ask_latency.py [ROUNDS] [--profile] [--cold]

Asks the seed and near-miss questions ROUNDS times (default 10) after one warm-up pass,
BM25 only, in one process, and prints p50/p95 wall time and the mean CPU time per ask
(CPU time is the figure to compare on a shared machine). ``--profile`` prints a
pyinstrument profile of the timed rounds (``pip install pyinstrument``). ``--cold``
clears the cache of sentences' jieba words before every ask, as a corpus too large
for the cache to hold them would (the asks then tag every sentence they rank).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

from qa import Assistant, AssistantConfig
from qa.answering.extractive.words import sentence_words

ROOT = Path(__file__).resolve().parents[2]
SETS = ("eval/questions/seed.jsonl", "eval/questions/near_miss.jsonl")


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    rounds = int(args[0]) if args else 10
    questions = [
        json.loads(line)["question"]
        for name in SETS
        if (ROOT / name).exists()
        for line in (ROOT / name).read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assistant = Assistant.from_paths([ROOT / "corpus" / "articles"], AssistantConfig(model=""))
    for q in questions:
        assistant.ask(q)
    profiler = None
    if "--profile" in sys.argv:
        from pyinstrument import Profiler

        profiler = Profiler()
        profiler.start()
    cold = "--cold" in sys.argv
    times: list[float] = []
    cpu0 = time.process_time()
    for _ in range(rounds):
        for q in questions:
            if cold:
                sentence_words.cache_clear()
            t = time.perf_counter()
            assistant.ask(q)
            times.append((time.perf_counter() - t) * 1000)
    cpu = (time.process_time() - cpu0) * 1000 / len(times)
    if profiler is not None:
        profiler.stop()
        print(profiler.output_text(unicode=True, color=False))
    times.sort()
    print(
        f"{len(times)} asks: p50 {statistics.median(times):.2f} ms, "
        f"p95 {times[int(0.95 * len(times))]:.2f} ms, CPU {cpu:.2f} ms per ask"
    )


if __name__ == "__main__":
    main()
