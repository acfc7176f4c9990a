"""Each cleaning rule on the seed articles and on made-up cases, kept and removed."""

from __future__ import annotations

import re

import pytest

from corpus import CleanedArticle, clean_article
from corpus.cleaning import (
    extract_captions,
    find_garbled,
    is_boilerplate_line,
    is_caption,
    remove_boilerplate,
    remove_garbled,
    remove_pinyin,
    repair_fragment,
    tidy_whitespace,
)

# A parenthesised run of pinyin-like latin letters, as the seeds print them.
PINYIN_LIKE = re.compile(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùüǖǘǚǜ' -]+[)）]")


# --- pinyin ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("長(zhǎng)三角", "長三角"),
        ("產(chǎn)業(yè)鏈聯(lián)盟", "產業鏈聯盟"),
        ("重(chóng)新", "重新"),  # a heteronym: 重 is zhòng or chóng
        ("長(cháng)江", "長江"),
        ("銀行（háng）", "銀行"),  # full-width parentheses
        ("長(zhang)", "長"),  # toneless reading
        ("長江(cháng jiāng)大橋", "長江大橋"),  # several syllables for several characters
    ],
)
def test_pinyin_removed(raw: str, expected: str) -> None:
    result = remove_pinyin(raw)
    assert result.text == expected
    assert all(r.rule == "pinyin" for r in result.removals) and result.removals


@pytest.mark.parametrize(
    "raw",
    [
        "澎湃新聞(www.thepaper.cn)從會議現場了解到",
        "中新網杭州11月1日電(奚金燕)11月1日",
        "營造良好的創新氛圍。(完)",
        "低空經濟AI(人工智能)知識庫",
        "低空經濟(AI)知識庫",
        "王(zhang)先生",  # not a reading of 王
        "天(ān)氣",  # a pinyin shape, but the wrong reading
        "Python (pip) 安裝",
    ],
)
def test_real_parentheticals_stay(raw: str) -> None:
    result = remove_pinyin(raw)
    assert result.text == raw
    assert result.removals == ()


@pytest.mark.parametrize("which", ["000", "003"])
def test_no_pinyin_annotation_left_in_seeds(
    which: str, cleaned_000: CleanedArticle, cleaned_003: CleanedArticle
) -> None:
    cleaned = cleaned_000 if which == "000" else cleaned_003
    assert PINYIN_LIKE.findall(cleaned.text) == []
    assert cleaned.report.count("pinyin") > 200
    for _, value in cleaned.meta:
        assert PINYIN_LIKE.findall(value) == []


def test_seed_000_pinyin_rule_alone(raw_000: str) -> None:
    text = remove_pinyin(raw_000).text
    assert PINYIN_LIKE.findall(text) == []
    assert text.startswith("長三角綠色低碳產業鏈聯盟成立,助新材料新能源企業深度協同\n發布時間:")
    assert "澎湃新聞(www.thepaper.cn)" in text


# --- garbled --------------------------------------------------------------------------


def test_garbled_in_seed_000(raw_000: str) -> None:
    result = remove_garbled(remove_pinyin(raw_000).text)
    assert [r.text for r in result.removals] == ["?dòng)浾?"]
    assert "現場。澎湃新聞姚似璐 圖" in result.text


def test_garbled_in_seed_003_repaired(raw_003: str) -> None:
    result = remove_garbled(remove_pinyin(raw_003).text)
    assert [r.text for r in result.removals] == ["?!≈鬓k", "?yōu)閰^"]
    # Misaligned GBK bytes restore 主辦 and 區; the reading of 區 is then an orphan.
    assert "成立儀式主辦方 供圖" in result.text
    assert "變區(qū)域" in result.text
    assert remove_pinyin(result.text).text.count("變區域") == 1


def test_repair_fragment() -> None:
    assert repair_fragment("?!≈鬓k") == "主辦"
    assert repair_fragment("?yōu)閰^") == "區"
    assert repair_fragment("?dòng)浾?") == ""


@pytest.mark.parametrize(
    "raw",
    [
        "上海浦東新區申報的AI“數字社工”獲選。",
        "長三角MEMS與傳感器產業創新聯盟成立。",
        "GDP總量創新高,達23.2萬億元。",
        "這是真的嗎?我不敢相信。",
        "你知道嗎?AI能做什麼?",
        "真的嗎?!太好了!",
        "這是什麼? 我不知道。",
        "低空經濟加速跑!北辰區著力打造新高地",
        "Copyright ? 2024 版權所有",
        "約≈3倍",
        "問題?k線圖怎麼看",
        "你認識他嗎?璐璐說她認識。",
        "嗎?我k歌去了",
    ],
)
def test_clean_text_is_not_garbled(raw: str) -> None:
    assert find_garbled(raw) == []
    assert remove_garbled(raw).text == raw


def test_replacement_character_run_is_garbled() -> None:
    result = remove_garbled("新聞\ufffd\ufffd浾記者報道")
    assert result.text == "新聞記者報道"
    assert remove_garbled("記\ufffd者").text == "記者"


# --- captions -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "第四批長三角產業鏈聯盟授牌儀式現場。澎湃新聞記者 姚似璐 圖",
        "長三角國資百企聯盟創新子聯盟成立儀式。主辦方 供圖",
        "會議現場。主辦方供圖",
        "活动现场。新华社记者 张三 摄",
        "會場外景 李四 攝",
        "圖為會議現場。",
        "图为新能源汽车生产线。",
        "(資料圖)",
        "杭州西湖景色。（资料图）",
    ],
)
def test_caption_lines(line: str) -> None:
    assert is_caption(line)
    result = extract_captions(f"第一段。\n{line}\n第二段。")
    assert result.text == "第一段。\n第二段。"
    assert result.captions == (line,)
    assert [r.rule for r in result.removals] == ["caption"]


@pytest.mark.parametrize(
    "line",
    [
        "如圖所示,產業鏈聯盟將加強合作。",
        "他說:這幅地圖很重要。",
        "試圖推動綠色低碳發展",
        "企業攝影比賽將於下月舉行,歡迎報名參加。",
    ],
)
def test_not_captions(line: str) -> None:
    assert not is_caption(line)


def test_seed_captions(cleaned_000: CleanedArticle, cleaned_003: CleanedArticle) -> None:
    assert (
        dict(cleaned_000.meta)["caption"] == "第四批長三角產業鏈聯盟授牌儀式現場。澎湃新聞姚似璐 圖"
    )
    assert dict(cleaned_003.meta)["caption"] == "長三角國資百企聯盟創新子聯盟成立儀式主辦方 供圖"
    assert "姚似璐" not in cleaned_000.text
    assert "供圖" not in cleaned_003.text


# --- boilerplate ----------------------------------------------------------------------


def test_end_mark_cuts_the_tail(raw_003: str) -> None:
    result = remove_boilerplate(remove_pinyin(raw_003).text)
    assert result.text.rstrip().endswith("營造良好的創新氛圍。")
    assert result.removals[0].rule == "boilerplate"
    assert result.removals[0].text.startswith("(完)\n服務低空經濟人才培育")


def test_related_list_and_footer_without_end_mark(raw_003: str) -> None:
    # Without the end mark, the line rules alone must still catch the site furniture.
    text = remove_pinyin(raw_003).text.replace("(完)", "")
    body = remove_boilerplate(text).text
    assert body.rstrip().endswith("營造良好的創新氛圍。")
    for junk in ("人閱讀", "廈門南洋", "微信", "Copyright", "版權所有", "ICP", "低空經濟報"):
        assert junk not in body


@pytest.mark.parametrize(
    "line",
    [
        "微信二維碼",
        "微信二维码",
        "微信號:18026288868Copyright ? 2024-2024 低空經濟報 版權所有",
        "微信号：abc123",
        "Copyright © 2024 Example News",
        "版权所有 某某新闻网",
        "備案號:蘇ICP備2023025135號",
        "备案号：京ICP备12345678号",
        "近日,某學院啟動知識庫建設...(945 )人閱讀時間:2025-11-07",
        "近日，某学院启动知识库建设...(945 )人阅读时间:2025-11-07",
        "國產首艘大型郵輪開啟商業首航,第三...2025-01-02低空經濟蓄勢起航",
        "瀏覽量:",
        "浏览量：1234",
        "阅读：56",
        "來源:",
        "责任编辑：",
        "相关新闻",
    ],
)
def test_boilerplate_lines(line: str) -> None:
    assert is_boilerplate_line(line)


@pytest.mark.parametrize(
    "line",
    [
        "長三角三省一市前三季度的GDP總量創新高,達23.2萬億元,約占全國的四分之一。",
        "記者通過微信聯繫到了該公司負責人,對方表示將積極配合調查。",
        "会议时间：2024年6月5日至6日，地点在浙江温州。",
        "他完成了任務(完全沒有問題)。",
    ],
)
def test_not_boilerplate(line: str) -> None:
    assert not is_boilerplate_line(line)
    assert remove_boilerplate(line).text == line


def test_end_mark_only_at_line_end() -> None:
    text = "他說(完)全不同意。\n第二段。(完)\n相關閱讀"
    result = remove_boilerplate(text)
    assert result.text == "他說(完)全不同意。\n第二段。"


def test_simplified_end_mark_and_related_headline() -> None:
    text = (
        "新华社北京3月5日电 会议开幕。（完）\n推荐阅读\n"
        "低空经济蓄势起航\n不久前,一架无人机...(12 )人阅读时间:2024-12-17"
    )
    assert remove_boilerplate(text).text == "新华社北京3月5日电 会议开幕。"
    lines = "会议开幕。\n低空经济蓄势起航\n不久前,一架无人机...(12 )人阅读时间:2024-12-17"
    assert remove_boilerplate(lines).text == "会议开幕。"


# --- whitespace and the whole pipeline ------------------------------------------------


def test_tidy_whitespace() -> None:
    assert tidy_whitespace("  第一段。  \n\n\n\n\u3000\u3000第二段。\t\n") == "第一段。\n\n第二段。"


def test_seed_003_whole(cleaned_003: CleanedArticle) -> None:
    text = cleaned_003.text
    assert text.endswith("營造良好的創新氛圍。")
    assert text.startswith("中新網杭州11月1日電(奚金燕)11月1日,以“創新協同長三角")
    for junk in ("閱讀時間", "服務低空經濟人才培育", "微信", "Copyright", "版權", "備案", "(完)"):
        assert junk not in text
    assert "?" not in text and "≈" not in text
    assert "把企業自身優勢變區域優勢" in text
    assert cleaned_003.report.by_rule() == {
        "pinyin": 242,
        "garbled": 2,
        "boilerplate": 1,
        "caption": 1,
    }


def test_seed_000_whole(cleaned_000: CleanedArticle) -> None:
    text = cleaned_000.text
    assert text.startswith("6月5日,以“四鏈”融合、科創未來為主題的2024年度長三角企業家聯盟會議")
    assert text.endswith("打造“長青藤”新質生產力榜單等。")
    assert "發布時間" not in text and "瀏覽量" not in text
    assert "澎湃新聞(www.thepaper.cn)從會議現場了解到" in text
    assert "AI“數字社工”" in text and "MEMS與傳感器" in text
    assert cleaned_000.report.by_rule() == {
        "pinyin": 241,
        "garbled": 1,
        "metadata": 2,
        "caption": 1,
    }


def test_cleaning_keeps_the_script(cleaned_000: CleanedArticle) -> None:
    from corpus import detect_script

    assert detect_script(cleaned_000.text) == "traditional"
    simplified = clean_article("国务院新闻办公室今天举行发布会。")
    assert simplified.text == "国务院新闻办公室今天举行发布会。"


def test_clean_article_handles_crlf() -> None:
    cleaned = clean_article("標題一則\r\n發布時間:2024-07-01\r\n正文第一句。\r\n")
    assert cleaned.text == "正文第一句。"
    assert cleaned.title == "標題一則"
