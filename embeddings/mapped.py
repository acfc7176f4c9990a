"""Arrays memory-mapped from ``.npy`` files, as plain read-only ndarrays.

``np.load(mmap_mode="r")`` returns a ``numpy.memmap``, whose every slice is another
memmap object (costly on hot paths: a few microseconds each); a plain ndarray view of
the same mapping reads the same pages at ordinary ndarray cost, and keeps the mapping
alive through its ``base``.
"""

from __future__ import annotations

import mmap as _mmap
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import numpy.typing as npt

__all__ = ["ArrayWriter", "load_array", "release"]


def load_array(path: str | Path, *, mmap: bool = True) -> npt.NDArray[Any]:
    """The array in ``path``, mapped (or read, with ``mmap=False``), read-only.

    Raises:
        OSError, ValueError: when the file is missing or not an ``.npy`` array.
    """
    array = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    view = array.view(np.ndarray)
    view.flags.writeable = False
    return view


def release(array: npt.NDArray[Any]) -> None:
    """Drop the pages of ``array``'s file mapping from this process's resident memory.

    The data stays valid: the next read maps the pages again from the file (or the
    page cache). A stream over a mapped file (a merge reading segments from first to
    last posting) calls this as it goes, so what it has read does not stay resident.
    Nothing happens for an array that is not mapped from a file, or where the platform
    has no ``MADV_DONTNEED``.
    """
    base: Any = array
    while base is not None and not isinstance(base, _mmap.mmap):
        base = getattr(base, "base", None)
    if base is not None and hasattr(_mmap, "MADV_DONTNEED"):
        base.madvise(_mmap.MADV_DONTNEED)


class ArrayWriter:
    """A one-dimensional ``.npy`` file of known length written block by block.

    Appends go through the file, not a writable mapping, so the written pages are the
    page cache's and never this process's resident memory.

    Args:
        path: the file to write (replaced).
        dtype: the array's type.
        length: how many values will be written.

    Raises:
        ValueError: from :meth:`close` when fewer or more values were written.
    """

    def __init__(self, path: str | Path, dtype: npt.DTypeLike, length: int) -> None:
        self.dtype = np.dtype(dtype)
        self.length = length
        self.written = 0
        self._file: BinaryIO = open(path, "wb")  # noqa: SIM115 - closed by close()
        header = {
            "descr": np.lib.format.dtype_to_descr(self.dtype),
            "fortran_order": False,
            "shape": (length,),
        }
        np.lib.format.write_array_header_1_0(self._file, header)

    def write(self, values: npt.ArrayLike) -> None:
        """Append ``values`` (converted to the writer's type)."""
        block = np.ascontiguousarray(values, dtype=self.dtype)
        self._file.write(block.tobytes())
        self.written += block.shape[0]

    def close(self) -> None:
        """Finish the file."""
        self._file.close()
        if self.written != self.length:
            raise ValueError(f"{self.written} values written, {self.length} announced")

    def __enter__(self) -> ArrayWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        else:
            self._file.close()
