"""JSON Lines (``.jsonl``): one article per line, an object with the article's ``text``
and optionally its ``id``, ``title``, ``url``, ``published`` and ``source``.

A line that gives no article (invalid JSON, not an object, no text, a field that is not
a string or not valid Unicode) is skipped as ``bad-line`` with its place (``path:line``);
the other lines load. A file larger than the streaming limit is read line by line, in
parts, as UTF-8, so that a load holds a few parts whatever the file's size.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from corpus.formats.base import (
    BytesReader,
    LoadResult,
    LoadTask,
    PartLimits,
    SkippedFile,
    SourceFile,
    whole_file,
)
from corpus.ids import canonical_url, path_id, url_id

if TYPE_CHECKING:
    from corpus.types import Document

__all__ = ["JsonlReader"]

_NOT_UTF8 = "not UTF-8; a JSONL file this large is read as UTF-8: re-save it as UTF-8"


@dataclass(frozen=True, slots=True)
class JsonlReader(BytesReader):
    """Reads a ``.jsonl`` file as one article per line; a line's id is its ``id``, else
    the id of its ``url``, else of its ``source``, else of its place (``file:line``)."""

    name: str = "jsonl"
    suffixes: tuple[str, ...] = (".jsonl",)
    description: str = (
        "JSON Lines, one article per line: text, and optionally id, title, url, published, source"
    )

    def plan(self, file: SourceFile, size: int, limits: PartLimits) -> Iterator[LoadTask]:
        """The whole file, or for a file over ``limits.stream_bytes`` its lines in parts
        of ``limits.part_lines``, read as the parts are consumed."""
        if size > limits.stream_bytes:
            yield from _stream(file, limits.part_lines)
        else:
            yield whole_file(file, size)

    def read(self, file: SourceFile, task: LoadTask) -> Iterator[LoadResult]:
        """The whole file's articles, or those of the part's lines; one result."""
        if task.lines is None:
            yield from BytesReader.read(self, file, task)
            return
        skipped = [
            SkippedFile(f"{task.path}:{n}", _NOT_UTF8, "bad-line")
            for n, line in task.lines
            if line is None
        ]
        good = [(n, line) for n, line in task.lines if line is not None]
        documents: list[Document] = []
        for doc, skip in _lines(good, task.path, file.relative):
            documents.extend([doc] if doc is not None else [])
            skipped.extend([skip] if skip is not None else [])
        yield LoadResult(tuple(documents), tuple(skipped))

    def read_bytes(self, data: bytes, file: SourceFile) -> LoadResult:
        """The file's articles, one per line, and the lines that give none."""
        from corpus.cleaning.whitespace import normalize_newlines
        from corpus.formats.documents import decode_text

        name = str(file.path)
        text = decode_text(data, name)
        if not isinstance(text, str):
            return LoadResult(skipped=(text,))
        lines = enumerate(normalize_newlines(text).split("\n"), start=1)
        documents: list[Document] = []
        skipped: list[SkippedFile] = []
        for doc, skip in _lines(lines, name, file.relative):
            documents.extend([doc] if doc is not None else [])
            skipped.extend([skip] if skip is not None else [])
        return LoadResult(tuple(documents), tuple(skipped))


def _stream(file: SourceFile, part_lines: int) -> Iterator[LoadTask]:
    """A large JSONL file in parts of ``part_lines`` lines, decoded as UTF-8."""
    path, root = str(file.path), None if file.root is None else str(file.root)
    part: list[tuple[int, str | None]] = []
    size = 0
    with file.path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if lineno == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            size += len(raw)
            try:
                line: str | None = raw.decode("utf-8").rstrip("\r\n")
            except UnicodeDecodeError:
                line = None  # reported as a bad line
            part.append((lineno, line))
            if len(part) >= part_lines:
                yield LoadTask(path, root, tuple(part), size)
                part, size = [], 0
    if part:
        yield LoadTask(path, root, tuple(part), size)


def _lines(
    lines: Iterable[tuple[int, str]], path: str, relative: str
) -> Iterator[tuple[Document | None, SkippedFile | None]]:
    from corpus.formats.documents import document_from_text

    for lineno, line in lines:
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield (
                None,
                SkippedFile(where, f"invalid JSON ({exc.msg}); fix or remove the line", "bad-line"),
            )
            continue
        if not isinstance(record, dict):
            yield (
                None,
                SkippedFile(where, "not a JSON object; each line must be one article", "bad-line"),
            )
            continue
        body = record.get("text")
        if not isinstance(body, str) or not body.strip():
            yield None, SkippedFile(where, 'no "text" field with the article text', "bad-line")
            continue
        fields = {k: record.get(k) for k in ("id", "title", "url", "published", "source")}
        bad = [k for k, v in fields.items() if v is not None and not isinstance(v, str)]
        if bad:
            yield None, SkippedFile(where, f"field(s) {', '.join(bad)} must be strings", "bad-line")
            continue
        unencodable = _unencodable({"text": body, **fields})
        if unencodable:
            yield None, SkippedFile(where, unencodable, "bad-line")
            continue
        url = canonical_url(fields["url"] or "")
        # The line's own id, else its URL, else its stated source, else its place.
        doc_id = fields["id"] or (
            url_id(url) if url else path_id(fields["source"] or f"{relative}:{lineno}")
        )
        yield (
            document_from_text(
                body,
                source=fields["source"] or fields["url"] or f"{relative}:{lineno}",
                title=fields["title"] or "",
                url=url or fields["url"] or "",
                published=fields["published"] or "",
                doc_id=doc_id,
            ),
            None,
        )


def _unencodable(fields: dict[str, str | None]) -> str | None:
    """Why the first field that is not valid Unicode text cannot be used (a JSON escape
    such as ``\\ud800`` decodes to a lone surrogate, which no encoder accepts), else None."""
    for name, value in fields.items():
        if value is None:
            continue
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            char = value[exc.start]
            return (
                f'field "{name}" holds a lone surrogate (U+{ord(char):04X}) at character '
                f"{exc.start}, which is not valid Unicode text; fix the \\u escape (a "
                "surrogate pair, or the character itself) or remove the line"
            )
    return None
