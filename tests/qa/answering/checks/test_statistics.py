"""Firing statistics of the checks over readings (qa.answering.checks.statistics)."""

from __future__ import annotations

from corpus.types import Document
from qa import Assistant, AssistantConfig, analyze_question
from qa.answering.checks import CHECKS
from qa.answering.checks.statistics import (
    Observation,
    assistant_check_statistics,
    firing_statistics,
)
from qa.answering.extractive.sentences import Candidate
from tests.qa.answering.checks.evidence import SENTENCES, evidence


def test_counts_firings_gold_and_confidence(candidates: list[Candidate]) -> None:
    near_miss = analyze_question("第五届联席会议在哪里召开?")
    right = analyze_question("第六届联席会议在哪里召开?")
    both = analyze_question("第五届联席会议的局长是谁?")  # constraint and role
    observations = [
        Observation(near_miss, evidence(candidates[0]), holds_gold=True, confident=True),
        Observation(near_miss, evidence(candidates[0]), holds_gold=False, confident=True),
        Observation(right, evidence(candidates[0]), holds_gold=True, confident=True),
        Observation(both, evidence(candidates[0]), holds_gold=True, confident=False),
    ]
    stats = firing_statistics(observations)
    assert stats.readings == 4
    assert [f.name for f in stats.checks] == [c.name for c in CHECKS]
    constraint = stats["constraint"]
    assert (constraint.fires, constraint.holds_gold, constraint.confident) == (3, 2, 1)
    assert (constraint.first, constraint.first_holds_gold, constraint.first_confident) == (3, 2, 1)
    # role fires too, but constraint is the reason given
    role = stats["role"]
    assert (role.fires, role.first, role.holds_gold, role.confident) == (1, 0, 1, 0)
    assert sum(f.first for f in stats.checks) == 3
    table = stats.table()
    assert table.startswith("4 readings") and "| constraint: " in table
    assert len(table.splitlines()) == 4 + len(CHECKS)


def test_over_an_assistants_corpus() -> None:
    doc = Document(id="d", title="", text="".join(SENTENCES), source="d.txt")
    assistant = Assistant.from_documents([doc], AssistantConfig(model=""))
    questions = [
        ("第五届长三角地区国资国企联席会议在哪里召开?", ["浙江杭州"]),
        ("第六届长三角地区国资国企联席会议在哪里召开?", ["浙江杭州"]),
        ("长三角企业家联盟已推动成立四批共多少个产业链联盟?", ["14个"]),
    ]
    done: list[int] = []
    stats = assistant_check_statistics(assistant, questions, progress=done.append)
    assert done == [1, 2, 3] and stats.readings == 3
    constraint = stats["constraint"]
    assert constraint.fires == 2 and constraint.holds_gold == 2
