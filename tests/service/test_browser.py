"""The chat page in a real headless browser (Debian's chromium through chromedriver)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from qa import Assistant

from .conftest import FOLLOW_UP, SEED_QUESTION, LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"


@pytest.fixture
def browser() -> Iterator[object]:
    webdriver = pytest.importorskip("selenium.webdriver")
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        pytest.skip("needs chromium and chromedriver: apt-get install chromium chromium-driver")
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="qa-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        f"--user-data-dir={profile}",
        "--window-size=1200,900",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def test_chat_page_streams_answers_and_opens_citations(
    browser: object, live_server: Callable[..., LiveServer], fresh_assistant: Assistant
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    assert isinstance(driver, WebDriver)
    hostile = "<img src=x onerror=\"document.body.dataset.pwned='1'\">"
    with live_server(fresh_assistant, stream_delay_ms=20) as server:
        driver.get(server.url + "/")
        assert "新闻问答" in driver.title
        wait = WebDriverWait(driver, 30)

        def ask(question: str) -> object:
            box = driver.find_element(By.ID, "question")
            box.clear()
            box.send_keys(question)
            driver.find_element(By.ID, "send").click()
            count = len(driver.find_elements(By.CSS_SELECTOR, "#conversation li.assistant"))
            wait.until(
                lambda d: (
                    len(d.find_elements(By.CSS_SELECTOR, "li.assistant[data-done='true']")) >= count
                )
            )
            return driver.find_elements(By.CSS_SELECTOR, "#conversation li.assistant")[-1]

        answer = ask(SEED_QUESTION)
        assert "4家企业牵头组建" in answer.text  # type: ignore[attr-defined]
        # The answer came in as several streamed deltas.
        assert int(answer.get_attribute("data-chunks")) > 3  # type: ignore[attr-defined]
        user = driver.find_elements(By.CSS_SELECTOR, "#conversation li.user")[-1]
        assert user.text == SEED_QUESTION

        # Click the citation marker: the quoted source passage with title, outlet, date.
        marker = answer.find_element(By.CSS_SELECTOR, "button.cite")  # type: ignore[attr-defined]
        assert marker.text == "[1]"
        marker.click()
        panel = driver.find_element(By.ID, "source")
        wait.until(lambda d: panel.is_displayed())
        assert "牽頭組建" in driver.find_element(By.ID, "source-quote").text
        assert "中新網" in driver.find_element(By.ID, "source-meta").text
        assert driver.find_element(By.ID, "source-title").text

        # The conversation is kept: a follow-up is answered about the same alliance.
        follow = ask(FOLLOW_UP)
        assert "20家国企成为首批成员单位" in follow.text  # type: ignore[attr-defined]

        # User text is shown as text, never run as HTML.
        ask(hostile)
        shown = driver.find_elements(By.CSS_SELECTOR, "#conversation li.user")[-1]
        assert shown.text == hostile
        assert not driver.find_elements(By.CSS_SELECTOR, "#conversation img")
        assert driver.execute_script("return document.body.dataset.pwned") is None
