"""The core commands: ``qa ingest``, ``qa ask``, ``qa search``."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape

from corpus.formats import FORMATS
from qa.cli.options import RETRIEVAL_OPTIONS, VerboseOpt, with_settings
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


@with_settings(options=RETRIEVAL_OPTIONS)
def ingest(
    settings: QASettings,
    paths: Annotated[
        list[Path] | None,
        typer.Argument(
            help="Article files, folders, or web-crawl archives (env QA_ARTICLES, "
            "comma-separated; default: the bundled articles).",
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
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=0,
            help="Processes that load and prepare articles (default: one per CPU core; "
            "0: this process only); with --ray, Ray actors (default: the cluster's CPUs).",
            show_default=False,
        ),
    ] = None,
    ray: Annotated[
        bool,
        typer.Option(
            "--ray",
            help="Load and prepare articles, and encode their chunks with the model, on a "
            "Ray cluster (the [ray] extra); the index is the one plain ingest writes. See "
            "docs/scale-out.md.",
        ),
    ] = False,
    ray_address: Annotated[
        str | None,
        typer.Option(
            "--ray-address",
            help="With --ray: the cluster ('auto': the one `ray start` started here; "
            "'ray://HOST:10001': a remote one); default: a local Ray instance.",
            show_default=False,
        ),
    ] = None,
    ray_encoders: Annotated[
        int | None,
        typer.Option(
            "--ray-encoders",
            min=1,
            help="With --ray and a model: Ray actors that encode the chunks (default: one "
            "per GPU of the cluster, one GPU each; without GPUs, half its CPUs).",
            show_default=False,
        ),
    ] = None,
    ray_writers: Annotated[
        int | None,
        typer.Option(
            "--ray-writers",
            min=0,
            help="With --ray: Ray actors that build and write the index's segments in "
            "parallel, committed together at the end (default: one per four CPUs of the "
            "cluster, none below four; 0: this process writes and commits each in turn).",
            show_default=False,
        ),
    ] = None,
    verbose: VerboseOpt = False,
) -> None:
    """Clean, chunk and index articles into an index directory.

    Formats: {formats}.

    Re-ingesting unchanged articles changes nothing; a changed article replaces its
    chunks; a copy of an indexed story (the same text under another URL) is recorded as
    its alternate instead of being indexed twice. Ids come from canonical URLs, else from
    paths relative to the folders given, so a moved collection is not indexed again.
    New and changed articles go to new segments of the index; the input is streamed and
    prepared in parallel processes, in bounded memory.
    """
    setup_logging(verbose)
    from qa.encoders import add_vectors_hint
    from qa.ingest import ingest_paths
    from qa.updates import SnapshotLookup

    config = settings.assistant_config()
    directory = settings.index_dir
    paths = paths or list(settings.articles)
    runner = None
    if ray_address is not None and not ray:
        fail("--ray-address goes with --ray")
    if ray_encoders is not None and not ray:
        fail("--ray-encoders goes with --ray")
    if ray_writers is not None and not ray:
        fail("--ray-writers goes with --ray")
    sink = None
    if ray:
        if workers == 0:
            fail("--workers 0 cannot go with --ray: give the number of Ray actors, or none")
        try:
            from qa.distributed import connect, ray_runner, segment_sink

            connect(ray_address)
            sink = segment_sink(ray_writers)
        except ImportError as error:
            fail(str(error))
        except Exception as error:  # noqa: BLE001 - Ray's errors, said plainly
            where = f"the Ray cluster at {ray_address}" if ray_address else "a local Ray instance"
            fail(f"cannot start or join {where}: {error}")
        runner = ray_runner(workers, encode=config, encoders=ray_encoders)
    with errors():
        existed = (directory / "manifest.json").exists()
        with progress_bars() as hook:
            assistant, result = ingest_paths(
                paths,
                directory,
                config,
                rebuild=rebuild,
                workers=workers,
                progress=hook,
                keep_documents=report,
                runner=runner,
                sink=sink,
            )
        # Skipped files were logged as warnings (printed once, to stderr).
        if assistant is None or result.loaded == 0:
            names = ", ".join(str(p) for p in paths)
            skipped = f" ({len(result.skipped)} file(s) skipped)" if result.skipped else ""
            state = f"the index at {directory} is unchanged" if existed else "no index was written"
            fail(
                f"no article was loaded from {names}{skipped}: {state}. Give files or "
                f"folders of articles: {FORMATS.suffix_list()}."
            )
        summary = result.summary
        if report:
            print_report(result.load_result, summary, SnapshotLookup(assistant.snapshot))
        snap = assistant.snapshot
        out.print(
            f"Index {directory}: {snap.document_count} documents, {snap.size} chunks "
            f"({summary.added} added, {summary.updated} updated, {summary.unchanged} "
            f"unchanged, {summary.merged} merged as copies, {len(result.skipped)} skipped); "
            "retrieval: " + ("BM25 + dense" if assistant.dense_enabled else "BM25 only")
        )
        if result.skipped and not report:
            counts = Counter(s.code or "other" for s in result.skipped)
            listed = ", ".join(f"{code} {n}" for code, n in counts.most_common())
            out.print(f"Skipped: {listed}; --report lists them with their reasons.")
        if existed and not rebuild and snap.lexical_only and config.model:
            # The model is not tried for an index built without vectors: say how to add them.
            err.print(
                f"note: the index has no dense vectors; {escape(add_vectors_hint(config.model))}"
            )


# The formats paragraph of the help is the registry's: a reader added to corpus.formats
# is listed without editing this text (`qa --help` shows only the first sentence).
ingest.__doc__ = (ingest.__doc__ or "").replace("{formats}", FORMATS.describe())


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


@with_settings(options=RETRIEVAL_OPTIONS)
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
