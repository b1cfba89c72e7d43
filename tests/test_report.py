"""Reports rendered from a real database (SQLite and PostgreSQL): content, evidence, escaping,
CSV, no-data."""

from __future__ import annotations

import csv
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest
from lxml import html as lxml_html
from sqlalchemy import update

from monitor import store
from monitor.assessments import SiteAssessment, assess
from monitor.config import Config, load_config
from monitor.database import engine_scope, session_scope
from monitor.findings import ColumnFinding, DeadLinkFinding, SiteFinding
from monitor.models import Run
from monitor.records import ColumnObservation, LinkCheck, LinkOccurrence
from reports.labels import reason_text
from reports.render import write_reports
from reports.text import _describe
from reports.views import _chain, outcome_text

AS_OF = date(2024, 7, 20)
HOSTILE = '<script>alert("x")</script>'


@pytest.fixture
def config(tmp_path: Path) -> Config:
    path = tmp_path / "sites.yaml"
    path.write_text(
        "sites:\n  - id: x\n    name: 某县人民政府\n    home: http://x.gov.cn/\n    columns:\n"
        "      - {name: 政务动态, url: 'http://x.gov.cn/zwdt/', category: news}\n"
        "      - {name: 通知公告, url: 'http://x.gov.cn/tzgg/', category: notice}\n"
        "      - {name: 规划计划, url: 'http://x.gov.cn/ghjh/', category: planning}\n",
        encoding="utf-8",
    )
    return load_config(path)


def column(name: str, url: str, newest: date | None, title: str = "标题") -> ColumnObservation:
    return ColumnObservation(
        column_name=name,
        url=url,
        is_homepage=name == "首页",
        status="ok" if newest else "empty",
        http_status=200,
        error=None,
        item_count=5 if newest else 0,
        dated_count=5 if newest else 0,
        pages_read=1,
        newest_date=newest,
        newest_title=title if newest else None,
        newest_url=f"{url}a.html" if newest else None,
        newest_date_text="[06-30]",
        newest_date_source="list+url",
        observed_at=datetime(2024, 7, 19, 18),
    )


def crawl_into(db: str) -> None:
    with engine_scope(db) as engine, session_scope(engine) as session:
        run = store.start_run(session, "x")
        store.save_observations(
            session,
            run,
            checks=[
                LinkCheck(
                    "http://x.gov.cn/f.pdf",
                    "http://x.gov.cn/f.pdf",
                    True,
                    "HEAD",
                    404,
                    None,
                    None,
                    "http://x.gov.cn/f.pdf",
                )
            ],
            occurrences=[
                LinkOccurrence(
                    "http://x.gov.cn/",
                    "http://x.gov.cn/f.pdf",
                    "http://x.gov.cn/f.pdf",
                    "a",
                    "href",
                    HOSTILE,
                )
            ],
            columns=[
                column("首页", "http://x.gov.cn/", date(2024, 7, 19)),
                column("政务动态", "http://x.gov.cn/zwdt/", date(2024, 6, 30), title=HOSTILE),
                column("通知公告", "http://x.gov.cn/tzgg/", date(2024, 5, 1)),
                column("规划计划", "http://x.gov.cn/ghjh/", None),
            ],
        )
        store.finish_run(session, run, complete=True, reason="finished", pages=4, links=9)
        # As if crawled the evening before the as-of date (runs after it are not used).
        session.execute(update(Run).values(started_at=datetime(2024, 7, 19, 10)))


def assessed(db: str, config: Config) -> list[SiteAssessment]:
    with engine_scope(db) as engine:
        return assess(engine, config, AS_OF)


def test_reports_show_findings_with_evidence(tmp_path: Path, config: Config, db_url: str) -> None:
    crawl_into(db_url)
    assessments = assessed(db_url, config)
    written = write_reports(assessments, config.rule_preset, tmp_path / "out")
    assert [p.name for p in written] == [
        "index.html",
        "columns.html",
        "links.html",
        "links-by-page.html",
        "newmedia.html",
        "columns.csv",
        "columns.xlsx",
        "links.csv",
        "links.xlsx",
        "links-by-page.csv",
        "links-by-page.xlsx",
        "fixed-links.csv",
        "fixed-links.xlsx",
        "newmedia.csv",
        "newmedia.xlsx",
    ]

    overview = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "<style>" in overview and "stylesheet" not in overview  # self-contained
    assert "某县人民政府" in overview
    assert "2024-07-20" in overview

    columns_html = (tmp_path / "out" / "columns.html").read_text(encoding="utf-8")
    assert HOSTILE not in columns_html
    assert "&lt;script&gt;" in columns_html
    tree = lxml_html.fromstring(columns_html)
    rows = tree.xpath("//table[@class='columns']/tr[td]")
    states = {r.xpath("string(td[2]/a)"): r.xpath("string(td[4])").strip() for r in rows}
    assert states == {"政务动态": "不更新", "通知公告": "正常", "规划计划": "空白"}
    stale = next(r for r in rows if r.xpath("string(td[2]/a)") == "政务动态")
    assert stale.xpath("string(td[5])") == "2024-06-30"
    assert "20" in stale.xpath("string(td[6])")
    assert stale.xpath("td[8]/a/@href") == ["http://x.gov.cn/zwdt/a.html"]
    assert not tree.xpath("//script")  # crawled text never becomes markup

    links_html = (tmp_path / "out" / "links.html").read_text(encoding="utf-8")
    assert HOSTILE not in links_html
    link_rows = lxml_html.fromstring(links_html).xpath("//table[@class='links']/tr[td]")
    assert len(link_rows) == 1
    assert "HTTP 404" in link_rows[0].xpath("string(td[2])")
    assert link_rows[0].xpath("string(td[5])") == "首页"

    with (tmp_path / "out" / "columns.csv").open(encoding="utf-8-sig") as handle:
        table = list(csv.reader(handle))
    assert table[0][:2] == ["网站", "栏目"]
    assert len(table) == 4
    with (tmp_path / "out" / "links.csv").open(encoding="utf-8-sig") as handle:
        links_table = list(csv.reader(handle))
    assert links_table[1][1] == "http://x.gov.cn/f.pdf"
    assert links_table[0][2:4] == ["状态/错误", "原因"]
    assert links_table[1][3] == ""  # a 404 says it all
    assert links_table[1][7] == f"http://x.gov.cn/ ({HOSTILE})"
    # the 台账 by target says what is new and how long it has failed, as the by-page one does
    assert links_table[0][-4:] == ["本次新增", "首次发现", "最近发现", "连续失败次数"]
    assert links_table[1][-4] == "是" and links_table[1][-1] == "1"


def test_english_reports(tmp_path: Path, config: Config, db_url: str) -> None:
    crawl_into(db_url)
    write_reports(assessed(db_url, config), config.rule_preset, tmp_path / "out", lang="en")
    columns = (tmp_path / "out" / "columns.html").read_text(encoding="utf-8")
    assert "Stale, empty and unreachable columns" in columns
    assert "配置指定" not in columns and "configured" in columns
    overview = lxml_html.fromstring((tmp_path / "out" / "index.html").read_bytes())
    meta = overview.xpath("string(//p[@class='meta'])")
    assert meta.startswith("As of: 2024-07-20") and "：" not in meta and "　" not in meta


def test_why_a_column_has_its_category_in_english() -> None:
    assert reason_text("栏目名称含“通知”", "en") == "name has “通知”"
    assert reason_text("上级栏目“政务公开”含“政策”", "en") == "parent “政务公开” has “政策”"
    assert reason_text("ColumnType含“news”", "en") == "ColumnType has “news”"
    assert reason_text("未匹配任何关键词", "en") == "no keyword matched"
    assert reason_text("栏目名称含“通知”", "zh") == "栏目名称含“通知”"


def test_report_without_data_says_so(tmp_path: Path, config: Config, db_url: str) -> None:
    write_reports(assessed(db_url, config), config.rule_preset, tmp_path / "out")
    overview = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "没有可用的采集数据" in overview
    assert "无数据" in overview


def test_report_says_which_run_it_used(tmp_path: Path, config: Config, db_url: str) -> None:
    crawl_into(db_url)
    with engine_scope(db_url) as engine, session_scope(engine) as session:
        interrupted = store.start_run(session, "x")
        store.finish_run(session, interrupted, complete=False, reason="shutdown", pages=1, links=1)
        session.execute(
            update(Run).where(Run.id == interrupted).values(started_at=datetime(2024, 7, 20, 1))
        )
    write_reports(assessed(db_url, config), config.rule_preset, tmp_path / "out")
    overview = lxml_html.fromstring((tmp_path / "out" / "index.html").read_bytes())
    run_cell = overview.xpath("string(//table[@class='sites']/tr[td]/td[3])")
    assert "#1 2024-07-19" in run_cell
    assert f"最近一次采集 #{interrupted}（未完成）未采用" in run_cell


def test_only_web_addresses_become_links() -> None:
    from reports.render import safe_href

    assert safe_href("https://x.gov.cn/a") == "https://x.gov.cn/a"
    assert safe_href(" JavaScript:alert(1)") == "#"
    assert safe_href("data:text/html,<script>") == "#"
    assert safe_href(None) == "#"


def test_escaped_chinese_in_a_url_is_shown_as_chinese_and_linked_as_written() -> None:
    from reports.render import environment, readable_url

    gbk = "http://x.gov.cn/uploadfiles/%B2%BB%B4%E6%D4%DA%B5%C4%B8%BD%BC%FE.doc"
    utf8 = "http://x.gov.cn/%E9%99%84%E4%BB%B6/a%20b.pdf?name=%E6%8A%A5%E5%91%8A"
    assert readable_url(gbk) == "http://x.gov.cn/uploadfiles/不存在的附件.doc"
    assert readable_url(utf8) == "http://x.gov.cn/附件/a%20b.pdf?name=报告"  # ASCII as written
    assert readable_url("http://x.gov.cn/%FF%FE.doc") == "http://x.gov.cn/%FF%FE.doc"
    # 通知 in GBK is also valid UTF-8 (two Hebrew letters): the Chinese reading is shown.
    assert readable_url("http://x.gov.cn/%CD%A8%D6%AA.doc") == "http://x.gov.cn/通知.doc"
    template = environment(None).from_string('<a href="{{ u | href }}">{{ u | readable }}</a>')
    shown = lxml_html.fromstring(template.render(u=gbk))
    assert shown.get("href") == gbk
    assert shown.text == "http://x.gov.cn/uploadfiles/不存在的附件.doc"


def test_a_link_that_fails_again_after_a_recheck_found_it_fixed_is_new(tmp_path: Path) -> None:
    """Crawl: dead. Recheck (a partial run): fixed. Next crawl: dead again — a new problem, its
    streak 1, not the third crawl of one that never stopped."""
    db = f"sqlite:///{tmp_path / 'h.db'}"
    url = "http://x.gov.cn/f.pdf"

    def run(kind: str, scope: str, status: int, hour: int) -> None:
        with engine_scope(db) as engine, session_scope(engine) as session:
            run_id = store.start_run(session, "x", kind=kind, scope=scope)
            check = LinkCheck(url, url, True, "GET", status, None, None, url)
            store.save_observations(session, run_id, checks=[check])
            store.finish_run(session, run_id, complete=True, reason="finished", pages=1, links=1)
            session.execute(
                update(Run).where(Run.id == run_id).values(started_at=datetime(2024, 7, 19, hour))
            )

    run("crawl", "full", 404, 1)
    run("crawl", "full", 404, 2)
    with engine_scope(db) as engine, session_scope(engine) as session:
        assert store.failure_history(session, "x", [url])[url].consecutive_runs == 2
    run("recheck", "partial", 200, 3)
    run("crawl", "full", 404, 4)
    with engine_scope(db) as engine, session_scope(engine) as session:
        again = store.failure_history(session, "x", [url])[url]
    assert again.consecutive_runs == 1
    assert again.first_seen == datetime(2024, 7, 19, 4)
    # twelve nights in a row: first seen stays the first of them (it crept forward after ten)
    for hour in range(5, 16):
        run("crawl", "full", 404, hour)
    with engine_scope(db) as engine, session_scope(engine) as session:
        long = store.failure_history(session, "x", [url])[url]
    assert (long.consecutive_runs, long.first_seen) == (12, datetime(2024, 7, 19, 4))
    # a recheck that finds it still dead is when it was last seen failing (not a crawl more)
    run("recheck", "partial", 404, 16)
    with engine_scope(db) as engine, session_scope(engine) as session:
        rechecked = store.failure_history(session, "x", [url])[url]
    assert (rechecked.consecutive_runs, rechecked.last_seen) == (12, datetime(2024, 7, 19, 16))


def test_a_redirected_dead_link_shows_where_it_went() -> None:
    """The stored chain holds the URLs asked; the report adds where the last one went."""

    def finding(final: str | None, redirects: tuple[str, ...]) -> DeadLinkFinding:
        return DeadLinkFinding(
            "dead_link", "x", "http://x.gov.cn/a.html", 200, "soft_404", False, True, False,
            (), (), final, redirects,
        )  # fmt: skip

    home = "http://x.gov.cn/"
    assert _chain(finding(home, ("http://x.gov.cn/a.html",))) == ("http://x.gov.cn/a.html", home)
    assert _chain(finding(home, ())) == ("http://x.gov.cn/a.html", home)
    assert _chain(finding(None, ())) == ()
    # a deleted article sent home is no page saying "页面不存在": the report says where it went
    sent = outcome_text(finding(home, ("http://x.gov.cn/a.html",)), "zh")
    assert sent == "HTTP 200（软404：被跳转至 http://x.gov.cn/）"
    assert outcome_text(finding(None, ()), "zh") == "HTTP 200（软404：页面不存在）"


def test_findings_as_text_say_each_check_in_chinese() -> None:
    """`findings --format text`: a veto names its check as the reports do, and an empty
    column's line has no gap where an error would be."""
    veto = SiteFinding("site_veto", "t", "columns_not_updated", 5, 5, "5 ≥ 5")
    assert _describe(veto) == "栏目不更新：5 个（≥ 5 个）"  # as the reports say it, not in English
    empty = ColumnFinding(
        kind="empty_column",
        site="t",
        column="财政资金",
        url="http://x/czzj/",
        category="finance",
        newest_date=None,
        age_days=None,
        max_age_days=None,
        window=None,
        newest_title=None,
        newest_url=None,
        newest_date_text=None,
        newest_date_source=None,
        item_count=0,
        status=200,
        error=None,
    )
    assert _describe(empty) == "财政资金: http://x/czzj/"
    # a dead link on the homepage and elsewhere says both
    pages = ("http://x.gov.cn/", "http://x.gov.cn/tzgg/1.html")
    dead = DeadLinkFinding(
        "dead_link", "t", "http://x.gov.cn/a.pdf", 404, None, True, True, True, pages, (), None, ()
    )  # fmt: skip
    assert _describe(dead).endswith("(位于 首页等 2 个页面)")
    assert _describe(replace(dead, sources=pages[:1])).endswith("(位于 首页)")
