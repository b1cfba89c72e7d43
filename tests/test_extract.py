"""Extraction on saved pages: dates, main lists, links, pagination, detail pages."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from crawler.extract.dates import find_dates, first_date, latest_not_after, url_date
from crawler.extract.detail import publication_date
from crawler.extract.html import parse_html
from crawler.extract.links import extract_links, same_site
from crawler.extract.lists import content_items, main_list, newest, resolve_date, says_empty
from crawler.extract.pagination import next_page_url
from crawler.extract.scripts import column_list, data_items, list_signals, script_list

PAGES = Path(__file__).resolve().parent / "pages"
CRAWL_DAY = date(2024, 7, 20)


def page(name: str, encoding: str = "utf-8") -> str:
    return (PAGES / name).read_bytes().decode(encoding)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-06-30", (2024, 6, 30)),
        # a 集约化 card's date in two pieces: the day large, then year and month (or the other way)
        ("21 2024-06", (2024, 6, 21)),
        ("2024-06 21", (2024, 6, 21)),
        ("阅读 5 2024.06", None),  # a count, not a day
        ("第10期 2024-06", None),
        ("18 2024年6月", (2024, 6, 18)),  # the day beside a Chinese year and month
        ("研究部署重点工作 20 2024-06", (2024, 6, 20)),  # after the summary it follows
        ("浏览次数：12 2024年6月", None),
        ("2024/6/30 10:20", (2024, 6, 30)),
        ("2024.06.30", (2024, 6, 30)),
        ("2024年6月30日", (2024, 6, 30)),
        ("发布时间：2024-06-30 12:30:11", (2024, 6, 30)),
        ("２０２４－０６－３０", (2024, 6, 30)),
        ("<span>2024</span>-06-30", None),  # markup is never part of a date (text only)
        ("24-06-30", (2024, 6, 30)),
        ("[06-30]", (None, 6, 30)),
        ("6月30日", (None, 6, 30)),
        ("10:20", None),
        ("第3-5期", None),
        ("2024-02-30", None),
        ("2025 11-20", (2025, 11, 20)),  # the year in an element of its own, then month-day
        ("阅读 2025 11-20", (None, 11, 20)),  # a count, then a year-less date
        ("11/20/2026", (2026, 11, 20)),  # an English-language template: month first
        ("03-11-2026", (2026, 11, 3)),  # day first with a dash or a dot
        ("20.11.2026", (2026, 11, 20)),
        ("13/11/2026", (2026, 11, 13)),  # 13 is no month
        ("Nov 20, 2026", (2026, 11, 20)),
        ("20 November 2026", (2026, 11, 20)),
        ("二〇二六年六月八日", (2026, 6, 8)),  # a document's signature date
        ("二○二六年十一月二十一日", (2026, 11, 21)),
        ("二〇二六年十月三十日", (2026, 10, 30)),
        # numbers beside a year that are no month-day, and words that begin like a month
        ("2025 11.5亿元", None),
        ("人口 2020 5-10万", None),
        ("总计2025 1/12页", None),
        ("Decision 3, 2026", None),
        ("Sept. 3, 2026", (2026, 9, 3)),
    ],
)
def test_date_forms(text: str, expected: tuple[int | None, int, int] | None) -> None:
    found = first_date(text)
    if expected is None:
        assert found is None or text.startswith("<")
    else:
        assert found is not None
        assert (found.year, found.month, found.day) == expected


def test_full_dates_come_first_and_in_order() -> None:
    dates = find_dates("成文日期：2024年6月28日 发布日期：2024-07-01")
    assert [d.value for d in dates] == [date(2024, 6, 28), date(2024, 7, 1)]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://a.gov.cn/zwdt/202406/t20240630_1.html", date(2024, 6, 30)),
        ("http://a.gov.cn/art/2024/6/30/art_1_2.html", date(2024, 6, 30)),
        ("http://a.gov.cn/2024-06-30/x.html", date(2024, 6, 30)),
        ("http://127.0.0.1:8080/zwdt/index.html", None),
        ("http://a.gov.cn/x.html?id=20240630", None),  # queries are not dates
    ],
)
def test_url_dates(url: str, expected: date | None) -> None:
    found = url_date(url)
    assert (found.value if found else None) == expected


def test_year_month_directory_gives_the_year() -> None:
    found = url_date("http://a.gov.cn/zwdt/202406/abc.html")
    assert found is not None
    assert (found.year, found.month, found.day) == (2024, 6, None)


def test_latest_not_after() -> None:
    assert latest_not_after(7, 20, CRAWL_DAY) == date(2024, 7, 20)
    assert latest_not_after(7, 21, CRAWL_DAY) == date(2023, 7, 21)
    assert latest_not_after(2, 29, date(2025, 3, 1)) == date(2024, 2, 29)


def test_trs_list_ignores_banner_sidebar_and_footer() -> None:
    doc = parse_html(page("trs_list.html"))
    found = main_list(doc, "http://x.gov.cn/zwdt/gzdt/")
    assert found is not None
    assert len(found.items) == 4
    dated = [resolve_date(item, None, CRAWL_DAY) for item in found.items]
    best = newest(dated)
    assert best is not None
    assert best.date == date(2024, 7, 1)
    assert best.source == "list+url"
    assert best.item.title == "县长主持召开县政府第12次常务会议"  # the full title attribute
    assert best.item.url == "http://x.gov.cn/zwdt/gzdt/202407/t20240701_5512.html"
    # [12-30] with a 202312 URL is 2023, not "the latest 12-30 before the crawl".
    assert dated[3].date == date(2023, 12, 30)


def test_gbk_table_list() -> None:
    doc = parse_html(page("table_gbk.html", "gbk"))
    found = main_list(doc, "http://x.gov.cn/zcwj/")
    assert found is not None
    assert found.items[0].title == "关于印发某县2024年重点工作任务的通知"
    best = newest([resolve_date(i, None, CRAWL_DAY) for i in found.items])
    assert best is not None
    assert best.date == date(2024, 5, 9)


def test_empty_list_is_empty_despite_a_dated_sidebar() -> None:
    doc = parse_html(page("empty_list.html"))
    assert main_list(doc, "http://x.gov.cn/ghjh/") is None


def test_dates_inside_the_link_and_dates_inside_titles() -> None:
    doc = parse_html(page("div_items.html"))
    found = main_list(doc, "http://x.gov.cn/tzgg/")
    assert found is not None
    dated = [resolve_date(i, None, CRAWL_DAY) for i in found.items]
    # The title mentions 2024年6月30日; the item's date is its own 2024-06-03.
    assert [d.date for d in dated] == [date(2024, 6, 3), date(2024, 5, 20), date(2024, 1, 8)]


def test_a_date_written_into_the_links_text_dates_its_item() -> None:
    """A list that writes each item's date into its link, apart from the title: the item is
    dated by it and its title is the rest; a date inside a title is not the item's."""
    doc = parse_html(
        "<ul class='list'>"
        "<li><a href='/gzdt/1.html'>全市推进营商环境优化提升大会召开 2026-11-18</a></li>"
        "<li><a href='/gzdt/2.html'>[2026-11-15] 副市长带队督导秋冬季森林防火工作</a></li>"
        "<li><a href='/gzdt/3.html'>市政府召开常务会议研究部署工作<span>2026-11-12</span></a></li>"
        "<li><a href='/gzdt/4.html'>关于2026年11月30日起调整公交线路的通告 | 2026-11-10</a></li>"
        "<li><a href='/gzdt/5.html'>关于2026-11-30停水的通知</a></li>"
        "</ul>"
    )
    found = main_list(doc, "http://x.gov.cn/gzdt/")
    assert found is not None
    items = list(found.items)
    assert [i.list_date.value if i.list_date else None for i in items] == [
        date(2026, 11, 18),
        date(2026, 11, 15),
        date(2026, 11, 12),
        date(2026, 11, 10),
        None,
    ]
    assert [i.title for i in items] == [
        "全市推进营商环境优化提升大会召开",
        "副市长带队督导秋冬季森林防火工作",
        "市政府召开常务会议研究部署工作",
        "关于2026年11月30日起调整公交线路的通告",
        "关于2026-11-30停水的通知",
    ]


def test_picture_cards_side_by_side_are_a_list() -> None:
    """A 图片新闻 column's cards (<div class="pic"><a><img><p>标题</p></a></div>…), no list
    element and no dates: each card is an item (dated from its page); a menu of such blocks
    that links the page itself is no list."""
    cards = "".join(
        f"<div class='pic'><a href='/tpxw/{n}.html'><img src='/img/{n}.jpg'>"
        f"<p>第{n}张图片新闻的标题</p></a></div>"
        for n in range(4)
    )
    doc = parse_html(f"<html><body><div class='piclist'>{cards}</div></body></html>")
    found = main_list(doc, "http://x.gov.cn/tpxw/")
    assert found is not None
    assert [i.title for i in found.items] == [f"第{n}张图片新闻的标题" for n in range(4)]
    assert all(i.needs_detail for i in found.items)
    menu = "".join(
        f"<div class='item'><a href='/{path}/'>{name}</a></div>"
        for path, name in (
            ("tpxw", "图片新闻栏目"),
            ("gzdt", "工作动态栏目"),
            ("tzgg", "通知公告栏目"),
        )
    )
    doc = parse_html(f"<html><body><div class='menu'>{menu}</div></body></html>")
    assert main_list(doc, "http://x.gov.cn/tpxw/") is None


def test_a_menu_of_short_names_that_links_the_page_is_no_list() -> None:
    """A sub-menu beside a list filled by a script: its longer names make items, its short
    ones (通告, the page itself, marked as the current one) none, and it is still a menu; a
    breadcrumb's short link to the page beside a list's cards leaves the cards a list."""
    names = ["通知公告", "公示公告", "政策文件", "人事信息", "政策解读", "政府文件"]
    menu = "".join(f"<li><a href='/m{n}/'>{name}</a></li>" for n, name in enumerate(names))
    doc = parse_html(
        f"<html><body><div class='leftnav'><ul>{menu}<li class='on'><a href='/tg/'>通告</a>"
        "</li></ul></div><div class='main'><ul id='tgList'></ul></div></body></html>"
    )
    assert main_list(doc, "http://x.gov.cn/tg/") is None
    cards = "".join(
        f"<div class='pic'><a href='/tg/{n}.html'>第{n}张图片的标题</a></div>" for n in range(3)
    )
    doc = parse_html(
        "<html><body><div class='main'><div class='crumb'><a href='/'>首页</a> &gt; "
        f"<a href='/tg/'>通告</a></div>{cards}</div></body></html>"
    )
    found = main_list(doc, "http://x.gov.cn/tg/")
    assert found is not None and len(found.items) == 3
    # a pager inside the list's own table or list (首页, 下一页, 2, index_1.html) is no menu
    rows = "".join(
        f"<tr><td><a href='./202611/t20261110_{n}.html'>关于开展第{n}项工作的通知</a></td>"
        f"<td>2026-11-1{n}</td></tr>"
        for n in range(6)
    )
    pager = (
        "<tr><td colspan='2'><a href='index.html'>首页</a><a href='index_1.html'>2</a>"
        "<a href='index_1.html'>下一页</a><a href='index_5.html'>尾页</a></td></tr>"
    )
    doc = parse_html(f"<html><body><table>{rows}{pager}</table></body></html>")
    found = main_list(doc, "http://x.gov.cn/tzgg/index.html")
    assert found is not None and len(found.items) == 6
    items = "".join(
        f"<li><a href='./t{n}.html'>关于开展第{n}项工作的通知</a><span>2026-11-1{n}</span></li>"
        for n in range(6)
    )
    doc = parse_html(
        f"<html><body><ul>{items}<li class='page'><a href='index_1.html'>下一页</a></li></ul>"
        "</body></html>"
    )
    found = main_list(doc, "http://x.gov.cn/tzgg/")
    assert found is not None and len(found.items) == 6


def test_undated_list_uses_url_dates_and_asks_for_detail_pages() -> None:
    doc = parse_html(page("undated_list.html"))
    found = main_list(doc, "http://x.gov.cn/rsrm/")
    assert found is not None
    items = list(found.items)
    assert [i.needs_detail for i in items] == [False, False, True]
    dated = [resolve_date(i, None, CRAWL_DAY) for i in items]
    assert dated[0].date == date(2024, 5, 12)
    assert dated[0].source == "url"
    assert dated[2].date is None
    detail = first_date("2024-06-01")
    assert resolve_date(items[2], detail, CRAWL_DAY).source == "detail"


def test_future_dates_never_count() -> None:
    doc = parse_html(
        "<ul><li><a href='/a.html'>明年的一篇文章标题</a> 2030-01-01</li>"
        "<li><a href='/b.html'>今年的一篇文章标题</a> 2024-07-01</li></ul>"
    )
    found = main_list(doc, "http://x.gov.cn/")
    assert found is not None
    best = newest([resolve_date(i, None, CRAWL_DAY) for i in found.items])
    assert best is not None
    assert best.date == date(2024, 7, 1)


def test_homepage_items_come_from_every_content_list() -> None:
    html = (
        "<div class='nav'><ul><li><a href='/a/'>导航栏目一</a></li></ul></div>"
        "<div class='b1'><ul><li><a href='/n/1.html'>要闻标题第一条</a><span>2024-07-18</span>"
        "</li></ul></div><div class='b2'><ul><li><a href='/t/1.html'>公告标题第一条</a>"
        "<span>2024-07-10</span></li></ul></div>"
    )
    items = content_items(parse_html(html), "http://x.gov.cn/")
    assert {i.title for i in items} == {"要闻标题第一条", "公告标题第一条"}


def test_detail_page_publication_date() -> None:
    doc = parse_html(page("detail.html"))
    found = publication_date(doc)
    assert found is not None
    assert found.value == date(2024, 7, 1)
    meta = parse_html("<html><head><meta name='PubDate' content='2024-05-06 09:00'></head></html>")
    assert publication_date(meta).value == date(2024, 5, 6)  # type: ignore[union-attr]
    # no 发布日期: the dateline beside 来源 dates the article, not a 会议时间 in its text
    dateline = "<div>来源：市政府办公室　时间：2024-11-22 10:00</div><p>会议时间：2024-12-01</p>"
    assert publication_date(parse_html(dateline)).value == date(2024, 11, 22)  # type: ignore[union-attr]
    assert publication_date(parse_html("<p>会议时间：2024-12-01 地点：三楼</p>")) is None
    # a dateline without a label: the one full date beside 来源
    bare = "<h1>推进会</h1><div><span>2025-11-18</span>　<span>来源：县农业农村局</span></div>"
    assert publication_date(parse_html(bare)).value == date(2025, 11, 18)  # type: ignore[union-attr]
    two = "<div>2025-11-18 来源：县农业农村局 2025-11-20</div>"
    assert publication_date(parse_html(two)) is None  # which of the two: none
    deadline = "<div>作者：张三 有效期至：2030-12-31</div>"
    assert publication_date(parse_html(deadline)) is None  # a date, but not its publication


def test_relative_dates_in_a_list_count_back_from_the_crawl() -> None:
    """刚刚, 3小时前, 昨天, 前天, 5天前 as a list writes them: days before the crawl; a
    sentence that mentions 3天前 is no date."""
    doc = parse_html(
        "<ul class='list'>"
        "<li><a href='/gzdt/1.html'>我县召开安全生产工作会议</a><span>刚刚</span></li>"
        "<li><a href='/gzdt/2.html'>县领导调研乡村振兴工作</a><span>3小时前</span></li>"
        "<li><a href='/gzdt/3.html'>全县秋冬季森林防火会议召开</a><span>昨天</span></li>"
        "<li><a href='/gzdt/4.html'>我县举办政务公开培训班</a><span>[前天]</span></li>"
        "<li><a href='/gzdt/5.html'>县政府召开常务会议研究工作</a><span>5天前</span></li>"
        "<li><a href='/gzdt/6.html'>我县开展消防安全大检查</a><p>早在3天前就已部署</p></li>"
        "</ul>"
    )
    found = main_list(doc, "http://x.gov.cn/gzdt/")
    assert found is not None
    crawl = date(2026, 11, 25)
    dated = [resolve_date(i, None, crawl) for i in found.items]
    assert [d.date for d in dated] == [
        crawl,
        crawl,
        date(2026, 11, 24),
        date(2026, 11, 23),
        date(2026, 11, 20),
        None,
    ]
    assert dated[0].source == "list+crawl-date"


def test_a_date_kept_in_an_attribute_dates_its_item() -> None:
    """<li data-time="…">, <time datetime="…">, a date drawn as a picture with its alt."""
    doc = parse_html(
        "<ul class='list'>"
        "<li data-time='2026-04-02'><a href='/gsgg/1.html'>第一批拟录用人员公示</a></li>"
        "<li><a href='/gsgg/2.html'>县住建局项目公示公告</a><time datetime='2026-03-15'></time></li>"
        "<li><a href='/gsgg/3.html'>视频：我县冬季招聘会</a><img src='/d/3.png' alt='2026-01-20'></li>"
        "<li><a href='/gsgg/4.html'>没有日期的一条公示信息</a><img src='/i/4.png' alt='配图'></li>"
        "</ul>"
    )
    found = main_list(doc, "http://x.gov.cn/gsgg/")
    assert found is not None
    assert [i.list_date.value if i.list_date else None for i in found.items] == [
        date(2026, 4, 2),
        date(2026, 3, 15),
        date(2026, 1, 20),
        None,
    ]


def test_a_year_heading_gives_its_lists_dates_their_year() -> None:
    """An archive by year: <h3>2025年</h3> over items dated [11-20], then <h3>2024年</h3>…"""
    doc = parse_html(
        "<html><body><div class='main'><h3>2025年</h3><ul class='list'>"
        "<li><a href='/rsxx/1.html'>关于张三同志任职的通知</a><span>[11-20]</span></li>"
        "<li><a href='/rsxx/2.html'>关于李四同志任职的通知</a><span>[09-18]</span></li></ul>"
        "<h3>2024年</h3><ul class='list'>"
        "<li><a href='/rsxx/3.html'>关于王五同志免职的通知</a><span>[12-01]</span></li></ul>"
        "</div></body></html>"
    )
    found = main_list(doc, "http://x.gov.cn/rsxx/")
    assert found is not None
    assert [i.list_date.value if i.list_date else None for i in found.items] == [
        date(2025, 11, 20),
        date(2025, 9, 18),
        date(2024, 12, 1),
    ]


def test_links_of_every_kind() -> None:
    html = """<html><head><base href="http://x.gov.cn/sub/">
    <link rel="stylesheet" href="/css/a.css"><link rel="canonical" href="/c">
    <script src="js/a.js"></script></head><body>
    <a href=" 附件/2024年 工作要点.pdf ">附件 一</a><a href="#top">顶部</a>
    <a href="mailto:a@x.gov.cn">信箱</a><a href="javascript:void(0)">脚本</a>
    <a href="//other.gov.cn/p.html#frag">外链</a><img src="img/a.png" alt="图片">
    <iframe src="/frame.html"></iframe><a href="tel:0797-1234567">电话</a></body></html>"""
    found = extract_links(parse_html(html), "http://x.gov.cn/page.html")
    got = {(link.url, link.tag, link.text) for link in found.links}
    assert got == {
        ("http://x.gov.cn/css/a.css", "link", ""),
        ("http://x.gov.cn/sub/js/a.js", "script", ""),
        ("http://x.gov.cn/sub/附件/2024年 工作要点.pdf", "a", "附件 一"),
        ("http://other.gov.cn/p.html", "a", "外链"),
        ("http://x.gov.cn/sub/img/a.png", "img", "图片"),
        ("http://x.gov.cn/frame.html", "iframe", ""),
        # "#top" under a <base> of another page goes to that page, as a browser goes
        ("http://x.gov.cn/sub/", "a", "顶部"),
    }
    assert found.not_fetched == 3


def test_same_site_compares_host_and_port() -> None:
    assert same_site("https://x.gov.cn/a", "http://x.gov.cn/")
    assert not same_site("http://x.gov.cn:8080/a", "http://x.gov.cn/")
    assert not same_site("http://y.gov.cn/a", "http://x.gov.cn/")


def test_pagination() -> None:
    doc = parse_html(page("trs_list.html"))
    assert (
        next_page_url(doc, "http://x.gov.cn/zwdt/gzdt/") == "http://x.gov.cn/zwdt/gzdt/index_1.html"
    )
    last = parse_html("<script>createPageHTML(6, 5, 'index', 'html');</script>")
    assert next_page_url(last, "http://x.gov.cn/l/index_5.html") is None
    linked = parse_html("<div class='page'><a href='list_3.html'>下一页</a></div>")
    assert next_page_url(linked, "http://x.gov.cn/l/list_2.html") == "http://x.gov.cn/l/list_3.html"


def test_soft_404_and_block_pages_without_false_alarms() -> None:
    from crawler.extract.softpages import fingerprint, soft_verdict

    def verdict(html: str) -> str | None:
        return soft_verdict(parse_html(html))

    assert verdict("<title>提示</title><h1>对不起，您访问的页面不存在！</h1>") == "soft_404"
    assert verdict("<title>访问被拦截</title><p>网站防火墙</p>") == "blocked"
    # A list of 告知书 documents, the document itself, a script's message: ordinary pages.
    assert (
        verdict("<title>依申请公开</title><ul><li><a href='/a'>政府信息不存在告知书</a></li></ul>")
        is None
    )
    assert verdict("<title>政府信息不存在告知书</title><h1>政府信息不存在告知书</h1>") is None
    assert verdict("<title>列表</title><script>alert('页面不存在')</script><p>正文</p>") is None
    missing = fingerprint(200, parse_html("<title>出错了</title><p>" + "错" * 100 + "</p>"))
    assert (
        soft_verdict(parse_html("<title>出错了</title><p>" + "错" * 100 + "</p>"), missing)
        == "soft_404"
    )
    assert soft_verdict(parse_html("<title>政务动态</title><p>正文</p>"), missing) is None


def test_a_page_of_only_comments_parses_as_empty() -> None:
    assert parse_html('<!--#include virtual="/inc/head.html"-->').find("body") is None or True
    assert extract_links(parse_html("<!-- nothing -->"), "http://x.gov.cn/").links == ()


def test_a_form_for_the_public_is_told_from_a_search_box_or_a_login() -> None:
    from crawler.extract.lists import has_public_form

    mailbox = "<form>姓名<input name='n'>电话<input type='tel'><textarea></textarea></form>"
    search = (
        "<form><input name='q'><select><option>全站</option></select><input type='submit'></form>"
    )
    login = "<form><input name='user'><input type='password'><input type='submit'></form>"
    # 信息公开检索: fields and a text area, but a search all the same.
    xxgk = (
        "<form action='/search/xxgk'>标题<input name='t'> 文号<input name='w'>"
        "<textarea name='k'></textarea><input type='submit' value='检索'></form>"
    )
    assert has_public_form(parse_html(mailbox))
    assert not has_public_form(parse_html(search + login + xxgk))


def _column(body: str) -> str:
    return f"<html><head><meta charset='utf-8'></head><body>{body}</body></html>"


def test_a_clock_in_the_banner_is_no_item() -> None:
    """A server-rendered "今天是…" beside a utility link is no one-item list dated today."""
    page = _column(
        "<div class='top'><div class='wrap'><span>今天是2026年11月24日 星期二</span>"
        "<a href='/wza/'>无障碍浏览</a></div></div>"
        "<div class='list'><ul><li><span>2026-08-01</span>"
        "<script>var u = './202608/t20260801_1.html'; var t = '关于开展防汛检查的通知';"
        'document.write("<a href=\'" + u + "\' title=\'" + t + "\'>" + t + "</a>");</script>'
        "</li></ul></div>"
    )
    doc = parse_html(page)
    assert main_list(doc, "http://www.example.gov.cn/tzgg/") is None  # not the clock's "list"
    found = script_list(doc, "http://www.example.gov.cn/tzgg/")
    assert found is not None
    assert [(i.title, i.url, i.date_text) for i in found.items] == [
        (
            "关于开展防汛检查的通知",
            "http://www.example.gov.cn/tzgg/202608/t20260801_1.html",
            "2026-08-01",
        )
    ]


def test_lists_without_item_elements_are_read() -> None:
    """A dl whose date is the term's dd; a flat run of link, date, <br> (date after or before
    the link); a run without <br> stays unread (which link owns which date is a guess)."""
    dl = "".join(
        f"<dl><dt><a href='/xzdt/{d}.html'>城关镇第{d}次工作会议召开</a></dt><dd>2026.11.{d}</dd></dl>"
        for d in (22, 19)
    )
    after = "".join(
        f"<a href='/szyw/{d}.html'>县政府第{d}次常务会议</a> <span>2026-11-{d}</span><br>"
        for d in (22, 20)
    )
    before = "".join(
        f"[2026-11-{d}] <a href='/szyw/{d}.html'>县政府第{d}次常务会议</a><br/>" for d in (22, 20)
    )
    unbroken = after.replace("<br>", "")
    for body, dates in (
        (f"<div class='list'>{dl}</div>", ["2026.11.22", "2026.11.19"]),
        (f"<div class='newslist'>{after}</div>", ["2026-11-22", "2026-11-20"]),
        (f"<div class='newslist'>{before}</div>", ["2026-11-22", "2026-11-20"]),
    ):
        found = main_list(parse_html(_column(body)), "http://www.example.gov.cn/szyw/")
        assert found is not None and [i.date_text for i in found.items] == dates, body
    unread = main_list(parse_html(_column(unbroken)), "http://www.example.gov.cn/szyw/")
    assert unread is None or unread.dated_count == 0


def test_a_written_date_cut_by_a_string_method_is_read() -> None:
    """TRS templates cut the date they write: ``s.substr(0, 10)``, ``str_date.substring(0,10)``.
    A long variable name in such a call once sent the write's pattern into exponential
    backtracking (a crawl that never ended on one column page)."""
    name = "str_publish_date_of_document"
    page = _column(
        "<ul class='list'><script>var u = './202611/t20261120_1.html';"
        f" var t = '县政府常务会议研究部署工作'; var {name} = '2026-11-20 08:00:00';"
        'document.write("<li><a href=\'" + u + "\'>" + t + "</a><span>" +'
        f' {name}.substring(0, 10) + "</span></li>");</script></ul>'
    )
    found, scripted = column_list(parse_html(page), "http://www.example.gov.cn/zcjd/")
    assert scripted and found is not None
    assert [(i.url, i.date_text) for i in found.items] == [
        ("http://www.example.gov.cn/zcjd/202611/t20261120_1.html", "2026-11-20")
    ]


def test_an_empty_phrase_in_a_script_or_a_hidden_tab_says_nothing() -> None:
    items = "".join(
        f"<li><a href='/art/2026/11/{d}/art_1236_{d}.html'>第{d}号政策解读文件</a>"
        f"<span>2026-11-{d}</span></li>"
        for d in (21, 20, 19)
    )
    for extra in (
        "<div class='tab_c' style='display: none'><p>暂无信息</p></div>",
        "<script>if (!$('#list li').length) { $('#list').html('<li>暂无数据</li>'); }</script>",
    ):
        doc = parse_html(_column(f"<div class='list'><ul id='list'>{items}</ul></div>{extra}"))
        assert says_empty(doc) is None
        found = main_list(doc, "http://www.example.gov.cn/col/col1236/index.html")
        assert found is not None and found.dated_count == 3
    shown = parse_html(_column("<div class='list'><p>暂无信息</p></div>"))
    assert says_empty(shown) == "暂无信息"
    # other CMSs' words: 暂无文章, a pager that counts nothing (not 共10条)
    assert says_empty(parse_html(_column("<ul><li>该栏目下暂无文章</li></ul>"))) == "暂无文章"
    pager = "<ul></ul><div class='page'>共0条记录 第1/0页</div>"
    assert says_empty(parse_html(_column(pager))) == "共0条"
    assert says_empty(parse_html(_column(pager.replace("共0条", "共10条")))) is None


def test_a_public_information_row_is_dated_by_its_publication_date() -> None:
    """成文日期 (written) comes before 发布日期 (published): the column is judged by the
    latter, in a table whose header names the columns or in labelled items."""
    table = _column(
        "<table><thead><tr><th>索引号</th><th>标题</th><th>发布机构</th><th>成文日期</th>"
        "<th>发布日期</th></tr></thead><tbody>"
        + "".join(
            f"<tr><td>0001-2026-{n}</td><td><a href='./content_{n}.html'>关于印发第{n}号方案的通知"
            f"</a></td><td>县政府办</td><td>2026-04-1{n}</td><td>2026-06-1{n}</td></tr>"
            for n in range(3)
        )
        + "</tbody></table>"
    )
    found = main_list(parse_html(table), "http://www.example.gov.cn/zfxxgk/zcwj/")
    assert found is not None
    assert [i.date_text for i in found.items] == ["2026-06-10", "2026-06-11", "2026-06-12"]
    # the header in <td> cells, or under a caption row; a deadline before the 发布时间
    rows = "".join(
        f"<tr><td><a href='./content_{n}.html'>某某项目招标公告第{n}号</a></td>"
        f"<td>2026-12-0{n + 1}</td><td>2026-06-1{n}</td></tr>"
        for n in range(3)
    )
    for caption, cell in (("", "td"), ("<tr><th colspan='3'>招标公告目录</th></tr>", "th")):
        header = "".join(
            f"<{cell}>{label}</{cell}>" for label in ("项目名称", "报名截止时间", "发布时间")
        )
        page = _column(f"<table>{caption}<tr class='th'>{header}</tr>{rows}</table>")
        found = main_list(parse_html(page), "http://www.example.gov.cn/zfxxgk/zbgg/")
        assert found is not None
        assert [i.date_text for i in found.items] == ["2026-06-10", "2026-06-11", "2026-06-12"]
    # the header in a table of its own above the rows' (TRS: table.thead over table.tbody)
    apart = _column(
        "<table class='thead'><tr><td>项目名称</td><td>报名截止时间</td><td>发布时间</td></tr>"
        f"</table><table class='tbody'>{rows}</table>"
    )
    found = main_list(parse_html(apart), "http://www.example.gov.cn/zfxxgk/zbgg/")
    assert found is not None
    assert [i.date_text for i in found.items] == ["2026-06-10", "2026-06-11", "2026-06-12"]
    labelled = _column(
        "<ul>"
        + "".join(
            f"<li><a href='./content_{n}.html'>关于印发第{n}号方案的通知</a>"
            f"<p>成文日期：2026-04-1{n}　发布日期：2026-06-1{n}</p></li>"
            for n in range(3)
        )
        + "</ul>"
    )
    found = main_list(parse_html(labelled), "http://www.example.gov.cn/zfxxgk/zcwj/")
    assert found is not None
    assert [i.date_text for i in found.items] == ["2026-06-10", "2026-06-11", "2026-06-12"]


def test_a_list_from_a_data_url_with_unix_times() -> None:
    """Java back ends give dates in milliseconds since 1970: dated in Beijing time."""
    body = (
        '{"code": 200, "data": {"list": ['
        '{"title": "关于印发实施方案的政策解读", "url": "/zcjd/post_1.html", "publishTime": 1795053600000},'
        '{"title": "关于开展专项检查的政策解读", "url": "/zcjd/post_2.html", "publishTime": "1763654400"},'
        '{"title": "没有日期的一条政策解读", "url": "/zcjd/post_3.html", "publishTime": 12345}'
        "]}}"
    )
    found = data_items(body, "http://www.example.gov.cn/api/list.json")
    assert found is not None
    assert [i.list_date.value if i.list_date else None for i in found.items] == [
        date(2026, 11, 19),  # 2026-11-18 16:00 UTC
        date(2025, 11, 21),
        None,
    ]
    # TRS's crtime, and any field named as a date (not an end date) when no known one is there
    body = json.dumps(
        {
            "rows": [
                {
                    "docTitle": "第一条人事任免信息",
                    "docUrl": "/rsxx/1.html",
                    "crtime": "2026-10-12",
                },
                {"docTitle": "第二条人事任免信息", "docUrl": "/rsxx/2.html", "gkrq": "2026-10-01"},
                {
                    "docTitle": "第三条人事任免信息",
                    "docUrl": "/rsxx/3.html",
                    "endTime": "2026-12-31",
                    "docFirstPubTime": "2026-09-30 08:00",
                },
            ]
        },
        ensure_ascii=False,
    )
    found = data_items(body, "http://www.example.gov.cn/api/rsxx.json")
    assert found is not None
    assert [i.date_text for i in found.items] == ["2026-10-12", "2026-10-01", "2026-09-30"]


def test_a_columns_own_short_list_beats_a_longer_box_beside_it() -> None:
    """A 乡镇动态 column with five items of its own, beside a box of eight newer items of
    another column: the column is dated by its own list (its items sit in its folder)."""
    own = "".join(
        f"<li><a href='./2026{m:02d}/t2026{m:02d}01_{m}.html'>乡镇第{m}期工作动态</a>"
        f"<span>2026-{m:02d}-01</span></li>"
        for m in range(6, 11)
    )
    box = "".join(
        f"<li><a href='/zwdt/202611/t202611{d}_9{d}.html'>县委第{d}次会议召开</a>"
        f"<span>2026-11-{d}</span></li>"
        for d in range(16, 24)
    )
    page = _column(
        f"<div class='main'><div class='zxdt'><ul>{box}</ul></div>"
        f"<div class='list_right'><ul class='list'>{own}</ul></div></div>"
    )
    found = main_list(parse_html(page), "http://www.example.gov.cn/xzdt/index.html")
    assert found is not None
    assert max(i.date_text or "" for i in found.items) == "2026-10-01"


def _boxed(heading: str, title: str, own_items: int = 20) -> list[str]:
    """A column page: a box headed ``heading`` of five dated items of other columns, beside
    the column's own list of undated items (dated from their pages); the main list's URLs."""
    box = "".join(
        f"<li><a href='/zwdt/202611/t202611{d}_9{d}.html'>县委第{d}次会议召开</a>"
        f"<span>11-{d}</span></li>"
        for d in range(16, 21)
    )
    own = "".join(
        f"<li><a href='/bmdt/content_{n}.html'>部门信息第{n}条的标题</a></li>"
        for n in range(own_items)
    )
    page = (
        f"<html><head><title>{title}</title></head><body>"
        f"<div class='left_box'><h3>{heading}</h3><ul>{box}</ul></div>"
        f"<div class='list'><ul class='news_list'>{own}</ul></div></body></html>"
    )
    found = main_list(parse_html(page), "http://www.example.gov.cn/bmdt2/index.html")
    assert found is not None
    return [item.url.split("/")[3] for item in found.items]


def test_a_box_headed_as_the_sites_is_not_the_columns_list() -> None:
    """A 最新更新 or 热点信息 box of other columns' dated items beside the column's own
    undated list: the column is its own list (dated from its items' pages), not the box."""
    assert set(_boxed("最新更新", "部门信息-示例县")) == {"bmdt"}
    assert set(_boxed("热点信息 更多>>", "部门信息-示例县")) == {"bmdt"}
    # a heading the page's title says too is the column's own: a column 热点关注
    assert set(_boxed("热点关注", "热点关注-示例县")) == {"zwdt"}
    # another heading, or an own list shorter than the box: the dated box, as before
    assert set(_boxed("工作动态", "部门信息-示例县")) == {"zwdt"}
    assert set(_boxed("最新更新", "部门信息-示例县", own_items=3)) == {"zwdt"}


def test_a_data_island_is_the_column_even_beside_a_dated_box() -> None:
    """大汉 writes a column's records in a data island; a dated box of another column's
    items in the page beside it does not date the column."""
    records = "".join(
        f"<record><![CDATA[<li><a href='/art/2026/8/{d}/art_1235_{d}.html'>第{d}期工作简报</a>"
        f"<span>2026-08-0{d}</span></li>]]></record>"
        for d in range(1, 4)
    )
    box = "".join(
        f"<li><a href='/art/2026/11/{d}/art_1234_{d}.html'>县委第{d}次会议召开</a>"
        f"<span>2026-11-{d}</span></li>"
        for d in range(20, 24)
    )
    page = _column(
        f"<div class='con_right'><ul>{box}</ul></div><div class='con_left'>"
        f"<script type='text/xml'><datastore><recordset>{records}</recordset></datastore>"
        "</script></div>"
    )
    found, scripted = column_list(
        parse_html(page), "http://www.example.gov.cn/col/col1235/index.html"
    )
    assert scripted and found is not None
    assert max(i.date_text or "" for i in found.items) == "2026-08-03"
    # a visit counter a script writes elsewhere on the page changes nothing
    counter = page.replace(
        "</body>", "<script>document.write('<span>您是第</span>')</script></body>"
    )
    found, scripted = column_list(
        parse_html(counter), "http://www.example.gov.cn/col/col1235/index.html"
    )
    assert scripted and found is not None
    assert max(i.date_text or "" for i in found.items) == "2026-08-03"


def test_a_left_menu_of_columns_is_no_list_of_the_column() -> None:
    """Undated both, a sub-menu of six sibling columns (the page among them) and the column's
    three articles: the articles are its list (to be dated from their pages)."""
    names = {"zwyw": "政务要闻", "bmdt": "部门动态", "xzdt": "乡镇动态"}
    names |= {"ttxw": "头条新闻", "gzdt": "工作动态", "xqdt": "县区动态"}
    menu = "".join(f"<li><a href='/xwzx/{p}/'>{n}</a></li>" for p, n in names.items())
    items = "".join(
        f"<li><a href='/xwzx/zwyw/c_{n}.html'>政务要闻第{n}条新闻</a></li>" for n in (1, 2, 3)
    )
    doc = parse_html(
        f"<html><body><div class='leftnav'><ul>{menu}</ul></div><ul class='list'>{items}</ul>"
        "</body></html>"
    )
    found = main_list(doc, "http://x.gov.cn/xwzx/zwyw/index.html")
    assert found is not None
    assert [item.url for item in found.items] == [
        f"http://x.gov.cn/xwzx/zwyw/c_{n}.html" for n in (1, 2, 3)
    ]
    # the menu beside an empty list: no list at all (not six items of an empty column)
    empty = parse_html(
        f"<html><body><div class='leftnav'><ul>{menu}</ul></div><ul></ul></body></html>"
    )
    assert main_list(empty, "http://x.gov.cn/xwzx/zwyw/index.html") is None


def test_a_box_headed_by_another_columns_name_is_not_the_columns_list() -> None:
    """新闻动态's page shows a 通知公告 box first, as long and as dated as its own list, and all
    its items in one folder: the column is dated by its own list, not the box's newer items."""
    box = "".join(
        f"<li><a href='/content/post_10{n}.html'>关于开展第{n}次安全检查工作的通知</a>"
        f"<span>2026-11-2{n}</span></li>"
        for n in range(3)
    )
    own = "".join(
        f"<li><a href='/content/post_20{n}.html'>新闻动态第{n}条关于推进重点工作的情况</a>"
        f"<span>2026-10-1{n}</span></li>"
        for n in range(3)
    )
    html = (
        "<html><head><title>新闻动态_示范市人民政府</title></head><body>"
        f"<div class='l-box'><div class='hd'>通知公告 更多>></div><ul>{box}</ul></div>"
        f"<div class='r-main'><div class='hd'>信息列表</div><ul class='list'>{own}</ul></div>"
        "</body></html>"
    )
    found = main_list(parse_html(html), "http://x.gov.cn/xwdt/")
    assert found is not None
    assert [i.date_text for i in found.items] == ["2026-10-10", "2026-10-11", "2026-10-12"]


def test_an_update_time_is_not_when_an_item_was_published() -> None:
    """更新时间 is when a page was last edited: the 【date】 its link gives, or a labelled
    发布时间, dates the item; an 更新时间 alone still does."""
    rows = {
        "bracket": "<a href='/zcjd/1.html'>政策解读【2026-05-10】</a><span>更新时间：2026-06-30</span>",
        "labelled": "<a href='/zcjd/1.html'>政策解读</a><span>更新时间：2026-06-30</span>"
        "<span>发布时间：2026-05-10</span>",
        "alone": "<a href='/zcjd/1.html'>政策解读</a><span>更新时间：2026-05-10</span>",
    }
    for row in rows.values():
        items = "".join(f"<li>{row.replace('1.html', f'{n}.html')}</li>" for n in range(3))
        found = main_list(parse_html(f"<ul>{items}</ul>"), "http://x.gov.cn/zcjd/")
        assert found is not None
        assert [i.date_text for i in found.items] == ["2026-05-10"] * 3


def test_a_json_lists_publication_date_is_its_date() -> None:
    """集约化 platforms' JSON: a publishedTime beats a createTime; of unknown fields, one named
    as a publication beats a modifyTime (a bulk re-save); an ISO time with its zone is dated
    in Beijing; a page's state with its menu's links before its list gives the list."""

    def dates(records: list[dict[str, object]], key: str = "rows") -> list[str | None]:
        found = data_items(json.dumps({key: records}), "http://x.gov.cn/api/list")
        assert found is not None
        return [
            i.list_date.value.isoformat() if i.list_date and i.list_date.value else None
            for i in found.items
        ]

    row = {"title": "市政府召开常务会议研究部署工作", "url": "/xwzx/1.html"}
    assert dates([row | {"createTime": "2026-10-28", "publishedTime": "2026-11-20"}]) == [
        "2026-11-20"
    ]
    assert dates([row | {"modifyTime": "2026-11-24", "firstPubTime": "2026-10-15"}]) == [
        "2026-10-15"
    ]
    assert dates([row | {"publishTime": "2026-11-10T16:30:00.000+0000"}]) == ["2026-11-11"]
    state = (
        "window.__INITIAL_STATE__ = "
        + json.dumps(
            {
                "menus": [
                    {"title": "首页栏目导航", "url": "/"},
                    {"title": "新闻中心栏目", "url": "/xwzx/"},
                ],
                "articlePage": {"content": [row | {"publishedTime": 1795500000000}]},
            }
        )
        + ";"
    )
    found = data_items(state, "http://x.gov.cn/xwzx/")
    assert found is not None and [i.url for i in found.items] == ["http://x.gov.cn/xwzx/1.html"]
    page = parse_html(
        "<html><head><script>$.getJSON('/api/site/menu?siteId=1', drawMenu);</script></head><body>"
        "<div id='list'></div><script>$.getJSON('/api/article/list?channelId=110', show);"
        "</script></body></html>"
    )
    assert list_signals(page, "http://x.gov.cn/gzdt/").data_urls[0].endswith("channelId=110")


def test_a_summary_citing_an_earlier_date_does_not_date_its_item() -> None:
    """An item's summary cites the document it is about (（2026年10月10日印发）) before the
    item's own date in an element of its own: the item is dated by the latter."""
    items = "".join(
        f"<li><h4><a href='/bdyw/{n}.html'>市政府召开常务会议研究部署第{n}项工作</a></h4>"
        f"<p class='summary'>根据《重点工作安排》（2026年10月1{n}日印发），……</p>"
        f"<span class='date'>2026-11-1{n}</span></li>"
        for n in range(3)
    )
    found = main_list(parse_html(f"<ul>{items}</ul>"), "http://x.gov.cn/bdyw/")
    assert found is not None
    assert [i.date_text for i in found.items] == ["2026-11-10", "2026-11-11", "2026-11-12"]


def test_links_that_are_whole_items_side_by_side_are_each_an_item() -> None:
    """<a><h3>title</h3><span>date</span></a> one after another in a div: each link is an
    item with its own date (they merged into one, dated by the next item's date)."""
    items = "".join(
        f"<a class='item' href='/kx/{n}.html'><h3>{title}</h3><span class='time'>{day}</span></a>"
        for n, (title, day) in enumerate(
            [
                ("全市农村人居环境整治现场会暨重点项目集中开工仪式举行", "2026-11-20"),
                ("全市安全生产工作会议召开", "2026-11-02"),
                ("我市开展冬季森林防火专项检查", "2026-10-27"),
            ]
        )
    )
    found = main_list(parse_html(f"<div class='kx-list'>{items}</div>"), "http://x.gov.cn/kx/")
    assert found is not None
    assert [(i.url, i.date_text) for i in found.items] == [
        ("http://x.gov.cn/kx/0.html", "2026-11-20"),
        ("http://x.gov.cn/kx/1.html", "2026-11-02"),
        ("http://x.gov.cn/kx/2.html", "2026-10-27"),
    ]
