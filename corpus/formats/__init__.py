"""File formats as readers, and the registry that picks one by file name.

One module per format, each a :class:`~corpus.formats.base.FormatReader` (a name, the
file-name suffixes it claims, a description for help text, and how it plans and reads a
file): :mod:`~corpus.formats.text` (``.txt``), :mod:`~corpus.formats.markdown`
(``.md``), :mod:`~corpus.formats.web` (saved web pages), :mod:`~corpus.formats.jsonl`
(one article per line) and :mod:`~corpus.formats.warc` (web-crawl archives).
:data:`FORMATS` holds them; every list of supported formats (the loader's
``unsupported`` skip, ``qa ingest --help``, the service's upload description) is
rendered from it, so a format is added in one place::

    registry = FORMATS.with_readers(MyReader())   # a new registry; FORMATS is unchanged

Importing this package is light: the readers import their parsers and the cleaning
rules when they first read a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePath
from types import MappingProxyType

from corpus.formats.base import (
    BytesReader,
    FormatReader,
    LoadResult,
    LoadTask,
    PageReport,
    PartLimits,
    SkippedFile,
    SourceFile,
    whole_file,
)
from corpus.formats.jsonl import JsonlReader
from corpus.formats.markdown import MarkdownReader
from corpus.formats.text import TextReader
from corpus.formats.warc import WarcReader
from corpus.formats.web import WebPageReader

__all__ = [
    "FORMATS",
    "BytesReader",
    "FormatReader",
    "FormatRegistry",
    "JsonlReader",
    "LoadResult",
    "LoadTask",
    "MarkdownReader",
    "PageReport",
    "PartLimits",
    "SkippedFile",
    "SourceFile",
    "TextReader",
    "WarcReader",
    "WebPageReader",
    "describe_formats",
    "reader_for",
    "suffix_list",
    "supported_suffixes",
    "whole_file",
]


@dataclass(frozen=True, slots=True)
class FormatRegistry:
    """The readers of a load, and the one source of its list of formats.

    Immutable: :meth:`with_readers` gives a new registry.

    Attributes:
        readers: the readers, in the order formats are listed.

    Raises:
        ValueError: at construction, when a reader has no name or no suffixes, a suffix
            is not lower-case with a leading dot, or two readers claim one name or
            suffix.
    """

    readers: tuple[FormatReader, ...]
    _by_suffix: Mapping[str, FormatReader] = field(init=False, repr=False, compare=False)
    _longest_first: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        readers = tuple(self.readers)
        table: dict[str, FormatReader] = {}
        names: set[str] = set()
        for reader in readers:
            if not isinstance(reader, FormatReader):
                raise ValueError(
                    f"{reader!r} is not a format reader: give it name, suffixes, "
                    "description, plan, read and count_pages (see corpus.formats.base)"
                )
            if not reader.name or not reader.suffixes:
                raise ValueError(f"{reader!r}: a reader needs a name and at least one suffix")
            if reader.name in names:
                raise ValueError(f"two readers are named {reader.name!r}; give each its own name")
            names.add(reader.name)
            for suffix in reader.suffixes:
                if len(suffix) < 2 or not suffix.startswith(".") or suffix != suffix.lower():
                    raise ValueError(
                        f"reader {reader.name!r}: suffix {suffix!r} must be lower-case and "
                        "start with a dot, e.g. '.txt' or '.warc.gz'"
                    )
                if suffix in table:
                    raise ValueError(
                        f"suffix {suffix!r} is claimed by both {table[suffix].name!r} and "
                        f"{reader.name!r}; give each suffix to one reader"
                    )
                table[suffix] = reader
        object.__setattr__(self, "readers", readers)
        object.__setattr__(self, "_by_suffix", MappingProxyType(table))
        object.__setattr__(self, "_longest_first", tuple(sorted(table, key=len, reverse=True)))

    def with_readers(self, *readers: FormatReader) -> FormatRegistry:
        """A registry with these readers after this one's (this one is unchanged)."""
        return FormatRegistry((*self.readers, *readers))

    def reader_for(self, path: str | PurePath) -> FormatReader | None:
        """The reader of a file, by the end of its name (case aside); the longest suffix
        wins (``a.warc.gz`` is an archive, whatever reads ``.gz``). A name that is only
        a suffix (a hidden file such as ``.txt``) has no format, as for
        :attr:`pathlib.PurePath.suffix`.

        Args:
            path: the file's path or name.

        Returns:
            The reader, or None where no reader claims the name.
        """
        name = PurePath(path).name.lower()
        for suffix in self._longest_first:
            if len(name) > len(suffix) and name.endswith(suffix):
                return self._by_suffix[suffix]
        return None

    @property
    def suffixes(self) -> tuple[str, ...]:
        """Every suffix claimed, in the readers' order (``.txt``, ..., ``.warc.gz``)."""
        return tuple(self._by_suffix)

    def suffix_list(self, sep: str = " ") -> str:
        """The suffixes as text: ``.txt .md .html ... .warc .warc.gz``.

        Args:
            sep: what goes between two suffixes (``", "`` for a sentence).
        """
        return sep.join(self.suffixes)

    def describe(self) -> str:
        """Each format and its suffixes, for help text: ``plain-text articles (.txt);
        Markdown articles (.md); ...``."""
        return "; ".join(f"{r.description} ({' '.join(r.suffixes)})" for r in self.readers)

    def unsupported(self, path: str | PurePath) -> str:
        """Why a file no reader claims is skipped: its suffix and the supported ones."""
        suffix = PurePath(path).suffix.lower()
        return f"unsupported file type {suffix!r} (supported: {self.suffix_list(', ')})"


FORMATS = FormatRegistry(
    (TextReader(), MarkdownReader(), WebPageReader(), JsonlReader(), WarcReader())
)
"""The formats :func:`corpus.loaders.load_documents` reads."""


def reader_for(path: str | PurePath) -> FormatReader | None:
    """The reader of :data:`FORMATS` for a file (see :meth:`FormatRegistry.reader_for`)."""
    return FORMATS.reader_for(path)


def supported_suffixes() -> tuple[str, ...]:
    """The suffixes :data:`FORMATS` reads, with their dots."""
    return FORMATS.suffixes


def suffix_list(sep: str = " ") -> str:
    """The suffixes :data:`FORMATS` reads, as text (``.txt .md ... .warc.gz``)."""
    return FORMATS.suffix_list(sep)


def describe_formats() -> str:
    """The formats :data:`FORMATS` reads, described for help text."""
    return FORMATS.describe()
