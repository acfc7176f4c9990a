"""How often each check fires on the reader's chosen sentence, over a benchmark.

Usage (from the repository root):

    python docs/scripts/near_miss_rules.py ../shared/benchmarks/cmrc2018_dev.json \
        ../shared/benchmarks/drcd_dev.json [--limit N] [--seed S]

Every question of the SQuAD-format files (or a random N of them, as ``qa eval --limit N
--seed S`` draws them) is asked against their pooled paragraphs (BM25 only, the shipped
reader). For the sentence the reader chooses, it prints how often each check fires and
on how many of those the sentence holds a gold answer: a check that fires there turns a
right answer away ("and confident": of those, how many the learned confidence would
have answered, at or above its threshold); "first" counts the readings where it is the
reason given (the first check that fires, in the registry's order). The checks in use
are :data:`qa.answering.checks.CHECKS` (the statistics:
:func:`qa.answering.checks.statistics.assistant_check_statistics`); the rules tried and
not taken (docs/decisions.md) are written out here as checks of the same protocol,
measured after them ("first": what each would turn away beyond the checks in use).
"""

from __future__ import annotations

import argparse
import random

import jieba
from tqdm import tqdm

from corpus.normalize import normalize_for_matching
from eval.squad import load_squad
from qa import Assistant, AssistantConfig
from qa.analysis.question import QuestionAnalysis
from qa.analysis.spans import NUMBER_KINDS, TIME_KINDS, TypedSpan
from qa.answering.checks import CHECKS, Check, Evidence, Scope
from qa.answering.checks.role import attribute_stated
from qa.answering.checks.statistics import assistant_check_statistics


def _context_missing(analysis: QuestionAnalysis, evidence: Evidence) -> bool:
    """The first word (jieba, two characters or more) after the interrogative
    (成员单位 in ``有多少家成员单位``) is in neither the sentence nor the one before it."""
    words = [w for w in jieba.lcut(analysis.right.strip("的了呢吗?？。 ")) if len(w) >= 2]
    return bool(words) and words[0] not in "".join(evidence.texts)


def _answers(span: TypedSpan, analysis: QuestionAnalysis, kinds: frozenset[str]) -> bool:
    if span.kind not in kinds:
        return False
    if span.kind == "ordinal":  # 第四批 answers 第几批, not 多少
        return analysis.wh_start > 0 and analysis.folded[analysis.wh_start - 1] == "第"
    return not (span.kind == "quantity" and span.text.startswith("一") and len(span.text) == 2)


def _type_missing(analysis: QuestionAnalysis, evidence: Evidence, types: tuple[str, ...]) -> bool:
    """A number (or time) is asked and the sentence states none."""
    kinds = {"number": NUMBER_KINDS, "time": TIME_KINDS}
    if analysis.answer_type not in types:
        return False
    wanted = kinds[analysis.answer_type]
    return not any(_answers(s, analysis, wanted) for s in evidence.sentence.spans)


class OrdinalUnstated:
    name = "tried: ordinal"
    description = "an ordinal the article never states (it says 首, 第8名, 之冠)"
    scope: Scope = "statement"

    def fires(self, question: QuestionAnalysis, evidence: Evidence) -> bool:
        document = evidence.document
        text = normalize_for_matching(f"{document.title}\n{document.text}")
        return any(c.kind == "ordinal" and c.text not in text for c in question.constraints)


class AttributeMissing:
    name = "tried: attribute"
    description = "the attribute asked about (秘书长) in neither sentence, or as its deputy"
    scope: Scope = "answer"

    def fires(self, question: QuestionAnalysis, evidence: Evidence) -> bool:
        return not attribute_stated(question, evidence)


class PersonAttributeMissing:
    name = "tried: attribute, person"
    description = "the same, of questions that ask for a person"
    scope: Scope = "answer"

    def fires(self, question: QuestionAnalysis, evidence: Evidence) -> bool:
        return question.answer_type == "person" and not attribute_stated(question, evidence)


class TypeMissing:
    scope: Scope = "answer"

    def __init__(self, types: tuple[str, ...], context: bool) -> None:
        self.types, self.context = types, context
        what = " or ".join(types)
        self.name = f"tried: no {what}" + (", word missing" if context else "")
        self.description = f"no {what} in the sentence" + (
            ", and the word after the interrogative in neither sentence" if context else ""
        )

    def fires(self, question: QuestionAnalysis, evidence: Evidence) -> bool:
        if not _type_missing(question, evidence, self.types):
            return False
        return not self.context or _context_missing(question, evidence)


TRIED: tuple[Check, ...] = (
    OrdinalUnstated(),
    AttributeMissing(),
    PersonAttributeMissing(),
    TypeMissing(("number",), False),
    TypeMissing(("number", "time"), False),
    TypeMissing(("number",), True),
    TypeMissing(("number", "time"), True),
)
"""Rules tried and not taken (docs/decisions.md), measured beside those in use."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--limit", type=int, default=0, help="a random N questions (0: all)")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()
    documents, questions = load_squad(args.files)
    asked = list(questions)
    if args.limit and args.limit < len(asked):
        asked = random.Random(args.seed).sample(asked, args.limit)
    assistant = Assistant.from_documents(documents, AssistantConfig(model=""))
    bar = tqdm(total=len(asked), desc="reading", unit="question")
    stats = assistant_check_statistics(
        assistant,
        [(q.question, q.answers) for q in asked],
        (*CHECKS, *TRIED),
        progress=lambda done: bar.update(done - bar.n),
    )
    bar.close()
    print(stats.table())


if __name__ == "__main__":
    main()
