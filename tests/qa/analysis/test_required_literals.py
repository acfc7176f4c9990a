"""The literal prefilter: a text it turns down matches no pattern it was built from."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa.analysis.required_literals import (
    LiteralIndex,
    literal_prefilter,
    required_literals,
)
from qa.answering import instructions
from tests.qa.injections import HELD_OUT, HELD_OUT_2, HELD_OUT_3, HELD_OUT_4, INJECTIONS, NEWS


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("abc", {"abc"}),
        ("a(?:b|c)d", {"abd", "acd"}),
        ("x.*(?:foo|bar)", {"foo", "bar"}),
        ("ab?c", {"ac", "abc"}),
        ("[xy]z", {"xz", "yz"}),
        ("(?<![a-z])you(?![a-z])", {"you"}),
        ("(?:ab)+", {"ab"}),
    ],
)
def test_the_literals_a_match_must_hold(pattern: str, expected: set[str]) -> None:
    assert required_literals(pattern) == expected


@pytest.mark.parametrize("pattern", ["a?", ".*", "[^a]", "(?i)abc", "x|.", "(?:ab)*", r"\w+"])
def test_no_literal_where_a_match_may_hold_none(pattern: str) -> None:
    assert required_literals(pattern) is None
    assert literal_prefilter([pattern, "abc"]) is None


def test_the_prefilter_passes_a_text_with_a_literal() -> None:
    prefilter = literal_prefilter(["忽略.{0,5}指令", "请"])
    assert prefilter is not None
    assert prefilter("请回答")
    assert prefilter("忽略")
    assert not prefilter("今天天气很好")


_PATTERNS = [
    "ab(?:cd|e)f",
    "x[yz]+w?",
    "(?:foo|ba+r).{0,3}baz",
    "q(?=r)r",
    "(?:你|您)的?(?:答案|回答)",
]
_PREFILTER = literal_prefilter(_PATTERNS)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdefqrwxyzfoobarz你您的答案回 ", max_size=24))
def test_a_text_the_prefilter_turns_down_matches_no_pattern(text: str) -> None:
    assert _PREFILTER is not None
    if not _PREFILTER(text):
        assert not any(re.search(p, text) for p in _PATTERNS)


# The rules of the instruction detector, on texts made of their own words.
_RULE_WORDS = sorted(
    {w for _, _, p in instructions.RULES for w in (required_literals(p) or ())}, key=len
)[:400]
# Texts made of the rules' words and a few common characters, as lists of pieces.
_RULE_TEXTS = st.lists(
    st.one_of(
        st.sampled_from(_RULE_WORDS), st.text(alphabet="的了是在他们，。：你请 ", max_size=3)
    ),
    max_size=8,
)
# Built once: deriving it from the rules' syntax trees is most of a case's cost.
_RULES_PREFILTER = literal_prefilter(p for _, _, p in instructions.RULES)


@settings(max_examples=300, deadline=None)
@given(_RULE_TEXTS)
def test_the_detector_reads_a_text_as_its_rules_do(pieces: list[str]) -> None:
    text = "".join(pieces)
    compact, spans, closers = instructions._compact(instructions.fold_for_instructions(text))
    assert _RULES_PREFILTER is not None
    if compact and not _RULES_PREFILTER(compact):
        assert instructions._LITERALS.live(compact) == 0
        assert instructions._rule(compact, spans, closers) == ""


@pytest.mark.parametrize(
    "sentence",
    [s for table in (INJECTIONS, HELD_OUT, HELD_OUT_2, HELD_OUT_3, HELD_OUT_4) for _, s, _ in table]
    + list(NEWS),
)
def test_the_prefilter_passes_every_planted_instruction(sentence: str) -> None:
    compact, spans, closers = instructions._compact(instructions.fold_for_instructions(sentence))
    rule = instructions._rule(compact, spans, closers)
    if rule:
        kinds = (
            instructions._ANYWHERE
            + instructions._ORDERS
            + instructions._CLAUSES
            + instructions._LABELS
            + instructions._FIRST_LABELS
        )
        bit = next(b for n, _, b in kinds if n == rule)
        assert instructions._LITERALS.live(compact) & bit


def test_the_index_tells_which_patterns_may_match() -> None:
    index = LiteralIndex.of(["abc", "x", "(?:qr|zz)y", ".*"])
    assert index.always == 0b1000
    assert index.live("") == 0b1000
    assert index.live("abx") == 0b1000 | 0b10 | 0b1  # "ab" is abc's key, x is x's
    assert index.live("zzy") == 0b1000 | 0b100
    assert index.live("qq") == 0b1000
    for text in ("abc", "xyz", "qry", "aqrb"):
        live = index.live(text)
        for i, pattern in enumerate(["abc", "x", "(?:qr|zz)y", ".*"]):
            if re.search(pattern, text):
                assert live >> i & 1


def _rule_without_prefilters(compact: str, spans: Any, closers: Any) -> str:
    """The rules searched one by one, none left out."""
    for name, pattern, _ in instructions._ANYWHERE:
        if pattern.search(compact):
            return name
    for i, (start, end) in enumerate(spans):
        for name, pattern, _ in instructions._ORDERS:
            if pattern.match(compact, start):
                return name
        for name, pattern, _ in instructions._CLAUSES:
            if pattern.fullmatch(compact, start, end):
                return name
        if closers[i] in instructions._LABEL_ENDS:
            labels = instructions._LABELS + (instructions._FIRST_LABELS if i == 0 else ())
            for name, pattern, _ in labels:
                if pattern.fullmatch(compact, start, end):
                    return name
    return ""


@settings(max_examples=300, deadline=None)
@given(_RULE_TEXTS)
def test_each_rule_s_prefilter_leaves_out_only_rules_that_cannot_match(pieces: list[str]) -> None:
    compact, spans, closers = instructions._compact(
        instructions.fold_for_instructions("".join(pieces))
    )
    live = instructions._LITERALS.live(compact)
    assert instructions._rule(compact, spans, closers, live) == _rule_without_prefilters(
        compact, spans, closers
    )


@pytest.mark.parametrize(
    "sentence",
    [
        s
        for table in (INJECTIONS, HELD_OUT, HELD_OUT_2, HELD_OUT_3, HELD_OUT_4)
        for _, s, _ in table
    ],
)
def test_every_planted_instruction_reads_as_without_prefilters(sentence: str) -> None:
    compact, spans, closers = instructions._compact(instructions.fold_for_instructions(sentence))
    live = instructions._LITERALS.live(compact)
    assert instructions._rule(compact, spans, closers, live) == _rule_without_prefilters(
        compact, spans, closers
    )


def test_the_stored_literal_index_of_the_rules_is_current() -> None:
    # The index is derived once and stored (parsing every rule costs each process about
    # 50 ms); a rule changed without storing it again is caught here.
    import json  # noqa: PLC0415

    from qa.analysis.required_literals import LiteralIndex, fingerprint
    from qa.answering import instructions

    patterns = [pattern for _, _, pattern in instructions.RULES]
    stored = json.loads(instructions._STORED_LITERALS.read_text(encoding="utf-8"))
    assert stored["fingerprint"] == fingerprint(patterns), (
        "the instruction rules changed: python -m qa.answering.instructions --write-literals"
    )
    assert LiteralIndex.from_json(stored) == LiteralIndex.of(patterns)
    assert instructions._LITERALS == LiteralIndex.of(patterns)


def test_a_stale_or_missing_stored_index_is_derived_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qa.analysis.required_literals import LiteralIndex
    from qa.answering import instructions

    derived = LiteralIndex.of([pattern for _, _, pattern in instructions.RULES])
    stale = tmp_path / "literals.json"
    stale.write_text('{"fingerprint": "old", "keys": {}, "always": 0}', encoding="utf-8")
    for path in (stale, tmp_path / "missing.json"):
        monkeypatch.setattr(instructions, "_STORED_LITERALS", path)
        assert instructions._literal_index() == derived
    instructions.write_literal_index(stale)
    assert instructions._literal_index() == derived
