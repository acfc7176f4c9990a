"""The core commands: ``qa ingest``, ``qa ask``, ``qa search``."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from qa.cli.options import VerboseOpt, with_settings
from qa.cli.output import err, errors, out, progress_bars, setup_logging, warn
from qa.settings import QASettings

if TYPE_CHECKING:
    from corpus.types import Document
    from qa.assistant import Assistant

__all__ = ["ask", "ingest", "open_assistant", "search"]


def open_assistant(settings: QASettings, **config: object) -> Assistant:
    """The assistant over the configured index, built from the articles on first use."""
    from qa.index import open_or_build

    def building(directory: Path, articles: Sequence[str | Path]) -> None:
        names = ", ".join(str(a) for a in articles)
        err.print(f"No index at {directory}: building one from {names} ...")

    with progress_bars() as hook:
        return open_or_build(
            settings.index_dir,
            settings.assistant_config(**config),
            settings.articles,
            progress=hook,
            on_build=building,
        )


@with_settings()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Article files or folders.")],
    settings: QASettings,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Replace an index built with other settings.")
    ] = False,
    report: Annotated[
        bool, typer.Option("--report", help="Print what cleaning removed from each article.")
    ] = False,
    verbose: VerboseOpt = False,
) -> None:
    """Clean, chunk and index articles (.txt .md .html .jsonl) into an index directory.

    Re-ingesting unchanged articles changes nothing; a changed article replaces its chunks.
    """
    setup_logging(verbose)
    from corpus.loaders import load_documents
    from qa.assistant import Assistant

    config = settings.assistant_config()
    directory = settings.index_dir
    with errors():
        with progress_bars() as hook:
            result = load_documents(paths, progress=hook)
        # Skipped files were logged as warnings by the loader (printed once, to stderr).
        if report:
            _print_report(result.documents)
        existing = None
        if (directory / "manifest.json").exists() and not rebuild:
            existing = Assistant.load(directory, config)
        with progress_bars() as hook:
            if existing is None:
                assistant = Assistant.from_documents(result.documents, config, progress=hook)
                added, updated, unchanged = len(assistant.documents), 0, 0
            else:
                assistant = existing
                summary = assistant.add_documents(result.documents, progress=hook)
                added, updated, unchanged = summary.added, summary.updated, summary.unchanged
        if existing is None or added or updated:
            assistant.save(directory)
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


@with_settings()
def ask(
    question: Annotated[str, typer.Argument(help="The question (simplified or traditional).")],
    settings: QASettings,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole answer as JSON.")
    ] = False,
    top_k: Annotated[
        int | None,
        typer.Option(
            "--top-k",
            min=1,
            max=100,
            help="Passages to use [env QA_TOP_K; default 5].",
            show_default=False,
        ),
    ] = None,
    verbose: VerboseOpt = False,
) -> None:
    """Answer a question with cited sources; the first call builds the index.

    With --generator transformers or openai, a language model writes the answer; each
    sentence is printed once citation verification has kept it.
    """
    setup_logging(verbose)
    from qa.assistant import validate_question
    from qa.types import Answer

    config = {"top_k": top_k} if top_k is not None else {}
    with errors():
        validate_question(question, settings.assistant_config().max_question_chars)
        assistant = open_assistant(settings, **config)
        if assistant.config.generator != "extractive":
            with progress_bars() as hook:
                assistant.warm_up(hook)
        if as_json:
            answer = assistant.ask(question)
            out.print_json(json.dumps(answer.to_dict(), ensure_ascii=False))
            return
        final: Answer | None = None
        for event in assistant.ask_stream(question):
            if isinstance(event, Answer):
                final = event
            else:
                out.print(escape(event.text), end="")
        out.print()
    assert final is not None  # the stream ends with the answer
    answer = final
    if answer.fallback:
        warn(answer.fallback)
    elif answer.dropped:
        err.print(f"[dim]verification dropped {answer.dropped} sentence(s) of the answer[/]")
    for c in answer.citations:
        head = " · ".join(x for x in (c.title, c.outlet, c.date) if x)
        out.print(f"\n[bold][{c.marker}][/] {escape(head)}")
        out.print(f"    {escape(c.quote)}", style="dim")


@with_settings()
def search(
    query: Annotated[str, typer.Argument(help="Search text.")],
    settings: QASettings,
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="Passages to return.")] = 5,
    as_json: Annotated[bool, typer.Option("--json", help="Print passages as JSON.")] = False,
    verbose: VerboseOpt = False,
) -> None:
    """Show the best passages for a query, with scores (no answer)."""
    setup_logging(verbose)
    from qa.assistant import validate_question

    with errors():
        validate_question(query, settings.assistant_config().max_question_chars)
        assistant = open_assistant(settings)
        passages = assistant.search(query, k=k)
    if as_json:
        out.print_json(json.dumps([p.to_dict() for p in passages], ensure_ascii=False))
        return
    for p in passages:
        scores = " ".join(f"{name}={value:.3f}" for name, value in p.scores.items())
        out.print(f"[bold]{p.rank}.[/] {escape(p.document.display_title)}  [dim]{scores}[/]")
        out.print(f"    {escape(p.chunk.text[:200])}")
