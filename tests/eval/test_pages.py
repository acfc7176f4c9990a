"""Page extraction scored against hand-made truth (``qa eval --pages``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from eval.pages import (
    Prediction,
    author_verdict,
    bag_scores,
    date_verdict,
    load_truth,
    parse_truth_date,
    score_system,
    split_of,
)
from qa.cli import app

BODY = "据悉，这是长三角国资百企联盟下设的第一个专业子联盟，由浙江省能源集团等4家企业牵头组建。"


def test_bag_of_characters_ignores_whitespace_and_punctuation() -> None:
    assert bag_scores("长三角，联盟。", "长 三 角 联 盟") == (1.0, 1.0, 1.0)
    p, r, f = bag_scores("长三角联盟菜单", "长三角联盟")
    assert r == 1.0 and p == pytest.approx(5 / 7) and 0 < f < 1
    assert bag_scores("", "长三角") == (0.0, 0.0, 0.0)


@given(st.text(max_size=40), st.text(max_size=40))
def test_bag_scores_are_bounded_and_symmetric_in_f1(a: str, b: str) -> None:
    p, r, f = bag_scores(a, b)
    assert 0 <= p <= 1 and 0 <= r <= 1 and 0 <= f <= 1
    assert bag_scores(b, a)[2] == pytest.approx(f)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2005-5-7 21:23:57", (2005, 5, 7)),
        ("2005-07-31 12:30", (2005, 7, 31)),
        ("1998-3", (1998, 3)),
        ("2018", (2018,)),
        ("2003-5刘涛", (2003, 5)),
        ("UNKNOWN", ()),
        ("UNKNWON", ()),
    ],
)
def test_truth_dates(value: str, expected: tuple[int, ...]) -> None:
    assert parse_truth_date(value) == expected


def test_date_and_author_verdicts() -> None:
    assert date_verdict("2005-05-07T21:23:57", (2005, 5, 7)) == "right"
    assert date_verdict("2005-05-08", (2005, 5, 7)) == "wrong"
    assert date_verdict("1998-03", (1998, 3)) == "right"  # to the truth's precision
    assert date_verdict("1998", (1998, 3)) == "wrong"  # less precise than the truth
    assert date_verdict("", (2005, 5, 7)) == "missing"
    assert date_verdict("2005-05-07", ()) == "wrong"  # a date where none is stated
    assert date_verdict("", ()) == "none"
    assert date_verdict("2005-05-07", None) == "n/a"
    assert author_verdict("王建宏 张文攀", frozenset({"张文攀", "王建宏"})) == "right"
    assert author_verdict("王建宏", frozenset({"张文攀", "王建宏"})) == "wrong"
    assert author_verdict("某网", frozenset()) == "wrong"
    assert author_verdict("", frozenset({"张三"})) == "missing"


def test_split_is_stable_and_roughly_eleven_sixteenths() -> None:
    ids = [f"page-{i}" for i in range(1600)]
    dev = sum(split_of(i) == "dev" for i in ids)
    assert 0.6 < dev / len(ids) < 0.77
    assert all(split_of(i) == split_of(i) for i in ids[:50])


def write_pages(folder: Path) -> None:
    for kind in ("original", "cleaned", "date", "author"):
        (folder / kind).mkdir(parents=True)
    html = (
        "<html><head><meta charset='utf-8'><title>联盟成立_示例网</title></head><body>"
        "<h1>联盟成立</h1><div>2024-06-05 10:20 来源：示例网 记者 张三</div>"
        + "".join(f"<p>{BODY}第{i}段。</p>" for i in range(4))
        + "</body></html>"
    )
    (folder / "original" / "a.html").write_text(html, encoding="utf-8")
    (folder / "cleaned" / "a.txt").write_text(
        "\n".join(f"{BODY}第{i}段。" for i in range(4)), encoding="utf-8"
    )
    (folder / "date" / "a.txt").write_text("2024-06-05 10:20", encoding="utf-8")
    (folder / "author" / "a.txt").write_text("张三", encoding="utf-8")
    (folder / "original" / "b.html").write_text(
        "<html><body><ul>"
        + "".join(f"<li><a href='/{i}'>第{i}条新闻标题在这里</a></li>" for i in range(30))
        + "</ul></body></html>",
        encoding="utf-8",
    )
    (folder / "cleaned" / "b.txt").write_text("", encoding="utf-8")
    (folder / "date" / "b.txt").write_text("UNKNOWN", encoding="utf-8")
    (folder / "author" / "b.txt").write_text("", encoding="utf-8")  # not annotated


def test_score_a_folder(tmp_path: Path) -> None:
    write_pages(tmp_path)
    pages = load_truth(tmp_path)
    assert [p.id for p in pages] == ["a", "b"] and pages[1].authors is None
    score = score_system(
        "x",
        pages,
        [
            Prediction(text=pages[0].text, date="2024-06-05", author="张三"),
            Prediction(skipped="list-page"),
        ],
    )
    assert score.f1 == pytest.approx(0.5) and score.skipped == 1
    assert score.dates == {"right": 1, "none": 1} and score.authors == {"right": 1, "n/a": 1}


def test_qa_eval_pages(tmp_path: Path) -> None:
    write_pages(tmp_path / "pages")
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["eval", "--pages", str(tmp_path / "pages"), "--systems", "project", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    assert "| project |" in result.output and (out / "summary.json").exists()
    row = next(line for line in result.output.splitlines() if line.startswith("| project |"))
    assert "**1** / 0 / 0 of 1" in row  # the date and the author, right


def test_qa_eval_pages_needs_a_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["eval", "--pages", str(tmp_path / "missing.json")])
    assert result.exit_code == 2
