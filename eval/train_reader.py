"""Train the extractive reader on SQuAD-format sets, with cross-validation grouped by article.

Run ``python -m eval.train_reader FILE... [--out MODEL.json] [--cv-report DIR]``:

1. The paragraphs of all files are pooled into one corpus (BM25 only, as the benchmarks
   are run); every question is asked against it, and its candidate sentences and spans
   become training rows labelled from the gold answers (answerable questions).
2. A second corpus leaves a share of the articles out (``--holdout``, seeded): the
   questions about left-out articles become unanswerable rows, so the confidence model
   learns what "no answer here" looks like.
3. ``--near-misses N`` answerable questions are turned into near misses: the rarest
   two-character term that the question shares with its gold paragraph is swapped for
   the rarest term of a question about another article (``长三角…的秘书长`` becomes
   ``长三角…的理事长``-like questions), and asked against the whole corpus as
   unanswerable rows, so the confidence model also learns that one missing key term
   means the passage does not answer.
4. ``--answer-deleted N`` answerable questions are asked against a corpus in which the
   sentences holding their answer are deleted from their paragraph (the article is
   there, the fact is not): unanswerable rows of the kind "who is the alliance's
   secretary-general" asked of an article that names none. Off by default: measured,
   it did not raise abstention on near misses (docs/decisions.md).
   ``--small-corpora N`` also cuts the articles into corpora of N articles each and
   asks every question against its own article's small corpus (with its near miss,
   and questions of other articles as unanswerable rows): the term statistics of a
   corpus of a few dozen chunks, which the pooled corpus never shows. Off by default
   (measured, not taken: docs/decisions.md).
   ``--near-miss-questions FILE`` (repeatable) adds generated near misses
   (``python -m eval.nearmiss generate``, their **dev** part only: a line whose
   ``split`` is ``test`` is refused) asked against the whole corpus as unanswerable
   rows, each in the fold of its ``article``, so the confidence model learns the near
   misses of every kind of change at scale, and no out-of-fold reading comes from a
   model that saw its article's questions or near misses.
5. Questions are split into ``--folds`` folds **by article**. For each fold the rankers
   are trained on the other folds and read the fold's questions; those out-of-fold
   readings train the confidence model, its isotonic calibration and the abstention
   threshold (Youden's J between answerable and unanswerable readings).
6. The shipped model is trained on everything and written to ``--out`` (by default the
   package's ``qa/answering/extractive/reader_model.json``).
7. With ``--cv-report DIR`` every question is also answered through the real assistant
   by the model of its fold (rankers and confidence model trained without its article),
   and the usual ``qa eval`` reports are written to ``DIR/pooled`` (all questions,
   whole corpus) and ``DIR/holdout`` (the hold-out corpus: abstention). These are the
   figures docs/evaluation.md reports: no question is scored by a model that saw it.
   ``--cv-questions FILE`` (repeatable; JSONL sets whose lines name their benchmark
   ``article``, as the near-miss sets do) answers those too with the model of their
   article's fold, to ``DIR/<file stem>``; with ``--near-miss-questions`` the same sets
   are also answered by fold models whose confidence was fitted without the near
   misses (``DIR/without-near-misses/<file stem>``), and ``DIR/ablation.json`` compares
   the two on the out-of-fold readings themselves.
"""

from __future__ import annotations

import json
import pickle
import random
import tempfile
import time
from collections.abc import Sequence
from dataclasses import replace
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer

from eval.questions import Question, load_jsonl, load_squad_questions
from eval.report import write_report
from eval.runner import EvalRun, run_questions
from eval.summary import summarize
from qa import (
    READER_ORIGIN_WEIGHTS,
    Assistant,
    AssistantConfig,
    Document,
    OutOfFold,
    ReaderData,
    ReaderModel,
    TermStatistics,
    TrainingQuestion,
    analyze_question,
    collect_reader_data,
    concat_reader_data,
    fit_reader,
    fit_reader_confidence,
    normalize_for_matching,
    reader_oof_without,
    reader_out_of_fold,
    sentence_spans,
)

ORIGINS = (
    "answerable",
    "held-out",
    "synthetic near miss",
    "generated near miss",
    "small corpus",
    "answer deleted",
)
"""Where a training row's question comes from (the keys of ``READER_ORIGIN_WEIGHTS``
are among them): a benchmark question over the whole corpus, one whose article is left
out of it, a question with a term swapped for another article's, a near miss of
``--near-miss-questions``, a question over a small corpus, one whose answer sentences
are deleted."""

CONTRAST_FEATURES = ("contrast_sentence", "contrast_document")
"""The confidence features the ablation leaves out (``without-contrast``)."""

__all__ = ["main"]


def _default_out() -> Path:
    return Path(str(resources.files("qa.answering.extractive").joinpath("reader_model.json")))


def _training_questions(
    questions: Sequence[Question], article_of: dict[str, str], answerable: bool
) -> list[TrainingQuestion]:
    out = []
    for q in questions:
        group = article_of.get(q.id, q.id)
        if answerable:
            out.append(TrainingQuestion(q.question, q.answers, q.doc_ids, group))
        elif not q.answerable:
            out.append(TrainingQuestion(q.question, (), (), group))
    return out


def near_misses(
    questions: Sequence[Question],
    documents: Sequence[Any],
    stats: TermStatistics,
    article_of: dict[str, str],
    count: int,
    seed: int,
) -> list[TrainingQuestion]:
    """Unanswerable variants of answerable questions: the rarest CJK bigram a question
    shares with its gold paragraph is swapped for a term of another article's paragraph
    (a bigram found in 2 to 20 paragraphs, without interrogative or function
    characters), absent from the gold paragraph.
    """
    rng = random.Random(seed)
    text_of = {d.id: normalize_for_matching(d.text) for d in documents}
    doc_ids = list(text_of)

    def bigrams(text: str) -> list[str]:
        return [t for t in stats.tokens(text) if len(t) == 2 and _is_cjk_pair(t)]

    pool = [q for q in questions if q.answerable and q.doc_ids]
    out: list[TrainingQuestion] = []
    for q in rng.sample(pool, min(count, len(pool))):
        gold = text_of.get(q.doc_ids[0], "")
        shared = [t for t in bigrams(analyze_question(q.question).content) if t in gold]
        if not shared:
            continue
        target = shared[int(stats.idf(shared).argmax())]
        other = text_of[rng.choice(doc_ids)]
        terms = sorted({t for t in bigrams(other) if t not in gold and not (set(t) & _STOP)})
        if not terms:
            continue
        idf = stats.idf(terms)
        n = stats.size
        # df between 2 and 20 paragraphs: a real term, neither unique noise nor common.
        low, high = _idf_of(20, n), _idf_of(2, n)
        words = [t for t, w in zip(terms, idf, strict=True) if low <= w <= high]
        if not words:
            continue
        changed = normalize_for_matching(q.question).replace(target, rng.choice(words), 1)
        out.append(TrainingQuestion(changed, (), (), article_of.get(q.id, q.id)))
    return out


def answer_deleted(
    questions: Sequence[Question],
    documents: Sequence[Document],
    article_of: dict[str, str],
    count: int,
    seed: int,
) -> tuple[tuple[Document, ...], list[TrainingQuestion]]:
    """Near misses of another kind: the article is there, the fact asked about is not.

    Up to ``count`` answerable questions (one per paragraph) have every sentence that
    holds one of their gold answers deleted from their gold paragraph; a question whose
    answer also occurs in another paragraph of its article, or whose paragraph would be
    left empty, is skipped. Asked against the corpus with these paragraphs, they are
    unanswerable rows that still retrieve their own article: the reading an assistant
    makes of "the alliance's secretary-general" when the article names none.

    Returns:
        The corpus (every document, the changed paragraphs replaced) and the questions.
    """
    rng = random.Random(seed)
    by_id = {d.id: d for d in documents}
    folded = {d.id: normalize_for_matching(d.text) for d in documents}
    article_docs: dict[str, list[str]] = {}
    for d in documents:
        article_docs.setdefault(str(d.get_meta("article")), []).append(d.id)
    pool = [q for q in questions if q.answerable and q.doc_ids and q.answers]
    changed: dict[str, Document] = {}
    out: list[TrainingQuestion] = []
    for q in rng.sample(pool, len(pool)):
        if len(out) >= count:
            break
        doc = by_id.get(q.doc_ids[0])
        if doc is None or doc.id in changed:
            continue
        golds = [normalize_for_matching(a) for a in q.answers if a.strip()]
        siblings = article_docs.get(str(doc.get_meta("article")), [])
        if any(g in folded[o] for o in siblings if o != doc.id for g in golds):
            continue
        spans = sentence_spans(doc.text)
        kept = [
            (a, b)
            for a, b in spans
            if not any(g in normalize_for_matching(doc.text[a:b]) for g in golds)
        ]
        text = "".join(doc.text[a:b] for a, b in kept).strip()
        if (
            len(kept) == len(spans)
            or not text
            or any(g in normalize_for_matching(text) for g in golds)
        ):
            continue
        changed[doc.id] = replace(doc, text=text)
        out.append(TrainingQuestion(q.question, (), (), article_of.get(q.id, q.id)))
    return tuple(changed.get(d.id, d) for d in documents), out


def _search(index: Assistant, question: str, k: int) -> tuple[Any, ...]:
    return index.search(question, k=k)


def small_corpora(
    questions: Sequence[Question],
    documents: Sequence[Document],
    article_of: dict[str, str],
    swapped: Sequence[TrainingQuestion],
    articles: int,
    seed: int,
) -> list[tuple[tuple[Document, ...], list[TrainingQuestion]]]:
    """Corpora of a few articles each, with the questions to read against them.

    The articles are shuffled and cut into corpora of ``articles`` articles. Against its
    corpus each question of those articles is asked (answerable), with its near miss
    from ``swapped`` where there is one, and questions of other articles (unanswerable,
    about half as many as the rest), so that the models also learn from the term
    statistics of a small corpus (a few dozen chunks, where most terms are rare), not
    only the pooled one.

    Returns:
        ``(documents, questions)`` for each small corpus; together the corpora hold
        every article once.
    """
    rng = random.Random(seed)
    docs_of: dict[str, list[Document]] = {}
    for d in documents:
        docs_of.setdefault(str(d.get_meta("article")), []).append(d)
    names = sorted(docs_of)
    rng.shuffle(names)
    asked: dict[str, list[Question]] = {}
    for q in questions:
        if q.answerable and q.doc_ids:
            asked.setdefault(article_of.get(q.id, q.id), []).append(q)
    near: dict[str, list[TrainingQuestion]] = {}
    for t in swapped:
        near.setdefault(t.group, []).append(t)
    every = [q for qs in asked.values() for q in qs]
    out = []
    for start in range(0, len(names), articles):
        group = names[start : start + articles]
        docs = tuple(d for a in group for d in docs_of[a])
        rows = [
            TrainingQuestion(q.question, q.answers, q.doc_ids, a)
            for a in group
            for q in asked.get(a, [])
        ]
        rows += [t for a in group for t in near.get(a, [])]
        inside = set(group)
        drawn = rng.sample(every, min(len(every), 4 * len(rows) + 8))
        others = [q for q in drawn if article_of.get(q.id, q.id) not in inside]
        rows += [
            TrainingQuestion(q.question, (), (), article_of.get(q.id, q.id))
            for q in others[: len(rows) // 2 + 1]
        ]
        out.append((docs, rows))
    return out


_STOP = frozenset(
    "什么哪谁几多何怎啥吗呢的了是在和与及等由被把对从向为将于以并而也都就或其之着过所"
)


def _idf_of(df: int, n: int) -> float:
    return float(np.log1p((n - df + 0.5) / (df + 0.5)))


def _is_cjk_pair(token: str) -> bool:
    return all("\u4e00" <= ch <= "\u9fff" for ch in token)


def _fold_model(
    oof: OutOfFold,
    k: int,
    groups: Sequence[str],
    folds: int,
    seed: int,
    leave_out: frozenset[int] = frozenset(),
    weights: Sequence[float] | None = None,
) -> ReaderModel:
    """The model of fold ``k``: its rankers, and a confidence model trained on the
    out-of-fold readings of the other folds (less the questions ``leave_out``), each
    row weighted by ``weights`` (one per question; default all alike)."""
    judged = [j for j in oof.judged if oof.fold[j.question] != k and j.question not in leave_out]
    fitted = fit_reader_confidence(
        judged,
        [groups[j.question] for j in judged],
        folds=folds,
        seed=seed,
        weights=None if weights is None else [weights[j.question] for j in judged],
    )
    sentence, span, tables = oof.rankers[k]
    return ReaderModel(
        sentence,
        span,
        fitted.confidence_model,
        fitted.calibration,
        fitted.threshold,
        {"fold": k},
        tables,
        fitted.second_margin,
    )


def near_miss_questions(path: Path) -> list[tuple[Question, str]]:
    """The questions of a near-miss set (``eval/questions/near_miss_*.jsonl``) with the
    benchmark article each is about (its ``article`` field).

    Raises:
        typer.BadParameter: when a line is of the frozen test part (``"split": "test"``),
            names no article, or is answerable.
    """
    article: dict[str, str] = {}
    for lineno, line in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        obj = json.loads(line)
        if obj.get("split") == "test":
            raise typer.BadParameter(
                f"{path}:{lineno}: a near miss of the frozen test part; train on the dev "
                "part only (near_miss_*_dev.jsonl)"
            )
        if not obj.get("article"):
            raise typer.BadParameter(f"{path}:{lineno}: names no 'article' (its fold)")
        article[str(obj["id"])] = str(obj["article"])
    out = []
    for q in load_jsonl(path):
        if q.answerable:
            raise typer.BadParameter(f"{path}: {q.id!r} is answerable, not a near miss")
        out.append((q, article[q.id]))
    return out


def _articles_of(path: Path) -> dict[str, str]:
    """Question id -> ``article`` of a JSONL set (lines without one are left out)."""
    out = {}
    for line in path.read_text(encoding="utf-8-sig").splitlines():
        if line.strip():
            obj = json.loads(line)
            if obj.get("article"):
                out[str(obj["id"])] = str(obj["article"])
    return out


def _ablation(
    oof: OutOfFold,
    groups: Sequence[str],
    origin: Sequence[str],
    folds: int,
    seed: int,
    leave_out: frozenset[int],
    weights: Sequence[float] | None = None,
) -> dict[str, dict[str, dict[str, float]]]:
    """Out-of-fold figures of the readings, with fold confidence models fitted with and
    without the questions ``leave_out``, and without the contrast features
    (:data:`CONTRAST_FEATURES`): per origin of the rows, the share abstaining (the
    reading's check fires, or its calibrated confidence is under its fold's threshold)
    and, for answerable rows, the share answered right."""
    out: dict[str, dict[str, dict[str, float]]] = {}
    variants = (
        ("with", oof, frozenset[int]()),
        ("without", oof, leave_out),
        ("without-contrast", reader_oof_without(oof, CONTRAST_FEATURES), frozenset[int]()),
    )
    for variant, readings, left in variants:
        abstain = np.zeros(len(readings.judged), dtype=bool)
        right = np.zeros(len(readings.judged), dtype=bool)
        for k in range(folds):
            model = _fold_model(readings, k, groups, folds, seed, left, weights)
            for j in readings.judged:
                if readings.fold[j.question] != k:
                    continue
                confident = j.features.any() and model.confidence(j.features) >= model.threshold
                abstain[j.question] = bool(j.conflict) or not confident
                right[j.question] = (not abstain[j.question]) and j.right_with(model.second_margin)
        names = np.array(origin)
        rows: dict[str, dict[str, float]] = {}
        for name in dict.fromkeys(origin):
            mask = names == name
            rows[name] = {"n": int(mask.sum()), "abstain": float(abstain[mask].mean())}
            if name == "answerable":
                rows[name]["right"] = float(right[mask].mean())
        out[variant] = rows
    return out


def main(
    files: Annotated[list[Path], typer.Argument(help="SQuAD-format files, pooled.")],
    out: Annotated[
        Path | None,
        typer.Option(help="Model file to write (default: the package's reader_model.json)."),
    ] = None,
    holdout: Annotated[
        float, typer.Option(help="Share of articles left out for abstention.")
    ] = 0.5,
    folds: Annotated[int, typer.Option(help="Cross-validation folds (grouped by article).")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the hold-out and the folds.")] = 13,
    cv_report: Annotated[
        Path | None,
        typer.Option(help="Also answer every question with its fold's model; reports here."),
    ] = None,
    near: Annotated[
        int,
        typer.Option("--near-misses", help="Synthetic near-miss questions to train on."),
    ] = 1500,
    small: Annotated[
        int,
        typer.Option(
            "--small-corpora",
            min=0,
            help="Also read every question against corpora of this many articles (0: no).",
        ),
    ] = 0,
    deleted: Annotated[
        int,
        typer.Option(
            "--answer-deleted",
            help="Questions asked with the sentence holding their answer deleted (measured, "
            "not taken by default: docs/decisions.md).",
        ),
    ] = 0,
    near_files: Annotated[
        list[Path] | None,
        typer.Option(
            "--near-miss-questions",
            help="Generated near misses (the dev part of python -m eval.nearmiss generate) "
            "to train on as unanswerable rows, each in its article's fold; repeatable.",
        ),
    ] = None,
    cv_files: Annotated[
        list[Path] | None,
        typer.Option(
            "--cv-questions",
            help="With --cv-report: also answer these JSONL sets (lines naming their "
            "'article') with the model of their article's fold; repeatable.",
        ),
    ] = None,
    save_readings: Annotated[
        Path | None,
        typer.Option(
            help="Also pickle the out-of-fold readings here, with each row's origin, group "
            "and question id: the input of docs/scripts/confidence_variants.py (confidence "
            "models compared in minutes, without reading the questions again)."
        ),
    ] = None,
) -> None:
    """Train the extractive reader with article-grouped cross-validation."""
    from rich.console import Console
    from rich.progress import Progress

    console = Console(stderr=True)
    config = AssistantConfig(model="")
    started = time.perf_counter()
    documents, questions = load_squad_questions(files)
    doc_article = {d.id: str(d.get_meta("article")) for d in documents}
    article_of = {q.id: doc_article.get(q.doc_ids[0], q.id) for q in questions if q.doc_ids}
    full = Assistant.from_documents(documents, config)
    held_docs, held_questions = load_squad_questions(files, holdout=holdout, seed=seed)
    held = Assistant.from_documents(held_docs, config)
    stats_full = TermStatistics.for_snapshot(full.snapshot)
    stats_held = TermStatistics.for_snapshot(held.snapshot)
    console.print(
        f"{len(documents)} paragraphs, {len(questions)} questions; hold-out corpus of "
        f"{len(held_docs)} paragraphs ({sum(not q.answerable for q in held_questions)} "
        "unanswerable questions)"
    )
    with Progress(console=console, transient=True) as bar:

        def collect(
            label: str, rows: list[TrainingQuestion], index: Assistant, stats: TermStatistics
        ) -> ReaderData:
            task = bar.add_task(f"collecting ({label})", total=len(rows))
            return collect_reader_data(
                rows,
                lambda q, k: index.search(q, k=k),
                stats,
                progress=lambda d: bar.update(task, completed=d),
            )

        answerable = _training_questions(questions, article_of, True)
        part_a = collect("answerable", answerable, full, stats_full)
        unanswerable = _training_questions(held_questions, article_of, False)
        part_b = collect("unanswerable", unanswerable, held, stats_held)
        swapped = near_misses(questions, documents, stats_full, article_of, near, seed)
        part_c = collect("near misses", swapped, full, stats_full)
        parts = [part_a, part_b, part_c]
        stats = (
            [stats_full] * len(part_a.questions)
            + [stats_held] * len(part_b.questions)
            + [stats_full] * len(part_c.questions)
        )
        answerable_o, held_o, synthetic_o, generated_o, small_o, deleted_o = ORIGINS
        origin = (
            [answerable_o] * len(part_a.questions)
            + [held_o] * len(part_b.questions)
            + [synthetic_o] * len(part_c.questions)
        )
        generated: list[TrainingQuestion] = []
        generated_ids: list[str] = []
        for path in near_files or []:
            for q, article in near_miss_questions(path):
                generated.append(
                    TrainingQuestion(q.question, (), (), article, confidence_only=True)
                )
                generated_ids.append(q.id)
        if generated:
            parts.append(collect("generated near misses", generated, full, stats_full))
            stats += [stats_full] * len(parts[-1].questions)
            origin += [generated_o] * len(parts[-1].questions)
        if small:
            groups = small_corpora(questions, documents, article_of, swapped, small, seed)
            task = bar.add_task("collecting (small corpora)", total=len(groups))
            for i, (docs, rows) in enumerate(groups):
                corpus = Assistant.from_documents(docs, config)
                stats_small = TermStatistics.for_snapshot(corpus.snapshot)
                search = partial(_search, corpus)
                parts.append(collect_reader_data(rows, search, stats_small))
                stats += [stats_small] * len(parts[-1].questions)
                origin += [small_o] * len(parts[-1].questions)
                bar.update(task, completed=i + 1)
        if deleted:
            cut_docs, cut_questions = answer_deleted(
                questions, documents, article_of, deleted, seed
            )
            cut = Assistant.from_documents(cut_docs, config)
            stats_cut = TermStatistics.for_snapshot(cut.snapshot)
            parts.append(collect("answers deleted", cut_questions, cut, stats_cut))
            stats += [stats_cut] * len(parts[-1].questions)
            origin += [deleted_o] * len(parts[-1].questions)
    data = concat_reader_data(parts)
    oof = reader_out_of_fold(
        data, stats, folds=folds, seed=seed, progress=lambda s: console.print(s)
    )
    if save_readings is not None:
        named = iter(generated_ids)  # the generated near misses, in their rows' order
        ids = [next(named) if o == generated_o else "" for o in origin]
        saved = {"oof": oof, "groups": data.groups, "origin": origin, "ids": ids}
        save_readings.parent.mkdir(parents=True, exist_ok=True)
        with save_readings.open("wb") as fh:
            pickle.dump({**saved, "folds": folds, "seed": seed}, fh)
        console.print(f"wrote the out-of-fold readings to {save_readings}")
    meta: dict[str, Any] = {
        "trained_on": [Path(f).name for f in files],
        "holdout": holdout,
        "near_misses": near,
        "answer_deleted": deleted,
        "small_corpora": small,
        "generated_near_misses": {
            "files": [Path(f).name for f in near_files or []],
            "questions": origin.count(generated_o),
        },
        # The files by name only: a path of this machine means nothing on another.
        "command": "python -m eval.train_reader "
        + " ".join(f"../shared/benchmarks/{Path(f).name}" for f in files)
        + "".join(
            f" --near-miss-questions eval/questions/{Path(f).name}" for f in near_files or []
        ),
    }
    weights = [READER_ORIGIN_WEIGHTS.get(o, 1.0) for o in origin]
    meta["origin_weights"] = dict(READER_ORIGIN_WEIGHTS)
    model = fit_reader(
        data,
        stats,
        folds=folds,
        seed=seed,
        meta=meta,
        oof=oof,
        progress=lambda s: console.print(s),
        weights=weights,
    )
    target = out or _default_out()
    model.save(target)
    console.print(
        f"wrote {target} (threshold {model.threshold:.3f}; out-of-fold answers right "
        f"{model.meta['oof_answer_right']:.3f}) in {time.perf_counter() - started:.0f} s"
    )
    if cv_report is None:
        return
    fold_of_article = {data.groups[i]: int(oof.fold[i]) for i in range(len(data.questions))}
    leave_out = frozenset(i for i, o in enumerate(origin) if o == generated_o)
    cv_report.mkdir(parents=True, exist_ok=True)
    if leave_out:
        console.print("ablation: fold confidence models with and without the near misses")
        ablation = _ablation(oof, data.groups, origin, folds, seed, leave_out, weights)
        (cv_report / "ablation.json").write_text(json.dumps(ablation, indent=1), encoding="utf-8")
        for variant, scores in ablation.items():
            console.print(
                f"  {variant}: "
                + "; ".join(
                    f"{name} {r['abstain']:.3f} abstain"
                    + (f", {r['right']:.3f} right" if "right" in r else "")
                    + f" (n={r['n']})"
                    for name, r in scores.items()
                )
            )
    extra: dict[str, tuple[list[Question], dict[str, str]]] = {}
    for path in cv_files or []:
        where = _articles_of(path)
        extra[path.stem] = ([q for q in load_jsonl(path) if q.id in where], where)
    variants = [("", frozenset[int]())]
    if leave_out and extra:
        variants.append(("without-near-misses", leave_out))
    extra_results: dict[tuple[str, str], list[Any]] = {}
    extra_walls: dict[tuple[str, str], float] = {}
    results: dict[str, list[Any]] = {"pooled": [], "holdout": []}
    walls = {"pooled": 0.0, "holdout": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(folds):
            console.print(f"cross-validated answers, fold {k + 1} of {folds}")
            path = Path(tmp) / f"fold{k}.json"
            _fold_model(oof, k, data.groups, folds, seed, weights=weights).save(path)
            fold_config = replace(config, reader_model=str(path))
            for name, base, qs in (
                ("pooled", full, questions),
                ("holdout", held, held_questions),
            ):
                mine = [q for q in qs if fold_of_article.get(article_of[q.id]) == k]
                assistant = Assistant(base.snapshot, fold_config)
                run = run_questions(assistant, mine, depth=10)
                results[name] += run.results
                walls[name] += run.wall_s
            for variant, left in variants:
                model_path = path
                if variant:
                    model_path = Path(tmp) / f"fold{k}-{variant}.json"
                    _fold_model(oof, k, data.groups, folds, seed, left, weights).save(model_path)
                for stem, (qs_extra, where) in extra.items():
                    mine = [q for q in qs_extra if fold_of_article.get(where[q.id]) == k]
                    assistant = Assistant(
                        full.snapshot, replace(config, reader_model=str(model_path))
                    )
                    run = run_questions(assistant, mine, depth=10)
                    extra_results.setdefault((variant, stem), []).extend(run.results)
                    extra_walls[(variant, stem)] = (
                        extra_walls.get((variant, stem), 0.0) + run.wall_s
                    )
    for name in ("pooled", "holdout"):
        meta_run = {
            "set": ", ".join(str(f) for f in files)
            + (f" (hold-out {holdout})" if name == "holdout" else ""),
            "command": "python -m eval.train_reader ... --cv-report",
            "cross_validation": f"{folds} folds grouped by article, seed {seed}",
            "retrieval": "bm25",
            "depth": 10,
            "config": {
                "answer_chars": config.answer_chars,
                "answer_passages": config.answer_passages,
            },
        }
        run = EvalRun(tuple(results[name]), walls[name], meta_run)
        summary = summarize(run)
        written = write_report(run, summary, cv_report / name)
        console.print(f"{name}: {written.markdown}")
        metrics = summary["metrics"]
        for key in (
            "contains_gold",
            "short_f1",
            "short_em",
            "abstained_unanswerable",
            "false_abstention",
        ):
            if key in metrics:
                console.print(f"  {key:24} {metrics[key]['mean']:.3f}")
    for (variant, stem), answered in extra_results.items():
        meta_run = {
            "set": stem,
            "command": "python -m eval.train_reader ... --cv-report --cv-questions",
            "cross_validation": f"{folds} folds grouped by article, seed {seed}"
            + (", confidence fitted without the generated near misses" if variant else ""),
            "retrieval": "bm25",
            "depth": 10,
        }
        run = EvalRun(tuple(answered), extra_walls[(variant, stem)], meta_run)
        summary = summarize(run)
        written = write_report(run, summary, cv_report / variant / stem)
        value = summary["metrics"].get("abstained_unanswerable", {}).get("mean")
        console.print(f"{variant or 'cv'} {stem}: abstained_unanswerable {value}")
    (cv_report / "folds.json").write_text(
        json.dumps({"folds": folds, "seed": seed, "holdout": holdout}, indent=1), encoding="utf-8"
    )


if __name__ == "__main__":
    typer.run(main)
