"""``qa ingest --report``: per article and page, what was kept, removed, merged, skipped."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from rich.markup import escape

from qa.cli.output import out

if TYPE_CHECKING:
    from corpus.html import DroppedRegion
    from corpus.loaders import LoadResult, PageReport
    from corpus.types import Document
    from qa.updates import DocumentLookup, IngestSummary

__all__ = ["print_report"]

_QUOTE = 80
_PER_RULE = 8


def _short(text: str, width: int = _QUOTE) -> str:
    text = text.replace("\n", "⏎")
    return escape(text if len(text) <= width else text[:width] + "…")


def _dropped_line(dropped: Sequence[DroppedRegion]) -> list[str]:
    lines = []
    for region in dropped:
        examples = ", ".join(_short(e, 30) for e in region.examples)
        unit = "elements" if region.region == "scripts/styles" else "blocks"
        lines.append(
            f"      {region.region}: {region.blocks} {unit}, {region.chars:,} chars"
            + (f" ({examples})" if examples else "")
        )
    return lines


def _print_document(doc: Document, page: PageReport | None) -> None:
    out.print(f"[bold]{escape(doc.display_title)}[/] ({escape(doc.source)})")
    out.print(f"  id: {doc.id}")
    evidence = dict(page.evidence) if page is not None else {}
    fields = {
        "published": doc.published,
        "outlet": doc.outlet,
        "reporter": doc.reporter,
        "place": doc.place,
        "url": doc.url,
    }
    fields.update(dict(doc.meta))
    names = {"reporter": "author", "outlet": "source"}
    for key, value in fields.items():
        if value:
            where = evidence.get(names.get(key, key), "")
            out.print(f"  {key}: {escape(value)}" + (f"  [dim]({where})[/]" if where else ""))
    if page is not None:
        if page.mode == "fragment":
            out.print("  extraction: a bare article fragment, kept whole")
        elif page.mode == "page":
            total = sum(r.blocks for r in page.dropped if r.region != "scripts/styles")
            chars = sum(r.chars for r in page.dropped if r.region != "scripts/styles")
            out.print(
                f"  extraction: kept {page.kept_blocks} blocks of the page; left out "
                f"{total} blocks, {chars:,} chars ({page.seconds * 1000:.0f} ms):"
            )
            for line in _dropped_line(page.dropped):
                out.print(line)
        for note in page.notes:
            out.print(f"  note: {escape(note)}")
    counts = doc.report.by_rule()
    out.print(
        "  cleaning removed: " + (", ".join(f"{k} {v}" for k, v in counts.items()) or "nothing")
    )
    shown: dict[str, int] = {}
    for removal in doc.report.removals:
        shown[removal.rule] = shown.get(removal.rule, 0) + 1
        if shown[removal.rule] <= _PER_RULE:
            where = escape(f"[{removal.rule} {removal.start}-{removal.end}]")
            out.print(f"    {where} {_short(removal.text)}")
    for rule, n in counts.items():
        if n > _PER_RULE:
            out.print(f"    … and {n - _PER_RULE} more {rule} removals")


def print_report(result: LoadResult, summary: IngestSummary, indexed: DocumentLookup) -> None:
    """Print what an ingest did with every article, page and archive record.

    Args:
        result: what the loader read (documents, page reports, skipped items).
        summary: what the index update did (merges of copies among them).
        indexed: the documents now in the index, looked up by id (for the kept side of
            each merge).
    """
    pages = {p.source: p for p in result.pages}
    # A page report names the page as given; its document's source is relative.
    page_of = {p.doc_id: p for p in result.pages if p.doc_id}
    by_id = indexed
    merged_away = {m.alternate.id: m for m in summary.merges}
    for doc in result.documents:
        merge = merged_away.get(doc.id)
        owner = (
            indexed.alternate_owner(doc.id)
            if merge is None and indexed.get(doc.id) is None
            else None
        )
        if owner is not None:
            out.print(
                f"[bold]{escape(doc.display_title)}[/] ({escape(doc.source)})\n"
                f"  a copy of {escape(f'{owner.display_title} [{owner.id}]')}, merged into it "
                "earlier; not indexed separately"
            )
            continue
        if merge is not None:
            kept = by_id.get(merge.kept)
            title = kept.display_title if kept is not None else ""
            verb = "replaced by the longer copy" if merge.replaced else "merged as a copy of"
            out.print(
                f"[bold]{escape(doc.display_title)}[/] ({escape(doc.source)})\n"
                f"  {verb} {escape(f'{title} [{merge.kept}]')} "
                f"(similarity {merge.alternate.similarity:.2f}); not indexed separately"
            )
            continue
        _print_document(doc, page_of.get(doc.id))
    if summary.merges:
        out.print(f"[bold]Copies merged[/]: {len(summary.merges)}")
        for merge in summary.merges:
            holder = by_id.get(merge.kept)
            name = holder.source if holder is not None else merge.kept
            out.print(
                f"  {escape(merge.alternate.source)} -> {escape(name)} "
                f"(similarity {merge.alternate.similarity:.2f})"
            )
    if result.skipped:
        out.print(f"[bold]Skipped[/]: {len(result.skipped)}")
        for skip in result.skipped:
            page = pages.get(skip.path)
            extra = ""
            if page is not None and page.dropped:
                regions = ", ".join(f"{r.region} {r.blocks}" for r in page.dropped[:4])
                extra = f"  [dim](page: {regions})[/]"
            code = f"{skip.code}: " if skip.code else ""
            out.print(f"  {escape(skip.path)}: {code}{escape(skip.reason)}{extra}")
