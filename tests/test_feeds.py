"""Reading new-media sources (pure): feed kinds, time zones, relative times, malformed input,
page selectors, and the matrix page reader."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from crawler.extract.feeds import read_feed, read_page
from crawler.extract.html import parse_html
from crawler.extract.matrix import suggest_accounts
from crawler.extract.times import parse_time

FEEDS = Path(__file__).resolve().parent / "feeds"
SHANGHAI = ZoneInfo("Asia/Shanghai")
FETCHED = datetime(2024, 11, 21, 12, 0, tzinfo=SHANGHAI)


def feed(name: str) -> bytes:
    return (FEEDS / name).read_bytes()


@pytest.mark.parametrize(
    ("name", "kind", "posts", "newest_title", "newest_utc"),
    [
        ("rss2.xml", "rss2", 3, "最新一条推送", datetime(2024, 11, 21, 1, 15, tzinfo=UTC)),
        ("rss1.xml", "rss1", 1, "上犹县政务动态", datetime(2024, 11, 19, 0, 0, tzinfo=UTC)),
        # 2024-11-20 22:30 at UTC-5 is 2024-11-21 03:30 UTC: later than the UTC post below.
        ("atom.xml", "atom", 2, "陆丰市政府常务会议", datetime(2024, 11, 21, 3, 30, tzinfo=UTC)),
        ("feed.json", "jsonfeed", 2, "汕尾市民生实事", datetime(2024, 11, 18, 2, 0, tzinfo=UTC)),
    ],
)
def test_feed_kinds_and_time_zones(
    name: str, kind: str, posts: int, newest_title: str, newest_utc: datetime
) -> None:
    read = read_feed(feed(name), "http://feeds.example/x", FETCHED)
    assert read.error is None
    assert read.kind == kind
    assert len(read.posts) == posts
    assert read.newest is not None
    assert read.newest.title == newest_title
    assert read.newest.published == newest_utc


def test_relative_links_in_atom_are_absolute() -> None:
    read = read_feed(feed("atom.xml"), "http://a.example/feed.xml", FETCHED)
    assert read.newest is not None
    assert read.newest.url == "http://a.example/a/1"
    based = feed("atom.xml").replace(
        b'<feed xmlns="http://www.w3.org/2005/Atom"',
        b'<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://www.x.gov.cn/xmt/"',
    )
    read = read_feed(based, "http://a.example/feed.xml", FETCHED)
    assert read.newest is not None and read.newest.url == "http://www.x.gov.cn/a/1"


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (feed("broken.xml"), "malformed_xml"),
        (feed("broken.json"), "malformed_json"),
        (b"<html><body>Not a feed</body></html>", "not_a_feed"),
        (b"<html><body><p>unclosed</body></html>", "not_a_feed"),  # a login or error page
        (
            b"<!DOCTYPE html>\n<html lang='zh'><head><meta charset='utf-8'></head></html>",
            "not_a_feed",
        ),
        (b"<?xml version='1.0'?><rss><channel><item>", "malformed_xml"),
        (b"<?xml version='1.0'?><html><body/></html>", "not_a_feed"),
        (b'<?xml version="1.0"?><rss version="2.0"><channel></channel></rss>', "empty"),
        (b'{"items": [{"title": "x"}]}', "no_dates"),
        (b'{"title": "no items"}', "not_a_feed"),
        (b'{"items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "malformed_json"),  # too deep
    ],
)
def test_bad_feeds_are_errors_not_crashes(body: bytes, error: str) -> None:
    read = read_feed(body, "http://feeds.example/x", FETCHED)
    assert read.error is not None
    assert read.error.startswith(error)


def test_entities_are_not_expanded() -> None:
    body = (
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        b'<rss version="2.0"><channel><item><title>&e;</title>'
        b"<pubDate>Thu, 21 Nov 2024 09:15:00 +0800</pubDate></item></channel></rss>"
    )
    read = read_feed(body, "http://feeds.example/x", FETCHED)
    assert all("root:" not in p.title for p in read.posts)


@pytest.mark.parametrize(
    ("body", "kind"),
    [
        # an RSS 2.0 item dated only the Atom way, after a pinned old one
        (
            (
                b'<?xml version="1.0"?><rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom">'
                b"<channel><item><title>old</title><pubDate>Sat, 02 Nov 2024 10:00:00 +0800</pubDate>"
                b"</item><item><title>new</title><atom:updated>2024-11-21T10:00:00+08:00"
                b"</atom:updated></item></channel></rss>"
            ),
            "rss2",
        ),
        # an HTML entity a feed template let through, which strict XML refuses
        (
            (
                b'<?xml version="1.0"?><rss version="2.0"><channel><item><title>new&nbsp;&mdash;</title>'
                b"<pubDate>Thu, 21 Nov 2024 10:00:00 +0800</pubDate></item></channel></rss>"
            ),
            "rss2",
        ),
        # Atom 0.3 and RSS in UserLand's namespace, from old feed modules
        (
            (
                b'<?xml version="1.0"?><feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry>'
                b"<title>new</title><issued>2024-11-21T10:00:00+08:00</issued></entry></feed>"
            ),
            "atom",
        ),
        (
            (
                b'<?xml version="1.0"?><rss version="2.0" xmlns="http://backend.userland.com/rss2">'
                b"<channel><item><title>new</title><pubDate>Thu, 21 Nov 2024 10:00:00 +0800</pubDate>"
                b"</item></channel></rss>"
            ),
            "rss2",
        ),
        (b'{"items": [{"title": "new", "date_published": 1732154400}]}', "jsonfeed"),
    ],
)
def test_feeds_dated_in_less_usual_ways(body: bytes, kind: str) -> None:
    read = read_feed(body, "http://feeds.example/x", FETCHED)
    assert (read.kind, read.error) == (kind, None)
    assert read.newest is not None
    assert read.newest.title.startswith("new")
    assert read.newest.published == datetime(2024, 11, 21, 10, 0, tzinfo=SHANGHAI)


def test_a_page_showing_a_clock_is_dated_by_its_time_attribute() -> None:
    html = (
        "<div class='post'><time class='t' datetime='2024-11-21T10:00:00+08:00'>10:00</time></div>"
        "<div class='post'><span class='t' title='2024-11-19 08:00'>周二</span></div>"
    )
    read = read_page(html, "https://weibo.example/u/1", FETCHED, "div.post", ".t")
    assert [p.published for p in read.posts] == [
        datetime(2024, 11, 21, 10, 0, tzinfo=SHANGHAI),
        datetime(2024, 11, 19, 8, 0, tzinfo=SHANGHAI),
    ]


def test_page_with_selectors_and_relative_times() -> None:
    html = feed("weibo.html").decode()
    read = read_page(
        html, "https://weibo.example/u/123", FETCHED, "div.post", ".time", "a.title", "a.title"
    )
    assert read.error is None
    assert [p.published for p in read.posts] == [
        datetime(2024, 11, 21, 9, 0, tzinfo=SHANGHAI),
        datetime(2024, 11, 20, 10, 20, tzinfo=SHANGHAI),
        datetime(2024, 11, 2, 9, 15, tzinfo=SHANGHAI),
    ]
    assert read.newest is not None
    assert read.newest.url == "https://weibo.example/status/3"
    empty = read_page(html, "https://weibo.example/u/123", FETCHED, "div.nothing", ".time")
    assert empty.error is not None and empty.error.startswith("empty")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("刚刚", datetime(2024, 11, 21, 12, 0, tzinfo=SHANGHAI)),
        ("5分钟前", datetime(2024, 11, 21, 11, 55, tzinfo=SHANGHAI)),
        ("3小时前", datetime(2024, 11, 21, 9, 0, tzinfo=SHANGHAI)),
        ("昨天 10:20", datetime(2024, 11, 20, 10, 20, tzinfo=SHANGHAI)),
        ("前天", datetime(2024, 11, 19, 0, 0, tzinfo=SHANGHAI)),
        ("3天前", datetime(2024, 11, 18, 12, 0, tzinfo=SHANGHAI)),
        ("11-20 09:15", datetime(2024, 11, 20, 9, 15, tzinfo=SHANGHAI)),
        ("12-30 09:15", datetime(2023, 12, 30, 9, 15, tzinfo=SHANGHAI)),  # never in the future
        ("2024-11-20 09:15", datetime(2024, 11, 20, 9, 15, tzinfo=SHANGHAI)),
        ("2024年11月20日", datetime(2024, 11, 20, tzinfo=SHANGHAI)),
        ("Wed, 20 Nov 2024 02:30:00 GMT", datetime(2024, 11, 20, 2, 30, tzinfo=UTC)),
        ("２０２４－１１－２０ ０９:１５", datetime(2024, 11, 20, 9, 15, tzinfo=SHANGHAI)),
        ("没有时间", None),
        # Java's Date.toString(): CST is China Standard Time in a Chinese CMS, not US Central
        ("Wed Nov 20 10:00:00 CST 2024", datetime(2024, 11, 20, 10, 0, tzinfo=SHANGHAI)),
        ("2024-11-20T10:20+08:00[Asia/Shanghai]", datetime(2024, 11, 20, 10, 20, tzinfo=SHANGHAI)),
        ("2024-11-20T10:20:00+08", datetime(2024, 11, 20, 10, 20, tzinfo=SHANGHAI)),
        ("2024年11月20日 10时20分", datetime(2024, 11, 20, 10, 20, tzinfo=SHANGHAI)),
        ("半小时前", datetime(2024, 11, 21, 11, 30, tzinfo=SHANGHAI)),
        ("2周前", datetime(2024, 11, 7, 12, 0, tzinfo=SHANGHAI)),
        ("1年前", datetime(2023, 11, 22, 12, 0, tzinfo=SHANGHAI)),
        ("1732154400", datetime(2024, 11, 21, 10, 0, tzinfo=SHANGHAI)),  # epoch seconds
        ("1732154400000", datetime(2024, 11, 21, 10, 0, tzinfo=SHANGHAI)),  # and milliseconds
    ],
)
def test_times(text: str, expected: datetime | None) -> None:
    assert parse_time(text, FETCHED) == expected


def test_relative_times_resolve_in_shanghai_even_when_fetched_in_utc() -> None:
    fetched_utc = datetime(2024, 11, 20, 17, 0, tzinfo=UTC)  # 2024-11-21 01:00 in Shanghai
    assert parse_time("昨天 10:20", fetched_utc) == datetime(2024, 11, 20, 10, 20, tzinfo=SHANGHAI)


def test_matrix_page_suggestions() -> None:
    doc = parse_html(feed("matrix.html").decode())
    found = [(a.name, a.platform, a.url) for a in suggest_accounts(doc, "http://x.gov.cn/m/")]
    assert found == [
        ("龙南发布", "wechat", None),
        ("龙南市场监管", "wechat", None),
        ("龙南发布", "weibo", "https://weibo.example/u/123"),
        ("龙南文旅", "douyin", None),
        ("龙南政务服务", "miniprogram", None),
    ]


def test_a_post_dated_after_the_fetch_never_counts() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel>'
        b"<item><title>future</title><pubDate>Fri, 01 Jan 2099 00:00:00 +0800</pubDate></item>"
        b"<item><title>real</title><pubDate>Wed, 20 Nov 2024 09:00:00 +0800</pubDate></item>"
        b"</channel></rss>"
    )
    read = read_feed(body, "http://feeds.example/x", FETCHED)
    assert read.newest is not None
    assert read.newest.title == "real"
    # only a typo's date: the error says so, not that no date could be read
    only = body.replace(b"Wed, 20 Nov 2024", b"Wed, 20 Nov 2099")
    assert read_feed(only, "http://feeds.example/x", FETCHED).error == (
        "no_dates: every date is after the fetch"
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # a 名录 table: 序号 | 账号名称 | 平台类型 | 主办单位
        (
            "matrix_table.html",
            "龙南发布 wechat, 龙南发布 weibo, 龙南市场监管 wechat, 龙南文旅 douyin, 龙南交警 toutiao",
        ),
        # cards: "平台：名称" captions beside 主办单位 fields; a footer's links are no accounts
        (
            "matrix_cards.html",
            "龙南发布 wechat, 龙南发布 weibo, 龙南融媒 douyin, 龙南发布 kuaishou, 龙南头条 toutiao",
        ),
        # links to the accounts: the platform by the link's host, not the icon before it
        (
            "matrix_links.html",
            "龙南发布 weibo, 龙南发布 wechat, 龙南文旅 douyin, 龙南交警 toutiao, 龙南融媒 bilibili",
        ),
        # sections headed by divs; a name with a platform's word in it (龙南头条)
        (
            "matrix_grouped.html",
            (
                "龙南发布 wechat, 龙南微报 wechat, 掌上龙南 wechat, 龙南发布 weibo, 今日龙南 app, "
                "龙南头条 toutiao"
            ),
        ),
        # div captions; platforms the config has no name for are "other"
        (
            "matrix_misc.html",
            (
                "龙南发布 wechat, 龙南市场监管 wechat, 龙南文旅 douyin, 龙南发布 other, 龙南融媒 other, "
                "龙南文旅 other"
            ),
        ),
        # captions styled as titles
        ("matrix_title.html", "龙南发布 wechat, 龙南发布 weibo, 龙南文旅 douyin"),
        # a carousel: each slide's platform label after its name, not heading the next slide
        ("matrix_swiper.html", "龙南发布 wechat, 龙南微报 weibo, 龙南文旅 douyin"),
        # tabs of platforms, then their panes in order
        (
            "matrix_tabs.html",
            "龙南发布 wechat, 龙南市场监管 wechat, 龙南微报 weibo, 龙南文旅 douyin",
        ),
        # 账号类型 before 账号名称; a 平台 cell that spans rows
        ("matrix_table_type.html", "龙南发布 wechat, 龙南微报 weibo, 龙南文旅 douyin"),
        (
            "matrix_rowspan.html",
            "龙南发布 wechat, 龙南市场监管 wechat, 龙南税务 wechat, 龙南微报 weibo",
        ),
        # a platform's icon beside the name in each item
        ("matrix_icons.html", "龙南发布 wechat, 龙南微报 weibo, 龙南文旅 douyin"),
        # a 政府网站 section after the accounts: no accounts
        ("matrix_govsites.html", "龙南发布 weibo, 龙南发布 wechat"),
        # platforms the config has no name for, each apart; 视频号 is not a 公众号
        (
            "matrix_names.html",
            (
                "龙南发布 other, 龙南发布 other, 龙南发布 toutiao, 龙南发布 other, 龙南发布 douyin, "
                "龙南融媒 other, longnanfabu wechat"
            ),
        ),
        # one name on two platforms
        (
            "matrix_multi.html",
            "龙南发布 wechat, 龙南发布 weibo, 龙南文旅 douyin, 龙南文旅 kuaishou",
        ),
    ],
)
def test_matrix_pages_of_other_shapes(name: str, expected: str) -> None:
    doc = parse_html(feed(name).decode())
    found = suggest_accounts(doc, "http://x.gov.cn/m/")
    assert ", ".join(f"{a.name} {a.platform}" for a in found) == expected


def test_a_feeds_charset_comes_from_its_http_answer_when_its_xml_does_not_say_it_right() -> None:
    """A GBK feed served "charset=gbk" without an XML declaration, and a UTF-8 feed that
    declares gb2312 (a template copied from an old site): read as the answer says."""
    item = "<item><title>周二文章</title><pubDate>Thu, 21 Nov 2024 10:00:00 +0800</pubDate></item>"
    gbk = f'<rss version="2.0"><channel>{item}</channel></rss>'.encode("gbk")
    utf8 = (
        f'<?xml version="1.0" encoding="gb2312"?><rss version="2.0"><channel>{item}</channel></rss>'
    )
    for body, charset in ((gbk, "gbk"), (utf8.encode("utf-8"), "utf-8")):
        read = read_feed(body, "http://feeds.example/x", FETCHED, charset)
        assert read.error is None
        assert read.newest is not None and read.newest.title == "周二文章"
    # a header that does not fit the bytes is not believed over a declaration that does
    declared = utf8.replace("gb2312", "utf-8").encode("utf-8")
    assert read_feed(declared, "http://feeds.example/x", FETCHED, "gbk").error is None


def test_a_post_that_holds_another_is_dated_by_its_own_time() -> None:
    """A repost shows the original post inside it, with its own time: each is dated by its
    own, the outer one not by the repost's older time."""
    html = (
        "<div class='post'><p>转发微博</p><div class='post repost'><p>原文</p>"
        "<span class='time'>2024-10-01 09:00</span></div><span class='time'>2024-11-21 10:00</span>"
        "</div><div class='post'><p>更早</p><span class='time'>2024-11-10 09:00</span></div>"
    )
    read = read_page(html, "https://weibo.example/u/1", FETCHED, "div.post", ".time")
    assert [p.time_text for p in read.posts] == [
        "2024-11-21 10:00",
        "2024-10-01 09:00",
        "2024-11-10 09:00",
    ]
