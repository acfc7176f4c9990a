"""Every documented ``QA_*`` variable works for every command (``qa ingest``, ``ask``,
``search``, ``eval``, ``serve``), an empty value included, and ``.env`` and flags
are read with the documented precedence (flag > variable > .env > default).

Two kinds of test: a matrix that checks, for each command and variable, the settings the
command runs with (the command is stopped right after resolving them); and tests of the
effect each variable has when the commands run to the end.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from typer.testing import CliRunner, Result

from qa.cli import app
from qa.settings import QASettings
from tests.qa.conftest import ARTICLES

ROOT = Path(__file__).resolve().parents[2]
SEED_SET = ROOT / "eval" / "questions" / "seed.jsonl"
QUESTION = "白马湖实验室是哪家企业牵头共建的?"

COMMANDS: dict[str, list[str]] = {
    "ingest": ["ingest"],
    "ask": ["ask", QUESTION],
    "search": ["search", "白马湖实验室"],
    "eval": ["eval", str(SEED_SET)],
    "serve": ["serve"],
}

# Variable -> (value in the environment, the field, the value the command must get).
SHARED: dict[str, tuple[str, str, Any]] = {
    "QA_INDEX_DIR": ("/tmp/qa-env-test-index", "index_dir", Path("/tmp/qa-env-test-index")),
    "QA_ARTICLES": ("a.txt, more/", "articles", [Path("a.txt"), Path("more")]),
    "QA_MODEL": ("", "model", ""),
    "QA_OFFLINE": ("true", "offline", True),
    "QA_DEVICE": ("cuda:1", "device", "cuda:1"),
    "QA_CHUNK_SIZE": ("200", "chunk_size", 200),
    "QA_CHUNK_OVERLAP": ("20", "chunk_overlap", 20),
    "QA_TOKENIZER": ("jieba", "tokenizer", "jieba"),
    "QA_GENERATOR": ("extractive", "generator", "extractive"),
    "QA_TOP_K": ("3", "top_k", 3),
    "QA_DUPLICATE_THRESHOLD": ("0.5", "duplicate_threshold", 0.5),
    "QA_ANSWER_CHARS": ("60", "answer_chars", 60),
    "QA_ABSTAIN_THRESHOLD": ("0.3", "abstain_threshold", 0.3),
    "QA_READER_MODEL": ("/tmp/reader.json", "reader_model", "/tmp/reader.json"),
    "QA_LLM_MODEL": ("qwen2.5:7b", "llm_model", "qwen2.5:7b"),
    "QA_LLM_BASE_URL": ("http://localhost:11434/v1", "llm_base_url", "http://localhost:11434/v1"),
    "QA_LLM_API_KEY": ("sk-test", "llm_api_key", SecretStr("sk-test")),
    "QA_LLM_TIMEOUT": ("30", "llm_timeout", 30.0),
    "QA_LLM_MAX_NEW_TOKENS": ("64", "llm_max_new_tokens", 64),
    "QA_SCORE_CACHE_MB": ("16", "score_cache_mb", 16),
    "QA_SENTENCE_CACHE_MB": ("8", "sentence_cache_mb", 8),
}
SERVICE: dict[str, tuple[str, str, Any]] = {
    "QA_HOST": ("0.0.0.0", "host", "0.0.0.0"),
    "QA_PORT": ("9123", "port", 9123),
    "QA_WORKERS": ("2", "workers", 2),
    "QA_PERSIST": ("false", "persist", False),
    "QA_MAX_TOP_K": ("7", "max_top_k", 7),
    "QA_MAX_BODY_BYTES": ("4096", "max_body_bytes", 4096),
    "QA_CHAT_MODEL": ("news-bot", "chat_model", "news-bot"),
    "QA_CHAT_SOURCES": ("1", "chat_sources", True),
    "QA_CORS_ORIGINS": ("https://a.example, http://localhost:3000", "cors_origins", None),
    "QA_LOG_LEVEL": ("WARNING", "log_level", "warning"),
    "QA_LOG_FORMAT": ("json", "log_format", "json"),
    "QA_MALLOC_ARENA_MAX": ("0", "malloc_arena_max", 0),
    "QA_REQUEST_THREADS": ("4", "request_threads", 4),
    "QA_SHARDS": ("3", "shards", 3),
    "QA_RAY_ADDRESS": ("auto", "ray_address", "auto"),
    "QA_SHARD_TIMEOUT": ("5", "shard_timeout", 5.0),
}


class Resolved(Exception):
    """Raised by the spy with the settings a command resolved (it stops the command)."""

    def __init__(self, settings: QASettings) -> None:
        super().__init__("resolved")
        self.settings = settings


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    """No QA_* variable from outside, no .env from the working directory."""
    import os

    for name in list(os.environ):
        if name.startswith("QA_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return monkeypatch


@pytest.fixture
def resolve(clean_env: pytest.MonkeyPatch) -> Any:
    """``resolve(command, *extra_args, **env)``: the settings that command runs with."""
    import qa.cli.options as options

    real = options.load_settings

    def spy(settings_type: type[QASettings] = QASettings, **given: Any) -> QASettings:
        raise Resolved(real(settings_type, **given))

    clean_env.setattr(options, "load_settings", spy)

    def run(command: str, *extra: str, **env: str) -> QASettings:
        for name, value in env.items():
            clean_env.setenv(name, value)
        result = CliRunner().invoke(app, [*COMMANDS[command], *extra])
        assert isinstance(result.exception, Resolved), result.output
        for name in env:
            clean_env.delenv(name)
        return result.exception.settings

    return run


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("variable", list(SHARED))
def test_every_shared_variable_reaches_every_command(
    resolve: Any, command: str, variable: str
) -> None:
    value, field, expected = SHARED[variable]
    default = getattr(resolve(command), field)
    settings = resolve(command, **{variable: value})
    assert getattr(settings, field) == expected
    if variable != "QA_GENERATOR":  # the one backend: its value is also the default
        assert expected != default


@pytest.mark.parametrize("variable", list(SERVICE))
def test_every_service_variable_reaches_serve(resolve: Any, variable: str) -> None:
    value, field, expected = SERVICE[variable]
    settings = resolve("serve", **{variable: value})
    if expected is None:
        expected = [v.strip() for v in value.split(",")]
    assert getattr(settings, field) == expected


def test_empty_model_counts(resolve: Any) -> None:
    for command in COMMANDS:
        assert resolve(command, QA_MODEL="").model == ""
        assert resolve(command).model == "BAAI/bge-small-zh-v1.5"


def test_flag_beats_variable_beats_dotenv(resolve: Any, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("QA_CHUNK_SIZE=120\nQA_MODEL=from-dotenv\n", encoding="utf-8")
    for command in COMMANDS:
        assert resolve(command).chunk_size == 120  # .env is read from the working directory
        assert resolve(command).model == "from-dotenv"
        assert resolve(command, QA_CHUNK_SIZE="150").chunk_size == 150
        assert resolve(command, "--chunk-size", "180", QA_CHUNK_SIZE="150").chunk_size == 180
        assert resolve(command, "--model", "", QA_MODEL="x").model == ""


@pytest.mark.parametrize("command", list(COMMANDS))
def test_an_invalid_variable_is_one_clear_error(
    clean_env: pytest.MonkeyPatch, command: str
) -> None:
    clean_env.setenv("QA_GENERATOR", "gpt")
    result = CliRunner().invoke(app, COMMANDS[command])
    assert result.exit_code == 2
    assert "unknown generator 'gpt'" in result.output and "Traceback" not in result.output
    clean_env.setenv("QA_GENERATOR", "extractive")
    clean_env.setenv("QA_CHUNK_SIZE", "lots")
    result = CliRunner().invoke(app, COMMANDS[command])
    assert result.exit_code == 2 and "chunk_size" in result.output


# -- what each variable does, commands run to the end --------------------------------------


def invoke(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def manifest(index: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((index / "manifest.json").read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("command", ["ingest", "ask", "search"])
def test_index_dir_articles_and_empty_model(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "note.txt").write_text(
        "示例新闻网杭州3月18日电 白马湖实验室今天发布了无人智能清舱装备。", encoding="utf-8"
    )
    clean_env.setenv("QA_INDEX_DIR", str(tmp_path / "idx"))
    clean_env.setenv("QA_ARTICLES", str(folder))
    clean_env.setenv("QA_MODEL", "")
    with caplog.at_level("WARNING"):
        result = invoke(*COMMANDS[command], *(["--json"] if command != "ingest" else []))
    assert result.exit_code == 0, result.output
    assert not caplog.records  # no model is tried, nothing to warn about
    data = manifest(tmp_path / "idx")
    assert data["model"]["name"] == "" and data["counts"]["documents"] == 1  # QA_ARTICLES
    if command != "ingest":
        assert "清舱装备" in result.stdout  # passages of the one article


def test_eval_uses_index_dir_and_model(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("QA_INDEX_DIR", str(tmp_path / "idx"))
    clean_env.setenv("QA_MODEL", "")
    clean_env.setenv("QA_TOP_K", "2")
    result = invoke("eval", str(SEED_SET), "--out", str(tmp_path / "run"), "--limit", "2")
    assert result.exit_code == 0, result.output
    assert manifest(tmp_path / "idx")["model"]["name"] == ""
    summary = json.loads((tmp_path / "run" / "summary.json").read_text(encoding="utf-8"))
    assert summary["meta"]["config"]["top_k"] == 2 and summary["meta"]["retrieval"] == "bm25"


@pytest.mark.parametrize("command", ["ingest", "ask", "search"])
def test_model_offline_and_device_reach_the_model_loader(
    clean_env: pytest.MonkeyPatch, tmp_path: Path, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    clean_env.setenv("QA_INDEX_DIR", str(tmp_path / "idx"))
    clean_env.setenv("QA_MODEL", "example-org/not-downloaded-model")
    clean_env.setenv("QA_OFFLINE", "1")
    clean_env.setenv("QA_DEVICE", "cuda:7")
    with caplog.at_level("WARNING"):
        result = invoke(*COMMANDS[command])
    assert result.exit_code == 0, result.output
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert "'example-org/not-downloaded-model' on device 'cuda:7' with local files only" in warning
    assert manifest(tmp_path / "idx")["model"]["name"] == ""  # built lexical-only


def test_chunking_and_tokenizer(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("QA_INDEX_DIR", str(tmp_path / "idx"))
    clean_env.setenv("QA_MODEL", "")
    clean_env.setenv("QA_CHUNK_SIZE", "200")
    clean_env.setenv("QA_CHUNK_OVERLAP", "20")
    clean_env.setenv("QA_TOKENIZER", "jieba")
    assert invoke("ingest", str(ARTICLES)).exit_code == 0
    data = manifest(tmp_path / "idx")
    assert data["chunking"] == {"chunk_size": 200, "chunk_overlap": 20}
    assert data["tokenizer"] == "jieba"
    for command in ("ask", "search"):
        assert invoke(*COMMANDS[command]).exit_code == 0
    # The same index under other settings: refused, with what to do.
    clean_env.setenv("QA_CHUNK_SIZE", "300")
    for command in ("ask", "search", "ingest"):
        result = invoke(*COMMANDS[command])
        assert result.exit_code == 1 and "--rebuild" in result.output, result.output


def test_top_k(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    clean_env.setenv("QA_INDEX_DIR", str(tmp_path / "idx"))
    clean_env.setenv("QA_MODEL", "")
    clean_env.setenv("QA_TOP_K", "1")
    answer = json.loads(invoke("ask", QUESTION, "--json").stdout)
    assert len(answer["passages"]) == 1
    passages = json.loads(invoke("search", "长三角", "--json").stdout)
    assert len(passages) == 1
    assert len(json.loads(invoke("search", "长三角", "--json", "-k", "3").stdout)) == 3


def test_serve_passes_every_setting_to_the_server(
    clean_env: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import service.server

    seen: list[Any] = []
    clean_env.setattr(service.server, "serve", seen.append)
    for name, (value, _, _) in SERVICE.items():
        if name != "QA_SHARDS":  # shards need one worker (tests/qa/test_distributed*.py)
            clean_env.setenv(name, value)
    clean_env.setenv("QA_MODEL", "")
    clean_env.setenv("QA_API_KEY", "k-123")
    result = invoke("serve", "--port", "9124")
    assert result.exit_code == 0, result.output
    (settings,) = seen
    assert settings.port == 9124 and settings.host == "0.0.0.0" and settings.workers == 2
    assert settings.model == "" and settings.api_key.get_secret_value() == "k-123"
    assert settings.log_format == "json" and settings.chat_model == "news-bot"
    assert settings.ray_address == "auto" and settings.shard_timeout == 5.0


def test_service_variables_shape_the_app(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from fastapi.testclient import TestClient

    from qa import Assistant, AssistantConfig
    from service import create_app
    from service.settings import Settings

    env = {
        "QA_CHAT_MODEL": "news-bot",
        "QA_CHAT_SOURCES": "true",
        "QA_CORS_ORIGINS": "https://a.example",
        "QA_MAX_TOP_K": "4",
        "QA_MAX_BODY_BYTES": "2048",
        "QA_API_KEY": "k-123",
        "QA_TOP_K": "2",
        "QA_PERSIST": "false",
        "QA_INDEX_DIR": str(tmp_path / "idx"),
    }
    for name, value in env.items():
        clean_env.setenv(name, value)
    settings = Settings()
    assistant = Assistant.from_paths([ARTICLES], AssistantConfig(model=""))
    with TestClient(create_app(settings, assistant)) as c:
        assert c.get("/v1/models").json()["data"][0]["id"] == "news-bot"
        chat = c.post(
            "/v1/chat/completions",
            json={"model": "news-bot", "messages": [{"role": "user", "content": QUESTION}]},
            headers={"Origin": "https://a.example"},
        )
        assert "来源 Sources" in chat.json()["choices"][0]["message"]["content"]
        assert chat.headers["access-control-allow-origin"] == "https://a.example"
        assert len(c.post("/v1/ask", json={"question": QUESTION}).json()["passages"]) == 2
        assert c.post("/v1/ask", json={"question": QUESTION, "top_k": 5}).status_code == 422
        big = c.post("/v1/ask", content=b"{" + b" " * 4096 + b"}", headers={"content-type": "x"})
        assert big.status_code == 413
        article = {"articles": [{"text": "白马湖实验室今天发布了新装备。"}]}
        assert c.post("/v1/documents", json=article).status_code == 401
        ok = c.post("/v1/documents", json=article, headers={"Authorization": "Bearer k-123"})
        assert ok.status_code == 200
    assert not (tmp_path / "idx").exists()  # QA_PERSIST=false: nothing written


def test_documented_variables_are_the_tested_ones() -> None:
    """The README and docs/api.md list exactly the variables tested here."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    api = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"`(QA_[A-Z_]+)`", readme + api))
    documented -= {"QA_BENCHMARKS_DIR", "QA_TEST_OUTPUT"}  # test-suite variables
    assert documented == set(SHARED) | set(SERVICE) | {"QA_API_KEY"}
