"""Evaluation: question-set formats, metrics and the benchmark runner."""

from __future__ import annotations

from eval.metrics import first_relevant_rank, hit_at_k, mrr_at_k
from eval.squad import BenchmarkQuestion, load_squad

__all__ = ["BenchmarkQuestion", "first_relevant_rank", "hit_at_k", "load_squad", "mrr_at_k"]
