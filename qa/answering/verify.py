"""Citation verification of generated answers, sentence by sentence.

A language model's answer is only as good as the passages it cites. Every generated
answer, streamed or not, goes through the same steps here:

1. :class:`SentenceSplitter` cuts the text into sentences, each with the ``[n]`` markers
   written after it; fed the text in any pieces, it gives the same sentences as the whole
   text at once, so streamed and non-streamed answers verify alike.
2. :func:`parse_claim` separates a sentence's words from its markers.
3. :class:`CitationVerifier` checks each claim against the passages it cites: markers
   that point at no passage are removed; the claim's numbers, dates and named entities
   (:func:`~qa.answering.claims.claim_facts`) must all appear in the cited source
   sentences, and its words must overlap them (:data:`SUPPORT_THRESHOLD`). A claim that
   its passages do not support but another passage does is re-cited to that one; an
   unsupported claim is dropped and counted. Each citation quotes the exact source
   sentence(s) that support the claim (``document.text[start:end]``), not the chunk, and
   passages no kept sentence cites are not listed.

Sentences that ask (end with ``?``), say only that the passages hold no answer ("I don't
know"), or loop (the same phrase three times in a row) are not claims: the first and
last are dropped, the second is noted (:attr:`Verified.unknown`). Source sentences that
read as instructions to an assistant (an injected "ignore the above instructions")
never support a claim.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from corpus.normalize import Script, detect_script, normalize_for_matching, to_script
from corpus.sentences import clause_spans, sentence_spans
from qa.answering.claims import Facts, content_tokens, folded_facts
from qa.markers import MARKER
from qa.types import Citation, Passage

__all__ = [
    "FACT_ANCHOR",
    "MAX_QUOTE_SENTENCES",
    "NOVEL_THRESHOLD",
    "SUPPORT_THRESHOLD",
    "Claim",
    "CitationVerifier",
    "SentenceSplitter",
    "Support",
    "SupportScore",
    "Verified",
    "looks_like_instruction",
    "parse_claim",
    "split_sentences",
    "support_score",
    "supports",
    "verify_text",
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

MAX_QUOTE_SENTENCES = 3
"""A claim may draw on at most this many consecutive source sentences."""

# Sentence ends: 。！？!?；;… (runs), "." before whitespace (not after a digit: "1. " is
# a list item), or a line break; then closing
# quotes or brackets; then the markers written after the end.
_END = re.compile(r"(?:[。！？!?；;…]+|(?<!\d)\.(?=\s)|\n)[”’」』）)】\"']*")
_TAIL = re.compile(r"(?:[ \t]*\[\d+\])*")
_PARTIAL_TAIL = re.compile(r"[ \t]*(?:\[\d*)?")
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
_INSTRUCTION = re.compile(
    r"(?:忽略|忽视|无视|不要理会|不用理会)[^。]{0,12}(?:指令|指示|提示|要求|规则|设定|内容)"
    r"|(?:ignore|disregard|forget)\b[^.]{0,30}\b(?:instructions?|prompts?|rules)"
    r"|system prompt|系统提示|(?:你|您)(?:现在)?(?:是|扮演)[^。]{0,10}(?:助手|机器人|模型|ai)"
    r"|(?:作为|身为)(?:一个)?(?:ai|人工智能|语言模型|助手)"
    r"|^(?:请)?(?:直接)?(?:回答|输出|回复|answer|reply|say)\s*[:：]"
)


def looks_like_instruction(text: str) -> bool:
    """Whether a source sentence reads as an instruction to an assistant.

    Such sentences (an injected "忽略以上所有指令" in an article) never support a claim,
    so an answer that follows them is dropped. A heuristic: see docs/generation.md.
    """
    return _INSTRUCTION.search(normalize_for_matching(text).strip()) is not None


# -- sentences ------------------------------------------------------------------------------


class SentenceSplitter:
    """Cuts text arriving in pieces into sentences, each with its trailing markers.

    A sentence is given out once the text after it shows it is complete (it cannot grow
    more end punctuation or markers); :meth:`close` gives out the rest. Joined, the
    sentences are the text fed, whatever the pieces.
    """

    def __init__(self) -> None:
        self._buffer = ""

    def feed(self, piece: str) -> list[str]:
        """Add ``piece``; returns the sentences it completed."""
        self._buffer += piece
        return self._take(final=False)

    def close(self) -> list[str]:
        """The remaining sentences (the last one may lack end punctuation)."""
        out = self._take(final=True)
        if self._buffer:
            out.append(self._buffer)
            self._buffer = ""
        return out

    def _take(self, *, final: bool) -> list[str]:
        out: list[str] = []
        while True:
            end = _boundary(self._buffer, final=final)
            if end is None:
                return out
            out.append(self._buffer[:end])
            self._buffer = self._buffer[end:]


def _boundary(text: str, *, final: bool) -> int | None:
    """Where the first complete sentence of ``text`` ends, or None."""
    m = _END.search(text)
    if m is None or (m.end() == len(text) and not final):
        return None
    end = _TAIL.match(text, m.end())
    assert end is not None  # the pattern matches the empty string
    stop = end.end()
    if not final and _PARTIAL_TAIL.fullmatch(text, stop):
        return None  # spaces or a marker may still follow
    return stop


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` (see :class:`SentenceSplitter`); joined they are ``text``."""
    splitter = SentenceSplitter()
    return splitter.feed(text) + splitter.close()


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


# -- sources --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Sentence:
    """One sentence of a passage's document, prepared for checks."""

    start: int
    end: int
    folded: str
    facts: Facts
    tokens: frozenset[str]
    instruction: bool


@dataclass(frozen=True, slots=True)
class _Window:
    """Consecutive source sentences of one passage."""

    passage: int
    sentences: tuple[_Sentence, ...]

    @property
    def start(self) -> int:
        return self.sentences[0].start

    @property
    def end(self) -> int:
        return self.sentences[-1].end


def _passage_sentences(passage: Passage) -> tuple[_Sentence, ...]:
    """The sentences of the passage's document that overlap its chunk."""
    text, chunk = passage.document.text, passage.chunk
    out = []
    for s, e in sentence_spans(text):
        if e <= chunk.start or s >= chunk.end:
            continue
        out.append(_source_sentence(text[s:e], s, e))
    return tuple(out)


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
class _Prepared:
    """A claim ready to be checked: its words, the words it and its clauses add, its facts."""

    tokens: frozenset[str]
    novel: frozenset[str]
    clauses: tuple[frozenset[str], ...]
    facts: Facts

    @classmethod
    def of(cls, claim: str, given: frozenset[str]) -> _Prepared:
        folded = normalize_for_matching(claim)
        tokens = content_tokens(folded)
        spans = clause_spans(folded)
        clauses = tuple(
            new
            for a, b in (spans if len(spans) > 1 else ())
            if len(new := content_tokens(folded[a:b]) - given) >= 2
        )
        return cls(tokens, tokens - given, clauses, folded_facts(folded))


def _given_tokens(*texts: str) -> frozenset[str]:
    """The words of the question(s): a claim repeating them adds nothing."""
    return frozenset().union(*(content_tokens(normalize_for_matching(t)) for t in texts))


def _share(words: frozenset[str], found: frozenset[str]) -> float:
    return len(words & found) / len(words) if words else 1.0


def _score(claim: _Prepared, sentences: Sequence[_Sentence]) -> SupportScore:
    """How well these consecutive source sentences, together, state the claim.

    Numbers and dates count only from sentences sharing at least :data:`FACT_ANCHOR` of
    the claim's words (any sentence when there is one).
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


def _source_sentence(text: str, start: int = 0, end: int | None = None) -> _Sentence:
    folded = normalize_for_matching(text)
    return _Sentence(
        start,
        len(text) if end is None else end,
        folded,
        folded_facts(folded, entities=False),
        content_tokens(folded),
        looks_like_instruction(text),
    )


def support_score(claim: str, source: str | Sequence[str], *, given: str = "") -> SupportScore:
    """How well ``source`` states ``claim`` (see :class:`SupportScore`).

    Args:
        claim: a claim (any script).
        source: a source text, or consecutive source sentences (any script).
        given: the question the claim answers; its words do not count as new.
    """
    sentences = [source] if isinstance(source, str) else list(source)
    return _score(
        _Prepared.of(claim, _given_tokens(given)), [_source_sentence(s) for s in sentences]
    )


def supports(
    claim: str,
    source: str | Sequence[str],
    threshold: float = SUPPORT_THRESHOLD,
    *,
    given: str = "",
    novel_threshold: float = NOVEL_THRESHOLD,
) -> bool:
    """Whether ``source`` states ``claim``: its facts appear there, its words overlap.

    The test :class:`CitationVerifier` applies to each claim and the sentences it cites.

    Args:
        claim: a claim (any script).
        source: a source text, or consecutive source sentences (any script).
        threshold: the least share of the claim's words the source must contain.
        given: the question the claim answers.
        novel_threshold: the least share of the claim's new words (not in ``given``) the
            source must contain.
    """
    return support_score(claim, source, given=given).passes(threshold, novel_threshold)


# -- the verifier ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verdict:
    """What verification made of one generated sentence.

    Attributes:
        claim: the sentence, taken apart.
        kept: True when it stays in the answer.
        reason: why it was dropped or set aside ("" when kept): ``no content``,
            ``question``, ``unknown``, ``loop``, ``unsupported``.
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
        dropped: sentences with content that were removed (unsupported, questions,
            loops).
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
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise ValueError("threshold must be greater than 0 and at most 1")
        if not 0.0 <= novel_threshold <= 1.0:
            raise ValueError("novel_threshold must be between 0 and 1")
        self._script: Script = detect_script(question)
        self._given = _given_tokens(question, query)
        self._passages = tuple(passages)
        self._threshold = threshold
        self._novel_threshold = novel_threshold
        self._sentences: dict[int, tuple[_Sentence, ...]] = {}
        self._citations: list[Citation] = []
        self._markers: dict[tuple[str, int, int], int] = {}
        self._text: list[str] = []
        self._verdicts: list[Verdict] = []
        self._overlaps: list[float] = []

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
        verdict = self._judge(claim)
        self._verdicts.append(verdict)
        if verdict.kept:
            self._text.append(verdict.rendered)
        return verdict.rendered

    def add_all(self, sentences: Iterable[str]) -> str:
        """Verify several sentences; returns what they add to the answer."""
        return "".join(self.add(s) for s in sentences)

    def result(self) -> Verified:
        """The answer verified so far."""
        kept = sum(1 for v in self._verdicts if v.kept)
        dropped = sum(1 for v in self._verdicts if v.reason in {"unsupported", "question", "loop"})
        unknown = sum(1 for v in self._verdicts if v.reason == "unknown")
        # The mean overlap of the kept sentences, discounted by the share dropped.
        confidence = sum(self._overlaps) / (kept + dropped) if kept else 0.0
        return Verified(
            "".join(self._text),
            tuple(self._citations),
            kept,
            dropped,
            unknown,
            round(confidence, 4),
            tuple(self._verdicts),
        )

    # -- checks ------------------------------------------------------------------------

    def _judge(self, claim: Claim) -> Verdict:
        if not claim.has_content:
            return Verdict(claim, False, "no content")
        if claim.is_question:
            return Verdict(claim, False, "question")
        if claim.is_unknown:
            return Verdict(claim, False, "unknown")
        if claim.is_degenerate:
            return Verdict(claim, False, "loop")
        support = self.find_support(claim)
        if support is None:
            return Verdict(claim, False, "unsupported")
        self._overlaps.append(support.overlap)
        return Verdict(claim, True, "", self._render(claim, support))

    def _windows(self, index: int) -> list[_Window]:
        """Runs of 1 to :data:`MAX_QUOTE_SENTENCES` consecutive sentences of a passage."""
        if index not in self._sentences:
            self._sentences[index] = _passage_sentences(self._passages[index])
        sentences = self._sentences[index]
        return [
            _Window(index, sentences[i : i + size])
            for size in range(1, MAX_QUOTE_SENTENCES + 1)
            for i in range(len(sentences) - size + 1)
        ]

    def _check(self, claim: _Prepared, windows: Sequence[_Window]) -> float | None:
        """The claim's overlap with these windows together, when they support it."""
        score = _score(claim, [s for w in windows for s in w.sentences])
        return score.overlap if score.passes(self._threshold, self._novel_threshold) else None

    def _best(self, index: int, claim: _Prepared) -> tuple[_Window, float] | None:
        """The shortest, then closest, window of passage ``index`` that supports the claim."""
        best: tuple[_Window, float] | None = None
        for window in self._windows(index):
            if best is not None and len(window.sentences) > len(best[0].sentences):
                break
            overlap = self._check(claim, [window])
            if overlap is not None and (best is None or overlap > best[1]):
                best = (window, overlap)
        return best

    def _closest(self, index: int, claim: _Prepared) -> _Window | None:
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
        alone, the best one winning (re-citation).
        """
        prepared = _Prepared.of(claim.body, self._given)
        cited = [n - 1 for n in claim.markers if 1 <= n <= len(self._passages)]
        found = [(i, hit) for i in cited if (hit := self._best(i, prepared)) is not None]
        if found:
            quotes = tuple((i, w.start, w.end) for i, (w, _) in found)
            return Support(quotes, max(o for _, (_, o) in found))
        if len(cited) > 1:
            closest = [w for i in cited if (w := self._closest(i, prepared)) is not None]
            overlap = self._check(prepared, closest) if closest else None
            if overlap is not None:
                return Support(tuple((w.passage, w.start, w.end) for w in closest), overlap)
        others = [
            (i, hit)
            for i in range(len(self._passages))
            if i not in cited and (hit := self._best(i, prepared)) is not None
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
) -> Verified:
    """Verify a whole generated answer at once.

    Args:
        question: the question as asked.
        text: the generated answer, with ``[n]`` markers numbering ``passages`` from 1.
        passages: the passages the prompt numbered.
        query: the self-contained question the model was asked, when it differs.
        threshold: see :data:`SUPPORT_THRESHOLD`.
        novel_threshold: see :data:`NOVEL_THRESHOLD`.

    Returns:
        The verified answer (the same as verifying it streamed, in any pieces).
    """
    verifier = CitationVerifier(
        question, passages, query=query, threshold=threshold, novel_threshold=novel_threshold
    )
    verifier.add_all(split_sentences(text))
    return verifier.result()
