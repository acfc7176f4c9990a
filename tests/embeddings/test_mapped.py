"""Mapped arrays: reading, releasing their pages, and writing .npy files block by block
(embeddings.mapped)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embeddings.mapped import ArrayWriter, load_array, release


@settings(max_examples=40, deadline=None)
@given(
    blocks=st.lists(st.lists(st.integers(-(2**31), 2**31 - 1), max_size=20), max_size=6),
    dtype=st.sampled_from([np.int32, np.int64]),
)
def test_blocks_written_read_back_as_one_array(
    tmp_path_factory: pytest.TempPathFactory, blocks: list[list[int]], dtype: type
) -> None:
    path = tmp_path_factory.mktemp("w") / "a.npy"
    values = [v for block in blocks for v in block]
    with ArrayWriter(path, dtype, len(values)) as writer:
        for block in blocks:
            writer.write(np.array(block, dtype=np.int64))
    for mmap in (True, False):
        read = load_array(path, mmap=mmap)
        assert read.dtype == np.dtype(dtype) and read.tolist() == values


def test_a_writer_checks_the_announced_length(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="2 values written, 3 announced"):
        with ArrayWriter(tmp_path / "a.npy", np.int32, 3) as writer:
            writer.write([1, 2])
    # an error inside the block is not hidden by the length check
    with pytest.raises(KeyError):
        with ArrayWriter(tmp_path / "b.npy", np.int32, 3) as writer:
            writer.write([1])
            raise KeyError("inside")


def _resident_bytes() -> int:
    """This process's resident set (Linux's /proc/self/statm: pages)."""
    with open("/proc/self/statm", encoding="ascii") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(sys.platform != "linux", reason="MADV_DONTNEED as Linux has it")
def test_release_drops_the_pages_and_keeps_the_data(tmp_path: Path) -> None:
    data = np.arange(16 * 2**20, dtype=np.int32)  # 64 MiB
    np.save(tmp_path / "big.npy", data)
    mapped = load_array(tmp_path / "big.npy")[1:]  # a view of the mapping
    assert int(mapped.sum(dtype=np.int64)) == int(data[1:].sum(dtype=np.int64))  # all read
    before = _resident_bytes()
    release(mapped)
    after = _resident_bytes()
    assert before - after > 32 * 2**20
    np.testing.assert_array_equal(mapped[-5:], data[-5:])  # mapped again on reading


def test_release_leaves_arrays_in_memory_alone() -> None:
    array = np.arange(10)
    release(array)
    release(array[2:])
    assert array.tolist() == list(range(10))
