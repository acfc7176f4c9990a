"""Fakes at the seams, so HTTP, CLI and conversation tests test HTTP, CLI and
conversations, not the reader's wording (a retrained reader must not break them).

* :class:`ScriptedAnswerer` is an :class:`~qa.answering.Answerer` that answers what the
  test tells it to: for a question it knows, the passage sentence given by the script,
  quoted and cited with real offsets; for any other question, an abstention. Use it
  through :meth:`qa.Assistant.use_answerers`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from embeddings.store import IndexSnapshot
from qa.answering import ABSTAIN_TEXT
from qa.types import Citation, Draft, Passage, Question

__all__ = ["ScriptedAnswerer", "scripted"]


@dataclass(frozen=True)
class ScriptedAnswerer:
    """Answers a question with the passage sentence that contains its script's text.

    Attributes:
        script: question (as asked, or as resolved from a follow-up) -> a piece of text
            the answer sentence contains (in the document's script).
        calls: the questions it was asked, in order (for tests of what reaches it).
    """

    script: Mapping[str, str]
    calls: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return "scripted"

    def answer(self, question: Question, passages: Sequence[Passage]) -> Draft:
        self.calls.append(question.text)
        wanted = self.script.get(question.text) or self.script.get(question.query)
        for passage in passages if wanted else ():
            text = passage.document.text
            at = text.find(wanted, passage.chunk.start, passage.chunk.end)
            if at < 0:
                continue
            start = max(text.rfind(end, 0, at) for end in "。！？\n") + 1
            stop = min(
                (i for i in (text.find(e, at) for e in "。！？\n") if i >= 0), default=len(text)
            )
            stop = min(stop + 1, len(text))
            doc = passage.document
            citation = Citation(
                marker=1,
                doc_id=doc.id,
                chunk_id=passage.chunk.id,
                start=start,
                end=stop,
                quote=text[start:stop],
                title=doc.display_title,
                outlet=doc.outlet,
                date=doc.published,
                url=doc.url,
            )
            return Draft(
                text=f"{text[start:stop].strip()} [1]",
                citations=(citation,),
                confidence=0.9,
                short_answer=wanted,
                generator=self.name,
            )
        return Draft(text=ABSTAIN_TEXT, abstained=True, generator=self.name)


def scripted(script: Mapping[str, str]) -> tuple[ScriptedAnswerer, object]:
    """A scripted answerer and the factory that gives it to every snapshot
    (``assistant.use_answerers(factory)``)."""
    answerer = ScriptedAnswerer(dict(script))

    def factory(snapshot: IndexSnapshot) -> ScriptedAnswerer:
        return answerer

    return answerer, factory
