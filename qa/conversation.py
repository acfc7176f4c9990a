"""Follow-up questions: resolve a question against the earlier turns of a conversation.

No model is needed. A follow-up such as ``它的首批成员有多少家?`` refers back to the topic
of an earlier question (``长三角国资百企联盟创新子联盟由哪些企业牵头组建?``) through a
pronoun or demonstrative (它, 它们, 其, 该, 此, 这个, ...), or by ellipsis (``那首批成员呢?``).
:func:`resolve_follow_up` puts the topic back in, so that retrieval finds the right
passage; :func:`analyze_follow_up` also gives the question without the reference word
(its *focus*), which is what answer sentences should be matched on.

The topic of a question is its leading noun phrase: the text before the first predicate
or preposition (``由``, ``是``, ``在``, ``的…是``, ...), or, where there is none, the
question without its interrogatives. A follow-up of a follow-up keeps the topic of the
question it resolved to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.normalize import normalize_for_matching
from qa.lexicon import interrogative_pattern

__all__ = ["ResolvedQuestion", "Turn", "analyze_follow_up", "question_topic", "resolve_follow_up"]

Turn = tuple[str, str]
"""One earlier exchange: ``(user question, assistant answer)``."""

# Words that contain a pronoun character but do not refer back (masked before matching).
_NOT_ANAPHORIC = re.compile(
    r"其他|其它|其中|其实|其余|其次|其后|尤其|极其|与其|因此|如此|从此|彼此|此外|此前|此后|"
    r"此时|此次|此刻|该当|他人|他国|他乡|吉他|她们的?国"
)
# Pronouns and demonstratives that point at an earlier topic, longest first.
_ANAPHOR = re.compile(
    r"它们|他们|她们|这个|那个|这家|那家|这些|那些|这一|那一|这项|那项|这位|那位|上述|前者|后者|"
    r"它|他|她|其|该|此|这|那"
)
# Ellipsis: "那…呢?", "还有…呢?", "另外…?" with no topic of its own.
_ELLIPSIS_START = re.compile(r"^(?:那么|那|还有|另外|然后|再问一下|再问)")
_ELLIPSIS_END = re.compile(r"呢[?？!！。\s]*$")
_MAX_ELLIPTIC_CHARS = 14

# Where a question's leading noun phrase (its topic) ends.
_TOPIC_END = re.compile(
    r"由|是|在|有|为|将|被|把|对|于|从|给|向|和|与|跟|如何|怎么|怎样|为什么|哪|什么|谁|何|几|多少|"
    r"成立|举行|召开|发布|位于|属于|包括|包含|共建|牵头|组建|推出|宣布|达到|举办|提出|"
    r"的[^的是有]{0,6}(?:是|有)"
)
_INTERROGATIVES = interrogative_pattern(["请问"])
_PUNCT = "?？!！。,，;；:：、 \t\r\n\u3000"
_LEADING_FILLER = re.compile(r"^(?:请问|那么|那|还有|另外|然后)")


@dataclass(frozen=True, slots=True)
class ResolvedQuestion:
    """A question resolved against a conversation.

    Attributes:
        question: the question as asked.
        query: the self-contained question (the topic put back in); equals ``question``
            when it is not a follow-up.
        focus: the question without its reference word (what answer sentences should
            match); equals ``question`` when it is not a follow-up.
        topic: the earlier topic that was put back in, "" when it is not a follow-up.
    """

    question: str
    query: str
    focus: str
    topic: str = ""

    @property
    def is_follow_up(self) -> bool:
        """True when the question was rewritten with an earlier topic."""
        return bool(self.topic)


def question_topic(question: str) -> str:
    """The topic of a self-contained question: its leading noun phrase.

    Args:
        question: a question, in either script.

    Returns:
        The text before the first predicate or preposition (original script), or the
        question without interrogatives and punctuation where that is too short; "" for
        a question with no content.
    """
    text = _LEADING_FILLER.sub("", question.strip(_PUNCT))
    norm = _matching(text)
    match = _TOPIC_END.search(norm)
    if match is not None and match.start() >= 2:
        return text[: match.start()].strip(_PUNCT)
    return _without(text, norm, _INTERROGATIVES).strip(_PUNCT)


def analyze_follow_up(question: str, history: Sequence[Turn | str]) -> ResolvedQuestion:
    """Resolve ``question`` against the earlier turns, with the details.

    Args:
        question: the new question.
        history: earlier turns, oldest first: ``(question, answer)`` pairs, or the
            earlier questions alone.

    Returns:
        The resolved question; not a follow-up (``query == question``) when it names its
        own topic, refers to nothing, or there is no earlier question.
    """
    question = question.strip()
    topic = ""
    for turn in history:
        earlier = turn if isinstance(turn, str) else turn[0]
        if not earlier or not earlier.strip():
            continue
        resolved = _resolve(earlier.strip(), topic)
        topic = resolved.topic or question_topic(resolved.query) or topic
    return _resolve(question, topic)


def resolve_follow_up(question: str, history: Sequence[Turn | str]) -> str:
    """The self-contained form of ``question`` given the earlier turns.

    Example:
        >>> earlier = "长三角国资百企联盟创新子联盟由哪些企业牵头组建?"
        >>> resolve_follow_up("它的首批成员有多少家?", [(earlier, "…4家企业牵头组建")])
        '长三角国资百企联盟创新子联盟的首批成员有多少家?'

    Args:
        question: the new question.
        history: earlier turns, oldest first: ``(question, answer)`` pairs, or the
            earlier questions alone.

    Returns:
        The question with the earlier topic put in place of its reference word (or in
        front of an elliptic question); the question unchanged when it is not a follow-up.
    """
    return analyze_follow_up(question, history).query


# -- helpers ------------------------------------------------------------------------------


def _matching(text: str) -> str:
    """Normalized text for matching, or the text itself where the lengths differ."""
    norm = normalize_for_matching(text)
    return norm if len(norm) == len(text) else text


def _without(text: str, norm: str, pattern: re.Pattern[str]) -> str:
    """``text`` without the spans where ``pattern`` matches its normalized form ``norm``."""
    kept, pos = [], 0
    for match in pattern.finditer(norm):
        kept.append(text[pos : match.start()])
        pos = match.end()
    kept.append(text[pos:])
    return "".join(kept)


def _resolve(question: str, topic: str) -> ResolvedQuestion:
    plain = ResolvedQuestion(question=question, query=question, focus=question)
    if not topic:
        return plain
    norm = _matching(question)
    if _matching(topic) in norm:
        return plain  # names its own topic
    masked = _NOT_ANAPHORIC.sub(lambda m: "\0" * len(m.group()), norm)
    match = _ANAPHOR.search(masked)
    if match is not None:
        start, end = match.span()
        query = question[:start] + topic + question[end:]
        focus = (question[:start] + question[end:]).strip(_PUNCT)
        focus = focus[1:] if focus.startswith("的") else focus
        return ResolvedQuestion(question, query, focus or question, topic)
    content = _INTERROGATIVES.sub("", norm).strip(_PUNCT)
    elliptic = _ELLIPSIS_START.search(norm) or _ELLIPSIS_END.search(norm)
    if elliptic and len(content) <= _MAX_ELLIPTIC_CHARS:
        rest = _LEADING_FILLER.sub("", question.strip(_PUNCT)).strip(_PUNCT)
        joiner = "" if rest.startswith("的") else "的"
        return ResolvedQuestion(question, f"{topic}{joiner}{rest}", rest or question, topic)
    return plain
