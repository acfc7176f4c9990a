"""Terms as 64-bit keys, and the fast (array) path of the ``char12`` tokenizer.

An index stores terms as unsigned 64-bit keys, so that term dictionaries are sorted
arrays (memory-mapped, searched with ``searchsorted``, merged with ``union1d``) rather
than Python dictionaries:

* a CJK unigram is its code point (below 2**21);
* a CJK bigram is ``first << 21 | second`` (below 2**42);
* any other token (a latin word, a number, a jieba word of three or more characters)
  is ``2**63 | blake2b-64(token) >> 1``; the index keeps the text of these hashed terms
  and checks it, so a collision can never mix two terms silently.

The key depends only on the token's text, so every tokenizer shares one key space.

:func:`char12_keys` computes the keys of a text's ``char12`` tokens with numpy
(code points from one UTF-32 encoding, unigrams and bigrams by array operations; only
the few latin and number words go through Python), about twenty times faster than
cutting the text into string tokens first; it yields the same tokens as
:class:`~embeddings.tokenize.Char12Tokenizer`, in another order (BM25 counts tokens,
the order of a text's tokens does not matter).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from corpus.charsets import CJK_CLASS, CJK_RANGES
from embeddings.tokenize import Tokenizer

__all__ = [
    "HASHED",
    "TermCounts",
    "analyze",
    "char12_keys",
    "count_terms",
    "is_hashed",
    "ngram_text",
    "term_key",
    "term_keys",
]

HASHED = 1 << 63
"""Keys at or above this value are hashes of the term's text."""
_SHIFT = 21
_LOW = (1 << _SHIFT) - 1
_CJK_RUN = re.compile(f"[{CJK_CLASS}]+")
_WORD = re.compile(r"\d+(?:\.\d+)+|[^\W_]+")  # as in embeddings.tokenize


@lru_cache(maxsize=1)
def _cjk_table() -> npt.NDArray[np.bool_]:
    """A lookup table over all code points: True for CJK unified ideographs."""
    table = np.zeros(0x110000, dtype=np.bool_)
    for lo, hi in CJK_RANGES:
        table[lo : hi + 1] = True
    table.flags.writeable = False
    return table


def _is_cjk(cp: int) -> bool:
    # CJK_RANGES, unrolled (this runs for every query token).
    return (
        0x4E00 <= cp <= 0x9FFF
        or 0x3400 <= cp <= 0x4DBF
        or 0xF900 <= cp <= 0xFAFF
        or (0x20000 <= cp <= 0x323AF)
    )


def _hash(token: str) -> int:
    digest = hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return HASHED | (int.from_bytes(digest, "little") >> 1)


@lru_cache(maxsize=1 << 16)
def term_key(token: str) -> int:
    """The 64-bit key of one token (memoized: queries repeat the same tokens).

    Args:
        token: a token as a tokenizer returns it (non-empty).

    Returns:
        The key (see the module docstring).
    """
    n = len(token)
    if n == 1:
        cp = ord(token)
        if _is_cjk(cp):
            return cp
    elif n == 2:
        a, b = ord(token[0]), ord(token[1])
        if _is_cjk(a) and _is_cjk(b):
            return (a << _SHIFT) | b
    return _hash(token)


def term_keys(tokens: Iterable[str]) -> npt.NDArray[np.uint64]:
    """The keys of ``tokens``, in order."""
    return np.fromiter((term_key(t) for t in tokens), dtype=np.uint64)


def is_hashed(key: int) -> bool:
    """Whether ``key`` is a hash (and not a CJK unigram or bigram)."""
    return key >= HASHED


def ngram_text(key: int) -> str:
    """The text of a CJK unigram or bigram key.

    Raises:
        ValueError: for a hashed key (its text is not in the key).
    """
    if key >= HASHED:
        raise ValueError("a hashed key does not hold its text")
    if key <= _LOW:
        return chr(key)
    return chr(key >> _SHIFT) + chr(key & _LOW)


def char12_keys(normalized: str) -> npt.NDArray[np.uint64]:
    """The keys of the ``char12`` tokens of a folded text (any order, with repeats).

    Args:
        normalized: text folded by :func:`corpus.normalize.normalize_for_matching`.

    Returns:
        One key per token: the CJK unigrams, the CJK bigrams, then the words between
        CJK runs.
    """
    if not normalized:
        return np.empty(0, dtype=np.uint64)
    cps = np.frombuffer(normalized.encode("utf-32-le", "surrogatepass"), dtype="<u4")
    cjk = _cjk_table()[cps]
    unigrams = cps[cjk].astype(np.uint64)
    pairs = cjk[:-1] & cjk[1:]
    bigrams = (cps[:-1][pairs].astype(np.uint64) << np.uint64(_SHIFT)) | cps[1:][pairs]
    if unigrams.size == cps.size:
        return np.concatenate((unigrams, bigrams))
    words = _WORD.findall(_CJK_RUN.sub(" ", normalized))
    return np.concatenate((unigrams, bigrams, term_keys(words)))


def analyze(tokenizer: Tokenizer, normalized: str) -> npt.NDArray[np.uint64]:
    """The keys of a folded text's tokens under ``tokenizer`` (any order, with repeats).

    ``char12`` takes the array path of :func:`char12_keys`; other tokenizers cut the
    text into strings first.
    """
    if tokenizer.name == "char12":
        return char12_keys(normalized)
    return term_keys(tokenizer(normalized))


class TermCounts(NamedTuple):
    """The terms of one text: sorted unique keys, their counts, and the token count.

    Attributes:
        keys: unique term keys, ascending (``uint64``).
        tf: how often each occurs (``uint32``).
        length: the number of tokens (the BM25 document length).
    """

    keys: npt.NDArray[np.uint64]
    tf: npt.NDArray[np.uint32]
    length: int


def count_terms(keys: npt.NDArray[np.uint64]) -> TermCounts:
    """Unique keys and their counts.

    Args:
        keys: the keys of a text's tokens (with repeats).

    Returns:
        The counts.
    """
    if keys.size == 0:
        return TermCounts(keys, np.empty(0, dtype=np.uint32), 0)
    unique, counts = np.unique(keys, return_counts=True)
    return TermCounts(unique, counts.astype(np.uint32), int(keys.size))
