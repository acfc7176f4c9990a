"""Follow-up questions: resolve a question against the earlier turns of a conversation.

No model is needed. A follow-up refers back to the **entity** an earlier question was
about, in one of two ways:

* through a pronoun or demonstrative (它, 它们, 其, 该, 此, 这个, 他, 她, 他们, 该公司,
  这座大桥, ...): the entity takes its place. After ``苏州地铁8号线全长多少公里?``,
  ``它的最高运行速度是多少?`` becomes ``苏州地铁8号线的最高运行速度是多少?``;
* by ellipsis (``那X呢?``, ``X呢?``, ``那么X呢``, ``还有X呢?``). When ``X`` names another
  entity, the earlier question is asked again about it (``那宁波舟山港呢?`` becomes
  ``宁波舟山港全长多少公里?``); when ``X`` is an attribute (``那最高运行速度呢?``,
  ``那首批成员有多少家?``), it is asked of the earlier entity
  (``苏州地铁8号线的最高运行速度呢?``); when ``X`` is a year or a period
  (``那2023年呢?``), the earlier question is asked of it.

:func:`resolve_follow_up` gives the self-contained question, so that retrieval finds the
right passage; :func:`analyze_follow_up` also gives the question without the reference
word (its *focus*), which is what answer sentences should be matched on.

The **topic** of a question is its leading noun phrase: the text before the first
predicate or preposition (``由``, ``是``, ``在``, ``的…是``, ``多少``, ...). Its
**entity** is the topic without the attribute asked about: the part before ``的``
(``宁波舟山港`` of ``宁波舟山港的年吞吐量``), or before a trailing attribute noun
(``苏州地铁8号线`` of ``苏州地铁8号线全长``: jieba's words, an attribute lexicon), less a
trailing period or adverb (``长三角三省一市`` of ``长三角三省一市前三季度``, ``李强`` of
``李强现任``). A follow-up of a follow-up keeps the entity of the question it resolved
to.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from corpus.normalize import normalize_for_matching
from qa.lexicon import interrogative_pattern

__all__ = [
    "ResolvedQuestion",
    "Turn",
    "analyze_follow_up",
    "question_entity",
    "question_topic",
    "resolve_follow_up",
]

Turn = tuple[str, str]
"""One earlier exchange: ``(user question, assistant answer)``."""

# Words that contain a pronoun character but do not refer back (masked before matching).
_NOT_ANAPHORIC = re.compile(
    r"其他|其它|其中|其实|其余|其次|其后|尤其|极其|与其|因此|如此|从此|彼此|此外|此前|此后|"
    r"此时|此次|此刻|该当|应该|他人|他国|他乡|吉他|她们的?国|这么|那么|这样|那样|这儿|"
    r"那儿|这时|那时"
)
# Pronouns and demonstratives that point at an earlier entity, longest first.
_ANAPHOR = re.compile(
    r"它们|他们|她们|这个|那个|这家|那家|这些|那些|这一|那一|这项|那项|这位|那位|上述|前者|后者|"
    r"它|他|她|其|该|此|这|那"
)
# A demonstrative with the category noun it points with (该公司, 这座大桥, 此次会议): the
# whole phrase stands for the entity.
_CATEGORIES = sorted(
    (
        "公司 集团 企业 机构 组织 单位 联盟 实验室 项目 工程 线路 地铁线 地铁 港口 城市 地区 "
        "国家 省份 大学 高校 学校 医院 会议 大会 论坛 峰会 活动 平台 产品 大桥 铁路 高铁 "
        "机场 车站 政策 倡议 计划 规划 协议 赛事 比赛 电影 影片 作品 人物 球员 歌手 车型 "
        "飞机 客机 航班 条约 文件 报告 展会 博览会 品牌 银行 基金 事件 事故 景区 园区 新区 "
        "工厂 基地 团队 球队 节目 游戏 软件 系统 模型 芯片 手机 汽车 航线 探测器 卫星 火箭 "
        "港 线 桥 塔 人"
    ).split(),
    key=len,
    reverse=True,
)
_DEMONSTRATIVE_NP = re.compile(
    r"(?:该|此次|本次|这次|那次|这个|那个|这家|那家|这一|那一|这项|那项|这位|那位|这座|那座|"
    r"这条|那条|这所|那所|这部|那部|这款|那款|这些|那些|此|这|那)(?:" + "|".join(_CATEGORIES) + ")"
)
# Ellipsis: "那…呢?", "还有…呢?", "另外…?" with no entity of its own. 那 before a
# measure word is a demonstrative (那家, 那个), not "then".
_ELLIPSIS_START = re.compile(
    r"^(?:那么|还有|另外|然后|再问一下|再问|那(?![个家些一项位座条所部款次样里儿时]))[,，\s]*"
)
_ELLIPSIS_END = re.compile(r"呢[?？!！。\s]*$")
_MAX_ELLIPTIC_CHARS = 30

# Where a question's leading noun phrase (its topic) ends.
_TOPIC_END = re.compile(
    r"由|是|在|有|为|将|被|把|对|于|从|给|向|和|与|跟|如何|怎么|怎样|为什么|哪|什么|谁|何|几|多少|"
    r"成立|举行|召开|发布|位于|属于|包括|包含|共建|牵头|组建|推出|宣布|达到|举办|提出|"
    r"的[^的是有]{0,6}(?:是|有)"
)
# What makes the rest of an elliptic question a question of its own (``那X有多长?``):
# the same, less the conjunctions that join two names (``那上海和南京呢?``).
_PREDICATE = re.compile(_TOPIC_END.pattern.replace("和|与|跟|", ""))
_INTERROGATIVES = interrogative_pattern(["请问"])
_PUNCT = "?？!！。,，;；:：、 \t\r\n\u3000"
_LEADING_FILLER = re.compile(r"^(?:请问|那么|那|还有|另外|然后)")

# Nouns a question asks of an entity (folded script); a topic that ends with one (and
# the modifiers before it) splits into the entity and the attribute.
_ATTRIBUTE_HEADS = sorted(
    (
        "全长 总长 长度 总长度 里程 运营里程 总里程 高度 海拔 宽度 深度 面积 占地面积 建筑面积 "
        "人口 常住人口 总人口 人数 员工人数 员工 总部 地址 位置 成员 成员单位 会员 主题 宗旨 "
        "目标 口号 导演 作者 主演 编剧 售价 价格 票价 房价 定价 吞吐量 客运量 货运量 客流量 "
        "总量 产量 销量 销售额 营收 收入 利润 净利润 市值 估值 规模 速度 时速 车速 站点 车站 "
        "站数 起点 终点 投资 投资额 造价 成本 费用 预算 董事长 总经理 总裁 首席执行官 ceo "
        "院长 校长 市长 省长 主席 会长 理事长 秘书长 负责人 创始人 创办人 发起人 牵头单位 gdp "
        "增速 增长率 涨幅 占比 比例 比重 容量 装机容量 产能 寿命 续航 重量 排名 名次 票房 "
        "得分 比分 历史 由来 意义 作用 特点 内容 背景 原因 结果 时间 日期 年份 座位数 座位 "
        "座椅 线路 航线 运力 运量 数量 总数 个数 家数 项目数"
    ).split(),
    key=len,
    reverse=True,
)
# Words that may stand before an attribute noun and belong to it (年吞吐量, 首批成员).
_ATTRIBUTE_MODIFIERS = frozenset(
    "年 日 月 首批 首 总 全年 年均 日均 平均 集装箱 年度 旅客 货物 客运 货运 最高 最大 最低 "
    "最小 设计 运营 实际 主要 核心 首任 现任 历任 开通 成立 建成 通车 注册 发行 上映".split()
)
_MODIFIER_TAGS = ("a", "b", "d", "v", "vn", "f")
# A period, time or adverb at the end of a topic is not part of the entity.
_TRAILING_NOT_ENTITY = re.compile(
    r"(?:前[一二三四两1-4]季度|第?[一二三四1-4]季度|上半年|下半年|全年|今年|去年|前年|明年|"
    r"近年来?|\d{2,4}年度?|[〇零一二三四五六七八九]{4}年|目前|现在|当前|现任|最近|近期|"
    r"截至目前|首次|已经|曾经|曾|一共|总共|共)$"
)
# A year, a period of one, or a month: ``那2023年呢?`` asks the same of another time.
_TIME = re.compile(
    r"(?:\d{2,4}|[〇零一二三四五六七八九]{2,4})年度?(?:[上下]半年|前?[一二三四两1-4]季度|"
    r"\d{1,2}月份?)?|今年|去年|前年|明年|上半年|下半年|全年|前?[一二三四两1-4]季度|\d{1,2}月份?"
)
_YEAR_DIGITS = re.compile(r"(?:\d{2,4}|[〇零一二三四五六七八九]{2,4})$")
# Proper-name tags of jieba (places, people, organisations, other names, abbreviations).
_NAME_TAGS = ("ns", "nr", "nt", "nz", "j")
_ENTITY_SUFFIXES = tuple(
    (
        "线 港 公司 集团 大学 学院 实验室 联盟 大桥 大厦 高铁 铁路 地铁 机场 车站 医院 银行 "
        "协会 会议 大会 中心 号 区 省 市 县 镇 村 湖 山 河 江 岛 站 馆 园 所 院 厂 局 部 委 "
        "厅 报 网 台 塔 桥 队 团 社 署 馆 寺 宫 城 路 街"
    ).split()
)
_LATIN_OR_DIGIT = re.compile(r"[0-9a-z]")
_QUOTES = re.compile(r"[“”\"《》「」『』〈〉]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_OPENERS = "“「『《〈(（["
_CLOSERS = "”」』》〉)）]"


@dataclass(frozen=True, slots=True)
class ResolvedQuestion:
    """A question resolved against a conversation.

    Attributes:
        question: the question as asked.
        query: the self-contained question (the entity put back in, or the earlier
            question asked of a new entity); equals ``question`` when it is not a
            follow-up.
        focus: what answer sentences should match: the question without its reference
            word, or the whole ``query`` when the follow-up names a new entity; equals
            ``question`` when it is not a follow-up.
        topic: the earlier entity the question was resolved against ("" when it is not
            a follow-up): put back in place of a pronoun or in front of an elliptic
            attribute, or replaced by the new entity of ``那X呢?``.
    """

    question: str
    query: str
    focus: str
    topic: str = ""

    @property
    def is_follow_up(self) -> bool:
        """True when the question was rewritten against an earlier one."""
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


def question_entity(question: str) -> str:
    """The entity a self-contained question is about: its topic without the attribute
    asked about.

    Example:
        >>> question_entity("苏州地铁8号线全长多少公里?")
        '苏州地铁8号线'
        >>> question_entity("長三角三省一市前三季度的GDP總量是多少?")
        '長三角三省一市'

    Args:
        question: a question, in either script.

    Returns:
        The entity (original script); "" when the topic is only an attribute
        (``首批成员有多少家?``) or the question has no content.
    """
    return _split(question_topic(question))[0]


def analyze_follow_up(question: str, history: Sequence[Turn | str]) -> ResolvedQuestion:
    """Resolve ``question`` against the earlier turns, with the details.

    Args:
        question: the new question.
        history: earlier turns, oldest first: ``(question, answer)`` pairs, or the
            earlier questions alone.

    Returns:
        The resolved question; not a follow-up (``query == question``) when it names its
        own entity, refers to nothing, or there is no earlier question.
    """
    question = question.strip()
    context: _Context | None = None
    for turn in history:
        earlier = turn if isinstance(turn, str) else turn[0]
        if not earlier or not earlier.strip():
            continue
        resolved, entity = _resolve(earlier.strip(), context)
        if not entity:
            entity = _split(question_topic(resolved.query))[0]
        if entity:
            context = _Context(entity, resolved.query)
        elif context is None and (topic := question_topic(resolved.query)):
            context = _Context(topic, resolved.query)
    return _resolve(question, context)[0]


def resolve_follow_up(question: str, history: Sequence[Turn | str]) -> str:
    """The self-contained form of ``question`` given the earlier turns.

    Example:
        >>> earlier = "长三角国资百企联盟创新子联盟由哪些企业牵头组建?"
        >>> resolve_follow_up("它的首批成员有多少家?", [(earlier, "…4家企业牵头组建")])
        '长三角国资百企联盟创新子联盟的首批成员有多少家?'
        >>> resolve_follow_up("那宁波舟山港呢?", ["苏州地铁8号线全长多少公里?"])
        '宁波舟山港全长多少公里?'

    Args:
        question: the new question.
        history: earlier turns, oldest first: ``(question, answer)`` pairs, or the
            earlier questions alone.

    Returns:
        The question with the earlier entity put in place of its reference word (or in
        front of an elliptic attribute), the earlier question asked of the entity an
        elliptic question names; the question unchanged when it is not a follow-up.
    """
    return analyze_follow_up(question, history).query


# -- helpers ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Context:
    """What a follow-up is resolved against: the latest entity and the self-contained
    question it was asked in."""

    entity: str
    query: str


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


def _resolve(question: str, context: _Context | None) -> tuple[ResolvedQuestion, str]:
    """The resolved question, and the entity it is about where the resolution knows it
    ("" for a question that is not a follow-up)."""
    plain = ResolvedQuestion(question=question, query=question, focus=question)
    if context is None:
        return plain, ""
    entity = context.entity
    norm = _matching(question)
    if _matching(entity) in norm or entity in question:
        return plain, ""  # names its own entity
    start_match = _ELLIPSIS_START.match(norm)
    lead = start_match.end() if start_match else 0
    span = _anaphor(norm, lead)
    if span is not None:
        start, end = span
        query = question[lead:start] + entity + question[end:]
        focus = _LEADING_FILLER.sub("", (question[lead:start] + question[end:]).strip(_PUNCT))
        focus = re.sub(r"呢$", "", focus.removeprefix("的")).strip(_PUNCT)
        return ResolvedQuestion(question, query, focus or query, entity), entity
    if not (lead or _ELLIPSIS_END.search(norm)):
        return plain, ""
    body = question[lead:].rstrip(_PUNCT)
    ending = question[lead + len(body) :].strip()
    content = _INTERROGATIVES.sub("", _matching(body)).strip(_PUNCT)
    if not body or len(content) > _MAX_ELLIPTIC_CHARS:
        return plain, ""
    body_norm = _matching(body)
    predicate = _PREDICATE.search(body_norm)
    if predicate is None:  # 那X呢: X is an entity or an attribute
        named = re.sub(r"的?呢$", "", body).strip(_PUNCT)
        if not named:
            return plain, ""
        if _TIME.fullmatch(_matching(named)):  # 那2023年呢?: the same question then
            query = _retime(context.query, named)
            return ResolvedQuestion(question, query, query, entity), entity
        new_entity, attribute = _split(named)
        if new_entity and attribute:
            return plain, ""  # 那宁波舟山港的年吞吐量呢? names both
        if new_entity and (_names_entity(named) or _unknown_word(named)):
            substituted = _substitute(context.query, entity, named)
            if substituted is None:
                return plain, ""
            return ResolvedQuestion(question, substituted, substituted, entity), named
    else:  # 那X有多少…?: a question of its own when X names an entity
        topic = _split(body[: predicate.start()].strip(_PUNCT))[0] if predicate.start() else ""
        if topic and _names_entity(topic):
            return plain, ""
    joiner = "" if body.startswith("的") or (predicate and predicate.start() == 0) else "的"
    query = f"{entity}{joiner}{body}{ending}"
    return ResolvedQuestion(question, query, body, entity), entity


def _anaphor(norm: str, start: int) -> tuple[int, int] | None:
    """The span of the first reference word at or after ``start`` (a demonstrative with
    its category noun where it has one), or None."""
    phrase = _DEMONSTRATIVE_NP.search(norm, start)
    masked = _NOT_ANAPHORIC.sub(lambda m: "\0" * len(m.group()), norm)
    word = _ANAPHOR.search(masked, start)
    if phrase is not None and (word is None or phrase.start() <= word.start()):
        return phrase.span()
    if word is None:
        return None
    return word.span()


def _retime(query: str, time: str) -> str:
    """``query`` asked of another period: its own period replaced by ``time``, or
    ``time`` put in front where it states none."""
    match = _TIME.search(_matching(query))
    if match is None:
        return time + query
    return query[: match.start()] + time + query[match.end() :]


def _substitute(query: str, old: str, new: str) -> str | None:
    """``query`` with its first ``old`` replaced by ``new`` (matched across scripts)."""
    index = _matching(query).find(_matching(old))
    if index < 0:
        index = query.find(old)
    if index < 0:
        return None
    return query[:index] + new + query[index + len(old) :]


def _tagged(norm: str) -> list[tuple[str, str, int]]:
    """jieba's words of folded text with their tags and start offsets; [] where the
    words do not cover the text."""
    from qa.answering.claims import tagged_words

    out, pos = [], 0
    for word, tag in tagged_words(norm):
        out.append((word, tag, pos))
        pos += len(word)
    return out if pos == len(norm) else []


def _split(topic: str) -> tuple[str, str]:
    """``(entity, attribute)`` of a topic noun phrase; ``("", topic)`` when it is only an
    attribute, ``(topic, "")`` when it names no attribute."""
    topic = topic.strip(_PUNCT)
    if not topic:
        return "", ""
    norm = _matching(topic)
    cut = _de_position(norm)
    if cut < 0:
        cut = _attribute_start(norm)
    entity = _trim_entity(topic[:cut])
    if len(_matching(entity).strip()) < 2:
        return "", topic
    return entity, topic[len(entity) :].strip(_PUNCT).removeprefix("的")


def _de_position(norm: str) -> int:
    """The first 的 outside quotes with text on both sides, or -1."""
    depth = 0
    for i, char in enumerate(norm):
        if char in _OPENERS:
            depth += 1
        elif char in _CLOSERS:
            depth = max(0, depth - 1)
        elif char == "的" and depth == 0 and 0 < i < len(norm) - 1:
            return i
    return -1


def _attribute_start(norm: str) -> int:
    """Where the trailing attribute of a topic without 的 starts (``全长`` of
    ``苏州地铁8号线全长``, ``最高运行速度``, ``年吞吐量``); ``len(norm)`` when none."""
    head = next((h for h in _ATTRIBUTE_HEADS if norm.endswith(h)), "")
    if not head:
        return len(norm)
    words = _tagged(norm)
    cut = len(norm) - len(head)
    index = next((i for i, (w, _t, s) in enumerate(words) if s <= cut < s + len(w)), -1)
    if index < 0:
        return cut
    word, tag, start = words[index]
    if start < cut and not _is_modifier(word, tag):
        return cut  # the head ends a longer word: split inside it
    cut = start
    while index > 0 and _is_modifier(words[index - 1][0], words[index - 1][1]):
        index -= 1
        cut = words[index][2]
    year = _YEAR_DIGITS.search(norm, 0, cut)
    if year is not None and norm.startswith("年", cut):  # 2024年客流量
        cut = year.start()
    return cut


def _is_modifier(word: str, tag: str) -> bool:
    if word in _ATTRIBUTE_MODIFIERS:
        return True
    if _LATIN_OR_DIGIT.search(word) or word.endswith(_ENTITY_SUFFIXES):
        return False
    return tag in _MODIFIER_TAGS


def _trim_entity(entity: str) -> str:
    """``entity`` without a trailing period, adverb or verb (``李强现任``,
    ``长三角三省一市前三季度``, ``C919大飞机首飞``)."""
    while True:
        entity = entity.strip(_PUNCT).removesuffix("的").strip(_PUNCT)
        norm = _matching(entity)
        match = _TRAILING_NOT_ENTITY.search(norm)
        if match is not None and match.start() >= 2:
            entity = entity[: match.start()]
            continue
        words = _tagged(norm) if len(norm) > 2 else []
        if len(words) > 1:
            word, tag, start = words[-1]
            rest = entity[:start]
            if (
                tag in ("v", "d", "vd", "t")
                and not _LATIN_OR_DIGIT.search(word)
                and len(_matching(rest).strip()) >= 2
                and _names_entity(rest)
            ):
                entity = rest
                continue
        return entity


def _names_entity(text: str) -> bool:
    """Whether ``text`` looks like a name: Latin letters or digits, quotes, a proper
    name as jieba tags it, or a name's last word (线, 港, 公司, 大学, ...)."""
    norm = _matching(text)
    folded = normalize_for_matching(text)
    if _LATIN_OR_DIGIT.search(folded) or _QUOTES.search(text):
        return True
    if folded.endswith(_ENTITY_SUFFIXES):
        return True
    return any(tag.startswith(_NAME_TAGS) for _, tag, _ in _tagged(norm))


def _unknown_word(text: str) -> bool:
    """Whether jieba's dictionary lacks a word of ``text``: two or more single Chinese
    characters in a row (台积电 as 台/积/电), as unknown names come out."""
    run = 0
    for word, _, _ in _tagged(_matching(text)):
        run = run + 1 if len(word) == 1 and _CJK.match(word) else 0
        if run >= 2:
            return True
    return False
