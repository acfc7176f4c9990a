"""The reader's building blocks, by stage: the question's terms, the alignment slot, the
sentence features, span candidates and their features, the clause window, and the model
file (the checks beside them: tests/qa/answering/checks)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.chunking import ChunkingConfig, chunk_documents
from corpus.normalize import normalize_for_matching
from corpus.types import Document
from embeddings.store import IndexSettings, IndexSnapshot, build_snapshot
from qa import Passage, ReaderModel, TermStatistics, analyze_question
from qa.answering.extractive import clause_window
from qa.answering.extractive.alignment import alignment_slot, slot_of
from qa.answering.extractive.model import DEFAULT_MODEL_FILE
from qa.answering.extractive.sentences import SentencePool
from qa.answering.extractive.stages.confidence import CONFIDENCE_FEATURES, FROM_SENTENCE
from qa.answering.extractive.stages.question import question_terms, word_bigrams
from qa.answering.extractive.stages.sentence_features import SENTENCE_FEATURES, sentence_features
from qa.answering.extractive.stages.shortlist import SHORTLIST, shortlist
from qa.answering.extractive.stages.span_candidates import (
    SpanCandidate,
    lead_length,
    span_candidates,
)
from qa.answering.extractive.stages.span_features import SPAN_FEATURES, span_features
from qa.answering.extractive.words import CONTENT_TAGS, sentence_words, tag_class
from qa.lexicon import READER_PUNCTUATION

TEXT = (
    "第六屆長三角地區國資國企聯席會議在浙江杭州召開。"
    "上萊茵省北側與德國相鄰，南側與瑞士相鄰。"
    "長三角三省一市前三季度的GDP總量創新高，達23.2萬億元。"
)


@pytest.fixture(scope="module")
def snapshot() -> IndexSnapshot:
    docs = (Document(id="d", title="", text=TEXT, source="d.txt"),)
    chunks = chunk_documents(docs, ChunkingConfig(300, 50))
    return build_snapshot(docs, chunks, IndexSettings(), encoder=None)


def _candidates(snapshot: IndexSnapshot) -> list:
    stats = TermStatistics.for_snapshot(snapshot)
    chunk = snapshot.chunks[0]
    passage = Passage(chunk, snapshot.documents[0], score=1.0, rank=1)
    return SentencePool(stats).candidates([passage])


def test_each_stages_features_are_the_shipped_models() -> None:
    # The model file records the feature names of each stage, in column order; the
    # stages must compute exactly those (the model refuses to load otherwise).
    import json
    from importlib import resources

    text = resources.files("qa.answering.extractive").joinpath(DEFAULT_MODEL_FILE).read_text()
    data = json.loads(text)
    assert tuple(data["sentence_features"]) == SENTENCE_FEATURES
    assert tuple(data["span_features"]) == SPAN_FEATURES
    assert tuple(data["confidence_features"]) == CONFIDENCE_FEATURES
    assert set(FROM_SENTENCE) <= set(SENTENCE_FEATURES)


def test_the_shortlist_is_the_best_covered_sentences(snapshot: IndexSnapshot) -> None:
    stats = TermStatistics.for_snapshot(snapshot)
    cands = _candidates(snapshot)
    terms = question_terms(analyze_question("上莱茵省的南侧与哪一个国家相邻?"), stats)
    order = shortlist(terms, cands)
    assert order[0] == 1 and sorted(order) == list(range(len(cands)))
    assert len(shortlist(terms, cands * 10)) == SHORTLIST


def test_alignment_slot_is_the_gap_the_question_leaves() -> None:
    a = analyze_question("上莱茵省的南侧与哪一个国家相邻?")
    text = normalize_for_matching("上萊茵省北側與德國相鄰，南側與瑞士相鄰。")
    slot = alignment_slot(a, text)
    assert slot.both and text[slot.start : slot.end] == "瑞士"
    # Without an interrogative the answer follows what the question states.
    b = analyze_question("二战期间九龙半岛上唯一的城镇为?")
    tail = alignment_slot(b, "二战期间九龙半岛上唯一的城镇为九龙寨城。")
    assert tail.start == len("二战期间九龙半岛上唯一的城镇为") and not tail.both


def test_a_questions_slot_in_a_sentence_is_computed_once(snapshot: IndexSnapshot) -> None:
    stats = TermStatistics.for_snapshot(snapshot)
    a = analyze_question("上莱茵省的南侧与哪一个国家相邻?")
    terms = question_terms(a, stats)
    text = normalize_for_matching("上萊茵省北側與德國相鄰，南側與瑞士相鄰。")
    slot = slot_of(terms, text)
    assert slot == alignment_slot(a, text) and terms.slots == {text: slot}
    assert slot_of(terms, text) is slot
    # Another question's terms start with nothing memoised.
    assert question_terms(a, stats).slots == {}


@pytest.mark.parametrize(
    ("text", "inside", "across"),
    [
        # bigrams inside words are kept, those straddling two words are not
        ("计划是什么", {"计划"}, {"划是"}),
        ("会上代表国务院讲话", {"会上", "代表", "国务", "务院"}, {"上代", "院讲"}),
        # two single-character words that are no function words may be a name jieba
        # does not know; a function word joins nothing
        ("解缙的诗", {"解缙"}, {"缙的", "的诗"}),
    ],
)
def test_word_bigrams(text: str, inside: set[str], across: set[str]) -> None:
    found = word_bigrams(text)
    assert inside <= found and not across & found


def test_question_terms_leave_out_bigrams_across_words_and_function_words(
    snapshot: IndexSnapshot,
) -> None:
    stats = TermStatistics.for_snapshot(snapshot)
    terms = question_terms(analyze_question("联席会议是在哪里召开的?"), stats)
    assert "会议" in terms.weights and "议是" not in terms.weights
    assert {"联", "会", "议"} <= set(terms.weights)
    # function words of one character are no terms
    assert not {"是", "在", "的"} & set(terms.weights)


def _neighbour_question(snapshot: IndexSnapshot) -> tuple[Any, ...]:
    """The spans of ``上莱茵省的南侧与哪一个国家相邻?`` in the sentence that answers it."""
    stats = TermStatistics.for_snapshot(snapshot)
    cands = _candidates(snapshot)
    a = analyze_question("上莱茵省的南侧与哪一个国家相邻?")
    terms = question_terms(a, stats)
    spans = span_candidates(terms, cands, [1])
    return stats, cands, a, terms, spans, cands[1].sentence.folded.text


def test_span_candidates_lie_in_their_sentence(snapshot: IndexSnapshot) -> None:
    stats, cands, a, terms, spans, text = _neighbour_question(snapshot)
    found = {text[s.start : s.end]: s.sources for s in spans}
    assert "slot" in found["瑞士"]  # the gap the aligned question leaves
    texts = set(found)
    assert all(t not in a.folded for t in texts)  # nothing the question already says
    x = span_features(terms, cands, spans, stats)
    assert x.shape == (len(spans), len(SPAN_FEATURES))
    assert sentence_features(terms, cands, stats).shape[0] == len(cands)


def test_span_word_features(snapshot: IndexSnapshot) -> None:
    stats, cands, _, terms, spans, text = _neighbour_question(snapshot)
    x = span_features(terms, cands, spans, stats)
    col = {name: i for i, name in enumerate(SPAN_FEATURES)}
    rows = {text[s.start : s.end]: x[i] for i, s in enumerate(spans)}
    # 瑞士 is one word, a place name: both edges on word boundaries, tagged ns
    swiss = rows["瑞士"]
    assert swiss[col["start_boundary"]] == swiss[col["end_boundary"]] == 1.0
    assert swiss[col["span_words"]] == 1
    assert swiss[col["first_tag_ns"]] == swiss[col["last_tag_ns"]] == 1.0
    # every span has exactly one first-word and one last-word tag class
    first = [i for n, i in col.items() if n.startswith("first_tag_")]
    last = [i for n, i in col.items() if n.startswith("last_tag_")]
    assert (x[:, first].sum(axis=1) == 1).all() and (x[:, last].sum(axis=1) == 1).all()
    # a span that cuts a word has an edge off the boundaries
    cut = [t for t in rows if t.endswith("瑞")]
    assert all(rows[t][col["end_boundary"]] == 0.0 for t in cut)


@pytest.mark.parametrize(
    ("flag", "kind"),
    [
        ("nr", "nr"),
        ("nrfg", "nr"),
        ("ns", "ns"),
        ("nt", "nt"),
        ("eng", "nz"),
        ("mq", "m"),
        ("t", "t"),
        ("vn", "v"),
        ("n", "n"),
        ("x", "other"),
        ("uj", "other"),
    ],
)
def test_tag_classes(flag: str, kind: str) -> None:
    assert tag_class(flag) == kind


@pytest.mark.parametrize(
    ("text", "lead"),
    [("位于浙江杭州", 2), ("为岛山", 1), ("称为岛山", 2), ("于杭州", 1), ("为期", 0), ("杭州", 0)],
)
def test_lead_words_are_recognised_before_two_characters(text: str, lead: int) -> None:
    assert lead_length(text, 0, len(text)) == lead


def test_span_candidates_come_with_and_without_their_lead_word() -> None:
    docs = (Document(id="d", title="", text="白马湖实验室位于杭州市滨江区。", source="d"),)
    chunks = chunk_documents(docs, ChunkingConfig(300, 50))
    snap = build_snapshot(docs, chunks, IndexSettings(), encoder=None)
    stats = TermStatistics.for_snapshot(snap)
    passage = Passage(snap.chunks[0], snap.documents[0], score=1.0, rank=1)
    cands = SentencePool(stats).candidates([passage])
    a = analyze_question("白马湖实验室的地址是什么?")
    spans = span_candidates(question_terms(a, stats), cands, [0])
    text = cands[0].sentence.folded.text
    found = {(s.start, s.end): s.sources for s in spans}
    led = [(k, v) for k, v in found.items() if lead_length(text, *k)]
    assert "位于杭州市滨江区" in {text[s:e] for (s, e), _ in led}
    for (start, end), sources in led:
        stripped = (start + lead_length(text, start, end), end)
        assert sources <= found[stripped]
    assert "杭州市滨江区" in {text[s:e] for s, e in found}


def test_model_file_round_trip_and_checks(tmp_path) -> None:
    import json

    model = ReaderModel("s", "p", "", ((0.0, 1.0), (0.1, 0.9)), 0.3, {"note": "x"})
    path = tmp_path / "m.json"
    model.save(path)
    again = ReaderModel.load(path)
    assert again.threshold == 0.3 and again.calibration == model.calibration
    assert again.confidence.__func__ is ReaderModel.confidence  # type: ignore[attr-defined]
    data = json.loads(path.read_text(encoding="utf-8"))
    data["span_features"] = data["span_features"][:-1]
    with pytest.raises(ValueError, match="retrain"):
        ReaderModel.from_json(json.dumps(data))
    data["format"] = 99
    with pytest.raises(ValueError, match="format 99"):
        ReaderModel.from_json(json.dumps(data))
    with pytest.raises(ValueError, match="not a reader model"):
        ReaderModel.from_json("{}")


@given(
    st.text(alphabet=st.sampled_from("甲乙丙丁，,：。"), min_size=1, max_size=60),
    st.data(),
    st.integers(1, 80),
)
def test_clause_window_holds_the_span_within_budget(
    text: str, data: st.DataObject, budget: int
) -> None:
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    a, b = clause_window(text, start, end, budget)
    assert 0 <= a <= start < end <= b <= len(text)
    span_clauses = clause_window(text, start, end, 0)
    # It grows only by whole clauses, and only within the budget.
    assert (a, b) == span_clauses or b - a <= budget


def _direct_span_columns(terms: Any, text: str, s: int, e: int) -> dict[str, float]:
    """The span features that read the question's terms and the span's characters,
    computed the plain way, from the definitions."""
    occ = [
        (i, i + len(t)) for t in terms.bigrams for i in range(len(text)) if text.startswith(t, i)
    ]
    piece = text[s:e]
    asked = frozenset(terms.analysis.content) - READER_PUNCTUATION - {" "}
    letters = [ch for ch in piece if ch not in READER_PUNCTUATION]
    before = [s - oe for _, oe in occ if oe <= s]
    after = [os_ - e for os_, _ in occ if os_ >= e]
    return {
        "q_bigram_inside": float(any(os_ >= s and oe <= e for os_, oe in occ)),
        "dist_left": min([*before, 30]),
        "dist_right": min([*after, 30]),
        "terms_before": sum(1 for _, oe in occ if s - 10 <= oe <= s),
        "terms_after": sum(1 for os_, _ in occ if e <= os_ <= e + 10),
        "q_overlap": sum(ch in asked for ch in letters) / len(letters) if letters else 1.0,
        "has_comma": float(any(ch in ",，;；" for ch in piece)),
        "has_digit": float(any(ch.isdigit() for ch in piece)),
        "cjk_share": sum("\u4e00" <= ch <= "\u9fff" for ch in piece) / max(1, e - s),
    }


@pytest.mark.parametrize(
    ("question", "sentence"),
    [("上莱茵省的南侧与哪一个国家相邻?", 1), ("长三角三省一市前三季度GDP总量达多少万亿元?", 2)],
)
@settings(deadline=None)  # the first call loads jieba's dictionary
@given(data=st.data())
def test_span_features_of_terms_and_characters_match_their_definitions(
    snapshot: IndexSnapshot, question: str, sentence: int, data: st.DataObject
) -> None:
    # Any span of the sentence, not only those span_candidates proposes: the features are
    # read from prefix counts and sorted occurrences, which must agree with the plain
    # definitions at every offset.
    stats = TermStatistics.for_snapshot(snapshot)
    cands = _candidates(snapshot)
    terms = question_terms(analyze_question(question), stats)
    text = cands[sentence].sentence.folded.text
    spans = [
        SpanCandidate(sentence, s, e, frozenset({"chunk"}))
        for s, e in data.draw(
            st.lists(
                st.tuples(st.integers(0, len(text) - 1), st.integers(1, len(text))).filter(
                    lambda p: p[0] < p[1]
                ),
                min_size=1,
                max_size=8,
            )
        )
    ]
    x = span_features(terms, cands, spans, stats)
    col = {name: i for i, name in enumerate(SPAN_FEATURES)}
    for row, span in zip(x, spans, strict=True):
        for name, value in _direct_span_columns(terms, text, span.start, span.end).items():
            assert row[col[name]] == pytest.approx(value, abs=1e-6), name


def test_word_runs_are_candidates_where_no_function_character_bounds_a_name() -> None:
    sentence = "历史学家韦弗尔指出英国的工业革命始于纺织业。"
    docs = (Document(id="d", title="", text=sentence, source="d"),)
    chunks = chunk_documents(docs, ChunkingConfig(300, 50))
    snap = build_snapshot(docs, chunks, IndexSettings(), encoder=None)
    stats = TermStatistics.for_snapshot(snap)
    passage = Passage(snap.chunks[0], snap.documents[0], score=1.0, rank=1)
    cands = SentencePool(stats).candidates([passage])
    terms = question_terms(analyze_question("谁指出工业革命始于纺织业?"), stats)
    spans = span_candidates(terms, cands, [0])
    text = cands[0].sentence.folded.text
    words = sentence_words(text)
    runs = [s for s in spans if "word" in s.sources]
    assert runs
    for span in runs:
        # Each starts and ends on a word boundary, at a content word, within three words.
        first, last = words.word_of[span.start], words.word_of[span.end - 1]
        assert words.bounds[first][0] == span.start and words.bounds[last][1] == span.end
        assert words.tags[first] in CONTENT_TAGS and words.tags[last] in CONTENT_TAGS
        assert last - first < 3
    # The chunks run from 历史学家 to 指出 (no function character between): the words
    # give the name alone.
    name = text.index("韦弗尔")
    assert any(s.start == name for s in runs)
    assert all("chunk" not in s.sources for s in spans if s.start == name)


@given(
    st.text(alphabet=st.sampled_from("韦弗尔指出英国的工业革命始于纺织业，。和3年"), max_size=40)
)
@settings(max_examples=60, deadline=None)
def test_a_sentences_words_cover_it_in_order(text: str) -> None:
    words = sentence_words(text)
    assert "".join(text[s:e] for s, e in words.bounds) == text
    assert len(words.word_of) == len(text) and len(words.tags) == len(words.bounds)
    for i, (s, e) in enumerate(words.bounds):
        assert all(words.word_of[j] == i for j in range(s, e))
