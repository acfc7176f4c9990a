"""The packages import their public names on first use (PEP 562), and ``qa --help``
imports no command: what keeps a cold ``qa`` fast (docs/benchmarks.md, start-up).

For each lazy package: ``__all__``, the names imported for type checkers and the table
``__getattr__`` reads are the same names, and each resolves to the object its module
defines (``from qa import Assistant`` works as an eager import did).
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.core import TyperCommand
from typer.main import get_command
from typer.testing import CliRunner

ROOT = Path(__file__).resolve().parents[1]
LAZY = (
    "qa",
    "corpus",
    "embeddings",
    "qa.retrieval",
    "qa.answering",
    "qa.answering.extractive",
)


def _type_checking_imports(package: str) -> dict[str, tuple[str, str]]:
    path = ROOT / package.replace(".", "/") / "__init__.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: dict[str, tuple[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.module
                for alias in stmt.names:
                    found[alias.asname or alias.name] = (stmt.module, alias.name)
    return found


@pytest.mark.parametrize("package", LAZY)
def test_every_public_name_resolves_to_its_module_s_object(package: str) -> None:
    module = importlib.import_module(package)
    exports = module._EXPORTS
    assert set(module.__all__) == set(exports) == set(_type_checking_imports(package))
    assert _type_checking_imports(package) == exports
    for name, (where, attribute) in exports.items():
        assert getattr(module, name) is getattr(importlib.import_module(where), attribute)
    assert set(module.__all__) <= set(dir(module))
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        module.nothing_here  # noqa: B018


def _run(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def test_importing_qa_and_its_cli_imports_no_command() -> None:
    out = _run(
        "import sys\n"
        "import qa, qa.cli\n"
        "from typer.testing import CliRunner\n"
        "result = CliRunner().invoke(qa.cli.app, ['--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "heavy = ('numpy', 'qa.cli.core', 'qa.cli.index', 'qa.settings', 'qa.assistant', "
        "'corpus.loaders', 'embeddings.store')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    assert out.strip() == "[]"


def test_qa_help_lists_the_commands_as_their_own_help_says() -> None:
    import qa.cli as cli

    shown = CliRunner().invoke(cli.app, ["--help"])
    assert shown.exit_code == 0
    rows = shown.output.split("Commands:\n")[1].splitlines()
    names = ["ingest", "ask", "search", "eval", "serve", "index"]
    assert [row.split()[0] for row in rows if row.startswith("  ") and row[2] != " "] == names
    group: Any = get_command(cli.app)
    ctx = group.make_context("qa", [], resilient_parsing=True)
    for name, (module, attribute) in cli._LAZY.items():
        # What `qa --help` shows before the command is built, and after.
        described = TyperCommand(name, help=cli._docstring(module, attribute))
        built = group.get_command(ctx, name)
        assert built is not None
        for limit in (30, 45, 60, 74, 200):
            assert described.get_short_help_str(limit) == built.get_short_help_str(limit)
    assert set(group.commands) == set(names)
