"""The ``qa`` command line: ingest articles, ask questions, search passages.

Configuration comes from options, each of which can also be set through an environment
variable with the ``QA_`` prefix (shown in ``--help``). Only this module and ``service/``
read the environment.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress

from qa.assistant import validate_question
from qa.config import DEFAULT_MODEL, AssistantConfig
from qa.errors import IndexNotFoundError, QAError

if TYPE_CHECKING:
    from corpus.progress import Progress
    from corpus.types import Document
    from qa.assistant import Assistant

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Question answering over Chinese news, with citations to the source text.",
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

_STAGES = {
    "load": "Loading articles",
    "chunk": "Chunking",
    "embed": "Embedding chunks",
    "bm25": "Building BM25 index",
}


def default_articles_dir() -> Path:
    """The bundled seed articles (``corpus/articles``)."""
    import corpus

    return Path(corpus.__file__).resolve().parent / "articles"


def default_index_dir() -> Path:
    """``$XDG_CACHE_HOME/zhnews-qa/index`` (``~/.cache/zhnews-qa/index``)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "zhnews-qa" / "index"


# -- shared options -------------------------------------------------------------------------

IndexOpt = Annotated[
    Path | None,
    typer.Option(
        "--index",
        envvar="QA_INDEX_DIR",
        help="Index directory [default: ~/.cache/zhnews-qa/index].",
        show_default=False,
    ),
]
ModelOpt = Annotated[
    str,
    typer.Option(
        "--model",
        envvar="QA_MODEL",
        help="Embedding model (sentence-transformers name or local path); '' for BM25 only.",
    ),
]
OfflineOpt = Annotated[
    bool,
    typer.Option(
        "--offline/--online",
        envvar="QA_OFFLINE",
        help="Never download the embedding model; use only locally cached files.",
    ),
]
ChunkSizeOpt = Annotated[
    int, typer.Option("--chunk-size", envvar="QA_CHUNK_SIZE", help="Chunk length in characters.")
]
ChunkOverlapOpt = Annotated[
    int,
    typer.Option("--chunk-overlap", envvar="QA_CHUNK_OVERLAP", help="Characters shared by chunks."),
]
TokenizerOpt = Annotated[
    str,
    typer.Option(
        "--tokenizer", envvar="QA_TOKENIZER", help="BM25 tokenization: char12, jieba, jieba+char2."
    ),
]
VerboseOpt = Annotated[bool, typer.Option("--verbose", "-v", help="Log more detail.")]

_D = AssistantConfig()


def _config(
    model: str, offline: bool, chunk_size: int, chunk_overlap: int, tokenizer: str, top_k: int = 5
) -> AssistantConfig:
    try:
        return AssistantConfig(
            model=model,
            local_files_only=offline,
            chunk_size=chunk_size,
            chunk_overlap=chunk_overlap,
            tokenizer=tokenizer,
            top_k=top_k,
        )
    except ValueError as exc:
        _fail(str(exc), code=2)
        raise  # unreachable


def _setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    # Third-party chatter: jieba logs its dictionary loading, transformers its loading.
    import bm25s  # noqa: F401 - sets its own logger to DEBUG on import: import, then quiet
    import jieba

    for name in ("jieba", "transformers", "sentence_transformers", "huggingface_hub", "bm25s"):
        logging.getLogger(name).setLevel(logging.INFO if verbose else logging.ERROR)

    jieba.setLogLevel(logging.INFO if verbose else logging.ERROR)


def _fail(message: str, code: int = 1) -> None:
    err.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


@contextmanager
def _progress(enabled: bool = True) -> Iterator[Progress | None]:
    """A rich progress display fed by the library's ``progress(stage, done, total)`` hook."""
    if not enabled or not err.is_terminal:
        yield None
        return
    with RichProgress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        tasks: dict[str, TaskID] = {}

        def hook(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(_STAGES.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield hook


@contextmanager
def _errors() -> Iterator[None]:
    """Turn expected failures into a one-line message and a non-zero exit."""
    try:
        yield
    except QAError as exc:
        _fail(str(exc))
    except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
        _fail(str(exc))


def _open_assistant(index: Path | None, config: AssistantConfig) -> Assistant:
    """Load the index, building it from the bundled articles on first use."""
    from qa.assistant import Assistant

    directory = index or default_index_dir()
    try:
        return Assistant.load(directory, config)
    except IndexNotFoundError:
        if index is not None and (directory / "manifest.json").exists():
            raise
    articles = default_articles_dir()
    err.print(f"No index at {directory}: building one from {articles} ...")
    with _progress() as hook:
        assistant = Assistant.from_paths([articles], config, progress=hook)
    assistant.save(directory)
    return assistant


# -- commands -----------------------------------------------------------------------------


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Article files or folders.")],
    index: IndexOpt = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Replace an index built with other settings.")
    ] = False,
    report: Annotated[
        bool, typer.Option("--report", help="Print what cleaning removed from each article.")
    ] = False,
    model: ModelOpt = DEFAULT_MODEL,
    offline: OfflineOpt = False,
    chunk_size: ChunkSizeOpt = _D.chunk_size,
    chunk_overlap: ChunkOverlapOpt = _D.chunk_overlap,
    tokenizer: TokenizerOpt = _D.tokenizer,
    verbose: VerboseOpt = False,
) -> None:
    """Clean, chunk and index articles (.txt .md .html .jsonl) into an index directory.

    Re-ingesting unchanged articles changes nothing; a changed article replaces its chunks.
    """
    _setup_logging(verbose)
    config = _config(model, offline, chunk_size, chunk_overlap, tokenizer)
    from corpus.loaders import load_documents
    from qa.assistant import Assistant

    directory = index or default_index_dir()
    with _errors():
        with _progress() as hook:
            result = load_documents(paths, progress=hook)
        for skipped in result.skipped:
            err.print(f"[yellow]skipped[/] {escape(skipped.path)}: {escape(skipped.reason)}")
        if report:
            _print_report(result.documents)
        existing = None
        if (directory / "manifest.json").exists() and not rebuild:
            existing = Assistant.load(directory, config)
        with _progress() as hook:
            if existing is None:
                assistant = Assistant.from_documents(result.documents, config, progress=hook)
                added, updated, unchanged = len(assistant.documents), 0, 0
            else:
                assistant = existing
                summary = assistant.add_documents(result.documents, progress=hook)
                added, updated, unchanged = summary.added, summary.updated, summary.unchanged
        if existing is None or added or updated:
            assistant.save(directory)
        for warning in assistant.warnings:
            err.print(f"[yellow]warning:[/] {escape(warning)}")
        snap = assistant.snapshot
        out.print(
            f"Index {directory}: {len(snap.documents)} documents, {len(snap.chunks)} chunks "
            f"({added} added, {updated} updated, {unchanged} unchanged, "
            f"{len(result.skipped)} skipped); retrieval: "
            + ("BM25 + dense" if assistant.dense_enabled else "BM25 only")
        )


def _print_report(documents: Sequence[Document]) -> None:
    for doc in documents:
        out.print(f"[bold]{escape(doc.display_title)}[/] ({escape(doc.source)})")
        meta = {
            "published": doc.published,
            "outlet": doc.outlet,
            "reporter": doc.reporter,
            "place": doc.place,
        }
        meta.update(dict(doc.meta))
        for key, value in meta.items():
            if value:
                out.print(f"  {key}: {escape(value)}")
        counts = doc.report.by_rule()
        out.print("  removed: " + (", ".join(f"{k} {v}" for k, v in counts.items()) or "nothing"))
        for removal in doc.report.removals:
            text = removal.text.replace("\n", "⏎")
            out.print(f"    [{removal.rule}] {escape(text[:80])}{'…' if len(text) > 80 else ''}")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question (simplified or traditional).")],
    index: IndexOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole answer as JSON.")
    ] = False,
    top_k: Annotated[int, typer.Option("--top-k", min=1, max=100, help="Passages to use.")] = 5,
    model: ModelOpt = DEFAULT_MODEL,
    offline: OfflineOpt = False,
    chunk_size: ChunkSizeOpt = _D.chunk_size,
    chunk_overlap: ChunkOverlapOpt = _D.chunk_overlap,
    tokenizer: TokenizerOpt = _D.tokenizer,
    verbose: VerboseOpt = False,
) -> None:
    """Answer a question with cited sources; the first call builds the index."""
    _setup_logging(verbose)
    config = _config(model, offline, chunk_size, chunk_overlap, tokenizer, top_k=top_k)
    with _errors():
        validate_question(question, config.max_question_chars)
        assistant = _open_assistant(index, config)
        answer = assistant.ask(question)
    if as_json:
        out.print_json(json.dumps(answer.to_dict(), ensure_ascii=False))
        return
    out.print(escape(answer.text))
    for c in answer.citations:
        head = " · ".join(x for x in (c.title, c.outlet, c.date) if x)
        out.print(f"\n[bold][{c.marker}][/] {escape(head)}")
        out.print(f"    {escape(c.quote)}", style="dim")


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="Search text.")],
    index: IndexOpt = None,
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="Passages to return.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print passages as JSON.")] = False,
    model: ModelOpt = DEFAULT_MODEL,
    offline: OfflineOpt = False,
    chunk_size: ChunkSizeOpt = _D.chunk_size,
    chunk_overlap: ChunkOverlapOpt = _D.chunk_overlap,
    tokenizer: TokenizerOpt = _D.tokenizer,
    verbose: VerboseOpt = False,
) -> None:
    """Show the best passages for a query, with scores (no answer)."""
    _setup_logging(verbose)
    config = _config(model, offline, chunk_size, chunk_overlap, tokenizer)
    with _errors():
        validate_question(query, config.max_question_chars)
        assistant = _open_assistant(index, config)
        passages = assistant.search(query, k=k)
    if as_json:
        out.print_json(json.dumps([p.to_dict() for p in passages], ensure_ascii=False))
        return
    for p in passages:
        scores = " ".join(f"{name}={value:.3f}" for name, value in p.scores.items())
        out.print(f"[bold]{p.rank}.[/] {escape(p.document.display_title)}  [dim]{scores}[/]")
        out.print(f"    {escape(p.chunk.text[:200])}")


def main() -> None:
    """Entry point of the ``qa`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
