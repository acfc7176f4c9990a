"""Decode article bytes: UTF-8 first, then GB18030 or Big5, rejecting binary input.

Short Chinese texts are easy to mistake for the other double-byte encoding, so instead
of trusting one detector the candidates GB18030 and Big5 are both decoded strictly and
scored by how much of the result is common Chinese (characters, punctuation); the
detector of charset-normalizer only breaks ties.
"""

from __future__ import annotations

import codecs
import logging

from corpus.charsets import CJK_PUNCTUATION, is_common_cjk
from corpus.errors import UnreadableFileError

__all__ = ["decode_bytes", "plausibly_chinese"]

logger = logging.getLogger(__name__)

# Codecs tried when the bytes are not UTF-8, in order of preference on a tie.
_CANDIDATES: tuple[str, ...] = ("gb18030", "cp950", "big5hkscs")
# Share of non-ASCII characters that must be common Chinese for a decoding to count.
_MIN_PLAUSIBLE = 0.7
# Control bytes other than tab, newline, vertical tab, form feed, carriage return, escape.
_CONTROL = frozenset(range(0x00, 0x09)) | frozenset(range(0x0E, 0x1B)) | {0x1C, 0x1D, 0x1E}
_CONTROL |= {0x1F, 0x7F}


def _family(encoding: str | None) -> str:
    """Map a detector's codec name to the codec we decode with."""
    if not encoding:
        return ""
    name = codecs.lookup(encoding).name
    if name in {"gb2312", "gbk", "gb18030", "hz"}:
        return "gb18030"
    if name in {"big5", "cp950"}:
        return "cp950"
    if name == "big5hkscs":
        return "big5hkscs"
    return name


def plausibly_chinese(text: str) -> bool:
    """Whether a decoded text reads as Chinese: most of its non-ASCII characters are
    common Chinese characters or punctuation (the test :func:`decode_bytes` applies)."""
    return _plausibility(text) >= _MIN_PLAUSIBLE


def _plausibility(text: str) -> float:
    """Share of the non-ASCII characters that are common Chinese characters or punctuation."""
    non_ascii = [c for c in text if ord(c) > 0x7F]
    if not non_ascii:
        return 1.0
    good = sum(1 for c in non_ascii if is_common_cjk(c) or c in CJK_PUNCTUATION)
    return good / len(non_ascii)


def _detector_guess(data: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    return _family(best.encoding) if best is not None else ""


def _check_binary(data: bytes, name: str) -> None:
    if b"\x00" in data:
        raise UnreadableFileError(
            f"{name}: looks like a binary file (it contains NUL bytes), not an article; "
            "remove it from the input or save the article as UTF-8 text"
        )
    controls = sum(1 for b in data if b in _CONTROL)
    if controls > max(2, len(data) // 100):
        raise UnreadableFileError(
            f"{name}: looks like a binary file ({controls} control bytes), not an article; "
            "remove it from the input or save the article as UTF-8 text"
        )


def _nonblank(text: str, name: str) -> str:
    if not text.strip():
        raise UnreadableFileError(
            f"{name}: the file is empty or holds only whitespace; add the article text "
            "or remove the file"
        )
    return text


def decode_bytes(data: bytes, name: str) -> str:
    """Decode the bytes of one article file.

    UTF-8 (with or without a byte-order mark) is tried first; UTF-16 with a byte-order
    mark is accepted too. Otherwise the bytes are decoded strictly as GB18030 and as Big5
    and the decoding whose text is most plausibly Chinese wins (charset-normalizer's guess
    breaks a tie).

    Args:
        data: the raw file content.
        name: the file's name, used in error messages.

    Returns:
        The decoded text (byte-order mark removed).

    Raises:
        UnreadableFileError: the content is empty or whitespace only, looks binary, or is
            in an encoding that cannot be detected (the message names the file and says
            what to do).
    """
    if not data.strip():
        _nonblank("", name)
    if data.startswith(codecs.BOM_UTF8):
        try:
            return _nonblank(data[len(codecs.BOM_UTF8) :].decode("utf-8"), name)
        except UnicodeDecodeError as exc:
            raise UnreadableFileError(
                f"{name}: starts with a UTF-8 byte-order mark but is not valid UTF-8 "
                f"({exc.reason} at byte {exc.start}); re-save the file as UTF-8"
            ) from exc
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return _nonblank(data.decode("utf-16"), name)
        except UnicodeDecodeError as exc:
            raise UnreadableFileError(
                f"{name}: starts with a UTF-16 byte-order mark but is not valid UTF-16; "
                "re-save the file as UTF-8"
            ) from exc
    _check_binary(data, name)
    try:
        return _nonblank(data.decode("utf-8"), name)
    except UnicodeDecodeError:
        pass

    scored: list[tuple[float, str, str]] = []
    for codec in _CANDIDATES:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        scored.append((_plausibility(text), codec, text))
    guess = _detector_guess(data)
    plausible = [s for s in scored if s[0] >= _MIN_PLAUSIBLE]
    if not plausible:
        hint = f" (it looks like {guess}, which is not supported)" if guess else ""
        raise UnreadableFileError(
            f"{name}: cannot detect the text encoding{hint}; articles must be UTF-8, "
            "GB18030 or Big5: re-save the file as UTF-8"
        )
    # Highest plausibility first; on a tie prefer the detector's guess, then list order.
    plausible.sort(key=lambda s: (-round(s[0], 3), s[1] != guess, _CANDIDATES.index(s[1])))
    score, codec, text = plausible[0]
    logger.debug("decoded %s as %s (plausibility %.2f)", name, codec, score)
    return _nonblank(text, name)
