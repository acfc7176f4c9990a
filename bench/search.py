"""Search and ask latency over an index, with raw bm25s on the same tokens as the floor.

Usage::

    python -m bench.search --corpus bench-data/100k [--index DIR] [--floor] [--out FILE]

Asks every question of the corpus's set and reports p50/p95 of wall and CPU time for
``Assistant.search`` (fold, tokenize, BM25 over every segment, fusion, passages with their
documents), ``Assistant.ask`` (the same plus the extractive answer) and the BM25 retriever
alone (``BM25Index.search_tokens``, k=50). The warm-up loads the reader and runs the BM25
retriever over every question (the index's pages and the scores of frequent terms are
then in memory, as in a process that has served for a while), but asks nothing: each
question is then asked once **cold** (``ask_cold``: its passages new to the sentence
caches, the common case in real use) and, after its ``search``, again **warm** (``ask``). With
``--floor``, the index's postings (one segment: run ``qa index optimize`` first) become
a bm25s score matrix, bit for bit what ``bm25s.BM25(method="lucene").index`` builds over
the same tokens (tests/embeddings/test_sparse.py checks the equality), memory-mapped, and
the floor is bm25s's ``get_scores_from_ids`` plus a top-k selection on the same token
ids; the ratio is the median over questions of ours / floor. hit@5: the gold article is
among the top 5 passages.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import machine, mib, percentiles, questions, write_result


def _floor(snapshot: Any, workdir: Path) -> Any:
    """A bm25s BM25 whose score matrix is built from the snapshot's single segment."""
    import bm25s

    from embeddings.sparse import bm25_tfc

    (state,) = snapshot.states
    postings = state.segment.postings
    if state.deleted.size:
        raise SystemExit("the index has deleted documents: run qa index optimize first")
    bm25 = snapshot.bm25
    n = bm25.size
    df = np.diff(np.asarray(postings.indptr))
    idf = np.array(
        [math.log(1 + (n - d + 0.5) / (d + 0.5)) for d in df.tolist()], dtype=np.float32
    ).astype(np.float64)
    pairs = np.asarray(postings.pairs)
    tfc = bm25_tfc(pairs[:, 0], pairs[:, 1], bm25.average_length, 1.2, 0.75)
    total = int(postings.rows.shape[0])
    data = np.lib.format.open_memmap(
        workdir / "data.npy", mode="w+", dtype=np.float32, shape=(total,)
    )
    term = 0
    block = 20_000_000
    indptr = np.asarray(postings.indptr)
    for lo in range(0, total, block):
        hi = min(total, lo + block)
        first = int(np.searchsorted(indptr, lo, side="right")) - 1
        last = int(np.searchsorted(indptr, hi, side="left"))
        counts = np.diff(np.clip(indptr[first : last + 1], lo, hi))
        per = np.repeat(idf[first:last], counts)
        data[lo:hi] = (per * tfc[np.asarray(postings.codes[lo:hi])]).astype(np.float32)
        term = last
    del term
    data.flush()
    retriever = bm25s.BM25(k1=1.2, b=0.75, method="lucene", backend="numpy")
    retriever.scores = {
        "data": np.load(workdir / "data.npy", mmap_mode="r"),
        "indices": np.asarray(postings.rows),
        "indptr": indptr,
        "num_docs": n,
    }
    retriever.vocab_dict = {}
    retriever.nonoccurrence_array = None
    return retriever


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--index", type=Path, default=None, help="default CORPUS/index")
    parser.add_argument("--floor", action="store_true", help="measure raw bm25s too")
    parser.add_argument("--label", default="")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    import psutil

    from embeddings.terms import term_keys
    from qa import Assistant, AssistantConfig

    index = args.index or args.corpus / "index"
    qs = questions(args.corpus)
    t = time.perf_counter()
    assistant = Assistant.load(index, AssistantConfig(model=""))
    load_s = time.perf_counter() - t
    snapshot = assistant.snapshot
    bm25 = snapshot.bm25
    texts = [q["question"] for q in qs]
    tokens = [bm25.tokenize(q) for q in texts]
    floor = None
    workdir = Path(tempfile.mkdtemp(prefix="bench-floor-"))
    if args.floor:
        floor = _floor(snapshot, workdir)
        postings = snapshot.states[0].segment.postings
        ids = []
        for toks in tokens:
            found = postings.find(term_keys(toks)) if toks else np.empty(0, np.int64)
            ids.append(found[found >= 0].astype(np.int32))
        for i, toks in enumerate(tokens[:20]):  # the floor scores as we do
            ours = bm25.search_tokens(toks, 10)
            if ids[i].size and ours.size:
                scores = np.asarray(floor.get_scores_from_ids(ids[i]))
                np.testing.assert_allclose(scores[ours.indices], ours.scores, rtol=1e-6)
    assistant.warm_up()
    for toks in tokens:  # warm-up: the page cache and frequent terms' scores, no answers
        bm25.search_tokens(toks, 50)
        if floor is not None:
            floor.get_scores_from_ids(ids[0])
    names = ("ask_cold", "ask_cold_cpu", "search", "search_cpu", "ask", "ask_cpu", "bm25")
    rows: dict[str, list[float]] = {k: [] for k in (*names, "floor")}
    hits = 0
    for i, (q, toks) in enumerate(zip(texts, tokens, strict=True)):
        w, c = time.perf_counter(), time.process_time()
        assistant.ask(q)
        rows["ask_cold_cpu"].append((time.process_time() - c) * 1000)
        rows["ask_cold"].append((time.perf_counter() - w) * 1000)
        w, c = time.perf_counter(), time.process_time()
        passages = assistant.search(q, k=5)
        rows["search_cpu"].append((time.process_time() - c) * 1000)
        rows["search"].append((time.perf_counter() - w) * 1000)
        gold = set(qs[i]["doc_ids"])
        hits += any(p.document.id in gold for p in passages)
        w, c = time.perf_counter(), time.process_time()
        assistant.ask(q)
        rows["ask_cpu"].append((time.process_time() - c) * 1000)
        rows["ask"].append((time.perf_counter() - w) * 1000)
        w = time.perf_counter()
        bm25.search_tokens(toks, 50)
        rows["bm25"].append((time.perf_counter() - w) * 1000)
        if floor is not None:
            w = time.perf_counter()
            if ids[i].size:
                scores = floor.get_scores_from_ids(ids[i])
                top = np.argpartition(scores, -50)[-50:]
                top[np.argsort(-scores[top])]
            rows["floor"].append((time.perf_counter() - w) * 1000)
    result: dict[str, Any] = {
        "benchmark": "search",
        "label": args.label,
        "corpus": str(args.corpus),
        "index": str(index),
        "machine": machine(),
        "chunks": snapshot.size,
        "segments": len(snapshot.states),
        "load_s": round(load_s, 3),
        "questions": len(qs),
        "hit@5": round(hits / len(qs), 3),
        "rss_mib": mib(psutil.Process().memory_info().rss),
    }
    for name, values in rows.items():
        if values:
            result[name + "_ms"] = percentiles(values)
    if rows["floor"]:
        ratio = [a / b for a, b in zip(rows["search"], rows["floor"], strict=True) if b > 0]
        result["search_over_floor_median"] = round(float(np.median(ratio)), 3)
        ratio = [a / b for a, b in zip(rows["bm25"], rows["floor"], strict=True) if b > 0]
        result["bm25_over_floor_median"] = round(float(np.median(ratio)), 3)
    write_result(args.out, result)
    import shutil

    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
