from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from corpus.normalize import normalize_for_matching
from embeddings.dense import DenseIndex
from embeddings.encoder import BGE_ZH_QUERY_PREFIX, Encoder, default_query_prefix
from embeddings.errors import ModelUnavailableError


def test_minilm_finds_the_right_english_sentence(minilm: Encoder, english: tuple[str, ...]) -> None:
    vectors = minilm.encode(english)
    assert vectors.shape == (len(english), 384) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    index = DenseIndex.build(vectors)
    queries = {
        "Who won the football championship?": 2,
        "interest rates and the stock market": 1,
        "floods after heavy rainfall": 3,
        "regulators approve a vaccine": 4,
    }
    for query, expected in queries.items():
        assert index.search(minilm.encode_query(query), 1).indices.tolist() == [expected], query


def test_unknown_token_rate_shows_minilm_lacks_chinese(
    minilm: Encoder, news: tuple[str, ...], english: tuple[str, ...]
) -> None:
    # all-MiniLM's vocabulary has a few thousand common CJK characters, so the rate on
    # news text is about 0.4-0.6 rather than near 1; a Chinese model is near 0.
    assert minilm.unknown_token_rate(news) > 0.3
    assert minilm.unknown_token_rate(english) < 0.05
    assert minilm.unknown_token_rate([]) == 0.0


def test_tiny_model_loads_through_encoder(
    tiny_encoder: Encoder, tiny_model_corpus: tuple[str, ...]
) -> None:
    assert tiny_encoder.dimension == 32
    vectors = tiny_encoder.encode(tiny_model_corpus)
    assert vectors.shape == (len(tiny_model_corpus), 32) and vectors.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    # Rows come back in input order although batches run longest first.
    single = np.vstack([tiny_encoder.encode([t]) for t in tiny_model_corpus])
    np.testing.assert_allclose(vectors, single, atol=1e-5)
    assert tiny_encoder.unknown_token_rate(tiny_model_corpus) == 0.0
    assert tiny_encoder.unknown_token_rate(["hello world"]) == 1.0


def test_encode_normalizes_script_and_reports_batches(tiny_encoder: Encoder) -> None:
    calls: list[tuple[str, int, int]] = []
    texts = ["國務院總理", "国务院总理", "上海", "北京", "台风"]
    vectors = tiny_encoder.encode(texts, progress=lambda s, d, t: calls.append((s, d, t)))
    np.testing.assert_allclose(vectors[0], vectors[1], atol=1e-6)
    assert calls == [("embed", 2, 5), ("embed", 4, 5), ("embed", 5, 5)]  # batch_size=2
    assert tiny_encoder.encode([]).shape == (0, 32)


def test_query_prefix(tiny_model_dir: Path) -> None:
    plain = Encoder(tiny_model_dir, local_files_only=True)
    prefixed = Encoder(tiny_model_dir, local_files_only=True, query_prefix="新华社")
    text = "北京电"
    assert np.allclose(prefixed.encode([text]), plain.encode([text]))
    assert not np.allclose(prefixed.encode_query(text), plain.encode_query(text))
    np.testing.assert_allclose(
        prefixed.encode_query(text), plain.encode(["新华社" + normalize_for_matching(text)])[0]
    )


def test_warm_up_is_idempotent(tiny_model_dir: Path) -> None:
    encoder = Encoder(str(tiny_model_dir), local_files_only=True)
    assert not encoder.loaded
    encoder.warm_up()
    model = encoder._model
    encoder.warm_up()
    assert encoder.loaded and encoder._model is model


def test_missing_path_is_model_unavailable(tmp_path: Path) -> None:
    encoder = Encoder(str(tmp_path / "no-such-model"), local_files_only=True)  # light
    with pytest.raises(ModelUnavailableError, match="no-such-model") as info:
        encoder.warm_up()
    assert "QA_MODEL" in str(info.value) and "bge-small-zh" in str(info.value)


def test_uncached_hub_name_is_model_unavailable() -> None:
    encoder = Encoder("example-org/definitely-not-cached-model", local_files_only=True)
    with pytest.raises(ModelUnavailableError, match="definitely-not-cached-model"):
        encoder.encode(["x"])


def test_directory_without_model_is_model_unavailable(tmp_path: Path) -> None:
    (tmp_path / "config.json").write_text("{broken", encoding="utf-8")
    with pytest.raises(ModelUnavailableError):
        Encoder(str(tmp_path), local_files_only=True).warm_up()


def test_constructor_validates() -> None:
    with pytest.raises(ValueError, match="batch_size must be greater than 0"):
        Encoder("m", batch_size=0)
    with pytest.raises(ValueError, match="model"):
        Encoder(" ")
    with pytest.raises(ValueError, match="device"):
        Encoder("m", device="")


def test_default_query_prefix() -> None:
    assert default_query_prefix("BAAI/bge-small-zh-v1.5") == BGE_ZH_QUERY_PREFIX
    assert default_query_prefix("/models/BGE-Large-ZH") == BGE_ZH_QUERY_PREFIX
    assert default_query_prefix("BAAI/bge-small-en-v1.5") == ""
    assert default_query_prefix("sentence-transformers/all-MiniLM-L6-v2") == ""


def test_uncached_hub_name_fails_fast_when_downloads_are_allowed(monkeypatch) -> None:
    # Downloads allowed, hub unreachable (tests run with HF_HUB_OFFLINE=1): one metadata
    # request through the hub client fails at once, and no raw socket is opened.
    import socket
    import time

    def no_socket(*args: object, **kwargs: object) -> None:
        raise AssertionError("the encoder must not open sockets itself")

    monkeypatch.setattr(socket, "create_connection", no_socket)
    encoder = Encoder("example-org/definitely-not-cached-model", hub_timeout=1.0)
    started = time.perf_counter()
    with pytest.raises(ModelUnavailableError, match="cannot be reached"):
        encoder.warm_up()
    assert time.perf_counter() - started < 5


def test_cached_hub_name_loads_from_the_cache(tiny_model_dir: Path, tmp_path: Path) -> None:
    # A model in the hub cache layout (models--org--name/snapshots/<rev>, refs/main) loads
    # by its hub name with local_files_only, through the hub library's own cache look-up.
    import shutil

    repo = tmp_path / "models--example-org--tiny-cached-model"
    revision = "0" * 40
    shutil.copytree(tiny_model_dir, repo / "snapshots" / revision)
    (repo / "refs").mkdir(parents=True)
    (repo / "refs" / "main").write_text(revision, encoding="utf-8")
    encoder = Encoder("example-org/tiny-cached-model", local_files_only=True, cache_dir=tmp_path)
    assert encoder.dimension == 32
    missing = Encoder("example-org/other-model", local_files_only=True, cache_dir=tmp_path)
    with pytest.raises(ModelUnavailableError, match="local hub cache"):
        missing.warm_up()
