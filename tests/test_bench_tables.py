"""docs/performance.md's tables come from the benchmarks' records, and say where from."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bench import tables
from bench.common import provenance, write_result


def _search(chunks: int, ask_p50: float, date: str, commit: str) -> dict[str, Any]:
    return {
        "benchmark": "search",
        "chunks": chunks,
        "segments": 1,
        "hit@5": 0.95,
        "machine": {"load_average": [1.0, 0.5, 0.25]},
        "ask_cold_ms": {"p50": ask_p50, "p95": 2 * ask_p50},
        "recorded": {
            "date": date,
            "commit": commit,
            "command": "python -m bench.search --corpus c",
        },
    }


@pytest.mark.parametrize(
    ("chunks", "size"),
    [
        (None, None),
        (500, None),
        (10_818, "10k"),
        (31_622, "10k"),
        (31_623, "100k"),
        (108_000, "100k"),
        (316_228, "1M"),
        (1_033_887, "1M"),
    ],
)
def test_sizes_are_the_nearest_power_of_ten(chunks: int | None, size: str | None) -> None:
    assert tables.size_of(chunks) == size


def test_the_newest_record_of_a_size_is_shown_with_its_provenance() -> None:
    records = [
        _search(10_818, 9.0, "2026-12-01T00:00:00Z", "aaa"),
        _search(108_000, 14.0, "2026-12-02T00:00:00Z", "bbb"),
        _search(10_818, 7.5, "2026-12-03T00:00:00Z", "ccc"),
    ]
    text = tables.render(records)
    ten, hundred = text.split("### 100k")
    assert "### 10k chunks (10,818)" in ten
    assert (
        "| `ask` cold (passages new to the caches): wall p50 / p95, optimized (one segment) "
        "| 7.5 / 15.0 ms | [1] |" in ten
    )
    assert "9.0 /" not in ten
    assert (
        "[1] `python -m bench.search --corpus c` — 2026-12-03, commit ccc, "
        "load average 1.0, 0.5, 0.2" in ten
    )
    assert "14.0 / 28.0 ms" in hundred and "commit bbb" in hundred
    assert "### 1M" not in text


def test_a_record_without_a_figure_does_not_hide_an_older_one_with_it() -> None:
    old = _search(10_818, 9.0, "2026-12-01T00:00:00Z", "aaa")
    new = _search(10_818, 8.0, "2026-12-02T00:00:00Z", "bbb")
    del new["hit@5"]
    text = tables.render([old, new])
    assert "| hit@5 (gold article in the top 5), optimized (one segment) | 0.950 | [2] |" in text
    assert "commit aaa" in text and "commit bbb" in text


def test_splice_replaces_only_what_is_between_the_markers() -> None:
    document = f"head\n{tables.BEGIN}\nold\n{tables.END}\ntail\n"
    assert (
        tables.splice(document, "new\n") == f"head\n{tables.BEGIN}\n\nnew\n\n{tables.END}\ntail\n"
    )
    with pytest.raises(SystemExit, match="markers"):
        tables.splice("no markers", "new\n")


def test_records_carry_when_which_code_and_which_command(tmp_path: Path) -> None:
    out = tmp_path / "records.jsonl"
    write_result(out, {"benchmark": "search"})
    (record,) = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert record["recorded"].keys() == provenance().keys() == {"date", "commit", "command"}
    assert record["recorded"]["date"].endswith("Z")


def test_docs_performance_is_what_its_records_give() -> None:
    document = tables.DOCUMENT.read_text(encoding="utf-8")
    generated = tables.splice(document, tables.render(tables.read_records(tables.RECORDS)))
    assert generated == document, "python -m bench.tables"


def test_an_index_as_ingested_and_optimized_are_shown_apart() -> None:
    optimized = _search(108_000, 12.0, "2026-12-01T00:00:00Z", "aaa")
    ingested = {**_search(108_000, 15.0, "2026-12-02T00:00:00Z", "bbb"), "segments": 6}
    text = tables.render([optimized, ingested])
    assert "| segments, as ingested | 6 | [1] |" in text
    assert "| segments, optimized (one segment) | 1 | [2] |" in text
    assert "15.0 / 30.0 ms | [1] |" in text and "12.0 / 24.0 ms | [2] |" in text
