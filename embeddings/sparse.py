"""The sparse index: BM25 (bm25s) over tokens of normalised text.

bm25s's own splitter keeps a whole run of CJK characters as one token, so texts are
normalised with :func:`corpus.normalize.normalize_for_matching` and cut by one of our
named tokenizers (:mod:`embeddings.tokenize`) before they reach bm25s. The vocabulary
(token -> id) is ours: a query token outside it is dropped, and a query with no known
token has no hit.
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from corpus.normalize import normalize_for_matching
from corpus.progress import Progress
from embeddings.errors import IndexCorruptError, IndexNotFoundError
from embeddings.tokenize import DEFAULT_TOKENIZER, TOKENIZER_NAMES, Tokenizer, get_tokenizer
from embeddings.types import Hits

if TYPE_CHECKING:
    import bm25s

__all__ = ["BM25Index", "BM25_METHODS"]

logger = logging.getLogger(__name__)

BM25_METHODS: tuple[str, ...] = ("lucene", "robertson", "atire", "bm25l", "bm25+")
_PARAMS_FILE = "embeddings_bm25.json"
_DF_FILE = "embeddings_df.npy"
_FORMAT = 2
_EMPTY_TOKEN = ""  # bm25s scores a document with no token through this vocabulary entry
_PROGRESS_EVERY = 1000


def _check_mask(mask: npt.NDArray[Any] | None, size: int) -> npt.NDArray[np.bool_] | None:
    """Validate a row mask; ``None`` stays ``None``."""
    if mask is None:
        return None
    mask = np.asarray(mask)
    if mask.dtype != np.bool_:
        raise ValueError(f"mask must be a boolean array, got dtype {mask.dtype}")
    if mask.shape != (size,):
        raise ValueError(f"mask must have shape ({size},) (one entry per row), got {mask.shape}")
    return mask


def _top_k(scores: npt.NDArray[np.float32], k: int) -> Hits:
    """The ``k`` best positive scores, best first (ties by row number)."""
    positive = np.flatnonzero(scores > 0)
    if positive.size == 0:
        return Hits.empty()
    if positive.size > k:
        part = np.argpartition(-scores[positive], k - 1)[:k]
        positive = positive[part]
    picked = scores[positive]
    order = np.lexsort((positive, -picked))
    return Hits(positive[order].astype(np.int64), picked[order].astype(np.float32))


class BM25Index:
    """A BM25 index over a sequence of texts (rows).

    Build with :meth:`build` or read with :meth:`load`; the constructor only wraps parts.

    Args:
        retriever: an indexed ``bm25s.BM25``.
        tokenizer: the tokenizer the rows were cut with.
        vocab: token -> id, as given to bm25s.
        df: for each token id, how many rows contain the token.
        size: number of rows.

    Raises:
        ValueError: when ``df`` does not have one entry per vocabulary id.
    """

    def __init__(
        self,
        retriever: bm25s.BM25,
        tokenizer: Tokenizer,
        vocab: dict[str, int],
        df: npt.NDArray[np.int64],
        size: int,
    ) -> None:
        if df.shape != (len(vocab),):
            raise ValueError(f"df has shape {df.shape}, expected ({len(vocab)},)")
        self._bm25 = retriever
        self._tokenizer = tokenizer
        self._vocab = vocab
        self._df = df
        self._size = size

    @classmethod
    def build(
        cls,
        texts: Sequence[str],
        tokenizer: str | Tokenizer = DEFAULT_TOKENIZER,
        *,
        k1: float = 1.2,
        b: float = 0.75,
        method: str = "lucene",
        progress: Progress | None = None,
    ) -> BM25Index:
        """Index ``texts``; row ``i`` of the index is ``texts[i]``.

        Args:
            texts: the texts, in any script (each is normalised before tokenizing).
            tokenizer: a name from :data:`embeddings.tokenize.TOKENIZER_NAMES`, or a
                tokenizer object (share one to load jieba's dictionary once).
            k1: BM25 term-frequency saturation.
            b: BM25 length normalisation.
            method: bm25s scoring variant (see :data:`BM25_METHODS`).
            progress: called as ``progress("bm25", done, total)`` while tokenizing.

        Returns:
            The index.

        Raises:
            ValueError: for no texts, an unknown tokenizer or method, or parameters out
                of range.
        """
        if len(texts) == 0:
            raise ValueError("texts must not be empty: there is nothing to index")
        if not (math.isfinite(k1) and k1 >= 0):
            raise ValueError("k1 must be a finite number of at least 0")
        if not 0 <= b <= 1:
            raise ValueError("b must be between 0 and 1")
        if method not in BM25_METHODS:
            raise ValueError(f"unknown BM25 method {method!r}: choose one of {BM25_METHODS}")
        tok = get_tokenizer(tokenizer) if isinstance(tokenizer, str) else tokenizer

        import bm25s
        from bm25s.tokenization import Tokenized

        total = len(texts)
        vocab: dict[str, int] = {}
        ids: list[list[int]] = []
        for i, text in enumerate(texts, 1):
            tokens = tok(normalize_for_matching(text))
            ids.append([vocab.setdefault(t, len(vocab)) for t in tokens])
            if progress is not None and (i % _PROGRESS_EVERY == 0 or i == total):
                progress("bm25", i, total)
        vocab.setdefault(_EMPTY_TOKEN, len(vocab))
        df = np.zeros(len(vocab), dtype=np.int64)
        for row in ids:
            df[np.unique(np.asarray(row, dtype=np.int64))] += 1
        df[vocab[_EMPTY_TOKEN]] = 0

        retriever = bm25s.BM25(k1=k1, b=b, method=method)
        retriever.index(Tokenized(ids=ids, vocab=vocab), show_progress=False)
        logger.debug("BM25 index: %d rows, %d tokens (%s)", total, len(vocab), tok.name)
        return cls(retriever, tok, vocab, df, total)

    @property
    def size(self) -> int:
        """Number of rows."""
        return self._size

    @property
    def tokenizer(self) -> Tokenizer:
        """The tokenizer object (share it with another index to load jieba once)."""
        return self._tokenizer

    @property
    def tokenizer_name(self) -> str:
        """Name of the tokenizer rows and queries are cut with."""
        return self._tokenizer.name

    @property
    def vocab_size(self) -> int:
        """Number of distinct tokens in the index."""
        return len(self._vocab) - (1 if _EMPTY_TOKEN in self._vocab else 0)

    @property
    def params(self) -> dict[str, Any]:
        """The scoring parameters: ``k1``, ``b`` and ``method``."""
        return {"k1": self._bm25.k1, "b": self._bm25.b, "method": self._bm25.method}

    def tokenize(self, text: str) -> list[str]:
        """Tokens of ``text`` as the index sees them (normalised, then cut).

        Args:
            text: any text.

        Returns:
            The tokens, including those unknown to the index.
        """
        return self._tokenizer(normalize_for_matching(text))

    def document_frequency(self, tokens: Sequence[str]) -> npt.NDArray[np.int64]:
        """How many rows contain each token (0 for tokens unknown to the index).

        Args:
            tokens: tokens as returned by :meth:`tokenize`.

        Returns:
            One count per token, in order.
        """
        out = np.zeros(len(tokens), dtype=np.int64)
        for i, token in enumerate(tokens):
            j = self._vocab.get(token)
            if j is not None:
                out[i] = self._df[j]
        return out

    def idf(self, tokens: Sequence[str]) -> npt.NDArray[np.float32]:
        """Lucene's BM25 inverse document frequency of each token.

        ``idf = ln(1 + (N - df + 0.5) / (df + 0.5))``; a token unknown to the index
        (``df = 0``) gets the highest value. Costs O(len(tokens)), whatever the corpus size.

        Args:
            tokens: tokens as returned by :meth:`tokenize`.

        Returns:
            One float32 IDF per token, in order.
        """
        df = self.document_frequency(tokens).astype(np.float64)
        n = float(self._size)
        return np.log1p((n - df + 0.5) / (df + 0.5)).astype(np.float32)

    def search(self, query: str, k: int, mask: npt.NDArray[np.bool_] | None = None) -> Hits:
        """The ``k`` best rows for ``query``.

        Args:
            query: the query, in any script (normalised here).
            k: the most hits to return (clamped to the number of rows).
            mask: optional boolean array over rows; only rows where it is True can hit.

        Returns:
            Hits with a positive score, best first; empty when no query token is known.

        Raises:
            ValueError: when ``k`` is not positive or ``mask`` has the wrong type or shape.
        """
        return self.search_normalized(normalize_for_matching(query), k, mask)

    def search_normalized(
        self, normalized: str, k: int, mask: npt.NDArray[np.bool_] | None = None
    ) -> Hits:
        """:meth:`search` for a query already folded by ``normalize_for_matching``.

        Raises:
            ValueError: when ``k`` is not positive or ``mask`` has the wrong type or shape.
        """
        if k <= 0:
            raise ValueError("k must be greater than 0")
        checked = _check_mask(mask, self._size)
        ids = [
            self._vocab[t]
            for t in self._tokenizer(normalized)
            if t != _EMPTY_TOKEN and t in self._vocab
        ]
        if not ids or (checked is not None and not checked.any()):
            return Hits.empty()
        weights = None if checked is None else checked.astype(np.float32)
        scores = self._bm25.get_scores_from_ids(ids, weight_mask=weights)
        return _top_k(np.asarray(scores, dtype=np.float32), min(k, self._size))

    def save(self, directory: str | Path) -> None:
        """Write the index to ``directory`` (created if needed).

        Args:
            directory: where to write bm25s's files and our parameters file.
        """
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        self._bm25.save(str(path), show_progress=False)
        np.save(path / _DF_FILE, self._df, allow_pickle=False)
        meta = {"format": _FORMAT, "tokenizer": self.tokenizer_name, "size": self._size}
        meta.update(self.params)
        (path / _PARAMS_FILE).write_text(json.dumps(meta, indent=2), encoding="utf-8")

    @classmethod
    def load(cls, directory: str | Path, tokenizer: Tokenizer | None = None) -> BM25Index:
        """Read an index written by :meth:`save`.

        Args:
            directory: the directory given to :meth:`save`.
            tokenizer: a tokenizer object to reuse; it must have the recorded name.

        Returns:
            The index.

        Raises:
            IndexNotFoundError: when the directory or its parameters file is missing.
            IndexCorruptError: when the files cannot be read or disagree.
            ValueError: when ``tokenizer`` is not the one the index was built with.
        """
        path = Path(directory)
        params_file = path / _PARAMS_FILE
        if not params_file.is_file():
            raise IndexNotFoundError(f"no BM25 index at {path} ({_PARAMS_FILE} is missing)")
        try:
            meta = json.loads(params_file.read_text(encoding="utf-8"))
            name = str(meta["tokenizer"])
            size = int(meta["size"])
            version = int(meta.get("format", 1))
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise IndexCorruptError(f"cannot read {params_file}: {err}") from err
        if version != _FORMAT:
            raise IndexCorruptError(
                f"the BM25 index at {path} has format {version}, this version reads {_FORMAT}"
            )
        if name not in TOKENIZER_NAMES:
            raise IndexCorruptError(f"{params_file} names an unknown tokenizer {name!r}")
        if tokenizer is not None and tokenizer.name != name:
            raise ValueError(
                f"the index at {path} was built with tokenizer {name!r}, not {tokenizer.name!r}"
            )

        import bm25s

        try:
            retriever = bm25s.BM25.load(str(path), show_progress=False)
        except Exception as err:  # bm25s raises whatever numpy/json raise on bad files
            raise IndexCorruptError(f"cannot read the BM25 index at {path}: {err}") from err
        vocab = retriever.vocab_dict
        if not isinstance(vocab, dict):
            raise IndexCorruptError(f"the BM25 index at {path} has no vocabulary")
        try:
            df = np.load(path / _DF_FILE, allow_pickle=False)
            return cls(retriever, tokenizer or get_tokenizer(name), vocab, df, size)
        except (OSError, ValueError) as err:
            raise IndexCorruptError(
                f"the document frequencies of the BM25 index at {path} are unreadable or do "
                f"not match its vocabulary: {err}"
            ) from err
