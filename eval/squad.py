"""SQuAD-format question sets (CMRC 2018, DRCD) as an open-corpus benchmark.

Every paragraph of the given files becomes one document (titled by its article), every
question is asked against the whole pooled corpus, and the paragraph holding the answer
is gold.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from qa import Document
from qa.errors import CorpusError

__all__ = ["BenchmarkQuestion", "load_squad"]


@dataclass(frozen=True, slots=True)
class BenchmarkQuestion:
    """A question with its gold paragraph and answers.

    Attributes:
        id: the question id, prefixed by its file's stem.
        question: the question text.
        answers: acceptable answers (the annotated one first).
        doc_id: the gold paragraph's document id.
        answer_start: offset of the first answer in the gold paragraph.
        source: the file stem (``cmrc2018_dev``, ``drcd_dev``).
        article: the gold paragraph's article id (the unit held out for abstention).
    """

    id: str
    question: str
    answers: tuple[str, ...]
    doc_id: str
    answer_start: int
    source: str
    article: str


def _annotated_first(answers: list[dict[str, object]]) -> list[dict[str, object]]:
    # In DRCD the answer with "id": "1" is the annotated one.
    return sorted(answers, key=lambda a: 0 if str(a.get("id", "1")) == "1" else 1)


def _start(answer: dict[str, object]) -> int:
    value = answer.get("answer_start", -1)
    return int(value) if isinstance(value, int | str) else -1


def load_squad(
    paths: Iterable[str | Path],
) -> tuple[tuple[Document, ...], tuple[BenchmarkQuestion, ...]]:
    """Pool the paragraphs of SQuAD-format files into documents, and list their questions.

    Raises:
        CorpusError: when a file is not SQuAD format.
    """
    documents: list[Document] = []
    questions: list[BenchmarkQuestion] = []
    for path in map(Path, paths):
        stem = path.stem
        try:
            data = json.loads(path.read_text(encoding="utf-8"))["data"]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise CorpusError(f"{path} is not a SQuAD-format file: {exc}") from exc
        a_index = 0
        try:
            for a_index, article in enumerate(data):
                title = str(article.get("title", ""))
                article_id = f"{stem}:{article.get('id', a_index)}"
                for p_index, para in enumerate(article["paragraphs"]):
                    doc_id = f"{stem}:{para.get('id', f'{a_index}-{p_index}')}"
                    context = para["context"]
                    documents.append(
                        Document(
                            id=doc_id,
                            title=title,
                            text=context,
                            source=f"{path.name}#{doc_id}",
                            meta=(("article", article_id),),
                        )
                    )
                    for qa_item in para["qas"]:
                        answers = _annotated_first(qa_item.get("answers", []))
                        if not answers:
                            continue
                        texts = tuple(dict.fromkeys(str(a["text"]).strip() for a in answers))
                        questions.append(
                            BenchmarkQuestion(
                                id=f"{stem}:{qa_item['id']}",
                                question=qa_item["question"],
                                answers=texts,
                                doc_id=doc_id,
                                answer_start=_start(answers[0]),
                                source=stem,
                                article=article_id,
                            )
                        )
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise CorpusError(
                f"{path}: article {a_index + 1} is not SQuAD format "
                f"(bad or missing field {exc}); expected data[].paragraphs[].context/qas"
            ) from exc
    return tuple(documents), tuple(questions)
