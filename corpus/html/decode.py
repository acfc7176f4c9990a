"""Decode a web page: its declared charset first, else the detection of article files."""

from __future__ import annotations

import codecs
import logging
import re

from corpus.encoding import decode_bytes, plausibly_chinese
from corpus.errors import UnreadableFileError

__all__ = ["declared_charset", "decode_page"]

logger = logging.getLogger(__name__)

_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]+)", re.I)
# An XML declaration, or a wrapper element of a saved page, that names the encoding.
_XML_ENCODING = re.compile(
    rb"<[?A-Za-z][^>]{0,300}?\sencoding\s*=\s*[\"']([A-Za-z0-9_.:\-]+)", re.I
)
_HEAD_BYTES = 4096
# Declarations that say nothing about Chinese text: a page "in" ISO-8859-1 that holds
# Chinese is mislabelled, and decoding it as declared always succeeds, as mojibake.
_UNINFORMATIVE = frozenset({"iso8859-1", "ascii", "cp1252"})
# Saved pages are often cut inside a character or hold a stray byte: a page that decodes
# with its declared (or the detected) charset except for a few bytes is read with those
# bytes replaced by U+FFFD; more than this share of bad bytes means a wrong charset.
_MAX_BAD_SHARE = 0.001
_MIN_BAD_ALLOWED = 8


def _codec(charset: str) -> str:
    """The codec to decode a declared charset with ("" for unknown or uninformative)."""
    if not charset:
        return ""
    try:
        name = codecs.lookup(charset.strip().strip("\"'").lower()).name
    except LookupError:
        return ""
    if name in {"gb2312", "gbk", "gb18030", "hz"}:
        return "gb18030"  # a superset: pages labelled gb2312 routinely use GBK characters
    if name in {"big5", "cp950"}:
        return "big5hkscs"
    if name in _UNINFORMATIVE:
        return ""
    return name


def declared_charset(data: bytes) -> str:
    """The charset a page declares near its start (a ``<meta>`` charset, else an XML
    declaration's or a wrapper element's ``encoding``), or ""."""
    head = data[:_HEAD_BYTES]
    m = _META_CHARSET.search(head) or _XML_ENCODING.search(head)
    return m.group(1).decode("ascii", "replace") if m else ""


def _nearly(data: bytes, codec: str) -> str | None:
    """The text where ``data`` decodes with ``codec`` but for a few bad bytes, else None."""
    try:
        text = data.decode(codec, errors="replace")
    except LookupError:
        return None
    bad = text.count("\ufffd")
    if bad > max(_MIN_BAD_ALLOWED, int(len(data) * _MAX_BAD_SHARE)):
        return None
    if not text.strip() or "\x00" in text or not plausibly_chinese(text.replace("\ufffd", "")):
        return None
    return text


def decode_page(data: bytes, name: str, declared: str = "") -> str:
    """Decode the bytes of a web page.

    A byte-order mark wins; then the charset declared by the transport (``declared``,
    such as a WARC record's ``Content-Type``) or by the page's ``<meta>``, where the bytes
    decode strictly with it; otherwise the detection used for article files
    (:func:`corpus.encoding.decode_bytes`: UTF-8, else GB18030 or Big5 by plausibility);
    last, a page that decodes but for a few bad bytes (at most 0.1%: a page cut inside a
    character) is read with those bytes replaced by U+FFFD.

    Args:
        data: the page's bytes.
        name: its name, for error messages.
        declared: a charset declared outside the page ("" for none).

    Returns:
        The page's text.

    Raises:
        UnreadableFileError: empty, binary, or in an encoding that cannot be detected.
    """
    if not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        for charset in (declared, declared_charset(data)):
            codec = _codec(charset)
            if not codec:
                continue
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                logger.debug("%s: declared %s but does not decode as it", name, charset)
                continue
            if text.strip() and "\x00" not in text:
                return text
    try:
        return decode_bytes(data, name)
    except UnreadableFileError:
        # A page cut inside a character, or with a stray byte: the declared charset (else
        # GB18030, UTF-8, Big5) with the few bad bytes replaced.
        declared_codecs = [_codec(c) for c in (declared, declared_charset(data))]
        for codec in (*declared_codecs, "utf-8", "gb18030", "big5hkscs"):
            nearly = _nearly(data, codec) if codec else None
            if nearly is not None:
                logger.debug("%s: decoded as %s with a few bad bytes replaced", name, codec)
                return nearly
        raise
