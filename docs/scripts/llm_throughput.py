"""Measure a language model's token rate and time to first token on the seed questions
(docs/generation.md, "Throughput and its conditions"), with the conditions beside them.

Run from the repository root: ``python docs/scripts/llm_throughput.py MODEL [N]``, MODEL a
``.gguf`` file, a local folder or a hub name for the ``transformers`` backend, N the number
of seed questions (default 12). The model loads first (not timed with the answers); each
answer is then streamed as the chat page streams it, and its
:class:`~qa.types.GenerationStats` printed, with the load average of the moment: the
conditions (cores, torch's threads, load) are printed first, because the figures mean
nothing without them. ``OMP_NUM_THREADS`` sets torch's threads; ``QA_DEVICE`` is not read
here (CPU).
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from pathlib import Path

import torch

from qa import Assistant, AssistantConfig
from qa.types import Answer, GenerationStats

ROOT = Path(__file__).resolve().parents[2]


def main(model: str, count: int) -> None:
    lines = (ROOT / "eval" / "questions" / "seed.jsonl").read_text(encoding="utf-8").splitlines()
    questions = [json.loads(line)["question"] for line in lines if line.strip()][:count]
    config = AssistantConfig(model="", generator="transformers", llm_model=model)
    assistant = Assistant.from_paths([ROOT / "corpus" / "articles"], config)
    start = time.perf_counter()
    assistant.warm_up()
    print(f"model loaded in {time.perf_counter() - start:.1f} s")
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, torch "
        f"{torch.__version__} with {torch.get_num_threads()} threads, load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    measured: list[GenerationStats] = []
    for question in questions:
        for event in assistant.ask_stream(question):
            if isinstance(event, Answer) and event.generation is not None:
                measured.append(event.generation)
                load = os.getloadavg()[0]
                print(f"{event.generation.describe()} (load average {load:.1f})")
    if not measured:
        return
    new = sum(s.new_tokens or 0 for s in measured)
    seconds = sum(s.seconds for s in measured)
    firsts = sorted(s.first_token_seconds or 0.0 for s in measured)
    decoding = sum(s.seconds - (s.first_token_seconds or 0.0) for s in measured)
    prompt = sum(s.prompt_tokens or 0 for s in measured) / len(measured)
    print(
        f"{len(measured)} answers: {prompt:.0f} prompt tokens and "
        f"{new / len(measured):.1f} new tokens on average, "
        f"{new / seconds:.2f} new tokens/s (prompt processing included), decoding alone "
        f"{(new - len(measured)) / decoding:.2f} tokens/s, first token after "
        f"{firsts[len(firsts) // 2]:.1f} s (median; {firsts[0]:.1f} to {firsts[-1]:.1f} s)"
    )


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 12)
