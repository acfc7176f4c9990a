"""The transformers backend on tiny random causal language models built here: plain
prompts and chat templates, greedy generation whole or streamed, stopping, the GGUF
tokenizer cache, and the answerer's fallback when nothing it writes holds up."""

from __future__ import annotations

import logging
import re
import threading
from pathlib import Path
from typing import Any

import pytest

from qa import AnswerDelta, Assistant, AssistantConfig, ModelUnavailableError, Question
from qa.answering.llm.base import GenerationStats, Message, Prompt
from qa.answering.llm.prompt import answer_prompt
from qa.answering.llm.transformers import TransformersGenerator, gguf_tokenizer_dir

from .conftest import SEED_CONSORTIUM

SEED = "长三角国资百企联盟创新子联盟由哪些企业牵头组建?"
CHAT_TEMPLATE = (
    "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
NO_SYSTEM_TEMPLATE = (
    "{% for m in messages %}{% if m['role'] == 'system' %}"
    "{{ raise_exception('System role not supported') }}{% endif %}"
    "<|{{ m['role'] }}|>{{ m['content'] }}\n{% endfor %}"
    "{% if add_generation_prompt %}<|assistant|>{% endif %}"
)
DEVICES = ["cpu"]


def _cuda() -> bool:
    import torch

    return bool(torch.cuda.is_available())


if _cuda():  # pragma: no cover - only on machines with a GPU
    DEVICES.append("cuda")


def build_model(root: Path, texts: list[str], template: str | None) -> Path:
    """A 2-layer Llama with a byte-level BPE tokenizer trained on ``texts``, saved."""
    import torch
    from tokenizers import ByteLevelBPETokenizer
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    bpe = ByteLevelBPETokenizer()
    specials = ["<pad>", "<s>", "</s>", "<|system|>", "<|user|>", "<|assistant|>"]
    bpe.train_from_iterator(texts, vocab_size=600, special_tokens=specials, show_progress=False)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=bpe, bos_token="<s>", eos_token="</s>", pad_token="<pad>"
    )
    if template is not None:
        tokenizer.chat_template = template
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=2,
        max_position_embeddings=8192,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    LlamaForCausalLM(config).save_pretrained(str(root))
    tokenizer.save_pretrained(str(root))
    return root


@pytest.fixture(scope="module")
def texts(seed_assistant: Assistant) -> list[str]:
    return [d.text for d in seed_assistant.documents] + ["问题：回答：资料：示例 [1] [2] [3]"]


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory, texts: list[str]) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("tiny-llm")
    return {
        name: build_model(root / name, texts, template)
        for name, template in (
            ("base", None),
            ("chat", CHAT_TEMPLATE),
            ("nosystem", NO_SYSTEM_TEMPLATE),
        )
    }


PROMPT = Prompt(
    (Message("system", "只根据资料回答。"), Message("user", "资料：长三角。问题：谁牵头?")),
    cue="回答：",
    stop=("\n",),
    example="示例：回答：甲 [1]。",
)


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("kind", ["base", "chat", "nosystem"])
def test_greedy_generation_is_the_same_whole_or_streamed(
    models: dict[str, Path], kind: str, device: str
) -> None:
    generator = TransformersGenerator(str(models[kind]), device=device, max_new_tokens=12)
    whole = generator.generate(PROMPT)
    pieces = list(generator.stream(PROMPT))
    assert "".join(pieces) == whole
    assert generator.generate(PROMPT) == whole  # greedy: the same again
    assert generator.name == f"transformers:{kind}"


def test_generation_logs_its_token_rate(
    models: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    generator = TransformersGenerator(str(models["chat"]), max_new_tokens=5)
    with caplog.at_level(logging.INFO, logger="qa.answering.llm.transformers"):
        generator.generate(PROMPT)
    lines = [r.getMessage() for r in caplog.records if "tokens/s" in r.getMessage()]
    assert len(lines) == 1
    match = re.search(r"(\d+) prompt tokens, (\d+) new tokens in", lines[0])
    assert match is not None and int(match[1]) > 0 and 0 < int(match[2]) <= 5


def test_whole_and_streamed_generations_report_tokens_and_times(
    models: dict[str, Path], caplog: pytest.LogCaptureFixture
) -> None:
    generator = TransformersGenerator(str(models["chat"]), max_new_tokens=5)
    got: list[GenerationStats] = []
    with caplog.at_level(logging.INFO, logger="qa.answering.llm.transformers"):
        generator.generate(PROMPT, on_stats=got.append)
        list(generator.stream(PROMPT, on_stats=got.append))
    whole, streamed = got
    loaded = generator._loaded
    assert loaded is not None
    prompt_tokens = generator._inputs(loaded, PROMPT)["input_ids"].shape[1]
    for stats in (whole, streamed):  # greedy: the same tokens either way
        assert stats.generator == "transformers:chat"
        assert stats.prompt_tokens == prompt_tokens
        assert stats.new_tokens == whole.new_tokens and 0 < stats.new_tokens <= 5
        assert stats.first_token_seconds is not None
        assert 0 < stats.first_token_seconds <= stats.seconds
        assert stats.tokens_per_second == pytest.approx(stats.new_tokens / stats.seconds)
    lines = [r.getMessage() for r in caplog.records if "tokens/s" in r.getMessage()]
    assert len(lines) == 2, "the streamed generation is logged too"
    assert all(", first token after " in line for line in lines)


def test_chat_templates_and_plain_prompts(models: dict[str, Path]) -> None:
    chat = TransformersGenerator(str(models["chat"]))
    chat.warm_up()
    loaded = chat._loaded
    assert loaded is not None and loaded.chat
    text = loaded.tokenizer.decode(chat._inputs(loaded, PROMPT)["input_ids"][0])
    assert text.startswith("<|system|>只根据资料回答。") and text.endswith("<|assistant|>")
    assert "示例" not in text  # the worked example is for base models

    folded = TransformersGenerator(str(models["nosystem"]))
    folded.warm_up()
    assert folded._loaded is not None
    text = folded._loaded.tokenizer.decode(folded._inputs(folded._loaded, PROMPT)["input_ids"][0])
    assert "<|system|>" not in text and text.startswith("<|user|>只根据资料回答。\n\n资料")

    base = TransformersGenerator(str(models["base"]))
    base.warm_up()
    assert base._loaded is not None and not base._loaded.chat
    ids = base._inputs(base._loaded, PROMPT)["input_ids"][0]
    assert base._loaded.tokenizer.decode(ids, skip_special_tokens=True) == PROMPT.plain()


def test_closing_a_stream_stops_the_model(models: dict[str, Path]) -> None:
    generator = TransformersGenerator(str(models["chat"]), max_new_tokens=400)
    got: list[GenerationStats] = []
    stream = generator.stream(PROMPT, on_stats=got.append)
    next(iter(stream), None)
    stream.close()  # cancels generation and releases the model
    (stats,) = got  # what it generated before it stopped
    assert stats.new_tokens is not None and 0 < stats.new_tokens < 400
    done = threading.Event()

    def again() -> None:
        generator.generate(PROMPT)
        done.set()

    threading.Thread(target=again, daemon=True).start()
    assert done.wait(60), "the model is still held by the closed stream"


def test_the_answerer_verifies_or_falls_back(
    models: dict[str, Path], seed_assistant: Assistant
) -> None:
    config = AssistantConfig(
        model="", generator="transformers", llm_model=str(models["base"]), llm_max_new_tokens=16
    )
    assistant = Assistant(seed_assistant.snapshot, config)
    answer = assistant.ask(SEED)
    events = list(assistant.ask_stream(SEED))
    streamed = events[-1]
    deltas = [e.text for e in events[:-1] if isinstance(e, AnswerDelta)]
    assert "".join(deltas) == streamed.text == answer.text
    assert streamed.citations == answer.citations
    # Random weights write nothing the passages support: the extractive answer stands in.
    if answer.fallback:
        assert answer.generator == "extractive"
        assert answer.fallback.startswith("transformers:base: ")
        assert answer.text == seed_assistant.ask(SEED).text
    else:
        assert answer.generator == "transformers:base"
        for c in answer.citations:
            doc = assistant.get_document(c.doc_id)
            assert doc is not None and doc.text[c.start : c.end] == c.quote


def test_the_answer_prompt_fits_the_tiny_model(
    models: dict[str, Path], seed_assistant: Assistant
) -> None:
    passages = seed_assistant.search(SEED, k=3)
    prompt = answer_prompt(Question(SEED), passages)
    generator = TransformersGenerator(str(models["base"]), max_new_tokens=4)
    assert isinstance(generator.generate(prompt), str)
    assert passages[0].document.source.endswith(SEED_CONSORTIUM)


def test_a_missing_model_is_a_clear_error(tmp_path: Path) -> None:
    generator = TransformersGenerator(str(tmp_path / "nothing-here"), local_files_only=True)
    with pytest.raises(ModelUnavailableError, match="cannot load the language model"):
        generator.warm_up()
    with pytest.raises(ModelUnavailableError, match="no GGUF file at"):
        TransformersGenerator(str(tmp_path / "model.gguf")).warm_up()


def test_gguf_needs_its_packages(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF")
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "gguf" else real(name, *a)
    )
    with pytest.raises(ModelUnavailableError, match=r'pip install "zhnews-qa\[llm\]"'):
        TransformersGenerator(str(path)).warm_up()


def test_the_converted_gguf_tokenizer_is_cached_beside_the_file(
    tmp_path: Path,
    models: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import transformers

    path = tmp_path / "model.gguf"
    path.write_bytes(b"GGUF")
    real = transformers.AutoTokenizer.from_pretrained
    conversions: list[str] = []

    def from_pretrained(source: str, **kwargs: Any) -> Any:
        if "gguf_file" in kwargs:  # stands in for the slow conversion
            conversions.append(kwargs["gguf_file"])
            return real(str(models["base"]))
        return real(source, **kwargs)

    monkeypatch.setattr(transformers.AutoTokenizer, "from_pretrained", from_pretrained)
    messages: list[tuple[str, int, int]] = []

    def progress(stage: str, done: int, total: int) -> None:
        messages.append((stage, done, total))

    generator = TransformersGenerator(str(path))
    with caplog.at_level(logging.INFO, logger="qa.answering.llm.transformers"):
        first = generator._gguf_tokenizer(path, progress)
        second = generator._gguf_tokenizer(path, progress)
    cache = gguf_tokenizer_dir(path)
    # -v says which happened: converted (once), then read from the cache.
    logged = [r.getMessage() for r in caplog.records]
    assert logged == [
        f"Converting the tokenizer of model.gguf (once; cached in {cache})",
        f"Reading the converted tokenizer of model.gguf from {cache}",
    ]
    assert conversions == ["model.gguf"]
    assert cache.parent == tmp_path and cache.name.startswith("model.gguf.tokenizer-")
    assert (cache / "tokenizer_config.json").is_file()
    assert first.get_vocab() == second.get_vocab()
    stage = messages[0][0]
    assert "Converting the tokenizer of model.gguf" in stage and str(cache) in stage
    assert [(d, t) for _, d, t in messages] == [(0, 1), (1, 1)]
    path.write_bytes(b"GGUF2")  # a replaced file converts again
    assert gguf_tokenizer_dir(path) != cache
