"""Whether source sentences state a claim: facts, word overlap, new-word overlap.

A claim is supported by consecutive source sentences when (all on text folded by
:func:`corpus.normalize.normalize_for_matching`):

* its named entities appear in them, and its numbers and dates in one of them that
  itself shares at least :data:`FACT_ANCHOR` of the claim's words;
* they hold at least :data:`SUPPORT_THRESHOLD` of the claim's words, and at least
  :data:`NOVEL_THRESHOLD` of the words it adds to the question (for the claim as a whole
  and for each clause that adds two words or more);
* none of them reads as an instruction to its reader or to a language model
  (:func:`~qa.answering.instructions.looks_like_instruction`: a sentence that orders a
  claim said does not state it).

The two thresholds are measured on CMRC 2018 + DRCD dev with cross-validation grouped
by article (``qa eval --squad FILES --support-threshold``; docs/generation.md gives the
figures).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from corpus.normalize import normalize_for_matching
from corpus.sentences import clause_spans, sentence_spans
from qa.answering.claims import Facts, content_tokens, folded_facts
from qa.answering.instructions import instruction_flags, looks_like_instruction
from qa.types import Passage

__all__ = [
    "FACT_ANCHOR",
    "NOVEL_THRESHOLD",
    "SUPPORT_THRESHOLD",
    "ClaimWords",
    "SourceSentence",
    "SupportScore",
    "given_tokens",
    "looks_like_instruction",
    "passage_sentences",
    "score",
    "source_sentence",
    "support_score",
    "supports",
]

SUPPORT_THRESHOLD = 0.15
"""The least share of a claim's words its cited sentences must contain.

Measured on CMRC 2018 + DRCD dev with cross-validation grouped by article
(``qa eval --squad FILES --support-threshold``; docs/generation.md gives the figures)."""

NOVEL_THRESHOLD = 0.3
"""The least share of a claim's new words (those the question does not have: the answer
it gives) its cited sentences must contain. Measured with :data:`SUPPORT_THRESHOLD`."""

FACT_ANCHOR = 0.2
"""A number or date of a claim counts only from a quoted sentence that shares at least
this share of the claim's words (when the quote has several sentences), so a figure
taken from the unrelated sentence next to the right one does not count. A fixed design
value; the two thresholds above are measured with it."""


@dataclass(frozen=True, slots=True)
class SourceSentence:
    """One source sentence, prepared for checks.

    Attributes:
        start: its start in the document text.
        end: its end (exclusive).
        folded: the sentence folded for matching.
        facts: its numbers and dates (entities are looked up in ``folded``).
        tokens: its words (:func:`~qa.answering.claims.content_tokens`).
        instruction: whether it reads as an instruction to its reader or to a model (it
            then supports nothing).
    """

    start: int
    end: int
    folded: str
    facts: Facts
    tokens: frozenset[str]
    instruction: bool


def source_sentence(
    text: str, start: int = 0, end: int | None = None, *, instruction: bool | None = None
) -> SourceSentence:
    """Prepare the sentence ``text`` found at ``start:end`` of its document (default: the
    whole of ``text``); ``instruction`` overrides
    :func:`~qa.answering.instructions.looks_like_instruction` (a sentence that continues
    an instruction ending with a colon)."""
    folded = normalize_for_matching(text)
    return SourceSentence(
        start,
        len(text) if end is None else end,
        folded,
        folded_facts(folded, entities=False),
        content_tokens(folded),
        looks_like_instruction(text) if instruction is None else instruction,
    )


def passage_sentences(passage: Passage) -> tuple[SourceSentence, ...]:
    """The sentences of the passage's document that overlap its chunk (with the one
    before them, only to see whether it passes an instruction on: see
    :func:`~qa.answering.instructions.instruction_flags`)."""
    text, chunk = passage.document.text, passage.chunk
    spans = sentence_spans(text)
    inside = [i for i, (s, e) in enumerate(spans) if e > chunk.start and s < chunk.end]
    if not inside:
        return ()
    first = max(0, inside[0] - 1)
    read = spans[first : inside[-1] + 1]
    flags = instruction_flags([text[s:e] for s, e in read])
    return tuple(
        source_sentence(text[s:e], s, e, instruction=flag)
        for (s, e), flag in zip(read, flags, strict=True)
        if e > chunk.start and s < chunk.end
    )


@dataclass(frozen=True, slots=True)
class SupportScore:
    """How well a source states a claim.

    Attributes:
        overlap: the share of the claim's words (:func:`~qa.answering.claims.content_tokens`)
            the source contains; 0 for a claim without words or a source that reads as an
            instruction.
        novel: the same share over the claim's words that the question does not have
            (what the claim adds: the answer), for the claim as a whole and for each of
            its clauses that adds two words or more: the least of these; 1 when it adds
            none.
        facts: whether every named entity of the claim is in the source, and every
            number and date in a source sentence that itself shares at least
            :data:`FACT_ANCHOR` of the claim's words.
    """

    overlap: float
    novel: float
    facts: bool

    def passes(
        self, threshold: float = SUPPORT_THRESHOLD, novel_threshold: float = NOVEL_THRESHOLD
    ) -> bool:
        """Whether the claim counts as supported at these thresholds."""
        return (
            self.facts
            and self.overlap > 0
            and self.overlap >= threshold
            and self.novel >= novel_threshold
        )


@dataclass(frozen=True, slots=True)
class ClaimWords:
    """A claim ready to be checked (build with :meth:`of`).

    Attributes:
        tokens: its words.
        novel: its words that the question does not have.
        clauses: the new words of each clause that adds two or more (for claims of
            several clauses).
        facts: its numbers, dates and named entities.
    """

    tokens: frozenset[str]
    novel: frozenset[str]
    clauses: tuple[frozenset[str], ...]
    facts: Facts

    @classmethod
    def of(cls, claim: str, given: frozenset[str]) -> ClaimWords:
        """Prepare ``claim`` (any script); ``given`` are the question's words."""
        folded = normalize_for_matching(claim)
        tokens = content_tokens(folded)
        spans = clause_spans(folded)
        clauses = tuple(
            new
            for a, b in (spans if len(spans) > 1 else ())
            if len(new := content_tokens(folded[a:b]) - given) >= 2
        )
        return cls(tokens, tokens - given, clauses, folded_facts(folded))


def given_tokens(*texts: str) -> frozenset[str]:
    """The words of the question(s): a claim repeating them adds nothing."""
    return frozenset().union(*(content_tokens(normalize_for_matching(t)) for t in texts))


def _share(words: frozenset[str], found: frozenset[str]) -> float:
    return len(words & found) / len(words) if words else 1.0


def score(claim: ClaimWords, sentences: Sequence[SourceSentence]) -> SupportScore:
    """How well these consecutive source sentences, together, state the claim.

    Numbers and dates count only from sentences sharing at least :data:`FACT_ANCHOR` of
    the claim's words (any sentence when there is one). No sentences, a claim without
    words, or a sentence that reads as an instruction: nothing is supported.
    """
    if not claim.tokens or not sentences or any(s.instruction for s in sentences):
        return SupportScore(0.0, 0.0, False)
    tokens = frozenset().union(*(s.tokens for s in sentences))
    overlap = _share(claim.tokens, tokens)
    novel = min([_share(claim.novel, tokens), *(_share(c, tokens) for c in claim.clauses)])
    anchored = [
        s for s in sentences if len(sentences) == 1 or _share(claim.tokens, s.tokens) >= FACT_ANCHOR
    ]
    facts = Facts(
        frozenset().union(*(s.facts.numbers for s in anchored)),
        frozenset().union(*(s.facts.dates for s in anchored)),
    )
    missing = claim.facts.missing_from(facts, "\n".join(s.folded for s in sentences))
    return SupportScore(overlap, novel, not missing)


def support_score(claim: str, source: str | Sequence[str], *, given: str = "") -> SupportScore:
    """How well ``source`` states ``claim`` (see :class:`SupportScore`).

    Args:
        claim: a claim (any script).
        source: a source text, or consecutive source sentences (any script).
        given: the question the claim answers; its words do not count as new.
    """
    sentences = [source] if isinstance(source, str) else list(source)
    return score(ClaimWords.of(claim, given_tokens(given)), [source_sentence(s) for s in sentences])


def supports(
    claim: str,
    source: str | Sequence[str],
    threshold: float = SUPPORT_THRESHOLD,
    *,
    given: str = "",
    novel_threshold: float = NOVEL_THRESHOLD,
) -> bool:
    """Whether ``source`` states ``claim``: its facts appear there, its words overlap.

    The test :class:`~qa.answering.verify.CitationVerifier` applies to each claim and
    the sentences it cites.

    Args:
        claim: a claim (any script).
        source: a source text, or consecutive source sentences (any script).
        threshold: the least share of the claim's words the source must contain.
        given: the question the claim answers.
        novel_threshold: the least share of the claim's new words (not in ``given``) the
            source must contain.
    """
    return support_score(claim, source, given=given).passes(threshold, novel_threshold)
