"""The cleaning pipeline: raw article text in, cleaned body plus metadata out.

Order matters: pinyin annotations go first so that every later pattern sees plain words
(``發(fā)布時(shí)間`` -> ``發布時間``); then garbled runs (a repaired run can uncover an
orphaned annotation, so pinyin runs once more); then metadata and field lines; then
boilerplate, so that nothing after the end mark is taken for a caption; then captions;
then sentences broken over two lines are joined (last: every line rule above sees the
lines as given, and a caption or field line is never glued to a paragraph); finally
whitespace.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from corpus.cleaning.base import Edit, RuleResult
from corpus.cleaning.boilerplate import remove_boilerplate
from corpus.cleaning.captions import extract_captions
from corpus.cleaning.garbled import remove_garbled
from corpus.cleaning.linebreaks import join_broken_lines
from corpus.cleaning.metadata import extract_metadata
from corpus.cleaning.offsets import EditMap
from corpus.cleaning.pinyin import remove_pinyin
from corpus.cleaning.whitespace import tidy_whitespace
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


def _newline_edits(raw: str) -> list[Edit]:
    """The edits :func:`normalize_newlines` makes (``\r\n`` and lone ``\r`` -> ``\n``)."""
    edits: list[Edit] = []
    i = raw.find("\r")
    while i >= 0:
        end = i + 2 if raw.startswith("\r\n", i) else i + 1
        edits.append(Edit(i, end, "\n"))
        i = raw.find("\r", end)
    return edits


class _Trace:
    """The edits applied so far, to give every removal its offsets in the raw text."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self.maps: list[EditMap] = []
        self.removals: list[Removal] = []

    def add(self, step: RuleResult) -> str:
        """Record a rule's removals (mapped to raw offsets) and edits; its output text."""
        for removal in step.removals:
            start, end = removal.start, removal.end
            for edit_map in reversed(self.maps):
                start, end = edit_map.start(start), edit_map.end(end)
            self.removals.append(Removal(removal.rule, self.raw[start:end], start, end))
        self.maps.append(EditMap(step.edits))
        return step.text


def clean_article(raw: str) -> CleanedArticle:
    """Clean one article and extract its stated metadata.

    Args:
        raw: the article text as decoded from its file.

    Returns:
        The cleaned article; its report lists every removal in order, each with its exact
        offsets in ``raw`` (``raw[r.start:r.end] == r.text``).
    """
    trace = _Trace(raw)
    text = trace.add(RuleResult.of(raw, _newline_edits(raw), ()))
    text = trace.add(remove_pinyin(text))
    text = trace.add(remove_garbled(text))
    text = trace.add(remove_pinyin(text))
    meta_step = extract_metadata(text)
    text = trace.add(meta_step)
    text = trace.add(remove_boilerplate(text))
    caption_step = extract_captions(text)
    text = trace.add(caption_step)
    text = trace.add(join_broken_lines(text))

    found = meta_step.metadata
    meta = found.meta + tuple(("caption", c) for c in caption_step.captions)
    return CleanedArticle(
        text=tidy_whitespace(text),
        title=found.title,
        published=found.published,
        outlet=found.outlet,
        reporter=found.reporter,
        place=found.place,
        meta=meta,
        report=CleaningReport(tuple(trace.removals)),
    )
