"""Whether two ``qa eval`` runs gave the same answers, passages and scores question by
question (everything but the timings).

Usage::

    python -m bench.same_answers RUN_A RUN_B

``qa eval --compare A B`` compares the metrics; this compares every record of the two
runs' ``questions.jsonl`` (answer text, citations, retrieved passages with their BM25
and fused scores), so an identical result means the retrieval and the answers did not
change at all.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

_TIMINGS = ("latency_ms",)


def _records(run: Path) -> list[dict[str, Any]]:
    path = run / "questions.jsonl" if run.is_dir() else run
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        for key in _TIMINGS:
            record.pop(key, None)
            record.get("metrics", {}).pop(key, None)
        records.append(record)
    return records


def main(argv: list[str] | None = None) -> None:
    args = argv if argv is not None else sys.argv[1:]
    if len(args) != 2:
        raise SystemExit("usage: python -m bench.same_answers RUN_A RUN_B")
    a, b = (_records(Path(x)) for x in args)
    differing = [x["id"] for x, y in zip(a, b, strict=False) if x != y]
    print(
        json.dumps(
            {"questions": len(a), "other_questions": len(b), "differing": len(differing)},
            ensure_ascii=False,
        )
    )
    for qid in differing[:10]:
        print(f"  differs: {qid}")
    raise SystemExit(1 if differing or len(a) != len(b) else 0)


if __name__ == "__main__":
    main()
