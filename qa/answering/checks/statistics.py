"""How often each check fires, and what it costs: firing statistics over readings.

A check that fires turns the answer away. Over questions with known answers, each
check's cost is the number of times it fires where the evidence (the reader's chosen
sentence) holds a gold answer, and of those, how many the learned confidence would
have answered (the right answers the check turns away). :func:`firing_statistics`
counts them over any :class:`Observation` s; :func:`reader_observations` makes them from
the extractive reader's readings and :func:`assistant_check_statistics` does both for
an assistant's corpus, as ``docs/scripts/near_miss_rules.py`` runs it on the pooled
benchmark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from corpus.normalize import normalize_for_matching
from qa.analysis.question import QuestionAnalysis
from qa.answering.checks.base import Check, Evidence, Scope
from qa.answering.checks.registry import CHECKS

if TYPE_CHECKING:
    from qa.answering.extractive.answerer import ExtractiveAnswerer
    from qa.assistant import Assistant
    from qa.types import Passage

__all__ = [
    "CheckFiring",
    "FiringStatistics",
    "Observation",
    "assistant_check_statistics",
    "firing_statistics",
    "reader_observations",
]


@dataclass(frozen=True, slots=True)
class Observation:
    """One reading the checks are measured on.

    Attributes:
        question: the analysed question.
        evidence: what the answer rests on (the chosen sentence and its short answer).
        holds_gold: the evidence's sentence holds a gold answer (folded).
        confident: the learned confidence would have answered (at or above the
            threshold).
    """

    question: QuestionAnalysis
    evidence: Evidence
    holds_gold: bool
    confident: bool = False


@dataclass(frozen=True, slots=True)
class CheckFiring:
    """One check's firing statistics.

    Attributes:
        name: the check's name.
        description: what it checks.
        scope: ``statement`` or ``answer``.
        fires: readings it fires on.
        holds_gold: of those, readings whose sentence holds a gold answer.
        confident: of those, readings the confidence would have answered: right answers
            the check alone turns away.
        first: readings where it is the reason given (the first check that fires).
        first_holds_gold: of those, readings whose sentence holds a gold answer.
        first_confident: of those, readings the confidence would have answered.
    """

    name: str
    description: str
    scope: Scope
    fires: int = 0
    holds_gold: int = 0
    confident: int = 0
    first: int = 0
    first_holds_gold: int = 0
    first_confident: int = 0


@dataclass(frozen=True, slots=True)
class FiringStatistics:
    """Every check's firing statistics over a set of readings.

    Attributes:
        readings: readings observed.
        checks: one entry per check, in the order of the checks.
    """

    readings: int
    checks: tuple[CheckFiring, ...]

    def __getitem__(self, name: str) -> CheckFiring:
        """The statistics of the check called ``name``.

        Raises:
            KeyError: when no check has that name.
        """
        for firing in self.checks:
            if firing.name == name:
                return firing
        raise KeyError(name)

    def table(self) -> str:
        """A Markdown table: one row per check."""
        lines = [
            f"{self.readings} readings",
            "",
            "| check | scope | fires | holds gold | and confident "
            "| first | first, holds gold | first, and confident |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for f in self.checks:
            lines.append(
                f"| {f.name}: {f.description} | {f.scope} | {f.fires} | {f.holds_gold} "
                f"| {f.confident} | {f.first} | {f.first_holds_gold} | {f.first_confident} |"
            )
        return "\n".join(lines)


def firing_statistics(
    observations: Iterable[Observation], checks: Sequence[Check] = CHECKS
) -> FiringStatistics:
    """Count, for each check, the readings it fires on, and of those the ones whose
    sentence holds a gold answer and the ones the confidence would have answered; both
    for every firing and where it is the reason given (the first in ``checks`` order).

    Args:
        observations: the readings.
        checks: the checks to measure (default: those in use; pass more to measure
            rules that are not, as ``docs/scripts/near_miss_rules.py`` does).

    Returns:
        The statistics, one entry per check in ``checks`` order.
    """
    counts = {c.name: CheckFiring(c.name, c.description, c.scope) for c in checks}
    readings = 0
    for obs in observations:
        readings += 1
        first = True
        for check in checks:
            if not check.fires(obs.question, obs.evidence):
                continue
            f = counts[check.name]
            gold, confident = obs.holds_gold, obs.holds_gold and obs.confident
            f = replace(
                f,
                fires=f.fires + 1,
                holds_gold=f.holds_gold + gold,
                confident=f.confident + confident,
            )
            if first:
                f = replace(
                    f,
                    first=f.first + 1,
                    first_holds_gold=f.first_holds_gold + gold,
                    first_confident=f.first_confident + confident,
                )
                first = False
            counts[check.name] = f
    return FiringStatistics(readings, tuple(counts[c.name] for c in checks))


def reader_observations(
    answerer: ExtractiveAnswerer,
    search: Callable[[str], Sequence[Passage]],
    questions: Iterable[tuple[str, Sequence[str]]],
    progress: Callable[[int], None] | None = None,
) -> Iterator[Observation]:
    """The extractive reader's readings of ``questions`` as observations.

    Args:
        answerer: the extractive reader.
        search: the passages of a question, best first.
        questions: ``(question, gold answers)`` pairs.
        progress: called with the number of questions read so far.

    Yields:
        One observation per question the reader chose a sentence for.
    """
    from qa.types import Question

    for done, (text, answers) in enumerate(questions, start=1):
        reading = answerer.read(Question(text), search(text))
        if progress is not None:
            progress(done)
        evidence = reading.evidence()
        if evidence is None:
            continue
        sentence = evidence.sentence.folded.text
        golds = [normalize_for_matching(g) for g in answers if g]
        yield Observation(
            reading.analysis,
            evidence,
            holds_gold=any(g and g in sentence for g in golds),
            confident=answerer.model.confidence(reading.features) >= answerer.abstain_threshold,
        )


def assistant_check_statistics(
    assistant: Assistant,
    questions: Iterable[tuple[str, Sequence[str]]],
    checks: Sequence[Check] = CHECKS,
    progress: Callable[[int], None] | None = None,
) -> FiringStatistics:
    """Firing statistics of ``checks`` on the extractive reader's readings of
    ``questions`` over ``assistant``'s corpus (its retrieval, its reader configuration).

    Args:
        assistant: the assistant whose corpus and configuration are read.
        questions: ``(question, gold answers)`` pairs.
        checks: the checks to measure.
        progress: called with the number of questions read so far.
    """
    from qa.answering.extractive.answerer import ExtractiveAnswerer
    from qa.answering.factory import make_answerer

    config = replace(assistant.config, generator="extractive")
    answerer = make_answerer(config, assistant.snapshot)
    assert isinstance(answerer, ExtractiveAnswerer)

    def search(text: str) -> Sequence[Passage]:
        return assistant.search(text, k=config.top_k)

    observations = reader_observations(answerer, search, questions, progress)
    return firing_statistics(observations, checks)
