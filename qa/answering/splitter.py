"""Cut generated text into sentences as it arrives, each with its trailing markers.

A sentence ends at 。！？!?；;… (runs of them), a ``.`` before whitespace (not after a digit:
``1. `` is a list item), or a line break, then any closing quotes or brackets, then the
``[n]`` markers written after it. :class:`SentenceSplitter` gives a sentence out only once
the text after it shows it is complete, so the sentences do not depend on how the text
was cut into pieces: a streamed answer and a whole one are verified alike.
"""

from __future__ import annotations

import re

__all__ = ["SentenceSplitter", "split_sentences"]

_END = re.compile(r"(?:[。！？!?；;…]+|(?<!\d)\.(?=\s)|\n)[”’」』）)】\"']*")
_TAIL = re.compile(r"(?:[ \t]*\[\d+\])*")
_PARTIAL_TAIL = re.compile(r"[ \t]*(?:\[\d*)?")


class SentenceSplitter:
    """Cuts text arriving in pieces into sentences, each with its trailing markers.

    A sentence is given out once the text after it shows it is complete (it cannot grow
    more end punctuation or markers); :meth:`close` gives out the rest. Joined, the
    sentences are the text fed, whatever the pieces.
    """

    def __init__(self) -> None:
        self._buffer = ""

    def feed(self, piece: str) -> list[str]:
        """Add ``piece``; returns the sentences it completed."""
        self._buffer += piece
        return self._take(final=False)

    def close(self) -> list[str]:
        """The remaining sentences (the last one may lack end punctuation)."""
        out = self._take(final=True)
        if self._buffer:
            out.append(self._buffer)
            self._buffer = ""
        return out

    def _take(self, *, final: bool) -> list[str]:
        out: list[str] = []
        while True:
            end = _boundary(self._buffer, final=final)
            if end is None:
                return out
            out.append(self._buffer[:end])
            self._buffer = self._buffer[end:]


def _boundary(text: str, *, final: bool) -> int | None:
    """Where the first complete sentence of ``text`` ends, or None."""
    m = _END.search(text)
    if m is None or (m.end() == len(text) and not final):
        return None
    end = _TAIL.match(text, m.end())
    assert end is not None  # the pattern matches the empty string
    stop = end.end()
    if not final and _PARTIAL_TAIL.fullmatch(text, stop):
        return None  # spaces or a marker may still follow
    return stop


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` (see :class:`SentenceSplitter`); joined they are ``text``."""
    splitter = SentenceSplitter()
    return splitter.feed(text) + splitter.close()
