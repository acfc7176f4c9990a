"""Unit tests of the extractive answerer: terms, support scores, trimming, rendering,
abstention, and the support score's independence of the BM25 tokenizer."""

from __future__ import annotations

import pytest

from corpus.chunking import ChunkingConfig, chunk_documents
from corpus.types import Document
from embeddings.store import IndexSettings, IndexSnapshot, build_snapshot
from qa import Draft, Passage, Question
from qa.answering import ExtractiveAnswerer, TermStatistics, make_answerer
from qa.answering.extractive import abstain_text, expected_answer_type, strip_question_words
from qa.config import AssistantConfig

DOCS = (
    Document(
        id="d1",
        title="白马湖实验室",
        text=(
            "白马湖实验室于2021年成立。"
            "据悉，白马湖实验室由浙江省能源集团牵头共建，首批成员单位共有20家国企，"
            "实验室位于杭州市滨江区，今年发布了无人智能清舱装备。"
            "示范区全长86公里。"
        ),
        source="d1.txt",
        outlet="示例网",
    ),
    Document(
        id="d2",
        title="长三角",
        text="長三角三省一市前三季度的GDP總量達23.2萬億元。會議在杭州召開。",
        source="d2.txt",
    ),
    Document(id="d3", title="天气", text="台风登陆广东，气象台发布暴雨红色预警。", source="d3.txt"),
)


def _snapshot(tokenizer: str = "char12") -> IndexSnapshot:
    chunks = chunk_documents(DOCS, ChunkingConfig(300, 50))
    return build_snapshot(DOCS, chunks, IndexSettings(tokenizer=tokenizer), encoder=None)


@pytest.fixture(scope="module")
def snapshot() -> IndexSnapshot:
    return _snapshot()


@pytest.fixture(scope="module")
def answerer(snapshot: IndexSnapshot) -> ExtractiveAnswerer:
    return ExtractiveAnswerer(TermStatistics.for_snapshot(snapshot))


def _passages(snapshot: IndexSnapshot, *doc_ids: str) -> list[Passage]:
    out = []
    for rank, doc_id in enumerate(doc_ids, start=1):
        for chunk in snapshot.chunks:
            if chunk.doc_id == doc_id:
                doc = snapshot.doc_by_id[doc_id]
                out.append(Passage(chunk, doc, score=1.0 / rank, rank=rank))
    return out


def test_question_words_are_blanked_and_rare_terms_weigh_more(
    answerer: ExtractiveAnswerer,
) -> None:
    assert "什么" not in strip_question_words("白马湖实验室发布了什么?")
    terms = answerer.question_terms("杭州的白马湖实验室由哪家企业牵头共建?")
    assert "哪" not in terms and "家" not in terms  # the interrogative 哪家 goes as a whole
    assert terms["牵头"] > terms["杭"] > 0  # 牵头 is in one chunk, 杭 in two
    assert answerer.question_terms("什么?") == {}


def test_coverage_is_the_weighted_share_of_question_terms(answerer: ExtractiveAnswerer) -> None:
    question = "白马湖实验室由哪家企业牵头共建?"
    terms = answerer.question_terms(question)
    assert answerer.coverage(terms, question) == pytest.approx(1.0)
    assert answerer.coverage(terms, "台风登陆广东") == 0.0
    partial = answerer.coverage(terms, "白马湖实验室")
    expected = sum(w for t, w in terms.items() if t in "白马湖实验室") / sum(terms.values())
    assert 0 < partial < 1 and partial == pytest.approx(expected)
    assert answerer.coverage({}, "任何文字") == 0.0


def test_expected_answer_type() -> None:
    assert expected_answer_type("示范区全长多少公里?") == "number"
    assert expected_answer_type("實驗室是哪年成立的?") == "date"
    assert expected_answer_type("白马湖实验室由谁牵头?") == ""


def test_best_sentence_is_cited_with_an_exact_quote(
    snapshot: IndexSnapshot, answerer: ExtractiveAnswerer
) -> None:
    draft = answerer.answer(Question("白马湖实验室由哪家企业牵头共建?"), _passages(snapshot, "d1"))
    assert isinstance(draft, Draft) and not draft.abstained
    assert "浙江省能源集团" in draft.text and draft.text.endswith("[1]")
    c = draft.citations[0]
    assert c.marker == 1 and c.doc_id == "d1" and c.outlet == "示例网"
    assert c.quote == DOCS[0].text[c.start : c.end]
    assert c.quote.startswith("据悉，白马湖实验室由浙江省能源集团")
    assert draft.generator == "extractive" and 0.4 <= draft.confidence <= 1.0


def test_long_sentences_are_trimmed_to_the_matching_clauses(
    snapshot: IndexSnapshot, answerer: ExtractiveAnswerer
) -> None:
    draft = answerer.answer(
        Question("白马湖实验室首批成员单位共有多少家国企?"), _passages(snapshot, "d1")
    )
    assert "20家国企" in draft.text
    assert "清舱装备" not in draft.text  # the far clause is trimmed away
    assert not draft.text.startswith("据悉")  # a bare lead-in is not kept


def test_number_question_keeps_the_clause_with_the_number(
    snapshot: IndexSnapshot, answerer: ExtractiveAnswerer
) -> None:
    draft = answerer.answer(Question("示范区全长多少公里?"), _passages(snapshot, "d1"))
    assert "86公里" in draft.text


def test_answer_is_written_in_the_questions_script(
    snapshot: IndexSnapshot, answerer: ExtractiveAnswerer
) -> None:
    simplified = answerer.answer(
        Question("长三角前三季度的GDP总量是多少?"), _passages(snapshot, "d2")
    )
    assert "23.2万亿元" in simplified.text
    assert "23.2萬億元" in simplified.citations[0].quote  # the quote keeps the source script
    traditional = answerer.answer(
        Question("長三角前三季度的GDP總量是多少?"), _passages(snapshot, "d2")
    )
    assert "23.2萬億元" in traditional.text


def test_sentences_from_several_passages_get_their_own_markers(
    snapshot: IndexSnapshot,
) -> None:
    answerer = ExtractiveAnswerer(TermStatistics.for_snapshot(snapshot), abstain_threshold=0.1)
    draft = answerer.answer(
        Question("会议在杭州召开，台风登陆广东?"), _passages(snapshot, "d2", "d3")
    )
    assert [c.marker for c in draft.citations] == list(range(1, len(draft.citations) + 1))
    for c in draft.citations:
        assert f"[{c.marker}]" in draft.text
        doc = snapshot.doc_by_id[c.doc_id]
        assert doc.text[c.start : c.end] == c.quote


def test_abstains_below_the_threshold(snapshot: IndexSnapshot) -> None:
    strict = ExtractiveAnswerer(TermStatistics.for_snapshot(snapshot), abstain_threshold=1.0)
    draft = strict.answer(Question("白马湖实验室由哪家企业牵头共建?"), _passages(snapshot, "d1"))
    assert draft.abstained and draft.citations == () and draft.text == abstain_text("x")
    lenient = ExtractiveAnswerer(TermStatistics.for_snapshot(snapshot), abstain_threshold=0.0)
    off_topic = lenient.answer(Question("量子计算机的原理?"), _passages(snapshot, "d1"))
    assert off_topic.abstained and off_topic.confidence == 0.0  # nothing matches at all
    assert abstain_text("這是什麼?") != abstain_text("这是什么?")  # in the question's script


def test_follow_up_is_matched_on_its_focus(
    snapshot: IndexSnapshot, answerer: ExtractiveAnswerer
) -> None:
    question = Question(
        "它位于哪里?",
        query="白马湖实验室位于哪里?",
        focus="位于哪里",
        history=(("白马湖实验室由哪家企业牵头共建?", ""),),
    )
    assert question.is_follow_up
    draft = answerer.answer(question, _passages(snapshot, "d1"))
    assert not draft.abstained and "滨江区" in draft.text


def test_support_score_does_not_depend_on_the_bm25_tokenizer() -> None:
    char12 = _snapshot("char12")
    jieba = _snapshot("jieba")
    a = ExtractiveAnswerer(TermStatistics.for_snapshot(char12))
    b = ExtractiveAnswerer(TermStatistics.for_snapshot(jieba))
    question = "白马湖实验室由哪家企业牵头共建?"
    assert a.question_terms(question) == pytest.approx(b.question_terms(question))
    da = a.answer(Question(question), _passages(char12, "d1"))
    db = b.answer(Question(question), _passages(jieba, "d1"))
    assert da.confidence == pytest.approx(db.confidence) and da.text == db.text


def test_constructor_and_factory_validate(snapshot: IndexSnapshot) -> None:
    terms = TermStatistics.for_snapshot(snapshot)
    with pytest.raises(ValueError, match="max_sentences"):
        ExtractiveAnswerer(terms, max_sentences=4)
    with pytest.raises(ValueError, match="answer_passages"):
        ExtractiveAnswerer(terms, answer_passages=0)
    with pytest.raises(ValueError, match="abstain_threshold"):
        ExtractiveAnswerer(terms, abstain_threshold=1.5)
    answerer = make_answerer(AssistantConfig(model="", abstain_threshold=0.3), snapshot)
    assert isinstance(answerer, ExtractiveAnswerer) and answerer.abstain_threshold == 0.3
    with pytest.raises(ValueError, match="unknown generator"):
        AssistantConfig(generator="nope")
