"""Readers on big pages (a 全部信息 list of thousands, a bulletin full of dates, a hand-built
page of thousands of blocks): each reads them as it reads a small page. How their time grows
with a page's size is measured by ``benchmarks/pageshapes.py``."""

from __future__ import annotations

from datetime import date, timedelta

from crawler.extract.dates import find_dates
from crawler.extract.html import HtmlElement, parse_html
from crawler.extract.links import extract_links
from crawler.extract.lists import find_lists, main_list, says_empty, shows_people
from crawler.extract.navigation import page_type
from crawler.extract.scripts import json_items, list_signals
from crawler.extract.softpages import fingerprint

COLUMN = "http://www.example.gov.cn/zwdt/"
LINES = 3000


def _page(body: str, title: str = "政务动态") -> str:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>"


def _day(i: int) -> date:
    return date(2026, 11, 20) - timedelta(days=i)


def test_a_flat_list_of_thousands_of_lines_dates_every_line() -> None:
    """Link, date, <br> three thousand times in one block: each line is one item with its own
    date, the block around them holding far more than an item."""
    lines = "".join(
        f"<a href='/zwdt/{i}.html'>县政府第{i}次常务会议召开</a> {_day(i).isoformat()}<br>"
        for i in range(LINES)
    )
    found = main_list(parse_html(_page(f"<div class='list'>{lines}</div>")), COLUMN)
    assert found is not None
    assert len(found.items) == LINES
    dates = [item.list_date.value if item.list_date else None for item in found.items]
    assert dates == [_day(i) for i in range(LINES)]


def test_a_line_longer_than_a_list_has_is_no_item() -> None:
    """A <br> run where one link shares its line with a long run of other elements (a block
    of text broken by <br>): that link has no line of its own, the others keep theirs."""
    short = "".join(
        f"<a href='/zwdt/{i}.html'>县政府第{i}次常务会议召开</a> 2026-11-{i:02d}<br>"
        for i in (20, 19, 18)
    )
    crowded = (
        "<a href='/zwdt/x.html'>县政府工作报告全文发布</a> 2026-11-17"
        + "<span>正文</span>" * 40
        + "<br>"
    )
    found = find_lists(parse_html(_page(f"<div>{short}{crowded}</div>")), COLUMN)
    dated = [item.url for lst in found for item in lst.items if item.list_date]
    assert dated == [f"http://www.example.gov.cn/zwdt/{i}.html" for i in (20, 19, 18)]


def test_a_paragraph_longer_than_an_item_is_no_item() -> None:
    """A link inside a long article paragraph that also states one date is part of the text,
    not an item dated by it; the same link and date in a short block is one."""
    sentence = "全县认真贯彻落实各项工作部署，扎实推进重点任务落地见效。"
    long_text = sentence * 80  # 2,240 characters: more text than an item holds
    link = "<a href='/zwdt/1.html'>关于印发实施方案的通知</a>"
    for text, items in ((long_text, 0), (sentence, 1)):
        body = f"<div class='content'><div><p>{text}{link}，2026-11-18印发。</p></div></div>"
        found = find_lists(parse_html(_page(body)), COLUMN)
        assert sum(len(lst.items) for lst in found) == items, len(text)


def test_thousands_of_unlike_blocks_beside_a_list_leave_the_list_the_main_one() -> None:
    """A hand-built page: thousands of blocks each with its own class and a link, and a
    dated list of the column. The blocks are no list; the list is the column's."""
    blocks = "".join(
        f"<div class='b{i}'><a href='/zt/{i}.html'>专题专栏第{i}期内容</a></div>"
        for i in range(2000)
    )
    items = "".join(
        f"<li><a href='/zwdt/{i}.html'>县政府第{i}次常务会议召开</a><span>2026-11-{i:02d}</span></li>"
        for i in (20, 19, 18)
    )
    doc = parse_html(_page(f"<div class='zt'>{blocks}</div><ul class='list'>{items}</ul>"))
    found = main_list(doc, COLUMN)
    assert found is not None
    assert [item.date_text for item in found.items] == ["2026-11-20", "2026-11-19", "2026-11-18"]


def test_every_date_of_a_long_bulletin_is_found_once() -> None:
    """Three forms of date, thousands of each, in one text: each date once, in text order; a
    year-less reading inside a full date is not another."""
    days = [_day(i) for i in range(LINES)]
    forms = (
        lambda d: f"{d.year}年{d.month}月{d.day}日",
        lambda d: d.isoformat(),
        lambda d: f"{d.month}月{d.day}日",
    )
    text = "；".join(f"第{i}项于{forms[i % 3](d)}完成" for i, d in enumerate(days))
    found = find_dates(text)
    assert [(d.month, d.day) for d in found] == [(d.month, d.day) for d in days]
    assert [d.year for d in found] == [d.year if i % 3 != 2 else None for i, d in enumerate(days)]


def test_thousands_of_short_links_make_no_page_of_people() -> None:
    """A page of thousands of two-character links (下节, 上节…) has no cards of people; a page
    of two leaders' cards still has."""
    links = "".join(f"<h2 id='s{i}'>第{i}节</h2><a href='#s{i + 1}'>下节</a>" for i in range(LINES))
    assert not shows_people(parse_html(_page(links, "公报")))
    cards = "".join(
        f"<div class='ld'><a href='/ld/{i}.html'>{name}</a><p>县委副书记、县长</p></div>"
        for i, name in enumerate(("张伟", "李强"))
    )
    assert shows_people(parse_html(_page(cards, "领导信息")))


def test_a_missing_pages_words_blank_numbers_in_a_paragraph_without_spaces() -> None:
    """A soft-404 page's text in one long run of Chinese without a space: its numbers are
    blanked as in a short one, and a piece holding the asked URL is blanked whole."""
    run = "您访问的页面" + "已经被删除或者不存在" * 5000
    body = f"<p>{run}错误代码404</p><p>您要找的 /zwdt/2026/abc.html 不存在</p>"
    words = fingerprint(200, parse_html(_page(body, "出错了"))).words
    assert words == frozenset({run + "错误代码#", "您要找的 # 不存在"})


def _article_urls(doc: HtmlElement) -> list[str]:
    found = extract_links(doc, COLUMN)
    return sorted(link.url for link in found.links if "/zwdt/" in link.url)


def test_a_tag_left_open_on_every_line_nests_no_line_away() -> None:
    """An editor's run of lines, each opening a <font> it never closes: the tags nest three
    thousand deep, past the parser's 2,048 levels, and every line is still read."""
    lines = "".join(
        f"<font color='#333'><a href='/zwdt/{i}.html'>县政府第{i}次常务会议召开</a> "
        f"{_day(i).isoformat()}<br>"
        for i in range(LINES)
    )
    doc = parse_html(_page(f"<div class='list'>{lines}</div><p>暂无更多</p>"))
    assert len(_article_urls(doc)) == LINES
    found = main_list(doc, COLUMN)
    assert found is not None and found.dated_count == LINES


def test_blocks_left_open_thousands_deep_lose_no_link() -> None:
    """Blocks that nest deeper than the parser goes (each line a <div> never closed), and
    half as deep (within it): every link is read, and no reader of the page fails on it."""
    for depth in (LINES, LINES // 3):
        lines = "".join(
            f"<div class='row'><a href='/zwdt/{i}.html'>县政府第{i}次常务会议召开</a> 2026-11-20"
            for i in range(depth)
        )
        doc = parse_html(_page(f"{lines}<p>暂无信息</p>"))
        assert len(_article_urls(doc)) == depth
        assert says_empty(doc) == "暂无信息"
        assert list_signals(doc, COLUMN).empty_marker == "暂无信息"
        assert page_type(doc, COLUMN) in {"list", "detail", "other"}


def test_json_nested_deeper_than_python_goes_is_no_list() -> None:
    assert json_items("[" * 100_000 + "]" * 100_000, COLUMN) == []
