"""Term keys, and the array path of the char12 tokenizer."""

from __future__ import annotations

from collections import Counter

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.normalize import normalize_for_matching
from embeddings.terms import (
    HASHED,
    analyze,
    char12_keys,
    count_terms,
    is_hashed,
    ngram_text,
    term_key,
    term_keys,
)
from embeddings.tokenize import Char12Tokenizer, get_tokenizer

CJK = st.characters(min_codepoint=0x4E00, max_codepoint=0x4E40)
TEXT = st.text(
    alphabet=st.one_of(CJK, st.sampled_from("abc XYZ 12.5，。 3.14 ㄅ가\U00020001\ufffd_-")),
    max_size=60,
)


def test_keys_of_ngrams_and_words() -> None:
    assert term_key("中") == ord("中")
    assert term_key("中国") == (ord("中") << 21) | ord("国")
    assert ngram_text(term_key("中国")) == "中国"
    assert ngram_text(term_key("\U00020001")) == "\U00020001"
    for word in ("iphone", "2024", "3.5", "中国人", "ㄅ", "가나"):
        assert is_hashed(term_key(word)) and term_key(word) >= HASHED
    assert term_key("iphone") != term_key("iphon")
    assert term_keys(["中", "iphone"]).tolist() == [term_key("中"), term_key("iphone")]


@settings(max_examples=300)
@given(TEXT)
def test_char12_array_path_gives_the_tokenizers_tokens(text: str) -> None:
    folded = normalize_for_matching(text)
    expected = Counter(term_keys(Char12Tokenizer()(folded)).tolist())
    assert Counter(char12_keys(folded).tolist()) == expected
    counts = count_terms(char12_keys(folded))
    assert dict(zip(counts.keys.tolist(), counts.tf.tolist(), strict=True)) == expected
    assert counts.length == sum(expected.values())
    assert np.all(np.diff(counts.keys.astype(np.float64)) > 0) or counts.keys.size <= 1


def test_analyze_uses_the_index_tokenizer(jieba_tokenizer: object) -> None:
    folded = normalize_for_matching("長三角綠色低碳產業鏈聯盟在浙江溫州成立")
    assert sorted(analyze(Char12Tokenizer(), folded).tolist()) == sorted(
        term_keys(Char12Tokenizer()(folded)).tolist()
    )
    jieba = get_tokenizer("jieba")
    assert sorted(analyze(jieba, folded).tolist()) == sorted(term_keys(jieba(folded)).tolist())
    assert count_terms(char12_keys("")).length == 0
