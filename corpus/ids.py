"""Document ids that do not depend on where a collection happens to lie.

An article's id comes from, in this order:

1. an id its source states (the ``id`` field of a ``.jsonl`` line);
2. its canonical URL (``<link rel=canonical>``, ``og:url``, the ``url`` field of a
   ``.jsonl`` line, a WARC record's target URI), normalised with courlan: scheme and host
   case, default ports, fragments and tracking parameters do not matter, and ``http``
   and ``https`` name the same page;
3. its path relative to the folder given to the loader (the file name for a single file
   argument), with ``/`` separators, plus ``:line`` for a ``.jsonl`` line.

So ``qa ingest /data/news`` and ``qa ingest ~/copy-of-news`` give the same ids, and a page
fetched twice under two URL spellings is one document. Two different files at the same
relative path in two different folders are, to the index, the same article: the later
one replaces the earlier (give such collections a parent folder, or canonical URLs).
"""

from __future__ import annotations

from pathlib import PurePath
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from corpus.types import stable_id

__all__ = ["ID_SCHEME", "canonical_url", "path_id", "relative_name", "url_id"]

ID_SCHEME = "ids/2"
"""Version of the id scheme (2: canonical URL or relative path; 1 hashed the path as
given). Indexes record it through their format version."""

# Query parameters that only say how a reader arrived (courlan strips utm_* and the like).
_TRACKING = frozenset(
    {"spm", "from", "scene", "isappinstalled", "share_token", "shareuid", "wfr", "tt_from"}
)


def canonical_url(url: str, base: str = "") -> str:
    """The normalised absolute form of a page URL, or "" where it is not one.

    Args:
        url: the URL as found (possibly relative).
        base: the URL to resolve a relative ``url`` against ("" for none).

    Returns:
        ``https://www.example.com/a/b.html?id=3``: lower-case scheme and host, no default
        port, no fragment, no tracking parameters, query parameters sorted; "" for an
        empty, relative (without ``base``) or non-HTTP URL.
    """
    from courlan import normalize_url

    url = url.strip()
    if not url:
        return ""
    if base and not urlsplit(url).scheme:
        url = urljoin(base, url)
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    try:
        normal = normalize_url(url, strict=False, trailing_slash=False)
    except ValueError:  # an unparseable port or host
        return ""
    parts = urlsplit(normal)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    query = urlencode(sorted((k, v) for k, v in pairs if k not in _TRACKING))
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", query, ""))


def url_id(url: str) -> str:
    """The id of the article at ``url`` (scheme-insensitive; see :func:`canonical_url`).

    Raises:
        ValueError: when ``url`` is not an absolute HTTP(S) URL.
    """
    normal = canonical_url(url)
    if not normal:
        raise ValueError(f"not an absolute http(s) URL: {url!r}")
    return stable_id("url", normal.split("://", 1)[1])


def path_id(relative: str) -> str:
    """The id of the article at ``relative`` (a path relative to the ingested folder, or
    a file name; ``:line`` appended for a ``.jsonl`` line)."""
    return stable_id("path", relative.replace("\\", "/").lstrip("/"))


def relative_name(path: PurePath, root: PurePath | None) -> str:
    """``path`` relative to ``root`` with ``/`` separators; its name where ``root`` is None
    or does not contain it."""
    if root is not None:
        try:
            return path.relative_to(root).as_posix()
        except ValueError:
            pass
    return path.name
