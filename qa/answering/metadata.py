"""Questions about the article itself: who reported it, when and where it was published.

``中新网这篇报道的记者是谁?``, ``这篇文章是哪天发布的?``, ``這篇報道來自哪家媒體?`` ask
about the article, not about what it reports, so the reader's sentence ranking has
nothing to match: the answer is in the dateline or byline (``中新網杭州11月1日電
(奚金燕)``) and in the metadata read when the article was loaded
(:class:`corpus.types.Document`: ``reporter``, ``published``, ``outlet``, the
``dateline_date`` of :attr:`~corpus.types.Document.meta`).

A small, declared path:

- :func:`metadata_field` recognises such a question by a few patterns, on the question
  folded to simplified script (so both scripts): a field word (``记者``, ``作者``,
  ``编辑``; ``发布``/``发表`` with ``哪天``/``什么时候``/``日期``; ``哪家媒体``,
  ``来源``) and either a word for the article (for the reporter: ``这篇``, ``本文``,
  ``报道``, ``文章``, ...; for a date or an outlet, which articles often report, only
  one that points at this article: ``这篇``, ``本文``, ``该报道``, ...) or nothing else
  asked (``记者是谁?``, ``哪天发布的?``); 1 of the 6,743 benchmark questions matched
  before that restriction (``…都由哪家報紙獨家報導?``), none after. A question about
  what the article reports (``倡议书是哪天发布的?``, ``采访尚鹏的记者是谁``) names
  something else and is left to the reader.
- :func:`answer_metadata` answers it from the best-ranked article of the passages (one
  whose outlet the question names, where it names one): the value is located in the
  article's text and cited with the sentence that states it (``quote ==
  document.text[start:end]``); a value the loader read from the page's metadata but the
  text does not state (a publication time from a page header that cleaning removed) is
  given without a citation and says so; an article that states neither is an
  abstention.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Literal

from corpus.normalize import detect_script, normalize_for_matching, to_script
from corpus.sentences import sentence_spans
from corpus.types import Document
from qa.answering.messages import abstain_text, question_language
from qa.lexicon import (
    ARTICLE_FILLER,
    ARTICLE_WORDS,
    DATE_ASKING_WORDS,
    DEICTIC_CHARS,
    OUTLET_ASKERS,
    OUTLET_NAME_SUFFIXES,
    OUTLET_NOUNS,
    OUTLET_SOURCE_WORDS,
    OUTLET_VERBS,
    PUBLISH_VERBS,
    REPORTER_WORDS,
    THIS_ARTICLE_WORDS,
    WHO_WORDS,
)
from qa.types import Citation, Draft, Passage

__all__ = [
    "METADATA_GENERATOR",
    "MetadataField",
    "answer_metadata",
    "metadata_field",
    "metadata_value",
]

MetadataField = Literal["reporter", "published", "outlet"]

METADATA_GENERATOR = "extractive"
"""The ``generator`` of an answer from the article's dateline, byline or metadata (the
extractive answerer's: no language model is involved)."""

CITED_CONFIDENCE = 0.95
"""The confidence of a value the article's text states (and that is cited)."""
UNCITED_CONFIDENCE = 0.7
"""The confidence of a value read from the page's metadata only."""


def _any(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in words)


_ARTICLE = re.compile(_any(ARTICLE_WORDS))
_THIS_ARTICLE = re.compile(_any(THIS_ARTICLE_WORDS))
# An outlet's name in a question (``新华社``, ``中新网``, ``人民日报``), and the words for
# "this" that start one that is not (``本网``).
_NAMED_OUTLET = re.compile(rf"[\u4e00-\u9fff]{{1,4}}?(?:{_any(OUTLET_NAME_SUFFIXES)})")
_DEICTIC_HEAD = re.compile(f"({_any(tuple(DEICTIC_CHARS))})")
_REPORTER = re.compile(_any(REPORTER_WORDS))
_WHO = re.compile(_any(WHO_WORDS))
_DATE = re.compile(_any(DATE_ASKING_WORDS))
_PUBLISH = re.compile(_any(PUBLISH_VERBS))
_OUTLET = re.compile(f"({_any(OUTLET_ASKERS)})({_any(OUTLET_NOUNS)})|{_any(OUTLET_SOURCE_WORDS)}")
_OUTLET_VERB = re.compile(_any(OUTLET_VERBS))
# What a bare question about the article may hold besides its field and interrogative.
_FILLER = re.compile(_any(ARTICLE_FILLER) + r"|[?？!！。，,\s]")
_VALUE_LABELS: dict[str, dict[str, str]] = {
    "zh-Hans": {"reporter": "记者：", "published": "发布时间：", "outlet": "来源："},
    "zh-Hant": {"reporter": "記者：", "published": "發布時間：", "outlet": "來源："},
    "en": {"reporter": "Reporter: ", "published": "Published: ", "outlet": "Source: "},
}
_UNCITED_NOTES: dict[str, str] = {
    "zh-Hans": "（据文章的发布信息，正文未载明）",
    "zh-Hant": "（據文章的發布信息，正文未載明）",
    "en": " (from the article's metadata; its text does not state it)",
}


def metadata_field(question: str) -> MetadataField | None:
    """Which field of the article ``question`` asks about, or None for a question about
    what the article reports.

    Args:
        question: the question, in either script.

    Returns:
        ``"reporter"``, ``"published"`` or ``"outlet"``; None otherwise.
    """
    q = normalize_for_matching(question)
    about_article = bool(_ARTICLE.search(q))
    this_article = bool(_THIS_ARTICLE.search(q))
    if _REPORTER.search(q) and _WHO.search(q):
        rest = _strip(q, _REPORTER, _WHO)
        if about_article or _bare(rest):
            return "reporter"
    # A date or an outlet is often what an article reports (``…由哪家报纸独家报导``):
    # only a question that points at this article, or asks nothing else, is about it.
    if _DATE.search(q) and _PUBLISH.search(q):
        rest = _strip(q, _DATE, _PUBLISH)
        if this_article or _bare(rest):
            return "published"
    if _OUTLET.search(q) and (_OUTLET_VERB.search(q) or this_article):
        rest = _strip(q, _OUTLET, _OUTLET_VERB)
        if this_article or _bare(rest):
            return "outlet"
    return None


def _strip(q: str, *patterns: re.Pattern[str]) -> str:
    for p in patterns:
        q = p.sub("", q)
    return q


def _bare(rest: str) -> bool:
    """Nothing but filler left: the question names no subject of its own."""
    return not _FILLER.sub("", rest)


def metadata_value(document: Document, field: MetadataField) -> str:
    """The value of ``field`` that ``document`` records, "" where it records none.

    ``published`` is the publication date (``2024-07-01`` of ``2024-07-01T17:35:13``),
    else the dateline's date (``11月1日``).
    """
    if field == "reporter":
        return document.reporter.strip()
    if field == "outlet":
        return document.outlet.strip()
    if document.published:
        return document.published.split("T", 1)[0]
    return document.get_meta("dateline_date").strip()


def _date_forms(value: str) -> list[str]:
    """Ways an article's text writes an ISO date (``2024-07-01``: ``2024年7月1日``,
    ``7月1日``, ``2024-07-01``, ``2024/7/1``), the most specific first."""
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", value)
    if not m:
        return [value]
    y, mo, d = m.group(1), int(m.group(2)), int(m.group(3))
    return [
        value,
        f"{y}/{mo}/{d}",
        f"{y}年{mo}月{d}日",
        f"{y}年{mo:02d}月{d:02d}日",
        f"{mo}月{d}日",
    ]


def _locate(document: Document, field: MetadataField, value: str) -> tuple[int, int] | None:
    """Where the text states ``value``: ``(start, end)`` of its first statement."""
    text = document.text
    if field == "reporter":
        names = [n for n in re.split(r"[、,，\s/;；]+", value) if n]
        forms = [value, *names]
    elif field == "published":
        forms = _date_forms(value)
    else:
        forms = [value]
    folded = normalize_for_matching(text)
    same_length = len(folded) == len(text)
    for form in forms:
        at = text.find(form)
        if at < 0 and same_length:
            at = folded.find(normalize_for_matching(form))
        if at >= 0:
            return at, at + len(form)
    return None


def _sentence_of(text: str, start: int, end: int) -> tuple[int, int]:
    for a, b in sentence_spans(text):
        if a <= start and end <= b:
            return a, b
    return start, end


def _chunk_id(passages: Sequence[Passage], document: Document, start: int) -> str:
    chunks = [p.chunk for p in passages if p.document.id == document.id]
    for chunk in chunks:
        if chunk.start <= start < chunk.end:
            return chunk.id
    return chunks[0].id if chunks else ""


def _document(question: str, passages: Sequence[Passage]) -> Document | None:
    """The article asked about: the best-ranked one whose outlet the question names,
    else the best-ranked one; None where the question names an outlet (``新华社这篇报道``)
    that none of them has."""
    documents = list({p.document.id: p.document for p in passages}.values())
    if not documents:
        return None
    q = normalize_for_matching(question)
    for document in documents:
        outlet = normalize_for_matching(document.outlet)
        if outlet and outlet in q:
            return document
    named = [m.group() for m in _NAMED_OUTLET.finditer(q)]
    if any(not _DEICTIC_HEAD.match(n) for n in named):
        return None
    return documents[0]


def answer_metadata(question: str, field: MetadataField, passages: Sequence[Passage]) -> Draft:
    """The answer to a question about the article's ``field``, or an abstention.

    Args:
        question: the question as asked.
        field: what it asks (:func:`metadata_field`).
        passages: the retrieved passages, best first.

    Returns:
        A draft whose short answer is the value, cited with the sentence of the text
        that states it; uncited (and saying so) where only the loaded metadata states
        it; an abstention where the article states it nowhere.
    """
    document = _document(question, passages)
    value = metadata_value(document, field) if document is not None else ""
    if document is None or not value:
        return Draft(abstain_text(question), abstained=True, generator=METADATA_GENERATOR)
    script = detect_script(question)
    language = question_language(question)
    label = _VALUE_LABELS[language][field]
    where = _locate(document, field, value)
    if where is None:
        text = f"{label}{to_script(value, script)}{_UNCITED_NOTES[language]}"
        return Draft(
            text,
            confidence=UNCITED_CONFIDENCE,
            short_answer=to_script(value, script),
            generator=METADATA_GENERATOR,
        )
    s, e = where
    stated = document.text[s:e]
    a, b = _sentence_of(document.text, s, e)
    citation = Citation(
        marker=1,
        doc_id=document.id,
        chunk_id=_chunk_id(passages, document, s),
        start=a,
        end=b,
        quote=document.text[a:b],
        title=document.display_title,
        outlet=document.outlet,
        date=document.published or document.get_meta("dateline_date"),
        url=document.url,
    )
    return Draft(
        f"{label}{to_script(stated, script)} [1]",
        citations=(citation,),
        confidence=CITED_CONFIDENCE,
        short_answer=to_script(stated, script),
        generator=METADATA_GENERATOR,
    )
