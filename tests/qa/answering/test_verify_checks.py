"""Generated answers pass through the same checks as the extractive reader's: a quote that
states something other than the question supports no claim, and an answer needs a claim
whose quotes have what the question asks (qa.answering.verify with qa.answering.checks)."""

from __future__ import annotations

from corpus.types import Chunk, Document
from qa.answering.splitter import split_sentences
from qa.answering.verify import CitationVerifier, verify_text
from qa.types import Passage

MEETINGS = (
    "第六屆長三角地區國資國企聯席會議11月1日在浙江杭州召開。"
    "會議由浙江省國資委主辦，來自三省一市的國企代表參加。"
)
FIFTH = "第五屆長三角地區國資國企聯席會議2023年也在浙江杭州召開。"
ALLIANCE = (
    "長三角企業家聯盟成立於2018年，總部設在上海。"
    "該聯盟將進一步加強溝通合作。"
    "目前聯盟共有成員單位120家。"
)
SECRETARY = "聯盟秘書長由王明擔任。"


def passage(text: str, doc_id: str, rank: int = 1) -> Passage:
    doc = Document(id=doc_id, title=f"title {doc_id}", text=text, source=f"{doc_id}.txt")
    chunk = Chunk(f"{doc_id}-0000", doc_id, 0, text, 0, len(text))
    return Passage(chunk, doc, 1.0 / rank, rank=rank)


def test_a_quote_that_states_another_ordinal_supports_no_claim() -> None:
    passages = [passage(MEETINGS, "six")]
    question = "第五届长三角地区国资国企联席会议在哪里召开?"
    result = verify_text(question, "联席会议在浙江杭州召开[1]。", passages)
    assert result.kept == 0 and result.dropped == 1
    assert result.verdicts[0].reason == "constraint"
    # Without the checks, the words alone support it.
    assert verify_text(question, "联席会议在浙江杭州召开[1]。", passages, checks=()).kept == 1
    # The question about the sixth is answered.
    assert verify_text(question.replace("五", "六"), "联席会议在浙江杭州召开[1]。", passages).kept


def test_the_claim_is_re_cited_to_a_passage_that_passes() -> None:
    passages = [passage(MEETINGS, "six"), passage(FIFTH, "five", 2)]
    question = "第五届长三角地区国资国企联席会议在哪里召开?"
    result = verify_text(question, "联席会议在浙江杭州召开[1]。", passages)
    assert result.kept == 1 and result.citations[0].doc_id == "five"


def test_context_waits_for_the_claim_that_answers() -> None:
    passages = [passage(ALLIANCE + SECRETARY, "a")]
    question = "长三角企业家联盟的秘书长是谁?"
    verifier = CitationVerifier(question, passages)
    # Neither the role asked about nor any person: held back, not yet given out ...
    assert verifier.add("该联盟将进一步加强沟通合作[1]。") == ""
    # ... until a claim names who holds it: both are given out, in order.
    released = verifier.add("联盟秘书长由王明担任[1]。")
    assert released.index("沟通合作") < released.index("王明")
    result = verifier.result()
    assert result.kept == 2 and result.dropped == 0 and result.text == released
    assert [c.quote[:4] for c in result.citations] == ["該聯盟將", "聯盟秘書"]
    # Later claims are given out at once.
    assert verifier.add("联盟总部设在上海[1]。")


def test_context_without_an_answer_is_dropped() -> None:
    passages = [passage(ALLIANCE, "a")]
    question = "长三角企业家联盟的秘书长是谁?"
    text = "该联盟将进一步加强沟通合作[1]。"
    verifier = CitationVerifier(question, passages)
    assert verifier.add_all(split_sentences(text)) == ""
    result = verifier.result()
    assert result.kept == 0 and result.text == "" and result.dropped == 1
    assert result.verdicts[0].reason == "role"
    # The same claim answers a question that asks no role.
    assert verify_text("长三角企业家联盟将加强什么?", text, passages).kept == 1
