"""Web-crawl archives (``.warc``, ``.warc.gz``): one article per HTML page a crawler
fetched.

Each ``response`` (or ``resource``) record with an HTML payload is read as a web page
is (:func:`corpus.formats.documents.page_document`), with its target URI and fetch
date; records that hold no page are skipped with their named reasons (see
:mod:`corpus.warc`). An archive is streamed one record at a time, and a large one is
loaded in parts (runs of records), so that a load holds one part's pages at a time.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace

from corpus.formats.base import (
    LoadResult,
    LoadTask,
    PageReport,
    PartLimits,
    SkippedFile,
    SourceFile,
)
from corpus.ids import path_id
from corpus.warc import WARC_SUFFIXES, WarcPage, count_warc_pages, read_warc, warc_parts

__all__ = ["WarcReader"]


@dataclass(frozen=True, slots=True)
class WarcReader:
    """Reads a WARC archive, gzipped or not: a page's id comes from its canonical URL
    (else its record's URL), its source is that URL (else ``archive@offset``)."""

    name: str = "warc"
    suffixes: tuple[str, ...] = WARC_SUFFIXES
    description: str = "web-crawl archives, one article per HTML page"

    def plan(self, file: SourceFile, size: int, limits: PartLimits) -> Iterator[LoadTask]:
        """Runs of records declaring about ``limits.stream_bytes`` together (one record
        at least), found by reading the record headers as the parts are consumed."""
        path, root = str(file.path), None if file.root is None else str(file.root)
        end = 0
        try:
            for part in warc_parts(file.path, part_bytes=limits.stream_bytes):
                yield LoadTask(path, root, None, part.size, part.start, part.records)
                end = part.start + part.size
        except OSError:  # cannot be read on: the rest as one part, which reports it
            yield LoadTask(path, root, None, max(size - end, 0), end)

    def read(self, file: SourceFile, task: LoadTask) -> Iterator[LoadResult]:
        """The archive's records from byte ``task.start`` on (``task.records`` of them;
        None: to the end), one result per record, read one record at a time."""
        from corpus.formats.documents import page_document

        try:
            for entry in read_warc(file.path, start=task.start, records=task.records):
                if not isinstance(entry, WarcPage):
                    yield LoadResult(
                        skipped=(SkippedFile(entry.where, entry.message, entry.code),),
                        pages=(PageReport(entry.where, skip_code=entry.code),),
                    )
                    continue
                offset = entry.where.rsplit("@", 1)[-1]
                doc, skip, report = page_document(
                    entry.data,
                    source=entry.uri or f"{file.relative}@{offset}",
                    fallback_id=path_id(f"{file.relative}@{offset}"),
                    url=entry.uri,
                    charset=entry.charset,
                    fetched=entry.fetched,
                    where=entry.uri or entry.where,
                )
                if entry.truncated:
                    note = (
                        f"the crawler truncated this record ({entry.truncated}): "
                        "the page may be incomplete"
                    )
                    report = replace(report, notes=(note,))
                yield LoadResult(
                    (doc,) if doc is not None else (),
                    (skip,) if skip is not None else (),
                    (report,),
                )
        except OSError as exc:
            reason = f"cannot read the archive: {exc.strerror or exc}"
            yield LoadResult(skipped=(SkippedFile(str(file.path), reason, "unreadable"),))

    def count_pages(self, file: SourceFile) -> int:
        """The archive's response and resource records (1 where it cannot be read)."""
        try:
            return count_warc_pages(file.path)
        except OSError:
            return 1
