"""Text that is not valid Unicode never aborts a load: a ``.jsonl`` line holding a lone
surrogate, or a file whose name is not UTF-8, is skipped with a reason; the rest loads."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from corpus import load_documents, loaders
from corpus.loaders import plan_load, run_load_task

GOOD = "成都5月8日电 四川省气象台今天发布暴雨蓝色预警，提醒沿江地区做好防汛准备和山洪防范。"


def _feed(path: Path) -> Path:
    lines = [
        r'{"text": "杭州11月2日电 白马湖实验室\ud800今天发布。"}',
        json.dumps({"text": GOOD}),
        '{"text": "' + GOOD + r'", "title": "标题\udfff"}',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_jsonl_lines_with_lone_surrogates_are_skipped(tmp_path: Path) -> None:
    path = _feed(tmp_path / "feed.jsonl")
    result = load_documents([path])
    assert [d.text for d in result.documents] == [GOOD]
    assert [(s.path, s.code) for s in result.skipped] == [
        (f"{path}:1", "bad-line"),
        (f"{path}:3", "bad-line"),
    ]
    assert 'field "text"' in result.skipped[0].reason and "U+D800" in result.skipped[0].reason
    assert 'field "title"' in result.skipped[1].reason


def test_streamed_jsonl_parts_skip_them_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loaders, "STREAM_BYTES", 10)
    path = _feed(tmp_path / "feed.jsonl")
    tasks = list(plan_load([path]))
    assert all(t.lines is not None for t in tasks)
    results = [run_load_task(t) for t in tasks]
    assert [d.text for r in results for d in r.documents] == [GOOD]
    assert sorted(s.path for r in results for s in r.skipped) == [f"{path}:1", f"{path}:3"]


@pytest.mark.skipif(os.name != "posix", reason="needs a file system that takes any bytes")
def test_a_file_name_that_is_not_utf8_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text(GOOD, encoding="utf-8")
    raw = os.fsencode(tmp_path) + b"/\xff\xfe.txt"
    with open(raw, "wb") as fh:
        fh.write(GOOD.replace("成都", "重庆").encode())
    result = load_documents([tmp_path])
    assert [d.text for d in result.documents] == [GOOD]
    [skip] = result.skipped
    assert skip.code == "unreadable" and "not valid UTF-8" in skip.reason
    skip.path.encode("utf-8")  # printable: the bad bytes are shown as escapes
    assert skip.path.endswith(r"\udcff\udcfe.txt")
