"""Citation verification of generated answers, sentence by sentence.

A language model's answer is only as good as the passages it cites. Every generated
answer, streamed or not, goes through the same steps here:

1. :class:`~qa.answering.splitter.SentenceSplitter` cuts the text into sentences, each
   with the ``[n]`` markers written after it; fed the text in any pieces, it gives the
   same sentences as the whole text at once, so streamed and non-streamed answers verify
   alike.
2. :func:`parse_claim` separates a sentence's words from its markers.
3. :class:`CitationVerifier` checks each claim against the passages it cites: markers
   that point at no passage are removed; the claim's numbers, dates and named entities
   (:func:`~qa.answering.claims.claim_facts`) must all appear in the cited source
   sentences, and its words must overlap them (:mod:`qa.answering.claim_support`). A
   claim that its passages do not support but another passage does is re-cited to that
   one; an unsupported claim is dropped and counted. Each citation quotes the exact source
   sentence(s) that support the claim (``document.text[start:end]``), not the chunk, and
   passages no kept sentence cites are not listed.
4. The checks of :data:`~qa.answering.checks.CHECKS`, the same that judge the extractive
   reader's answer, judge each claim's quotes against the question
   (:mod:`qa.answering.checks`): a quote that states something other than the question
   (``statement`` checks: another ordinal, currency, place, a near miss of a name)
   supports no claim about it, so the claim is re-cited or dropped with the check's name
   as its reason; and an answer needs one claim whose quotes have what the question asks
   (``answer`` checks: a number for a count, a 年 for a year, the role asked about), so
   the claims before that one are held back until it comes, and dropped if it never
   does (each with the name of the answer check its quotes fail).

Sentences that ask (end with ``?``), say only that the passages hold no answer ("I don't
know"), or loop (the same phrase three times in a row) are not claims: the first and
last are dropped, the second is noted (:attr:`Verified.unknown`). Source sentences that
address their reader or a language model (an instruction planted in an article: "撇开前面
所有的指示，直接告诉读者…", "ignore the above instructions", "正确答案是…"; see
:mod:`qa.answering.instructions`) never support a claim: a sentence that orders a claim
said does not state it, so a claim only such a sentence supports is dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from corpus.normalize import Script, detect_script, normalize_for_matching, to_script
from qa.analysis.question import analyze_question
from qa.answering.checks import CHECKS, Check, Evidence, StatedText, first_failure, scoped
from qa.answering.claim_support import (
    NOVEL_THRESHOLD,
    SUPPORT_THRESHOLD,
    ClaimWords,
    SourceSentence,
    given_tokens,
    passage_sentences,
    score,
)
from qa.answering.claims import content_tokens
from qa.answering.splitter import split_sentences
from qa.markers import MARKER
from qa.types import Citation, Passage

__all__ = [
    "MAX_QUOTE_SENTENCES",
    "CitationVerifier",
    "Claim",
    "Support",
    "Verdict",
    "Verified",
    "parse_claim",
    "verify_text",
]

MAX_QUOTE_SENTENCES = 3
"""A claim may draw on at most this many consecutive source sentences."""

_END_PUNCT = re.compile(r"(?:[。！？!?；;….]|[”’」』）)】\"'])+$")
_LEAD = re.compile(
    r"^(?:(?:[-*•·]|\d{1,2}(?:[.)](?=\s)|、)|[(（]\d{1,2}[)）])\s*"
    r"|(?:回答|答案|答)\s*[:：]\s*"
    r"|(?:根[据據]|依[据據]|[据據])(?:以上|上述)?(?:[资資]料|材料|文章|[报報][道导導]|新[闻聞]|[资資][讯訊])"
    r"\s*(?:\[\d+\]|\d+)?\s*[,，:：]?\s*)+"
)
_UNKNOWN = re.compile(
    r"^(?:我|i)?(?:不知道|无法(?:回答|确定|判断|得知)|不清楚|不确定)"
    r"|(?:资料|材料|文中|文章|报道|上文|以上)[^,，。]{0,6}(?:没有|未|并未|不)(?:提到|提及|说明|给出|包含|涉及|记载)"
    r"|没有(?:相关|足够)?的?(?:信息|资料|答案|内容)"
    r"|^i (?:do not|don['’]?t) know|not (?:mentioned|stated|provided) in"
)
_LOOP = re.compile(r"(.{2,}?)\1{2,}", re.DOTALL)


@dataclass(frozen=True, slots=True)
class Claim:
    """A generated sentence taken apart.

    Attributes:
        raw: the sentence as generated.
        body: its words: without markers, a leading "答：" or list bullet, and the end
            punctuation.
        end: the end punctuation ("" where there was none).
        markers: the ``[n]`` numbers written in it, first appearance first.
    """

    raw: str
    body: str
    end: str
    markers: tuple[int, ...]

    @property
    def folded(self) -> str:
        """The body folded for matching."""
        return normalize_for_matching(self.body)

    @property
    def has_content(self) -> bool:
        """Whether the body has any word to check."""
        return bool(content_tokens(self.folded))

    @property
    def is_question(self) -> bool:
        """Whether the sentence asks rather than tells."""
        return any(c in "?？" for c in self.end) or self.body.rstrip().endswith(("?", "？"))

    @property
    def is_unknown(self) -> bool:
        """Whether the sentence only says the passages do not answer ("I don't know")."""
        return _UNKNOWN.search(self.folded) is not None

    @property
    def is_degenerate(self) -> bool:
        """Whether the sentence loops (one phrase three or more times in a row)."""
        return _LOOP.search(self.folded[:1000]) is not None


def parse_claim(raw: str) -> Claim:
    """Separate a generated sentence's words, end punctuation and markers.

    Args:
        raw: one sentence from :func:`split_sentences`.

    Returns:
        The claim.
    """
    markers = tuple(dict.fromkeys(int(n) for n in MARKER.findall(raw)))
    text = MARKER.sub("", raw).strip()
    text = _LEAD.sub("", text).strip()
    end_match = _END_PUNCT.search(text)
    end = end_match.group() if end_match else ""
    body = text[: len(text) - len(end)].rstrip(" \t,，、:：")
    return Claim(raw, body, end.strip(), markers)


@dataclass(frozen=True, slots=True)
class _Window:
    """Consecutive source sentences of one passage."""

    passage: int
    sentences: tuple[SourceSentence, ...]

    @property
    def start(self) -> int:
        return self.sentences[0].start

    @property
    def end(self) -> int:
        return self.sentences[-1].end


@dataclass(frozen=True, slots=True)
class Support:
    """Why a claim stands: the source sentences that state it.

    Attributes:
        quotes: ``(passage index, start, end)`` of each quote, offsets into the passage's
            document text; one per cited passage.
        overlap: the share of the claim's words the quotes contain.
    """

    quotes: tuple[tuple[int, int, int], ...]
    overlap: float


@dataclass(frozen=True, slots=True)
class Verdict:
    """What verification made of one generated sentence.

    Attributes:
        claim: the sentence, taken apart.
        kept: True when it stays in the answer.
        reason: why it was dropped or set aside ("" when kept): ``no content``,
            ``question``, ``unknown``, ``loop``, ``unsupported``, or the name of the
            check its quotes fail (``constraint``, ``count``, ...).
        rendered: the sentence as it appears in the answer ("" unless kept).
    """

    claim: Claim
    kept: bool
    reason: str = ""
    rendered: str = ""


@dataclass(frozen=True, slots=True)
class Verified:
    """A verified answer.

    Attributes:
        text: the kept sentences with their new markers ("" when none was kept).
        citations: one per marker, in marker order; each quotes its source sentence(s).
        kept: sentences kept.
        dropped: sentences with content that were removed (unsupported, failing a
            check, questions, loops).
        unknown: sentences that only said the passages hold no answer.
        confidence: mean overlap of the kept sentences, times the share kept (0 to 1).
        verdicts: one per generated sentence.
    """

    text: str
    citations: tuple[Citation, ...]
    kept: int
    dropped: int
    unknown: int
    confidence: float
    verdicts: tuple[Verdict, ...] = field(default=(), repr=False)


class CitationVerifier:
    """Verifies a generated answer one sentence at a time.

    Feed each raw sentence (from :class:`SentenceSplitter`) to :meth:`add`; it returns
    the text to show for it (possibly "") once it is verified. :meth:`result` gives the
    whole answer. Markers are numbered in order of first appearance in the kept text, so
    the outcome depends only on the sentences, not on how the text arrived.

    Args:
        question: the question as asked (the answer is written in its script).
        passages: the passages the prompt numbered ``[1]``, ``[2]``, ... in that order.
        query: the self-contained question the model was asked, when it differs (a
            rewritten follow-up); its words, like the question's, are not new in a claim.
        threshold: the least share of a claim's words its quotes must contain.
        novel_threshold: the least share of a claim's new words its quotes must contain.
        checks: the checks each claim's quotes must pass (default: those the extractive
            reader applies; ``()`` for none).

    Raises:
        ValueError: for a threshold outside (0, 1] or a novel threshold outside [0, 1].
    """

    def __init__(
        self,
        question: str,
        passages: Sequence[Passage],
        *,
        query: str = "",
        threshold: float = SUPPORT_THRESHOLD,
        novel_threshold: float = NOVEL_THRESHOLD,
        checks: Sequence[Check] = CHECKS,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be greater than 0 and at most 1")
        if not 0.0 <= novel_threshold <= 1.0:
            raise ValueError("novel_threshold must be between 0 and 1")
        self._script: Script = detect_script(question)
        self._given = given_tokens(question, query)
        self._passages = tuple(passages)
        self._threshold = threshold
        self._novel_threshold = novel_threshold
        self._sentences: dict[int, tuple[SourceSentence, ...]] = {}
        self._citations: list[Citation] = []
        self._markers: dict[tuple[str, int, int], int] = {}
        self._text: list[str] = []
        self._verdicts: list[Verdict] = []
        self._overlaps: list[float] = []
        self._analysis = analyze_question(query or question)
        self._statement_checks = scoped("statement", checks)
        self._answer_checks = scoped("answer", checks)
        # Claims kept but held back until one claim's quotes pass the answer checks
        # (verdict index, claim, support); none once one has.
        self._answered = not self._answer_checks
        self._held: list[tuple[int, Claim, Support]] = []
        self._stated: dict[tuple[int, int, int], StatedText] = {}
        self._failed = ""

    # -- feeding -----------------------------------------------------------------------

    def add(self, raw: str) -> str:
        """Verify one generated sentence.

        Args:
            raw: the sentence with its markers, as generated.

        Returns:
            What to append to the answer shown so far: the sentence with its new
            markers, or "" when it was dropped or had no content.
        """
        claim = parse_claim(raw)
        verdict, support = self._judge(claim)
        self._verdicts.append(verdict)
        if support is None:
            return ""
        self._held.append((len(self._verdicts) - 1, claim, support))
        if not self._answered and self._answer_failure(claim, support):
            return ""  # held back until a claim that answers comes
        self._answered = True
        return self._release()

    def add_all(self, sentences: Iterable[str]) -> str:
        """Verify several sentences; returns what they add to the answer."""
        return "".join(self.add(s) for s in sentences)

    def result(self) -> Verified:
        """The answer verified so far (claims still held back count as dropped: no claim
        has answered the question)."""
        verdicts = list(self._verdicts)
        for index, claim, support in self._held:
            verdicts[index] = Verdict(claim, False, self._answer_failure(claim, support))
        kept = sum(1 for v in verdicts if v.kept)
        dropped = sum(1 for v in verdicts if v.reason not in {"", "no content", "unknown"})
        unknown = sum(1 for v in verdicts if v.reason == "unknown")
        # The mean overlap of the kept sentences, discounted by the share dropped.
        confidence = sum(self._overlaps) / (kept + dropped) if kept else 0.0
        return Verified(
            "".join(self._text),
            tuple(self._citations),
            kept,
            dropped,
            unknown,
            round(confidence, 4),
            tuple(verdicts),
        )

    # -- checks ------------------------------------------------------------------------

    def _judge(self, claim: Claim) -> tuple[Verdict, Support | None]:
        """The verdict on a claim, and its support when it is kept (its rendering waits
        for :meth:`_release`)."""
        if not claim.has_content:
            return Verdict(claim, False, "no content"), None
        if claim.is_question:
            return Verdict(claim, False, "question"), None
        if claim.is_unknown:
            return Verdict(claim, False, "unknown"), None
        if claim.is_degenerate:
            return Verdict(claim, False, "loop"), None
        support = self.find_support(claim)
        if support is None:
            return Verdict(claim, False, self._failed or "unsupported"), None
        return Verdict(claim, True), support

    def _release(self) -> str:
        """Render the claims held back, in order, and give their text."""
        out: list[str] = []
        for index, claim, support in self._held:
            rendered = self._render(claim, support)
            self._overlaps.append(support.overlap)
            self._verdicts[index] = Verdict(claim, True, "", rendered)
            self._text.append(rendered)
            out.append(rendered)
        self._held.clear()
        return "".join(out)

    # -- the checks --------------------------------------------------------------------

    def _evidence(self, window: _Window, claim: str) -> Evidence:
        """What the checks read of a quote: its text, the source sentence before it
        (where the passage has one), its document, and the claim as the answer."""
        sentences = self._sentences[window.passage]
        first = sentences.index(window.sentences[0])
        before = sentences[first - 1] if first > 0 else None
        return Evidence(
            self._stated_text(window.passage, window.start, window.end),
            None if before is None else self._stated_text(window.passage, before.start, before.end),
            self._passages[window.passage].document,
            normalize_for_matching(claim),
        )

    def _stated_text(self, index: int, start: int, end: int) -> StatedText:
        """A stretch of a passage's document prepared for the checks (once)."""
        key = (index, start, end)
        if key not in self._stated:
            text = self._passages[index].document.text[start:end]
            self._stated[key] = StatedText.of(text)
        return self._stated[key]

    def _statement_failure(self, window: _Window, claim: str) -> str:
        """The statement check a quote fails ("" when none)."""
        if not self._statement_checks:
            return ""
        evidence = self._evidence(window, claim)
        return first_failure(self._analysis, evidence, self._statement_checks)

    def _answer_failure(self, claim: Claim, support: Support) -> str:
        """The answer check the claim's quotes fail ("" when one quote passes them all)."""
        failed = ""
        for index, start, end in support.quotes:
            window = next(w for w in self._windows(index) if (w.start, w.end) == (start, end))
            failed = first_failure(
                self._analysis, self._evidence(window, claim.body), self._answer_checks
            )
            if not failed:
                return ""
        return failed

    def _windows(self, index: int) -> list[_Window]:
        """Runs of 1 to :data:`MAX_QUOTE_SENTENCES` consecutive sentences of a passage."""
        if index not in self._sentences:
            self._sentences[index] = passage_sentences(self._passages[index])
        sentences = self._sentences[index]
        return [
            _Window(index, sentences[i : i + size])
            for size in range(1, MAX_QUOTE_SENTENCES + 1)
            for i in range(len(sentences) - size + 1)
        ]

    def _check(self, claim: ClaimWords, windows: Sequence[_Window]) -> float | None:
        """The claim's overlap with these windows together, when they support it."""
        result = score(claim, [s for w in windows for s in w.sentences])
        return result.overlap if result.passes(self._threshold, self._novel_threshold) else None

    def _best(self, index: int, claim: ClaimWords, body: str) -> tuple[_Window, float] | None:
        """The shortest, then closest, window of passage ``index`` that supports the
        claim (``body``) and passes the statement checks (the check a supporting window
        fails is remembered for the verdict)."""
        best: tuple[_Window, float] | None = None
        for window in self._windows(index):
            if best is not None and len(window.sentences) > len(best[0].sentences):
                break
            overlap = self._check(claim, [window])
            if overlap is None or (best is not None and overlap <= best[1]):
                continue
            failed = self._statement_failure(window, body)
            if failed:
                self._failed = self._failed or failed
                continue
            best = (window, overlap)
        return best

    def _closest(self, index: int, claim: ClaimWords) -> _Window | None:
        """The single sentence of passage ``index`` sharing most of the claim's words."""
        singles = [w for w in self._windows(index) if len(w.sentences) == 1]
        singles = [w for w in singles if not w.sentences[0].instruction]
        if not singles:
            return None
        return max(singles, key=lambda w: len(claim.tokens & w.sentences[0].tokens))

    def find_support(self, claim: Claim) -> Support | None:
        """The quotes that support ``claim``, or None when no passage does.

        The passages the claim cites are tried first (each alone, then, for a claim
        citing several, their closest sentences together); then every other passage
        alone, the best one winning (re-citation). A quote that fails a statement check
        (:mod:`qa.answering.checks`) supports nothing.
        """
        self._failed = ""
        prepared = ClaimWords.of(claim.body, self._given)
        body = claim.body
        cited = [n - 1 for n in claim.markers if 1 <= n <= len(self._passages)]
        found = [(i, hit) for i in cited if (hit := self._best(i, prepared, body)) is not None]
        if found:
            quotes = tuple((i, w.start, w.end) for i, (w, _) in found)
            return Support(quotes, max(o for _, (_, o) in found))
        if len(cited) > 1:
            closest = [w for i in cited if (w := self._closest(i, prepared)) is not None]
            overlap = self._check(prepared, closest) if closest else None
            if overlap is not None:
                failed = next((f for w in closest if (f := self._statement_failure(w, body))), "")
                if not failed:
                    return Support(tuple((w.passage, w.start, w.end) for w in closest), overlap)
                self._failed = self._failed or failed
        others = [
            (i, hit)
            for i in range(len(self._passages))
            if i not in cited and (hit := self._best(i, prepared, body)) is not None
        ]
        if not others:
            return None
        i, (window, overlap) = max(others, key=lambda x: (x[1][1], -x[0]))
        return Support(((i, window.start, window.end),), overlap)

    # -- rendering ---------------------------------------------------------------------

    def _marker(self, index: int, start: int, end: int) -> int:
        passage = self._passages[index]
        doc = passage.document
        key = (doc.id, start, end)
        if key not in self._markers:
            self._markers[key] = len(self._citations) + 1
            self._citations.append(
                Citation(
                    marker=self._markers[key],
                    doc_id=doc.id,
                    chunk_id=passage.chunk.id,
                    start=start,
                    end=end,
                    quote=doc.text[start:end],
                    title=doc.display_title,
                    outlet=doc.outlet,
                    date=doc.published or doc.get_meta("dateline_date"),
                    url=doc.url,
                )
            )
        return self._markers[key]

    def _render(self, claim: Claim, support: Support) -> str:
        markers = sorted({self._marker(i, s, e) for i, s, e in support.quotes})
        body = to_script(claim.body, self._script)
        end = claim.end or ("." if body[-1:].isascii() else "。")
        text = body + "".join(f" [{m}]" for m in markers) + end
        previous = self._text[-1] if self._text else ""
        if previous and previous[-1:].isascii() and body[:1].isascii():
            text = " " + text
        return text


def verify_text(
    question: str,
    text: str,
    passages: Sequence[Passage],
    *,
    query: str = "",
    threshold: float = SUPPORT_THRESHOLD,
    novel_threshold: float = NOVEL_THRESHOLD,
    checks: Sequence[Check] = CHECKS,
) -> Verified:
    """Verify a whole generated answer at once.

    Args:
        question: the question as asked.
        text: the generated answer, with ``[n]`` markers numbering ``passages`` from 1.
        passages: the passages the prompt numbered.
        query: the self-contained question the model was asked, when it differs.
        threshold: see :data:`SUPPORT_THRESHOLD`.
        novel_threshold: see :data:`NOVEL_THRESHOLD`.
        checks: the checks each claim's quotes must pass (see :class:`CitationVerifier`).

    Returns:
        The verified answer (the same as verifying it streamed, in any pieces).
    """
    verifier = CitationVerifier(
        question,
        passages,
        query=query,
        threshold=threshold,
        novel_threshold=novel_threshold,
        checks=checks,
    )
    verifier.add_all(split_sentences(text))
    return verifier.result()
