"""Citation precision, validity and sentence coverage on hand-made answers."""

from __future__ import annotations

from eval.citations import answer_sentences, score_citations
from qa import Answer, Chunk, Citation, Document, Passage

TEXT = "会议在浙江温州召开。会议发布了36个样本。联盟成立于2020年。"
DOC = Document(id="d1", title="t", text=TEXT, source="d1.txt")
OTHER = Document(id="d2", title="o", text="台风在广东登陆。", source="d2.txt")
C1 = Chunk(id="d1-0", doc_id="d1", index=0, text=TEXT[:20], start=0, end=20)
C2 = Chunk(id="d2-0", doc_id="d2", index=0, text=OTHER.text, start=0, end=8)
TEXTS = {"d1": DOC.text, "d2": OTHER.text}


def _cite(
    marker: int, doc: Document, chunk: Chunk, start: int, end: int, quote: str = ""
) -> Citation:
    return Citation(marker, doc.id, chunk.id, start, end, quote or doc.text[start:end])


def _answer(text: str, citations: tuple[Citation, ...], abstained: bool = False) -> Answer:
    passages = (Passage(C1, DOC, 1.0, rank=1), Passage(C2, OTHER, 0.5, rank=2))
    return Answer("q", text, citations, passages, abstained)


def test_all_valid_and_precise() -> None:
    ans = _answer(
        "会议在浙江温州召开 [1]；会议发布了36个样本 [2]",
        (_cite(1, DOC, C1, 0, 9), _cite(2, DOC, C1, 10, 20)),
    )
    s = score_citations(ans, gold_answers=["温州"], gold_doc_ids={"d1"}, document_text=TEXTS.get)
    assert s.citations == 2
    assert s.precision == 1.0
    assert s.markers_valid and s.quotes_valid and s.valid
    assert s.sentence_coverage == 1.0


def test_precision_counts_gold_article_or_gold_answer_in_the_passage() -> None:
    ans = _answer("甲 [1]；乙 [2]", (_cite(1, DOC, C1, 0, 9), _cite(2, OTHER, C2, 0, 7)))
    by_article = score_citations(
        ans, gold_answers=["不存在"], gold_doc_ids={"d1"}, document_text=TEXTS.get
    )
    assert by_article.precision == 0.5
    by_answer = score_citations(
        ans, gold_answers=["廣東"], gold_doc_ids=set(), document_text=TEXTS.get
    )
    assert by_answer.precision == 0.5  # traditional gold found in the simplified passage
    no_gold = score_citations(ans, gold_answers=[], gold_doc_ids=set(), document_text=TEXTS.get)
    assert no_gold.precision is None


def test_marker_without_citation_is_invalid() -> None:
    ans = _answer("甲 [1]；乙 [3]", (_cite(1, DOC, C1, 0, 9),))
    s = score_citations(ans, gold_answers=["温州"], gold_doc_ids={"d1"}, document_text=TEXTS.get)
    assert not s.markers_valid and s.quotes_valid and not s.valid


def test_quote_that_differs_from_the_source_is_invalid() -> None:
    bad = _cite(1, DOC, C1, 0, 9, quote="会议在浙江杭州召开")
    s = score_citations(
        _answer("甲 [1]", (bad,)), gold_answers=[], gold_doc_ids={"d1"}, document_text=TEXTS.get
    )
    assert s.markers_valid and not s.quotes_valid
    unknown = Citation(1, "nope", "x", 0, 1, "会")
    s = score_citations(
        _answer("甲 [1]", (unknown,)), gold_answers=[], gold_doc_ids=set(), document_text=TEXTS.get
    )
    assert not s.quotes_valid


def test_sentence_coverage() -> None:
    ans = _answer("会议在温州召开 [1]。此外还有别的。联盟成立 [1]", (_cite(1, DOC, C1, 0, 9),))
    s = score_citations(ans, gold_answers=["温州"], gold_doc_ids={"d1"}, document_text=TEXTS.get)
    assert s.sentence_coverage == 2 / 3
    assert answer_sentences("甲 [1]；乙。丙 [2]") == ["甲 [1]；", "乙。", "丙 [2]"]
    abstained = _answer("抱歉。", (), abstained=True)
    s = score_citations(abstained, gold_answers=[], gold_doc_ids=set(), document_text=TEXTS.get)
    assert s.sentence_coverage is None and s.precision is None and s.valid
