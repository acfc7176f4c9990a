"""Subsets of the real benchmarks (CMRC 2018, DRCD) through the eval runner: slow."""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from eval import load_squad_questions, run_questions, summarize
from qa import Assistant, AssistantConfig

ROOT = Path(__file__).resolve().parents[2]
# shared/ lies beside the checkout (in development and in CI); QA_BENCHMARKS_DIR overrides.
BENCH = Path(os.environ.get("QA_BENCHMARKS_DIR", str(ROOT.parent / "shared" / "benchmarks")))
FILES = [BENCH / "cmrc2018_dev.json", BENCH / "drcd_dev.json"]

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not all(f.exists() for f in FILES), reason="benchmark files not available"),
]


def test_pooled_benchmark_subset() -> None:
    documents, questions = load_squad_questions(FILES)
    assert len(questions) == 3219 + 3524
    sample = random.Random(0).sample(list(questions), 400)
    assistant = Assistant.from_documents(documents, AssistantConfig(model=""))
    summary = summarize(run_questions(assistant, sample), resamples=200)
    m = summary["metrics"]
    assert m["article_hit@5"]["mean"] > 0.95
    assert m["chunk_hit@10"]["mean"] > 0.9
    assert m["citation_valid"]["mean"] == 1.0
    assert {"cmrc2018_dev", "drcd_dev"} <= set(summary["categories"])


def test_lead_benchmark_script_still_runs(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "eval.benchmark", *map(str, FILES), "--tokenizers", "char12",
         "--limit", "20", "--holdout", "0", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "chunk_hit@1" in proc.stdout and out.exists()
