"""Package exports resolved on first use, so importing a package costs nothing until one
of its names is used (``qa --help`` and a cold ``qa ask`` import only what they need)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["lazy_exports"]


def lazy_exports(
    package: str, exports: Mapping[str, tuple[str, str]], names: Sequence[str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A package's module-level ``__getattr__`` and ``__dir__`` (PEP 562).

    Args:
        package: the package's ``__name__``.
        exports: each exported name's ``(module, attribute)``.
        names: the package's ``__all__``.

    Returns:
        ``(__getattr__, __dir__)``: the first imports the name's module when the name is
        first used and keeps the value on the package, so the next lookup is a plain
        attribute.
    """

    def __getattr__(name: str) -> Any:
        try:
            module, attribute = exports[name]
        except KeyError:
            raise AttributeError(f"module {package!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), attribute)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*vars(sys.modules[package]), *names})

    return __getattr__, __dir__
