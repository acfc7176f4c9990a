"""Measure page ingestion on the fixture pages: what survives, metadata, sidebar answers,
copies, and the time taken by bad input.

Compares the whole-page loader of before (every visible line, ``html_to_text``) with
main-content extraction (``load_documents``). Run from the repository root:

    python docs/scripts/html_pages.py            # figures of docs/ingestion.md
    python docs/scripts/html_pages.py --bad      # and the bad-input timings
    python docs/scripts/html_pages.py --dedupe   # copy thresholds, on the benchmarks

``--dedupe`` reads cmrc2018_dev.json and drcd_dev.json from the folder it is given, else
from $QA_BENCHMARKS_DIR, else from ../shared/benchmarks beside the checkout (where the
tests find them).

The fixture pages are rendered by tests/corpus/fixtures/newspages.py.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from corpus import Document, document_from_text, load_documents  # noqa: E402
from corpus.encoding import decode_bytes  # noqa: E402
from corpus.html import html_to_text  # noqa: E402
from corpus.normalize import normalize_for_matching  # noqa: E402
from qa import Assistant, AssistantConfig  # noqa: E402
from tests.corpus.fixtures.newspages import (  # noqa: E402
    PAGES,
    SIDEBAR_QUESTIONS,
    Expected,
    load_expected,
)


def _norm(text: str) -> str:
    return re.sub(r"\s+", "", normalize_for_matching(text))


def _lines(doc: Document) -> list[str]:
    return [line for line in doc.text.split("\n") if line.strip()]


def _before(exp: Expected) -> Document:
    """What the loader of before made of a page: every visible line."""
    text = decode_bytes((PAGES / exp.file).read_bytes(), exp.file)
    title, body = html_to_text(text)
    return document_from_text(body, source=str(PAGES / exp.file), title=title)


def _text_figures(docs: dict[str, Document], expected: list[Expected]) -> dict[str, float]:
    lines = noise = short = found = paragraphs = 0
    for exp in expected:
        doc = docs.get(exp.file)
        if doc is None:
            paragraphs += len(exp.paragraphs)
            continue
        gold = _norm("".join(exp.paragraphs))
        for line in _lines(doc):
            lines += 1
            if _norm(line) not in gold:
                noise += 1
                short += len(line.strip()) <= 6
        text = _norm(doc.text)
        found += sum(_norm(p) in text for p in exp.paragraphs)
        paragraphs += len(exp.paragraphs)
    return {
        "lines": lines,
        "noise_lines": noise,
        "noise_share": noise / lines if lines else 0.0,
        "short_noise_share": short / lines if lines else 0.0,
        "paragraph_recall": found / paragraphs if paragraphs else 0.0,
    }


def _metadata_figures(docs: dict[str, Document], expected: list[Expected]) -> dict[str, str]:
    fields = {
        "title": lambda d: d.title,
        "published": lambda d: d.published,
        "author": lambda d: d.reporter,
        "outlet": lambda d: d.outlet,
        "url": lambda d: d.url,
        "site_name": lambda d: d.get_meta("site_name"),
    }
    out = {}
    for name, get in fields.items():
        right = sum(get(docs[e.file]) == getattr(e, name) for e in expected if e.file in docs)
        stated = sum(1 for e in expected if getattr(e, name))
        invented = sum(
            1 for e in expected if e.file in docs and get(docs[e.file]) and not getattr(e, name)
        )
        out[name] = f"{right}/{len(expected)} right ({stated} stated, {invented} invented)"
    return out


def _answered(assistant: Assistant) -> int:
    answered = 0
    for question, fact in SIDEBAR_QUESTIONS:
        answer = assistant.ask(question)
        quoted = _norm(answer.text + "".join(c.quote for c in answer.citations))
        answered += (not answer.abstained) and _norm(fact) in quoted
    return answered


def measure() -> None:
    expected = load_expected()
    articles = [e for e in expected if e.kind == "article"]
    config = AssistantConfig(model="")

    before = {e.file: _before(e) for e in expected}
    t0 = time.perf_counter()
    result = load_documents([PAGES])
    seconds = time.perf_counter() - t0
    after = {Path(d.source).relative_to(PAGES).as_posix(): d for d in result.documents}

    print(
        f"pages: {len(expected)} ({len(articles)} articles, {len(expected) - len(articles)} lists)"
    )
    print(f"load_documents over the fixture pages: {seconds:.2f} s")
    for label, docs in (("before (whole page)", before), ("after (main content)", after)):
        figures = _text_figures(docs, articles)
        print(
            f"{label}: {figures['lines']} lines of article pages, {figures['noise_lines']} not "
            f"article text ({figures['noise_share']:.0%}; {figures['short_noise_share']:.0%} of "
            f"all lines are such lines of 6 characters or fewer), paragraph recall "
            f"{figures['paragraph_recall']:.0%}"
        )
    lists_before = sum(1 for e in expected if e.kind == "list" and _lines(before[e.file]))
    lists_after = sum(1 for e in expected if e.kind == "list" and e.file in after)
    print(f"list pages ingested: before {lists_before}, after {lists_after}")
    for label, docs in (("before", before), ("after", after)):
        print(f"metadata {label}:")
        for name, value in _metadata_figures(docs, articles).items():
            print(f"  {name:10s} {value}")

    old = Assistant.from_documents(list(before.values()), config)
    new = Assistant.from_documents(result.documents, config)
    n = len(SIDEBAR_QUESTIONS)
    print(
        f"sidebar/comment questions answered with the sidebar's fact: before "
        f"{_answered(old)}/{n}, after {_answered(new)}/{n}"
    )
    merged = sum(len(d.alternates) for d in new.documents)
    print(
        f"copies: {len(result.documents)} article documents loaded, {len(new.documents)} "
        f"indexed, {merged} merged as alternates"
    )
    slowest = max(result.pages, key=lambda p: p.seconds)
    typical = sorted(p.seconds for p in result.pages)[len(result.pages) // 2]
    print(
        f"per page: median {typical * 1000:.0f} ms, slowest {slowest.seconds * 1000:.0f} ms "
        f"({Path(slowest.source).name})"
    )


def bad_input() -> None:
    """Time each bad input through load_documents (the whole path: read, decode, parse,
    extract)."""
    from tests.corpus.test_html import ARTICLE, page
    from tests.corpus.test_warc import write_crawl

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = {
            "malformed.html": page(
                body=f"<div><p>{ARTICLE}<p>{ARTICLE}<span><b>{ARTICLE}</div></div></div><p class=>"
            ).encode(),
            "deep-nesting.html": page(body="<div>" * 100_000 + ARTICLE).encode(),
            "10mb-text.html": page(body=f"<p>{ARTICLE}</p>" * 50_000).encode(),
            "10mb-script.html": page(
                head="<script>var s='" + "x" * 10_000_000 + "';</script>"
            ).encode(),
            "at-element-limit.html": page(body="<div><span>长</span></div>" * 14_900).encode(),
            "over-element-limit.html": page(body="<div><span>长</span></div>" * 15_100).encode(),
            "undeclared-gbk.html": page().replace("<meta charset='utf-8'>", "").encode("gbk"),
            "binary.html": b"\x89PNG\r\n\x1a\n\x00\x00" * 100_000,
        }
        for name, data in cases.items():
            path = folder / name
            path.write_bytes(data)
            start = time.perf_counter()
            result = load_documents([path])
            took = time.perf_counter() - start
            outcome = (
                f"article ({len(result.documents[0].text)} chars)"
                if result.documents
                else f"skipped: {result.skipped[0].code}"
            )
            print(f"{name:24s} {len(data) / 1e6:6.2f} MB  {took:6.2f} s  {outcome}")
        crawl = folder / "crawl.warc"
        write_crawl(crawl, gz=False)
        data = crawl.read_bytes()
        cut = folder / "cut.warc"
        cut.write_bytes(data[: data.index("蒙古汗國".encode("gbk")) + 40])
        for path in (folder / "crawl.warc", cut):
            start = time.perf_counter()
            result = load_documents([path])
            took = time.perf_counter() - start
            codes = sorted(s.code for s in result.skipped)
            print(
                f"{path.name:24s} {path.stat().st_size / 1e6:6.2f} MB  {took:6.2f} s  "
                f"{len(result.documents)} articles, skipped {codes}"
            )


def fragments() -> None:
    """Bare article fragments (the fixture articles as ``<h1>`` plus ``<p>``s, with a list
    in the middle): paragraphs kept by trafilatura alone and by the fragment path."""
    from lxml.html import document_fromstring

    from corpus.html import extract_page
    from corpus.html.extract import extract_main_text

    kept = {"trafilatura": 0, "fragment path": 0}
    total = 0
    for exp in load_expected():
        if exp.kind != "article":
            continue
        middle = len(exp.paragraphs) // 2
        points = [f"第{i}点：{p[:40]}" for i, p in enumerate(exp.paragraphs[:2])]
        items = "".join(f"<li>{p}</li>" for p in points)
        fragment = (
            f"<h1>{exp.title}</h1>"
            + "".join(f"<p>{p}</p>" for p in exp.paragraphs[:middle])
            + f"<ul>{items}</ul>"
            + "".join(f"<p>{p}</p>" for p in exp.paragraphs[middle:])
        )
        wanted = [*exp.paragraphs, *points]
        total += len(wanted)
        main = extract_main_text(document_fromstring(fragment))
        alone = _norm(main.text) if main is not None else ""
        ours = _norm(extract_page(fragment).text)
        kept["trafilatura"] += sum(_norm(w) in alone for w in wanted)
        kept["fragment path"] += sum(_norm(w) in ours for w in wanted)
    print(
        "bare fragments (11 articles, paragraphs and list items kept): "
        + ", ".join(f"{k} {v}/{total}" for k, v in kept.items())
    )


def search_cost(benchmarks: Path | None) -> None:
    """Time of a search (k=10) with and without the copy check: over the seed index
    (warm), and over the pooled CMRC/DRCD paragraphs (400 questions, each chunk new)."""
    import json
    import random

    from eval.questions import load_squad_questions
    from qa import Searcher, make_retrievers

    seed = ROOT / "eval" / "questions" / "seed.jsonl"
    runs = [
        (
            "seed index, warm",
            Assistant.from_paths([ROOT / "corpus" / "articles"], AssistantConfig(model="")),
            [json.loads(line)["question"] for line in seed.read_text("utf-8").splitlines()] * 10,
        )
    ]
    if benchmarks is not None:
        files = [benchmarks / "cmrc2018_dev.json", benchmarks / "drcd_dev.json"]
        docs, questions = load_squad_questions(files)
        config = AssistantConfig(model="", duplicate_threshold=0)
        sample = random.Random(1).sample([q.question for q in questions], 400)
        runs.append(("CMRC+DRCD pool, cold", Assistant.from_documents(docs, config), sample))
    for label, assistant, asked in runs:
        snap = assistant.snapshot
        times = []
        for threshold in (0.0, 0.8):
            searcher = Searcher(snap, make_retrievers(snap, None), duplicate_threshold=threshold)
            searcher.search(asked[0], 10)
            start = time.perf_counter()
            for q in asked:
                searcher.search(q, 10)
            times.append((time.perf_counter() - start) / len(asked) * 1000)
        print(
            f"search k=10, {label}: {times[0]:.3f} ms without the copy check, "
            f"{times[1]:.3f} ms with it"
        )


def dedupe(benchmarks: Path) -> None:
    """Containment of the copies among the fixture pages, and the largest containment
    between two different paragraphs of the CMRC 2018 and DRCD dev sets."""
    import itertools
    import json
    from collections import Counter

    from corpus.dedupe import DuplicateIndex, containment, shingles

    expected = {e.file: e for e in load_expected() if e.kind == "article"}
    docs = load_documents([PAGES]).documents
    grams = {Path(d.source).relative_to(PAGES).as_posix(): shingles(d.text) for d in docs}
    same, other = [], []
    for a, b in itertools.combinations(grams, 2):
        value = containment(grams[a], grams[b])
        jaccard = len(grams[a] & grams[b]) / len(grams[a] | grams[b])
        pair = (value, jaccard, Path(a).name, Path(b).name)
        (same if expected[a].story == expected[b].story else other).append(pair)
    other.sort(reverse=True)
    print(
        f"fixture pages: copies of one story: containment {min(same)[0]:.2f}-{max(same)[0]:.2f}"
        f", Jaccard {min(p[1] for p in same):.2f}-{max(p[1] for p in same):.2f} "
        f"({len(same)} pairs); different stories ({len(other)} pairs), highest:"
    )
    for value, jaccard, a, b in other[:3]:
        print(f"  {a} / {b}: containment {value:.2f}, Jaccard {jaccard:.2f}")
    paragraphs = []
    for name in ("cmrc2018_dev.json", "drcd_dev.json"):
        data = json.loads((benchmarks / name).read_text(encoding="utf-8"))
        for article in data["data"]:
            paragraphs += [p["context"] for p in article["paragraphs"]]
    sets = [shingles(p) for p in paragraphs]
    postings: dict[str, list[int]] = {}
    for i, s in enumerate(sets):
        for g in s:
            postings.setdefault(g, []).append(i)
    best = [0.0] * len(sets)
    for i, s in enumerate(sets):
        shared = Counter(k for g in s for k in postings[g] if k != i)
        for k, n in shared.most_common(3):
            best[i] = max(best[i], n / min(len(s), len(sets[k])))
    above = sum(b >= 0.8 for b in best)
    print(
        f"benchmark paragraphs: {len(sets)}; largest containment between two different "
        f"paragraphs {max(best):.2f}; paragraphs with a partner at >= 0.8: {above}"
    )
    start = time.perf_counter()
    index = DuplicateIndex()
    merged = 0
    for i, text in enumerate(paragraphs):
        doc = document_from_text(text, source=f"p{i}", clean=False)
        merged += index.find(doc) is not None
        index.add(doc)
    took = time.perf_counter() - start
    print(
        f"DuplicateIndex over them: {took:.1f} s ({took / len(sets) * 1000:.1f} ms per "
        f"paragraph, find and add), {merged} merged"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bad", action="store_true", help="also time the bad inputs")
    parser.add_argument(
        "--dedupe",
        type=Path,
        nargs="?",
        const=Path(os.environ.get("QA_BENCHMARKS_DIR") or ROOT.parent / "shared" / "benchmarks"),
        metavar="DIR",
        help="folder of cmrc2018_dev.json and drcd_dev.json (default: $QA_BENCHMARKS_DIR, "
        "else ../shared/benchmarks beside the checkout)",
    )
    args = parser.parse_args()
    measure()
    fragments()
    search_cost(args.dedupe)
    if args.bad:
        bad_input()
    if args.dedupe:
        dedupe(args.dedupe)
