"""Ray stays optional: the library never imports it, and the commands that need it say
which extra to install."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from qa.cli import app
from qa.distributed import require_ray
from tests.qa.conftest import ARTICLES

ROOT = Path(__file__).resolve().parents[2]


def test_the_library_and_its_commands_do_not_import_ray() -> None:
    code = (
        "import sys, qa, qa.cli, qa.ingest, qa.distributed, service.app\n"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


def test_without_ray_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # import ray raises ImportError
    with pytest.raises(ImportError, match=r'install the "ray" extra'):
        require_ray()


def test_qa_ingest_with_ray_but_without_it_fails_with_the_hint(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)
    result = CliRunner().invoke(
        app, ["ingest", str(ARTICLES), "--index", str(tmp_path / "idx"), "--ray", "--model", ""]
    )
    assert result.exit_code == 1
    assert 'install the "ray" extra' in result.output
    assert not (tmp_path / "idx").exists()


def test_qa_ingest_ray_options_are_checked(tmp_path: Path) -> None:
    runner = CliRunner()
    index = ["--index", str(tmp_path / "idx"), "--model", ""]
    alone = runner.invoke(app, ["ingest", str(ARTICLES), *index, "--ray-address", "auto"])
    assert alone.exit_code == 1 and "--ray-address goes with --ray" in alone.output
    zero = runner.invoke(app, ["ingest", str(ARTICLES), *index, "--ray", "--workers", "0"])
    assert zero.exit_code == 1 and "--workers 0 cannot go with --ray" in zero.output
    writers = runner.invoke(app, ["ingest", str(ARTICLES), *index, "--ray-writers", "2"])
    assert writers.exit_code == 1 and "--ray-writers goes with --ray" in writers.output


def test_qa_serve_shards_needs_one_worker_and_ray(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    two = runner.invoke(app, ["serve", "--shards", "2", "--workers", "2"])
    assert two.exit_code == 1 and "--shards needs --workers 1" in two.output
    monkeypatch.setitem(sys.modules, "ray", None)
    missing = runner.invoke(app, ["serve", "--shards", "2"])
    assert missing.exit_code == 1 and 'install the "ray" extra' in missing.output
