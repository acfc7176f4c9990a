"""Cleaning rules for scraped news articles, one module per rule, and the pipeline.

Each rule takes text and returns a :class:`RuleResult` (cleaned text plus ``Removal``
entries); :func:`clean_article` runs them in order.
"""

from __future__ import annotations

from corpus.cleaning.base import RuleResult
from corpus.cleaning.boilerplate import is_boilerplate_line, remove_boilerplate
from corpus.cleaning.captions import CaptionResult, extract_captions, is_caption
from corpus.cleaning.garbled import find_garbled, remove_garbled, repair_fragment
from corpus.cleaning.linebreaks import join_broken_lines
from corpus.cleaning.metadata import (
    ArticleMetadata,
    Dateline,
    MetadataResult,
    extract_metadata,
    parse_dateline,
    parse_datetime,
)
from corpus.cleaning.pinyin import remove_pinyin, syllable_matches
from corpus.cleaning.pipeline import CleanedArticle, clean_article
from corpus.cleaning.whitespace import normalize_newlines, tidy_whitespace
from corpus.cleaning.widgets import is_widget_line, widget_tail

__all__ = [
    "ArticleMetadata",
    "CaptionResult",
    "CleanedArticle",
    "Dateline",
    "MetadataResult",
    "RuleResult",
    "clean_article",
    "extract_captions",
    "extract_metadata",
    "find_garbled",
    "is_boilerplate_line",
    "is_caption",
    "is_widget_line",
    "join_broken_lines",
    "normalize_newlines",
    "parse_dateline",
    "parse_datetime",
    "remove_boilerplate",
    "remove_garbled",
    "remove_pinyin",
    "repair_fragment",
    "syllable_matches",
    "tidy_whitespace",
    "widget_tail",
]
