"""How often each near-miss rule fires on the reader's chosen sentence, over a benchmark.

Usage (from the repository root):

    python docs/scripts/near_miss_rules.py ../shared/benchmarks/cmrc2018_dev.json \
        ../shared/benchmarks/drcd_dev.json

Every question of the SQuAD-format files is asked against their pooled paragraphs (BM25
only, the shipped reader). For the sentence the reader chooses, it prints how often each
rule fires and on how many of those the sentence holds a gold answer: a rule that fires
there turns a right answer away ("and confident": of those, how many the learned
confidence would have answered, at or above its threshold). The rules in use are those of
``qa.answering.extractive.support``; the rules tried and not taken (docs/decisions.md) are
written out here.
"""

from __future__ import annotations

import sys
from collections import Counter

import jieba
from tqdm import tqdm

from corpus.normalize import normalize_for_matching
from eval.squad import load_squad
from qa import Assistant, AssistantConfig, TermStatistics
from qa.analysis.question import QuestionAnalysis
from qa.analysis.spans import NUMBER_KINDS, TIME_KINDS, TypedSpan
from qa.answering.extractive import ExtractiveAnswerer, support
from qa.answering.extractive.features import conflicts, currency_conflict
from qa.answering.extractive.sentences import Candidate
from qa.types import Question


def attribute_missing(analysis: QuestionAnalysis, candidate: Candidate) -> bool:
    """Not taken on its own: the attribute asked about (秘书长) is in neither the sentence
    nor the one before it, or only as its deputy (副局长 for 局长)."""
    return not support.attribute_stated(analysis, candidate)


def context_missing(analysis: QuestionAnalysis, candidate: Candidate) -> bool:
    """The first word (jieba, two characters or more) after the interrogative
    (成员单位 in ``有多少家成员单位``) is in neither the sentence nor the one before it."""
    words = [w for w in jieba.lcut(analysis.right.strip("的了呢吗?？。 ")) if len(w) >= 2]
    if not words:
        return False
    sentences = [candidate.sentence, *([candidate.previous] if candidate.previous else [])]
    return words[0] not in "".join(s.folded.text for s in sentences)


def _answers(span: TypedSpan, analysis: QuestionAnalysis, kinds: frozenset[str]) -> bool:
    if span.kind not in kinds:
        return False
    if span.kind == "ordinal":  # 第四批 answers 第几批, not 多少
        return analysis.wh_start > 0 and analysis.folded[analysis.wh_start - 1] == "第"
    return not (span.kind == "quantity" and span.text.startswith("一") and len(span.text) == 2)


def type_missing(analysis: QuestionAnalysis, candidate: Candidate, types: tuple[str, ...]) -> bool:
    """Not taken: a number (or time) is asked and the sentence states none."""
    kinds = {"number": NUMBER_KINDS, "time": TIME_KINDS}
    if analysis.answer_type not in types:
        return False
    wanted = kinds[analysis.answer_type]
    return not any(_answers(s, analysis, wanted) for s in candidate.sentence.spans)


def ordinal_unstated(analysis: QuestionAnalysis, candidate: Candidate) -> bool:
    """Not taken: the question states an ordinal (``排名第一``) that the article never
    does (it says ``首``, ``第8名``, ``之冠``)."""
    document = candidate.passage.document
    text = normalize_for_matching(f"{document.title}\n{document.text}")
    return any(c.kind == "ordinal" and c.text not in text for c in analysis.constraints)


RULES = (
    "constraint (in use)",
    "currency (in use)",
    "name (in use)",
    "role (in use)",
    "contrast (in use)",
    "count with no number and not what is counted (in use)",
    "count with a measure word, no number with it (in use)",
    "count of the things asked about, not of what is asked (in use)",
    "the same body of another place (in use)",
    "rank asked, neither sentence ranks (in use)",
    "year the article never states (in use)",
    "which year asked, neither sentence writes 年 (in use)",
    "ordinal the article never states",
    "attribute missing",
    "attribute missing, person questions",
    "no number in the sentence",
    "no number or time in the sentence",
    "no number, and the word after the interrogative missing",
    "no number or time, and that word missing",
)


def main() -> None:
    documents, questions = load_squad(sys.argv[1:])
    assistant = Assistant.from_documents(documents, AssistantConfig(model=""))
    answerer = ExtractiveAnswerer(TermStatistics.for_snapshot(assistant.snapshot))
    fired: Counter[str] = Counter()
    on_gold: Counter[str] = Counter()
    right: Counter[str] = Counter()
    read = 0
    for q in tqdm(questions, desc="reading", unit="question"):
        reading = answerer.read(Question(q.question), assistant.search(q.question, k=5))
        if reading.best is None:
            continue
        read += 1
        candidate = reading.candidates[reading.best.sentence]
        analysis = reading.analysis
        text = candidate.sentence.folded.text
        short = text[reading.best.start : reading.best.end]
        holds = any(g and normalize_for_matching(g) in text for g in q.answers)
        reason = support.unsupported(analysis, candidate, short)
        confident = answerer.model.confidence(reading.features) >= answerer.abstain_threshold
        rules = {
            "constraint (in use)": conflicts(analysis, candidate)[2],
            "currency (in use)": currency_conflict(analysis, short),
            "name (in use)": reason == "name",
            "role (in use)": reason == "role",
            "contrast (in use)": reason == "contrast",
            "count with no number and not what is counted (in use)": reason == "count",
            "count with a measure word, no number with it (in use)": reason == "tally",
            "count of the things asked about, not of what is asked (in use)": reason == "counted",
            "the same body of another place (in use)": reason == "place",
            "rank asked, neither sentence ranks (in use)": reason == "rank",
            "year the article never states (in use)": reason == "year",
            "which year asked, neither sentence writes 年 (in use)": reason == "no_year",
            "ordinal the article never states": ordinal_unstated(analysis, candidate),
            "attribute missing": attribute_missing(analysis, candidate),
            "attribute missing, person questions": analysis.answer_type == "person"
            and attribute_missing(analysis, candidate),
            "no number in the sentence": type_missing(analysis, candidate, ("number",)),
            "no number or time in the sentence": type_missing(
                analysis, candidate, ("number", "time")
            ),
            "no number, and the word after the interrogative missing": type_missing(
                analysis, candidate, ("number",)
            )
            and context_missing(analysis, candidate),
            "no number or time, and that word missing": type_missing(
                analysis, candidate, ("number", "time")
            )
            and context_missing(analysis, candidate),
        }
        assert tuple(rules) == RULES
        for name, hit in rules.items():
            if hit:
                fired[name] += 1
                on_gold[name] += holds
                right[name] += holds and confident
    print(f"{read} questions read")
    print(f"{'rule':58} {'fires':>7} {'holds gold':>11} {'and confident':>14}")
    for name in RULES:
        print(f"{name:58} {fired[name]:7d} {on_gold[name]:11d} {right[name]:14d}")


if __name__ == "__main__":
    main()
