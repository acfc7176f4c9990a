"""Sentence and clause spans: boundaries, offsets and whitespace."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from corpus.sentences import clause_spans, sentence_spans


def _texts(text: str, spans: list[tuple[int, int]]) -> list[str]:
    return [text[s:e] for s, e in spans]


def test_sentences_end_at_chinese_and_western_marks() -> None:
    text = "会议在杭州召开。与会者有三百人！你来吗？He said yes. Done"
    assert _texts(text, sentence_spans(text)) == [
        "会议在杭州召开。",
        "与会者有三百人！",
        "你来吗？",
        "He said yes.",
        "Done",
    ]


def test_decimal_points_and_closing_quotes_stay_in_the_sentence() -> None:
    text = "GDP达23.2万亿元。他说：“我们会来。”随后离开。"
    assert _texts(text, sentence_spans(text)) == [
        "GDP达23.2万亿元。",
        "他说：“我们会来。”",
        "随后离开。",
    ]


def test_line_breaks_end_sentences_and_whitespace_is_trimmed() -> None:
    text = "  第一行没有句号\n\n  第二行。 \n"
    assert _texts(text, sentence_spans(text)) == ["第一行没有句号", "第二行。"]


def test_sentence_spans_of_a_window_are_offsets_into_the_whole_text() -> None:
    text = "甲。乙丙。丁。"
    assert sentence_spans(text, 2, 5) == [(2, 5)]
    assert _texts(text, sentence_spans(text, 2)) == ["乙丙。", "丁。"]


def test_clauses_split_on_commas_and_colons_not_inside_quotes() -> None:
    text = "以“创新协同长三角,发展新质生产力”为主题,会议在杭州召开：共有四家企业。"
    assert _texts(text, clause_spans(text)) == [
        "以“创新协同长三角,发展新质生产力”为主题,",
        "会议在杭州召开：",
        "共有四家企业。",
    ]


def test_enumeration_commas_do_not_split_clauses() -> None:
    text = "上海、江苏、浙江和安徽参加，会议成功。"
    assert _texts(text, clause_spans(text)) == ["上海、江苏、浙江和安徽参加，", "会议成功。"]


def test_empty_and_blank_texts_have_no_spans() -> None:
    assert sentence_spans("") == [] and sentence_spans(" \n\t ") == []
    assert clause_spans("") == [] and clause_spans("   ") == []


@given(st.text())
def test_sentence_spans_cover_every_non_space_character_once(text: str) -> None:
    spans = sentence_spans(text)
    covered = [False] * len(text)
    last = 0
    for s, e in spans:
        assert last <= s < e <= len(text)
        assert not text[s].isspace() and not text[e - 1].isspace()
        for i in range(s, e):
            covered[i] = True
        last = e
    assert all(covered[i] or text[i].isspace() for i in range(len(text)))


@given(st.text(alphabet=st.sampled_from("甲乙，,：“”「」（）。 ab")))
def test_clause_spans_are_ordered_trimmed_and_inside_the_text(text: str) -> None:
    last = 0
    for s, e in clause_spans(text):
        assert last <= s < e <= len(text)
        assert text[s:e] == text[s:e].strip()
        last = e


def _clause_spans_by_character(text: str) -> list[tuple[int, int]]:
    """clause_spans written the plain way, one character at a time (the reference)."""
    spans: list[tuple[int, int]] = []
    depth, pos = 0, 0

    def append(s: int, e: int) -> None:
        piece = text[s:e]
        s, e = s + len(piece) - len(piece.lstrip()), e - len(piece) + len(piece.rstrip())
        if e > s:
            spans.append((s, e))

    for i, ch in enumerate(text):
        if ch in "“‘「『《（(【":
            depth += 1
        elif ch in "”’」』》）)】":
            depth = max(0, depth - 1)
        elif depth == 0 and ch in "，,：:":
            append(pos, i + 1)
            pos = i + 1
    append(pos, len(text))
    return spans


@given(st.text(alphabet=st.sampled_from("甲乙，,：:“”‘’「」『』《》（）()【】、。 \nab")))
def test_clause_spans_match_a_character_by_character_reading(text: str) -> None:
    assert clause_spans(text) == _clause_spans_by_character(text)
