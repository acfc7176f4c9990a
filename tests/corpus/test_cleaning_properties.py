"""Properties of cleaning on arbitrary text (hypothesis): it never raises (lone surrogates
included), it is idempotent, and every removal is the exact slice of the input its offsets
name. Line-structured strategies mix in the material the rules look for (pinyin readings,
end marks, field lines, captions, garbled runs), so the rules actually fire."""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from corpus.cleaning import clean_article, remove_boilerplate, remove_garbled, remove_pinyin
from corpus.cleaning.base import apply_edits
from corpus.cleaning.offsets import EditMap

ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=()), max_size=200)

PIECES = st.sampled_from(
    [
        "長(zhǎng)",
        "(zhǎng)",
        "三角",
        "產(chǎn)業(yè)",
        "(完)",
        "（完）\n",
        "發布時間:2024-07-01 17:35:13 瀏覽量:",
        "来源：新华社",
        "澎湃新聞記者 姚似璐 圖",
        "?dòng)浾?",
        "?!≈鬓k",
        "\ufffd",
        "中新網杭州11月1日電(奚金燕)",
        "相關新聞",
        "...(945 )人閱讀時間:2025-11-07",
        "。",
        "，",
        "\n",
        "\r\n",
        "\r",
        " ",
        "\u3000",
        "會議在杭州召開",
        "?",
        "a",
    ]
)
STRUCTURED = st.lists(st.one_of(PIECES, st.text(max_size=4)), max_size=30).map("".join)
TEXTS = st.one_of(ANY_TEXT, STRUCTURED)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
def test_cleaning_never_raises_and_removals_are_exact_slices(raw: str) -> None:
    cleaned = clean_article(raw)
    assert isinstance(cleaned.text, str)
    for removal in cleaned.report.removals:
        assert 0 <= removal.start <= removal.end <= len(raw)
        assert raw[removal.start : removal.end] == removal.text
        assert removal.text  # nothing empty is reported


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(TEXTS)
@example("(完)\x0c")  # an end mark followed by a form feed (found by hypothesis)
def test_cleaning_is_idempotent(raw: str) -> None:
    once = clean_article(raw).text
    assert clean_article(once).text == once


@given(TEXTS)
def test_each_rule_reports_spans_of_its_input_and_edits_that_give_its_output(raw: str) -> None:
    text = raw.replace("\r\n", "\n").replace("\r", "\n")
    for rule in (remove_pinyin, remove_garbled, remove_boilerplate):
        result = rule(text)
        assert apply_edits(text, result.edits) == result.text
        for removal in result.removals:
            assert text[removal.start : removal.end] == removal.text


@given(st.text(alphabet="abc", max_size=30), st.data())
def test_edit_map_maps_kept_characters_back_to_their_input_offsets(
    text: str, data: st.DataObject
) -> None:
    from corpus.cleaning.base import Edit

    cuts = sorted(data.draw(st.lists(st.integers(0, len(text)), max_size=6)))
    edits = []
    for a, b in zip(cuts[::2], cuts[1::2], strict=False):
        edits.append(Edit(a, b, data.draw(st.sampled_from(["", "X", "YZ"]))))
    out = apply_edits(text, edits)
    mapping = EditMap(edits)
    # Every output character that is not from a replacement is the input character at
    # its mapped offset.
    replaced = set()
    pos, last = 0, 0
    for e in edits:
        pos += e.start - last
        replaced.update(range(pos, pos + len(e.replacement)))
        pos += len(e.replacement)
        last = e.end
    for i, ch in enumerate(out):
        j = mapping.start(i)
        if i in replaced:
            assert any(e.start == j for e in edits)
        else:
            assert text[j] == ch and mapping.end(i + 1) == j + 1
