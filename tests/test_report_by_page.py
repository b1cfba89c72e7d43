"""The dead links by the page they are on, rendered from a real SQLite file filled by the store:
grouping, order, the homepage mark, what is new, escaping, and the CSV/XLSX rows for the 台账."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import html as lxml_html
from lxml.html import HtmlElement
from openpyxl import load_workbook

from monitor.assessments import assess
from monitor.config import Config
from monitor.database import open_database
from monitor.records import LinkCheck, LinkOccurrence
from reports.render import write_reports
from tests.reportkit import HOME, ZWDT, check, county_config, on, store_crawl

AS_OF = date(2024, 7, 20)
BMDT = "http://x.gov.cn/bmdt/"  # sorts before the homepage's URL
TZGG = "http://x.gov.cn/tzgg/"
GHJH = "http://x.gov.cn/ghjh/"

OLD = "http://x.gov.cn/old.html"  # failing in both crawls: not new
PDF = "http://x.gov.cn/f.pdf"
IMG = "http://x.gov.cn/img.jpg"
GONE = "http://x.gov.cn/gone.html"
EXT = "http://ext.example.com/"  # a timeout once: only suspected
EVIL = 'http://x.gov.cn/q?a="><script>alert(1)</script>'

HOSTILE = '<script>alert("x")</script>'
FORMULA = '=HYPERLINK("http://evil.example/","点我")'
CONTROL = "附件\x01下载"  # lxml keeps control characters in anchor text; XLSX cannot hold them


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return county_config(tmp_path)


def crawl(
    db: str, started: datetime, checks: list[LinkCheck], occurrences: list[LinkOccurrence]
) -> None:
    store_crawl(db, started, checks, occurrences)


def two_crawls(db: str) -> None:
    # The crawl before: only OLD was dead, on 政务动态.
    crawl(db, datetime(2024, 7, 18, 10), [check(OLD, 404)], [on(ZWDT, OLD, "旧文章")])
    # The latest crawl (2024-07-19 18:00 Beijing time).
    crawl(
        db,
        datetime(2024, 7, 19, 10),
        [
            check(OLD, 404),
            check(PDF, 404),
            check(IMG, 404),
            check(GONE, 410),
            check(
                EXT,
                None,
                "timeout",
                f"DownloadTimeoutError: Getting {EXT} took longer than 20.0 seconds.",
            ),
            check(EVIL, 404),
        ],
        [
            on(ZWDT, OLD, "旧文章"),
            on(ZWDT, PDF, "年度报告"),
            on(ZWDT, IMG, FORMULA, tag="img"),
            on(HOME, PDF, HOSTILE),
            on(HOME, EXT, "外部网站"),
            on(BMDT, GONE, CONTROL),
            on(TZGG, OLD, "旧文章"),
            on(TZGG, EVIL, "查询"),
            on(GHJH, EXT, "外部网站"),
        ],
    )


def page_groups(tree: HtmlElement) -> list[HtmlElement]:
    groups: list[HtmlElement] = tree.xpath("//table[@class='link-pages']/tbody")
    return groups


def head_url(group: HtmlElement) -> str:
    return str(group.xpath("string(tr[@class='page-head']//a)"))


def entries(group: HtmlElement) -> list[tuple[str, str, str, str, str]]:
    """(target, outcome, certainty cell, tag, anchor text) of each dead link on the page."""
    return [
        (
            str(row.xpath("string(td[1]/a)")),
            str(row.xpath("string(td[2]/text()[1])")).strip(),
            " ".join(str(row.xpath("string(td[3])")).split()),
            str(row.xpath("string(td[4])")),
            str(row.xpath("string(td[5])")),
        )
        for row in group.xpath("tr[td]")
    ]


@pytest.fixture
def out(tmp_path: Path, config: Config) -> Path:
    db = f"sqlite:///{tmp_path / 'g.db'}"
    two_crawls(db)
    write_reports(assess(open_database(db), config, AS_OF), config.rule_preset, tmp_path / "out")
    return tmp_path / "out"


def test_each_page_lists_its_dead_links_most_definite_first_homepage_first(out: Path) -> None:
    html = (out / "links-by-page.html").read_text(encoding="utf-8")
    tree = lxml_html.fromstring(html)
    groups = page_groups(tree)
    # 政务动态 has 3 definite, 通知公告 2; the homepage and 部门动态 1 each: the homepage first
    # although its URL sorts after; 规划计划 (suspected only) last.
    assert [head_url(g) for g in groups] == [ZWDT, TZGG, HOME, BMDT, GHJH]
    counts = [" ".join(str(g.xpath("string(tr[@class='page-head'])")).split()) for g in groups]
    assert "确定 3 个，疑似 0 个" in counts[0]
    assert "确定 2 个，疑似 0 个" in counts[1]
    assert "确定 1 个，疑似 1 个" in counts[2]
    assert "确定 1 个，疑似 0 个" in counts[3]
    assert "确定 0 个，疑似 1 个" in counts[4]
    assert all("某县人民政府" in c for c in counts)

    zwdt, tzgg, home, bmdt, ghjh = (entries(g) for g in groups)
    assert [(e[0], e[1], e[3], e[4]) for e in zwdt] == [
        (PDF, "HTTP 404", "<a>", "年度报告"),
        (IMG, "HTTP 404", "<img>", FORMULA),
        (OLD, "HTTP 404", "<a>", "旧文章"),
    ]
    assert [e[0] for e in tzgg] == [OLD, EVIL]
    # Definite before suspected on a page; a timeout is suspected until it fails again.
    assert [(e[0], e[1], e[4]) for e in home] == [
        (PDF, "HTTP 404", HOSTILE),
        (EXT, "超时", "外部网站"),
    ]
    # What the timeout said, under its outcome; nothing under a 404, which says it all
    whys = [
        str(r.xpath("string(td[2]/div[@class='muted why'])")) for r in groups[2].xpath("tr[td]")
    ]
    assert whys == ["", "20 秒内没有应答"]
    assert home[0][2].startswith("确定") and home[1][2].startswith("疑似")
    assert [(e[0], e[1]) for e in bmdt] == [(GONE, "HTTP 410")]
    assert [e[0] for e in ghjh] == [EXT]

    # What is new since the crawl before, and what has failed in both.
    assert "本次新增" in zwdt[0][2]
    assert "本次新增" not in zwdt[2][2]
    assert "连续 2 次采集失败" in zwdt[2][2]
    # A link on several pages says so (a shared template is fixed once).
    pdf_cell = " ".join(str(groups[0].xpath("string(tr[td][1]/td[1])")).split())
    assert "共 2 个页面有此链接" in pdf_cell
    assert "共" not in " ".join(str(groups[3].xpath("string(tr[td][1]/td[1])")).split())


def test_the_homepage_stands_out(out: Path) -> None:
    tree = lxml_html.fromstring((out / "links-by-page.html").read_bytes())
    marked = [head_url(g) for g in page_groups(tree) if "homepage" in g.get("class", "").split()]
    assert marked == [HOME]
    home = next(g for g in page_groups(tree) if head_url(g) == HOME)
    assert home.xpath("string(tr[@class='page-head']//span[contains(@class, 'home')])") == "首页"
    others = [g for g in page_groups(tree) if head_url(g) != HOME]
    assert not any(
        g.xpath("tr[@class='page-head']//span[contains(@class, 'home')]") for g in others
    )


def test_crawled_text_and_urls_stay_text(out: Path) -> None:
    html = (out / "links-by-page.html").read_text(encoding="utf-8")
    assert HOSTILE not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    tree = lxml_html.fromstring(html)
    assert not tree.xpath("//script")
    # The hostile URL is one attribute value, exactly the URL: it opened no element.
    evil = tree.xpath(
        "//table[@class='link-pages']//td[@class='url']/a[starts-with(@href, 'http://x.gov.cn/q')]"
    )
    assert [a.get("href") for a in evil] == [EVIL]
    assert all(
        a.get("href", "").startswith(("http://", "https://"))
        for a in tree.xpath("//main//a")
        if a.get("href") not in ("links.html", "links-by-page.csv", "links-by-page.xlsx")
    )


def test_by_page_csv_and_xlsx_have_one_row_per_link_on_a_page(out: Path) -> None:
    with (out / "links-by-page.csv").open(encoding="utf-8-sig") as handle:
        table = list(csv.reader(handle))
    header, rows = table[0], table[1:]
    assert header == [
        "网站",
        "所在页面",
        "是否首页",
        "链接地址",
        "状态/错误",
        "原因",
        "判定",
        "范围",
        "标签",
        "锚文本",
        "本次新增",
        "首次发现",
        "最近发现",
        "连续失败次数",
    ]
    assert [(r[1], r[3]) for r in rows] == [
        (ZWDT, PDF),
        (ZWDT, IMG),
        (ZWDT, OLD),
        (TZGG, OLD),
        (TZGG, EVIL),
        (HOME, PDF),
        (HOME, EXT),
        (BMDT, GONE),
        (GHJH, EXT),
    ]
    by_key = {(r[1], r[3]): r for r in rows}
    assert by_key[(HOME, PDF)] == [
        "某县人民政府",
        HOME,
        "是",
        PDF,
        "HTTP 404",
        "",
        "确定",
        "站内",
        "a",
        HOSTILE,
        "是",
        "2024-07-19 18:00",
        "2024-07-19 18:00",
        "1",
    ]
    old = by_key[(ZWDT, OLD)]
    assert (old[2], old[10], old[11], old[12], old[13]) == (
        "否",
        "否",
        "2024-07-18 18:00",
        "2024-07-19 18:00",
        "2",
    )
    assert by_key[(GHJH, EXT)][4:8] == ["超时", "20 秒内没有应答", "疑似", "站外"]
    # Crawled text never becomes a formula.
    assert by_key[(ZWDT, IMG)][8:10] == ["img", "'" + FORMULA]

    sheet = load_workbook(out / "links-by-page.xlsx").active
    assert sheet is not None
    assert sheet.title == "不可用链接（按页面）"
    cells = [[c.value for c in row] for row in sheet.iter_rows()]
    assert cells[0] == header
    assert [(r[1], r[3]) for r in cells[1:]] == [(r[1], r[3]) for r in rows]
    formula = next(row for row in sheet.iter_rows(min_row=2) if row[3].value == IMG)[9]
    assert formula.value == "'" + FORMULA
    assert formula.data_type == "s"
    # A control character in anchor text is dropped, not a failed export.
    assert next(r for r in cells if r[3] == GONE)[9] == "附件下载"
    assert next(r for r in rows if r[3] == GONE)[9] == CONTROL


def test_the_links_page_shows_first_and_last_seen_and_links_to_the_page_view(out: Path) -> None:
    tree = lxml_html.fromstring((out / "links.html").read_bytes())
    rows = tree.xpath("//table[@class='links']/tr[td]")
    old = next(r for r in rows if r.xpath("string(td[1]/a)") == OLD)
    certainty = " ".join(str(old.xpath("string(td[3])")).split())
    assert "连续 2 次采集失败" in certainty
    assert "首次发现 2024-07-18 18:00" in certainty
    assert "最近发现 2024-07-19 18:00" in certainty
    new = next(r for r in rows if r.xpath("string(td[1]/a)") == PDF)
    assert "本次新增" in new.xpath("string(td[3])")
    assert tree.xpath("//main//a[@href='links-by-page.html']")
    assert tree.xpath("//main//a[@href='links.xlsx']")
    nav = {a.get("href"): " ".join(a.text_content().split()) for a in tree.xpath("//nav/a")}
    assert nav["links-by-page.html"] == "不可用链接（按页面） (5)"


def test_english_by_page_report(tmp_path: Path, config: Config) -> None:
    db = f"sqlite:///{tmp_path / 'g.db'}"
    two_crawls(db)
    write_reports(
        assess(open_database(db), config, AS_OF), config.rule_preset, tmp_path / "out", lang="en"
    )
    tree = lxml_html.fromstring((tmp_path / "out" / "links-by-page.html").read_bytes())
    home = next(g for g in page_groups(tree) if head_url(g) == HOME)
    head = " ".join(str(home.xpath("string(tr[@class='page-head'])")).split())
    assert head.startswith("homepage ")
    assert "1 definite, 1 suspected" in head
    with (tmp_path / "out" / "links-by-page.csv").open(encoding="utf-8-sig") as handle:
        assert next(csv.reader(handle))[:3] == ["Site", "Page", "Homepage"]


def test_no_dead_links_no_pages(tmp_path: Path, config: Config) -> None:
    db = f"sqlite:///{tmp_path / 'g.db'}"
    crawl(db, datetime(2024, 7, 19, 10), [check(PDF, 200)], [on(HOME, PDF, "年度报告")])
    write_reports(assess(open_database(db), config, AS_OF), config.rule_preset, tmp_path / "out")
    tree = lxml_html.fromstring((tmp_path / "out" / "links-by-page.html").read_bytes())
    assert not page_groups(tree)
    assert "未发现问题。" in tree.text_content()
    with (tmp_path / "out" / "links-by-page.csv").open(encoding="utf-8-sig") as handle:
        assert len(list(csv.reader(handle))) == 1
