"""The short answer made to fit what the question asks for, after the span ranker.

Two rules over the chosen sentence's folded text, neither learned:

- a question that asks **which ones** (``哪些``, answer type ``list``) gets the whole
  enumeration the span is part of: items joined by ``、`` are taken on both sides of the
  span up to the clause's punctuation (``第四批长三角产业链联盟——A、B、C、D、E成立``: all
  five, not the two the ranker picked), joined by a conjunction too (``甲、乙和丙``), the
  first item without the word that introduces it (``包括``, ``有``, ``为``, ...) and the
  last one without what follows the suffix the items share (``…联盟成立`` → ``…联盟``),
  or from ``等`` on, or, where they share none, no longer than the longest other item and
  before a ``的``;
- a question that asks **who** holds a role (``…副局长是谁``) gets the name written
  right after that role in the sentence (``副局长尚鹏表示`` → ``尚鹏``) when the span
  chosen does not hold it: the longest tail of the question's text before the
  interrogative (three characters or more, ending in an office of
  :data:`qa.lexicon.ROLES`: an office or a role such as ``记者``) found in the sentence, then two
  to four characters up to a verb of saying or punctuation.

Offsets are into the folded text, which has the same length as the original
(:class:`corpus.normalize.Folded`), so the caller maps them back unchanged.
"""

from __future__ import annotations

import re

from qa.analysis.question import QuestionAnalysis
from qa.lexicon import (
    LIST_CONJUNCTIONS,
    LIST_INTRODUCERS,
    NAME_ENDS,
    NAME_LEADS,
    ROLE_TRIM_CHARS,
    ROLES,
)

__all__ = ["extend_enumeration", "name_after_role", "object_after_context", "refine_span"]

_BOUNDARY = frozenset('，,。；;：:！？!?（）()“”"「」『』《》—\n')
# Items of an enumeration end at clause punctuation only: quotes, titles and brackets
# are inside items (``《红楼梦》、《西游记》``, ``基于“大”、“小”数据融合的…``).
_LIST_BOUNDARY = frozenset("，,。；;：:！？!?—\n")
_ITEM_STOPS = _LIST_BOUNDARY | {"、"}
"""Where an enumeration item ends."""
_ITEM_MAX = 30
_NAME_DOTS = frozenset("·•")
_LIST_OPENERS = frozenset("—:：")
_PAIRS = {"「": "」", "『": "』", "“": "”", "《": "》", "(": ")", "（": "）"}
_LONG_INTRODUCERS = tuple(w for w in LIST_INTRODUCERS if len(w) >= 2)


def refine_span(analysis: QuestionAnalysis, folded: str, start: int, end: int) -> tuple[int, int]:
    """The short answer's offsets in ``folded`` after the rules of this module.

    Args:
        analysis: the question's analysis.
        folded: the sentence, folded for matching.
        start: the span's start.
        end: the span's end (exclusive).

    Returns:
        The refined ``(start, end)``; the span unchanged where no rule applies.
    """
    if analysis.answer_type == "list":
        return extend_enumeration(folded, start, end)
    if analysis.answer_type == "person":
        found = name_after_role(analysis.left, folded)
        if found is not None:
            return found
    if analysis.answer_type == "entity" and not analysis.right:
        found = object_after_context(analysis.left, folded)
        if found is not None and not (found[0] <= start and end <= found[1]):
            return found
    return start, end


def object_after_context(left: str, folded: str) -> tuple[int, int] | None:
    """The offsets of what the sentence writes right after the question's ``…的``
    (``正泰集团研发中心申报的是什么`` of ``…正泰集团研发中心有限公司申报的光伏智能视觉检测平台、…``:
    ``光伏智能视觉检测平台``), where the sentence writes that ``…的`` several times.

    The question's text before its interrogative must end in ``的`` (or ``的是``); its
    last word before the ``的`` (two to four characters) is looked up in the sentence,
    (the shortest tail written twice or more), and of its occurrences the one whose
    preceding 20 characters share the most
    character bigrams with the rest of the question is taken, up to the next
    punctuation, ``、`` or ``等``. None where the question has no such ``…的``, the
    sentence writes it once or not at all (the span ranker reads that case), or nothing
    follows it.
    """
    ctx = left[:-1] if left.endswith("是") else left
    if not ctx.endswith("的") or len(ctx) < 4:
        return None
    head = ctx[:-1]
    for n in (2, 3, 4):
        tail = head[-n:] + "的"
        hits = [m.start() for m in re.finditer(re.escape(tail), folded)]
        if len(hits) >= 2:
            break
    else:
        return None
    rest = {head[i : i + 2] for i in range(len(head) - n - 1)}
    if not rest:
        return None

    def shared(at: int) -> int:
        before = folded[max(0, at - 20) : at]
        return sum(1 for i in range(len(before) - 1) if before[i : i + 2] in rest)

    best = max(hits, key=shared)
    if shared(best) == 0 or sorted(shared(h) for h in hits)[-2] == shared(best):
        return None  # no occurrence stands out
    pos = best + len(tail)
    stop = pos
    while stop < len(folded) and folded[stop] not in _BOUNDARY and folded[stop] not in "、等":
        stop += 1
    return (pos, stop) if stop - pos >= 2 else None


def extend_enumeration(text: str, start: int, end: int) -> tuple[int, int]:
    """``[start, end)`` widened to the whole ``、``-separated enumeration it is part of.

    Returns:
        The widened offsets; the span unchanged where no ``、`` adjoins or is inside it.
    """
    if not 0 <= start < end <= len(text):
        return start, end
    # The item (or items) the span is part of, as far as its bounds are sure: a span
    # inside an item (``绿色低碳`` of ``…、长三角绿色低碳产业链联盟、…``) stands for it.
    s, e = _item_start(text, start), _item_end(text, end)
    adjoins = (s > 0 and text[s - 1] == "、") or (e < len(text) and text[e] == "、")
    if not adjoins and "、" not in text[start:end]:
        return start, end
    while s > 1 and text[s - 1] == "、":
        j = s - 1
        while j > 0 and text[j - 1] not in _ITEM_STOPS:
            j -= 1
        if j == s - 1 or s - 1 - j > _ITEM_MAX:
            break
        s = j
    while e < len(text) - 1 and text[e] == "、":
        k = e + 1
        while k < len(text) and text[k] not in _ITEM_STOPS:
            k += 1
        if k == e + 1 or k - e - 1 > _ITEM_MAX:
            break
        e = k
    # A last item joined by a conjunction (``乙公司和丙公司``) where the span ends before it.
    conj = next((c for c in LIST_CONJUNCTIONS if text.startswith(c, e)), "")
    if conj and "、" in text[s:e]:
        k = e + len(conj)
        while k < len(text) and text[k] not in _ITEM_STOPS:
            k += 1
        if k - e <= _ITEM_MAX:
            e = k
    items = [i for i in text[s:e].split("、") if i]
    if len(items) < 2:
        return start, end
    # The first item without the word that introduces the list (when it was not picked).
    if s < start:
        head = text[s : s + len(items[0])]
        # The first introducer: a later one is part of the item (``有基于…``).
        found = [(head.find(w), -len(w)) for w in LIST_INTRODUCERS if w in head[:-1]]
        cut = min(found)[0] - min(found)[1] if found else 0
        if 0 < cut < len(head):
            s += cut
    # The last item without what follows the suffix the other items share, or from 等.
    last_start = e - len(items[-1])
    if e > end:
        last = text[last_start:e]
        if "等" in last[1:]:
            e = last_start + last.index("等", 1)
        else:
            suffix = _common_suffix(items[:-1])
            # The longest tail of the shared suffix that the last item holds.
            for k in range(len(suffix), 0, -1):
                tail = suffix[-k:]
                if tail in last[:-1]:
                    if not last.endswith(tail):
                        e = last_start + last.rindex(tail) + len(tail)
                    break
            else:
                # No shared suffix: the last item (after its conjunction) no longer than
                # the longest other one.
                longest = max(len(i) for i in text[s:last_start].split("、") if i)
                base = max(
                    (last.find(c) + len(c) for c in LIST_CONJUNCTIONS if c in last), default=0
                )
                e = min(e, last_start + base + longest)
                # ... and ending before a 的 that starts what the list qualifies.
                of = text.find("的", last_start + base + 2, e)
                if of > 0:
                    e = of
    # The opening quote or bracket of a first item whose closing one the span holds.
    if s > 0 and text[s - 1] in _PAIRS:
        close = text.find(_PAIRS[text[s - 1]], s, e)
        if close >= 0 and text[s - 1] not in text[s:close]:
            s -= 1
    return (s, e) if s < e else (start, end)


def _item_start(text: str, start: int) -> int:
    """Where the enumeration item holding ``start`` begins, as far as that is sure: after
    the ``、`` before it, or for a first item after the dash or colon that opens the list
    or the last word of two or more characters that introduces it (``包括``, ``分别为``;
    a one-character one, ``有`` or ``在``, is too often part of the text before);
    otherwise ``start`` itself."""
    s = start
    while s > 0 and text[s - 1] not in _ITEM_STOPS:
        if start - s >= _ITEM_MAX:
            return start  # longer than an item: no sure start
        s -= 1
    if s == start or (s > 0 and text[s - 1] == "、"):
        return s
    head = text[s:start]
    ends = [head.rfind(w) + len(w) for w in _LONG_INTRODUCERS if w in head]
    if ends:
        return s + max(ends)
    return s if s > 0 and text[s - 1] in _LIST_OPENERS else start


def _item_end(text: str, end: int) -> int:
    """Where the enumeration item holding ``end`` ends when a ``、`` follows it;
    otherwise (the last item, whose end is not sure) ``end`` itself."""
    e = end
    while e < len(text) and text[e] not in _ITEM_STOPS:
        if e - end >= _ITEM_MAX:
            return end
        e += 1
    return e if e < len(text) and text[e] == "、" else end


def name_after_role(left: str, folded: str) -> tuple[int, int] | None:
    """The offsets of the name written right after the role the question names.

    Args:
        left: the question's folded text before its interrogative
            (:attr:`~qa.analysis.question.QuestionAnalysis.left`).
        folded: the sentence, folded for matching.

    Returns:
        The name's ``(start, end)`` in ``folded``, or None where the sentence does not
        write two to four characters after the role (or a transcribed name, its parts
        joined by ``·``), before a verb of saying or punctuation.
    """
    role = left.rstrip(ROLE_TRIM_CHARS)
    # The longest tail of the question's left context that the sentence holds (3+).
    for n in range(len(role), 2, -1):
        tail = role[-n:]
        if not tail.endswith(ROLES):
            return None
        at = folded.find(tail)
        if at < 0:
            continue
        pos = at + n
        for lead in NAME_LEADS:
            if folded.startswith(lead, pos):
                pos += len(lead)
                break
        stop = pos
        while stop < len(folded) and stop - pos <= 4:
            if folded[stop] in _BOUNDARY or folded[stop] == "、" or not _is_han(folded[stop]):
                break
            if any(folded.startswith(w, stop) for w in NAME_ENDS) and stop > pos:
                break
            stop += 1
        first = stop - pos
        # A transcribed name's further parts (``劳伦斯·萨默斯``), each up to six characters.
        while (
            2 <= stop - pos
            and stop + 1 < len(folded)
            and folded[stop] in _NAME_DOTS
            and _is_han(folded[stop + 1])
        ):
            part = stop + 1
            while part < len(folded) and part - stop <= 6 and _is_han(folded[part]):
                if any(folded.startswith(w, part) for w in NAME_ENDS) and part > stop + 1:
                    break
                part += 1
            stop = part
        if 2 <= first <= 4 or (2 <= first and stop - pos > first):
            ended = stop == len(folded) or not _is_han(folded[stop]) or folded[stop] in _BOUNDARY
            ended = ended or any(folded.startswith(w, stop) for w in NAME_ENDS)
            if ended:
                return pos, stop
        return None
    return None


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _common_suffix(items: list[str]) -> str:
    if not items:
        return ""
    suffix = items[0]
    for item in items[1:]:
        n = 0
        while n < min(len(suffix), len(item)) and suffix[-1 - n] == item[-1 - n]:
            n += 1
        suffix = suffix[len(suffix) - n :] if n else ""
        if not suffix:
            break
    return suffix
