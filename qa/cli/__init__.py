"""The ``qa`` command line.

Core commands (``ingest``, ``ask``, ``search``) live in :mod:`qa.cli.core`, ``qa index``
in :mod:`qa.cli.index`; ``qa eval`` and ``qa serve`` belong to the packages that
implement them (``eval/cli.py``, ``service/cli.py``): ``qa`` mounts each through a
pass-through command that imports its package only when it runs, so ``qa ask`` never
imports the service or the evaluation code, and ``qa eval --help`` is the eval package's
own help.

Each command's module is imported when that command runs (or shows its own help), not
before: ``qa --help`` lists the commands from their docstrings, read from the source
(about 0.1 s against 0.5 s for importing them all, with the settings, numpy and the
corpus code they use).

Configuration comes from options, the ``QA_*`` environment variables and ``.env`` (see
:mod:`qa.cli.options`); only the CLI and ``service/`` read the environment.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
from collections.abc import MutableMapping
from functools import cache
from gettext import gettext
from pathlib import Path
from typing import Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

__all__ = ["app", "main"]

# The commands imported when they run: name -> (module, a command function or a typer
# app in it).
_LAZY: dict[str, tuple[str, str]] = {
    "ingest": ("qa.cli.core", "ingest"),
    "ask": ("qa.cli.core", "ask"),
    "search": ("qa.cli.core", "search"),
    "index": ("qa.cli.index", "app"),
}
_ORDER = ("ingest", "ask", "search", "eval", "serve", "index")
"""The order ``qa --help`` lists the commands in."""


class _LazyGroup(TyperGroup):
    """The ``qa`` group: a command of :data:`_LAZY` is built from its module when it is
    looked up (to run it, or for its own help); ``commands``, read whole, builds all."""

    _built: MutableMapping[str, Any]

    @property
    def commands(self) -> MutableMapping[str, Any]:
        for name in _LAZY:
            self._build(name)
        return self._built

    @commands.setter
    def commands(self, value: MutableMapping[str, Any]) -> None:
        self._built = value

    def _build(self, name: str) -> None:
        if name in self._built or name not in _LAZY:
            return
        module, attribute = _LAZY[name]
        target = getattr(importlib.import_module(module), attribute)
        if isinstance(target, typer.Typer):
            command = typer.main.get_command(target)
        else:
            single = typer.Typer(add_completion=False, rich_markup_mode=None)
            single.command(name=name)(target)
            command = typer.main.get_command(single)
        command.name = name
        self._built[name] = command

    def list_commands(self, ctx: Any) -> list[str]:
        known = [n for n in _ORDER if n in _LAZY or n in self._built]
        return known + [n for n in self._built if n not in known]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        self._build(cmd_name)
        return self._built.get(cmd_name)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """click's listing, with the commands not built yet described by their
        docstrings (the same short help, without importing them)."""
        commands = []
        for name in self.list_commands(ctx):
            command = self._built.get(name)
            if command is None and name in _LAZY:
                command = TyperCommand(name, help=_docstring(*_LAZY[name]))
            if command is not None and not command.hidden:
                commands.append((name, command))
        if commands:
            limit = formatter.width - 6 - max(len(name) for name, _ in commands)
            rows = [(name, command.get_short_help_str(limit)) for name, command in commands]
            with formatter.section(gettext("Commands")):
                formatter.write_dl(rows)


@cache
def _docstring(module: str, attribute: str) -> str | None:
    """The help of a command function (its docstring) or typer app (its ``help=``) in
    ``module``, read from the source without importing it."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        return None
    tree = ast.parse(Path(spec.origin).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == attribute:
            return ast.get_docstring(node)
        if (
            isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == attribute for t in node.targets)
            and isinstance(node.value, ast.Call)
        ):
            for keyword in node.value.keywords:
                if keyword.arg == "help" and isinstance(keyword.value, ast.Constant):
                    return str(keyword.value.value)
    return None


app = typer.Typer(
    cls=_LazyGroup,
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode=None,  # help as written: "[ray]" is no markup (see qa.cli.options)
    help="Question answering over Chinese news, with citations to the source text.",
)

_PASS_THROUGH = {
    "allow_extra_args": True,
    "ignore_unknown_options": True,
    "allow_interspersed_args": False,
}


@app.command("eval", context_settings=_PASS_THROUGH, add_help_option=False)
def eval_(ctx: typer.Context) -> None:
    """Evaluate a question set: retrieval, answers, citations, abstention, latency."""
    # `qa eval` starts eval/ code: the one import against the layering, inside the command.
    from eval.cli import app as eval_app

    eval_app(args=ctx.args, prog_name="qa eval")


@app.command("serve", context_settings=_PASS_THROUGH, add_help_option=False)
def serve(ctx: typer.Context) -> None:
    """Start the HTTP service (API, OpenAI-compatible chat, web page)."""
    # `qa serve` starts service/ code, likewise.
    from service.cli import app as serve_app

    serve_app(args=ctx.args, prog_name="qa serve")


def main() -> None:
    """Entry point of the ``qa`` console script."""
    app()
