"""Configuration of generated answers: AssistantConfig checks, QA_LLM_* settings, the
factories, and follow-up resolution with and without a model."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from qa import GENERATORS, AssistantConfig, make_answerer
from qa.answering import ExtractiveAnswerer, GenerativeAnswerer, make_generator
from qa.answering.llm.openai import OpenAIGenerator
from qa.answering.llm.transformers import TransformersGenerator
from qa.assistant import Assistant, _question
from qa.settings import QASettings


def test_generators() -> None:
    assert GENERATORS == ("extractive", "transformers", "openai")


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"generator": "transformers"}, "needs a model"),
        ({"generator": "openai", "llm_model": "m"}, "needs the server's address"),
        ({"generator": "openai", "llm_model": "m", "llm_base_url": "ftp://x"}, "http://"),
        ({"generator": "extractive", "llm_timeout": 0}, "llm_timeout"),
        ({"generator": "extractive", "llm_max_new_tokens": 0}, "llm_max_new_tokens"),
        ({"generator": "gpt"}, "unknown generator"),
    ],
)
def test_config_is_checked(values: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        AssistantConfig(model="", **values)  # type: ignore[arg-type]


def test_the_api_key_is_not_shown() -> None:
    config = AssistantConfig(
        model="", generator="openai", llm_model="m", llm_base_url="http://x", llm_api_key="sk-1"
    )
    assert "sk-1" not in repr(config)


def test_settings_read_the_llm_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "QA_MODEL": "",
        "QA_GENERATOR": "openai",
        "QA_LLM_MODEL": "qwen2.5:7b",
        "QA_LLM_BASE_URL": "http://localhost:11434/v1",
        "QA_LLM_API_KEY": "sk-env",
        "QA_LLM_TIMEOUT": "12.5",
        "QA_LLM_MAX_NEW_TOKENS": "77",
    }.items():
        monkeypatch.setenv(name, value)
    settings = QASettings(_env_file=None)  # type: ignore[call-arg]
    assert "sk-env" not in repr(settings)
    config = settings.assistant_config()
    assert (config.generator, config.llm_model) == ("openai", "qwen2.5:7b")
    assert config.llm_base_url == "http://localhost:11434/v1"
    assert (config.llm_api_key, config.llm_timeout, config.llm_max_new_tokens) == (
        "sk-env",
        12.5,
        77,
    )
    generator = make_generator(config)
    assert isinstance(generator, OpenAIGenerator)
    assert generator.url == "http://localhost:11434/v1/chat/completions"
    assert (generator.timeout, generator.max_new_tokens) == (12.5, 77)


def test_factories(seed_assistant: Assistant) -> None:
    snapshot = seed_assistant.snapshot
    assert make_generator(AssistantConfig(model="")) is None
    assert isinstance(make_answerer(AssistantConfig(model=""), snapshot), ExtractiveAnswerer)
    config = AssistantConfig(
        model="", generator="transformers", llm_model="some/model", device="cpu", answer_passages=2
    )
    answerer = make_answerer(config, snapshot)
    assert isinstance(answerer, GenerativeAnswerer)
    assert isinstance(answerer.generator, TransformersGenerator)
    assert isinstance(answerer.fallback, ExtractiveAnswerer)
    assert answerer.name == "transformers:some/model" and answerer.answer_passages == 2
    # Nothing is loaded until it is used.
    assert answerer.generator._loaded is None


def test_the_assistant_keeps_one_model_across_index_updates(seed_assistant: Assistant) -> None:
    config = AssistantConfig(model="", generator="transformers", llm_model="some/model")
    assistant = Assistant(seed_assistant.snapshot, config)
    before = assistant._state.answerer
    assistant.remove_documents([seed_assistant.documents[0].id])
    after = assistant._state.answerer
    assert isinstance(before, GenerativeAnswerer) and isinstance(after, GenerativeAnswerer)
    assert after is not before and after.generator is before.generator


class Rewriter:
    def __init__(self, answer: str | None) -> None:
        self.answer = answer
        self.calls: list[tuple[str, Sequence[tuple[str, str]]]] = []

    def rewrite_follow_up(self, question: str, history: Sequence[tuple[str, str]]) -> str | None:
        self.calls.append((question, history))
        return self.answer


EARLIER = "长三角国资百企联盟创新子联盟由哪些企业牵头组建?"


def test_follow_ups_use_the_model_then_the_rules() -> None:
    history = [(EARLIER, "由浙江省能源集团等4家企业牵头组建 [1]")]
    model = Rewriter("创新子联盟的首批成员有多少家?")
    q = _question("它的首批成员有多少家?", history, model)
    assert q.query == "创新子联盟的首批成员有多少家?" and model.calls
    assert q.focus == "首批成员有多少家"  # the rules still give what to match
    ruled = _question("它的首批成员有多少家?", history, Rewriter(None))
    assert ruled.query == "长三角国资百企联盟创新子联盟的首批成员有多少家?"
    alone = Rewriter("unused")
    assert _question("白马湖实验室在哪?", [], alone).query == "白马湖实验室在哪?"
    assert not alone.calls  # no history, no rewriting
