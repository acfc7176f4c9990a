"""jieba's words and part-of-speech tags, from a dictionary file that opens in
milliseconds.

jieba keeps its dictionary in one Python dict: loading it takes about 0.6 s from
jieba's own cache, and its part-of-speech tagger reads the dictionary's text again
(about 0.3 s, once when ``jieba.posseg`` is imported and once per tagger). A question
looks up the words that start at a few hundred characters. :class:`Segmenter` keeps
jieba's data (the prefix dictionary with its frequencies, the tags, and the tagger's
hidden Markov model) in a file of buckets, one per first character, and decodes a
bucket the first time a text holds that character. The file is written once, from the
installed jieba, beside jieba's own cache (the system's temporary directory, or a
directory you pass); where it cannot be written, the data stays in memory.

Decoded buckets stay for the process's life (a question's text needs the buckets of its
characters again; decoding all of them takes about 0.25 s), so they are kept compact: a word's
tag is keyed by the same string object as its frequency, tags are interned strings, and
the tagger's states are shared by every bucket (format 2: all 13,332 buckets take
about 72 MiB instead of 112). A worker decodes about 4,000 of them over 10,000
questions on news, those of the common characters, which hold most words: about 60 MiB.

The segmentation is jieba's, step for step: :meth:`Segmenter.words` is
``jieba.Tokenizer().lcut(text, HMM=False)`` and :meth:`Segmenter.tagged` is
``jieba.posseg.POSTokenizer(tokenizer).cut(text, HMM=...)`` on the default dictionary
(a test compares them on the bundled articles). The algorithms below follow jieba 0.42.1
(MIT licence): ``Tokenizer.get_DAG``, ``calc`` and ``cut``; ``POSTokenizer``'s
``__cut_internal``, ``__cut_DAG``, ``__cut_DAG_NO_HMM`` and ``__cut_detail``; and
``jieba.posseg.viterbi``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import logging
import marshal
import mmap
import os
import re
import struct
import sys
import tempfile
import threading
from collections.abc import Iterator, KeysView, Mapping
from dataclasses import dataclass, field
from math import log
from pathlib import Path
from typing import Any

__all__ = ["Segmenter", "default_segmenter"]

logger = logging.getLogger(__name__)
logger.addHandler(logging.NullHandler())

FORMAT = 2
_MAGIC = b"zhnews-qa jieba buckets\n"
# The jieba files the data comes from: a change to any of them makes a new cache file.
_SOURCES = (
    "__init__.py",
    "dict.txt",
    "posseg/__init__.py",
    "posseg/char_state_tab.py",
    "posseg/prob_start.py",
    "posseg/prob_trans.py",
    "posseg/prob_emit.py",
)

# jieba/__init__.py
_RE_HAN_DEFAULT = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._%\\-]+)", re.U)
_RE_SKIP_DEFAULT = re.compile("(\r\n|\\s)", re.U)
_RE_ENG = re.compile("[a-zA-Z0-9]", re.U)
# jieba/posseg/__init__.py
_RE_HAN_DETAIL = re.compile("([\u4e00-\u9fd5]+)")
_RE_SKIP_DETAIL = re.compile("([\\.0-9]+|[a-zA-Z0-9]+)")
_RE_HAN_INTERNAL = re.compile("([\u4e00-\u9fd5a-zA-Z0-9+#&\\._]+)")
_RE_SKIP_INTERNAL = re.compile("(\r\n|\\s)")
_RE_POS_ENG = re.compile("[a-zA-Z0-9]+")
_RE_NUM = re.compile("[\\.0-9]+")
_RE_ENG1 = re.compile("^[a-zA-Z0-9]$", re.U)
# jieba/posseg/viterbi.py
_MIN_FLOAT = -3.14e100
_MIN_INF = float("-inf")

State = tuple[str, str]


@dataclass(frozen=True, slots=True)
class _Bucket:
    """What jieba knows of the words and of the character that start with one character.

    Attributes:
        freq: jieba's prefix dictionary for these words (prefixes of words have 0).
        tags: the part-of-speech tag of each dictionary word.
        states: the tagger's possible states for the character (None: any state).
        emit: the tagger's emission log-probability of the character, per state.
    """

    freq: dict[str, int] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    states: tuple[State, ...] | None = None
    emit: dict[State, float] = field(default_factory=dict)


_EMPTY = _Bucket()
_ABSENT = object()  # a sentinel: no such word or prefix


class Segmenter:
    """jieba's dictionary segmentation and part-of-speech tagging (see the module).

    Use :func:`default_segmenter` for the process's shared one; build one with
    :meth:`open`. Thread-safe: buckets are decoded on first use, at worst twice.
    """

    def __init__(
        self,
        total: int,
        start_p: Mapping[State, float],
        trans_p: Mapping[State, Mapping[State, float]],
        read: Any,
    ) -> None:
        """
        Args:
            total: the sum of the dictionary's frequencies (jieba's ``total``).
            start_p: the tagger's start log-probabilities.
            trans_p: the tagger's transition log-probabilities.
            read: ``read(char) -> _Bucket | None``, the bucket of a first character.
        """
        self.total = total
        self._logtotal = log(total)
        self._start_p = start_p
        self._trans_p = trans_p
        self._all_states: KeysView[State] = trans_p.keys()
        self._read = read
        self._buckets: dict[str, _Bucket] = {}

    @classmethod
    def open(cls, cache_dir: str | Path | None = None) -> Segmenter:
        """The segmenter over the installed jieba's default dictionary.

        Args:
            cache_dir: where the bucket file is kept (default: the system's temporary
                directory, where jieba keeps its own cache). The first call writes it
                from jieba's files (a few seconds); where it cannot be written, the
                data is kept in memory.

        Raises:
            ImportError: when jieba is not installed.
        """
        sources = _jieba_sources()
        directory = Path(cache_dir) if cache_dir is not None else Path(tempfile.gettempdir())
        path = directory / f"zhnews-qa-jieba-{_owner()}-{_key(sources)}.cache"
        opened = _open_cache(path)
        if opened is not None:
            return opened
        total, start_p, trans_p, buckets = _from_jieba()
        try:
            _write_cache(path, total, start_p, trans_p, buckets)
        except OSError as exc:
            logger.warning("could not write jieba's word cache %s (%s): kept in memory", path, exc)
        else:
            opened = _open_cache(path)
            if opened is not None:
                return opened
        return cls(total, start_p, trans_p, buckets.get)

    def _bucket(self, char: str) -> _Bucket:
        bucket = self._buckets.get(char)
        if bucket is None:
            bucket = self._read(char) or _EMPTY
            self._buckets[char] = bucket
        return bucket

    # jieba.Tokenizer

    def _dag(
        self, sentence: str, freqs: list[dict[str, int]] | None = None
    ) -> dict[int, list[int]]:
        if freqs is None:
            freqs = [self._bucket(ch).freq for ch in sentence]
        dag: dict[int, list[int]] = {}
        n = len(sentence)
        for k in range(n):
            get = freqs[k].get
            ends: list[int] = []
            i = k
            frag = sentence[k]
            while i < n:
                count = get(frag, _ABSENT)
                if count is _ABSENT:
                    break
                if count:
                    ends.append(i)
                i += 1
                frag = sentence[k : i + 1]
            dag[k] = ends or [k]
        return dag

    def _route(self, sentence: str) -> dict[int, tuple[float, int]]:
        freqs = [self._bucket(ch).freq for ch in sentence]
        dag = self._dag(sentence, freqs)
        n = len(sentence)
        route: dict[int, tuple[float, int]] = {n: (0, 0)}
        logtotal = self._logtotal
        for idx in range(n - 1, -1, -1):
            get = freqs[idx].get
            # max() of the (score, end) pairs: the ends differ, so no two pairs are equal.
            best: tuple[float, int] | None = None
            for x in dag[idx]:
                pair = (log(get(sentence[idx : x + 1]) or 1) - logtotal + route[x + 1][0], x)
                if best is None or pair > best:
                    best = pair
            assert best is not None  # every position has an end
            route[idx] = best
        return route

    def _cut_dag_no_hmm(self, sentence: str) -> Iterator[str]:
        route = self._route(sentence)
        x = 0
        n = len(sentence)
        buf = ""
        while x < n:
            y = route[x][1] + 1
            word = sentence[x:y]
            if _RE_ENG.match(word) and len(word) == 1:
                buf += word
                x = y
            else:
                if buf:
                    yield buf
                    buf = ""
                yield word
                x = y
        if buf:
            yield buf

    def words(self, text: str) -> list[str]:
        """jieba's words of ``text``: ``Tokenizer.lcut(text, HMM=False)``."""
        found: list[str] = []
        for blk in _RE_HAN_DEFAULT.split(text):
            if not blk:
                continue
            if _RE_HAN_DEFAULT.match(blk):
                found.extend(self._cut_dag_no_hmm(blk))
            else:
                for x in _RE_SKIP_DEFAULT.split(blk):
                    if _RE_SKIP_DEFAULT.match(x):
                        found.append(x)
                    else:
                        found.extend(x)
        return found

    # jieba.posseg.POSTokenizer

    def _tag(self, word: str) -> str:
        return self._bucket(word[0]).tags.get(word, "x")

    def _freq(self, word: str) -> int | None:
        return self._bucket(word[0]).freq.get(word)

    def _pos_cut_dag_no_hmm(self, sentence: str) -> Iterator[tuple[str, str]]:
        route = self._route(sentence)
        x = 0
        n = len(sentence)
        buf = ""
        while x < n:
            y = route[x][1] + 1
            word = sentence[x:y]
            if _RE_ENG1.match(word):
                buf += word
                x = y
            else:
                if buf:
                    yield buf, "eng"
                    buf = ""
                yield word, self._tag(word)
                x = y
        if buf:
            yield buf, "eng"

    def _pos_buffer(self, buf: str) -> Iterator[tuple[str, str]]:
        if len(buf) == 1:
            yield buf, self._tag(buf)
        elif not self._freq(buf):
            yield from self._cut_detail(buf)
        else:
            for elem in buf:
                yield elem, self._tag(elem)

    def _pos_cut_dag(self, sentence: str) -> Iterator[tuple[str, str]]:
        route = self._route(sentence)
        x = 0
        buf = ""
        n = len(sentence)
        while x < n:
            y = route[x][1] + 1
            word = sentence[x:y]
            if y - x == 1:
                buf += word
            else:
                if buf:
                    yield from self._pos_buffer(buf)
                    buf = ""
                yield word, self._tag(word)
            x = y
        if buf:
            yield from self._pos_buffer(buf)

    def _cut_detail(self, sentence: str) -> Iterator[tuple[str, str]]:
        for blk in _RE_HAN_DETAIL.split(sentence):
            if _RE_HAN_DETAIL.match(blk):
                yield from self._cut_hmm(blk)
            else:
                for x in _RE_SKIP_DETAIL.split(blk):
                    if x:
                        if _RE_NUM.match(x):
                            yield x, "m"
                        elif _RE_POS_ENG.match(x):
                            yield x, "eng"
                        else:
                            yield x, "x"

    def _cut_hmm(self, sentence: str) -> Iterator[tuple[str, str]]:
        pos_list = self._viterbi(sentence)
        begin, nexti = 0, 0
        for i, char in enumerate(sentence):
            pos = pos_list[i][0]
            if pos == "B":
                begin = i
            elif pos == "E":
                yield sentence[begin : i + 1], pos_list[i][1]
                nexti = i + 1
            elif pos == "S":
                yield char, pos_list[i][1]
                nexti = i + 1
        if nexti < len(sentence):
            yield sentence[nexti:], pos_list[nexti][1]

    def _viterbi(self, obs: str) -> list[State]:
        """jieba.posseg.viterbi, with each character's emissions from its bucket."""
        start_p, trans_p, all_states = self._start_p, self._trans_p, self._all_states
        buckets = [self._bucket(c) for c in obs]
        v: list[dict[State, float]] = [{}]
        mem_path: list[dict[State, State]] = [{}]
        first = buckets[0]
        for y in all_states if first.states is None else first.states:
            v[0][y] = start_p[y] + first.emit.get(y, _MIN_FLOAT)
            mem_path[0][y] = ("", "")
        for t in range(1, len(obs)):
            v.append({})
            mem_path.append({})
            prev_states = [x for x in mem_path[t - 1] if len(trans_p[x]) > 0]
            prev_states_expect_next = {y for x in prev_states for y in trans_p[x]}
            here = buckets[t]
            obs_states = (
                set(all_states if here.states is None else here.states) & prev_states_expect_next
            )
            if not obs_states:
                obs_states = prev_states_expect_next if prev_states_expect_next else set(all_states)
            emit = here.emit
            for y in obs_states:
                prob, state = max(
                    (v[t - 1][y0] + trans_p[y0].get(y, _MIN_INF) + emit.get(y, _MIN_FLOAT), y0)
                    for y0 in prev_states
                )
                v[t][y] = prob
                mem_path[t][y] = state
        _, state = max((v[-1][y], y) for y in mem_path[-1])
        route: list[State] = [("", "")] * len(obs)
        for i in range(len(obs) - 1, -1, -1):
            route[i] = state
            state = mem_path[i][state]
        return route

    def tagged(self, text: str, hmm: bool = True) -> list[tuple[str, str]]:
        """jieba's words of ``text`` with their part-of-speech tags:
        ``POSTokenizer.lcut(text, HMM=hmm)`` as ``(word, flag)`` pairs."""
        found: list[tuple[str, str]] = []
        cut = self._pos_cut_dag if hmm else self._pos_cut_dag_no_hmm
        for blk in _RE_HAN_INTERNAL.split(text):
            if _RE_HAN_INTERNAL.match(blk):
                found.extend(cut(blk))
            else:
                for x in _RE_SKIP_INTERNAL.split(blk):
                    if _RE_SKIP_INTERNAL.match(x):
                        found.append((x, "x"))
                    else:
                        for xx in x:
                            if _RE_NUM.match(xx):
                                found.append((xx, "m"))
                            elif _RE_POS_ENG.match(x):  # sic: jieba tests x, not xx
                                found.append((xx, "eng"))
                            else:
                                found.append((xx, "x"))
        return found


_LOCK = threading.Lock()
_DEFAULT: list[Segmenter] = []


def default_segmenter(cache_dir: str | Path | None = None) -> Segmenter:
    """The process's segmenter, opened on first use (see :meth:`Segmenter.open`;
    ``cache_dir`` counts on the first call only)."""
    if not _DEFAULT:
        with _LOCK:
            if not _DEFAULT:
                _DEFAULT.append(Segmenter.open(cache_dir))
    return _DEFAULT[0]


# The cache file


def _jieba_sources() -> list[Path]:
    """jieba's data files, found without importing jieba."""
    spec = importlib.util.find_spec("jieba")
    if spec is None or not spec.submodule_search_locations:
        raise ImportError("jieba is not installed: pip install jieba (or reinstall zhnews-qa)")
    root = Path(next(iter(spec.submodule_search_locations)))
    return [root / name for name in _SOURCES]


def _key(sources: list[Path]) -> str:
    """A name for the data of these jieba files (their paths, sizes and times)."""
    digest = hashlib.sha256(f"{FORMAT}".encode())
    for path in sources:
        try:
            st = path.stat()
            digest.update(f"\0{path}\0{st.st_size}\0{st.st_mtime_ns}".encode())
        except OSError:
            digest.update(f"\0{path}\0missing".encode())
    return digest.hexdigest()[:16]


def _owner() -> str:
    return str(os.getuid()) if hasattr(os, "getuid") else "user"


def _open_cache(path: Path) -> Segmenter | None:
    """The segmenter over a bucket file, or None when there is none fit to read (absent,
    another user's, writable by others, or not one of ours)."""
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if hasattr(os, "getuid") and (st.st_uid != os.getuid() or st.st_mode & 0o022):
                return None
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError):
        return None
    try:
        if data[: len(_MAGIC)] != _MAGIC:
            return None
        (size,) = struct.unpack_from("<Q", data, len(_MAGIC))
        at = len(_MAGIC) + 8
        header = marshal.loads(data[at : at + size])
        if header.get("format") != FORMAT:
            return None
        body = at + size
        index: dict[str, tuple[int, int]] = header["index"]
        shared: tuple[State, ...] = tuple(header["states"])
    except (ValueError, EOFError, TypeError, KeyError, struct.error):
        return None

    def read(char: str) -> _Bucket | None:
        where = index.get(char)
        if where is None:
            return None
        start, length = where
        freq, tags, states, emit = marshal.loads(data[body + start : body + start + length])
        return _Bucket(
            freq,
            tags,
            None if states is None else tuple(shared[i] for i in states),
            {shared[i]: p for i, p in emit.items()},
        )

    return Segmenter(header["total"], header["start_p"], header["trans_p"], read)


def _write_cache(
    path: Path,
    total: int,
    start_p: Mapping[State, float],
    trans_p: Mapping[State, Mapping[State, float]],
    buckets: Mapping[str, _Bucket],
) -> None:
    """Write the bucket file atomically (a temporary file in the same directory, then a
    rename), readable by its owner only."""
    index: dict[str, tuple[int, int]] = {}
    blobs: list[bytes] = []
    at = 0
    states = sorted(
        {*trans_p, *(y for b in buckets.values() for y in (b.states or ()) + tuple(b.emit))}
    )
    number = {y: i for i, y in enumerate(states)}
    for char, b in buckets.items():
        # marshal writes an object referenced twice once: the tags' keys are the
        # frequencies' own (one string per word when read back), tags interned.
        words = {w: w for w in b.freq}
        tags = {words.get(w, w): sys.intern(t) for w, t in b.tags.items()}
        blob = marshal.dumps(
            (
                b.freq,
                tags,
                None if b.states is None else tuple(number[y] for y in b.states),
                {number[y]: p for y, p in b.emit.items()},
            )
        )
        index[char] = (at, len(blob))
        blobs.append(blob)
        at += len(blob)
    header = marshal.dumps(
        {
            "format": FORMAT,
            "total": total,
            "start_p": dict(start_p),
            "trans_p": {k: dict(v) for k, v in trans_p.items()},
            "states": states,
            "index": index,
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(_MAGIC)
            f.write(struct.pack("<Q", len(header)))
            f.write(header)
            for blob in blobs:
                f.write(blob)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _from_jieba() -> tuple[
    int, dict[State, float], dict[State, dict[State, float]], dict[str, _Bucket]
]:
    """jieba's data, bucketed by first character (imports jieba: a few seconds)."""
    import jieba
    import jieba.posseg

    logging.getLogger("jieba").setLevel(logging.WARNING)
    tagger = jieba.posseg.POSTokenizer(jieba.Tokenizer())
    freq, total = jieba.Tokenizer.gen_pfdict(tagger.tokenizer.get_dict_file())
    buckets: dict[str, _Bucket] = {}

    def bucket(char: str) -> _Bucket:
        found = buckets.get(char)
        if found is None:
            found = buckets[char] = _Bucket()
        return found

    for word, count in freq.items():
        bucket(word[0]).freq[word] = count
    for word, tag in tagger.word_tag_tab.items():
        bucket(word[0]).tags[word] = tag
    for char, states in jieba.posseg.char_state_tab_P.items():
        found = bucket(char)
        buckets[char] = _Bucket(found.freq, found.tags, tuple(states), found.emit)
    for state, chars in jieba.posseg.emit_P.items():
        for char, p in chars.items():
            bucket(char).emit[state] = p
    return total, dict(jieba.posseg.start_P), dict(jieba.posseg.trans_P), buckets
