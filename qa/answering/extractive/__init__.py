"""The extractive reader (work in progress: the legacy answerer is still the default)."""

from __future__ import annotations

from qa.answering.extractive.legacy import (
    ABSTAIN_TEXT,
    Extract,
    ExtractiveAnswerer,
    abstain_text,
    expected_answer_type,
    strip_question_words,
)

__all__ = [
    "ABSTAIN_TEXT",
    "Extract",
    "ExtractiveAnswerer",
    "abstain_text",
    "expected_answer_type",
    "strip_question_words",
]
