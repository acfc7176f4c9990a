"""The text encoder: a sentence-transformers model, loaded lazily.

Texts are folded with :func:`corpus.normalize.normalize_for_matching` before encoding,
exactly as the sparse index folds them, so traditional and simplified text embed alike.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from corpus.normalize import normalize_for_matching
from corpus.progress import Progress
from embeddings.errors import ModelUnavailableError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = ["BGE_ZH_QUERY_PREFIX", "Encoder", "default_query_prefix"]

logger = logging.getLogger(__name__)

BGE_ZH_QUERY_PREFIX = "为这个句子生成表示以用于检索相关文章："
_SUGGESTION = (
    "set --model / QA_MODEL to a local path of a sentence-transformers model such as "
    "BAAI/bge-small-zh-v1.5 (or to a hub name while online)"
)


def default_query_prefix(model_name: str) -> str:
    """The query instruction a model expects before each query.

    Args:
        model_name: hub name or path of the model.

    Returns:
        BGE's Chinese retrieval instruction for Chinese BGE models (names containing
        both "bge" and "zh"), else "".
    """
    name = model_name.lower()
    return BGE_ZH_QUERY_PREFIX if "bge" in name and "zh" in name else ""


def _cached_snapshot(name: str, cache_dir: str | None) -> str | None:
    """The local folder of hub model ``name`` when the hub cache holds it, else None.

    Only the cache on disk is consulted (``local_files_only``): no network access.
    """
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return str(snapshot_download(name, local_files_only=True, cache_dir=cache_dir))
    except (LocalEntryNotFoundError, ValueError, OSError):
        return None


def _download(name: str, timeout: float, cache_dir: str | None) -> str:
    """Download hub model ``name`` into the hub cache and return its local folder.

    One metadata request with ``timeout`` comes first, so that an offline machine fails
    at once instead of in the download client's minute of retries.
    """
    from huggingface_hub import model_info, snapshot_download

    try:
        model_info(name, timeout=timeout)
    except Exception as err:  # the hub client raises its own and httpx's errors
        detail = " ".join(str(err).split())
        raise OSError(
            f"{name!r} is not in the local cache and the model hub cannot be reached "
            f"({type(err).__name__}: {detail})"
        ) from err
    return str(snapshot_download(name, cache_dir=cache_dir))


class Encoder:
    """Embeds texts with a sentence-transformers model.

    The constructor only records settings; the model loads in :meth:`warm_up` or on
    first use.

    Args:
        model: hub name (``BAAI/bge-small-zh-v1.5``) or local path of the model.
        device: torch device to run on (``"cpu"``, ``"cuda"``, ``"cuda:1"``, ``"mps"``).
        batch_size: texts per forward pass.
        normalize: L2-normalise the embeddings (needed for inner-product search).
        local_files_only: never reach the hub; load from a path or the local cache only.
            Otherwise a hub model that is not cached is downloaded (the only network
            access of the library, and only when the model is loaded).
        query_prefix: text put before every query (see :func:`default_query_prefix`).
        hub_timeout: seconds the first hub request may take before the model counts as
            unavailable.
        cache_dir: the hub cache folder (default: the hub library's own, ``HF_HOME``).

    Raises:
        ValueError: for an empty model name, an empty device, or a non-positive batch size.
    """

    def __init__(
        self,
        model: str | os.PathLike[str],
        *,
        device: str = "cpu",
        batch_size: int = 32,
        normalize: bool = True,
        local_files_only: bool = False,
        query_prefix: str = "",
        hub_timeout: float = 5.0,
        cache_dir: str | os.PathLike[str] | None = None,
    ) -> None:
        model = os.fspath(model)
        if not model.strip():
            raise ValueError("model must name a sentence-transformers model or a path to one")
        if not device.strip():
            raise ValueError("device must name a torch device such as 'cpu' or 'cuda'")
        if batch_size <= 0:
            raise ValueError("batch_size must be greater than 0")
        self._model_name = model
        self._device = device
        self._batch_size = batch_size
        self._normalize = normalize
        self._local_files_only = local_files_only
        self._query_prefix = query_prefix
        self._hub_timeout = hub_timeout
        self._cache_dir = os.fspath(cache_dir) if cache_dir is not None else None
        self._model: SentenceTransformer | None = None
        self._dimension: int | None = None
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"Encoder({self._model_name!r}, device={self._device!r})"

    @property
    def model(self) -> str:
        """The model's hub name or path, as given."""
        return self._model_name

    @property
    def device(self) -> str:
        """The torch device."""
        return self._device

    @property
    def batch_size(self) -> int:
        """Texts per forward pass."""
        return self._batch_size

    @property
    def query_prefix(self) -> str:
        """Text put before every query."""
        return self._query_prefix

    @property
    def loaded(self) -> bool:
        """Whether the model is loaded."""
        return self._model is not None

    def warm_up(self) -> None:
        """Load the model (once; later calls return at once).

        Raises:
            ModelUnavailableError: when the model cannot be loaded (offline and not
                cached, a bad path, corrupt files, an unknown device); the message names
                the model and says how to configure another.
        """
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            self._model, self._dimension = self._load()

    def _load(self) -> tuple[SentenceTransformer, int]:
        try:
            model = self._from_cache_or_hub()
            # sentence-transformers 5.2+ renamed get_sentence_embedding_dimension.
            get_dim = getattr(model, "get_embedding_dimension", None)
            dimension = get_dim() if get_dim else model.get_sentence_embedding_dimension()
            if dimension is None:  # some modules do not declare it: measure once
                probe = model.encode(["dimension"], convert_to_numpy=True, show_progress_bar=False)
                dimension = int(np.asarray(probe).shape[-1])
        except Exception as err:
            # Loading fails in many ways (OSError, ValueError, RuntimeError, HF errors);
            # all mean the same to the user: this model cannot be used here.
            detail = " ".join(str(err).split())  # HF messages span lines
            offline = " with local files only" if self._local_files_only else ""
            raise ModelUnavailableError(
                f"cannot load the embedding model {self._model_name!r} on device "
                f"{self._device!r}{offline} ({type(err).__name__}: {detail}); {_SUGGESTION}"
            ) from err
        logger.info("loaded embedding model %s (dimension %d)", self._model_name, dimension)
        return model, int(dimension)

    def _from_cache_or_hub(self) -> SentenceTransformer:
        """Load from a local path or the hub cache; download only when allowed and needed."""
        name = self._model_name
        local = Path(name).expanduser()
        if local.exists():
            folder = str(local)
        else:
            cached = _cached_snapshot(name, self._cache_dir)
            if cached is not None:
                folder = cached
            elif self._local_files_only:
                raise OSError(f"{name!r} is not a local folder and not in the local hub cache")
            else:
                folder = _download(name, self._hub_timeout, self._cache_dir)
        from sentence_transformers import SentenceTransformer

        return SentenceTransformer(folder, device=self._device, local_files_only=True)

    def _loaded_model(self) -> SentenceTransformer:
        self.warm_up()
        assert self._model is not None
        return self._model

    @property
    def dimension(self) -> int:
        """Embedding dimension (loads the model).

        Raises:
            ModelUnavailableError: when the model cannot be loaded.
        """
        self.warm_up()
        assert self._dimension is not None
        return self._dimension

    def encode(
        self,
        texts: Sequence[str],
        *,
        is_query: bool = False,
        progress: Progress | None = None,
    ) -> npt.NDArray[np.float32]:
        """Embed texts, in batches of :attr:`batch_size`.

        Args:
            texts: the texts, in any script (each is normalised first).
            is_query: put :attr:`query_prefix` before each text.
            progress: called as ``progress("embed", done, total)`` after each batch.

        Returns:
            A float32 array of shape ``(len(texts), dimension)``, L2-normalised when the
            encoder normalises; row ``i`` embeds ``texts[i]``.

        Raises:
            ModelUnavailableError: when the model cannot be loaded.
        """
        model = self._loaded_model()
        dim = self.dimension
        total = len(texts)
        out = np.empty((total, dim), dtype=np.float32)
        if total == 0:
            return out
        prefix = self._query_prefix if is_query else ""
        folded = [prefix + normalize_for_matching(t) for t in texts]
        # Longest first, so each batch pads to similar lengths; rows go back in place.
        order = np.argsort([-len(t) for t in folded], kind="stable")
        for start in range(0, total, self._batch_size):
            rows = order[start : start + self._batch_size]
            vectors = model.encode(
                [folded[i] for i in rows],
                batch_size=self._batch_size,
                normalize_embeddings=self._normalize,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[rows] = np.asarray(vectors, dtype=np.float32)
            if progress is not None:
                progress("embed", min(start + self._batch_size, total), total)
        return out

    def encode_query(self, query: str) -> npt.NDArray[np.float32]:
        """Embed one query (with :attr:`query_prefix`).

        Args:
            query: the query text.

        Returns:
            A float32 vector of shape ``(dimension,)``.

        Raises:
            ModelUnavailableError: when the model cannot be loaded.
        """
        return self.encode([query], is_query=True)[0]

    def unknown_token_rate(self, texts: Sequence[str]) -> float:
        """Share of the model tokenizer's tokens that are its unknown token.

        A model whose vocabulary lacks Chinese (all-MiniLM-L6-v2) maps most Chinese
        characters to ``[UNK]`` and cannot embed Chinese usefully; a Chinese model is
        near 0. Special tokens ([CLS], [SEP]) are not counted.

        Args:
            texts: sample texts (normalised first, as for :meth:`encode`).

        Returns:
            Unknown tokens / all tokens, 0.0 when there is no token or the tokenizer has
            no unknown token.

        Raises:
            ModelUnavailableError: when the model cannot be loaded.
        """
        tokenizer = self._loaded_model().tokenizer
        unk_id = getattr(tokenizer, "unk_token_id", None)
        if unk_id is None or not texts:
            return 0.0
        special = set(getattr(tokenizer, "all_special_ids", ())) - {unk_id}
        unknown = counted = 0
        for start in range(0, len(texts), self._batch_size):
            batch = [normalize_for_matching(t) for t in texts[start : start + self._batch_size]]
            encoded = tokenizer(
                batch,
                add_special_tokens=False,
                return_attention_mask=False,
                return_token_type_ids=False,
                verbose=False,
            )
            for ids in encoded["input_ids"]:
                for token_id in ids:
                    if token_id in special:
                        continue
                    counted += 1
                    unknown += token_id == unk_id
        return unknown / counted if counted else 0.0
