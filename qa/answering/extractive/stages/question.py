"""Stage 1, the question: its weighted matching terms and what its answer type expects.

The question's analysis (:mod:`qa.analysis.question`: interrogative, answer type,
context, constraints, attribute) is computed once per question; this stage adds what
the reader matches sentences on: the question's terms in the index's tokenisation with
their IDF (:func:`question_terms`), and the typed-span kinds an answer of its type may
be (:func:`expected_kinds`). Every later stage reads the question through
:class:`QuestionTerms`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from qa.analysis.question import QuestionAnalysis
from qa.analysis.spans import NAME_KINDS, NUMBER_KINDS, TIME_KINDS
from qa.answering.claims import words
from qa.answering.terms import TermStatistics
from qa.lexicon import ANSWER_TYPES, FUNCTION_CHARS

if TYPE_CHECKING:
    from qa.answering.extractive.alignment import Slot

__all__ = ["TYPE_FEATURES", "QuestionTerms", "expected_kinds", "question_terms", "word_bigrams"]

TYPE_FEATURES: tuple[str, ...] = tuple(f"type_{t}" for t in ANSWER_TYPES)
"""The question's answer type, one column each: the last columns of every stage's
features."""


@dataclass(frozen=True, slots=True)
class QuestionTerms:
    """The question's matching terms with their IDF weights.

    Attributes:
        analysis: the question analysis.
        weights: term -> IDF (terms of the question without its interrogatives).
        total: sum of the weights.
        bigrams: the terms of two characters or more.
    """

    analysis: QuestionAnalysis
    weights: dict[str, float]
    total: float
    bigrams: frozenset[str]
    unigram_items: tuple[tuple[str, float], ...] = ()
    bigram_items: tuple[tuple[str, float], ...] = ()
    max_idf: float = 0.0
    slots: dict[str, Slot] = field(default_factory=dict, compare=False, repr=False)
    """The question's alignment to each sentence read so far (:func:`slot_of`): a
    sentence's slot serves its sentence features, its span candidates and their
    features. Lives as long as the question's reading."""


def _is_cjk_pair(term: str) -> bool:
    """Whether a term is a bigram of two Chinese characters (not a Latin word or digits)."""
    return len(term) == 2 and all("\u4e00" <= ch <= "\u9fff" for ch in term)


def word_bigrams(folded: str) -> frozenset[str]:
    """The character bigrams of a folded text that lie inside one of its words (jieba,
    without its HMM), or join two single-character words neither of which is a function
    word (a name jieba does not know, ``解|缙``).

    A bigram across two words (``划是`` in ``计划|是``, ``上代`` in ``会上|代表``) says
    nothing about the question's meaning, and in a small corpus that never states it,
    it takes the highest IDF and is always "the rarest term a sentence lacks".
    """
    found: set[str] = set()
    pieces = words(folded)
    for i, word in enumerate(pieces):
        found.update(word[j : j + 2] for j in range(len(word) - 1))
        after = pieces[i + 1] if i + 1 < len(pieces) else ""
        if (
            len(word) == 1
            and len(after) == 1
            and word not in FUNCTION_CHARS
            and after not in FUNCTION_CHARS
        ):
            found.add(word + after)
    return frozenset(found)


def question_terms(analysis: QuestionAnalysis, stats: TermStatistics) -> QuestionTerms:
    """Weighted matching terms of an analysed question: its terms in the index's
    tokenisation, less the character bigrams that straddle two words
    (:func:`word_bigrams`) and the function words of one character (``是``, ``的``,
    ``在``). Both say nothing of what the question asks, and in a small corpus either
    can take a high IDF (``是`` is in few of a dozen chunks) and decide which sentence
    matches best."""
    inner = word_bigrams(analysis.content)
    terms = [
        t
        for t in dict.fromkeys(stats.tokens(analysis.content))
        if (t in inner or not _is_cjk_pair(t)) and t not in FUNCTION_CHARS
    ]
    weights: dict[str, float] = {}
    if terms:
        for term, w in zip(terms, stats.idf(terms), strict=True):
            if w > 0:
                weights[term] = float(w)
    bigrams = frozenset(t for t in weights if len(t) >= 2)
    return QuestionTerms(
        analysis,
        weights,
        sum(weights.values()),
        bigrams,
        tuple((t, w) for t, w in weights.items() if len(t) == 1),
        tuple((t, w) for t, w in weights.items() if len(t) >= 2),
        max(weights.values(), default=0.0),
    )


def expected_kinds(answer_type: str) -> frozenset[str]:
    """The typed-span kinds an answer of ``answer_type`` may be (none for a person, a
    place, an organisation, a reason or a manner)."""
    if answer_type == "time":
        return TIME_KINDS
    if answer_type == "number":
        return NUMBER_KINDS
    if answer_type in ("entity", "list"):
        return NAME_KINDS
    return frozenset()
