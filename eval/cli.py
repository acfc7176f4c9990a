"""``qa eval``: evaluate a question set (mounted by the ``qa`` command line).

Only typer and the CLI helpers are imported at module level; the evaluation code loads
when the command runs.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from qa.cli.options import VerboseOpt, with_settings
from qa.cli.output import errors, fail, out, progress_bars, setup_logging
from qa.settings import QASettings

__all__ = ["app"]

app = typer.Typer(add_completion=False, rich_markup_mode=None)  # help as written


@app.command("eval")
@with_settings()
def eval_command(
    settings: QASettings,
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
    questions_file: Annotated[
        Path | None,
        typer.Option(
            "--questions",
            help="With --squad: ask the questions of this JSONL set (gold ids are paragraph "
            "ids such as cmrc2018_dev:DEV_0) against the pooled corpus instead of the "
            "files' own questions.",
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
            help="Abstain below this confidence (env QA_ABSTAIN_THRESHOLD; default: the "
            "reader model's own).",
            show_default=False,
        ),
    ] = None,
    pages: Annotated[
        bool,
        typer.Option(
            "--pages",
            help="FILES is one folder of saved web pages with hand-made ground truth "
            "(original/, cleaned/, date/, author/, as ../shared/pages): measure page "
            "extraction (content, dates, authors) for the project and, in the same run, "
            "trafilatura, GNE and htmldate where installed; asks nothing.",
        ),
    ] = False,
    systems: Annotated[
        str,
        typer.Option(
            "--systems",
            help="With --pages: comma-separated systems to measure "
            "(project, trafilatura, gne, htmldate); those not installed are left out.",
        ),
    ] = "project,trafilatura,gne,htmldate",
    support_threshold: Annotated[
        bool,
        typer.Option(
            "--support-threshold",
            help="With --squad: measure the support threshold of citation verification "
            "(cross-validated, folds grouped by article); asks nothing.",
        ),
    ] = False,
    checks: Annotated[
        bool,
        typer.Option(
            "--checks/--no-checks",
            help="After the run, read the answerable questions again and print how often "
            "each of the reader's checks (veto rules) fires and how often the sentence it "
            "rejects holds the gold answer (checks.md in the report folder).",
        ),
    ] = True,
    verbose: VerboseOpt = False,
) -> None:
    """Evaluate a question set: retrieval, answers, citations, abstention, latency.

    Writes questions.jsonl (per question, RAGAS field names included), summary.json and
    report.md with PNG charts. `qa eval --compare A B` prints the difference of two runs.
    With --generator transformers or openai, answers are written by the language model
    and verified; the summary adds the share of sentences dropped and the fallback rate.
    """
    setup_logging(verbose)
    from eval.compare import (
        compare_runs,
        format_comparison,
        latency_line,
        load_run,
        question_overlap,
    )
    from eval.driver import run_and_report, squad_assistant
    from eval.questions import load_jsonl
    from eval.summary import HEADLINE
    from qa.cli.core import open_assistant

    with errors():
        if compare is not None:
            a, b = compare
            overlap = question_overlap(a, b)
            rows = compare_runs(a, b)
            out.print(f"A: {a}\nB: {b}\n")
            note = overlap.warning()
            if note is not None:
                # On stdout, with the table it qualifies (a report piped to a file keeps it).
                out.print(f"[yellow]warning:[/] {escape(note)}\n")
            out.print(escape(format_comparison(rows)))
            out.print("\n" + escape(latency_line(load_run(a)[0], load_run(b)[0])))
            return
        if not files:
            fail("give a question file (JSONL), SQuAD files with --squad, or --compare A B", 2)
        if pages:
            if len(files) != 1 or not files[0].is_dir():
                fail("--pages takes one folder in the layout of ../shared/pages", 2)
            _pages(files[0], systems, out_dir)
            return
        if support_threshold:
            if not squad:
                fail("--support-threshold measures on SQuAD-format files: add --squad", 2)
            _support_threshold(files, out_dir, seed, limit)
            return
        if not squad and len(files) != 1:
            fail("give one JSONL question file (or several SQuAD files with --squad)", 2)
        if holdout and not squad:
            fail("--holdout applies to --squad files only", 2)
        if questions_file is not None and not squad:
            fail("--questions applies to --squad files (give the JSONL set as FILE)", 2)
        overrides = {} if abstain_threshold is None else {"abstain_threshold": abstain_threshold}
        if squad:
            with progress_bars() as hook:
                assistant, questions = squad_assistant(
                    files,
                    settings.assistant_config(**overrides),
                    holdout=holdout,
                    seed=seed,
                    progress=hook,
                )
            name = "-".join(f.stem for f in files)
            if questions_file is not None:
                questions = load_jsonl(questions_file)
                name = questions_file.stem
        else:
            questions = load_jsonl(files[0])
            assistant = open_assistant(settings, **overrides)
            name = files[0].stem
        if assistant.config.generator != "extractive":
            with progress_bars() as hook:
                assistant.warm_up(hook)  # the language model, with its progress shown
        # The runner warms the rest up (and asks a throw-away question) before timing.
        command = "qa eval " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["eval"] else ""
        with progress_bars() as hook:
            summary, written = run_and_report(
                assistant,
                questions,
                out_dir=out_dir or Path("runs") / f"eval-{name}-{time.strftime('%Y%m%d-%H%M%S')}",
                meta={
                    "set": ", ".join(str(f) for f in files)
                    + (f"; questions {questions_file}" if questions_file else ""),
                    "command": command,
                },
                depth=depth,
                limit=limit,
                seed=seed,
                progress=hook,
            )
    m = summary["metrics"]
    for key in HEADLINE:
        if key in m:
            lo, hi = m[key]["ci95"]
            out.print(f"{key:24} {m[key]['mean']:.3f}  [{lo:.3f}, {hi:.3f}]  n={m[key]['n']}")
    lat = summary["latency"]
    warm = lat.get("warm_up_ms")
    out.print(
        f"{'latency p50 / p95':24} {lat['p50_ms']:.1f} / {lat['p95_ms']:.1f} ms, "
        f"{lat['throughput_qps']:.1f} questions/s"
        + (f" (warm-up before timing: {warm:.0f} ms)" if warm is not None else "")
    )
    gen = summary.get("generation")
    if gen:
        out.print(
            f"{'generation':24} {gen['generator']}: {gen['sentences_dropped_share']:.3f} of "
            f"{gen['sentences']} sentences dropped, fallback {gen['fallback_rate']:.3f}"
        )
    if checks:
        _check_statistics(assistant, questions, limit, seed, written.markdown.parent)
    out.print(f"\nReport: {escape(str(written.markdown))}")


def _pages(folder: Path, systems: str, out_dir: Path | None) -> None:
    import json

    from eval.pages import format_table, load_truth, run_system, split_scores, systems_available

    wanted = [s.strip() for s in systems.split(",") if s.strip()]
    try:
        chosen = systems_available(wanted)
    except ValueError as exc:
        fail(str(exc), 2)
    missing = [s for s in wanted if s not in chosen]
    truth = load_truth(folder)
    scores = []
    with progress_bars() as hook:
        for name in chosen:
            done = 0

            def tick(name: str = name) -> None:
                nonlocal done
                done += 1
                if hook is not None:
                    hook(f"pages: {name}", done, len(truth))

            scores.append(run_system(name, truth, tick))
    parts = split_scores(scores, truth)
    out.print(f"{len(truth)} pages in {escape(str(folder))}\n")
    out.print(escape(format_table(scores)))
    for part, part_scores in parts.items():
        n = part_scores[0].pages if part_scores else 0
        out.print(f"\n{part} part ({n} pages)\n")
        out.print(escape(format_table(part_scores)))
    if missing:
        out.print(f"\nnot installed, left out: {', '.join(missing)}")
    folder_out = out_dir or Path("runs") / f"pages-{time.strftime('%Y%m%d-%H%M%S')}"
    folder_out.mkdir(parents=True, exist_ok=True)
    summary = {
        "folder": str(folder),
        "command": "qa eval " + " ".join(sys.argv[2:]) if sys.argv[1:2] == ["eval"] else "",
        "systems": [s.as_dict() for s in scores],
        "parts": {k: [s.as_dict() for s in v] for k, v in parts.items()},
    }
    (folder_out / "summary.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    out.print(f"\nReport: {escape(str(folder_out / 'summary.json'))}")


def _check_statistics(
    assistant: Any, questions: Sequence[Any], limit: int, seed: int, out_dir: Path
) -> None:
    """Print and write the firing statistics of the reader's checks on the run's
    answerable questions (the same sample)."""
    from eval.driver import sample
    from qa import assistant_check_statistics

    pairs = [(q.question, q.answers) for q in sample(questions, limit, seed) if q.answers]
    if not pairs:
        return
    with progress_bars() as hook:
        tick = None if hook is None else (lambda done: hook("checks", done, len(pairs)))
        stats = assistant_check_statistics(assistant, pairs, progress=tick)
    table = stats.table()
    out.print(f"\nChecks on {len(pairs)} answerable questions:\n{escape(table)}")
    (out_dir / "checks.md").write_text(
        f"# Checks on {len(pairs)} answerable questions\n\n{table}\n", encoding="utf-8"
    )


def _support_threshold(files: list[Path], out_dir: Path | None, seed: int, limit: int) -> None:
    """Measure and print the support threshold; write support-threshold.json."""
    import json

    from eval.support import KINDS, support_pairs, threshold_study

    pairs = support_pairs(files, seed=seed, limit=limit)
    try:
        study = threshold_study(pairs)
    except ValueError as exc:
        fail(f"{exc}: give SQuAD files with more articles", 2)
    out.print("pairs: " + ", ".join(f"{k} {n}" for k, n in study.pairs.items()))
    head = f"{'':14}{'overlap':>8}{'novel':>7}" + "".join(f"{k:>16}" for k in KINDS)
    out.print(head + f"{'balanced':>10}")

    def row(label: str, t: float, n: float, rates: dict[str, float | None]) -> None:
        cells = "".join(f"{rates[k] or 0:>16.3f}" for k in KINDS)
        out.print(f"{label:14}{t:>8.2f}{n:>7.2f}{cells}{rates['balanced_accuracy'] or 0:>10.3f}")

    for i, fold in enumerate(study.folds, start=1):
        row(f"fold {i}", fold.threshold, fold.novel_threshold, fold.held_out)
    row("in use (all)", *study.current, study.at_current)
    row("overlap only", study.overlap_only[0], 0.0, study.overlap_only[1])
    out.print(
        f"thresholds (median of folds): overlap {study.threshold:.2f}, novel "
        f"{study.novel_threshold:.2f}; in use: {study.current[0]:.2f}, {study.current[1]:.2f}"
    )
    folder = out_dir or Path("runs") / f"support-threshold-{time.strftime('%Y%m%d-%H%M%S')}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "support-threshold.json"
    path.write_text(json.dumps(study.to_dict(), ensure_ascii=False, indent=2), encoding="utf-8")
    out.print(f"\nWritten: {escape(str(path))}")
