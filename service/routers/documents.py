"""Document management: list, get, add (JSON or file upload), delete.

Writes need ``Authorization: Bearer <key>``. A write adds a segment (new and changed
articles) and tombstones (their old versions, deleted articles) beside the current index.
With ``persist`` on it is committed to disk first (under the index's write lock, on the
newest generation: only the new files and the manifest are written, the manifest last
and atomically) and only then served, with one assignment, so questions keep being
answered from the old snapshot until the new one is complete and on disk. A write that
cannot be committed changes nothing: a 500 (507 when the disk is full) with the code
``index_write_failed``, or a 503 ``index_busy`` when another writer holds the index too
long; the server log names the path, the response does not.

Ids a client gives (an article's ``id``, the ``id`` of an uploaded ``.jsonl`` line) hold
only :data:`~service.schemas.documents.DOC_ID_ALPHABET`, so that ``/v1/documents/{id}``
addresses every document written here; ``GET`` and ``DELETE`` also take any id an index
holds (one ``qa ingest`` took from a ``.jsonl`` file, slashes included).
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path as FsPath
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.datastructures import UploadFile

from qa import (
    FORMATS,
    Assistant,
    Document,
    IndexBusyError,
    IndexWriteError,
    IngestSummary,
    document_from_text,
    index_generation,
    load_documents,
)
from qa.errors import ShardError, is_disk_full
from service.concurrency import run_write
from service.deps import AssistantDep, SettingsDep, WriteAuth
from service.errors import ERROR_RESPONSES, ServiceError, disk_full_error, public_message
from service.memory import release_free_memory
from service.schemas import (
    INGEST_EXAMPLE,
    DeleteResponse,
    DocumentDetail,
    DocumentList,
    DocumentSummary,
    ErrorResponse,
    IngestArticle,
    IngestRequest,
    IngestResponse,
    SkippedOut,
)
from service.schemas.documents import doc_id_problem
from service.settings import Settings

router = APIRouter(prefix="/v1/documents", tags=["documents"])
logger = logging.getLogger(__name__)

T = TypeVar("T")

MAX_FILES = 100
_AUTH_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorResponse, "description": "No bearer key."},
    403: {"model": ErrorResponse, "description": "Wrong key, or writes disabled (no key set)."},
}
_WRITE_FAILED: dict[int | str, dict[str, Any]] = {
    500: {"model": ErrorResponse, "description": "The index could not be written to disk."},
    507: {"model": ErrorResponse, "description": "No space left for the index."},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "No document with this id."},
}
_DOC_ID = Path(
    min_length=1,
    max_length=200,
    examples=["b953cbe5ffcf7eaf"],
    description="The document's id; one with `/` or other reserved characters (an index "
    "built by `qa ingest` from `.jsonl` ids) percent-encoded.",
)


class _DocIdConvertor(Convertor[str]):
    """The rest of the path after ``/v1/documents/``, slashes included (so that an id a
    ``.jsonl`` file gave, ``2024/11/a``, is addressable, percent-encoded or not); never
    empty, so ``/v1/documents/`` still redirects to the list."""

    regex = "[^/].*"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("doc_id", _DocIdConvertor())


def _not_found(doc_id: str, assistant: Assistant | None = None) -> ServiceError:
    owner = assistant.snapshot.alternate_owner(doc_id) if assistant is not None else None
    if owner is not None:
        message = (
            f"no document with id {doc_id!r}: it is a copy of a story, merged into the "
            f"document {owner.id!r} (GET /v1/documents/{owner.id} lists it in its alternates)"
        )
    else:
        message = f"no document with id {doc_id!r}: GET /v1/documents lists them"
    return ServiceError(404, "document_not_found", message, param="doc_id")


@router.get("", response_model=DocumentList, responses=ERROR_RESPONSES, summary="List documents")
async def list_documents(
    assistant: AssistantDep,
    offset: Annotated[int, Query(ge=0, examples=[0])] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, examples=[100])] = 100,
) -> DocumentList:
    """The indexed documents' metadata, in index order.

    Example: `curl -s 'localhost:8000/v1/documents?limit=10'`
    """

    def listed() -> DocumentList:  # reads the index: one turn in the request threads
        docs = assistant.documents
        page = docs[offset : offset + limit]
        return DocumentList(
            total=len(docs),
            offset=offset,
            limit=limit,
            documents=[DocumentSummary.from_qa(d) for d in page],
        )

    return await run_in_threadpool(listed)


@router.get(
    "/{doc_id:doc_id}",
    response_model=DocumentDetail,
    responses={**ERROR_RESPONSES, **_NOT_FOUND},
    summary="Get a document",
)
async def get_document(assistant: AssistantDep, doc_id: Annotated[str, _DOC_ID]) -> DocumentDetail:
    """A document's cleaned text, metadata and cleaning report.

    Example: `curl -s localhost:8000/v1/documents/b953cbe5ffcf7eaf`
    """

    def found() -> DocumentDetail:  # reads the index: one turn in the request threads
        doc = assistant.get_document(doc_id)
        if doc is None:
            raise _not_found(doc_id, assistant)
        return DocumentDetail.from_qa(doc)

    return await run_in_threadpool(found)


_UPLOAD_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {"$ref": "#/components/schemas/IngestRequest"},
            "example": INGEST_EXAMPLE,
        },
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["files"],
                "additionalProperties": False,
                "properties": {
                    "files": {
                        "type": "array",
                        "minItems": 1,
                        "maxItems": MAX_FILES,
                        "items": {"type": "string", "format": "binary"},
                        "description": f"Article files: {FORMATS.suffix_list()}.",
                    }
                },
            }
        },
    },
}


@router.post(
    "",
    response_model=IngestResponse,
    dependencies=[WriteAuth],
    responses={
        **ERROR_RESPONSES,
        **_AUTH_RESPONSES,
        **_WRITE_FAILED,
        415: {"model": ErrorResponse, "description": "Neither JSON nor multipart."},
    },
    openapi_extra={"requestBody": _UPLOAD_BODY},
    summary="Add documents",
)
async def add_documents(
    request: Request, assistant: AssistantDep, settings: SettingsDep
) -> IngestResponse:
    """Add articles, as JSON (`{"articles": [{"text": ..., "title": ...}]}`) or as uploaded
    files (multipart field `files`: articles, web pages, crawl archives). An article with
    the id of an indexed one replaces it (ids come from `id`, the canonical `url`, else the
    `source` or file name, as for files ingested with `qa ingest`); an unchanged one costs
    nothing; a copy of an indexed story is merged into it (listed in `merges`).

    Example:
    `curl -s localhost:8000/v1/documents -H "Authorization: Bearer $QA_API_KEY"
    -F files=@article.txt`
    """
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype == "application/json" or ctype.endswith("+json"):
        raw = await request.body()
        # Parsing and cleaning up to the body limit of text is CPU work: off the event
        # loop, so that health checks and questions are answered meanwhile.
        docs, skipped = await run_write(_from_json, raw)
    elif ctype == "multipart/form-data":
        form = await request.form(max_files=MAX_FILES, max_fields=MAX_FILES)
        files: list[tuple[str, UploadFile]] = []
        for name, value in form.multi_items():
            if name != "files":
                raise ServiceError(
                    422,
                    "invalid_request",
                    f"{name}: unknown form field; send the articles in the field 'files'",
                    param=name,
                )
            if not isinstance(value, UploadFile):
                raise ServiceError(
                    422,
                    "invalid_request",
                    "files: must hold uploaded files (with a file name), not plain values",
                    param="files",
                )
            files.append((value.filename or "upload.txt", value))
        if not files:
            raise ServiceError(
                422, "invalid_request", "no file in the upload: send files in the field 'files'"
            )
        docs, skipped = await run_write(_from_files, files)
    else:
        raise ServiceError(
            415,
            "unsupported_media_type",
            'send application/json ({"articles": [...]}) or multipart/form-data files',
        )

    def write(commit_to: FsPath | None) -> IngestResponse:
        # Nothing usable is not an error: the response lists what was skipped and why.
        summary = assistant.add_documents(docs, commit_to=commit_to) if docs else IngestSummary()
        # A copy of an indexed story is served as the document it was merged into.
        merged_into = {m.alternate.id: m.kept for m in summary.merges}
        for doc in docs:
            if doc.id not in merged_into and assistant.get_document(doc.id) is None:
                owner = assistant.snapshot.alternate_owner(doc.id)
                if owner is not None:
                    merged_into[doc.id] = owner.id
        return IngestResponse.from_qa(summary, skipped, docs, len(assistant.documents), merged_into)

    return await run_write(_locked_write, request, assistant, settings, write)


@router.delete(
    "/{doc_id:doc_id}",
    response_model=DeleteResponse,
    dependencies=[WriteAuth],
    responses={
        **ERROR_RESPONSES,
        **_AUTH_RESPONSES,
        **_WRITE_FAILED,
        **_NOT_FOUND,
        409: {"model": ErrorResponse, "description": "It is the last document."},
    },
    summary="Delete a document",
)
async def delete_document(
    request: Request,
    assistant: AssistantDep,
    settings: SettingsDep,
    doc_id: Annotated[str, _DOC_ID],
) -> DeleteResponse:
    """Remove a document from the index.

    Example:
    `curl -s -X DELETE localhost:8000/v1/documents/b953cbe5ffcf7eaf
    -H "Authorization: Bearer $QA_API_KEY"`
    """

    def write(commit_to: FsPath | None) -> DeleteResponse:
        if assistant.remove_documents([doc_id], commit_to=commit_to) == 0:
            raise _not_found(doc_id, assistant)
        return DeleteResponse(deleted=doc_id, total_documents=len(assistant.documents))

    return await run_write(_locked_write, request, assistant, settings, write)


# -- helpers ------------------------------------------------------------------------------


def _locked_write(
    request: Request,
    assistant: Assistant,
    settings: Settings,
    write: Callable[[FsPath | None], T],
) -> T:
    """Run one write at a time, committed to ``settings.index_dir`` before it is served
    when ``settings.persist``; a failed commit changes nothing and is a 5xx whose
    message names no server path (the log does)."""
    with request.app.state.write_lock:
        before = index_generation(settings.index_dir) if settings.persist else None
        try:
            return write(settings.index_dir if settings.persist else None)
        except ShardError as exc:
            # A shard that fails while the write's generation is opened on it: the
            # change is on disk, and served once the shards are back. Say so, so that a
            # client can tell it from a write that was not stored.
            after = index_generation(settings.index_dir) if settings.persist else None
            if after is None or after == before:
                raise
            logger.warning("write committed as generation %d, not yet served: %s", after, exc)
            raise ServiceError(
                503,
                "shard_unavailable",
                f"the change was stored (generation {after}) but a shard cannot serve it "
                f"yet: {public_message(settings, str(exc))}; it is served once the shards "
                "are back (sending it again changes nothing)",
                headers={"Retry-After": "5"},
            ) from None
        except IndexBusyError as exc:
            logger.warning("write refused, the index is busy: %s", exc)
            raise ServiceError(
                503,
                "index_busy",
                "another writer has held the index for too long; nothing was changed: "
                "try again later",
                headers={"Retry-After": "10"},
            ) from None
        except IndexWriteError as exc:
            logger.error("could not commit a write to the index: %s", exc)
            # A full disk shows itself as ENOSPC, SQLite's "database or disk is full",
            # numpy's short write, ...: all of them are a 507.
            full = is_disk_full(exc)
            raise ServiceError(
                507 if full else 500,
                "index_write_failed",
                "the index could not be written to disk"
                + (" (no space left on the server's disk)" if full else "")
                + "; nothing was changed: the server log has the details. Try again once "
                "the disk is fixed.",
            ) from None
        finally:
            # What the write built (a merge's postings) and the old generation's caches
            # are free now: give the pages back (see service.memory).
            release_free_memory()


def _from_json(raw: bytes) -> tuple[list[Document], list[SkippedOut]]:
    """Articles sent as a JSON body (:class:`IngestRequest`).

    Raises:
        RequestValidationError: the body does not match the schema.
    """
    try:
        body = IngestRequest.model_validate_json(raw)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e["loc"])} for e in exc.errors(include_url=False)]
        raise RequestValidationError(errors) from None
    return _from_articles(body.articles)


def _from_articles(articles: list[IngestArticle]) -> tuple[list[Document], list[SkippedOut]]:
    """Articles sent as JSON. An article's id is its ``id``, else that of its ``url``
    (as for a web page with that canonical URL), else that of its ``source`` (as for a
    file of that name), else of its text: the same article sent again, or ingested from
    a file, updates the indexed one instead of adding a copy."""
    docs: list[Document] = []
    skipped: list[SkippedOut] = []
    for i, article in enumerate(articles):
        source = (
            article.source
            or article.url
            or "api:"
            + hashlib.sha256(article.text.encode("utf-8", "surrogatepass")).hexdigest()[:16]
        )
        doc = document_from_text(
            article.text,
            source=source,
            title=article.title,
            url=article.url,
            published=article.published,
            outlet=article.outlet,
            doc_id=article.id,
        )
        if doc.text.strip():
            docs.append(doc)
        else:
            skipped.append(
                SkippedOut(
                    source=f"articles[{i}]", reason="no text left after cleaning", code="no-text"
                )
            )
    return docs, skipped


def _from_files(files: list[tuple[str, UploadFile]]) -> tuple[list[Document], list[SkippedOut]]:
    """Load uploaded files through the same loaders as files on disk: each copied to a
    temporary file in blocks, then read as ``qa ingest`` reads it (an archive one record
    at a time), so that memory holds one page and the documents, not the upload.

    Raises:
        ServiceError: 507 when the server's disk has no room for the uploaded files.
    """
    docs: list[Document] = []
    skipped: list[SkippedOut] = []
    with tempfile.TemporaryDirectory(prefix="qa-upload-") as tmp:
        for i, (filename, upload) in enumerate(files):
            name = FsPath(filename.replace("\\", "/")).name.strip() or "upload.txt"
            folder = FsPath(tmp) / str(i)
            folder.mkdir()
            path = folder / name
            try:
                with path.open("wb") as fh:
                    upload.file.seek(0)
                    shutil.copyfileobj(upload.file, fh, 1 << 20)
            except (OSError, ValueError) as exc:
                if is_disk_full(exc):
                    logger.error("no room for an upload in %s: %s", tmp, exc)
                    raise disk_full_error("the uploaded files could not be stored") from None
                skipped.append(SkippedOut(source=name, reason="unusable file name; rename it"))
                continue
            # A single file: its id comes from its canonical URL or its file name, as
            # when the same file is ingested from disk, and its documents' sources from
            # that name (``a.jsonl:3``, ``crawl.warc.gz@1024``) or their URL.
            result = load_documents([path])
            public = f"upload:{name}"
            for doc in result.documents:
                problem = doc_id_problem(doc.id)
                if problem:
                    skipped.append(
                        SkippedOut(
                            source=_upload_source(doc.source, name),
                            reason=f"id {doc.id!r}: {problem}",
                            code="bad-id",
                        )
                    )
                    continue
                docs.append(_renamed(doc, _upload_source(doc.source, name)))
            skipped.extend(
                SkippedOut(source=s.path.replace(str(path), public), reason=s.reason, code=s.code)
                for s in result.skipped
            )
    return docs, skipped


def _upload_source(source: str, name: str) -> str:
    """A document's source as an upload: ``upload:<name>`` for the file itself (and its
    lines and records), as given otherwise (a URL, a ``.jsonl`` line's own source)."""
    if source == name or source.startswith((f"{name}:", f"{name}@")):
        return f"upload:{source}"
    return source


def _renamed(doc: Document, source: str) -> Document:
    import dataclasses

    return dataclasses.replace(doc, source=source)
