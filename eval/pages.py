"""Page extraction measured against hand-made ground truth.

A folder in the layout of ``shared/pages`` (``original/ID.html``, the page's bytes;
``cleaned/ID.txt``, the article's text as a person copied it; ``date/ID.txt``, the
publication time as stated, ``UNKNOWN`` where the page states none; ``author/ID.txt``,
the author(s), space-separated, ``UNKNOWN`` where none is stated) is read, each page is
extracted by the project (the same code as ``qa ingest``) and, in the same run, by
trafilatura, GNE and htmldate where they are installed, and each system is scored:

* **content**: bag-of-characters precision, recall and F1 of the extracted text
  against the hand copy, whitespace and punctuation removed (the usual measure for
  main-content extraction: formatting differs from any extractor's). A skipped page
  scores 0. For the project, the headline line that starts a document's text is left
  out of the comparison (the hand copies leave the header out).
* **dates**: right (the same day, or the same year and month where the truth states no
  more), wrong, or missing; a date given where the truth is ``UNKNOWN`` is wrong. A
  wrong date is worse than none.
* **authors**: right where the set of names equals the truth's (names split at spaces
  and list separators); a name given where the truth is ``UNKNOWN`` is wrong.

An empty truth file means "not annotated": that field of that page is not scored.

The pages are split once, by a hash of their id, into a **dev** part (about 11/16 of
them) that rules may be written against and a **test** part that is only ever reported
as a whole (:func:`split_of`).
"""

from __future__ import annotations

import hashlib
import re
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "PageTruth",
    "Prediction",
    "SystemScore",
    "author_verdict",
    "bag_scores",
    "date_verdict",
    "load_truth",
    "parse_truth_date",
    "score_system",
    "split_of",
    "split_scores",
    "systems_available",
]

_UNKNOWN = frozenset({"UNKNOWN", "UNKNWON", ""})  # one truth file spells it UNKNWON
_NOT_ANNOTATED = "\x00"
_TRUTH_DATE = re.compile(r"^\s*(\d{4})(?:\s*[-/.年]\s*(\d{1,2}))?(?:\s*[-/.月]\s*(\d{1,2}))?")
_NAME_SPLIT = re.compile(r"[\s、，,;；/／|｜]+")


@dataclass(frozen=True, slots=True)
class PageTruth:
    """One page and what a person copied out of it."""

    id: str
    html: bytes
    text: str
    date: tuple[int, ...] | None  # (year,), (year, month) or (year, month, day); () unknown
    authors: frozenset[str] | None  # empty: the page names none; None: not annotated

    @property
    def split(self) -> str:
        """``dev`` or ``test`` (see :func:`split_of`)."""
        return split_of(self.id)


def split_of(page_id: str) -> str:
    """The part a page belongs to: ``dev`` where the last hex digit of the sha1 of its id
    is 0-a (about 11 of 16 pages), else ``test``."""
    return "dev" if hashlib.sha1(page_id.encode()).hexdigest()[-1] in "0123456789a" else "test"


@dataclass(frozen=True, slots=True)
class Prediction:
    """What one system made of one page ("" where it gave nothing)."""

    text: str = ""
    date: str = ""
    author: str = ""
    skipped: str = ""  # why the page gave no article ("" where it gave one)
    seconds: float = 0.0


def parse_truth_date(value: str) -> tuple[int, ...]:
    """``2005-5-7 21:23:57`` -> ``(2005, 5, 7)``; ``1998-3`` -> ``(1998, 3)``; ``UNKNOWN``
    -> ``()``."""
    value = value.strip()
    if value.upper() in _UNKNOWN:
        return ()
    m = _TRUTH_DATE.match(value)
    if not m:
        return ()
    return tuple(int(g) for g in m.groups() if g)


def _names(value: str) -> frozenset[str]:
    value = value.strip()
    if value.upper() in _UNKNOWN:
        return frozenset()
    return frozenset(n for n in _NAME_SPLIT.split(value) if n)


def load_truth(folder: Path) -> list[PageTruth]:
    """The pages of a folder in the layout of ``shared/pages``.

    Raises:
        FileNotFoundError: where the folder has no ``original/`` pages.
    """
    originals = sorted((folder / "original").glob("*.html"))
    if not originals:
        raise FileNotFoundError(
            f"{folder}: no original/*.html pages; give a folder in the layout of "
            "shared/pages (original/, cleaned/, date/, author/)"
        )
    pages = []
    for path in originals:
        stem = path.stem

        def read(kind: str, stem: str = stem) -> str:
            f = folder / kind / f"{stem}.txt"
            text = f.read_text(encoding="utf-8-sig").strip() if f.exists() else ""
            return text or _NOT_ANNOTATED

        date, author = read("date"), read("author")
        pages.append(
            PageTruth(
                id=stem,
                html=path.read_bytes(),
                text=read("cleaned").strip("\x00"),
                date=None if date == _NOT_ANNOTATED else parse_truth_date(date),
                authors=None if author == _NOT_ANNOTATED else _names(author),
            )
        )
    return pages


def _bag(text: str) -> Counter[str]:
    return Counter(
        ch
        for ch in unicodedata.normalize("NFKC", text)
        if not ch.isspace() and unicodedata.category(ch)[0] not in "PSZC"
    )


def bag_scores(predicted: str, truth: str) -> tuple[float, float, float]:
    """Bag-of-characters precision, recall and F1 (whitespace, punctuation and symbols
    removed, NFKC-normalised)."""
    p, t = _bag(predicted), _bag(truth)
    common = sum((p & t).values())
    if not common:
        return 0.0, 0.0, 0.0
    precision = common / sum(p.values())
    recall = common / sum(t.values())
    return precision, recall, 2 * precision * recall / (precision + recall)


def date_verdict(predicted: str, truth: tuple[int, ...] | None) -> str:
    """``right``, ``wrong``, ``missing`` (the truth states one, nothing predicted),
    ``none`` (neither states one) or ``n/a`` (not annotated)."""
    if truth is None:
        return "n/a"
    got = parse_truth_date(predicted) if predicted else ()
    if not truth:
        return "wrong" if got else "none"
    if not got:
        return "missing"
    n = len(truth)
    return "right" if got[:n] == truth and len(got) >= n else "wrong"


def author_verdict(predicted: str, truth: frozenset[str] | None) -> str:
    """``right``, ``wrong``, ``missing``, ``none`` or ``n/a``, as :func:`date_verdict`."""
    if truth is None:
        return "n/a"
    got = _names(predicted)
    if not truth:
        return "wrong" if got else "none"
    if not got:
        return "missing"
    return "right" if got == truth else "wrong"


@dataclass(frozen=True, slots=True)
class SystemScore:
    """One system's scores over a folder of pages."""

    system: str
    pages: int
    precision: float
    recall: float
    f1: float
    skipped: int
    dates: dict[str, int] = field(default_factory=dict)
    authors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    per_page: tuple[dict[str, object], ...] = ()
    measures: tuple[str, ...] = ("content", "date", "author")

    def as_dict(self) -> dict[str, object]:
        """Plain-dict form (JSON-serialisable)."""
        return {
            "system": self.system,
            "pages": self.pages,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "skipped": self.skipped,
            "dates": self.dates,
            "authors": self.authors,
            "seconds": round(self.seconds, 3),
            "measures": list(self.measures),
            "per_page": list(self.per_page),
        }


def score_system(
    name: str,
    pages: Sequence[PageTruth],
    predictions: Sequence[Prediction],
    measures: tuple[str, ...] = ("content", "date", "author"),
) -> SystemScore:
    """Score one system's predictions (in the order of ``pages``)."""
    rows: list[dict[str, object]] = []
    ps, rs, fs = [], [], []
    dates: Counter[str] = Counter()
    authors: Counter[str] = Counter()
    for page, pred in zip(pages, predictions, strict=True):
        p, r, f = bag_scores(pred.text, page.text) if not pred.skipped else (0.0, 0.0, 0.0)
        ps.append(p)
        rs.append(r)
        fs.append(f)
        d = date_verdict(pred.date, page.date)
        a = author_verdict(pred.author, page.authors)
        dates[d] += 1
        authors[a] += 1
        rows.append(
            {
                "id": page.id,
                "f1": round(f, 4),
                "precision": round(p, 4),
                "recall": round(r, 4),
                "skipped": pred.skipped,
                "date": pred.date,
                "split": page.split,
                "date_truth": "n/a"
                if page.date is None
                else "-".join(map(str, page.date)) or "UNKNOWN",
                "date_verdict": d,
                "author": pred.author,
                "author_truth": "n/a"
                if page.authors is None
                else " ".join(sorted(page.authors)) or "UNKNOWN",
                "author_verdict": a,
            }
        )
    n = len(pages) or 1
    return SystemScore(
        system=name,
        pages=len(pages),
        precision=sum(ps) / n,
        recall=sum(rs) / n,
        f1=sum(fs) / n,
        skipped=sum(1 for pred in predictions if pred.skipped),
        dates=dict(dates),
        authors=dict(authors),
        seconds=sum(pred.seconds for pred in predictions),
        per_page=tuple(rows),
        measures=measures,
    )


# --- the systems ---------------------------------------------------------------------


def _project(page: PageTruth) -> Prediction:
    from qa import load_page

    start = time.perf_counter()
    result = load_page(page.html, source=f"{page.id}.html")
    seconds = time.perf_counter() - start
    if not result.documents:
        reason = result.skipped[0].code if result.skipped else "skipped"
        return Prediction(skipped=reason, seconds=seconds)
    doc = result.documents[0]
    body = doc.text
    if doc.title and body.startswith(doc.title):
        body = body[len(doc.title) :]  # the headline line: the hand copies leave it out
    return Prediction(text=body, date=doc.published, author=doc.reporter, seconds=seconds)


def _decoded(page: PageTruth) -> str:
    from qa import decode_page

    return decode_page(page.html, page.id)


def _trafilatura(page: PageTruth) -> Prediction:
    import trafilatura

    html = _decoded(page)
    start = time.perf_counter()
    text = trafilatura.extract(html) or ""
    return Prediction(
        text=text, skipped="" if text else "no text", seconds=time.perf_counter() - start
    )


def _gne(page: PageTruth) -> Prediction:
    from gne import GeneralNewsExtractor

    html = _decoded(page)
    start = time.perf_counter()
    try:
        result = GeneralNewsExtractor().extract(html)
    except Exception as exc:  # noqa: BLE001 - a comparator's failure is a skipped page
        return Prediction(skipped=f"error: {exc}", seconds=time.perf_counter() - start)
    text = str(result.get("content") or "")
    return Prediction(
        text=text,
        date=str(result.get("publish_time") or ""),
        author=str(result.get("author") or ""),
        skipped="" if text else "no text",
        seconds=time.perf_counter() - start,
    )


def _htmldate(page: PageTruth) -> Prediction:
    from htmldate import find_date

    html = _decoded(page)
    start = time.perf_counter()
    try:
        found = find_date(html) or ""
    except Exception:  # noqa: BLE001 - a comparator's failure is a missing date
        found = ""
    return Prediction(date=found, seconds=time.perf_counter() - start)


_SYSTEMS: dict[str, tuple[str, Callable[[PageTruth], Prediction], tuple[str, ...]]] = {
    "project": ("corpus", _project, ("content", "date", "author")),
    "trafilatura": ("trafilatura", _trafilatura, ("content",)),
    "gne": ("gne", _gne, ("content", "date", "author")),
    "htmldate": ("htmldate", _htmldate, ("date",)),
}


def systems_available(wanted: Iterable[str] = _SYSTEMS) -> list[str]:
    """The systems of ``wanted`` whose package is installed, in order."""
    import importlib.util

    out = []
    for name in wanted:
        if name not in _SYSTEMS:
            raise ValueError(f"unknown system {name!r}; choose from {', '.join(_SYSTEMS)}")
        if importlib.util.find_spec(_SYSTEMS[name][0]) is not None:
            out.append(name)
    return out


def run_system(
    name: str,
    pages: Sequence[PageTruth],
    tick: Callable[[], None] | None = None,
) -> SystemScore:
    """Extract every page with one system and score it."""
    _, extract, measures = _SYSTEMS[name]
    predictions = []
    for page in pages:
        predictions.append(extract(page))
        if tick is not None:
            tick()
    return score_system(name, pages, predictions, measures)


def _verdicts(score: SystemScore, field: str) -> tuple[int, int, int, int, int]:
    """Right, wrong and missing over the pages whose truth states the field, how many
    those are, and how many pages got a value where the truth is UNKNOWN."""
    rows = score.per_page
    stated = [r for r in rows if r[f"{field}_truth"] not in ("UNKNOWN", "n/a")]
    right = sum(1 for r in stated if r[f"{field}_verdict"] == "right")
    wrong = sum(1 for r in stated if r[f"{field}_verdict"] == "wrong")
    missing = sum(1 for r in stated if r[f"{field}_verdict"] == "missing")
    invented = sum(
        1 for r in rows if r[f"{field}_truth"] == "UNKNOWN" and r[f"{field}_verdict"] == "wrong"
    )
    return right, wrong, missing, len(stated), invented


def split_scores(
    scores: Sequence[SystemScore], pages: Sequence[PageTruth]
) -> dict[str, list[SystemScore]]:
    """Each system's scores over the dev and the test part apart (:func:`split_of`)."""
    out: dict[str, list[SystemScore]] = {}
    for part in ("dev", "test"):
        idx = [i for i, page in enumerate(pages) if page.split == part]
        if not idx:
            continue
        n = len(idx)
        for s in scores:
            rows = tuple(s.per_page[i] for i in idx)

            def mean(key: str, rows: tuple[dict[str, object], ...] = rows) -> float:
                return sum(float(str(r[key])) for r in rows) / len(rows)

            out.setdefault(part, []).append(
                SystemScore(
                    system=s.system,
                    pages=n,
                    precision=mean("precision"),
                    recall=mean("recall"),
                    f1=mean("f1"),
                    skipped=sum(1 for r in rows if r["skipped"]),
                    dates=dict(Counter(str(r["date_verdict"]) for r in rows)),
                    authors=dict(Counter(str(r["author_verdict"]) for r in rows)),
                    seconds=s.seconds * n / (s.pages or 1),
                    per_page=rows,
                    measures=s.measures,
                )
            )
    return out


def format_table(scores: Sequence[SystemScore]) -> str:
    """A Markdown table of the scores (a dash where a system does not measure a field)."""
    lines = [
        "| system | content P | content R | content F1 | pages skipped "
        "| dates right / wrong / missing | dates where UNKNOWN "
        "| authors right / wrong / missing | authors where UNKNOWN | s/page |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for s in scores:
        content = "content" in s.measures
        cells = [
            s.system,
            f"{s.precision:.3f}" if content else "–",
            f"{s.recall:.3f}" if content else "–",
            f"**{s.f1:.3f}**" if content else "–",
            str(s.skipped) if content else "–",
        ]
        for measure in ("date", "author"):
            if measure in s.measures:
                right, wrong, missing, stated, invented = _verdicts(s, measure)
                cells += [f"**{right}** / {wrong} / {missing} of {stated}", str(invented)]
            else:
                cells += ["–", "–"]
        cells.append(f"{s.seconds / (s.pages or 1):.3f}")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
