"""Import Ray, or say which extra to install."""

from __future__ import annotations

from types import ModuleType

__all__ = ["require_ray"]

INSTALL_HINT = 'Ray is not available - install the "ray" extra: pip install "zhnews-qa[ray]"'


def require_ray() -> ModuleType:
    """The ``ray`` module.

    Raises:
        ImportError: when Ray is not installed (the message says how to install it).
    """
    try:
        import ray
        import ray.data  # noqa: F401  (Ray Data ships in ray[data])
    except ImportError as err:
        raise ImportError(INSTALL_HINT) from err
    return ray
