"""Web-crawl archives (WARC, gzipped or not): the HTML pages a crawler fetched.

Every ``response`` (or ``resource``) record with an HTML payload becomes one page, with
its target URI and its fetch date (``WARC-Date``, which is not the publication date).
Records of other types (``warcinfo``, ``request``, ``metadata``, ``revisit``) hold no page
and are passed over; responses that are not HTML, not successful, too large or cut short
are reported with a named reason; an archive damaged part-way is read up to the damage.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_RECORD_BYTES",
    "WARC_SUFFIXES",
    "WarcPage",
    "WarcSkip",
    "count_warc_pages",
    "is_warc",
    "read_warc",
]

logger = logging.getLogger(__name__)

WARC_SUFFIXES: tuple[str, ...] = (".warc", ".warc.gz")
MAX_RECORD_BYTES = 20_000_000
"""Payloads larger than this are skipped (``too-large``) without being read whole."""

_HTML_TYPES = ("text/html", "application/xhtml+xml")
_PAGE_RECORDS = ("response", "resource")


@dataclass(frozen=True, slots=True)
class WarcPage:
    """One HTML page of an archive.

    Attributes:
        uri: the record's ``WARC-Target-URI``.
        fetched: its ``WARC-Date`` as written (ISO 8601, UTC: ``2024-11-05T08:00:00Z``).
        data: the HTTP payload (transfer and content encodings removed).
        charset: the charset of the HTTP ``Content-Type`` ("" where none).
        where: ``archive@offset``, to find the record again.
        truncated: the ``WARC-Truncated`` reason where the crawler cut the payload short
            (``length``, ``time``), else "".
    """

    uri: str
    fetched: str
    data: bytes
    charset: str
    where: str
    truncated: str = ""


@dataclass(frozen=True, slots=True)
class WarcSkip:
    """A record (or the rest of an archive) that gave no page, and why.

    Attributes:
        where: the record's target URI, or ``archive@offset``.
        code: ``not-html``, ``http-error``, ``too-large``, ``truncated``, ``damaged`` or
            ``empty``.
        message: what happened and what to do.
    """

    where: str
    code: str
    message: str


def is_warc(path: Path) -> bool:
    """Whether a file name is that of a WARC archive (``.warc``, ``.warc.gz``)."""
    return path.name.lower().endswith(WARC_SUFFIXES)


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'")
    return ""


def _iterate(path: Path) -> Iterator[tuple[Any, Any]]:
    """``(record, iterator)`` pairs, then ``(exception, None)`` where reading fails."""
    from warcio.archiveiterator import ArchiveIterator

    with path.open("rb") as fh:
        records = ArchiveIterator(fh)
        iterator = iter(records)
        while True:
            try:
                record = next(iterator)
            except StopIteration:
                return
            # warcio raises ArchiveLoadFailed, zlib/EOF errors, and for a header cut short
            # even AttributeError: any failure here means the archive is damaged.
            except Exception as exc:  # noqa: BLE001
                yield exc, None
                return
            yield record, records


def read_warc(
    path: Path, *, max_record_bytes: int = MAX_RECORD_BYTES
) -> Iterator[WarcPage | WarcSkip]:
    """The HTML pages of a WARC archive, and the records skipped with their reasons.

    Args:
        path: a ``.warc`` or ``.warc.gz`` file.
        max_record_bytes: larger payloads are skipped (read past, never held whole).

    Yields:
        A :class:`WarcPage` per HTML response, a :class:`WarcSkip` per response that is
        not used, one for damage that ends the reading, and one (``empty``) for a file
        that holds no record at all (empty, or not an archive: warcio stops on such a
        file without an error).

    Raises:
        OSError: when the file cannot be opened.
    """
    name = str(path)
    offset = 0
    seen = 0
    for record, records in _iterate(path):
        seen += 1
        if records is None:
            yield WarcSkip(
                f"{name}@{offset}",
                "damaged",
                f"the archive is damaged or cut short after offset {offset} "
                f"({_describe(record)}); "
                "the records before it were read; re-fetch or repair the archive",
            )
            return
        rec: Any = record
        headers = rec.rec_headers
        uri = headers.get_header("WARC-Target-URI") or ""
        if str(getattr(rec, "format", "")).startswith("arc") and ":" not in uri:
            # warcio reads any line of five words as an old ARC header: text that is no
            # archive at all would otherwise come out as a "record".
            yield WarcSkip(
                f"{name}@{offset}",
                "damaged",
                f"not a WARC archive: no record header at offset {offset}",
            )
            return
        if rec.rec_type not in _PAGE_RECORDS:
            offset = _offset(records)
            continue
        http = rec.http_headers
        content_type = str(
            (http.get_header("Content-Type") if http is not None else None)
            or headers.get_header("Content-Type")
            or ""
        )
        status = str(http.get_statuscode()) if http is not None else "200"
        mime = content_type.split(";")[0].strip().lower()
        skip: tuple[str, str] | None = None
        data = b""
        if not mime.startswith(_HTML_TYPES):
            skip = ("not-html", f"not an HTML page ({mime or 'no content type'})")
        elif not status.startswith("2"):
            skip = ("http-error", f"the server answered HTTP {status}, not with a page")
        else:
            data = rec.content_stream().read(max_record_bytes + 1)
            missing = int(getattr(rec.raw_stream, "limit", 0) or 0)
            if len(data) > max_record_bytes:
                skip = ("too-large", f"the payload is larger than {max_record_bytes:,} bytes")
            elif missing:
                skip = (
                    "truncated",
                    f"the record is cut short ({missing:,} bytes missing): the archive "
                    "ends inside it; re-fetch the page",
                )
        offset = _offset(records)  # reads the rest of the record, if any
        where = uri or f"{name}@{offset}"
        if skip is not None:
            logger.debug("%s: %s", where, skip[1])
            yield WarcSkip(where, *skip)
            continue
        yield WarcPage(
            uri=uri,
            fetched=headers.get_header("WARC-Date") or "",
            data=data,
            charset=_charset(content_type),
            where=f"{name}@{offset}",
            truncated=headers.get_header("WARC-Truncated") or "",
        )
    if not seen:
        yield WarcSkip(
            name,
            "empty",
            "the archive holds no WARC record: the file is empty, or not a WARC archive "
            "(a compressed file of something else?)",
        )


def _describe(exc: BaseException) -> str:
    """A short, printable description of a reading error (warcio quotes raw bytes)."""
    text = "".join(c for c in str(exc).split(":", 1)[0] if c.isprintable())[:60]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _offset(records: Any) -> int:
    """The current record's offset (warcio reads the rest of the record to know it)."""
    return int(records.get_record_offset())


def count_warc_pages(path: Path) -> int:
    """How many response or resource records an archive holds (for progress totals);
    stops quietly at damage."""
    count = 0
    for record, records in _iterate(path):
        if records is None:
            break
        if getattr(record, "rec_type", "") in _PAGE_RECORDS:
            count += 1
    return count
