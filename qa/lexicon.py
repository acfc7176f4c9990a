"""The project's vocabularies, as data: every word list the reader and its checks use.

Each list is defined once here and imported where it is used; code that only matches
against a list holds no copy of it. Lists that look alike but serve different purposes
are kept apart and named for their purpose (:data:`ADMINISTRATIVE_SUFFIXES` is a part of
:data:`PLACE_SUFFIXES`, built from it; the head nouns of question analysis are not the
name suffixes of the span features). Entries are in simplified script: match them
against text folded with :func:`corpus.normalize.normalize_for_matching`.

* **Question words**: interrogatives and the kind of answer each asks for
  (:data:`WH_TYPES`), the answer types, the head nouns that refine them (``哪个城市`` asks
  for a place), measure words after an interrogative, words that ask to describe;
* **numbers**: Chinese numerals, units and measure words;
* **answer spans**: function characters, punctuation, name suffixes of organisations
  and places, common surnames, words that introduce an answer (``位于``, ``为``);
* **short answers**: the words around an enumeration (conjunctions, introducers) and
  around a name given after a role (roles, the verbs of saying that end a name);
* **questions about the article**: the words that ask for its reporter, date or outlet
  (:mod:`qa.answering.metadata`);
* **checks**: offices (the ``role`` check);
* **contrast sets**: qualifiers that exclude one another (``全年`` against ``前三季度``,
  ``全球`` against ``全国``), which the confidence model compares between the question
  and the text it answers from;
* **measures**: the attributes that are stated as a value of a kind (``造价`` in an
  amount of money, ``身高`` in a length), which the confidence model looks for in the
  text it answers from.

Interrogatives and sentence-final particles carry no content to match in a source
sentence; they mark the slot the answer fills. Question analysis, answer extraction and
follow-up resolution all use :data:`WH_TYPES`; question analysis
(:mod:`qa.analysis.question`) refines the kind from the words around the interrogative
(``哪个城市`` asks for a place, ``什么时候`` for a time).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = [
    "ADMINISTRATIVE_SUFFIXES",
    "ANSWER_TYPES",
    "ARTICLE_FILLER",
    "ARTICLE_WORDS",
    "ATTRIBUTE_VERBS",
    "CHINESE_NUMERALS",
    "CLAUSE_COMMAS",
    "CONTRAST_SETS",
    "DATE_ASKING_WORDS",
    "DEICTIC_CHARS",
    "DESCRIBE_WORDS",
    "DYNASTIES",
    "FUNCTION_CHARS",
    "HEAD_NOUNS",
    "INTERROGATIVES",
    "LEAD_WORDS",
    "LIST_CONJUNCTIONS",
    "LIST_INTRODUCERS",
    "MEASURES",
    "NAME_ENDS",
    "NAME_LEADS",
    "NOT_HEAD_NOUNS",
    "OFFICES",
    "OFFICE_HOLDER",
    "ORGANIZATION_SUFFIXES",
    "OUTLET_ASKERS",
    "OUTLET_NAME_SUFFIXES",
    "OUTLET_NOUNS",
    "OUTLET_SOURCE_WORDS",
    "OUTLET_VERBS",
    "PERIOD_VALUES",
    "PLACE_SUFFIXES",
    "PUBLISH_VERBS",
    "QUESTION_MEASURE_WORDS",
    "READER_PUNCTUATION",
    "REPORTER_WORDS",
    "ROLES",
    "ROLE_TRIM_CHARS",
    "SURNAMES",
    "THIS_ARTICLE_WORDS",
    "UNITS",
    "WHO_WORDS",
    "WH_TYPES",
    "interrogative_pattern",
]

ANSWER_TYPES: tuple[str, ...] = (
    "person",
    "place",
    "organization",
    "time",
    "number",
    "list",
    "reason",
    "manner",
    "entity",
    "yesno",
)
"""The kinds of answer a question can ask for (``entity``: any noun phrase)."""

WH_TYPES: tuple[tuple[str, str], ...] = (
    ("为什么", "reason"),
    ("为何", "reason"),
    ("因何", "reason"),
    ("何故", "reason"),
    ("怎么样", "manner"),
    ("什么样", "manner"),
    ("怎样", "manner"),
    ("如何", "manner"),
    ("怎么", "manner"),
    ("哪些", "list"),
    ("哪位", "person"),
    ("何人", "person"),
    ("谁", "person"),
    ("哪里", "place"),
    ("哪儿", "place"),
    ("何地", "place"),
    ("何处", "place"),
    ("什么时候", "time"),
    ("甚么时候", "time"),
    ("何时", "time"),
    ("几时", "time"),
    ("哪年", "time"),
    ("哪天", "time"),
    ("多少", "number"),
    ("多大", "number"),
    ("多长", "number"),
    ("多远", "number"),
    ("多久", "number"),
    ("多高", "number"),
    ("多重", "number"),
    ("多深", "number"),
    ("多宽", "number"),
    ("多快", "number"),
    ("几", "number"),
    ("哪家", "organization"),
    ("哪个", "entity"),
    ("哪一", "entity"),
    ("哪", "entity"),
    ("什么", "entity"),
    ("甚么", "entity"),
    ("啥", "entity"),
    ("有何", "entity"),
    ("何种", "entity"),
    ("是否", "yesno"),
    ("是不是", "yesno"),
    ("有没有", "yesno"),
    ("吗", "yesno"),
    ("呢", "yesno"),
)
"""Interrogative -> the kind of answer it asks for; longer words before their prefixes
where they share a start (``哪些`` before ``哪``)."""

INTERROGATIVES: tuple[str, ...] = tuple(word for word, _ in WH_TYPES)
"""Interrogative words and question particles."""


# -- question analysis -----------------------------------------------------------------

HEAD_NOUNS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "time",
        tuple(
            "时候 时间 时期 年代 年份 年 月份 月 日子 日期 天 朝代 世纪 季节 阶段 时段 "
            "号 日".split()
        ),
    ),
    (
        "place",
        tuple(
            "地方 地点 地区 国家 城市 省份 省 州 县 区域 区 镇 乡 村 岛屿 岛 山脉 山 河流 河 "
            "湖泊 湖 海域 海 大洲 洲 大陆 位置 国 市 街道 路 港口 港 车站 站 机场 地".split()
        ),
    ),
    (
        "organization",
        tuple(
            "公司 机构 组织 单位 部门 团体 企业 集团 大学 学校 学院 医院 银行 球队 俱乐部 队 "
            "政党 党派 党 协会 委员会 部队 军队 媒体 报社 报纸 电视台 电台 乐队 乐团 工厂 "
            "厂 品牌 政府 出版社 唱片公司 航空公司 基金会 联盟".split()
        ),
    ),
    (
        "person",
        tuple(
            "人物 人 球员 演员 歌手 作者 作家 导演 皇帝 国王 总统 学者 科学家 画家 诗人 "
            "运动员 选手 领导人 官员 将军 教练".split()
        ),
    ),
)
"""Answer type -> the head nouns after an interrogative that ask for it (``哪个城市``:
place); a noun of several characters is tried before the one it starts with."""

NOT_HEAD_NOUNS: tuple[str, ...] = (
    "年龄",
    "年纪",
    "年级",
    "年轻",
    "年薪",
    "月薪",
    "天气",
    "人口",
    "人数",
    "地位",
)
"""Words that start with a head noun and are not one (``哪个年龄段`` asks no time)."""

QUESTION_MEASURE_WORDS = "个家位所座条种部本项支名只间类款"
"""Measure words that may follow an interrogative (``哪个``, ``几名``, ``什么样的一种``)."""

DESCRIBE_WORDS: tuple[str, ...] = (
    "简述",
    "简要说明",
    "简单介绍",
    "介绍",
    "描述",
    "说明",
    "概述",
    "说说",
)
"""Words a question that asks to describe starts with (``简述…``: a ``manner`` question),
in the order they are tried."""

ATTRIBUTE_VERBS: tuple[str, ...] = ("是", "为", "叫", "有", "在", "于", "达到", "达")
"""Verbs between the attribute asked about and the interrogative (``…的秘书长是谁``), in
the order they are tried."""

PERIOD_VALUES: dict[str, str] = {
    "全年": "year",
    "上半年": "h1",
    "下半年": "h2",
    "前三季度": "q1-3",
    "前3季度": "q1-3",
    "前二季度": "q1-2",
    "前2季度": "q1-2",
    "前一季度": "q1",
    "前1季度": "q1",
}
"""Periods of a year -> their canonical value (the ``value`` of a period constraint)."""

# -- numbers -------------------------------------------------------------------------------

CHINESE_NUMERALS = "零〇一二两三四五六七八九十百千万亿"
"""The characters of a number written in Chinese numerals (digits, units, 万 and 亿): one
table for typed spans, constraints, counts and amounts. Narrower classes written inside
patterns (the digits of a century, ``[零〇一二三四五六七八九十]``; a rank, ``第[一…十]``)
are no copies of it: each is what its pattern accepts."""

UNITS: tuple[str, ...] = tuple(
    (
        "平方公里 平方千米 平方米 平方英里 立方米 公里 千米 厘米 毫米 微米 纳米 公尺 英里 英尺 "
        "英寸 海里 米 公顷 亩 吨 公斤 千克 毫克 克 斤 磅 升 毫升 瓦 千瓦 兆瓦 伏 度 摄氏度 "
        "小时 分钟 秒钟 秒 个月 周 星期 天 日 年 岁 倍 "
        "亿元 万元 千元 元 美元 港元 港币 日元 欧元 英镑 人民币 新台币 台币 澳元 卢布 "
        "个 家 名 位 人 次 场 届 批 期 项 种 类 条 件 部 本 首 篇 辆 架 艘 台 座 所 层 栋 "
        "间 户 支 队 国 省 市 县 区 所 票 分 局 盘 球 枚 块 片 份 张 株 棵 只 头 匹 对 套 "
        "集 章 节 册 卷 季 代 轮 站 线 号 楼 字 词 页 行 列 段 步 版"
    ).split()
)
"""Units and measure words a quantity or an ordinal ends with (``86公里``, ``第五届``), in
the order a pattern tries them (a longer unit before the one it ends with)."""

DYNASTIES = "夏商周秦汉晋隋唐宋元明清"
"""Dynasties an era is named by (``清朝``, ``唐代``)."""

# -- answer spans ------------------------------------------------------------------------

FUNCTION_CHARS = frozenset("的了是在和与及等由被把对从向为将于以并而也都就或其之着过所且还又即")
"""Function words of one character: no matching term of a question, and where a chunk of
a sentence ends."""

READER_PUNCTUATION = frozenset(",.;:!?，。；：！？、()（）“”‘’「」『』《》〈〉\"' \t\n\u3000—-…·")
"""Punctuation and spaces a span is trimmed of and that no answer term holds (the
reader's own set: wider than the clause breaks, it has quotes, brackets and dashes)."""

CLAUSE_COMMAS = frozenset(",，;；")
"""The commas and semicolons that join clauses (a span that holds one spans clauses)."""

ORGANIZATION_SUFFIXES: tuple[str, ...] = tuple(
    "公司 集团 大学 学院 学校 中学 小学 委员会 协会 学会 联合会 研究院 研究所 研究中心 中心 "
    "医院 银行 基金会 俱乐部 球队 队 党 政府 部 局 厅 署 院 所 会 社 台 报 组织 机构 联盟 "
    "乐团 乐队 出版社 电视台 工厂 厂".split()
)
"""Words the name of an organisation ends with."""

ADMINISTRATIVE_SUFFIXES: tuple[str, ...] = tuple("省 市 县 区 镇 乡 村 州".split())
"""What the name of an administrative place ends with (``上海市``, ``浙江省``)."""

PLACE_SUFFIXES: tuple[str, ...] = (
    *ADMINISTRATIVE_SUFFIXES,
    *"国 岛 山 河 江 湖 海 港 湾 街 路 洲 岭 峰 城 府 郡 岛屿 半岛 盆地 高原 平原 沙漠 海峡 "
    "大道".split(),
)
"""Words the name of any place ends with: the administrative suffixes and those of
countries, islands, mountains, waters, streets, regions."""

SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
    "毛郝龚邵万钱严覃武戴莫孔向汤"
)
"""The most common Chinese surnames (a person's name usually starts with one)."""

LEAD_WORDS: tuple[str, ...] = (
    *("位于", "由于", "因为", "称为", "名为", "可达"),
    *("为", "于", "称", "名", "是", "在", "由", "以", "被"),
)
"""Words that introduce an answer without being part of it (``位于杭州市滨江区``: the
answer is ``杭州市滨江区``), longest first."""

# -- checks --------------------------------------------------------------------------------

OFFICES: tuple[str, ...] = tuple(
    """理事长 秘书长 会长 主席 董事长 总经理 局长 部长 市长 省长 县长 镇长 校长 院长 主任
    总裁 总统 总理 首相 负责人 队长 社长 行长 厅长 书记 总监""".split()
)
"""Offices: an attribute that ends with one (``理事长单位``, ``首任校长``) asks who holds
it, which a sentence that never names the office does not say."""

OFFICE_HOLDER = "单位"
"""``理事长单位``: the organisation holding the office; the sentence names the office."""


# -- contrast sets -------------------------------------------------------------------------

CONTRAST_SETS: tuple[tuple[str, tuple[tuple[str, ...], ...]], ...] = (
    # Periods of a year; quarters, halves and the year; parts of a month.
    (
        "period",
        (
            ("全年", "整年", "全年度"),
            ("上半年", "前两季度", "前二季度", "前2季度", "1-6月", "1至6月", "一至六月"),
            ("下半年", "后两季度"),
            ("前三季度", "前3季度", "1-9月", "1至9月", "一至九月"),
            ("第一季度", "一季度", "首季", "1季度"),
            ("第二季度", "二季度", "2季度"),
            ("第三季度", "三季度", "3季度"),
            ("第四季度", "四季度", "4季度"),
        ),
    ),
    ("part of a month", (("上旬",), ("中旬",), ("下旬",))),
    ("season", (("春季", "春天"), ("夏季", "夏天"), ("秋季", "秋天"), ("冬季", "冬天"))),
    ("part of a day", (("凌晨",), ("上午", "早上"), ("中午",), ("下午",), ("晚上", "夜间"))),
    # Scope, narrow to wide.
    (
        "scope",
        (
            ("全县", "县内"),
            ("全市", "市内"),
            ("全省", "省内"),
            ("全国", "国内", "我国", "全中国"),
            ("全球", "全世界", "世界上", "世界第", "世界最", "世界之最", "国际上"),
        ),
    ),
    # Groups of people.
    (
        "sex",
        (
            ("男子", "男性", "男生", "男篮", "男足", "男单", "男双"),
            ("女子", "女性", "女生", "女篮", "女足", "女单", "女双"),
        ),
    ),
    ("age", (("青年", "青少年"), ("老年",), ("少年", "儿童"))),
    ("degree", (("本科",), ("硕士",), ("博士",))),
    ("service", (("陆军",), ("海军",), ("空军",))),
    ("ownership", (("国有", "国企", "国营", "央企"), ("民营", "民企", "私营"), ("外资", "外企"))),
    # Places within a whole, directions.
    (
        "part of a region",
        (
            ("东部",),
            ("西部",),
            ("南部",),
            ("北部",),
            ("中部",),
            ("东北部",),
            ("西北部",),
            ("东南部",),
            ("西南部",),
        ),
    ),
    ("bank", (("东岸",), ("西岸",), ("南岸",), ("北岸",))),
    ("river", (("上游",), ("中游",), ("下游",))),
    ("town and country", (("城镇",), ("农村", "乡村"))),
    # Directions of trade and of a change; results.
    ("trade", (("进口",), ("出口",))),
    (
        "change",
        (("增长", "增加", "上升", "提高", "上涨"), ("下降", "减少", "降低", "下跌", "下滑")),
    ),
    ("result", (("盈利",), ("亏损",))),
    ("venue", (("主场",), ("客场",))),
    ("ceremony", (("开幕",), ("闭幕",))),
    ("place in a contest", (("冠军",), ("亚军",), ("季军",))),
    ("medal", (("金牌",), ("银牌",), ("铜牌",))),
    # Extremes.
    ("highest", (("最高",), ("最低", "最矮"))),
    ("largest", (("最大",), ("最小",))),
    ("most", (("最多",), ("最少",))),
    ("longest", (("最长",), ("最短",))),
    ("earliest", (("最早", "最先"), ("最晚", "最迟"))),
    ("fastest", (("最快",), ("最慢",))),
    ("deepest", (("最深",), ("最浅",))),
    ("heaviest", (("最重",), ("最轻",))),
    ("hottest", (("最热",), ("最冷",))),
    ("strongest", (("最强",), ("最弱",))),
    ("widest", (("最宽",), ("最窄",))),
    ("oldest", (("最古老", "最老"), ("最年轻",))),
)
"""Sets of qualifiers that exclude one another, as ``(dimension, classes)``; the
spellings of a class state one value (``全球``, ``全世界``, ``世界最…``). A fact stated of
one value is not stated of another: ``全年`` sales are not ``前三季度`` sales, the
``最大`` island is not the ``最小``. A paraphrase keeps the value or drops it; a near
miss puts another value of the same dimension in its place. Every spelling has two
characters or more (``女`` alone is a part of too many words); within a dimension the
longest spelling is matched first (``前三季度`` is not ``三季度``). General knowledge and the
dev near misses only (the qualifier swaps of :mod:`eval.nearmiss` are one source of
them); the confidence model learns how much each disagreement weighs
(:mod:`qa.answering.extractive.stages.confidence`)."""


# -- measures ------------------------------------------------------------------------------

MEASURES: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    (
        "money",
        tuple(
            (
                "造价 售价 价格 票价 价钱 定价 单价 成本 投资额 总投资 营收 营业额 营业收入 "
                "销售额 收入 利润 净利润 市值 总资产 薪水 薪资 工资 年薪 月薪 奖金 票房 估值 "
                "费用 经费 耗资 花费 租金 学费 身价 转会费 税收 生产总值 预算 罚款 赔偿"
            ).split()
        ),
        tuple(
            (
                "亿元 万元 千元 元 美元 港元 港币 日元 欧元 英镑 人民币 新台币 台币 澳元 "
                "卢布 马克 法郎 韩元 円 镑 块"
            ).split()
        ),
    ),
    (
        "length",
        tuple(
            (
                "身高 高度 长度 全长 总长 深度 水深 海拔 宽度 距离 直径 半径 厚度 跨度 周长 "
                "里程 射程 翼展 口径 落差 航程"
            ).split()
        ),
        tuple(
            (
                "公里 千米 公尺 厘米 公分 毫米 英尺 英里 英寸 海里 光年 米 尺 呎 吋 km cm mm m ft"
            ).split()
        ),
    ),
    (
        "weight",
        tuple("体重 重量 质量 载重 排水量 吨位 载重量".split()),
        tuple("公斤 千克 毫克 克 吨 磅 斤 kg".split()),
    ),
    (
        "area",
        tuple("面积 占地 占地面积 建筑面积 流域面积 总面积 辖区面积".split()),
        tuple("平方公里 平方千米 平方米 平方英里 平方公尺 公顷 英亩 亩 km2 m2".split()),
    ),
    (
        "people",
        tuple(
            (
                "人口 客流量 客流 人数 员工 雇员 职工 成员 会员 学生 观众 游客 乘客 选民 "
                "信徒 教徒 居民 党员 球迷 教职员 运动员 住户 旅客 用户"
            ).split()
        ),
        tuple("人次 万人 人 名 位 户".split()),
    ),
    (
        "copies",
        tuple("销量 销售量 发行量 印量 出货量 订量".split()),
        tuple("万张 万份 万部 万册 万套 张 份 部 册 本 套 台 辆 架 艘 件 copies".split()),
    ),
    (
        "speed",
        tuple("时速 速度 航速 车速 最高速度 最高时速 风速".split()),
        tuple("公里 千米 km 节 马赫 米 英里 mph".split()),
    ),
    ("age", tuple("年龄 岁数 享年 终年 年纪".split()), tuple("岁 周岁".split())),
    (
        "temperature",
        tuple("温度 气温 水温 熔点 沸点".split()),
        tuple("摄氏度 华氏度 度 °c ℃".split()),
    ),
)
"""Attributes stated as a value of one kind, as ``(measure, words that ask it, units of
its values)``: ``造价`` is an amount of money (``3.5亿元``), ``身高`` a length
(``1.85米``), ``客流量`` a count of people (``2万人次``). A question that asks one of
these words, or a number in one of these units (``多少公里``), is answered only by a text
that states a number in its units; an article that states none does not give it (a near
miss asks ``售价`` of an article that gives dates). Longer units before the ones they end
with. A count of people or copies, or an amount of money, may also be a bare large
number (``30万``, ``3.5亿``). General knowledge, not the near-miss sets' wording; the
confidence model learns how much a value not found weighs
(:mod:`qa.answering.extractive.stages.confidence`)."""


# -- short answers ------------------------------------------------------------------------

LIST_CONJUNCTIONS: tuple[str, ...] = ("以及", "和", "及", "与", "或")
"""Words joining the last item of an enumeration (``甲、乙和丙``), longest first."""

LIST_INTRODUCERS: tuple[str, ...] = (
    "包括", "包含", "分别是", "分别为", "依次为", "即", "有", "是", "为", "了", "于", "在", "自",
)  # fmt: skip
"""Words introducing the first item of an enumeration (``包括A、B``): not a part of it."""

NAME_ENDS: tuple[str, ...] = (
    "表示", "说", "指出", "介绍", "认为", "称", "强调", "透露", "提到", "提出", "在",
    "出席", "致辞", "发言", "讲话", "等", "和", "与", "及", "也", "则", "对", "向", "就",
)  # fmt: skip
"""Words that end a name written after a role (``副局长尚鹏表示``: verbs of saying,
conjunctions, prepositions)."""

ROLES: tuple[str, ...] = (
    *OFFICES,
    *"记者 作者 编辑 主编 经理 主任 代表 教授 导演 教练 发言人 创始人 董事".split(),
)
"""Roles a name is written after (:data:`OFFICES` and other titles)."""

ROLE_TRIM_CHARS = "是的为了"
"""Characters stripped from the end of the question's text before the interrogative
(``…副局长是谁`` → ``…副局长``)."""

NAME_LEADS: tuple[str, ...] = ("名叫", "叫做", "是", "为", "叫")
"""Words between a role and the name it introduces (``局长为尚鹏``), longest first."""

# -- questions about the article -----------------------------------------------------------

ARTICLE_WORDS: tuple[str, ...] = (
    "这篇", "这则", "这个报道", "本篇", "本文", "该文", "此文", "原文", "文章", "报道", "新闻",
    "稿件", "消息", "这条",
)  # fmt: skip
"""Words for an article (``这篇``, ``报道``): a question naming one may ask about it."""

THIS_ARTICLE_WORDS: tuple[str, ...] = (
    "这篇", "这则", "这条", "这个报道", "本篇", "本文", "该文", "此文", "原文", "该报道",
    "此报道", "该新闻",
)  # fmt: skip
"""Words that point at this article (``这篇``, ``该报道``), not at any it reports on."""

OUTLET_NAME_SUFFIXES: tuple[str, ...] = ("新闻网", "日报", "晚报", "电视台", "通讯社", "网", "社")
"""How an outlet's name ends (``中新网``, ``人民日报``, ``新华社``)."""

DEICTIC_CHARS = "这该此本那"
"""The words for "this" that start a name-like word that names no outlet (``本网``)."""

REPORTER_WORDS: tuple[str, ...] = (
    "记者", "作者", "撰稿人", "撰稿", "执笔", "责任编辑", "责编", "编辑", "通讯员", "署名",
)  # fmt: skip
"""Words for the person who wrote an article."""

WHO_WORDS: tuple[str, ...] = (
    "谁",
    "哪位",
    "哪个人",
    "哪些人",
    "什么名字",
    "叫什么",
    "姓名",
    "是哪",
)
"""Words asking for a person."""

DATE_ASKING_WORDS: tuple[str, ...] = (
    "哪天", "哪一天", "什么时候", "什么时间", "何时", "几号", "几月几日", "哪年", "什么日期",
    "日期", "时间",
)  # fmt: skip
"""Words asking for a date."""

PUBLISH_VERBS: tuple[str, ...] = (
    "发布", "发表", "刊发", "刊登", "刊出", "发出", "发稿", "报道", "出版", "写的", "写于", "发的",
)  # fmt: skip
"""Verbs of publishing an article."""

OUTLET_ASKERS: tuple[str, ...] = ("哪家", "哪个", "什么", "哪一家")
"""Interrogatives before a word for an outlet (``哪家媒体``)."""

OUTLET_NOUNS: tuple[str, ...] = (
    "媒体", "网站", "报纸", "报社", "通讯社", "新闻机构", "新闻网", "平台", "机构",
)  # fmt: skip
"""Words for an outlet, after an interrogative of :data:`OUTLET_ASKERS`."""

OUTLET_SOURCE_WORDS: tuple[str, ...] = ("来源", "出处", "出自")
"""Words asking for an article's source on their own."""

OUTLET_VERBS: tuple[str, ...] = (
    "发布",
    "发表",
    "刊发",
    "刊登",
    "报道",
    "来源",
    "出处",
    "出自",
    "来自",
)
"""Verbs and nouns that tie an outlet to the article (``由哪家媒体发布``)."""

ARTICLE_FILLER: tuple[str, ...] = (
    "这篇", "这则", "本篇", "本文", "该文", "此文", "原文", "文章", "报道", "新闻", "稿件",
    "消息", "这条", "的", "是", "了", "吗", "呢", "请问",
)  # fmt: skip
"""What a bare question about the article may hold besides its field and interrogative
(with punctuation and spaces)."""


@lru_cache(maxsize=8)
def _compile(extra: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first, so that 为什么 wins over 什么 and 哪些 over 哪.
    words = sorted(INTERROGATIVES, key=len, reverse=True)
    return re.compile("|".join([*words, *extra]))


def interrogative_pattern(extra: Iterable[str] = ()) -> re.Pattern[str]:
    """A regex matching any interrogative (longest first), plus the ``extra``
    alternatives given.

    Args:
        extra: further regex alternatives tried after the lexicon (``"[?？]"``,
            ``"请问"``).

    Returns:
        The compiled pattern (cached per ``extra``).
    """
    return _compile(tuple(extra))
