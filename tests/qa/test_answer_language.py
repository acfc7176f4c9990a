"""Messages in the asker's language: an abstention (and the abstention that quotes what
the sources say) is in English for an English question, in traditional characters for a
traditional one and in simplified for a simplified one, from the extractive reader and
from the fallback of generated answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from corpus.progress import Progress
from qa import Assistant, AssistantConfig
from qa.answering import make_answerer
from qa.answering.llm.base import Prompt
from qa.answering.messages import ABSTAIN_TEXTS, RELATED_TEXTS, question_language
from qa.types import Question

ENGLISH = "Who invented the telephone?"
SIMPLIFIED = "谁发明了电话?"
TRADITIONAL = "誰發明了電話?"


@pytest.mark.parametrize(
    ("question", "language"),
    [
        (ENGLISH, "en"),
        ("Who founded the Baima Lake Laboratory?", "en"),
        ("Who founded 白马湖实验室?", "en"),  # an English sentence around a Chinese name
        ("What is 长三角国资百企联盟创新子联盟?", "en"),
        ("“When did 白马湖实验室 open?”", "en"),
        ("COVID-19?", "en"),
        (SIMPLIFIED, "zh-Hans"),
        ("白马湖实验室是哪家企业牵头共建的?", "zh-Hans"),
        ("OpenAI的CEO是谁?", "zh-Hans"),  # a Chinese question naming something in Latin
        ("GDP总量是多少?", "zh-Hans"),
        ("《This is us》的导演是谁?", "zh-Hans"),  # a title is a name
        (TRADITIONAL, "zh-Hant"),
        ("長三角國資百企聯盟創新子聯盟由哪些企業牽頭組建?", "zh-Hant"),
        ("2024?", "zh-Hans"),  # no letters of either kind: the default
    ],
)
def test_the_language_of_a_question(question: str, language: str) -> None:
    assert question_language(question) == language


@pytest.mark.parametrize(
    ("question", "language"),
    [(ENGLISH, "en"), (SIMPLIFIED, "zh-Hans"), (TRADITIONAL, "zh-Hant")],
)
def test_an_abstention_is_in_the_askers_language(
    seed_assistant: Assistant, question: str, language: str
) -> None:
    answer = seed_assistant.ask(question)
    assert answer.abstained
    assert answer.text == ABSTAIN_TEXTS[language]  # type: ignore[index]


@pytest.mark.parametrize(
    ("question", "language", "quoted"),
    [
        ("Where was 第五届长三角地区国资国企联席会议 held?", "en", "第六届"),
        ("第五届长三角地区国资国企联席会议在哪里召开?", "zh-Hans", "第六届"),
        ("第五屆長三角地區國資國企聯席會議在哪裡召開?", "zh-Hant", "第六屆"),
    ],
)
def test_an_abstention_quoting_the_sources_is_in_the_askers_language(
    seed_assistant: Assistant, question: str, language: str, quoted: str
) -> None:
    answer = seed_assistant.ask(question)  # the corpus has the sixth meeting
    assert answer.abstained
    assert answer.text.startswith(RELATED_TEXTS[language])  # type: ignore[index]
    assert quoted in answer.text and answer.text.endswith("[1]") and answer.citations


class _Unsupported:
    """A language model whose answers no source supports."""

    name = "fake:unsupported"

    def warm_up(self, progress: Progress | None = None) -> None:
        del progress

    def generate(self, prompt: Prompt, **options: Any) -> str:
        return "".join(self.stream(prompt))

    def stream(self, prompt: Prompt, **options: Any) -> Iterator[str]:
        del prompt, options
        yield "The moon is made of green cheese [1]."


@pytest.mark.parametrize(
    ("question", "language"),
    [(ENGLISH, "en"), (SIMPLIFIED, "zh-Hans"), (TRADITIONAL, "zh-Hant")],
)
def test_the_fallback_of_a_generated_answer_abstains_in_the_askers_language(
    seed_assistant: Assistant, question: str, language: str
) -> None:
    config = AssistantConfig(model="", generator="openai", llm_model="m", llm_base_url="http://x")
    answerer = make_answerer(config, seed_assistant.snapshot, generator=_Unsupported())
    for passages in ((), seed_assistant.search("白马湖实验室", k=3)):
        draft = answerer.answer(Question(question), passages)
        assert draft.abstained and draft.fallback
        assert draft.text == ABSTAIN_TEXTS[language]  # type: ignore[index]
