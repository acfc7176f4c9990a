"""The help of every command: ``qa``, each sub-command and sub-sub-command, and the
mounted ``qa eval`` (eval/cli.py) and ``qa serve`` (service/cli.py).

Help shows each text as written (nothing in square brackets is taken for markup and
dropped), names the variable and the default of every setting an option sets, and lists
only the options that do something for the command.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from corpus.bundled import bundled_articles_dir
from qa.cli import app
from qa.cli.options import ANSWER_OPTIONS, INDEX_OPTIONS, RETRIEVAL_OPTIONS, SHARED_OPTIONS
from qa.settings import QASettings, default_index_dir
from service.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


# Typer's commands (click's, or the copy of click that typer >= 0.24 ships) are read by
# their attributes: ``commands`` (a group's), ``params``, ``help``, ``hidden``.
Command = Any


def _mounted(name: str) -> Command:
    """The command ``qa NAME`` passes its arguments to."""
    if name == "eval":
        from eval.cli import app as sub_app
    else:
        from service.cli import app as sub_app
    return get_command(sub_app)


def _walk(command: Command, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], Command]]:
    found = [(path, command)]
    for name, sub in getattr(command, "commands", {}).items():
        if name in ("eval", "serve") and not path:
            found.append(((name,), _mounted(name)))
        else:
            found += _walk(sub, (*path, name))
    return found


COMMANDS = dict(_walk(get_command(app), ()))
"""Every command by its path (``()`` is ``qa`` itself)."""


def _help(path: tuple[str, ...]) -> str:
    result = CliRunner().invoke(app, [*path, "--help"])
    assert result.exit_code == 0, result.output
    return result.output


def _squeezed(text: str) -> str:
    """Without whitespace: help is wrapped (at spaces and after hyphens) to the terminal."""
    return re.sub(r"\s+", "", text)


# How the help describes defaults that are not written as themselves.
DESCRIBED = {
    "index_dir": "~/.cache/zhnews-qa/index",
    "articles": "the bundled articles",
    "offline": "online",
    "abstain_threshold": "the reader model's",
    "llm_model": "none",
    "llm_base_url": "none",
    "ray_address": "a local Ray instance",
}

# Options that set a setting under another name.
ALIASES = {("search", "k"): "top_k", ("ingest", "paths"): "articles"}


def _settings_type(path: tuple[str, ...]) -> type[QASettings]:
    return Settings if path[:1] == ("serve",) else QASettings


def _field(path: tuple[str, ...], param: Any) -> str | None:
    name = ALIASES.get((path[0], param.name or "")) if path else None
    name = name or param.name
    return name if name in _settings_type(path).model_fields else None


def _default_text(path: tuple[str, ...], field: str) -> str:
    if field in DESCRIBED:
        return DESCRIBED[field]
    return str(_settings_type(path).model_fields[field].get_default(call_default_factory=True))


def test_the_walk_finds_every_command() -> None:
    names = {" ".join(p) for p in COMMANDS}
    assert names == {
        "",
        "ingest",
        "ask",
        "search",
        "eval",
        "serve",
        "index",
        "index info",
        "index optimize",
    }


@pytest.mark.parametrize("path", list(COMMANDS), ids=lambda p: " ".join(("qa", *p)))
def test_help_shows_every_text_as_written(path: tuple[str, ...]) -> None:
    shown = _squeezed(_help(path))
    command = COMMANDS[path]
    texts = [getattr(p, "help", None) for p in command.params if not getattr(p, "hidden", False)]
    if command.help:
        texts.append(command.help.split("\f")[0])
    assert len(list(filter(None, texts))) >= 1
    for text in filter(None, texts):
        assert _squeezed(text) in shown, text
    for name in getattr(command, "commands", {}):
        assert name in shown


@pytest.mark.parametrize("path", [p for p in COMMANDS if p], ids=lambda p: " ".join(("qa", *p)))
def test_help_names_each_settings_variable_and_default(path: tuple[str, ...]) -> None:
    shown = _squeezed(_help(path))
    checked = []
    for param in COMMANDS[path].params:
        field = _field(path, param)
        if field is None or getattr(param, "hidden", False):
            continue
        checked.append(field)
        assert f"QA_{field.upper()}" in shown, (param.name, field)
        default = _squeezed(_default_text(path, field))
        assert re.search(rf"default:?{re.escape(default)}", shown), (param.name, default)
    if path[0] != "index":
        assert {"index_dir", "model", "chunk_size"} <= set(checked)


def test_the_described_defaults_are_the_real_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert default_index_dir() == Path.home() / ".cache" / "zhnews-qa" / "index"
    fields = Settings.model_fields
    assert fields["articles"].get_default(call_default_factory=True) == [bundled_articles_dir()]
    assert fields["offline"].default is False
    assert fields["abstain_threshold"].default is None
    assert fields["llm_model"].default == "" and fields["llm_base_url"].default == ""
    assert fields["ray_address"].default is None


def _listed(path: tuple[str, ...]) -> set[str]:
    return {
        name
        for name in SHARED_OPTIONS
        if any(p.name == name and not p.hidden for p in COMMANDS[path].params)
    }


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (("ingest",), RETRIEVAL_OPTIONS),
        (("search",), RETRIEVAL_OPTIONS),
        (("ask",), ANSWER_OPTIONS),
        (("eval",), ANSWER_OPTIONS),
        (("serve",), ANSWER_OPTIONS),
        (("index", "info"), INDEX_OPTIONS),
        (("index", "optimize"), INDEX_OPTIONS),
    ],
)
def test_commands_list_only_the_options_that_do_something_there(
    path: tuple[str, ...], expected: tuple[str, ...]
) -> None:
    assert _listed(path) == set(expected)
    shown = _help(path)
    if "generator" not in expected:
        assert "--generator" not in shown and "--llm-" not in shown
    if "model" not in expected:
        assert "--model" not in shown and "--chunk-size" not in shown


def test_brackets_in_help_are_shown() -> None:
    assert "[ray] extra" in " ".join(_help(("ingest",)).split())
    assert "needs the [ray] extra" in " ".join(_help(("serve",)).split())


def test_the_readme_configuration_table_lists_every_setting() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\|[^|]*\| `(QA_[A-Z_]+)` \|", table, flags=re.M))
    assert listed == {f"QA_{name.upper()}" for name in QASettings.model_fields}
