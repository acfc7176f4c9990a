"""`qa ask` with a language model: flags and QA_LLM_* variables, output, errors."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa.cli import app

from .chat_server import ChatServer
from .test_cli import LEX, index  # noqa: F401 - the index fixture

runner = CliRunner()
SEED = "长三角国资百企联盟创新子联盟由哪些企业牵头组建?"
GOOD = "创新子联盟由浙江省能源集团等4家企业牵头组建[1]。联盟总部设在南京[1]。"


@pytest.fixture
def server() -> Iterator[ChatServer]:
    with ChatServer(lambda body: GOOD) as s:
        yield s


def test_ask_with_an_openai_server(index: Path, server: ChatServer) -> None:  # noqa: F811
    args = ["ask", SEED, "--index", str(index), *LEX, "--generator", "openai"]
    args += ["--llm-base-url", server.url, "--llm-model", "test-model"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "创新子联盟由浙江省能源集团等4家企业牵头组建 [1]。" in result.output
    assert "南京" not in result.output
    assert "verification dropped 1 sentence(s)" in result.output
    assert "由浙江省能源集團等4家企業牽頭組建。" in result.output  # the quote
    data = json.loads(runner.invoke(app, [*args, "--json"]).stdout)
    assert (data["generator"], data["dropped"], data["fallback"]) == ("openai:test-model", 1, "")


def test_the_llm_settings_come_from_the_environment(index: Path, server: ChatServer) -> None:  # noqa: F811
    env = {
        "QA_GENERATOR": "openai",
        "QA_LLM_BASE_URL": server.url,
        "QA_LLM_MODEL": "env-model",
        "QA_LLM_API_KEY": "sk-env",
        "QA_LLM_TIMEOUT": "7",
        "QA_LLM_MAX_NEW_TOKENS": "64",
    }
    result = runner.invoke(app, ["ask", SEED, "--index", str(index), *LEX, "--json"], env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["generator"] == "openai:env-model"
    (body,) = server.requests
    assert body["model"] == "env-model" and body["max_tokens"] == 64
    assert server.headers[0]["Authorization"] == "Bearer sk-env"


def test_a_fallback_is_reported(index: Path) -> None:  # noqa: F811
    args = ["ask", SEED, "--index", str(index), *LEX, "--generator", "openai"]
    args += ["--llm-base-url", "http://127.0.0.1:9/v1", "--llm-model", "m"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "4家企业牵头组建 [1]" in result.output
    assert "cannot reach the chat server at http://127.0.0.1:9/v1/chat/completions" in result.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--generator", "openai", "--llm-model", "m"], "needs the server's address"),
        (["--generator", "transformers"], "needs a model"),
        (["--generator", "gpt"], "unknown generator 'gpt'"),
        (["--generator", "openai", "--llm-model", "m", "--llm-base-url", "x"], "http://"),
    ],
)
def test_bad_generator_settings_are_refused(
    index: Path,  # noqa: F811
    extra: list[str],
    message: str,
) -> None:
    result = runner.invoke(app, ["ask", SEED, "--index", str(index), *LEX, *extra])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_a_missing_gguf_file_is_an_error(index: Path, tmp_path: Path) -> None:  # noqa: F811
    missing = tmp_path / "none.gguf"
    args = ["ask", SEED, "--index", str(index), *LEX, "--generator", "transformers"]
    result = runner.invoke(app, [*args, "--llm-model", str(missing)])
    assert result.exit_code == 1
    assert f"no GGUF file at {missing}" in " ".join(result.output.split())
