"""Arrays memory-mapped from ``.npy`` files, as plain read-only ndarrays.

``np.load(mmap_mode="r")`` returns a ``numpy.memmap``, whose every slice is another
memmap object (costly on hot paths: a few microseconds each); a plain ndarray view of
the same mapping reads the same pages at ordinary ndarray cost, and keeps the mapping
alive through its ``base``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["load_array"]


def load_array(path: str | Path, *, mmap: bool = True) -> npt.NDArray[Any]:
    """The array in ``path``, mapped (or read, with ``mmap=False``), read-only.

    Raises:
        OSError, ValueError: when the file is missing or not an ``.npy`` array.
    """
    array = np.load(path, mmap_mode="r" if mmap else None, allow_pickle=False)
    view = array.view(np.ndarray)
    view.flags.writeable = False
    return view
