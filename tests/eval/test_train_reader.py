"""The training command's synthetic unanswerable questions, small corpora and generated
near misses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer

from corpus.types import Document
from eval.questions import Question
from eval.train_reader import answer_deleted, near_miss_questions, small_corpora
from qa import TrainingQuestion
from qa.answering.extractive.training import _folds

DOCS = (
    Document(
        id="p1",
        title="a",
        text="論壇在杭州閉幕。論壇秘書長李明出席。共簽約45個項目。",
        source="x",
        meta=(("article", "A"),),
    ),
    Document(id="p2", title="a", text="論壇由市政府主辦。", source="x", meta=(("article", "A"),)),
    Document(
        id="p3",
        title="b",
        text="新館藏書300萬冊。李明參觀了新館。",
        source="x",
        meta=(("article", "B"),),
    ),
    Document(
        id="p4", title="c", text="港口由省海港集團運營。", source="x", meta=(("article", "C"),)
    ),
)


def _q(qid: str, question: str, answer: str, doc: str) -> Question:
    return Question(qid, question, (answer,), (doc,), True)


def test_the_sentence_holding_the_answer_is_deleted_and_nothing_else() -> None:
    questions = [_q("q1", "论坛秘书长是谁?", "李明", "p1")]
    docs, out = answer_deleted(questions, DOCS, {"q1": "A"}, 10, seed=1)
    changed = {d.id: d for d in docs}
    assert changed["p1"].text == "論壇在杭州閉幕。共簽約45個項目。"
    assert [d.text for d in docs if d.id != "p1"] == [d.text for d in DOCS if d.id != "p1"]
    assert len(out) == 1 and out[0].answers == () and out[0].group == "A"
    # Another article naming the same person does not matter: it is another article.
    assert "李明" in changed["p3"].text


def test_answers_found_elsewhere_in_the_article_or_emptying_the_paragraph_are_skipped() -> None:
    questions = [
        _q("q1", "论坛在哪里闭幕?", "杭州", "p1"),
        _q("q2", "论坛由谁主办?", "市政府", "p2"),  # p2 is one sentence
        _q("q3", "论坛秘书长是谁?", "論壇", "p1"),  # the answer is all over the article
    ]
    docs, out = answer_deleted(questions, DOCS, {"q1": "A", "q2": "A", "q3": "A"}, 10, seed=1)
    assert [q.question for q in out] == ["论坛在哪里闭幕?"]
    assert {d.id: d.text for d in docs}["p2"] == "論壇由市政府主辦。"


def test_one_question_per_paragraph_and_at_most_count() -> None:
    questions = [
        _q("q1", "论坛在哪里闭幕?", "杭州", "p1"),
        _q("q2", "论坛秘书长是谁?", "李明", "p1"),
        _q("q3", "新馆藏书多少?", "300萬冊", "p3"),
        _q("q4", "港口由谁运营?", "省海港集團", "p4"),
    ]
    article = {"q1": "A", "q2": "A", "q3": "B", "q4": "C"}
    _, out = answer_deleted(questions, DOCS, article, 10, seed=3)
    assert len(out) == 2  # one of q1/q2 for p1, q3; p4 would be left empty
    _, out = answer_deleted(questions, DOCS, article, 1, seed=3)
    assert len(out) == 1


def test_small_corpora_hold_every_article_once_with_its_questions() -> None:
    questions = [
        _q("q1", "论坛在哪里闭幕?", "杭州", "p1"),
        _q("q2", "论坛由谁主办?", "市政府", "p2"),
        _q("q3", "新馆藏书多少?", "300萬冊", "p3"),
        _q("q4", "港口由谁运营?", "省海港集團", "p4"),
    ]
    article = {"q1": "A", "q2": "A", "q3": "B", "q4": "C"}
    near = [TrainingQuestion("论坛在哪里开幕?", (), (), "A")]
    groups = small_corpora(questions, DOCS, article, near, 2, seed=5)
    held = [str(d.get_meta("article")) for docs, _ in groups for d in docs]
    assert sorted(set(held)) == ["A", "B", "C"] and len(held) == len(DOCS)
    assert [len({str(d.get_meta("article")) for d in docs}) for docs, _ in groups] in (
        [2, 1],
        [1, 2],
    )
    for docs, rows in groups:
        inside = {str(d.get_meta("article")) for d in docs}
        answerable = [r for r in rows if r.answers]
        # every question of the corpus's articles, answerable, grouped by its article
        assert sorted(r.question for r in answerable) == sorted(
            q.question for q in questions if article[q.id] in inside
        )
        assert all(r.group in inside for r in answerable)
        # the near miss of an article in the corpus comes with it
        assert (near[0] in rows) == ("A" in inside)
        # unanswerable questions are about other articles, fewer than the rest
        others = [r for r in rows if not r.answers and r not in near]
        assert all(r.group not in inside and r.doc_ids == () for r in others)
        assert 0 < len(others) <= len(rows) // 2 + 1


def _near_miss_line(qid: str, article: str, split: str = "dev") -> str:
    return json.dumps(
        {
            "id": qid,
            "question": "论坛在哪里开幕?",
            "answers": [],
            "doc_ids": [],
            "expected": "abstain",
            "article": article,
            "split": split,
        },
        ensure_ascii=False,
    )


def test_generated_near_misses_train_in_their_articles_fold(tmp_path: Path) -> None:
    path = tmp_path / "near_miss_generated_dev.jsonl"
    path.write_text(_near_miss_line("n1", "A") + "\n" + _near_miss_line("n2", "C") + "\n")
    rows = near_miss_questions(path)
    assert [(q.id, article) for q, article in rows] == [("n1", "A"), ("n2", "C")]
    # The fold is the article's: a near miss sits in the fold of its article's questions.
    groups = ["A", "B", "C", "A", "C"]  # three questions, then the two near misses
    fold = _folds(groups, 2, 13)
    assert fold[3] == fold[0] and fold[4] == fold[2]


def test_the_frozen_test_part_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "near_miss_generated_test.jsonl"
    path.write_text(_near_miss_line("n1", "A", "test") + "\n")
    with pytest.raises(typer.BadParameter, match="frozen test part"):
        near_miss_questions(path)
    path.write_text(json.dumps({"id": "n1", "question": "q?", "answers": [], "doc_ids": []}))
    with pytest.raises(typer.BadParameter, match="names no 'article'"):
        near_miss_questions(path)
