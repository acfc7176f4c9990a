"""The sources block appended to a chat answer's content for chat UIs that show only
``content`` (Open WebUI, LibreChat, ...): each ``[n]`` source with its title, outlet,
date and quote, as Markdown that also reads well as plain text."""

from __future__ import annotations

from collections.abc import Sequence

from qa import Citation

__all__ = ["SOURCES_HEADING", "sources_block"]

SOURCES_HEADING = "\n\n---\n**来源 Sources**\n"
"""Where the block starts in the content (a client sending the answer back as history
has it cut off there)."""


def sources_block(citations: Sequence[Citation]) -> str:
    """The block for ``citations``: "" when there are none (an abstention).

    Each source is ``[n] title · outlet · date`` (and its ``http(s)`` URL where it has
    one) followed by its quote as a Markdown block quote, verbatim.
    """
    if not citations:
        return ""
    parts = [SOURCES_HEADING]
    for c in citations:
        head = " · ".join(x for x in (c.title, c.outlet, c.date) if x) or c.doc_id
        if c.url.startswith(("http://", "https://")):
            head += f" · {c.url}"
        quote = "\n".join(f"> {line}" for line in c.quote.splitlines() or [""])
        parts.append(f"\n[{c.marker}] {head}\n{quote}\n")
    return "".join(parts)
