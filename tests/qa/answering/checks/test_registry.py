"""The one registry of checks, and the reason an answer is turned away: the first check
that fires, in the registry's order (qa.answering.checks.registry)."""

from __future__ import annotations

import importlib

import pytest

from corpus.types import Document
from qa import Assistant, AssistantConfig, analyze_question
from qa.answering.checks import CHECKS, Check, check_named, failures, first_failure, scoped
from qa.answering.checks.registry import MIN_FIRINGS
from qa.answering.extractive.sentences import Candidate
from tests.qa.answering.checks.evidence import SENTENCES, evidence

ORDER = ("constraint", "role")


def test_the_registry_is_one_tuple_of_named_checks_in_order() -> None:
    assert isinstance(CHECKS, tuple)
    assert tuple(c.name for c in CHECKS) == ORDER
    for check in CHECKS:
        assert isinstance(check.description, str) and check.description
        assert check.scope in ("statement", "answer")
        assert callable(check.fires)
    assert {c.name for c in scoped("answer")} == {"role"}
    assert {c.name for c in scoped("statement")} == {"constraint"}
    assert check_named("role") is CHECKS[ORDER.index("role")]
    with pytest.raises(KeyError, match="no check is called"):
        check_named("nothing")


def test_only_rules_that_fire_at_scale_are_kept() -> None:
    # The rules that fired fewer than MIN_FIRINGS times on the pooled benchmark are gone,
    # with their modules (docs/decisions.md).
    assert MIN_FIRINGS == 10
    for gone in ("currency", "name", "contrast", "counts", "place", "rank", "year"):
        with pytest.raises(ModuleNotFoundError):
            importlib.import_module(f"qa.answering.checks.{gone}")


@pytest.mark.parametrize(
    ("question", "sentence", "reason"),
    [
        ("第五届联席会议在哪里召开?", 0, "constraint"),
        ("第六届联席会议在哪里召开?", 0, ""),
        ("联盟已推动成立四批共多少个产业链联盟?", 1, "constraint"),
        ("长三角企业家联盟的秘书长是谁?", 1, "role"),
        ("规划发展局的局长是谁?", 3, "role"),
        ("规划发展局的处长是谁?", 3, ""),
        # rules not kept: these near misses are the confidence model's to turn away
        ("会上发布的《长三角民营企业发展倡议书》倡议了什么?", 2, ""),
        ("联盟开展了多少项合作?", 4, ""),
        ("该联盟是哪一年成立的?", 4, ""),
        # where several fire, the first in order is the reason
        ("第五届联席会议的局长是谁?", 0, "constraint"),
    ],
)
def test_the_first_check_that_fires_is_the_reason(
    candidates: list[Candidate], question: str, sentence: int, reason: str
) -> None:
    analysis = analyze_question(question)
    found = evidence(candidates[sentence], SENTENCES[sentence])
    assert first_failure(analysis, found) == reason
    fired = failures(analysis, found)
    assert (fired[0] if fired else "") == reason
    assert first_failure(analysis, found, ()) == ""


def test_any_class_with_the_protocols_members_is_a_check(candidates: list[Candidate]) -> None:
    class Always:
        name = "always"
        description = "fires on everything"
        scope = "answer"

        def fires(self, question, evidence) -> bool:  # type: ignore[no-untyped-def]
            return True

    checks: tuple[Check, ...] = (*CHECKS, Always())
    analysis = analyze_question("第六届联席会议在哪里召开?")
    assert first_failure(analysis, evidence(candidates[0]), checks) == "always"
    assert failures(analysis, evidence(candidates[0]), checks) == ("always",)


def test_a_near_miss_abstains_and_says_what_the_corpus_states() -> None:
    doc = Document(id="d", title="", text="".join(SENTENCES), source="d.txt")
    assistant = Assistant.from_documents([doc], AssistantConfig(model=""))
    answer = assistant.ask("長三角企業家聯盟已推動成立四批共多少個產業鏈聯盟?")
    assert answer.abstained and answer.confidence == 0.0
    assert "三批共14個" in answer.text and answer.citations
