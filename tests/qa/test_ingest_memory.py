"""``qa ingest`` streams a crawl archive: the memory it holds does not grow with the
archive's size (issue 30, item 1)."""

from __future__ import annotations

from pathlib import Path

from qa import Assistant, AssistantConfig
from qa.ingest import ingest_paths
from tests.corpus.test_warc import MB, memory_growth
from tests.qa.conftest import ARTICLES

CONFIG = AssistantConfig(model="")


def test_an_ingest_of_an_archive_holds_one_part_at_a_time(tmp_path: Path) -> None:
    index = tmp_path / "index"
    Assistant.from_paths([ARTICLES], CONFIG).save(index)

    def ingest(archive: Path) -> None:
        # In this process (workers=0), so that tracemalloc sees all of it; each archive
        # is read in parts of about a megabyte of records, each loaded, prepared and
        # added to the pending segment, the pages let go of.
        _, result = ingest_paths([archive], index, CONFIG, workers=0)
        assert result.loaded and not result.skipped

    assert memory_growth(tmp_path, ingest) < 3 * MB
