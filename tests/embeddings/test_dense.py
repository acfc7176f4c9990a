from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from embeddings.dense import DenseIndex


def _unit(n: int, d: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.mark.parametrize("factory", ["Flat", "HNSW16", "IVF4,Flat"])
def test_build_search_mask(factory: str) -> None:
    vectors = _unit(300, 16)
    index = DenseIndex.build(vectors, factory)
    assert (index.dimension, index.size) == (16, 300)
    hits = index.search(vectors[42], 5)
    assert hits.indices[0] == 42
    assert hits.scores[0] == pytest.approx(1.0, abs=1e-4)
    assert np.all(np.diff(hits.scores) <= 1e-6)
    mask = np.zeros(300, dtype=bool)
    mask[[3, 50, 77]] = True
    masked = index.search(vectors[42], 5, mask=mask)
    assert set(masked.indices.tolist()) <= {3, 50, 77}
    if factory == "Flat":
        assert sorted(masked.indices.tolist()) == [3, 50, 77]


def test_exact_neighbours_and_k_clamp() -> None:
    vectors = _unit(20, 8, seed=1)
    index = DenseIndex.build(vectors)
    query = _unit(1, 8, seed=2)[0]
    hits = index.search(query, 100)
    assert hits.size == 20
    expected = np.argsort(-(vectors @ query), kind="stable")
    assert hits.indices.tolist() == expected.tolist()
    assert hits.indices.dtype == np.int64 and hits.scores.dtype == np.float32
    assert index.search(query.reshape(1, -1), 3).indices.tolist() == expected[:3].tolist()


def test_mask_all_false_and_bad_arguments() -> None:
    index = DenseIndex.build(_unit(10, 4))
    query = _unit(1, 4)[0]
    assert index.search(query, 3, mask=np.zeros(10, dtype=bool)).size == 0
    with pytest.raises(ValueError, match="k must be greater than 0"):
        index.search(query, 0)
    with pytest.raises(ValueError, match="dimension"):
        index.search(np.ones(5, dtype=np.float32), 1)
    with pytest.raises(ValueError, match="shape"):
        index.search(query, 1, mask=np.ones(9, dtype=bool))
    with pytest.raises(ValueError, match="2-D"):
        DenseIndex.build(np.ones(4, dtype=np.float32))
    with pytest.raises(ValueError, match="factory"):
        DenseIndex.build(_unit(10, 4), "NoSuchIndex")
    with pytest.raises(ValueError, match="train"):
        DenseIndex.build(_unit(10, 4), "IVF64,Flat")


def test_vectors_kept_read_only() -> None:
    vectors = _unit(10, 4)
    index = DenseIndex.build(vectors)
    assert index.vectors is not None
    np.testing.assert_array_equal(index.vectors, vectors)
    with pytest.raises(ValueError):
        index.vectors[0, 0] = 1.0


def test_save_load(tmp_path: Path) -> None:
    vectors = _unit(50, 8)
    index = DenseIndex.build(vectors)
    index.save(tmp_path / "dense.faiss")
    loaded = DenseIndex.load(tmp_path / "dense.faiss", vectors)
    assert (loaded.dimension, loaded.size) == (8, 50)
    query = vectors[7]
    assert loaded.search(query, 5).indices.tolist() == index.search(query, 5).indices.tolist()
    with pytest.raises(ValueError, match="shape"):
        DenseIndex.load(tmp_path / "dense.faiss", vectors[:10])
    with pytest.raises(FileNotFoundError):
        DenseIndex.load(tmp_path / "missing.faiss")
    (tmp_path / "bad.faiss").write_bytes(b"not a faiss index")
    with pytest.raises(ValueError):
        DenseIndex.load(tmp_path / "bad.faiss")
