"""The messages an answer may be instead of an answer, in the asker's language.

An abstention ("nothing in the collection answers this question") and the abstention
that quotes what the sources do state are written in the language of the question as
asked: English for a question in English, traditional Chinese for one in traditional
characters, simplified Chinese otherwise. Every answerer takes them from here (the
extractive reader, and through it the fallback of generated answers; the service's chat
gives the assistant's answer text as it is).
"""

from __future__ import annotations

import re
from typing import Literal

from corpus.normalize import detect_script

__all__ = [
    "ABSTAIN_TEXTS",
    "RELATED_TEXTS",
    "Language",
    "abstain_text",
    "question_language",
    "related_text",
]

Language = Literal["en", "zh-Hans", "zh-Hant"]
"""English, simplified Chinese, traditional Chinese."""

ABSTAIN_TEXTS: dict[Language, str] = {
    "zh-Hans": "抱歉，资料库中没有找到能回答这个问题的内容。",
    "zh-Hant": "抱歉，資料庫中沒有找到能回答這個問題的內容。",
    "en": "Sorry, nothing in the collection answers this question.",
}
"""The plain abstention, per language."""

RELATED_TEXTS: dict[Language, str] = {
    "zh-Hans": "资料库中没有找到能回答这个问题的内容；资料只提到：",
    "zh-Hant": "資料庫中沒有找到能回答這個問題的內容；資料只提到：",
    "en": "Nothing in the collection answers this question; the sources only say: ",
}
"""The start of an abstention that quotes what the sources state instead, per language."""

_TITLE = re.compile(r"《[^》]*》")
_LATIN_WORD = re.compile(r"[A-Za-z]+(?:['’][A-Za-z]+)?")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# Words only an English sentence has: a Chinese question naming "OpenAI" or "CEO" has none.
_ENGLISH_WORDS = frozenset(
    """a an the of in on at to for from by with about and or is are was were be been
    do does did has have had can could will would should which what who whom whose when
    where why how many much this that these those it its there their they he she his her
    i you we our your not no""".split()
)


def question_language(question: str) -> Language:
    """The language to answer ``question`` in.

    English when the question is written in Latin letters (no Chinese characters), or
    when it is an English sentence around Chinese names: it has English words (``who``,
    ``the``, ``is``, ...) and starts with one or has more Latin letters than Chinese
    characters (``Who founded 白马湖实验室?``, ``What is 长三角国资百企联盟?``). A Chinese
    question naming something in Latin letters (``OpenAI的CEO是谁?``, ``《This is
    us》的导演是谁?``) stays Chinese: traditional when its characters are traditional,
    else simplified.
    """
    words = _LATIN_WORD.findall(_TITLE.sub("", question))  # a title is a name
    letters = sum(len(w) for w in words)
    han = len(_CJK.findall(question))
    if letters and not han:
        return "en"
    if any(w.lower() in _ENGLISH_WORDS for w in words):
        starts = words[0].lower() in _ENGLISH_WORDS and question.lstrip(" \t\n\"'“‘(（").startswith(
            words[0]
        )
        if starts or letters > han:
            return "en"
    return "zh-Hant" if detect_script(question) == "traditional" else "zh-Hans"


def abstain_text(question: str) -> str:
    """The plain 'nothing found' answer, in the question's language."""
    return ABSTAIN_TEXTS[question_language(question)]


def related_text(question: str) -> str:
    """The start of an abstention that quotes the sources, in the question's language."""
    return RELATED_TEXTS[question_language(question)]
