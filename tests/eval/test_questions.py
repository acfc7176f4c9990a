"""Loading question sets: JSONL (native and RAGAS names), SQuAD, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.questions import (
    Question,
    QuestionSetError,
    load_jsonl,
    load_squad_questions,
    resolve_doc_ids,
)
from qa import Alternate, Document
from tests.eval.conftest import SEED, write_jsonl

GOOD = {"id": "q1", "question": "在哪里召开?", "answers": ["温州"], "doc_ids": ["a.txt"]}


def test_native_jsonl(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "set.jsonl",
        [
            {**GOOD, "category": "place"},
            "",
            {"id": 2, "question": "天气?", "answers": [], "doc_ids": []},
        ],
    )
    q1, q2 = load_jsonl(path)
    assert q1 == Question(
        id="q1",
        question="在哪里召开?",
        answers=("温州",),
        doc_ids=("a.txt",),
        answerable=True,
        category="place",
        origin=f"{path}:1",
    )
    assert q2.id == "2" and not q2.answerable and q2.origin.endswith(":3")


def test_ragas_field_names(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "ragas.jsonl",
        [
            {"user_input": "在哪里召开?", "reference": "温州", "reference_context_ids": ["a"]},
            {"user_input": "谁?", "reference": ["尚鹏", "尚鵬"]},
            {"user_input": "天气?", "reference": ""},
        ],
    )
    a, b, c = load_jsonl(path)
    assert (a.id, a.answers, a.doc_ids, a.answerable) == ("ragas-1", ("温州",), ("a",), True)
    assert b.answers == ("尚鹏", "尚鵬") and b.doc_ids == () and b.answerable
    assert not c.answerable


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({k: v for k, v in GOOD.items() if k != "answers"}, "missing field 'answers'"),
        ({k: v for k, v in GOOD.items() if k != "doc_ids"}, "missing field 'doc_ids'"),
        ({k: v for k, v in GOOD.items() if k != "id"}, "missing field 'id'"),
        ({"id": "x", "answers": [], "doc_ids": []}, "missing field 'question'"),
        ({**GOOD, "question": "  "}, "'question' must be a non-empty string"),
        ({**GOOD, "answers": [1]}, "'answers' must be a list of strings"),
        ({**GOOD, "answers": []}, "'answers' is empty"),
        ({**GOOD, "category": 3}, "'category' must be a string"),
        ({"user_input": "q"}, "missing field 'reference'"),
        ("[1, 2]", "expected a JSON object"),
        ("{not json", "not valid JSON"),
    ],
)
def test_bad_lines_name_the_line(tmp_path: Path, row: object, message: str) -> None:
    path = write_jsonl(tmp_path / "bad.jsonl", [GOOD | {"id": "first"}, row])
    with pytest.raises(QuestionSetError) as info:
        load_jsonl(path)
    assert f"{path}:2" in str(info.value)
    assert message in str(info.value)


def test_duplicate_ids(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "dup.jsonl", [GOOD, GOOD])
    with pytest.raises(
        QuestionSetError, match=r"dup.jsonl:2: duplicate id 'q1' \(first on line 1\)"
    ):
        load_jsonl(path)


def test_empty_and_missing_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n  \n", encoding="utf-8")
    with pytest.raises(QuestionSetError, match="no questions"):
        load_jsonl(empty)
    with pytest.raises(QuestionSetError, match="no such question file"):
        load_jsonl(tmp_path / "missing.jsonl")


def test_gold_ids_resolve_by_id_then_by_file_name(tmp_path: Path) -> None:
    docs = [
        Document(id="id-a", title="", text="甲", source="some/dir/a.txt"),
        Document(id="id-b", title="", text="乙", source="/abs/b.txt"),
    ]
    qs = (
        Question("1", "?", ("甲",), ("id-a",), True, origin="f:1"),
        Question("2", "?", ("乙",), ("b.txt", "corpus/articles/a.txt"), True, origin="f:2"),
    )
    r1, r2 = resolve_doc_ids(qs, docs)
    assert r1.doc_ids == ("id-a",)
    assert r2.doc_ids == ("id-b", "id-a")
    unknown = Question("3", "?", ("x",), ("c.txt",), True, origin="set.jsonl:7")
    with pytest.raises(QuestionSetError, match=r"set.jsonl:7: unknown gold article 'c.txt'"):
        resolve_doc_ids([unknown], docs)


def test_gold_ids_of_merged_copies_resolve_to_the_kept_document() -> None:
    copy = Alternate(id="id-copy", source="/crawl/site-b/b.txt")
    kept = Document(id="id-a", title="", text="甲", source="/data/a.txt", alternates=(copy,))
    qs = [
        Question("1", "?", ("x",), ("id-copy",), True),
        Question("2", "?", ("x",), ("b.txt",), True),
    ]
    r1, r2 = resolve_doc_ids(qs, [kept])
    assert r1.doc_ids == ("id-a",) and r2.doc_ids == ("id-a",)


def test_seed_set_is_well_formed(seed_assistant) -> None:  # type: ignore[no-untyped-def]
    questions = resolve_doc_ids(load_jsonl(SEED), seed_assistant.documents)
    assert len(questions) >= 40
    unanswerable = [q for q in questions if not q.answerable]
    assert len(unanswerable) >= 6
    from qa import detect_script, normalize_for_matching

    scripts = {detect_script(q.question) for q in questions}
    assert {"simplified", "traditional"} <= scripts
    texts = {d.id: normalize_for_matching(d.text) for d in seed_assistant.documents}
    for q in questions:
        for doc_id in q.doc_ids:  # every gold answer is in its gold article, verbatim
            assert any(normalize_for_matching(a) in texts[doc_id] for a in q.answers), q.id


def test_squad_pools_paragraphs(squad_file: Path) -> None:
    docs, qs = load_squad_questions([squad_file])
    assert [d.id for d in docs] == ["tiny_squad:A1-1", "tiny_squad:A1-2", "tiny_squad:B1-1"]
    assert docs[0].title == "台风"
    by_id = {q.id: q for q in qs}
    q1 = by_id["tiny_squad:q1"]
    assert q1.doc_ids == ("tiny_squad:A1-1",) and q1.category == "tiny_squad"
    assert q1.answer_spans == (("tiny_squad:A1-1", 12, 16),)
    # a wrong answer_start falls back to finding the answer in the paragraph
    assert by_id["tiny_squad:q2"].answer_spans == (("tiny_squad:A1-1", 25, 28),)
    # DRCD: the answer with id "1" is the annotated one and comes first
    assert by_id["tiny_squad:q3"].answers == ("暴雨红色预警", "红色预警")


def test_squad_holdout_makes_questions_unanswerable(squad_file: Path) -> None:
    docs, qs = load_squad_questions([squad_file], holdout=0.5, seed=1)
    kept = {d.get_meta("article") for d in docs}
    assert len(kept) == 1
    held = [q for q in qs if not q.answerable]
    assert held and all(q.category.endswith("/held-out") and not q.doc_ids for q in held)


def test_bad_squad_files(tmp_path: Path) -> None:
    with pytest.raises(QuestionSetError, match="no such SQuAD file"):
        load_squad_questions([tmp_path / "none.json"])
    notsquad = tmp_path / "x.json"
    notsquad.write_text(json.dumps({"rows": []}), encoding="utf-8")
    with pytest.raises(QuestionSetError, match="not a SQuAD-format file"):
        load_squad_questions([notsquad])
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"data": [{"title": "t", "paragraphs": [{"qas": []}]}]}))
    with pytest.raises(QuestionSetError, match="article 1 is not SQuAD format"):
        load_squad_questions([broken])
    empty = tmp_path / "empty.json"
    empty.write_text(json.dumps({"data": []}), encoding="utf-8")
    with pytest.raises(QuestionSetError, match="no questions"):
        load_squad_questions([empty])
