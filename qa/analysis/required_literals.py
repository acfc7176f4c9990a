"""Strings one of which every match of a regular expression contains: a prefilter.

:func:`required_literals` reads a pattern's syntax tree (Python's own parser) and
returns a set of strings such that any text a match of the pattern spans contains at
least one of them, or None where it cannot say (the pattern may match without any
literal, e.g. ``.*`` or ``a?``). A text that contains none of them cannot match, so one
test for all of them (:func:`literal_prefilter`) can stand before many patterns that
rarely match (RE2's ``FilteredRE2`` does the same).

The analysis only ever weakens: lookarounds, anchors and what it does not know are read
as "may match anything here"; so the prefilter may let a text through that no pattern
matches, never the reverse.
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

try:  # Python's own regular expression parser (3.11+: re._parser, re._constants)
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - another Python: no prefilter, every rule runs
    _c = _parser = None

__all__ = [
    "ANALYSIS_VERSION",
    "LiteralIndex",
    "LiteralPrefilter",
    "fingerprint",
    "literal_prefilter",
    "live_scanner",
    "required_literals",
    "stored_index",
    "write_index",
]

ANALYSIS_VERSION = 1
"""Raised when the analysis changes what it derives (a stored index is then derived again)."""

_LIMIT = 256
"""Exact sets larger than this are given up (their requirement is kept)."""
_SMALL_CLASS = 64
"""A character class of up to this many characters is read as an alternation."""

Strings = frozenset[str]


def required_literals(pattern: str | re.Pattern[str]) -> Strings | None:
    """Strings one of which every match of ``pattern`` contains (None: no such set is
    known, e.g. the pattern may match the empty string).

    Raises:
        re.error: when ``pattern`` is no regular expression.
    """
    if _parser is None:  # pragma: no cover
        return None
    source = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
    flags = pattern.flags if isinstance(pattern, re.Pattern) else 0
    if flags & (re.IGNORECASE | re.VERBOSE):
        return None
    parsed = _parser.parse(source, flags)
    if parsed.state.flags & (re.IGNORECASE | re.VERBOSE):
        return None  # set inline, as (?i) at the start
    _, req = _sequence(list(parsed))
    return req


@dataclass(frozen=True, slots=True)
class LiteralPrefilter:
    """Whether a text may hold a required literal of some patterns: it holds one of
    :attr:`chars` (the one-character literals) or one of :attr:`pairs` (the first two
    characters of the longer ones). A text for which it says False matches none of the
    patterns; a True is only a maybe.

    Attributes:
        chars: the literals of one character.
        pairs: the first two characters of each longer literal.
    """

    chars: frozenset[str]
    pairs: frozenset[str]

    def __call__(self, text: str) -> bool:
        """False when ``text`` holds none of the literals (so no pattern matches it)."""
        if not self.chars.isdisjoint(text):
            return True
        return not self.pairs.isdisjoint(map(operator.add, text, text[1:]))


@dataclass(frozen=True, slots=True)
class LiteralIndex:
    """The prefilters of several patterns at once: :meth:`live` tells, in one pass over a
    text, which of the patterns may match it (bit ``i`` for pattern ``i``); a pattern
    whose bit is clear matches nowhere in the text.

    Build with :meth:`of`.

    Attributes:
        keys: per key (a one-character literal, or the first two characters of a longer
            one), the bits of the patterns that have it.
        chars: the one-character keys.
        pairs: the two-character keys.
        always: the bits of the patterns without required literals (always live).
    """

    keys: dict[str, int]
    chars: frozenset[str]
    pairs: frozenset[str]
    always: int

    @classmethod
    def of(cls, patterns: Iterable[str | re.Pattern[str]]) -> LiteralIndex:
        """The index of ``patterns`` (bit ``i``: the ``i``-th)."""
        keys: dict[str, int] = {}
        always = 0
        for i, pattern in enumerate(patterns):
            prefilter = literal_prefilter([pattern])
            if prefilter is None:
                always |= 1 << i
                continue
            for key in prefilter.chars | prefilter.pairs:
                keys[key] = keys.get(key, 0) | 1 << i
        return cls(
            keys=keys,
            chars=frozenset(k for k in keys if len(k) == 1),
            pairs=frozenset(k for k in keys if len(k) == 2),
            always=always,
        )

    def as_json(self) -> dict[str, Any]:
        """What :meth:`from_json` reads back (the keys and the always-live bits)."""
        return {"keys": dict(sorted(self.keys.items())), "always": self.always}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LiteralIndex:
        """The index :meth:`as_json` wrote."""
        keys = {str(k): int(v) for k, v in data["keys"].items()}
        return cls(
            keys=keys,
            chars=frozenset(k for k in keys if len(k) == 1),
            pairs=frozenset(k for k in keys if len(k) == 2),
            always=int(data["always"]),
        )

    def live(self, text: str) -> int:
        """The bits of the patterns that may match somewhere in ``text``."""
        mask = self.always
        keys = self.keys
        for key in self.chars.intersection(text):
            mask |= keys[key]
        for key in self.pairs.intersection(map(operator.add, text, text[1:])):
            mask |= keys[key]
        return mask


def live_scanner(index: LiteralIndex) -> Callable[[str], int]:
    """A function equal to ``index.live`` that is cheaper on short texts.

    :meth:`LiteralIndex.live` forms every two-character piece of the text to look up the
    two-character keys; this one looks up the first characters of all keys at once and
    searches the text only for the two-character keys whose first character it holds
    (few, in most texts): about half the cost on sentences of some 40 characters.
    """
    firsts: dict[str, int] = {}
    pairs: dict[str, list[tuple[str, int]]] = {}
    for key, bits in index.keys.items():
        if len(key) == 1:
            firsts[key] = firsts.get(key, 0) | bits
        else:
            firsts.setdefault(key[0], 0)
            pairs.setdefault(key[0], []).append((key, bits))
    lookup = {c: (bits, tuple(pairs.get(c, ()))) for c, bits in firsts.items()}
    present = frozenset(lookup).intersection
    always = index.always

    def live(text: str) -> int:
        mask = always
        for c in present(text):
            bits, with_c = lookup[c]
            mask |= bits
            for key, key_bits in with_c:
                if mask & key_bits != key_bits and key in text:
                    mask |= key_bits
        return mask

    return live


def fingerprint(patterns: Iterable[str | re.Pattern[str]]) -> str:
    """A digest of ``patterns`` (sources and flags) and of this module's analysis version:
    a stored :class:`LiteralIndex` is used only for the patterns it was derived from."""
    digest = hashlib.sha256(f"required_literals/{ANALYSIS_VERSION}".encode())
    for pattern in patterns:
        source = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
        flags = pattern.flags if isinstance(pattern, re.Pattern) else 0
        digest.update(f"\0{flags}\0{source}".encode())
    return digest.hexdigest()


def stored_index(patterns: Sequence[str | re.Pattern[str]], path: Path) -> LiteralIndex:
    """The index of ``patterns`` stored at ``path`` (by :func:`write_index`) while its
    fingerprint matches them, else derived again (deriving parses every pattern's syntax
    tree: milliseconds per process that a stored index saves)."""
    try:
        stored = json.loads(path.read_text(encoding="utf-8"))
        if stored.get("fingerprint") == fingerprint(patterns):
            return LiteralIndex.from_json(stored)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return LiteralIndex.of(patterns)


def write_index(patterns: Sequence[str | re.Pattern[str]], path: Path) -> None:
    """Derive the index of ``patterns`` and store it at ``path``, with their fingerprint."""
    data = {"fingerprint": fingerprint(patterns), **LiteralIndex.of(patterns).as_json()}
    path.write_text(json.dumps(data, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")


def literal_prefilter(patterns: Iterable[str | re.Pattern[str]]) -> LiteralPrefilter | None:
    """The prefilter of ``patterns``: a text it turns down matches none of them; None
    when some pattern has no required literal (every text would have to pass)."""
    literals: set[str] = set()
    for pattern in patterns:
        req = required_literals(pattern)
        if req is None:
            return None
        literals |= req
    return LiteralPrefilter(
        chars=frozenset(s for s in literals if len(s) == 1),
        pairs=frozenset(s[:2] for s in literals if len(s) > 1),
    )


def _better(a: Strings | None, b: Strings | None) -> Strings | None:
    """The more selective of two requirements: longer shortest string, then fewer."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b, key=lambda s: (-min(map(len, s)), len(s), sorted(s)))


def _usable(strings: Strings | None) -> Strings | None:
    """A requirement is no requirement where it holds the empty string."""
    if strings is None or "" in strings or not strings:
        return None
    return strings


def _sequence(items: list[tuple[Any, Any]]) -> tuple[Strings | None, Strings | None]:
    """(exact, required) of a sequence of parsed items: ``exact`` is every string the
    sequence matches (None: too many or unknown)."""
    current: Strings | None = frozenset({""})
    best: Strings | None = None
    exact_all = True
    for op, av in items:
        exact, req = _item(op, av)
        if exact is not None and current is not None and len(current) * len(exact) <= _LIMIT:
            current = frozenset(a + b for a in current for b in exact)
            continue
        # The run of exact items ends here: what it matched is required.
        exact_all = False
        best = _better(best, _usable(current))
        best = _better(best, _usable(req if exact is None else exact))
        current = frozenset({""}) if exact is None else exact
        if len(current) > _LIMIT:
            current = frozenset({""})
    best = _better(best, _usable(current))
    return (current if exact_all else None), best


def _item(op: Any, av: Any) -> tuple[Strings | None, Strings | None]:
    """(exact, required) of one parsed item."""
    if op is _c.LITERAL:
        s = frozenset({chr(av)})
        return s, s
    if op is _c.IN:
        chars = _class(av)
        return chars, _usable(chars)
    if op is _c.SUBPATTERN:
        _, add_flags, del_flags, sub = av
        if add_flags or del_flags:
            return None, None
        return _sequence(list(sub))
    if op is _c.ATOMIC_GROUP:
        return _sequence(list(av))
    if op is _c.BRANCH:
        _, alternatives = av
        parts = [_sequence(list(alt)) for alt in alternatives]
        exact: Strings | None = None
        if all(e is not None for e, _ in parts):
            union = frozenset().union(*(e for e, _ in parts if e is not None))
            exact = union if len(union) <= _LIMIT else None
        reqs = [r if e is None else _usable(e) for e, r in parts]
        req: Strings | None = frozenset()
        for r in reqs:
            req = None if r is None or req is None else req | r
        return exact, _better(_usable(exact), _usable(req))
    if op in (_c.MAX_REPEAT, _c.MIN_REPEAT, _c.POSSESSIVE_REPEAT):
        low, high, sub = av
        inner_exact, inner_req = _sequence(list(sub))
        if low == 0 and high == 1 and inner_exact is not None:
            return inner_exact | {""}, None
        if low == 1 and high == 1:
            return inner_exact, inner_req
        if low >= 1:
            return None, _better(_usable(inner_exact), inner_req)
        return None, None
    if op in (_c.AT, _c.ASSERT, _c.ASSERT_NOT):
        # Zero width: requires nothing of the text the match spans.
        return frozenset({""}), None
    return None, None  # ANY, NOT_LITERAL, GROUPREF, CATEGORY ...: anything


def _class(items: list[tuple[Any, Any]]) -> Strings | None:
    """The characters of a small character class (None: negated, a category, large)."""
    chars: set[str] = set()
    for op, av in items:
        if op is _c.LITERAL:
            chars.add(chr(av))
        elif op is _c.RANGE and av[1] - av[0] < _SMALL_CLASS:
            chars.update(chr(c) for c in range(av[0], av[1] + 1))
        else:
            return None
        if len(chars) > _SMALL_CLASS:
            return None
    return frozenset(chars)
