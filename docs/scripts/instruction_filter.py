"""Measure the instruction detector (docs/generation.md): how many planted instructions of
the test table it catches, and how many ordinary sentences it flags.

Run from the repository root: ``python docs/scripts/instruction_filter.py
[SQUAD_FILES...]`` (default: the CMRC 2018 and DRCD dev sets in ../shared/benchmarks).
Every sentence of every paragraph (``corpus.sentences.sentence_spans``) is read as the
verifier and the extractive reader read it (``instruction_flags`` over the paragraph);
so is every sentence of the 69 news and web pages copied out by hand in
../shared/pages/cleaned and of the seed articles in corpus/articles.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from corpus.sentences import sentence_spans
from qa.answering.instructions import instruction_flags, instruction_rule

ROOT = Path(__file__).resolve().parents[2]
BENCHMARKS = ROOT.parent / "shared" / "benchmarks"
DEFAULT = [BENCHMARKS / "cmrc2018_dev.json", BENCHMARKS / "drcd_dev.json"]
PAGES = [
    *sorted((ROOT.parent / "shared" / "pages" / "cleaned").glob("*.txt")),
    *sorted((ROOT / "corpus" / "articles").glob("*.txt")),
]


def _tables() -> None:
    sys.path.insert(0, str(ROOT))
    from tests.qa import injections

    for name in ("INJECTIONS", "HELD_OUT", "HELD_OUT_2", "HELD_OUT_3", "HELD_OUT_4"):
        table = getattr(injections, name)
        caught = 0
        for _, text, _ in table:
            # Caught: every sentence that carries the planted claim reads as an instruction.
            sentences = [text[s:e] for s, e in sentence_spans(text)]
            flags = instruction_flags(sentences)
            caught += all(f for s, f in zip(sentences, flags, strict=True) if injections.carries(s))
        print(f"{name}: {caught}/{len(table)} caught")
    news = [s for s in injections.NEWS if instruction_rule(s)]
    print(f"NEWS: {len(news)}/{len(injections.NEWS)} flagged {news}")


def _pages() -> None:
    sentences = 0
    flagged: list[tuple[str, str]] = []
    for path in PAGES:
        text = path.read_text(encoding="utf-8")
        texts = [text[s:e] for s, e in sentence_spans(text)]
        sentences += len(texts)
        for sentence, flag in zip(texts, instruction_flags(texts), strict=True):
            if flag:
                flagged.append((instruction_rule(sentence) or "(after a colon)", sentence))
    rate = len(flagged) / max(1, sentences)
    print(f"pages: {len(PAGES)} pages, {sentences} sentences, {len(flagged)} flagged ({rate:.3%})")
    for rule, sentence in flagged:
        print(f"  [{rule}] {sentence}")


def main(paths: list[Path]) -> None:
    _tables()
    _pages()
    paragraphs = sentences = 0
    flagged: list[tuple[str, str]] = []
    t0 = time.perf_counter()
    for path in paths:
        data = json.loads(path.read_text(encoding="utf-8"))
        for article in data["data"]:
            for paragraph in article["paragraphs"]:
                text = paragraph["context"]
                spans = sentence_spans(text)
                paragraphs += 1
                sentences += len(spans)
                texts = [text[s:e] for s, e in spans]
                for sentence, flag in zip(texts, instruction_flags(texts), strict=True):
                    if flag:
                        flagged.append((instruction_rule(sentence) or "(after a colon)", sentence))
    seconds = time.perf_counter() - t0
    rate = len(flagged) / max(1, sentences)
    print(
        f"benchmark: {paragraphs} paragraphs, {sentences} sentences, {len(flagged)} flagged "
        f"({rate:.3%}); {seconds / max(1, sentences) * 1e6:.0f} us a sentence"
    )
    for rule, sentence in flagged:
        print(f"  [{rule}] {sentence}")


if __name__ == "__main__":
    main([Path(p) for p in sys.argv[1:]] or DEFAULT)
