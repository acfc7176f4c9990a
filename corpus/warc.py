"""Web-crawl archives (WARC, gzipped or not): the HTML pages a crawler fetched.

Every ``response`` (or ``resource``) record with an HTML payload becomes one page, with
its target URI and its fetch date (``WARC-Date``, which is not the publication date).
Records of other types (``warcinfo``, ``request``, ``metadata``, ``revisit``) hold no page
and are passed over; responses that are not HTML, not successful, too large or cut short
are reported with a named reason; an archive damaged part-way is read up to the damage.

Archives are streamed: one record's payload is in memory at a time, and a payload that
declares more than the page-size limit is read past in small blocks, never held. A large
archive is read in parts (:func:`warc_parts`: runs of consecutive records, found by
reading the record headers) that :func:`read_warc` reads from their offsets, so that a
loader holds one part's pages at a time, whatever the archive's size.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "MAX_RECORD_BYTES",
    "WARC_SUFFIXES",
    "WarcPage",
    "WarcPart",
    "WarcSkip",
    "count_warc_pages",
    "is_warc",
    "read_warc",
    "warc_parts",
]

logger = logging.getLogger(__name__)

WARC_SUFFIXES: tuple[str, ...] = (".warc", ".warc.gz")
MAX_RECORD_BYTES = 20_000_000
"""Payloads larger than this are skipped (``too-large``) without being read whole."""

_BLOCK_BYTES = 2048
"""The compressed bytes warcio inflates at a time. It inflates a block whole: a block of
16 KiB (its default) of a page padded with one repeated string became 16 MB at once;
zlib expands at most about 1,000-fold, so 2 KiB bound that to about 2 MB, for a small
cost in speed (reading, not parsing, the pages)."""

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


@dataclass(frozen=True, slots=True)
class WarcPart:
    """A run of consecutive records of an archive (see :func:`warc_parts`).

    Attributes:
        start: the byte offset of its first record in the archive file.
        records: how many records it holds (of every type); None: every record from
            ``start`` to the end of the archive (or to the damage that ends it).
        size: the bytes of the archive file it covers.
    """

    start: int
    records: int | None
    size: int


def is_warc(path: Path) -> bool:
    """Whether a file name is that of a WARC archive (``.warc``, ``.warc.gz``)."""
    return path.name.lower().endswith(WARC_SUFFIXES)


def _charset(content_type: str) -> str:
    for part in content_type.split(";")[1:]:
        key, _, value = part.partition("=")
        if key.strip().lower() == "charset":
            return value.strip().strip("\"'")
    return ""


@contextmanager
def _records(path: Path, start: int = 0) -> Iterator[Iterator[tuple[Any, Any]]]:
    """``(record, iterator)`` pairs from the record at byte offset ``start`` on, then
    ``(exception, None)`` where reading fails; the file and warcio's buffers are let go
    of on leaving, however far the reading went (warcio's iterator is a reference cycle:
    left to the garbage collector, each one read would hold its decompressor and
    buffers for a while)."""
    from warcio.archiveiterator import ArchiveIterator

    with path.open("rb") as fh:
        if start:
            fh.seek(start)
        # warcio counts offsets from the file's position when it starts: absolute here.
        records = ArchiveIterator(fh, block_size=_BLOCK_BYTES)
        pairs = _pairs(records)
        try:
            yield pairs
        finally:
            pairs.close()
            records.close()


def _pairs(records: Any) -> Generator[tuple[Any, Any], None, None]:
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


def _not_an_archive(record: Any) -> bool:
    """Whether warcio read an old ARC header out of text that is no archive at all: it
    takes any line of five words for one."""
    uri = record.rec_headers.get_header("WARC-Target-URI") or ""
    return str(getattr(record, "format", "")).startswith("arc") and ":" not in uri


def _encoded(http: Any) -> bool:
    """Whether an HTTP payload has a transfer or content encoding (its decoded size is
    not its stored size)."""
    if http is None:
        return False
    for name in ("Transfer-Encoding", "Content-Encoding"):
        value = str(http.get_header(name) or "").strip().lower()
        if value and value != "identity":
            return True
    return False


def read_warc(
    path: Path,
    *,
    max_record_bytes: int = MAX_RECORD_BYTES,
    start: int = 0,
    records: int | None = None,
) -> Iterator[WarcPage | WarcSkip]:
    """The HTML pages of a WARC archive, and the records skipped with their reasons.

    Produced lazily: one record's payload is read at a time.

    Args:
        path: a ``.warc`` or ``.warc.gz`` file.
        max_record_bytes: larger payloads are skipped (read past in small blocks, never
            held whole: one that declares a larger size is not read into memory at all).
        start: the byte offset of the first record to read (a :class:`WarcPart`'s).
        records: read this many records (of every type) and stop; None: to the end.

    Yields:
        A :class:`WarcPage` per HTML response, a :class:`WarcSkip` per response that is
        not used, one for damage that ends the reading, and one (``empty``) for a file
        that holds no record at all (empty, or not an archive: warcio stops on such a
        file without an error).

    Raises:
        OSError: when the file cannot be opened.
    """
    name = str(path)
    offset = start
    seen = 0
    with _records(path, start) as pairs:
        for record, iterator in pairs:
            if records is not None and seen >= records:
                return
            seen += 1
            if iterator is None:
                yield _damaged(name, offset, record)
                return
            rec: Any = record
            if _not_an_archive(rec):
                yield WarcSkip(
                    f"{name}@{offset}",
                    "damaged",
                    f"not a WARC archive: no record header at offset {offset}",
                )
                return
            try:
                entry = _entry(rec, iterator, name, max_record_bytes)
            # A payload that cannot be decompressed (a damaged gzip member) ends the
            # reading like a damaged header does.
            except Exception as exc:  # noqa: BLE001
                yield _damaged(name, offset, exc)
                return
            offset = _offset(iterator)
            if entry is not None:
                yield entry
    if not seen and not start:
        yield WarcSkip(
            name,
            "empty",
            "the archive holds no WARC record: the file is empty, or not a WARC archive "
            "(a compressed file of something else?)",
        )


def _damaged(name: str, offset: int, exc: BaseException) -> WarcSkip:
    return WarcSkip(
        f"{name}@{offset}",
        "damaged",
        f"the archive is damaged or cut short after offset {offset} "
        f"({_describe(exc)}); "
        "the records before it were read; re-fetch or repair the archive",
    )


def _entry(rec: Any, iterator: Any, name: str, max_record_bytes: int) -> WarcPage | WarcSkip | None:
    """What one record gives: a page, a skip, or None (a record that holds no page)."""
    headers = rec.rec_headers
    uri = headers.get_header("WARC-Target-URI") or ""
    if rec.rec_type not in _PAGE_RECORDS:
        _offset(iterator)  # read past it
        return None
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
    too_large = ("too-large", f"the payload is larger than {max_record_bytes:,} bytes")
    if not mime.startswith(_HTML_TYPES):
        skip = ("not-html", f"not an HTML page ({mime or 'no content type'})")
    elif not status.startswith("2"):
        skip = ("http-error", f"the server answered HTTP {status}, not with a page")
    elif not _encoded(http) and _left(rec) > max_record_bytes:
        skip = too_large  # as stored is as served: not read at all
    else:
        data = rec.content_stream().read(max_record_bytes + 1)
        missing = _left(rec)
        if len(data) > max_record_bytes:
            skip, data = too_large, b""
        elif missing:
            skip = (
                "truncated",
                f"the record is cut short ({missing:,} bytes missing): the archive "
                "ends inside it; re-fetch the page",
            )
    offset = _offset(iterator)  # reads the rest of the record, if any, in small blocks
    where = uri or f"{name}@{offset}"
    if skip is not None:
        logger.debug("%s: %s", where, skip[1])
        return WarcSkip(where, *skip)
    return WarcPage(
        uri=uri,
        fetched=headers.get_header("WARC-Date") or "",
        data=data,
        charset=_charset(content_type),
        where=f"{name}@{offset}",
        truncated=headers.get_header("WARC-Truncated") or "",
    )


def _left(rec: Any) -> int:
    """The bytes of the record's payload not read yet, as its header declares them."""
    return int(getattr(rec.raw_stream, "limit", 0) or 0)


def _describe(exc: BaseException) -> str:
    """A short, printable description of a reading error (warcio quotes raw bytes)."""
    text = "".join(c for c in str(exc).split(":", 1)[0] if c.isprintable())[:60]
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _offset(records: Any) -> int:
    """The current record's offset (warcio reads the rest of the record to know it)."""
    return int(records.get_record_offset())


def count_warc_pages(path: Path) -> int:
    """How many response or resource records an archive holds (for progress totals);
    stops quietly at damage. Payloads are read past in small blocks, never held."""
    count = 0
    with _records(path) as pairs:
        for record, iterator in pairs:
            if iterator is None or _not_an_archive(record):
                break
            if getattr(record, "rec_type", "") in _PAGE_RECORDS:
                count += 1
    return count


def warc_parts(
    path: Path, *, part_bytes: int = 1 << 20, part_records: int = 256
) -> Iterator[WarcPart]:
    """An archive cut into runs of consecutive records, for :func:`read_warc` to read one
    at a time (``start=part.start, records=part.records``).

    Found by reading the records' headers; payloads are read past in small blocks, never
    held. A part holds records until their declared sizes reach ``part_bytes`` or their
    count ``part_records`` (one record at least); the last part reads to the end, so
    damage that ends the archive is met, and reported, by whoever reads that part.
    Produced lazily.

    Args:
        path: a ``.warc`` or ``.warc.gz`` file.
        part_bytes: the declared record bytes of a part (uncompressed).
        part_records: the most records of a part.

    Yields:
        The parts, in order; at least one.

    Raises:
        OSError: when the file cannot be opened.
    """
    total = path.stat().st_size
    start = count = declared = 0
    with _records(path) as pairs:
        for record, iterator in pairs:
            if iterator is None or _not_an_archive(record):
                break
            try:
                offset = _offset(iterator)  # this record's start, once read past
            except Exception:  # noqa: BLE001 - damage inside it: the last part meets it
                break
            if count and (declared >= part_bytes or count >= part_records):
                yield WarcPart(start, count, offset - start)
                start, count, declared = offset, 0, 0
            count += 1
            declared += int(getattr(record, "length", 0) or 0)
    yield WarcPart(start, None, max(total - start, 0))
