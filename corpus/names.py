"""Whether a short string can be a Chinese person's name: it starts with a surname.

Used where a page states a name with no label (a name alone on the line under the
headline): a line such as ``学习目的`` or ``会议议程`` in that place is a section label,
``胡平`` or ``赵延东、风笑天`` a byline. The surnames are the common ones of the
*Hundred Family Surnames* and of today's population registers (together well over 95%
of people), in both scripts, and the common two-character surnames.
"""

from __future__ import annotations

__all__ = ["COMPOUND_SURNAMES", "SURNAMES", "has_surname"]

_SIMPLIFIED = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫阎段雷侯龙史陶黎"
    "贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧"
    "耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍"
    "华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏"
    "宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈"
    "匡鞠惠荆乐冀郁胥南班储栗燕楚鄢劳谌奚皮粟冼蔺楼满闻位厉伊仝区郜阚花权帅屠豆朴盖练廉禹井"
    "祖漆巴丰支卿狄计索宣晋相初门云容敬扈晁芮都阙浦戈伏鹿薄邸雍辜羊乌母裘亓修邰赫杭况宿鲜印"
    "逯隆茹诸战慕危亢嵇湛宾戎勾茅利於揭干尉冶斯束檀衣展阴昝幸奉植衡富尧凤洪赖"
)
# The traditional forms of the surnames above that differ from the simplified ones.
_TRADITIONAL = (
    "張劉陳楊黃趙吳孫馬羅鄭謝許韓馮鄧蔣葉蘇呂盧鍾譚陸賈韋鄒閆閻雷龍陶賀顧龔萬錢嚴湯溫樊聶魯"
    "詹歐關蘭紀畢單塗駱藍靳鮑華喻饒繆車項賴蘆麥婁竇岑黨費衛邊師欒隋鞏鄺談鄧樂鬱儲鄢諶藺樓"
    "滿聞厲區郜闕陽農龐顏莊齊喬寧盛曲翁蒙賴鳳馮"
)
SURNAMES: frozenset[str] = frozenset(_SIMPLIFIED + _TRADITIONAL)
COMPOUND_SURNAMES: frozenset[str] = frozenset(
    "欧阳 歐陽 司马 司馬 上官 诸葛 諸葛 东方 東方 皇甫 尉迟 尉遲 公孙 公孫 慕容 长孙 長孫 宇文 "
    "司徒 夏侯 轩辕 軒轅 令狐 端木 独孤 獨孤 南宫 南宮 西门 西門 申屠 司空 闻人 聞人 澹台 "
    "钟离 鍾離 淳于 呼延 百里 拓跋".split()
)


def has_surname(name: str) -> bool:
    """Whether ``name`` (2-4 Chinese characters, no spaces) starts with a common surname
    and has a given name after it."""
    if not 2 <= len(name) <= 4:
        return False
    if name[:2] in COMPOUND_SURNAMES:
        return len(name) >= 3
    return name[0] in SURNAMES and len(name) <= 3
