"""Checks: rules on what a question states that the evidence for an answer does not
support, beside the learned confidence.

The confidence model scores how well a sentence and span fit the question; it does not
know that a near miss (``第五届`` asked, ``第六届`` stated) is no answer at all, since such
questions are rare in the training data. Each check is a declared rule (the
:class:`~.base.Check` protocol: a name, a description, a scope and ``fires``), one module
each, with its own tests; :data:`~.registry.CHECKS` is the one registry, in the order
their reason is given. Both answer paths use it: the extractive reader judges its chosen
sentence (and a runner-up) with it, and citation verification judges the quotes of
generated claims (:mod:`qa.answering.verify`). :mod:`.statistics` counts how often each
fires and what it costs.

* :mod:`.base`: :class:`~.base.Check`, :class:`~.base.Evidence` (what a check reads);
* :mod:`.constraint`: another ordinal, year, date, period, quantity or percentage;
* :mod:`.role`: the role asked about unfilled (a deputy only, nobody, an office unnamed);
* :mod:`.registry`: :data:`~.registry.CHECKS` and the functions that apply them;
* :mod:`.statistics`: firing statistics over readings.

A check is kept only where it fires at least :data:`~.registry.MIN_FIRINGS` (10) times on
the pooled benchmark (``qa eval`` prints the firings); the near misses no kept rule
catches are the learned confidence's to turn away. Their effect on false abstention is
measured on the benchmarks (docs/reader.md; the rules tried and not taken are in
docs/decisions.md and ``docs/scripts/near_miss_rules.py``).
"""

from __future__ import annotations

from qa.answering.checks.base import Check, Evidence, Scope, Stated, StatedText
from qa.answering.checks.registry import CHECKS, check_named, failures, first_failure, scoped

__all__ = [
    "CHECKS",
    "Check",
    "Evidence",
    "Scope",
    "Stated",
    "StatedText",
    "check_named",
    "failures",
    "first_failure",
    "scoped",
]
