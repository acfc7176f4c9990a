"""The chat page and the API docs in a real headless browser (Debian's chromium through
chromedriver), with every host but loopback unresolvable: nothing may come from the
network. Screenshots at desktop and phone widths are saved under the test output folder
(``QA_TEST_OUTPUT``, default ``test-output/``) for people to look at; the tests assert the
layout facts behind them through the DOM."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from qa import Assistant

from .conftest import FOLLOW_UP, SEED_QUESTION, LiveServer

pytestmark = [pytest.mark.slow, pytest.mark.browser]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
ROOT = Path(__file__).resolve().parents[2]
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}


def output_dir() -> Path:
    folder = Path(os.environ.get("QA_TEST_OUTPUT") or ROOT / "test-output") / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _driver(width: int, height: int) -> Iterator[Any]:
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
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        # No network: every host name but the loopback address fails to resolve.
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--user-data-dir={profile}",
        f"--window-size={width},{height}",
    ):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        # The viewport itself at the wanted size (--window-size is the outer window).
        driver.execute_cdp_cmd(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
        )
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture
def browser() -> Iterator[Any]:
    yield from _driver(1200, 900)


def _ask(driver: Any, question: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    box = driver.find_element(By.ID, "question")
    box.clear()
    box.send_keys(question)
    driver.find_element(By.ID, "send").click()
    count = len(driver.find_elements(By.CSS_SELECTOR, "#conversation li.assistant"))
    WebDriverWait(driver, 30).until(
        lambda d: len(d.find_elements(By.CSS_SELECTOR, "li.assistant[data-done='true']")) >= count
    )
    return driver.find_elements(By.CSS_SELECTOR, "#conversation li.assistant")[-1]


def _severe_console_messages(driver: Any) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] == "SEVERE"]


def test_chat_page_streams_answers_and_opens_citations(
    browser: Any, live_server: Callable[..., LiveServer], scripted_assistant: Assistant
) -> None:
    # The scripted answerer (tests/fakes.py): this tests the page, not the reader.
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    hostile = "<img src=x onerror=\"document.body.dataset.pwned='1'\">"
    with live_server(scripted_assistant) as server:
        driver.get(server.url + "/")
        assert "新闻问答" in driver.title
        wait = WebDriverWait(driver, 30)

        answer = _ask(driver, SEED_QUESTION)
        assert "4家企業牽頭組建" in answer.text
        # The answer came in as several streamed deltas (clause by clause).
        assert int(answer.get_attribute("data-chunks")) >= 2
        user = driver.find_elements(By.CSS_SELECTOR, "#conversation li.user")[-1]
        assert user.text == SEED_QUESTION

        # Click the citation marker: the quoted source passage with title, outlet, date,
        # in a card inside this answer.
        marker = answer.find_element(By.CSS_SELECTOR, "button.cite")
        assert marker.text == "[1]"
        marker.click()
        card = wait.until(lambda d: answer.find_element(By.CSS_SELECTOR, ".source"))
        assert card.is_displayed()
        assert "牽頭組建" in card.find_element(By.CSS_SELECTOR, ".quote").text
        assert "中新網" in card.find_element(By.CSS_SELECTOR, ".meta").text
        assert card.find_element(By.CSS_SELECTOR, ".title").text
        marker.click()  # a second click closes it
        assert not answer.find_elements(By.CSS_SELECTOR, ".source")

        # The conversation is kept: a follow-up is answered about the same alliance.
        follow = _ask(driver, FOLLOW_UP)
        assert "20家國企成為首批成員單位" in follow.text

        # User text is shown as text, never run as HTML.
        _ask(driver, hostile)
        shown = driver.find_elements(By.CSS_SELECTOR, "#conversation li.user")[-1]
        assert shown.text == hostile
        assert not driver.find_elements(By.CSS_SELECTOR, "#conversation img")
        assert driver.execute_script("return document.body.dataset.pwned") is None
        assert not _severe_console_messages(driver)


def test_api_docs_render_offline(
    browser: Any, live_server: Callable[..., LiveServer], shared_assistant: Assistant
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser
    with live_server(shared_assistant) as server:
        import httpx

        schema = httpx.get(server.url + "/openapi.json").json()
        operations = sum(len(ops) for ops in schema["paths"].values())
        driver.get(server.url + "/docs")
        WebDriverWait(driver, 30).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, ".opblock")) >= operations
        )
        summaries = {e.text for e in driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
        assert "/v1/ask" in summaries and "/v1/chat/completions" in summaries
        assert "zhnews-qa" in driver.find_element(By.CSS_SELECTOR, ".info .title").text
        # Every resource came from the service itself, and nothing broke the CSP.
        resources = driver.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.name)"
        )
        assert resources and all(r.startswith(server.url) for r in resources), resources
        problems = _severe_console_messages(driver)
        assert not [p for p in problems if "Content Security Policy" in p], problems
        driver.save_screenshot(str(output_dir() / "docs-desktop.png"))


def _cjk_font_installed() -> bool:
    if not shutil.which("fc-list"):
        return False
    out = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True)
    return bool(out.stdout.strip())


@pytest.fixture(params=list(SIZES))
def sized_browser(request: pytest.FixtureRequest) -> Iterator[tuple[str, Any]]:
    """``(size name, driver)`` with the viewport at that size."""
    if not _cjk_font_installed():
        pytest.skip("no CJK font: screenshots would show boxes (apt-get install fonts-noto-cjk)")
    for driver in _driver(*SIZES[request.param]):
        yield request.param, driver


def test_chat_page_layout_screenshots(
    sized_browser: tuple[str, Any],
    live_server: Callable[..., LiveServer],
    fresh_assistant: Assistant,
) -> None:
    from selenium.webdriver.common.by import By

    size, driver = sized_browser
    width, _ = SIZES[size]
    folder = output_dir()
    with live_server(fresh_assistant) as server:
        driver.get(server.url + "/")
        assert driver.execute_script("return window.innerWidth") == width

        def rect(el: Any) -> dict[str, float]:
            return driver.execute_script("return arguments[0].getBoundingClientRect()", el)

        # The hint spans the header's width: wrapped across it, never a narrow column.
        hint = driver.find_element(By.CSS_SELECTOR, ".hint")
        header = driver.find_element(By.TAG_NAME, "header")
        assert rect(hint)["width"] >= 0.8 * rect(header)["width"]
        line = float(
            driver.execute_script(
                "return parseFloat(getComputedStyle(arguments[0]).lineHeight)", hint
            )
        )
        assert rect(hint)["height"] <= 4 * line + 1  # a few lines at most, even at 390 px
        # A CJK font renders the Chinese (not the fallback boxes).
        assert driver.execute_script(
            "return document.fonts.check('16px \"Noto Sans CJK SC\"', '长三角')"
        )
        driver.save_screenshot(str(folder / f"chat-{size}-empty.png"))

        first = _ask(driver, SEED_QUESTION)
        first.find_element(By.CSS_SELECTOR, "button.cite").click()
        first_card = first.find_element(By.CSS_SELECTOR, ".source")
        assert first_card.is_displayed()
        driver.save_screenshot(str(folder / f"chat-{size}-source.png"))

        # Later questions: the earlier card closes; it never drifts below later answers.
        _ask(driver, FOLLOW_UP)
        assert not first.find_elements(By.CSS_SELECTOR, ".source")
        _ask(driver, "長三角三省一市前三季度的GDP總量是多少?")
        second = _ask(driver, "白马湖实验室是哪家企业牵头共建的?")  # now the page scrolls
        scroller = driver.find_element(By.ID, "scroller")
        assert (
            driver.execute_script(
                "return arguments[0].scrollHeight > arguments[0].clientHeight", scroller
            )
            or size == "desktop"
        )
        second.find_element(By.CSS_SELECTOR, "button.cite").click()
        card = second.find_element(By.CSS_SELECTOR, ".source")
        cards = driver.find_elements(By.CSS_SELECTOR, ".source")
        assert cards == [card]
        answer_box, card_box = rect(second), rect(card)
        # Inside its own answer, under the answer text ...
        assert answer_box["top"] <= card_box["top"]
        assert card_box["bottom"] <= answer_box["bottom"]
        text_box = rect(second.find_element(By.CSS_SELECTOR, ".answer"))
        assert card_box["top"] >= text_box["bottom"] - 1
        # ... in full view, above the question box, not behind it.
        form_box = rect(driver.find_element(By.ID, "ask"))
        assert card_box["bottom"] <= form_box["top"] + 0.5, (card_box, form_box)
        assert card_box["top"] >= rect(scroller)["top"] - 0.5
        assert card_box["right"] <= width and card_box["left"] >= 0
        driver.save_screenshot(str(folder / f"chat-{size}-follow-up.png"))
        assert not _severe_console_messages(driver)
