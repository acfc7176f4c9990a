"""Time the cleaning pipeline and the Markdown reader on hostile articles (docs/reliability.md).

Run from the repository root: ``python docs/scripts/hostile_cleaning.py``.
"""

from __future__ import annotations

import time

from corpus.cleaning import clean_article
from corpus.markdown import markdown_to_text

PIECES = ["?", "?a", "?!", "*a ", "**a ", "_a ", "__a ", "#", "[", "[a](", "![a](", "`",
          " ", "(完)", "…"]  # fmt: skip


def main() -> None:
    clean_article("長(zhǎng)")  # load pypinyin once
    print(f"{'piece':8s} {'chars':>8s} {'clean s':>8s} {'markdown s':>10s}")
    for piece in PIECES:
        for n in (10_000, 40_000, 200_000):
            raw = "中文" + piece * (n // len(piece)) + "x"
            t0 = time.perf_counter()
            clean_article(raw)
            t1 = time.perf_counter()
            markdown_to_text("# " + raw)
            t2 = time.perf_counter()
            print(f"{piece!r:8s} {n:8,d} {t1 - t0:8.3f} {t2 - t1:10.3f}")


if __name__ == "__main__":
    main()
