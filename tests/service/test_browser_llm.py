"""The chat page with a language model behind the service: the streamed answer shows
only sentences that verification kept, with working citations."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from qa import Assistant, AssistantConfig
from tests.qa.chat_server import ChatServer

from .conftest import SEED_QUESTION, LiveServer
from .test_browser import browser  # noqa: F401 - the fixture

pytestmark = [pytest.mark.slow, pytest.mark.browser]

REPLY = "创新子联盟由浙江省能源集团等4家企业牵头组建[1]。联盟总部设在南京市鼓楼区[1]。"


def test_the_page_streams_verified_sentences(
    browser: Any,  # noqa: F811
    live_server: Callable[..., LiveServer],
    shared_assistant: Assistant,
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    with ChatServer(lambda body: REPLY) as model:
        config = AssistantConfig(
            model="", generator="openai", llm_model="test-model", llm_base_url=model.url
        )
        assistant = Assistant(shared_assistant.snapshot, config)
        with live_server(assistant) as server:
            browser.get(server.url + "/")
            box = browser.find_element(By.ID, "question")
            box.send_keys(SEED_QUESTION)
            browser.find_element(By.ID, "send").click()
            WebDriverWait(browser, 30).until(
                lambda d: d.find_elements(By.CSS_SELECTOR, "li.assistant[data-done='true']")
            )
            answer = browser.find_elements(By.CSS_SELECTOR, "#conversation li.assistant")[-1]
            assert answer.text == "创新子联盟由浙江省能源集团等4家企业牵头组建 [1]。"
            assert "南京" not in answer.text
            assert answer.get_attribute("data-generator") == "openai:test-model"
            answer.find_element(By.CSS_SELECTOR, "button.cite").click()
            # The quote opens in a card inside its own answer.
            card = WebDriverWait(browser, 10).until(
                lambda d: answer.find_element(By.CSS_SELECTOR, ".source")
            )
            quote = card.find_element(By.CSS_SELECTOR, ".quote")
            WebDriverWait(browser, 10).until(lambda d: quote.is_displayed())
            assert quote.text.endswith("牽頭組建。")
        assert model.requests and model.requests[-1]["stream"] is True
