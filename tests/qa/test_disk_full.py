"""``qa ingest`` on a full disk says that the disk is full and how much the write
needed (issue 30, item 5), on a real small file system; before, it printed numpy's
"37704 requested and 20464 written" and nothing about the disk."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from qa import Assistant, AssistantConfig, open_or_build
from qa.cli import app
from tests.qa.conftest import ARTICLES
from tests.small_disk import SmallDisk

CONFIG = AssistantConfig(model="")
_NEEDS = re.compile(r"the write needs about [\d.,]+ (bytes|KB|MB), with [\d.,]+ (bytes|KB|MB) free")


@pytest.mark.parametrize("existing", [False, True], ids=["new index", "into an index"])
def test_ingest_on_a_full_disk_says_so(small_disk: SmallDisk, existing: bool) -> None:
    index = small_disk.path / "index"
    if existing:
        Assistant.from_paths([ARTICLES], CONFIG).save(index)
        before = sorted(d.id for d in open_or_build(index, CONFIG, []).documents)
    args = ["ingest", str(ARTICLES), "--index", str(index), "--model", "", "--rebuild"]
    for leave in range(0, 400_000, 8192):
        small_disk.fill(leave)
        result = CliRunner().invoke(app, args)
        if result.exit_code == 0:
            break
        output = " ".join(result.output.split())
        assert "error: the disk is full: " in output, result.output
        assert _NEEDS.search(output), result.output
        if existing:  # left as it was
            assert sorted(d.id for d in open_or_build(index, CONFIG, []).documents) == before
    else:
        pytest.fail("the ingest never went through")
    assert leave > 0
