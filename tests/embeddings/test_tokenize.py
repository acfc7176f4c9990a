from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corpus.normalize import normalize_for_matching
from embeddings.tokenize import (
    _CJK_RUN,
    _WORD,
    TOKENIZER_NAMES,
    Char12Terms,
    Char12Tokenizer,
    Tokenizer,
    _cjk_ngrams,
    get_tokenizer,
)


def test_char12_unigrams_bigrams_and_words() -> None:
    tok = get_tokenizer("char12")
    assert tok.name == "char12"
    assert tok("北京大学") == ["北", "京", "大", "学", "北京", "京大", "大学"]
    # Punctuation breaks CJK runs: no bigram spans it.
    assert tok("北京，上海") == ["北", "京", "北京", "上", "海", "上海"]
    assert tok("apple 发布 iphone 15，增长3.5%") == [
        "apple",
        "发",
        "布",
        "发布",
        "iphone",
        "15",
        "增",
        "长",
        "增长",
        "3.5",
    ]


def test_jieba_search_mode_without_punctuation(jieba_tokenizer: Tokenizer) -> None:
    tokens = jieba_tokenizer(normalize_for_matching("中华人民共和国今天成立，iPhone 售价 3.5%！"))
    assert "中华人民共和国" in tokens
    assert "共和国" in tokens  # search mode also emits the words inside long ones
    assert "iphone" in tokens
    assert "3.5" in tokens
    assert all(t.strip() and t not in {"，", "！", "%"} for t in tokens)


def test_jieba_plus_char2() -> None:
    tok = get_tokenizer("jieba+char2")
    assert tok.name == "jieba+char2"
    tokens = tok("长三角联盟")
    assert "长三角" in tokens
    assert {"长三", "三角", "角联", "联盟"} <= set(tokens)


def test_unknown_name_lists_valid_ones() -> None:
    with pytest.raises(ValueError, match="char12.*jieba.*jieba\\+char2"):
        get_tokenizer("whitespace")


def test_empty_and_punctuation_only() -> None:
    for name in TOKENIZER_NAMES:
        tok = get_tokenizer(name)
        assert tok("") == []
        assert tok("，。！？ …… \n") == []


@given(st.text(max_size=60))
def test_char12_tokens_are_never_punctuation_or_space(text: str) -> None:
    for token in get_tokenizer("char12")(normalize_for_matching(text)):
        assert token
        assert not any(ch.isspace() for ch in token)
        # Only a decimal point may sit inside a token ("3.5"); none at either end.
        assert unicodedata.category(token[0])[0] not in "PZS"
        assert unicodedata.category(token[-1])[0] not in "PZS"


def _reference_ngrams(text: str, *, unigrams: bool, words: bool) -> list[str]:
    """The n-grams as first written (slices, one run at a time): the tokens must not
    change, in content or order, whatever makes them faster."""
    tokens: list[str] = []
    pos = 0
    for match in _CJK_RUN.finditer(text):
        if words and match.start() > pos:
            tokens.extend(_WORD.findall(text, pos, match.start()))
        run = match.group()
        if unigrams:
            tokens.extend(run)
        tokens.extend(run[i : i + 2] for i in range(len(run) - 1))
        pos = match.end()
    if words and pos < len(text):
        tokens.extend(_WORD.findall(text, pos))
    return tokens


@given(
    st.text(alphabet="长三角联盟國際 abc3.5,。\n2024x_é", max_size=60),
    st.booleans(),
    st.booleans(),
)
def test_cjk_ngrams_are_the_reference_tokens_in_order(
    text: str, unigrams: bool, words: bool
) -> None:
    got = _cjk_ngrams(text, unigrams=unigrams, words=words)
    assert got == _reference_ngrams(text, unigrams=unigrams, words=words)


_ALPHABET = "长三角联盟國際中国 abc3.5,。\n2024x_é"


@given(
    st.text(alphabet=_ALPHABET, max_size=80),
    st.lists(st.text(alphabet=_ALPHABET, min_size=0, max_size=4), max_size=20),
)
def test_char12_terms_hold_exactly_the_tokens(text: str, probes: list[str]) -> None:
    tokens = Char12Tokenizer()(text)
    terms = Char12Terms(text)
    for token in tokens:
        assert token in terms
    joined = [a + b for a, b in zip(tokens, tokens[1:], strict=False)]
    for probe in [*probes, *(t[:-1] for t in tokens), *joined]:
        assert (probe in terms) == (probe in set(tokens)), probe
