"""jieba's words and tags from the bucket cache (qa.answering.segmentation): the same as
jieba's on every text of the bundled articles and question sets, and a cache that is
written once, read without importing jieba, and never trusted when someone else could
have written it."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from corpus.normalize import normalize_for_matching
from qa.answering import segmentation
from qa.answering.segmentation import Segmenter

ROOT = Path(__file__).resolve().parents[2]
EDGES = (
    "",
    " ",
    "\r\n",
    "\t中\u3000文 ",
    "abc 123 x.y",
    "ab1 2cd",
    "C++和C#",
    "3.14%的-增长",
    "ａｂｃ１２３",
    "李四在北京大学读书,王小二说",
    "上海市的国资委",
    "𠀀𠀁中文",
    "Ω≈ç√∫",
)


def _texts() -> list[str]:
    texts = list(EDGES)
    for path in sorted((ROOT / "corpus" / "articles").iterdir()):
        texts += path.read_text(encoding="utf-8", errors="replace").splitlines()
    for name in ("seed.jsonl", "near_miss.jsonl"):
        lines = (ROOT / "eval" / "questions" / name).read_text("utf-8").splitlines()
        texts += [json.loads(line)["question"] for line in lines if line.strip()]
    return texts + [normalize_for_matching(t) for t in texts]


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory with the bucket cache, written once for the module (a few seconds)."""
    directory = tmp_path_factory.mktemp("jieba-cache")
    Segmenter.open(directory)
    return directory


@pytest.fixture(scope="module")
def segmenter(cache_dir: Path) -> Segmenter:
    return Segmenter.open(cache_dir)


def _copy(cache_dir: Path, to: Path) -> Path:
    (cache,) = cache_dir.glob("zhnews-qa-jieba-*.cache")
    copy = to / cache.name
    shutil.copyfile(cache, copy)
    copy.chmod(0o600)
    return copy


def test_words_and_tags_are_jieba_s(segmenter: Segmenter) -> None:
    import jieba
    import jieba.posseg

    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tagger = jieba.posseg.POSTokenizer(tokenizer)
    texts = _texts()
    assert sum(len(t) for t in texts) > 10_000
    for text in texts:
        assert segmenter.words(text) == tokenizer.lcut(text, HMM=False), text
        assert segmenter.tagged(text, hmm=False) == [
            (p.word, p.flag) for p in tagger.cut(text, HMM=False)
        ], text
    # The tagger's HMM (unknown words: names) takes about 0.4 ms a character, jieba's
    # more: the texts as the library tags them (folded), their first 60 characters.
    for text in {normalize_for_matching(t)[:60] for t in texts}:
        assert segmenter.tagged(text) == [(p.word, p.flag) for p in tagger.cut(text)], text


def test_the_patterns_are_jieba_s() -> None:
    import jieba
    import jieba.posseg

    pairs = {
        segmentation._RE_HAN_DEFAULT: jieba.re_han_default,
        segmentation._RE_SKIP_DEFAULT: jieba.re_skip_default,
        segmentation._RE_ENG: jieba.re_eng,
        segmentation._RE_HAN_DETAIL: jieba.posseg.re_han_detail,
        segmentation._RE_SKIP_DETAIL: jieba.posseg.re_skip_detail,
        segmentation._RE_HAN_INTERNAL: jieba.posseg.re_han_internal,
        segmentation._RE_SKIP_INTERNAL: jieba.posseg.re_skip_internal,
        segmentation._RE_POS_ENG: jieba.posseg.re_eng,
        segmentation._RE_NUM: jieba.posseg.re_num,
        segmentation._RE_ENG1: jieba.posseg.re_eng1,
    }
    for ours, theirs in pairs.items():
        assert (ours.pattern, ours.flags) == (theirs.pattern, theirs.flags)


def test_the_cache_opens_without_jieba(segmenter: Segmenter, cache_dir: Path) -> None:
    (cache,) = cache_dir.glob("zhnews-qa-jieba-*.cache")
    if hasattr(os, "getuid"):
        assert cache.stat().st_mode & 0o077 == 0  # written readable by its owner only
    code = (
        "import sys, time\n"
        "from qa.answering.segmentation import Segmenter\n"
        "t = time.perf_counter()\n"
        f"s = Segmenter.open({str(cache_dir)!r})\n"
        "print(s.tagged('长三角国资百企联盟由哪些企业牵头组建?'))\n"
        "print('jieba' in sys.modules, time.perf_counter() - t)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    tagged, loaded = done.stdout.strip().splitlines()
    assert tagged == str(segmenter.tagged("长三角国资百企联盟由哪些企业牵头组建?"))
    imported, seconds = loaded.split()
    assert imported == "False"
    assert float(seconds) < 1.0  # milliseconds, with a wide margin for a busy machine


@pytest.mark.skipif(not hasattr(os, "getuid"), reason="POSIX permissions")
def test_a_cache_others_could_write_is_not_read(cache_dir: Path, tmp_path: Path) -> None:
    cache = _copy(cache_dir, tmp_path)
    assert segmentation._open_cache(cache) is not None
    cache.chmod(0o666)
    assert segmentation._open_cache(cache) is None
    cache.chmod(0o600)
    assert segmentation._open_cache(cache) is not None
    cache.write_bytes(b"not a cache")
    assert segmentation._open_cache(cache) is None


def test_a_missing_or_unwritable_cache_is_built_from_jieba(
    cache_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Built from jieba's own data (a small stand-in here: the real one takes seconds).
    (cache,) = cache_dir.glob("zhnews-qa-jieba-*.cache")
    real = segmentation._open_cache(cache)
    assert real is not None
    chars = "长三角国资百企联盟"
    small = {c: real._bucket(c) for c in chars}
    monkeypatch.setattr(
        segmentation,
        "_from_jieba",
        lambda: (real.total, dict(real._start_p), dict(real._trans_p), small),
    )
    written = Segmenter.open(tmp_path / "new")
    assert [p.name for p in (tmp_path / "new").iterdir()] == [cache.name]
    assert written.tagged(chars) == real.tagged(chars)

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError("read-only")

    monkeypatch.setattr(segmentation, "_write_cache", refuse)
    in_memory = Segmenter.open(tmp_path / "read-only")
    assert in_memory.words(chars) == ["长三角", "国资", "百", "企", "联盟"]
    assert in_memory.tagged(chars) == real.tagged(chars)


def test_decoded_buckets_share_words_tags_and_states(segmenter: Segmenter) -> None:
    """A bucket keeps one string per word (its tag is keyed by its frequency's key), tags
    are interned, and buckets share the tagger's state tuples: what keeps the decoded
    dictionary compact."""
    text = "中华人民共和国中央人民政府今天在北京成立了"
    segmenter.tagged(text)
    bucket = segmenter._bucket("中")
    keys = {id(w) for w in bucket.freq}
    assert bucket.tags and all(id(w) in keys for w in bucket.tags)
    assert all(tag is sys.intern(tag) for tag in bucket.tags.values())
    other = segmenter._bucket("人")
    shared = {id(y) for y in bucket.emit}
    assert any(id(y) in shared for y in other.emit)  # the same tuple objects
    states = [y for b in (bucket, other) for y in (*(b.states or ()), *b.emit)]
    assert len({id(y) for y in states}) == len(set(states))  # one object per state
