"""Rewrite a reader model file in the current format (qa/answering/extractive/model.py).

    python scripts/upgrade_reader_model.py [FILE ...]   # default: the shipped model

A format 2 file holds the three models as LightGBM text only; format 3 adds their trees
as arrays, so that loading parses no text (the reader's start-up: about 30 ms less). The
models, tables, calibration and threshold are kept as they are: the file is read and
written back, and the script checks that every prediction is the same on a sample of rows
before it replaces the file.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

from qa.answering.extractive.model import DEFAULT_MODEL_FILE, MODEL_FORMAT, ReaderModel
from qa.answering.extractive.trees import TreeEnsemble

SHIPPED = Path(__file__).resolve().parents[1] / "qa" / "answering" / "extractive"


def upgrade(path: Path) -> None:
    """Rewrite ``path`` in the current format, after checking the trees predict the same.

    Raises:
        SystemExit: when the rewritten file would predict otherwise.
    """
    model = ReaderModel.load(path)
    text = model.to_json()
    again = ReaderModel.from_json(text, str(path))
    rng = np.random.default_rng(0)
    for part in ("sentence", "span", "confidence"):
        source = getattr(model, f"{part}_model")
        if not source:
            continue
        parsed = TreeEnsemble.from_lightgbm_text(source)
        compiled = again._trees(part)
        rows = rng.normal(size=(2000, parsed.num_features)).astype(np.float32)
        rows[rng.random(rows.shape) < 0.3] = 0.0
        if not np.array_equal(parsed.predict(rows), compiled.predict(rows)):
            raise SystemExit(f"{path}: the compiled {part} trees predict otherwise; not written")
    path.write_text(text, encoding="utf-8")
    print(f"{path}: format {MODEL_FORMAT}, {len(text):,} bytes")


def main() -> None:
    paths = [Path(p) for p in sys.argv[1:]] or [SHIPPED / DEFAULT_MODEL_FILE]
    for path in paths:
        upgrade(path)


if __name__ == "__main__":
    main()
