"""Named tokenizers for the sparse (BM25) index.

Every tokenizer works on text already folded by
:func:`corpus.normalize.normalize_for_matching` (simplified, NFKC, casefolded) and
returns a list of string tokens with punctuation and whitespace removed. There are no
stop-words: BM25's idf already discounts frequent tokens.

* ``"char12"``: CJK character unigrams plus bigrams of adjacent CJK characters; runs of
  letters or digits in other scripts (``iphone``, ``2024``, ``3.5``) are kept whole.
* ``"jieba"``: jieba's search mode (``lcut_for_search``), which emits words and the
  shorter words inside long ones.
* ``"jieba+char2"``: jieba's tokens plus CJK character bigrams.

The name is recorded in an index, so a query is always cut the way the index was.
"""

from __future__ import annotations

import operator
import re
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from corpus.charsets import CJK_CLASS

if TYPE_CHECKING:
    import jieba

__all__ = [
    "DEFAULT_TOKENIZER",
    "TOKENIZER_NAMES",
    "Char12Terms",
    "Char12Tokenizer",
    "JiebaChar2Tokenizer",
    "JiebaTokenizer",
    "Tokenizer",
    "get_tokenizer",
]

TOKENIZER_NAMES: tuple[str, ...] = ("char12", "jieba", "jieba+char2")
DEFAULT_TOKENIZER = "char12"

_CJK_RUN = re.compile(f"[{CJK_CLASS}]+")
_CJK_CHAR = re.compile(f"[{CJK_CLASS}]")
# Outside CJK runs: decimal numbers whole, then runs of letters/digits of any script.
_WORD = re.compile(r"\d+(?:\.\d+)+|[^\W_]+")


class Tokenizer(Protocol):
    """Cuts a normalised text into tokens."""

    @property
    def name(self) -> str:
        """The registered name (one of :data:`TOKENIZER_NAMES`)."""
        ...

    def __call__(self, text: str) -> list[str]:
        """Tokens of ``text``, in order, without punctuation or whitespace."""
        ...


def _cjk_ngrams(text: str, *, unigrams: bool, words: bool) -> list[str]:
    """Character n-grams of CJK runs, and (optionally) words of the text between them."""
    tokens: list[str] = []
    findall = _WORD.findall
    pos = 0
    for match in _CJK_RUN.finditer(text):
        start, end = match.span()
        if words and start > pos:
            tokens += findall(text, pos, start)
        run = match.group()
        if unigrams:
            tokens += run
        if end - start > 1:
            tokens += map(operator.add, run, run[1:])  # the bigrams, in order
        pos = end
    if words and pos < len(text):
        tokens += findall(text, pos)
    return tokens


def _strip_punctuation(token: str) -> str:
    """``token`` without leading/trailing non-alphanumerics; "" when nothing is left."""
    start, end = 0, len(token)
    while start < end and not token[start].isalnum():
        start += 1
    while end > start and not token[end - 1].isalnum():
        end -= 1
    return token[start:end]


class Char12Tokenizer:
    """CJK character unigrams and bigrams; other-script words kept whole."""

    @property
    def name(self) -> str:
        """``"char12"``."""
        return "char12"

    def __call__(self, text: str) -> list[str]:
        """Tokens of ``text``.

        Args:
            text: normalised text.

        Returns:
            Unigrams and bigrams of each CJK run, and the words between runs.
        """
        return _cjk_ngrams(text, unigrams=True, words=True)


@dataclass(frozen=True, slots=True, eq=False)
class Char12Terms:
    """The set of a text's :class:`Char12Tokenizer` tokens, as a container: ``t in
    terms`` is ``t in set(Char12Tokenizer()(text))``, answered without listing the
    tokens.

    A token of one or two CJK characters is one where the text holds it (a CJK
    character stands in a run of them, two adjacent ones in the same run); a token
    without CJK characters is one of the words between the runs (listed on the first
    such question); anything else (three CJK characters, CJK mixed with letters) is
    never a token.

    Attributes:
        text: normalised text.
    """

    text: str
    _words: list[frozenset[str]] = field(default_factory=list, repr=False)

    def __contains__(self, token: object) -> bool:
        if not isinstance(token, str) or not token:
            return False
        cjk = len(_CJK_CHAR.findall(token))
        if cjk:
            return cjk == len(token) <= 2 and token in self.text
        if not self._words:
            # The runs cut into words as the tokenizer's end-of-run does: a space stops
            # every pattern of _WORD as the end of the text does.
            self._words.append(frozenset(_WORD.findall(_CJK_RUN.sub(" ", self.text))))
        return token in self._words[0]


class JiebaTokenizer:
    """jieba search-mode segmentation with a private dictionary instance.

    The dictionary loads on first use (about half a second) and once per object: share
    one object across indexes to pay that once.
    """

    def __init__(self) -> None:
        self._tokenizer: jieba.Tokenizer | None = None
        self._lock = threading.Lock()

    @property
    def name(self) -> str:
        """``"jieba"``."""
        return "jieba"

    def _jieba(self) -> jieba.Tokenizer:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    import jieba

                    tokenizer = jieba.Tokenizer()
                    tokenizer.initialize()
                    self._tokenizer = tokenizer
        return self._tokenizer

    def __call__(self, text: str) -> list[str]:
        """Tokens of ``text``.

        Args:
            text: normalised text.

        Returns:
            jieba's search-mode words, with punctuation stripped and empty tokens dropped.
        """
        tokens = (_strip_punctuation(t) for t in self._jieba().lcut_for_search(text))
        return [t for t in tokens if t]


class JiebaChar2Tokenizer:
    """jieba search-mode words plus CJK character bigrams."""

    def __init__(self) -> None:
        self._jieba = JiebaTokenizer()

    @property
    def name(self) -> str:
        """``"jieba+char2"``."""
        return "jieba+char2"

    def __call__(self, text: str) -> list[str]:
        """Tokens of ``text``.

        Args:
            text: normalised text.

        Returns:
            jieba's tokens followed by the bigrams of each CJK run.
        """
        return self._jieba(text) + _cjk_ngrams(text, unigrams=False, words=False)


def get_tokenizer(name: str) -> Tokenizer:
    """A new tokenizer of the given name.

    Args:
        name: one of :data:`TOKENIZER_NAMES`.

    Returns:
        A fresh tokenizer object (jieba-based ones load their dictionary on first use).

    Raises:
        ValueError: for an unknown name; the message lists the valid ones.
    """
    if name == "char12":
        return Char12Tokenizer()
    if name == "jieba":
        return JiebaTokenizer()
    if name == "jieba+char2":
        return JiebaChar2Tokenizer()
    raise ValueError(
        f"unknown tokenizer {name!r}: choose one of {', '.join(repr(n) for n in TOKENIZER_NAMES)}"
    )
