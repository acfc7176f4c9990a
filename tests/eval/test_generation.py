"""Evaluating generated answers: the generation figures of a run, and the measurement of
verification's thresholds (pairs, grouped cross-validation, `--support-threshold`)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from eval import load_jsonl, run_questions, summarize
from eval.report import render_markdown
from eval.support import (
    KINDS,
    Pair,
    claim_for,
    cross_validate,
    support_pairs,
    threshold_study,
)
from qa import Assistant, AssistantConfig
from qa.cli import app
from tests.eval.conftest import SEED
from tests.qa.chat_server import ChatServer


def test_claims_from_questions() -> None:
    assert claim_for("创新子联盟由哪些企业牵头组建?", "浙江省能源集团等4家企业") == (
        "创新子联盟由浙江省能源集团等4家企业牵头组建"
    )
    assert claim_for("台风海葵最大风力达到几级?", "15级") == "台风海葵最大风力达到15级"
    assert claim_for("會議是哪天召開的?", "6月5日") == "會議是6月5日召開的"
    assert claim_for("请介绍台风。", "海葵") == "请介绍台风，海葵"


def test_pairs_are_labelled_by_kind(squad_file: Path) -> None:
    pairs = support_pairs([squad_file], seed=1)
    kinds = [p.kind for p in pairs]
    assert set(kinds) <= set(KINDS) and kinds.count("supported") == 4
    supported = {p.claim: p for p in pairs if p.kind == "supported"}
    gold = supported["台风海葵在台湾台东登陆"]
    assert gold.kept(0.15, 0.3)
    wrong = [p for p in pairs if p.kind == "wrong answer"]
    assert wrong and not any(p.kept(0.15, 0.3) for p in wrong)
    assert all(p.article.startswith("tiny_squad:") for p in pairs)


def test_cross_validation_keeps_articles_apart() -> None:
    def pair(kind: str, article: str, overlap: float) -> Pair:
        return Pair(kind, article, "c", ((overlap, overlap),))

    pairs = [
        pair(kind, f"a{i}", overlap)
        for i in range(6)
        for kind, overlap in (("supported", 0.8), ("wrong sentence", 0.1), ("wrong answer", 0.2))
    ]
    folds = cross_validate(pairs, folds=3)
    assert len(folds) == 3 and sum(f.pairs for f in folds) == len(pairs)
    assert all(f.held_out["balanced_accuracy"] == 1.0 for f in folds)
    for f in folds:  # the chosen thresholds keep the supported pairs, drop the others
        assert all(p.kept(f.threshold, f.novel_threshold) == p.supported for p in pairs)
    study = threshold_study(pairs, folds=3)
    assert study.pairs == {"supported": 6, "wrong sentence": 6, "wrong answer": 6}
    assert json.loads(json.dumps(study.to_dict()))["folds"][0]["pairs"] == 6
    with pytest.raises(ValueError, match="cannot make 7 folds"):
        cross_validate(pairs, folds=7)


def test_cli_support_threshold(squad_file: Path, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["eval", "--squad", str(squad_file), "--support-threshold", "--out", str(tmp_path)]
    )
    # Two articles make fewer folds than five: a clear error.
    assert result.exit_code == 2
    assert "2 article(s) cannot make 5 folds" in result.output
    needs_squad = CliRunner().invoke(app, ["eval", str(SEED), "--support-threshold"])
    assert needs_squad.exit_code == 2 and "--squad" in needs_squad.output


@pytest.fixture
def model() -> Iterator[ChatServer]:
    def reply(body: dict[str, Any]) -> str:
        question = body["messages"][-1]["content"].rsplit("问题：", 1)[-1]
        if "GDP" in question:
            return "长三角三省一市前三季度的GDP总量达23.2万亿元[1]。约占全国的一半[1]。"
        return "我不知道。"

    with ChatServer(reply) as server:
        yield server


def test_a_run_with_a_language_model_reports_generation(
    seed_assistant: Assistant, model: ChatServer
) -> None:
    config = AssistantConfig(
        model="", generator="openai", llm_model="test-model", llm_base_url=model.url
    )
    assistant = Assistant(seed_assistant.snapshot, config)
    questions = [q for q in load_jsonl(SEED) if q.id in {"b-gdp", "a-venue"}]
    run = run_questions(assistant, questions)
    by_id = {r.question.id: r for r in run.results}
    gdp, venue = by_id["b-gdp"], by_id["a-venue"]
    assert gdp.metrics["generated_sentences"] == 2 and gdp.metrics["dropped_sentences"] == 1
    assert gdp.metrics["dropped_share"] == 0.5 and gdp.metrics["fallback"] == 0.0
    assert venue.metrics["fallback"] == 1.0 and venue.metrics["dropped_share"] is None
    record = gdp.to_record()
    assert (record["generator"], record["dropped"], record["fallback"]) == (
        "openai:test-model",
        1,
        "",
    )
    summary = summarize(run)
    gen = summary["generation"]
    assert gen["generator"] == "openai:test-model"
    assert (gen["sentences"], gen["sentences_dropped"]) == (2, 1)
    assert gen["sentences_dropped_share"] == 0.5 and gen["fallback_rate"] == 0.5
    assert gen["fallback_reasons"] == {"model found no answer": 1}
    assert run.meta["config"]["generator"] == "openai"
    assert "## Generated answers" in render_markdown(summary)


def test_an_extractive_run_has_no_generation_section(seed_assistant: Assistant) -> None:
    run = run_questions(seed_assistant, load_jsonl(SEED)[:2])
    assert "generation" not in summarize(run)
    assert "fallback" not in run.results[0].metrics
