"""EM and F1 exactly as the CMRC 2018 evaluation script defines them.

A port of ``cmrc2018_evaluate.py`` (ymcui/cmrc2018): the text is lower-cased and
stripped; every CJK character (U+4E00..U+9FA5) and every listed punctuation mark is a
token of its own, and each run of other characters is split as an English word
tokenizer would; for F1 the listed punctuation is dropped, the **longest common
substring** of the two token sequences (the script's ``find_lcs``, contiguous) is the
overlap, and F1 = 2PR/(P+R); for EM the listed punctuation is removed from both strings
and they must be equal. Both take the best over the gold answers.

The one deviation: the official script splits non-CJK runs with ``nltk.word_tokenize``;
this port uses a regular expression that agrees with it on what CMRC answers hold
(letters/digit runs, numbers with decimal points or thousands separators kept whole,
other symbols split off one by one) and needs no NLTK data download. Note that, as in the
original, ASCII ``,`` and ``.`` and the ellipsis ``……`` (two characters, compared one at a
time) are *not* in the punctuation list.

Scores are on a 0-1 scale (the official script reports them times 100).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = [
    "PUNCTUATION",
    "em_score",
    "f1_score",
    "find_lcs",
    "mixed_segmentation",
    "remove_punctuation",
]

# The script's ``sp_char`` list, verbatim (including the two-character '……').
PUNCTUATION: tuple[str, ...] = (
    "-", ":", "_", "*", "^", "/", "\\", "~", "`", "+", "=",
    "，", "。", "：", "？", "！", "“", "”", "；", "’", "《", "》", "……", "·", "、",
    "「", "」", "（", "）", "－", "～", "『", "』",
)  # fmt: skip
_PUNCT = frozenset(PUNCTUATION)
_CJK = re.compile(r"[\u4e00-\u9fa5]")
# Stand-in for nltk.word_tokenize on the short non-CJK runs of answers.
_WORD = re.compile(r"[^\W_]+(?:[.,'][^\W_]+)*|[^\w\s]|_", re.UNICODE)


def _word_tokenize(text: str) -> list[str]:
    return _WORD.findall(text)


def mixed_segmentation(text: str, rm_punc: bool = False) -> list[str]:
    """Tokens of ``text``: CJK characters one by one, other runs as words.

    Args:
        text: any text.
        rm_punc: drop the characters of :data:`PUNCTUATION`.

    Returns:
        The tokens, in order.
    """
    text = str(text).lower().strip()
    segs: list[str] = []
    temp = ""
    for char in text:
        if rm_punc and char in _PUNCT:
            continue
        if _CJK.search(char) or char in _PUNCT:
            if temp:
                segs.extend(_word_tokenize(temp))
                temp = ""
            segs.append(char)
        else:
            temp += char
    if temp:
        segs.extend(_word_tokenize(temp))
    return segs


def remove_punctuation(text: str) -> str:
    """``text`` lower-cased and stripped, without the characters of :data:`PUNCTUATION`."""
    text = str(text).lower().strip()
    return "".join(ch for ch in text if ch not in _PUNCT)


def find_lcs(s1: Sequence[str], s2: Sequence[str]) -> tuple[Sequence[str], int]:
    """The longest common *contiguous* run of ``s1`` and ``s2``, and its length.

    Ties go to the first run found in ``s1``, as in the original.
    """
    prev = [0] * (len(s2) + 1)
    best = 0
    end = 0
    for i in range(len(s1)):
        row = [0] * (len(s2) + 1)
        a = s1[i]
        for j in range(len(s2)):
            if a == s2[j]:
                row[j + 1] = prev[j] + 1
                if row[j + 1] > best:
                    best = row[j + 1]
                    end = i + 1
        prev = row
    return s1[end - best : end], best


def f1_score(answers: Sequence[str], prediction: str) -> float:
    """CMRC 2018 F1 of ``prediction`` against the best of ``answers`` (0 to 1).

    Raises:
        ValueError: when ``answers`` is empty (the original fails on ``max([])`` too).
    """
    if not answers:
        raise ValueError("F1 needs at least one gold answer")
    pred_segs = mixed_segmentation(prediction, rm_punc=True)
    scores = []
    for ans in answers:
        ans_segs = mixed_segmentation(ans, rm_punc=True)
        _, lcs_len = find_lcs(ans_segs, pred_segs)
        if lcs_len == 0:
            scores.append(0.0)
            continue
        precision = lcs_len / len(pred_segs)
        recall = lcs_len / len(ans_segs)
        scores.append(2 * precision * recall / (precision + recall))
    return max(scores)


def em_score(answers: Sequence[str], prediction: str) -> float:
    """CMRC 2018 exact match: 1.0 when ``prediction`` equals a gold answer, else 0.0.

    Both sides are lower-cased, stripped and rid of :data:`PUNCTUATION` first.
    """
    pred = remove_punctuation(prediction)
    return 1.0 if any(remove_punctuation(ans) == pred for ans in answers) else 0.0
