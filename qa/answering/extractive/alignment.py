"""Aligning the question to a sentence: where the answer should sit, and how closely
the rest of the question matches.

Shared by the sentence ranker's features (:mod:`.stages.sentence_features`), the span
candidates (:mod:`.stages.span_candidates`) and the span features
(:mod:`.stages.span_features`): a question's slot in a sentence is computed once
(:func:`slot_of`) and serves all three.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz.distance import LCSseq

from qa.analysis.question import QuestionAnalysis
from qa.lexicon import READER_PUNCTUATION

if TYPE_CHECKING:
    from qa.answering.extractive.stages.question import QuestionTerms

__all__ = [
    "MAX_ALIGN",
    "Slot",
    "alignment_slot",
    "longest_prefix_in",
    "longest_suffix_in",
    "occurrence_ends",
    "occurrence_starts",
    "slot_of",
]

MAX_ALIGN = 40
"""The most characters an answer slot spans between the question's two anchors."""

_PARTICLES_END = "?？!！。 呢吗啊"


@dataclass(frozen=True, slots=True)
class Slot:
    """Where the answer should sit in a sentence, by aligning the question to it, and how
    closely the rest of the question aligns.

    The question, with its interrogative masked, is aligned to the sentence (longest
    common subsequence); the answer is expected between the last aligned character
    before the interrogative and the first aligned one after it. Within the aligned
    region, a short stretch of the question matched by another short stretch of the
    sentence is a *substitution* (``全球`` for ``全国``), a stretch of the question with
    nothing in the sentence a *deletion*, a stretch of the sentence with nothing in the
    question an *insertion* (``副`` in ``副局长``): the signs of a near miss.

    Attributes:
        start: offset after the last aligned character before the interrogative (-1
            when none aligns).
        end: offset of the first aligned character after it (-1 when none aligns).
        substituted: question characters substituted (stretches of up to 4).
        deleted: question characters deleted (stretches of up to 4).
        inserted: sentence characters inserted (stretches of up to 2).
        changed: the question text substituted or deleted, for weighing.
    """

    start: int
    end: int
    substituted: int = 0
    deleted: int = 0
    inserted: int = 0
    changed: tuple[str, ...] = ()

    @property
    def both(self) -> bool:
        """Both sides align, in order, with text between them."""
        return self.start >= 0 and self.end > self.start

    @property
    def gap(self) -> int:
        """Characters between the two anchors (``MAX_ALIGN + 1`` when not both)."""
        return self.end - self.start if self.both else MAX_ALIGN + 1


def alignment_slot(analysis: QuestionAnalysis, text: str) -> Slot:
    """The answer slot of ``analysis``'s question in folded sentence ``text``, and the
    substitutions, deletions and insertions of the alignment around it."""
    q = analysis.folded
    if analysis.wh_start >= 0:
        start, end = analysis.wh_start, analysis.wh_end
    else:  # no interrogative (``…的作者是?``): the answer follows the question's end
        start = end = len(q.rstrip(_PARTICLES_END))
    masked = q[:start] + "\0" * (end - start) + q[end:]
    ops = list(LCSseq.opcodes(masked, text))
    before = after = -1
    equal = [i for i, op in enumerate(ops) if op.tag == "equal"]
    for op in ops:
        if op.tag != "equal":
            continue
        if op.src_end <= start:
            before = op.dest_end
        elif op.src_start >= end and after < 0:
            after = op.dest_start
    substituted = deleted = inserted = 0
    changed: list[str] = []
    if equal:
        # Between the first and last aligned stretch, group consecutive non-equal ops.
        i = equal[0] + 1
        while i < equal[-1]:
            j = i
            while j < equal[-1] and ops[j].tag != "equal":
                j += 1
            q_lo, q_hi, s_len = ops[i].src_start, ops[i].src_end, 0
            for op in ops[i:j]:
                q_lo = min(q_lo, op.src_start)
                q_hi = max(q_hi, op.src_end)
                s_len += op.dest_end - op.dest_start
            q_text = masked[q_lo:q_hi]
            if "\0" not in q_text and READER_PUNCTUATION.isdisjoint(q_text):
                q_len = q_hi - q_lo
                if q_len and s_len and q_len <= 4 and s_len <= 4:
                    substituted += q_len
                    changed.append(q_text)
                elif q_len and not s_len and q_len <= 4:
                    deleted += q_len
                    changed.append(q_text)
                elif s_len and not q_len and s_len <= 2:
                    inserted += s_len
            i = j + 1
    return Slot(before, after, substituted, deleted, inserted, tuple(changed))


def slot_of(terms: QuestionTerms, text: str) -> Slot:
    """:func:`alignment_slot` of the question of ``terms`` in ``text``, computed once per
    question and sentence."""
    slot = terms.slots.get(text)
    if slot is None:
        slot = terms.slots[text] = alignment_slot(terms.analysis, text)
    return slot


def longest_suffix_in(context: str, text: str, cap: int = 16) -> int:
    """Length of the longest suffix of ``context`` (at most ``cap``) found in ``text``."""
    for length in range(min(cap, len(context)), 0, -1):
        if context[-length:] in text:
            return length
    return 0


def longest_prefix_in(context: str, text: str, cap: int = 16) -> int:
    """Length of the longest prefix of ``context`` (at most ``cap``) found in ``text``."""
    for length in range(min(cap, len(context)), 0, -1):
        if context[:length] in text:
            return length
    return 0


def occurrence_ends(text: str, needle: str) -> list[int]:
    """The ends of the first 8 occurrences of ``needle`` in ``text``."""
    out: list[int] = []
    i = text.find(needle)
    while i >= 0 and len(out) < 8:
        out.append(i + len(needle))
        i = text.find(needle, i + 1)
    return out


def occurrence_starts(text: str, needle: str) -> list[int]:
    """The starts of the first 8 occurrences of ``needle`` in ``text``."""
    out: list[int] = []
    i = text.find(needle)
    while i >= 0 and len(out) < 8:
        out.append(i)
        i = text.find(needle, i + 1)
    return out
