"""The one [n] marker pattern."""

from __future__ import annotations

from qa import MARKER, marker_numbers, strip_markers


def test_strip_markers_removes_markers_and_the_space_before_them() -> None:
    assert strip_markers("甲 [1]；乙 [2]") == "甲；乙"
    assert strip_markers("無標記") == "無標記"
    assert strip_markers(" [3] ") == ""


def test_marker_numbers_in_order() -> None:
    assert marker_numbers("a [2] b [10][1]") == [2, 10, 1]
    assert marker_numbers("[x] [ 1]") == []


def test_marker_pattern_needs_digits_in_brackets() -> None:
    assert MARKER.search("見[12]") and not MARKER.search("見[]") and not MARKER.search("見【1】")
