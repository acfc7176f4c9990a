"""Question sets: the JSONL format (with RAGAS field names) and SQuAD-format files.

JSONL, one question per line::

    {"id": "q1", "question": "...", "answers": ["..."], "doc_ids": ["..."], "category": "..."}

``answers`` are acceptable short answers in any script; ``doc_ids`` name the gold
articles (empty for a question the corpus cannot answer). A gold id matches a document by
its id or, failing that, by the file name of its source (``003_89db59789a0dcd3a.txt``), so
a set does not depend on how the corpus path was spelled at ingest; a copy merged into
another document at ingest matches that document (:func:`resolve_doc_ids`).

Lines with RAGAS field names load too: ``user_input`` (the question), ``reference`` (the
answer, a string or a list) and ``reference_context_ids`` (gold ids, optional); ``id``
is optional there and defaults to ``<file stem>-<line>``.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from eval.squad import load_squad
from qa import Document
from qa.errors import CorpusError, QAError

__all__ = [
    "EvalError",
    "Question",
    "QuestionSetError",
    "load_jsonl",
    "load_squad_questions",
    "resolve_doc_ids",
]


class EvalError(QAError, ValueError):
    """An evaluation input (question set, summary) cannot be used."""


class QuestionSetError(EvalError):
    """A question set cannot be used; the message names the file and line."""


@dataclass(frozen=True, slots=True)
class Question:
    """One evaluation question with its gold answers and articles.

    Attributes:
        id: unique within the set.
        question: the question text.
        answers: acceptable short answers (any script); empty when unanswerable.
        doc_ids: ids of the gold documents; empty when the corpus cannot answer.
        answerable: whether the corpus holds the answer.
        category: free-form group for per-category figures ("" when none).
        answer_spans: ``(doc_id, start, end)`` of gold answers in gold documents, where
            the set states them (SQuAD); otherwise chunks are judged by containment.
        origin: where it was read (``file:line``), for error messages.
    """

    id: str
    question: str
    answers: tuple[str, ...]
    doc_ids: tuple[str, ...]
    answerable: bool
    category: str = ""
    answer_spans: tuple[tuple[str, int, int], ...] = ()
    origin: str = ""


# -- JSONL --------------------------------------------------------------------------------


def load_jsonl(path: str | Path) -> tuple[Question, ...]:
    """Read a JSONL question set (native or RAGAS field names).

    Raises:
        QuestionSetError: when the file is missing or empty, a line is not a JSON object,
            a required field is missing or has the wrong type, or an id repeats; the
            message names the file and line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError as exc:
        raise QuestionSetError(f"{path}: no such question file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestionSetError(f"{path}: cannot read the question file: {exc}") from exc
    questions: list[Question] = []
    seen: dict[str, int] = {}
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise QuestionSetError(f"{where}: not valid JSON ({exc.msg})") from exc
        if not isinstance(obj, dict):
            raise QuestionSetError(f"{where}: expected a JSON object, got {type(obj).__name__}")
        q = _parse(obj, where, default_id=f"{path.stem}-{lineno}")
        if q.id in seen:
            raise QuestionSetError(f"{where}: duplicate id {q.id!r} (first on line {seen[q.id]})")
        seen[q.id] = lineno
        questions.append(q)
    if not questions:
        raise QuestionSetError(
            f"{path}: no questions (the file is empty); write one JSON object per line with "
            '"id", "question", "answers" and "doc_ids"'
        )
    return tuple(questions)


def _parse(obj: Mapping[str, Any], where: str, *, default_id: str) -> Question:
    if "question" in obj:
        for name in ("id", "answers", "doc_ids"):
            if name not in obj:
                raise QuestionSetError(f"{where}: missing field {name!r}")
        qid = _id(obj["id"], where)
        question = _text(obj["question"], "question", where)
        answers = _strings(obj["answers"], "answers", where)
        doc_ids = _strings(obj["doc_ids"], "doc_ids", where)
        answerable = bool(doc_ids)
        if answerable and not answers:
            raise QuestionSetError(
                f"{where}: 'answers' is empty but 'doc_ids' names gold articles; give the "
                "acceptable answers, or empty 'doc_ids' for a question the corpus cannot answer"
            )
    elif "user_input" in obj:  # RAGAS
        qid = _id(obj["id"], where) if "id" in obj else default_id
        question = _text(obj["user_input"], "user_input", where)
        if "reference" not in obj:
            raise QuestionSetError(f"{where}: missing field 'reference'")
        answers = _strings(obj["reference"], "reference", where)
        doc_ids = _strings(obj.get("reference_context_ids") or [], "reference_context_ids", where)
        answerable = bool(answers or doc_ids)
    else:
        raise QuestionSetError(f"{where}: missing field 'question' (or RAGAS 'user_input')")
    category = obj.get("category", "")
    if not isinstance(category, str):
        raise QuestionSetError(f"{where}: 'category' must be a string")
    return Question(
        id=qid,
        question=question,
        answers=answers,
        doc_ids=doc_ids,
        answerable=answerable,
        category=category,
        origin=where,
    )


def _id(value: object, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        raise QuestionSetError(f"{where}: 'id' must be a non-empty string or integer")
    return str(value).strip()


def _text(value: object, name: str, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise QuestionSetError(f"{where}: {name!r} must be a non-empty string")
    return value.strip()


def _strings(value: object, name: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value] if value.strip() else []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise QuestionSetError(f"{where}: {name!r} must be a list of strings")
    return tuple(dict.fromkeys(v.strip() for v in value if v.strip()))


# -- gold ids -----------------------------------------------------------------------------


def resolve_doc_ids(
    questions: Sequence[Question], documents: Iterable[Document]
) -> tuple[Question, ...]:
    """Map each gold id to an indexed document: by id first (a copy merged into another
    document at ingest maps to that document), then by source file name.

    Raises:
        QuestionSetError: for a gold id that matches no document (or a file name that
            matches several), naming the question's line.
    """
    docs = list(documents)
    by_id = {d.id for d in docs}
    # A copy merged into another document at ingest is found as the document it is in.
    merged_into = {a.id: d.id for d in docs for a in d.alternates}
    by_name: dict[str, list[str]] = {}
    for d in docs:
        for source in (d.source, *(a.source for a in d.alternates)):
            name = Path(source.split("#", 1)[0]).name if source else ""
            if name and d.id not in by_name.get(name, []):
                by_name.setdefault(name, []).append(d.id)
    resolved = []
    for q in questions:
        ids = []
        for gold in q.doc_ids:
            if gold in by_id:
                ids.append(gold)
                continue
            if gold in merged_into:
                ids.append(merged_into[gold])
                continue
            matches = by_name.get(Path(gold).name, [])
            if len(matches) == 1:
                ids.append(matches[0])
            elif len(matches) > 1:
                raise QuestionSetError(
                    f"{q.origin}: gold article {gold!r} matches {len(matches)} documents "
                    "by file name; use a document id instead"
                )
            else:
                known = ", ".join(sorted(by_name)[:5]) or ", ".join(sorted(by_id)[:5])
                raise QuestionSetError(
                    f"{q.origin}: unknown gold article {gold!r} in question {q.id!r}: no "
                    f"indexed document has this id or source file name (e.g. {known})"
                )
        resolved.append(replace(q, doc_ids=tuple(dict.fromkeys(ids))))
    return tuple(resolved)


# -- SQuAD --------------------------------------------------------------------------------


def load_squad_questions(
    paths: Iterable[str | Path], *, holdout: float = 0.0, seed: int = 13
) -> tuple[tuple[Document, ...], tuple[Question, ...]]:
    """Pool SQuAD-format files (CMRC 2018, DRCD) into one corpus and list the questions.

    Every paragraph becomes a document titled by its article; a question's gold is the
    paragraph holding its answer, and the annotated answer's offsets are kept so chunks
    can be judged by whether they hold the answer. The category is the file stem.

    Args:
        paths: SQuAD-format JSON files.
        holdout: share of articles (0 to <1) whose paragraphs are left out of the corpus;
            their questions become unanswerable (category ``<stem>/held-out``), which
            measures abstention.
        seed: random seed for choosing the held-out articles.

    Raises:
        QuestionSetError: when a file is missing, not SQuAD format, or holds no question.
    """
    if not 0.0 <= holdout < 1.0:
        raise ValueError("holdout must be at least 0 and less than 1")
    files = [Path(p) for p in paths]
    for f in files:
        if not f.is_file():
            raise QuestionSetError(f"{f}: no such SQuAD file")
    try:
        documents, bench = load_squad(files)
    except CorpusError as exc:
        raise QuestionSetError(str(exc)) from exc
    if not bench:
        raise QuestionSetError(
            f"{', '.join(map(str, files))}: no questions with answers (SQuAD format expected)"
        )
    by_id = {d.id: d for d in documents}
    held: set[str] = set()
    if holdout:
        articles = sorted({d.get_meta("article") for d in documents})
        held = set(random.Random(seed).sample(articles, int(len(articles) * holdout)))
        documents = tuple(d for d in documents if d.get_meta("article") not in held)
    questions = []
    for b in bench:
        if b.article in held:
            questions.append(
                Question(
                    id=b.id,
                    question=b.question,
                    answers=(),
                    doc_ids=(),
                    answerable=False,
                    category=f"{b.source}/held-out",
                    origin=b.id,
                )
            )
            continue
        text = by_id[b.doc_id].text
        gold = b.answers[0]
        start = b.answer_start
        if not (start >= 0 and text[start : start + len(gold)] == gold):
            start = text.find(gold)
        spans = ((b.doc_id, start, start + len(gold)),) if start >= 0 else ()
        questions.append(
            Question(
                id=b.id,
                question=b.question,
                answers=b.answers,
                doc_ids=(b.doc_id,),
                answerable=True,
                category=b.source,
                answer_spans=spans,
                origin=b.id,
            )
        )
    return documents, tuple(questions)
