"""A server that blocked the checker is one row of the links page, rendered from a real SQLite
file filled by the store: its blocked links counted and listed in the row, everything else
(definite dead links, a server blocking only a few, the 台账) one row per link as before."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import html as lxml_html
from lxml.html import HtmlElement

from monitor.assessments import assess
from monitor.config import Config
from monitor.database import open_database
from monitor.records import BLOCKED
from reports.render import write_reports
from reports.views import BlockedHostRow, LinkRow, build_view, server_of
from tests.reportkit import HOME, ZWDT, check, county_config, on, store_crawl

AS_OF = date(2024, 7, 20)
TZGG = "http://x.gov.cn/tzgg/"

BLOCKER = "http://127.0.0.1:18009"  # a firewall in front of it: four links blocked
BLOCKED_LINKS = (
    f"{BLOCKER}/a.html",
    f"{BLOCKER}/b.pdf",
    f"{BLOCKER}/c.doc",
    f'{BLOCKER}/q?a="><script>alert(1)</script>',
)
EVIL = BLOCKED_LINKS[3]
GONE = f"{BLOCKER}/gone.html"  # a 404 from the same server: a dead link of its own
SLOW = f"{BLOCKER}/slow.html"  # a timeout there: suspected, but not blocked
TWO = ("http://two.example.org/1.html", "http://two.example.org/2.html")  # blocks only two
PDF = "http://x.gov.cn/f.pdf"
HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return county_config(tmp_path)


def crawl(db: str) -> None:
    checks = [
        check(BLOCKED_LINKS[0], 429, BLOCKED),
        check(BLOCKED_LINKS[1], 403, BLOCKED),
        check(BLOCKED_LINKS[2], 200, BLOCKED),  # a firewall's challenge page
        check(EVIL, 429, BLOCKED),
        check(GONE, 404),
        check(SLOW, None, "timeout"),
        check(TWO[0], 429, BLOCKED),
        check(TWO[1], 429, BLOCKED),
        check(PDF, 404),
    ]
    occurrences = [
        on(HOME, BLOCKED_LINKS[0], "友情链接"),
        on(ZWDT, BLOCKED_LINKS[0], "友情链接"),
        on(ZWDT, BLOCKED_LINKS[1], "年度报告"),
        on(TZGG, BLOCKED_LINKS[2], HOSTILE),
        on(TZGG, EVIL, "查询"),
        on(ZWDT, GONE, "旧页面"),
        on(ZWDT, SLOW, "慢页面"),
        on(TZGG, TWO[0], "其一"),
        on(TZGG, TWO[1], "其二"),
        on(HOME, PDF, "附件"),
    ]
    store_crawl(db, datetime(2024, 7, 19), checks, occurrences)


def report(tmp_path: Path, config: Config, lang: str = "zh") -> Path:
    db = f"sqlite:///{tmp_path / 'b.db'}"
    crawl(db)
    assessments = assess(open_database(db), config, AS_OF)
    write_reports(assessments, config.rule_preset, tmp_path / lang, lang=lang)
    return tmp_path / lang


def link_rows(out: Path) -> list[HtmlElement]:
    tree = lxml_html.fromstring((out / "links.html").read_bytes())
    rows: list[HtmlElement] = tree.xpath("//table[@class='links']/tr[td]")
    return rows


def text(element: HtmlElement) -> str:
    return " ".join(element.text_content().split())


def test_a_server_blocking_three_or_more_links_is_one_row(tmp_path: Path, config: Config) -> None:
    rows = link_rows(report(tmp_path, config))
    grouped = [r for r in rows if "blocked-host" in r.get("class", "")]
    assert len(grouped) == 1
    row = grouped[0]
    assert row.xpath("string(td[1]/a)") == BLOCKER
    assert row.xpath("td[1]/a/@href") == [BLOCKER]
    assert "该网站拦截或限流了检查：4 个链接未能核验（疑似）" in text(row.xpath("td[2]")[0])
    assert row.xpath("string(td[3]/span[contains(@class, 'badge')])") == "疑似"
    assert "suspected" in row.xpath("td[3]/span")[0].get("class")
    assert row.xpath("string(td[4])") == "站外"
    assert row.xpath("string(td[5])") == "首页"  # one of them is on the homepage
    # Every blocked URL in the details, each with the pages it is on.
    details = row.xpath("td[6]/details")[0]
    assert text(details.xpath("summary")[0]) == "全部 4 个链接及所在页面"
    items = details.xpath("ul/li")
    assert [li.xpath("string(a[1])") for li in items] == list(BLOCKED_LINKS)
    pages = {li.xpath("string(a[1])"): li.xpath("ul/li/a/@href") for li in items}
    assert pages[BLOCKED_LINKS[0]] == [HOME, ZWDT]  # the homepage first
    assert pages[BLOCKED_LINKS[2]] == [TZGG]
    assert "HTTP 429（被防火墙拦截或限流）" in text(items[0])
    # None of them is a row of its own.
    assert not [r for r in rows if r.xpath("string(td[1]/a)") in BLOCKED_LINKS]


def test_definite_rows_first_then_the_group_among_the_suspected(
    tmp_path: Path, config: Config
) -> None:
    rows = link_rows(report(tmp_path, config))
    # Definite first (the homepage's first); then the suspected by homepage, scope, URL: the
    # group is on the homepage, so before the rest.
    assert [r.xpath("string(td[1]/a)") for r in rows] == [PDF, GONE, BLOCKER, SLOW, *TWO]
    assert [r.xpath("string(td[3]/span)") for r in rows] == ["确定", "确定", *["疑似"] * 4]


def test_few_blocked_links_and_other_problems_stay_rows_of_their_own(
    tmp_path: Path, config: Config
) -> None:
    rows = {r.xpath("string(td[1]/a)"): r for r in link_rows(report(tmp_path, config))}
    # A server that blocked only two links: two ordinary rows.
    for url in TWO:
        assert "blocked-host" not in rows[url].get("class", "")
        assert rows[url].xpath("string(td[2])") == "HTTP 429（被防火墙拦截或限流）"
        assert rows[url].xpath("td[6]/ul/li/a/@href") == [TZGG]
    # The blocking server's dead page and its timeout are not blocked: rows of their own.
    assert rows[GONE].xpath("string(td[2])") == "HTTP 404"
    assert rows[GONE].xpath("string(td[3]/span)") == "确定"
    assert rows[SLOW].xpath("string(td[2])") == "超时"


def test_the_exports_and_the_by_page_view_keep_every_link(tmp_path: Path, config: Config) -> None:
    out = report(tmp_path, config)
    every = {*BLOCKED_LINKS, GONE, SLOW, *TWO, PDF}
    with (out / "links.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))[1:]
    assert {r[1] for r in rows} == every
    assert len(rows) == 10  # one per link and page it is on
    blocked = [r for r in rows if r[1] == BLOCKED_LINKS[0]]
    assert [r[2:5] for r in blocked] == [["HTTP 429（被防火墙拦截或限流）", "", "疑似"]] * 2
    by_page = lxml_html.fromstring((out / "links-by-page.html").read_bytes())
    listed = by_page.xpath("//table[@class='link-pages']//tr[td]/td[1]/a/text()")
    assert set(listed) == every and len(listed) == 10
    # The nav still counts links, not rows.
    nav = lxml_html.fromstring((out / "links.html").read_bytes()).xpath("//nav/a[2+1]")[0]
    assert text(nav) == "不可用链接 (9)"


def test_the_grouped_row_in_english(tmp_path: Path, config: Config) -> None:
    rows = link_rows(report(tmp_path, config, lang="en"))
    row = next(r for r in rows if "blocked-host" in r.get("class", ""))
    assert text(row.xpath("td[2]")[0]).startswith(
        "this site blocked or rate-limited the checker: 4 links could not be checked (suspected)"
    )
    assert "ask the site to let the monitor's IP address through" in text(row)
    assert row.xpath("string(td[3]/span)") == "suspected"
    assert row.xpath("string(td[4])") == "external"
    assert row.xpath("string(td[5])") == "homepage"
    assert text(row.xpath("td[6]/details/summary")[0]) == "all 4 links and the pages they are on"
    assert not any("\u4e00" <= c <= "\u9fff" for c in text(row.xpath("td[2]")[0]))


def test_crawled_urls_and_text_in_the_group_stay_text(tmp_path: Path, config: Config) -> None:
    html = (report(tmp_path, config) / "links.html").read_text(encoding="utf-8")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html  # the anchor text
    tree = lxml_html.fromstring(html)
    assert not tree.xpath("//script")
    evil = tree.xpath("//tr[contains(@class, 'blocked-host')]//details//a[contains(@href, '/q?')]")
    assert [a.get("href") for a in evil] == [EVIL]
    assert [a.text for a in evil] == [EVIL]


def test_the_view_groups_by_site_and_server(tmp_path: Path, config: Config) -> None:
    db = f"sqlite:///{tmp_path / 'v.db'}"
    crawl(db)
    view = build_view(
        assess(open_database(db), config, AS_OF), config.rule_preset, "zh", datetime(2024, 7, 20)
    )
    assert len(view.links) == 9  # the 台账's rows: every link
    groups = [r for r in view.link_table if isinstance(r, BlockedHostRow)]
    assert [(g.site_name, g.server, g.count) for g in groups] == [("某县人民政府", BLOCKER, 4)]
    assert groups[0].summary == "该网站拦截或限流了检查：4 个链接未能核验（疑似）"
    assert all(isinstance(link, LinkRow) and link.error == BLOCKED for link in groups[0].links)
    assert len(view.link_table) == 9 - 4 + 1


def test_a_server_is_its_scheme_host_and_port() -> None:
    assert server_of("http://127.0.0.1:18009/a.html?x=1") == "http://127.0.0.1:18009"
    assert server_of("HTTP://Ext.Example.COM:80/a") == "http://ext.example.com"
    assert server_of("https://user:pw@ext.example.com:443/") == "https://ext.example.com"
    assert server_of("https://ext.example.com:8443/") == "https://ext.example.com:8443"
    assert server_of("http://[::1]:8080/a") == "http://[::1]:8080"
    assert server_of("http://ext.example.com:port/") is None
    assert server_of("ftp://ext.example.com/") is None
