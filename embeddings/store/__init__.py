"""The index store: settings, the in-memory snapshot, its build, and the on-disk form.

* :mod:`~embeddings.store.settings`: :class:`IndexSettings` and compatibility checks;
* :mod:`~embeddings.store.snapshot`: the immutable :class:`IndexSnapshot`;
* :mod:`~embeddings.store.build`: :func:`build_snapshot` (with vector reuse from
  :mod:`~embeddings.store.vectors`);
* :mod:`~embeddings.store.files`: atomic :func:`save_snapshot` and validating
  :func:`load_snapshot`.
"""

from __future__ import annotations

from embeddings.store.build import build_snapshot
from embeddings.store.files import MANIFEST, load_snapshot, save_snapshot
from embeddings.store.settings import FORMAT_VERSION, IndexSettings, settings_compatible
from embeddings.store.snapshot import IndexSnapshot

__all__ = [
    "FORMAT_VERSION",
    "MANIFEST",
    "IndexSettings",
    "IndexSnapshot",
    "build_snapshot",
    "load_snapshot",
    "save_snapshot",
    "settings_compatible",
]
