"""Evidence for the check tests: sentences of short articles, prepared as the reader
prepares them (one chunk, every sentence a candidate with the one before it)."""

from __future__ import annotations

from corpus.chunking import ChunkingConfig, chunk_documents
from corpus.normalize import normalize_for_matching
from corpus.types import Document
from embeddings.store import IndexSettings, IndexSnapshot, build_snapshot
from qa import Passage, TermStatistics, analyze_question
from qa.analysis.question import QuestionAnalysis
from qa.answering.checks import Check, Evidence
from qa.answering.extractive.sentences import Candidate, SentencePool

SENTENCES = (
    "第六屆長三角地區國資國企聯席會議在浙江杭州召開。",
    "此前，長三角企業家聯盟已推動成立三批共14個產業鏈聯盟。",
    "會上發布了《長三角國資國企發展新質生產力倡議書》。",
    "國務院國資委規劃發展局副局長尚鵬出席會議並講話。",
    "該聯盟成立後將進一步加強溝通合作。",
    "第四批產業鏈聯盟在會上集中授牌。",
)
"""The article most cases read: sentence ``i`` is read with sentence ``i - 1``."""


def candidates_of(doc: Document) -> list[Candidate]:
    """The candidate sentences of one document indexed alone (one chunk)."""
    snapshot: IndexSnapshot = build_snapshot(
        (doc,), chunk_documents((doc,), ChunkingConfig(300, 50)), IndexSettings(), encoder=None
    )
    passage = Passage(snapshot.chunks[0], snapshot.documents[0], score=1.0, rank=1)
    return SentencePool(TermStatistics.for_snapshot(snapshot)).candidates([passage])


def evidence(candidate: Candidate, answer: str = "") -> Evidence:
    """The evidence of a candidate sentence, with a short answer (folded here)."""
    return Evidence(
        candidate.sentence,
        candidate.previous,
        candidate.passage.document,
        normalize_for_matching(answer),
    )


def text_evidence(text: str, *, published: str = "", answer: str = "") -> Evidence:
    """The evidence of the first sentence of an article of ``text``."""
    doc = Document(id="t", title="", text=text, source="t.txt", published=published)
    return evidence(candidates_of(doc)[0], answer)


def fires(check: Check, question: str, evidence: Evidence) -> bool:
    """Whether ``check`` fires for ``question`` (any script) on ``evidence``."""
    analysis: QuestionAnalysis = analyze_question(question)
    return check.fires(analysis, evidence)
