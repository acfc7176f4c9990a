"""A small cache of the most recently used values, bounded by bytes as the caller sizes
them (the index's decoded documents, the reader's prepared sentences)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from threading import Lock
from typing import Generic, TypeVar

__all__ = ["Recent"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Recent(Generic[K, V]):
    """The most recently used values by key, up to ``budget`` bytes as the caller sizes
    them (a value larger than the whole budget is returned but not kept); safe to share
    between threads (a value may be computed twice by two threads; the last one is kept).

    Raises:
        ValueError: for a negative budget.
    """

    def __init__(self, budget: int) -> None:
        if budget < 0:
            raise ValueError("budget must be at least 0")
        self._budget = budget
        self._used = 0
        self._values: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._lock = Lock()

    @property
    def used(self) -> int:
        """Bytes held (the sizes given to :meth:`put`)."""
        return self._used

    def __len__(self) -> int:
        return len(self._values)

    def get(self, key: K) -> V | None:
        """The value kept for ``key`` (now the most recently used), or None."""
        with self._lock:
            found = self._values.get(key)
            if found is None:
                return None
            self._values.move_to_end(key)
            return found[0]

    def put(self, key: K, value: V, size: int) -> V:
        """Keep ``value`` of ``size`` bytes for ``key``, dropping the least recently used
        values beyond the budget; returns ``value``."""
        if size > self._budget:
            return value
        with self._lock:
            old = self._values.pop(key, None)
            if old is not None:
                self._used -= old[1]
            self._values[key] = (value, size)
            self._used += size
            while self._used > self._budget:
                _, (_, dropped) = self._values.popitem(last=False)
                self._used -= dropped
        return value
