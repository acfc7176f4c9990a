"""Token counts and times of generated answers (issue 32, item 7), with a fake model whose
tokens come at known times: the meter's figures, the answerer's Draft, the log line."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

import pytest

from qa import Assistant, Question
from qa.answering import GenerativeAnswerer
from qa.answering.llm.base import GenerationMeter, Prompt, StatsSink
from qa.types import Draft, GenerationStats, Passage

SEED = "长三角国资百企联盟创新子联盟由哪些企业牵头组建?"
GOOD = "创新子联盟由浙江省能源集团等4家企业牵头组建[1]。"
logger = logging.getLogger("tests.fake_model")


class Clock:
    """A clock the fake model moves on."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class FakeModel:
    """Reads its prompt (``prefill`` seconds for ``prompt_tokens`` tokens), then writes one
    token (a piece of text) every ``per_token`` seconds."""

    name = "fake:model"

    def __init__(
        self, pieces: Sequence[str], *, prompt_tokens: int = 1200, prefill: float = 2.0
    ) -> None:
        self.pieces = list(pieces)
        self.prompt_tokens = prompt_tokens
        self.prefill = prefill
        self.per_token = 0.5
        self.clock = Clock()

    def warm_up(self, progress: object = None) -> None:
        return None

    def _tokens(self, meter: GenerationMeter) -> Iterator[str]:
        meter.prompt_tokens = self.prompt_tokens
        self.clock.now += self.prefill
        for i, piece in enumerate(self.pieces):
            if i:
                self.clock.now += self.per_token
            meter.token()
            yield piece

    def generate(self, prompt: Prompt, *, on_stats: StatsSink | None = None) -> str:
        meter = GenerationMeter(self.name, clock=self.clock)
        text = "".join(self._tokens(meter))
        meter.report(logger, on_stats)
        return text

    def stream(self, prompt: Prompt, *, on_stats: StatsSink | None = None) -> Iterator[str]:
        meter = GenerationMeter(self.name, clock=self.clock)
        try:
            yield from self._tokens(meter)
        finally:
            meter.report(logger, on_stats)


class Fallback:
    name = "extractive"

    def answer(self, question: Question, passages: Sequence[Passage]) -> Draft:
        return Draft("抽取的答案 [1]。", confidence=0.5, generator="extractive")


def pieces_of(text: str, size: int = 3) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


@pytest.fixture(scope="module")
def passages(seed_assistant: Assistant) -> tuple[Passage, ...]:
    return seed_assistant.search(SEED, k=3)


def test_the_meter_counts_and_times() -> None:
    clock = Clock()
    meter = GenerationMeter("fake:model", clock=clock)
    meter.prompt_tokens = 1305
    clock.now += 3.2
    meter.token()
    clock.now += 5.43
    meter.token(43)
    meter.finish()
    clock.now += 60  # a consumer reading the end late does not count
    stats = meter.stats()
    assert stats == GenerationStats("fake:model", 1305, 44, pytest.approx(8.63), pytest.approx(3.2))
    assert stats.tokens_per_second == pytest.approx(44 / 8.63)
    assert stats.describe() == (
        "1305 prompt tokens, 44 new tokens in 8.63 s (5.1 tokens/s), first token after 3.20 s"
    )
    assert stats.to_dict() == {
        "generator": "fake:model",
        "prompt_tokens": 1305,
        "new_tokens": 44,
        "seconds": 8.63,
        "first_token_seconds": 3.2,
        "tokens_per_second": 5.098,
    }


def test_nothing_generated_has_no_first_token_and_no_rate() -> None:
    clock = Clock()
    meter = GenerationMeter("fake:model", clock=clock)
    clock.now += 1
    stats = meter.stats()
    assert (stats.new_tokens, stats.first_token_seconds, stats.tokens_per_second) == (
        None,
        None,
        None,
    )
    assert (
        stats.describe()
        == "? prompt tokens, ? new tokens in 1.00 s (? tokens/s), first token after ? s"
    )


@pytest.mark.parametrize("streamed", [False, True])
def test_the_answer_carries_the_models_figures(
    passages: tuple[Passage, ...], streamed: bool, caplog: pytest.LogCaptureFixture
) -> None:
    model = FakeModel(pieces_of(GOOD))
    answerer = GenerativeAnswerer(model, Fallback())
    with caplog.at_level(logging.INFO, logger=logger.name):
        if streamed:
            draft = list(answerer.stream(Question(SEED), passages))[-1]
        else:
            draft = answerer.answer(Question(SEED), passages)
    assert isinstance(draft, Draft) and draft.generator == "fake:model"
    tokens = len(pieces_of(GOOD))
    expected = 2.0 + (tokens - 1) * 0.5
    assert draft.generation == GenerationStats(
        "fake:model", 1200, tokens, pytest.approx(expected), pytest.approx(2.0)
    )
    assert draft.generation is not None
    assert draft.generation.tokens_per_second == pytest.approx(tokens / expected)
    (record,) = caplog.records
    assert record.generation == draft.generation.to_dict()  # type: ignore[attr-defined]
    line = record.getMessage()
    assert line == f"fake:model: 1200 prompt tokens, {tokens} new tokens in {expected:.2f} s " + (
        f"({tokens / expected:.1f} tokens/s), first token after 2.00 s"
    )


def test_a_fallback_keeps_the_figures_of_what_was_dropped(passages: tuple[Passage, ...]) -> None:
    model = FakeModel(pieces_of("联盟由江苏省交通集团牵头组建[1]。"))
    draft = GenerativeAnswerer(model, Fallback()).answer(Question(SEED), passages)
    assert draft.generator == "extractive" and draft.fallback
    assert draft.generation is not None and draft.generation.new_tokens == 6


def test_the_assistant_puts_them_on_the_answer(seed_assistant: Assistant) -> None:
    answer = seed_assistant.ask(SEED)
    assert answer.generation is None  # the extractive reader uses no model
    assert answer.to_dict()["generation"] is None
