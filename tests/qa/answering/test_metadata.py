"""Questions about the article itself (reporter, publication date, outlet): answered from
the dateline, byline and loaded metadata, cited where the text states it, an abstention
where the article does not state it; both scripts."""

from __future__ import annotations

import pytest

from qa import Assistant, AssistantConfig, Document
from qa.answering.metadata import answer_metadata, metadata_field, metadata_value
from qa.types import Passage


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ("中新网这篇报道的记者是谁?", "reporter"),
        ("中新網這篇報道的記者是誰?", "reporter"),
        ("记者是谁?", "reporter"),
        ("這篇文章的作者是誰?", "reporter"),
        ("这篇文章是哪天发布的?", "published"),
        ("哪天发布的?", "published"),
        ("這篇報道是什麼時候發表的?", "published"),
        ("这篇报道来自哪家媒体?", "outlet"),
        ("這篇新聞的來源是哪家媒體?", "outlet"),
    ],
)
def test_questions_about_the_article_are_recognised(question: str, field: str) -> None:
    assert metadata_field(question) == field


@pytest.mark.parametrize(
    "question",
    [
        "倡议书是哪天发布的?",  # a date the article reports, not its own
        "采访尚鹏的记者是谁?",
        "国务院国资委规划发展局副局长是谁?",
        "从会议现场了解到长三角产业链联盟情况的是哪家媒体?",
        "会上发布了什么倡议书?",
        "長三角三省一市前三季度的GDP總量是多少?",
    ],
)
def test_questions_about_what_the_article_reports_are_left_to_the_reader(question: str) -> None:
    assert metadata_field(question) is None


@pytest.mark.parametrize(
    ("question", "label", "value"),
    [
        ("中新网这篇报道的记者是谁?", "记者：", "奚金燕"),
        ("中新網這篇報道的記者是誰?", "記者：", "奚金燕"),
        ("中新网这篇报道是哪天发布的?", "发布时间：", "11月1日"),
        ("中新網這篇報道來自哪家媒體?", "來源：", "中新網"),
    ],
)
def test_the_dateline_answers_with_a_citation(
    seed_assistant: Assistant, question: str, label: str, value: str
) -> None:
    answer = seed_assistant.ask(question)
    assert not answer.abstained
    assert answer.text == f"{label}{value} [1]"
    assert answer.short_answer == value
    (citation,) = answer.citations
    doc = seed_assistant.get_document(citation.doc_id)
    assert doc is not None and doc.text[citation.start : citation.end] == citation.quote
    assert "奚金燕" in citation.quote and "電" in citation.quote  # the dateline sentence


def test_an_article_without_a_byline_abstains(seed_assistant: Assistant) -> None:
    # The green-alliance article names a photographer in a caption, no reporter.
    answer = seed_assistant.ask("澎湃新闻这篇报道的记者是谁?")
    assert answer.abstained and not answer.citations


def test_a_date_only_in_the_page_metadata_is_given_uncited(seed_assistant: Assistant) -> None:
    answer = seed_assistant.ask("澎湃新聞這篇報道是哪天發布的?")
    assert not answer.abstained and not answer.citations
    assert answer.short_answer == "2024-07-01"
    assert "正文未載明" in answer.text  # says where it comes from, in the asker's script


def _passage(doc: Document) -> Passage:
    assistant = Assistant.from_documents([doc], AssistantConfig(model=""))
    (passage, *_) = assistant.search(doc.text[:6])
    return passage


def test_an_iso_date_is_found_as_the_text_writes_it() -> None:
    doc = Document(
        id="d",
        title="新馆开放",
        text="本报讯（记者 王建国）2024年10月8日，市图书馆新馆向公众开放。新馆藏书约300万册。",
        source="d.txt",
        published="2024-10-08T09:00:00",
        reporter="王建国",
    )
    assert metadata_value(doc, "published") == "2024-10-08"
    passage = _passage(doc)
    draft = answer_metadata("这篇报道是哪天发布的?", "published", [passage])
    assert draft.short_answer == "2024年10月8日"
    (citation,) = draft.citations
    assert doc.text[citation.start : citation.end] == citation.quote
    assert "2024年10月8日" in citation.quote
    reporter = answer_metadata("记者是谁?", "reporter", [passage])
    assert reporter.short_answer == "王建国" and reporter.citations[0].start == 0


def test_a_document_that_states_nothing_abstains() -> None:
    doc = Document(id="d", title="", text="示范区全长86公里。", source="d.txt")
    for field in ("reporter", "published", "outlet"):
        draft = answer_metadata("这篇报道的记者是谁?", field, [_passage(doc)])  # type: ignore[arg-type]
        assert draft.abstained and not draft.citations
    assert answer_metadata("记者是谁?", "reporter", []).abstained


@pytest.mark.parametrize("question", ["新华社这篇报道的记者是谁?", "新華社這篇報道是哪天發布的?"])
def test_an_outlet_no_article_has_abstains(seed_assistant: Assistant, question: str) -> None:
    answer = seed_assistant.ask(question)
    assert answer.abstained and not answer.citations
