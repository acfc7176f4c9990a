"""Keep server file paths out of what clients see.

Messages of the library (an index that cannot be loaded, a file that cannot be written,
a model that cannot be read) name the files they are about; logged in full on the
server, they reach HTTP clients with the paths replaced: a configured path by the
setting's name (``<index_dir>``), any other absolute path by its last component
(``…/manifest.json``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

__all__ = ["redact_paths"]

# An absolute POSIX path: not inside a word, a URL (``http://host/a``) or a relative path.
_POSIX = re.compile(r"(?<![\w.~/\\>-])(?:/[^\s/'\"`(),;:\[\]<>]+)+/?")
_WINDOWS = re.compile(r"(?<![\w])[A-Za-z]:\\[^\s'\"`(),;<>]*")


def _last(path: str, sep: str) -> str:
    name = path.rstrip(sep).rsplit(sep, 1)[-1]
    return f"…{sep}{name}"


def redact_paths(text: str, known: Iterable[tuple[str | Path, str]] = ()) -> str:
    """``text`` with absolute file paths replaced.

    Args:
        text: a message that may name server files.
        known: configured paths and their labels (``(settings.index_dir, "<index_dir>")``);
            a path is replaced in its absolute and in its resolved form, and a file
            below it keeps its part relative to it (``<index_dir>/manifest.json``).

    Returns:
        The message, safe to show to a client.
    """
    forms: list[tuple[str, str]] = []
    for path, label in known:
        given = Path(path)
        forms += [(str(given.absolute()), label), (str(given.resolve()), label)]
    for form, label in sorted(forms, key=lambda fl: len(fl[0]), reverse=True):
        if len(form) > 1:  # never the root directory alone
            text = text.replace(form, label)
    text = _POSIX.sub(lambda m: _last(m.group(0), "/"), text)
    return _WINDOWS.sub(lambda m: _last(m.group(0), "\\"), text)
