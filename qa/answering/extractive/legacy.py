"""Extractive answers: pick and trim the source sentences that answer a question.

No model is needed. Question terms (the BM25 index's own tokens, weighted by their IDF
in the corpus) are matched against the sentences of the top passages; the best one to
three sentences are trimmed to the clauses that carry the match (and the answer slot
next to it), and each is cited. When even the best sentence supports too little of the
question, the answerer abstains instead of quoting the nearest passage.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.normalize import Script, detect_script, normalize_for_matching, to_script
from corpus.sentences import clause_spans, sentence_spans
from qa.answering.terms import TermStatistics
from qa.lexicon import interrogative_pattern
from qa.types import Citation, Draft, Passage, Question

__all__ = [
    "ABSTAIN_TEXT",
    "Extract",
    "ExtractiveAnswerer",
    "abstain_text",
    "expected_answer_type",
    "strip_question_words",
]

ABSTAIN_TEXT = "抱歉，资料库中没有找到能回答这个问题的内容。"

# Interrogatives and sentence particles carry no content to match; they mark the slot
# the answer fills.
_QUESTION_WORDS = interrogative_pattern(["[?？]"])
_NUMBER_Q = re.compile(r"多少|几|多大|多长|多高|多远|多久|多重|比例|数量|百分之")
_DATE_Q = re.compile(
    r"何时|何年|何月|何日|什么时候|什么时间|哪年|哪一年|哪天|哪一天|几月|几号|几日|哪个月|"
    r"哪一?个?世纪|哪一?个?年代|哪一?个?时期|哪一?个?朝代|年份|日期"
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?|[〇零一二三四五六七八九十百千万亿两]+[个家项名位人岁年次倍%]")
_DATE = re.compile(
    r"\d{2,4}年|\d{1,2}月|\d{1,2}日|[一二三四五六七八九十〇]+年|世纪|年代|时期|[汉唐宋元明清]朝|[汉唐宋元明清]代"
)
_TRAILING_PUNCT = "，,：:；;、。！？!?… \u3000"

# Sentences up to this length are quoted whole; longer ones are trimmed to the clauses
# around the match (docs/benchmarks.md measures the trade-off).
_WHOLE_SENTENCE_CHARS = 40

# Window of document text scanned around a chunk for whole sentences.
_SENTENCE_WINDOW = 300


def strip_question_words(question: str) -> str:
    """The normalized question with interrogatives and particles blanked out."""
    return _QUESTION_WORDS.sub(" ", normalize_for_matching(question))


def expected_answer_type(question: str) -> str:
    """``"date"``, ``"number"`` or ``""`` from the question's interrogative."""
    q = normalize_for_matching(question)
    if _DATE_Q.search(q):
        return "date"
    if _NUMBER_Q.search(q):
        return "number"
    return ""


def _is_lead_in(clause: str) -> bool:
    """A short opening clause with no content of its own (據悉, 如, 會上, 此外)."""
    return sum(1 for c in clause if c.isalnum()) <= 3 and not any(c.isdigit() for c in clause)


def _type_values(text: str, kind: str) -> frozenset[str]:
    """The numbers (``kind="number"``) or dates (``"date"``) written in ``text``."""
    pattern = _DATE if kind == "date" else _NUMBER if kind == "number" else None
    if pattern is None:
        return frozenset()
    return frozenset(m.group() for m in pattern.finditer(normalize_for_matching(text)))


def _has_type(text: str, kind: str, known: frozenset[str] = frozenset()) -> bool:
    """Whether ``text`` holds a number or date of ``kind`` that is not in ``known``.

    ``known`` holds the values the question itself states (``2024年度…是哪天``): those
    are not the answer.
    """
    return bool(_type_values(text, kind) - known)


@dataclass(frozen=True, slots=True)
class Extract:
    """One answer sentence, before markers are assigned.

    Attributes:
        passage: the passage it was found in.
        start: sentence start in the document text.
        end: sentence end in the document text.
        answer_start: start of the trimmed answer span.
        answer_end: end of the trimmed answer span.
        score: the sentence's support score (0 to 1).
        matched: the question terms the sentence contains.
    """

    passage: Passage
    start: int
    end: int
    answer_start: int
    answer_end: int
    score: float
    matched: frozenset[str] = frozenset()


class ExtractiveAnswerer:
    """Builds cited extractive answers; the default backend, needing no model.

    Args:
        terms: tokens and IDF for matching (see :mod:`qa.answering.terms`).
        max_sentences: at most this many sentences per answer (1 to 3).
        abstain_threshold: abstain when the best support score is below this.
        answer_passages: how many top passages to draw sentences from.

    Raises:
        ValueError: for ``max_sentences`` outside 1..3, ``answer_passages < 1``, or a
            threshold outside 0..1.
    """

    def __init__(
        self,
        terms: TermStatistics,
        *,
        max_sentences: int = 3,
        abstain_threshold: float = 0.4,
        answer_passages: int = 3,
    ) -> None:
        if not 1 <= max_sentences <= 3:
            raise ValueError("max_sentences must be between 1 and 3")
        if answer_passages <= 0:
            raise ValueError("answer_passages must be greater than 0")
        if not 0.0 <= abstain_threshold <= 1.0:
            raise ValueError("abstain_threshold must be between 0 and 1")
        self._terms = terms
        self.max_sentences = max_sentences
        self.abstain_threshold = abstain_threshold
        self.answer_passages = answer_passages

    @property
    def name(self) -> str:
        """``"extractive"``."""
        return "extractive"

    def answer(self, question: Question, passages: Sequence[Passage]) -> Draft:
        """The cited answer, or an abstention when the best support is below the threshold.

        A follow-up is matched on its focus (what it asks, without the reference word),
        unless the whole resolved question finds better support.

        Args:
            question: the question (with its resolved query and focus).
            passages: the retrieved passages, best first.

        Returns:
            The draft; ``confidence`` is the best sentence's support score.
        """
        if question.is_follow_up:
            extracts = self.extract(question.focus, passages)
            alternative = self.extract(question.query, passages)
            if alternative and (not extracts or alternative[0].score > extracts[0].score):
                extracts = alternative
        else:
            extracts = self.extract(question.text, passages)
        confidence = extracts[0].score if extracts else 0.0
        if not extracts or confidence < self.abstain_threshold:
            return Draft(
                abstain_text(question.text),
                confidence=confidence,
                abstained=True,
                generator=self.name,
            )
        text, citations = self.render(question.text, extracts)
        return Draft(text, citations, confidence, abstained=False, generator=self.name)

    # -- scoring ---------------------------------------------------------------------

    def question_terms(self, question: str) -> dict[str, float]:
        """Content terms of the question with their weights (IDF)."""
        terms = list(dict.fromkeys(self._terms.tokens(strip_question_words(question))))
        if not terms:
            return {}
        weights = self._terms.idf(terms)
        return {t: float(w) for t, w in zip(terms, weights, strict=True) if w > 0}

    def _found(self, terms: dict[str, float], text: str) -> frozenset[str]:
        """The question terms that occur in ``text``."""
        present = set(self._terms.tokens(normalize_for_matching(text)))
        return frozenset(t for t in terms if t in present)

    def coverage(self, terms: dict[str, float], text: str) -> float:
        """Weighted share of the question's terms found in ``text`` (0 to 1)."""
        total = sum(terms.values())
        if total <= 0:
            return 0.0
        found = set(self._terms.tokens(normalize_for_matching(text)))
        return sum(w for t, w in terms.items() if t in found) / total

    # -- extraction ------------------------------------------------------------------

    def extract(self, question: str, passages: Sequence[Passage]) -> tuple[Extract, ...]:
        """The best supporting sentences for ``question``, best first (may be empty)."""
        terms = self.question_terms(question)
        if not terms:
            return ()
        kind = expected_answer_type(question)
        known = _type_values(question, kind)
        candidates: list[Extract] = []
        seen: set[tuple[str, int]] = set()
        for passage in passages[: self.answer_passages]:
            doc, chunk = passage.document, passage.chunk
            text = doc.text
            context = self.coverage(terms, chunk.text)
            lo = max(0, chunk.start - _SENTENCE_WINDOW)
            hi = min(len(text), chunk.end + _SENTENCE_WINDOW)
            for s, e in sentence_spans(text, lo, hi):
                if e <= chunk.start or s >= chunk.end or (doc.id, s) in seen:
                    continue
                seen.add((doc.id, s))
                matched = self._found(terms, text[s:e])
                if not matched:
                    continue
                own = sum(terms[t] for t in matched) / sum(terms.values())
                # A sentence is supported by its own words and, less, by its passage
                # (which carries the subject of sentences that say "it" or "this").
                score = 0.7 * own + 0.3 * max(own, context)
                if kind and _has_type(text[s:e], kind, known):
                    score = min(1.0, score + 0.05)
                a, b = self._trim(terms, text, s, e, (kind, known))
                candidates.append(Extract(passage, s, e, a, b, score, matched))
        candidates.sort(key=lambda x: (-x.score, x.passage.rank, x.start))
        if not candidates:
            return ()
        best = candidates[0].score
        chosen = [candidates[0]]
        covered = set(candidates[0].matched)
        total = sum(terms.values())
        for cand in candidates[1:]:
            if len(chosen) >= self.max_sentences:
                break
            if cand.score < 0.9 * best or cand.score < self.abstain_threshold:
                continue
            # A further sentence must add question terms the answer does not cover yet
            # (a list spread over sentences), not restate the same match.
            new = cand.matched - covered
            if sum(terms[t] for t in new) >= 0.1 * total:
                chosen.append(cand)
                covered |= new
        return tuple(chosen)

    def _trim(
        self,
        terms: dict[str, float],
        text: str,
        s: int,
        e: int,
        answer_type: tuple[str, frozenset[str]],
    ) -> tuple[int, int]:
        """The clause window of sentence ``text[s:e]`` that carries the answer."""
        clauses = clause_spans(text, s, e)
        if len(clauses) <= 1 or e - s <= _WHOLE_SENTENCE_CHARS:
            return s, e
        cov = [self.coverage(terms, text[a:b]) for a, b in clauses]
        kind, known = answer_type
        typed = [_has_type(text[a:b], kind, known) for a, b in clauses] if kind else []
        hits = [i for i, c in enumerate(cov) if c >= 0.1]
        if not hits:
            return s, e
        first, last = hits[0], hits[-1]
        best = max(range(len(clauses)), key=lambda i: cov[i])
        if not kind or not typed[best]:
            # The answer sits next to the clauses that restate the question: keep one
            # neighbouring clause on each side, except a bare lead-in such as 據悉 or 會上.
            if first > 0 and not _is_lead_in(text[clauses[first - 1][0] : clauses[first - 1][1]]):
                first -= 1
            last = min(len(clauses) - 1, last + 1)
        if kind and not typed[best]:
            # The answer is the number or date nearest the clause that best restates the
            # question, preferring one that follows it.
            after = [i for i in range(best + 1, min(best + 3, len(clauses))) if typed[i]]
            before = [i for i in range(max(0, best - 2), best) if typed[i]]
            if after:
                last = max(last, after[0])
            elif before:
                first = min(first, before[-1])
        return clauses[first][0], clauses[last][1]

    # -- rendering -------------------------------------------------------------------

    def render(
        self, question: str, extracts: Sequence[Extract]
    ) -> tuple[str, tuple[Citation, ...]]:
        """Answer text with ``[n]`` markers, in the question's script, and its citations."""
        script: Script = detect_script(question)
        pieces: list[str] = []
        citations: list[Citation] = []
        markers: dict[tuple[str, int, int], int] = {}
        for ex in extracts:
            doc = ex.passage.document
            key = (doc.id, ex.start, ex.end)
            if key not in markers:
                markers[key] = len(citations) + 1
                citations.append(
                    Citation(
                        marker=markers[key],
                        doc_id=doc.id,
                        chunk_id=ex.passage.chunk.id,
                        start=ex.start,
                        end=ex.end,
                        quote=doc.text[ex.start : ex.end],
                        title=doc.display_title,
                        outlet=doc.outlet,
                        date=doc.published or doc.get_meta("dateline_date"),
                        url=doc.url,
                    )
                )
            piece = doc.text[ex.answer_start : ex.answer_end].strip().rstrip(_TRAILING_PUNCT)
            piece = piece.lstrip("，,：:；;、 ")
            pieces.append(f"{to_script(piece, script)} [{markers[key]}]")
        return "；".join(pieces), tuple(citations)


def abstain_text(question: str) -> str:
    """The plain 'nothing found' answer in the question's script."""
    return to_script(ABSTAIN_TEXT, detect_script(question))
