"""Typed spans with the literal prefilter are the typed spans of every pattern run."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.normalize import normalize_for_matching
from qa.analysis import spans
from qa.analysis.required_literals import (
    LiteralIndex,
    fingerprint,
    live_scanner,
    required_literals,
    stored_index,
    write_index,
)
from qa.analysis.spans import TypedSpan, typed_spans
from qa.lexicon import CHINESE_NUMERALS, DYNASTIES, UNITS


def _every_pattern(folded: str) -> list[TypedSpan]:
    """typed_spans as it was: every pattern run on the text."""
    found: list[TypedSpan] = []
    taken = bytearray(len(folded))
    for kind, pattern in spans._COMPILED:
        for m in pattern.finditer(folded):
            s, e = m.span()
            if e > s and not any(taken[s:e]):
                found.append(TypedSpan(s, e, kind, m.group()))
                taken[s:e] = b"\x01" * (e - s)
    found.sort(key=lambda t: t.start)
    return found


_INDEX = LiteralIndex.of(pattern for _, pattern in spans._COMPILED)
_LITERALS = sorted(
    {s for _, p in spans._COMPILED for s in required_literals(p) or ()} | set(_INDEX.keys)
)
_PIECES = st.one_of(
    st.sampled_from(_LITERALS),
    st.sampled_from(UNITS),
    st.sampled_from(list(CHINESE_NUMERALS + DYNASTIES + "0123456789")),
    st.sampled_from(
        ["年", "月", "日", "号", "%", "％", "个百分点", "百分之", "分之", "世纪", "公元前"]
        + ["第", "首", "朝", "代", "初", "中", "末", "期", "叶", "季度", "上半年", "全年"]
        + [":", "：", "时", "点", "分", "半", "-", "至", "~", ".", ",", "个", "多", "余"]
        + ["“", "”", "「", "」", "『", "』", '"', "《", "》", "〈", "〉", "\n", " ", "的"]
    ),
    st.text(max_size=3),
)


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text(text: str) -> None:
    assert typed_spans(text) == _every_pattern(text)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_PIECES, max_size=30))
def test_text_of_the_patterns_own_pieces(pieces: list[str]) -> None:
    text = "".join(pieces)
    assert typed_spans(text) == _every_pattern(text)
    folded = normalize_for_matching(text)
    assert typed_spans(folded) == _every_pattern(folded)


def test_news_text() -> None:
    text = normalize_for_matching(
        "1953年8月15日,公元前3世纪,唐朝末期,20世纪中后期,增长5.2%,上升3个百分点,"
        "前三季度,下午3时30分,12:45,第十二届,首批,“四链”,《倡议书》,23.2万亿元,"
        "约占全国的四分之一,一九九八年十月一日,7-9月,二〇二四年"
    )
    assert typed_spans(text) == _every_pattern(text)
    assert len(typed_spans(text)) >= 15


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(max_size=60), st.lists(_PIECES, max_size=30).map("".join)))
def test_the_scanner_is_the_index_s_live(text: str) -> None:
    assert live_scanner(_INDEX)(text) == _INDEX.live(text)
    assert spans._LIVE(text) == _INDEX.live(text)


def test_the_number_pattern_always_runs() -> None:
    number = [i for i, (kind, _) in enumerate(spans._COMPILED) if kind == "number"]
    assert number and all(_INDEX.always >> i & 1 for i in number)
    assert spans._LIVE("") == _INDEX.always


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=60))
def test_the_scanner_of_the_instruction_rules_is_their_index_s_live(text: str) -> None:
    from qa.answering import instructions  # noqa: PLC0415

    index = instructions._LITERALS
    assert live_scanner(index)(text) == index.live(text)


def test_the_scanner_of_the_instruction_rules_finds_each_key() -> None:
    from qa.answering import instructions  # noqa: PLC0415

    index = instructions._LITERALS
    scanner = live_scanner(index)
    for key in index.keys:
        assert scanner(f"前{key}后") == index.live(f"前{key}后")


def test_the_stored_literal_index_of_the_patterns_is_current() -> None:
    # Stored to save each process about 5 ms of parsing; a pattern changed without
    # storing the index again is caught here.
    patterns = [pattern for _, pattern in spans._COMPILED]
    stored = json.loads(spans._STORED_LITERALS.read_text(encoding="utf-8"))
    assert stored["fingerprint"] == fingerprint(patterns), (
        "the span patterns changed: python -m qa.analysis.spans --write-literals"
    )
    assert LiteralIndex.from_json(stored) == _INDEX
    assert stored_index(patterns, spans._STORED_LITERALS) == _INDEX


def test_a_stale_broken_or_missing_stored_index_is_derived_again(tmp_path: Path) -> None:
    patterns = [pattern for _, pattern in spans._COMPILED]
    stale = tmp_path / "stale.json"
    stale.write_text('{"fingerprint": "old", "keys": {}, "always": 0}', encoding="utf-8")
    broken = tmp_path / "broken.json"
    broken.write_text("[1, 2", encoding="utf-8")
    listed = tmp_path / "listed.json"
    listed.write_text("[]", encoding="utf-8")
    for path in (stale, broken, listed, tmp_path / "missing.json"):
        assert stored_index(patterns, path) == _INDEX
    write_index(patterns, stale)
    assert stored_index(patterns, stale) == _INDEX
    assert json.loads(stale.read_text(encoding="utf-8"))["fingerprint"] == fingerprint(patterns)
