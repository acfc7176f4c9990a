"""Ingest and update costs: a whole corpus, 100 articles more, one deleted, and what a
fresh process needs to answer its first question.

Usage::

    python -m bench.ingest --corpus bench-data/100k [--workers 2] [--out results.jsonl]

Runs, each in a new process (as a user would): ``qa ingest`` of the corpus into a new
index (wall time, chunks/s, CPU seconds, peak memory of the process tree), ``qa ingest``
of 100 new articles into it, deleting one document through the library, ``qa ask`` of a
question on the fresh index (load to first answer), and a driver that reports the load
time and resident memory after loading and after answering 500 questions.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import sys
from pathlib import Path

from bench.common import (
    dir_bytes,
    env,
    index_chunks,
    machine,
    mib,
    python,
    questions,
    run_sampled,
    write_result,
)
from bench.synth import extra_articles

_DRIVER = r"""
import json, sys, time, resource
t0 = time.perf_counter()
import psutil
from qa import Assistant, AssistantConfig
t_import = time.perf_counter()
directory, mode = sys.argv[1], sys.argv[2]
config = AssistantConfig(model="")
if mode == "delete":
    assistant = Assistant.load(directory, config)
    doc_id = assistant.documents[len(assistant.documents) // 2].id
    t = time.perf_counter()
    assistant.remove_documents([doc_id])
    assistant.save(directory)
    print(json.dumps({"delete_s": time.perf_counter() - t, "deleted": doc_id}))
    sys.exit(0)
questions = [json.loads(l)["question"] for l in open(sys.argv[3], encoding="utf-8")]
me = psutil.Process()
t = time.perf_counter()
assistant = Assistant.load(directory, config)
t_load = time.perf_counter()
assistant.ask(questions[0])
t_first = time.perf_counter()
after_load = me.memory_full_info()
for q in questions:
    assistant.ask(q)
after_all = me.memory_full_info()
print(json.dumps({
    "import_s": t_import - t0,
    "load_s": t_load - t,
    "first_answer_s": t_first - t_load,
    "rss_after_first_answer": after_load.rss,
    "uss_after_first_answer": after_load.uss,
    "rss_after_all_questions": after_all.rss,
    "uss_after_all_questions": after_all.uss,
    "anon_after_all_questions": after_all.rss - after_all.shared,
}))
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--index", type=Path, default=None, help="default CORPUS/index")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--skip-ingest", action="store_true", help="use the existing index")
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args(argv)
    corpus: Path = args.corpus
    index: Path = args.index or corpus / "index"
    qa = [str(Path(sys.executable).parent / "qa")]
    result: dict[str, object] = {"benchmark": "ingest", "corpus": str(corpus), "machine": machine()}
    if not args.skip_ingest:
        shutil.rmtree(index, ignore_errors=True)
        command = [*qa, "ingest", str(corpus / "articles.jsonl"), "--index", str(index)]
        command += ["--model", ""]
        if args.workers is not None:
            command += ["--workers", str(args.workers)]
        proc, wall, sample, cpu = run_sampled(command, env=env())
        if proc.returncode:
            sys.exit(proc.stderr)
        manifest = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
        chunks = manifest["counts"]["chunks"]
        result["ingest"] = {
            "command": "qa " + shlex.join(command[1:]),
            "output": proc.stdout.strip(),
            "wall_s": round(wall, 2),
            "cpu_s": round(cpu, 2),
            "chunks": chunks,
            "documents": manifest["counts"]["documents"],
            "segments": manifest["counts"]["segments"],
            "chunks_per_s": round(chunks / wall),
            "chunks_per_cpu_s": round(chunks / cpu),
            "peak_rss_tree_mib": mib(sample.peak_rss),
            "peak_pss_tree_mib": mib(sample.peak_pss),
            "peak_rss_main_mib": mib(sample.peak_main_rss),
            "index_mib": mib(dir_bytes(index)),
            "load_average_after": machine()["load_average"],
        }
    new = extra_articles(corpus, 100)
    command = [*qa, "ingest", str(new), "--index", str(index), "--model", ""]
    proc, wall, sample, cpu = run_sampled(command, env=env())
    if proc.returncode:
        sys.exit(proc.stderr)
    result["add_100"] = {
        "command": "qa " + shlex.join(command[1:]),
        "output": proc.stdout.strip(),
        "wall_s": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "peak_rss_mib": mib(sample.peak_rss),
    }
    proc, wall, sample, cpu = run_sampled(python("-c", _DRIVER, str(index), "delete"), env=env())
    if proc.returncode:
        sys.exit(proc.stderr)
    result["delete_1"] = {**json.loads(proc.stdout), "process_wall_s": round(wall, 2)}
    qs = questions(corpus)
    command = [*qa, "ask", qs[0]["question"], "--index", str(index), "--model", ""]
    proc, wall, sample, cpu = run_sampled(command, env=env(), interval=0.05)
    if proc.returncode:
        sys.exit(proc.stderr)
    result["first_answer"] = {
        "command": "qa ask QUESTION --index INDEX --model ''",
        "wall_s": round(wall, 2),
        "peak_rss_mib": mib(sample.peak_rss),
    }
    proc, wall, sample, cpu = run_sampled(
        python("-c", _DRIVER, str(index), "serve", str(corpus / "questions.jsonl")), env=env()
    )
    if proc.returncode:
        sys.exit(proc.stderr)
    driver = json.loads(proc.stdout)
    loaded = {
        k: (mib(v) if k.startswith(("rss", "uss", "anon")) else round(v, 3))
        for k, v in driver.items()
    }
    loaded["peak_rss_mib"] = mib(sample.peak_rss)
    result["loaded"] = loaded
    result["index_mib_after"] = mib(dir_bytes(index))
    result["chunks"] = index_chunks(index)
    write_result(args.out, result)


if __name__ == "__main__":
    main()
