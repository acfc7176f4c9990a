"""The core commands: ``qa ingest``, ``qa ask``, ``qa search``."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from qa.cli.options import VerboseOpt, with_settings
from qa.cli.output import err, errors, fail, out, progress_bars, setup_logging, warn
from qa.cli.report import print_report
from qa.settings import QASettings

if TYPE_CHECKING:
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
    settings: QASettings,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Article files, folders, or web-crawl archives (default: QA_ARTICLES, else "
            "the bundled articles).",
            show_default=False,
        ),
    ] = None,
    rebuild: Annotated[
        bool, typer.Option("--rebuild", help="Replace an index built with other settings.")
    ] = False,
    report: Annotated[
        bool,
        typer.Option(
            "--report",
            help="Print, per article and page, what was kept, what was removed and why, "
            "the copies merged, and what was skipped.",
        ),
    ] = False,
    verbose: VerboseOpt = False,
) -> None:
    """Clean, chunk and index articles into an index directory: .txt .md .jsonl, web
    pages (.html .htm .shtml .xhtml: main content and metadata are extracted; list pages
    are skipped) and web-crawl archives (.warc .warc.gz).

    Re-ingesting unchanged articles changes nothing; a changed article replaces its
    chunks; a copy of an indexed story (the same text under another URL) is recorded as
    its alternate instead of being indexed twice. Ids come from canonical URLs, else from
    paths relative to the folders given, so a moved collection is not indexed again.
    """
    setup_logging(verbose)
    from corpus.loaders import load_documents
    from qa.assistant import Assistant
    from qa.encoders import add_vectors_hint
    from qa.updates import IngestSummary, merges_in

    config = settings.assistant_config()
    directory = settings.index_dir
    paths = paths or list(settings.articles)
    with errors():
        existing = None
        if (directory / "manifest.json").exists() and not rebuild:
            existing = Assistant.load(directory, config)  # fail fast on a mismatched index
        with progress_bars() as hook:
            result = load_documents(paths, progress=hook)
        # Skipped files were logged as warnings by the loader (printed once, to stderr).
        if not result.documents:
            names = ", ".join(str(p) for p in paths)
            skipped = f" ({len(result.skipped)} file(s) skipped)" if result.skipped else ""
            state = (
                f"the index at {directory} is unchanged"
                if (directory / "manifest.json").exists()
                else "no index was written"
            )
            fail(
                f"no article was loaded from {names}{skipped}: {state}. Give files or "
                "folders of .txt, .md, .jsonl articles, web pages or crawl archives."
            )
        with progress_bars() as hook:
            if existing is None:
                assistant = Assistant.from_documents(result.documents, config, progress=hook)
                merges = merges_in(assistant.documents)
                summary = IngestSummary(
                    added=len(assistant.documents), merged=len(merges), merges=merges
                )
            else:
                assistant = existing
                summary = assistant.add_documents(result.documents, progress=hook)
        if existing is None or summary.changed:
            assistant.save(directory)
        if report:
            print_report(result, summary, assistant.documents)
        snap = assistant.snapshot
        out.print(
            f"Index {directory}: {len(snap.documents)} documents, {len(snap.chunks)} chunks "
            f"({summary.added} added, {summary.updated} updated, {summary.unchanged} "
            f"unchanged, {summary.merged} merged as copies, {len(result.skipped)} skipped); "
            "retrieval: " + ("BM25 + dense" if assistant.dense_enabled else "BM25 only")
        )
        if result.skipped and not report:
            counts = Counter(s.code or "other" for s in result.skipped)
            listed = ", ".join(f"{code} {n}" for code, n in counts.most_common())
            out.print(f"Skipped: {listed}; --report lists them with their reasons.")
        if existing is not None and snap.lexical_only and config.model:
            # The model is not tried for an index built without vectors: say how to add them.
            err.print(
                f"note: the index has no dense vectors; {escape(add_vectors_hint(config.model))}"
            )


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
            help="Passages to use (env QA_TOP_K; default 5).",
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
    k: Annotated[
        int | None,
        typer.Option(
            "-k",
            min=1,
            max=100,
            help="Passages to return (env QA_TOP_K; default 5).",
            show_default=False,
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print passages as JSON.")] = False,
    verbose: VerboseOpt = False,
) -> None:
    """Show the best passages for a query, with scores (no answer)."""
    setup_logging(verbose)
    from qa.assistant import validate_question

    with errors():
        validate_question(query, settings.assistant_config().max_question_chars)
        assistant = open_assistant(settings)
        passages = assistant.search(query, k=k or settings.top_k)
    if as_json:
        out.print_json(json.dumps([p.to_dict() for p in passages], ensure_ascii=False))
        return
    for p in passages:
        scores = " ".join(f"{name}={value:.3f}" for name, value in p.scores.items())
        out.print(f"[bold]{p.rank}.[/] {escape(p.document.display_title)}  [dim]{scores}[/]")
        out.print(f"    {escape(p.chunk.text[:200])}")
