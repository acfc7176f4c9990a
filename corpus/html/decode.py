"""Decode a web page: its declared charset first, else the detection of article files."""

from __future__ import annotations

import codecs
import logging
import re

from corpus.encoding import decode_bytes

__all__ = ["declared_charset", "decode_page"]

logger = logging.getLogger(__name__)

_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:\-]+)", re.I)
_HEAD_BYTES = 4096
# Declarations that say nothing about Chinese text: a page "in" ISO-8859-1 that holds
# Chinese is mislabelled, and decoding it as declared always succeeds, as mojibake.
_UNINFORMATIVE = frozenset({"iso8859-1", "ascii", "cp1252"})


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
    """The charset a page declares in a ``<meta>`` near its start, or ""."""
    m = _META_CHARSET.search(data[:_HEAD_BYTES])
    return m.group(1).decode("ascii", "replace") if m else ""


def decode_page(data: bytes, name: str, declared: str = "") -> str:
    """Decode the bytes of a web page.

    A byte-order mark wins; then the charset declared by the transport (``declared``,
    such as a WARC record's ``Content-Type``) or by the page's ``<meta>``, where the bytes
    decode strictly with it; otherwise the detection used for article files
    (:func:`corpus.encoding.decode_bytes`: UTF-8, else GB18030 or Big5 by plausibility).

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
    return decode_bytes(data, name)
