"""Real pages' ways of stating things: dates and authors in the visible text, articles
with long related-link blocks, bodies hidden until scripts run, pages cut inside a
character, and the headline as citable text."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corpus import load_documents
from corpus.html import decode_page, extract_page
from corpus.html.authors import find_authors, is_names, leading_names
from corpus.html.dates import date_in_url, find_dates
from corpus.html.hidden import reveal_hidden_bodies
from corpus.html.layout import page_blocks
from corpus.html.page import parse_html, unwrap_page, wrapper_url
from corpus.html.posts import first_post
from corpus.loaders import load_page, with_headline
from corpus.names import has_surname

SENTENCE = "据悉，这是长三角国资百企联盟下设的第一个专业子联盟，由浙江省能源集团等4家企业牵头组建。"
BODY = "".join(f"<p>{SENTENCE}第{i}段。</p>" for i in range(5))
MENU = "".join(f'<a href="/c/{i}">频道{i}</a> - ' for i in range(12))


def page(
    *,
    above: str = "",
    body: str = BODY,
    after: str = "",
    title: str = "长三角国资百企联盟成立创新子联盟",
    h1: bool = True,
) -> str:
    heading = f"<h1>{title}</h1>" if h1 else ""
    return (
        f"<html><head><meta charset='utf-8'><title>{title}_示例网</title></head><body>"
        f"<div class='topnav'>{MENU}</div>{heading}{above}"
        f"<div class='content'>{body}</div>{after}"
        "<div class='footer'>Copyright © 2003-2023 示例网 版权所有</div></body></html>"
    )


# -- dates ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("2005-04-05 06:40更新 来源：转载文章", ["2005-04-05T06:40:00"]),
        ("BUSINESS.SOHU.COM 2005年3月11日12:12 来源：[ 人民网 ]", ["2005-03-11T12:12:00"]),
        ("发布日期： 9/17/2004 5:54:13 AM", ["2004-09-17T05:54:13"]),
        ("发布日期： 7/5/2005 9:23:57 PM", ["2005-07-05T21:23:57"]),  # AM/PM: US order
        ("17/09/2004", ["2004-09-17"]),  # a day over 12 fixes the order
        ("05/07/2005", []),  # either order: nothing is guessed
        ("2022.01.20 16:31 来源：河南日报客户端", ["2022-01-20T16:31:00"]),
        ("报名日期为2003年13月1日", []),  # no 13th month
    ],
)
def test_find_dates(line: str, expected: list[str]) -> None:
    assert [d.value for d in find_dates(line)] == expected


def test_month_dates_only_when_asked() -> None:
    assert find_dates("——《北京之春》1998年3月号") == []
    assert [d.value for d in find_dates("——《北京之春》1998年3月号", months=True)] == ["1998-03"]
    # A full date is not read as its month too.
    assert [d.value for d in find_dates("2003年5月29日", months=True)] == ["2003-05-29"]


def published(html: str) -> str:
    return extract_page(html).metadata.published


def test_date_in_the_byline_without_a_found_title() -> None:
    above = "<div>2005-04-05 06:40更新 来源：转载文章</div>"
    assert published(page(above=above, h1=False)) == "2005-04-05T06:40:00"


def test_date_outside_link_labels_in_a_line_with_a_link() -> None:
    link = "<a href='http://www.qianlong.com/'>http://www.qianlong.com/</a>"
    above = f"<div>{link} 2005-07-18 13:03</div>"
    assert published(page(above=above)) == "2005-07-18T13:03:00"


def test_labelled_forum_post_date_is_the_first_in_reading_order() -> None:
    posts = "".join(
        f"<div class='post'><div>〓 发布时间 2005/05/{17 + i} 22:11:42 by 网友{i} 〓</div>"
        f"<p>{SENTENCE}</p></div>"
        for i in range(3)
    )
    html = page(body=posts, h1=False)
    assert published(html)[:10] == "2005-05-17"


def test_source_note_at_the_end_of_the_article_gives_a_month() -> None:
    body = BODY + "<p>——《北京之春》1998年3月号</p>"
    assert published(page(body=body)) == "1998-03"


def test_dates_of_menus_related_lists_copyright_and_sentences_are_not_publication_dates() -> None:
    related = (
        "<div class='related'><ul>"
        + "".join(
            f"<li><a href='/{i}'>别的新闻{i}</a> (2005-04-0{i} 17:19)</li>" for i in range(1, 4)
        )
        + "</ul></div>"
    )
    header = "<div class='header'>2022年02月12日 星期六</div>"
    sentence_body = "<p>报名日期为2003年11月1日至2003年11月30日，外地考生可以提前函报。</p>" + BODY
    html = header + page(body=sentence_body, after=related)
    assert published(html) == ""


def test_a_date_after_the_fetch_is_not_taken() -> None:
    from datetime import date

    above = "<div>2031-01-01 08:00 来源：示例网</div>"
    assert extract_page(page(above=above), fetched=date(2024, 1, 1)).metadata.published == ""


# -- authors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("时间：2004年10月21日14:18 作者：郭励弘", "郭励弘"),
        ("光明日报记者 王建宏 张文攀", "王建宏 张文攀"),
        ("新华网黑龙江频道 记者 伊琳 李清芬", "伊琳 李清芬"),
        ("顶端新闻·河南商报记者马俊峰/文受访者供图", "马俊峰"),
        ("文/张三", "张三"),
        ("新京报记者 彭冲 山东冠县报道", "彭冲"),
        ("记者从上海昆剧团获悉，沈斌将执导新戏。", ""),  # a sentence, not a byline
        ('作者： size="20" 来源： size="20"', ""),  # template residue
        ("本贴由大卫于2005年8月12日16:12:21在〖心灵体操〗发表.", "大卫"),
        ("BUSINESS.SOHU.COM 2004年7月16日08:19 [ 黄宇 ] 来源：[ 国际金融报 ]", "黄宇"),
        ("文：眉间尺", "眉间尺"),
        ("原文：见附件", ""),  # 文 inside a word is no label
        ("作者： 周思博 (Joel Spolsky)", "周思博 (Joel Spolsky)"),  # the original name kept
        # Two-character names spaced to line up with three-character ones.
        ("作者: 赵 培：北京物资学院，北京", "赵培"),
        ("作者：王 刚、李 明", "王刚 李明"),
        ("作者：王 刚 李 明", "王刚 李明"),
        ("记者 张三 报道", "张三"),  # a name between spaces is not joined to its label
    ],
)
def test_find_authors(line: str, expected: str) -> None:
    assert find_authors(line) == expected


def test_signatures_and_names() -> None:
    assert (
        find_authors("……过一个平安、祥和的新春佳节。（常书香 马丹阳）", signature=True)
        == "常书香 马丹阳"
    )
    assert find_authors("（袁源）", signature=True) == "袁源"
    assert find_authors("赵延东、风笑天", alone=True) == "赵延东 风笑天"
    # Unlabelled, a name must start with a surname: section labels are not names.
    assert find_authors("学习目的", alone=True) == ""
    assert find_authors("会议议程", alone=True) == ""
    assert find_authors("学科、专业名称（代码）", signature=True) == ""
    assert leading_names("郭励弘 我来说两句(0)") == "郭励弘"
    assert is_names("张三、李四") and is_names("zboygirl")
    assert not is_names("Www Yunnan Cn; 云南日报报业集团") and not is_names("51offer.com")


def author(html: str) -> str:
    return extract_page(html).metadata.author


def test_author_from_byline_signature_and_editor() -> None:
    assert (
        author(page(above="<div>2024-03-05 来源：新华社 记者 伊琳 李清芬</div>")) == "伊琳 李清芬"
    )
    signed = BODY + "<p>□ 本报记者 葛灵丹</p>"
    assert author(page(body=signed)) == "葛灵丹"
    edited = BODY + "<p>（ 责任编辑：魏喆 ）</p>"
    assert author(page(body=edited)) == "魏喆"
    assert author(page()) == ""  # nobody named: nobody guessed
    # The notes under the last paragraph: the author beats the editor above it.
    notes = BODY + "<p>编辑： 金金</p><p>来源： 21世纪经济报道</p><p>作者：宋怡 杨志华</p>"
    assert author(page(body=notes)) == "宋怡 杨志华"
    # A government page's information table names the issuing office.
    table = "<div>发文机关：</div><div>吉林省人民政府</div><div>成文日期：</div>"
    assert author(page(above=table)) == "吉林省人民政府"
    # A name alone between an unfound headline and the text.
    alone = page(h1=False, title="显示", above="<div>犬儒病(上)</div><div>胡平</div>")
    assert author(alone) == "胡平"
    # A name that links to the author's page, under a headline that a citation line
    # below quotes: the byline is read between the headline and the text.
    linked = page(
        above=(
            "<div>作者: <a href='/author/1'>赵 培</a>：北京物资学院，北京</div>"
            "<div>文章引用：赵培. 长三角国资百企联盟成立创新子联盟[J]. 现代市场营销, 2018.</div>"
        )
    )
    assert author(linked) == "赵培"
    assert author(page(above="<div>作者：<a href='/column'>专栏</a></div>")) == ""
    # A page with no headline but its own centred bold line: the name under it.
    styled = (
        "<html><head><title>提示</title></head><body>"
        "<p align='center'><strong>路是人走出来的(下)</strong></p><hr>"
        "<p>胡平</p><p>——论争取自由的方式及其相互关系(下)</p><p>四、规范理论</p>"
        f"{BODY}</body></html>"
    )
    assert extract_page(styled).metadata.title == "路是人走出来的(下)"
    assert author(styled) == "胡平"
    # A centred bold date (a blog's day heading) is no headline.
    dated = styled.replace("路是人走出来的(下)", "December 2006")
    assert extract_page(dated).metadata.title == ""
    # A meta author that is a site, not a person, is not an author.
    meta = page().replace("</head>", "<meta name='author' content='51offer.com'></head>")
    assert author(meta) == ""


# -- articles among links, hidden bodies ---------------------------------------------------


def test_an_article_with_long_related_link_blocks_is_an_article() -> None:
    links = "".join(
        f"<li><a href='/n/{i}.html'>相关报道：长三角第{i}条要闻标题在这里很长很长</a></li>"
        for i in range(60)
    )
    html = page(after=f"<div class='box'><ul>{links}</ul></div>")
    result = extract_page(html)
    assert result.skip is None and SENTENCE[:20] in result.text


def test_a_list_page_is_still_a_list_page() -> None:
    items = "".join(
        f"<li><a href='/a/{i}.html'>长三角第{i}条要闻标题在这里</a>"
        f"<span>2024-10-{i + 1:02d}</span></li>"
        for i in range(25)
    )
    result = extract_page(page(body=f"<ul class='list'>{items}</ul>"))
    assert result.skip is not None and result.skip.code in ("list-page", "no-article-text")


def wechat(style: str) -> str:
    sections = "".join(
        f"<section><p style='margin:0'><span leaf=''>{SENTENCE}第{i}段。</span></p></section>"
        for i in range(6)
    )
    furniture = "".join(
        f"<div class='extra'><p>喜欢此内容的人还喜欢 第{i}篇 阅读原文 赞 在看 写留言 分享</p></div>"
        for i in range(8)
    )
    return (
        "<html><head><title>某公司发布新产品</title></head><body><div id='js_article'>"
        "<h1 class='rich_media_title'>某公司发布新产品</h1>"
        f"<div class='rich_media_content' id='js_content' style='{style}'>{sections}</div>"
        f"{furniture}<div class='qr_code_pc'><p>微信扫一扫关注该公众号</p></div>"
        "</div></body></html>"
    )


def test_body_hidden_until_scripts_run_is_found() -> None:
    result = extract_page(wechat("visibility: hidden; opacity: 0; "))
    assert result.skip is None and SENTENCE[:20] in result.text


def test_reveal_keeps_display_none_and_small_hidden_labels() -> None:
    tree = parse_html(
        "<html><body><div style='display:none'>" + SENTENCE * 5 + "</div>"
        "<div style='visibility:hidden'>短标签</div>"
        "<div style='color:red; visibility: hidden'>" + SENTENCE * 5 + "</div></body></html>"
    )
    assert reveal_hidden_bodies(tree) == 1
    styles = [el.get("style") for el in tree.iter("div")]
    assert styles == ["display:none", "visibility:hidden", "color:red;"]


# -- decoding ------------------------------------------------------------------------------


def test_a_page_cut_inside_a_character_is_read_with_the_bad_bytes_replaced() -> None:
    html = page().replace("charset='utf-8'", "charset='gb2312'")
    data = html.encode("gb18030")
    cut = data[: len(data) // 2] + b"\xf1" + data[len(data) // 2 :]
    text = decode_page(cut, "cut.html")
    assert SENTENCE[:10] in text and text.count("\ufffd") <= 2


def test_an_xml_style_encoding_declaration_is_honoured() -> None:
    html = f'<text id="x" title="t" encoding="gb2312">{page()}</text>'.replace(
        "<meta charset='utf-8'>", ""
    )
    assert SENTENCE[:10] in decode_page(html.encode("gb18030"), "wrapped.html")


def test_undecodable_bytes_still_raise() -> None:
    from corpus import UnreadableFileError

    with pytest.raises(UnreadableFileError):
        decode_page(bytes(range(128, 256)) * 40, "noise.html")


# -- the headline as text ------------------------------------------------------------------


def test_the_headline_is_the_first_line_of_the_text_once() -> None:
    result = load_page(page().encode("utf-8"), source="a.html")
    (doc,) = result.documents
    assert doc.text.startswith(doc.title + "\n")
    assert doc.text.count(doc.title) == 1
    # A body that starts with its headline does not get it twice.
    assert with_headline("标题在此\n正文。", "标题在此") == "标题在此\n正文。"
    assert with_headline("标 题在此\n正文。", "标题在此") == "标 题在此\n正文。"
    assert with_headline("正文。", "") == "正文。"


def test_text_files_keep_their_headline_as_text(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "a.txt").write_text(
        "长三角绿色低碳产业链联盟成立\n发布时间:2024-07-01 17:35:13\n" + SENTENCE + "\n",
        encoding="utf-8",
    )
    (doc,) = load_documents([tmp_path]).documents
    assert doc.title == "长三角绿色低碳产业链联盟成立"
    assert doc.text.split("\n")[0] == doc.title
    assert "发布时间" not in doc.text and doc.published == "2024-07-01T17:35:13"


@given(st.text(max_size=60), st.text(max_size=30))
def test_with_headline_only_ever_prepends(text: str, title: str) -> None:
    out = with_headline(text, title)
    assert out == text or out == f"{title.strip()}\n{text}"
    assert out.endswith(text)


# -- bad input: read or skipped with a named reason, the rest goes on ----------------------


def test_bad_pages_among_good_ones(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import time

    good = page()
    scripts = "<html><head><script>" + "var a=1;" * 20_000 + "</script></head><body>"
    scripts += "<script>render()</script><noscript>请启用JavaScript</noscript></body></html>"
    (tmp_path / "good.html").write_text(good, encoding="utf-8")
    (tmp_path / "scripts.html").write_text(scripts, encoding="utf-8")
    # Undeclared GBK, cut in the middle of a character and of the markup.
    undeclared = good.replace("<meta charset='utf-8'>", "").encode("gb18030")
    (tmp_path / "truncated.html").write_bytes(undeclared[: len(undeclared) * 2 // 3] + b"\xb3")
    start = time.perf_counter()
    result = load_documents([tmp_path])
    assert time.perf_counter() - start < 30
    read = sorted(d.source.rsplit("/", 1)[-1] for d in result.documents)
    skipped = {s.path.rsplit("/", 1)[-1]: s.code for s in result.skipped}
    assert "good.html" in read and "truncated.html" in read
    assert skipped == {"scripts.html": "no-article-text"}


def test_a_body_the_precise_extraction_missed_is_extracted_for_recall(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import corpus.html.page as page_module
    from corpus.html.extract import extract_main_text

    calls: list[bool] = []

    def precise_misses(tree, *, favor_recall: bool = False):  # type: ignore[no-untyped-def]
        calls.append(favor_recall)
        found = extract_main_text(tree, favor_recall=favor_recall)
        if favor_recall or found is None:
            return found
        # The precise run keeps only the notice's metadata line.
        return type(found)("发文字号：吉政明电〔2022〕1号", 14, 0, 0, 0)

    monkeypatch.setattr(page_module, "extract_main_text", precise_misses)
    result = extract_page(page())
    assert calls == [False, True]
    assert result.skip is None and SENTENCE[:20] in result.text
    # A page with a body found at once is extracted once.
    calls.clear()
    monkeypatch.setattr(
        page_module,
        "extract_main_text",
        lambda tree, **kw: (
            calls.append(kw.get("favor_recall", False)) or extract_main_text(tree, **kw)
        ),
    )
    extract_page(page())
    assert calls == [False]


# -- pages saved inside a container, series of posts ---------------------------------------


def test_a_page_saved_inside_a_container_element_keeps_its_head() -> None:
    inner = page(above="")
    wrapped = f'<text id="http://example.com/news/2024/06/05/1.html" title="x">\n{inner}\n</text>\n'
    assert unwrap_page(wrapped).startswith("<html>")
    assert unwrap_page("<div>一段</div>") == "<div>一段</div>"  # HTML is not a wrapper
    assert wrapper_url(wrapped) == "http://example.com/news/2024/06/05/1.html"
    found = extract_page(wrapped)
    assert found.metadata.title == "长三角国资百企联盟成立创新子联盟"  # from the head
    assert found.metadata.published == "2024-06-05"  # from the address: the page states none


def blog(posts: int) -> str:
    units = "".join(
        f"<div class='post'><div>第{i}篇博文的标题</div><div>2005-03-{21 - i:02d} 01:20:44</div>"
        f"<div>{SENTENCE}这是第{i}篇。</div>"
        "<div class='postfoot'>由海姑娘张贴 @ 2005-03-21</div></div>"
        for i in range(1, posts + 1)
    )
    return (
        "<html><head><meta charset='utf-8'><title>海姑娘 | 博客</title></head><body>"
        f"<div class='topnav'>{MENU}</div><div class='main'>{units}</div></body></html>"
    )


def test_a_series_of_posts_is_read_as_its_first_post() -> None:
    found = extract_page(blog(4))
    assert "第1篇" in found.text and "第2篇" not in found.text
    assert found.metadata.title == "第1篇博文的标题"
    assert found.metadata.published.startswith("2005-03-20")
    assert found.metadata.author == "海姑娘"
    # Two posts are not yet a series: nothing is cut.
    for posts, cut in ((2, False), (3, True)):
        blocks = page_blocks(parse_html(blog(posts)))
        main = "\n".join(b.text for b in blocks)
        start = next(i for i, b in enumerate(blocks) if "这是第1篇" in b.text)
        assert (first_post(blocks, main, start, len(blocks)) is not None) is cut


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://blog.example.com/u/archive/2005/09/07/543698.aspx", "2005-09-07"),
        ("https://news.example.cn/c/2024-06-05/doc-abc.shtml", "2024-06-05"),
        ("http://book.example.net/20050302/00464959.html", "2005-03-02"),
        ("http://example.com/news/20241399/a.html", ""),  # no 13th month
        ("http://example.com/2031/01/01/a.html", ""),  # after the fetch
        ("http://example.com/a.html?d=2024/06/05", ""),  # the query is not the path
    ],
)
def test_date_in_url(url: str, expected: str) -> None:
    assert date_in_url(url, "2026-12-08") == expected


def test_surnames() -> None:
    assert has_surname("胡平") and has_surname("欧阳修") and has_surname("張三")
    assert not has_surname("学习目的") and not has_surname("代码") and not has_surname("欧阳")
