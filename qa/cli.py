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
from typing import TYPE_CHECKING, Annotated, Any

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
        help="Index directory (default: ~/.cache/zhnews-qa/index).",
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


@app.command("eval")
def eval_command(
    files: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Question set (JSONL), or SQuAD-format files with --squad.", show_default=False
        ),
    ] = None,
    squad: Annotated[
        bool,
        typer.Option(
            "--squad", help="FILES are SQuAD format (CMRC 2018, DRCD): pool their paragraphs."
        ),
    ] = False,
    index: IndexOpt = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Report folder (default: runs/eval-NAME-TIME).", show_default=False
        ),
    ] = None,
    compare: Annotated[
        tuple[Path, Path] | None,
        typer.Option(
            "--compare",
            help="Compare two runs (summary.json or run folders), A then B; asks nothing.",
            show_default=False,
        ),
    ] = None,
    depth: Annotated[
        int, typer.Option("--depth", min=1, max=100, help="Passages retrieved per question.")
    ] = 10,
    limit: Annotated[
        int, typer.Option("--limit", min=0, help="Ask a random N questions (0: all).")
    ] = 0,
    holdout: Annotated[
        float,
        typer.Option(
            "--holdout",
            min=0.0,
            max=0.9,
            help="With --squad: share of articles left out of the corpus (their questions "
            "become unanswerable, measuring abstention).",
        ),
    ] = 0.0,
    seed: Annotated[int, typer.Option("--seed", help="Seed for --limit and --holdout.")] = 13,
    abstain_threshold: Annotated[
        float | None,
        typer.Option(
            "--abstain-threshold",
            min=0.0,
            max=1.0,
            help=f"Abstain below this support score (default: {_D.abstain_threshold}).",
            show_default=False,
        ),
    ] = None,
    model: ModelOpt = DEFAULT_MODEL,
    offline: OfflineOpt = False,
    chunk_size: ChunkSizeOpt = _D.chunk_size,
    chunk_overlap: ChunkOverlapOpt = _D.chunk_overlap,
    tokenizer: TokenizerOpt = _D.tokenizer,
    verbose: VerboseOpt = False,
) -> None:
    """Evaluate a question set: retrieval, answers, citations, abstention, latency.

    Writes questions.jsonl (per question, RAGAS field names included), summary.json and
    report.md with PNG charts. `qa eval --compare A B` prints the difference of two runs.
    """
    _setup_logging(verbose)
    import dataclasses
    import random
    import time

    # `qa eval` starts eval/ code: the one import against the layering, inside the command.
    from eval import (
        compare_runs,
        format_comparison,
        load_jsonl,
        load_run,
        load_squad_questions,
        run_questions,
        summarize,
        write_report,
    )
    from eval.compare import latency_line

    with _errors():
        if compare is not None:
            a, b = compare
            rows = compare_runs(a, b)
            out.print(f"A: {a}\nB: {b}\n")
            out.print(escape(format_comparison(rows)))
            out.print("\n" + escape(latency_line(load_run(a)[0], load_run(b)[0])))
            return
        if not files:
            _fail("give a question file (JSONL), SQuAD files with --squad, or --compare A B", 2)
            return
        config = _config(model, offline, chunk_size, chunk_overlap, tokenizer)
        if abstain_threshold is not None:
            config = dataclasses.replace(config, abstain_threshold=abstain_threshold)
        from qa.assistant import Assistant

        if squad:
            documents, questions = load_squad_questions(files, holdout=holdout, seed=seed)
            with _progress() as hook:
                assistant = Assistant.from_documents(documents, config, progress=hook)
            name = "-".join(f.stem for f in files)
        else:
            if len(files) != 1:
                _fail("give one JSONL question file (or several SQuAD files with --squad)", 2)
            if holdout:
                _fail("--holdout applies to --squad files only", 2)
            questions = load_jsonl(files[0])
            assistant = _open_assistant(index, config)
            name = files[0].stem
        for warning in assistant.warnings:
            err.print(f"[yellow]warning:[/] {escape(warning)}")
        if limit and limit < len(questions):
            questions = tuple(random.Random(seed).sample(list(questions), limit))
        command = "qa eval " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["eval"] else ""
        meta = {"set": ", ".join(str(f) for f in files), "command": command}
        with _progress() as hook:
            run = run_questions(
                assistant,
                questions,
                depth=depth,
                meta=meta,
                progress=(lambda d, t: hook("Asking questions", d, t)) if hook else None,
            )
        summary = summarize(run)
        folder = out_dir or Path("runs") / f"eval-{name}-{time.strftime('%Y%m%d-%H%M%S')}"
        written = write_report(run, summary, folder)
    m = summary["metrics"]
    for key in (
        "article_hit@1",
        "article_hit@5",
        "chunk_hit@1",
        "contains_gold",
        "f1",
        "citation_precision",
        "abstained_unanswerable",
        "false_abstention",
    ):
        if key in m:
            lo, hi = m[key]["ci95"]
            out.print(f"{key:24} {m[key]['mean']:.3f}  [{lo:.3f}, {hi:.3f}]  n={m[key]['n']}")
    lat = summary["latency"]
    out.print(
        f"{'latency p50 / p95':24} {lat['p50_ms']:.1f} / {lat['p95_ms']:.1f} ms, "
        f"{lat['throughput_qps']:.1f} questions/s"
    )
    out.print(f"\nReport: {written.markdown}")


@app.command()
def serve(
    host: Annotated[
        str | None,
        typer.Option(
            "--host", help="Interface (env QA_HOST; default 127.0.0.1).", show_default=False
        ),
    ] = None,
    port: Annotated[
        int | None,
        typer.Option(
            "--port", min=0, max=65535, help="Port (env QA_PORT; default 8000).", show_default=False
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Worker processes (env QA_WORKERS; default 1).",
            show_default=False,
        ),
    ] = None,
    index: Annotated[
        Path | None,
        typer.Option(
            "--index",
            help="Index directory (env QA_INDEX_DIR; default ~/.cache/zhnews-qa/index).",
            show_default=False,
        ),
    ] = None,
    articles: Annotated[
        list[Path] | None,
        typer.Option(
            "--articles",
            help="Build the index from these files/folders when there is none (env QA_ARTICLES; "
            "default: the bundled articles).",
            show_default=False,
        ),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option(
            "--model", help="Embedding model; '' for BM25 only (env QA_MODEL).", show_default=False
        ),
    ] = None,
    offline: Annotated[
        bool | None,
        typer.Option(
            "--offline/--online",
            help="Never download the model (env QA_OFFLINE).",
            show_default=False,
        ),
    ] = None,
    verbose: VerboseOpt = False,
) -> None:
    """Start the HTTP service (API, OpenAI-compatible chat, web page) with uvicorn.

    Every setting can also come from a QA_* environment variable or a .env file (see
    docs/api.md); document writes need QA_API_KEY.
    """
    from service.server import serve as run_server
    from service.settings import Settings

    _setup_logging(verbose)
    given: dict[str, Any] = {
        "host": host,
        "port": port,
        "workers": workers,
        "index_dir": index,
        "articles": articles,
        "model": model,
        "offline": offline,
        "log_level": "debug" if verbose else None,
    }
    try:
        settings = Settings(**{k: v for k, v in given.items() if v is not None})
        settings.assistant_config()
    except ValueError as exc:
        _fail(str(exc), code=2)
        return
    err.print(f"Serving on http://{settings.host}:{settings.port} (index {settings.index_dir})")
    run_server(settings)


def main() -> None:
    """Entry point of the ``qa`` console script."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
