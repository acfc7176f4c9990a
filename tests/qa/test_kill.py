"""``kill -9`` at a random moment of an ingest and of a run of service updates: the
index opens afterwards and holds one of the generations committed before the kill
(issue 12). Slow: 20 kills of each."""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import shutil
import signal
import time
from collections import Counter
from pathlib import Path

import pytest

from corpus import loaders
from qa import Assistant
from qa.ingest import ingest_paths
from tests.qa.test_write_safety import CONFIG, news

pytestmark = pytest.mark.slow

KILLS = 20
BASE = {f"b{i}" for i in range(8)}


def _jsonl(path: Path, count: int) -> list[str]:
    ids = []
    with path.open("w", encoding="utf-8") as fh:
        for i in range(count):
            doc = news(i, "k")
            fh.write(json.dumps({"id": doc.id, "title": doc.title, "text": doc.text}) + "\n")
            ids.append(doc.id)
    return ids


def _ingest(index: str, source: str, rebuild: bool, ready: object) -> None:
    # The input in parts of a few lines, a segment committed every few documents.
    loaders.STREAM_BYTES = 500
    loaders._PART_LINES = 3
    ready.set()  # type: ignore[attr-defined]
    ingest_paths([source], index, CONFIG, workers=0, segment_rows=6, rebuild=rebuild)


def _updates(index: str, count: int, ready: object) -> None:
    assistant = Assistant.load(index, CONFIG)
    ready.set()  # type: ignore[attr-defined]
    for i in range(count):
        assistant.add_documents([news(i, "s")])


def _run(target: object, args: tuple[object, ...], delay: float | None) -> float:
    """Run ``target`` in a forked process, killed with SIGKILL ``delay`` seconds after it
    is ready (None: let it finish); the seconds it ran."""
    context = multiprocessing.get_context("fork")
    ready = context.Event()
    process = context.Process(target=target, args=(*args, ready))
    process.start()
    assert ready.wait(60)
    start = time.monotonic()
    if delay is None:
        process.join(120)
        assert process.exitcode == 0
    else:
        time.sleep(delay)
        os.kill(process.pid, signal.SIGKILL)
        process.join(60)
    return time.monotonic() - start


def _prefix(found: set[str], order: list[str]) -> int:
    """How many of ``order`` are in ``found``, checking they are its first ones."""
    count = sum(1 for i in order if i in found)
    assert set(order[:count]) <= found, "a later write is there without an earlier one"
    return count


def _only_what_the_manifest_names(index: Path) -> bool:
    """Whether the index's ``segments/`` and ``deletes/`` hold what its manifest names and
    nothing else (issue 30, item 4: start-up recovery removes what a killed write left,
    whole segments of the previous generation included)."""
    manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    segments = {s["name"] for s in manifest["segments"]}
    deletes = {Path(s["deletes"]).name for s in manifest["segments"] if s["deletes"]}
    return {p.name for p in (index / "segments").iterdir()} == segments and {
        p.name for p in (index / "deletes").iterdir()
    } == deletes


def _base_index(folder: Path) -> Path:
    template = folder / "template"
    Assistant.from_documents([news(i, "b") for i in range(8)], CONFIG).save(template)
    return template


def test_kill_9_of_an_ingest_leaves_a_committed_generation(tmp_path: Path) -> None:
    template = _base_index(tmp_path)
    order = _jsonl(tmp_path / "new.jsonl", 48)
    index = tmp_path / "run" / "index"
    shutil.copytree(template, index)
    full = _run(_ingest, (str(index), str(tmp_path / "new.jsonl"), False), None)
    assert {d.id for d in Assistant.load(index, CONFIG).documents} == BASE | set(order)
    rng = random.Random(12)
    outcomes: Counter[str] = Counter()
    for run in range(KILLS):
        shutil.rmtree(index.parent)
        shutil.copytree(template, index)
        rebuild = run % 4 == 3
        # A rebuild commits once, at its end: the kills aim around it.
        delay = rng.uniform(0.5, 1.5) * full if rebuild else rng.uniform(0, full)
        _run(_ingest, (str(index), str(tmp_path / "new.jsonl"), rebuild), delay)
        found = {d.id for d in Assistant.load(index, CONFIG).documents}
        assert _only_what_the_manifest_names(index), f"run {run}"
        if rebuild:  # all or nothing: built beside the index, committed into it at once
            assert found in (BASE, set(order)), f"run {run}"
            outcomes["rebuild: " + ("new" if found == set(order) else "old")] += 1
            continue
        assert BASE <= found, f"run {run}"
        done = _prefix(found - BASE, order)
        outcomes["none" if done == 0 else "all" if done == len(order) else "part"] += 1
    print(f"ingest ({full:.2f} s uninterrupted), after {KILLS} kills: {dict(outcomes)}")


def test_kill_9_of_service_updates_leaves_a_committed_generation(tmp_path: Path) -> None:
    template = _base_index(tmp_path)
    order = [f"s{i}" for i in range(12)]
    index = tmp_path / "run" / "index"
    shutil.copytree(template, index)
    full = _run(_updates, (str(index), len(order)), None)
    assert {d.id for d in Assistant.load(index, CONFIG).documents} == BASE | set(order)
    rng = random.Random(12)
    committed = []
    for run in range(KILLS):
        shutil.rmtree(index.parent)
        shutil.copytree(template, index)
        _run(_updates, (str(index), len(order)), rng.uniform(0, full))
        found = {d.id for d in Assistant.load(index, CONFIG).documents}
        assert _only_what_the_manifest_names(index), f"run {run}"
        assert BASE <= found, f"run {run}"
        committed.append(_prefix(found - BASE, order))
    assert max(committed) > 0  # the kills came while it was writing
    print(f"updates ({full:.2f} s uninterrupted), updates committed at the kills: {committed}")
