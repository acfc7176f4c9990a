"""The cleaning pipeline: raw article text in, cleaned body plus metadata out.

Order matters: pinyin annotations go first so that every later pattern sees plain words
(``發(fā)布時(shí)間`` -> ``發布時間``); then garbled runs (a repaired run can uncover an
orphaned annotation, so pinyin runs once more); then metadata and field lines; then
boilerplate, so that nothing after the end mark is taken for a caption; then captions;
finally whitespace.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from corpus.cleaning.boilerplate import remove_boilerplate
from corpus.cleaning.captions import extract_captions
from corpus.cleaning.garbled import remove_garbled
from corpus.cleaning.metadata import extract_metadata
from corpus.cleaning.pinyin import remove_pinyin
from corpus.cleaning.whitespace import normalize_newlines, tidy_whitespace
from corpus.types import CleaningReport, Removal

__all__ = ["CleanedArticle", "clean_article"]


@dataclass(frozen=True, slots=True)
class CleanedArticle:
    """A cleaned article body and what the article states about itself.

    Attributes:
        text: the cleaned body, in the article's own script.
        title: the stated title, or "".
        published: ISO 8601 publish time where stated, or "".
        outlet: the news outlet where stated, or "".
        reporter: reporter name(s) where stated, or "".
        place: the dateline place where stated, or "".
        meta: further (key, value) pairs: ``caption``, ``dateline_date``, ``editor``.
        report: what each rule removed.
    """

    text: str
    title: str = ""
    published: str = ""
    outlet: str = ""
    reporter: str = ""
    place: str = ""
    meta: tuple[tuple[str, str], ...] = ()
    report: CleaningReport = field(default_factory=CleaningReport)


def clean_article(raw: str) -> CleanedArticle:
    """Clean one article and extract its stated metadata.

    Args:
        raw: the article text as decoded from its file.

    Returns:
        The cleaned article; its report lists every removal in order.
    """
    removals: list[Removal] = []
    text = normalize_newlines(raw)

    step = remove_pinyin(text)
    removals += step.removals
    step = remove_garbled(step.text)
    removals += step.removals
    step = remove_pinyin(step.text)
    removals += step.removals

    meta_step = extract_metadata(step.text)
    removals += meta_step.removals
    step = remove_boilerplate(meta_step.text)
    removals += step.removals
    caption_step = extract_captions(step.text)
    removals += caption_step.removals

    found = meta_step.metadata
    meta = found.meta + tuple(("caption", c) for c in caption_step.captions)
    return CleanedArticle(
        text=tidy_whitespace(caption_step.text),
        title=found.title,
        published=found.published,
        outlet=found.outlet,
        reporter=found.reporter,
        place=found.place,
        meta=meta,
        report=CleaningReport(tuple(removals)),
    )
