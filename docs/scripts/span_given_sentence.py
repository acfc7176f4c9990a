"""The span ranker alone: short-answer F1 given the sentence that holds the gold.

Usage (from the repository root; needs the ``[train]`` extra):
python docs/scripts/span_given_sentence.py [--folds 0,1,2,3,4] [--grades 4] [--cache PATH]
    [--out PATH]

A fast inner loop for span work (about 2 minutes for two folds on two cores, against 25
for the training command). Every answerable question of the pooled CMRC 2018 and DRCD
dev sets is retrieved as the reader retrieves it (BM25, 5 passages, the shortlist); the
first shortlisted sentence that holds a gold answer in a gold document is its sentence
(``--cache`` keeps these, so a second run skips retrieval). The span candidates and
features of that sentence are computed with the code of the working tree, the span
ranker and its character tables are trained out of fold (5 folds grouped by article,
seed 13, as ``python -m eval.train_reader`` groups them), and the top span of each
question of the ``--folds`` evaluated is tidied and fitted to the question as the
answerer does it and scored with the CMRC 2018 F1. ``oracle`` is the best candidate's F1
(the candidates' recall). Rows are per benchmark and per answer type; ``--out`` writes
each question's id, article, question, golds, short answer, F1 and oracle F1 (read only
those of dev-split articles one by one: ``eval.nearmiss.split_of``).

Measured on the shipped code (all 5 folds): F1 0.727 (CMRC 2018 0.754, DRCD 0.703),
oracle 0.969 (0.966, 0.973), 35 candidates a sentence; the cross-validated short F1 of
the whole reader is lower (0.615 / 0.586) because it also counts wrong sentences and
abstentions.
"""

from __future__ import annotations

import argparse
import pickle
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from corpus.normalize import normalize_for_matching
from eval.metrics import answer_f1
from eval.questions import load_squad_questions
from qa import Assistant, AssistantConfig
from qa.analysis.question import analyze_question, asks_for_year
from qa.analysis.spans import tidy_span
from qa.answering.extractive import training
from qa.answering.extractive.sentences import Candidate, SentencePool
from qa.answering.extractive.spans import refine_span
from qa.answering.extractive.stages.question import QuestionTerms, question_terms
from qa.answering.extractive.stages.shortlist import shortlist
from qa.answering.extractive.stages.span_candidates import SpanCandidate, span_candidates
from qa.answering.extractive.stages.span_features import SPAN_FEATURES, span_features
from qa.answering.terms import TermStatistics

ROOT = Path(__file__).resolve().parents[2]
FILES = (
    ROOT.parent / "shared" / "benchmarks" / "cmrc2018_dev.json",
    ROOT.parent / "shared" / "benchmarks" / "drcd_dev.json",
)


class TableStatistics:
    """IDF lookups answered from a table (the bigrams of the gold sentences), so the
    questions can be cached without the index."""

    def __init__(self, table: dict[str, float]) -> None:
        self.table = table

    def idf(self, grams: list[str]) -> npt.NDArray[np.float64]:
        return np.array([self.table.get(g, 0.0) for g in grams], dtype=np.float64)


def gold_sentences() -> dict[str, Any]:
    """Each answerable question with its first shortlisted sentence holding a gold."""
    documents, questions = load_squad_questions(list(FILES))
    doc_article = {d.id: str(d.get_meta("article")) for d in documents}
    full = Assistant.from_documents(documents, AssistantConfig(model=""))
    stats = TermStatistics.for_snapshot(full.snapshot)
    pool = SentencePool(stats)
    items: list[dict[str, Any]] = []
    grams: set[str] = set()
    for q in questions:
        if not q.answerable or not q.answers:
            continue
        terms = question_terms(analyze_question(q.question), stats)
        cands = tuple(pool.candidates(full.search(q.question, k=5)))
        if not cands or not terms.weights:
            continue
        golds = tuple(normalize_for_matching(g) for g in q.answers if g.strip())
        cands = tuple(cands[i] for i in shortlist(terms, cands))
        gold_docs = set(q.doc_ids)
        found = [
            c
            for c in cands
            if any(g and g in c.sentence.folded.text for g in golds)
            and (not gold_docs or c.sentence.doc_id in gold_docs)
        ]
        if not found:
            continue
        text = found[0].sentence.folded.text
        _ = found[0].sentence.spans  # typed spans computed before pickling
        grams.update(text[j : j + 2] for j in range(len(text) - 1))
        article = doc_article.get(q.doc_ids[0], q.id) if q.doc_ids else q.id
        items.append(
            {
                "id": q.id,
                "question": q.question,
                "answers": tuple(q.answers),
                "golds": golds,
                "group": article,
                "candidate": found[0],
                "terms": terms,
            }
        )
    ordered = sorted(grams)
    return {"items": items, "idf": dict(zip(ordered, stats.idf(ordered).tolist(), strict=True))}


class _Rows:
    """What :func:`training.fit_char_tables` reads of a question."""

    def __init__(self, terms: QuestionTerms, golds: tuple[str, ...]) -> None:
        self.terms = terms
        self.golds = golds


def shown(terms: QuestionTerms, candidate: Candidate, span: SpanCandidate) -> str:
    """The short answer the answerer would give for ``span`` (tidied, fitted)."""
    a = terms.analysis
    folded = candidate.sentence.folded
    start, end = tidy_span(folded.text, span.start, span.end, year_only=asks_for_year(a))
    start, end = refine_span(a, folded.text, start, end)
    s, e = folded.span(start, end)
    return folded.original[s:e]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", default="0,1,2,3,4", help="folds evaluated")
    parser.add_argument(
        "--grades", type=int, default=training.SPAN_GRADES, help="span grades (0..N)"
    )
    parser.add_argument("--cache", type=Path, help="pickle of the questions' sentences")
    parser.add_argument("--out", type=Path, help="pickle of each question's result")
    args = parser.parse_args()
    if args.cache and args.cache.exists():
        blob = pickle.loads(args.cache.read_bytes())
    else:
        blob = gold_sentences()
        if args.cache:
            args.cache.write_bytes(pickle.dumps(blob))
    items, stats = blob["items"], TableStatistics(blob["idf"])
    rows, ys, qs, firsts, lasts, spans_of = [], [], [], [], [], []
    for qi, it in enumerate(items):
        cands = (it["candidate"],)
        spans = span_candidates(it["terms"], cands, [0])
        text = it["candidate"].sentence.folded.text
        if spans:
            rows.append(span_features(it["terms"], cands, spans, stats))  # type: ignore[arg-type]
        for sp in spans:
            piece = text[sp.start : sp.end]
            ys.append(round(args.grades * training.char_f1(piece, it["golds"])))
            qs.append(qi)
            firsts.append(piece[:1])
            lasts.append(piece[-1:])
        spans_of.append(spans)
    x = np.vstack(rows) if rows else np.zeros((0, len(SPAN_FEATURES)), np.float32)
    y, q = np.asarray(ys, np.int8), np.asarray(qs, np.int64)
    groups = tuple(it["group"] for it in items)
    data = training.ReaderData(
        questions=tuple(_Rows(it["terms"], it["golds"]) for it in items),  # type: ignore[arg-type]
        sentence_x=np.zeros((0, 1), np.float32),
        sentence_y=np.zeros(0, np.int8),
        sentence_q=np.zeros(0, np.int64),
        span_x=x,
        span_y=y,
        span_q=q,
        span_sentence=q,
        groups=groups,
        span_first=tuple(firsts),
        span_last=tuple(lasts),
    )
    fold = training._folds(groups, 5, 13)
    inner = training._folds(groups, 5, 7)
    used = {int(v) for v in args.folds.split(",")}
    scores = np.zeros(len(y), np.float64)
    for k in sorted(used):
        train = fold != k
        # As fit_rankers does: character scores of training rows from tables that did
        # not see their own golds.
        sx = x.copy()
        for j in range(5):
            part = (train & (inner == j))[q]
            tables = training.fit_char_tables(data, train & (inner != j))
            sx[part] = training._with_char_scores(data, tables)[part]
        ranker = training._ranker(sx[train[q]], y[train[q]], q[train[q]])
        test = (~train)[q]
        tables = training.fit_char_tables(data, train)
        scores[test] = ranker.predict(training._with_char_scores(data, tables)[test])
    first = np.searchsorted(q, np.arange(len(items)))
    last = np.searchsorted(q, np.arange(len(items)), side="right")
    f1s: dict[str, list[float]] = defaultdict(list)
    oracles: dict[str, list[float]] = defaultdict(list)
    out = []
    for qi, it in enumerate(items):
        spans = spans_of[qi]
        if fold[qi] not in used:
            continue
        short, f1, oracle = "", 0.0, 0.0
        if spans:
            best = spans[int(np.argmax(scores[first[qi] : last[qi]]))]
            short = shown(it["terms"], it["candidate"], best)
            f1 = answer_f1(short, it["answers"])
            folded = it["candidate"].sentence.folded
            oracle = max(
                answer_f1(folded.original[slice(*folded.span(s.start, s.end))], it["answers"])
                for s in spans
            )
        bench = it["id"].split(":")[0]
        for key in ("all", bench, "type " + it["terms"].analysis.answer_type):
            f1s[key].append(f1)
            oracles[key].append(oracle)
        out.append((it["id"], it["group"], it["question"], it["answers"], short, f1, oracle))
    print(f"{len(y)} spans, {len(y) / max(1, len(items)):.1f} a sentence")
    for key in sorted(f1s, key=lambda k: (k.startswith("type"), k)):
        print(
            f"{key:20} n={len(f1s[key]):5d}  F1 {np.mean(f1s[key]):.4f}  "
            f"oracle {np.mean(oracles[key]):.4f}"
        )
    if args.out:
        args.out.write_bytes(pickle.dumps(out))


if __name__ == "__main__":
    main()
