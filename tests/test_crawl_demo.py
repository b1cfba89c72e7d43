"""The real crawl of the demo site into a real SQLite file, judged at today's date."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.conftest import FAST, ServedDemo, findings_json, govwatch


@pytest.fixture(scope="module")
def crawled(served_demo: ServedDemo, tmp_path_factory: pytest.TempPathFactory) -> str:
    db = f"sqlite:///{tmp_path_factory.mktemp('db') / 'govwatch.db'}"
    result = govwatch("crawl", "-c", str(served_demo.config), "--db", db, *FAST)
    assert "complete" in result.stdout
    return db


def test_demo_findings_are_exactly_the_planted_problems(
    served_demo: ServedDemo, crawled: str
) -> None:
    findings = findings_json(served_demo.config, crawled, served_demo.today)
    site, ext = served_demo.url, served_demo.external_url
    got = {(f["kind"], f.get("column") or f.get("url")) for f in findings}
    assert got == {
        ("stale_column", "部门动态"),
        ("stale_column", "通知公告"),
        ("empty_column", "规划计划"),
        ("dead_link", f"{site}zwdt/202301/t20230101_404.html"),
        ("dead_link", f"{site}images/missing-photo.jpg"),
        ("dead_link", f"{site}tzgg/files/2023年度报名表.docx"),
        ("dead_link", f"{ext}gone.html"),
    }


def test_column_evidence(served_demo: ServedDemo, crawled: str) -> None:
    findings = findings_json(served_demo.config, crawled, served_demo.today)
    stale = {f["column"]: f for f in findings if f["kind"] == "stale_column"}
    news = stale["部门动态"]
    assert news["age_days"] == 20
    assert news["max_age_days"] == 14
    assert news["category"] == "news"
    assert news["url"] == f"{served_demo.url}bmdt/"
    assert news["newest_date"] == served_demo.site.columns[1].items[0].day.isoformat()
    assert news["newest_title"] == served_demo.site.columns[1].items[0].title
    assert news["newest_url"].endswith(served_demo.site.columns[1].items[0].href)
    notice = stale["通知公告"]
    assert notice["age_days"] == 200
    assert 181 <= notice["max_age_days"] <= 184  # six calendar months
    empty = next(f for f in findings if f["kind"] == "empty_column")
    assert empty["newest_date"] is None
    assert empty["age_days"] is None


def test_dead_link_evidence(served_demo: ServedDemo, crawled: str) -> None:
    findings = findings_json(served_demo.config, crawled, served_demo.today)
    links = {f["url"]: f for f in findings if f["kind"] == "dead_link"}
    site, ext = served_demo.url, served_demo.external_url
    home_link = links[f"{site}zwdt/202301/t20230101_404.html"]
    assert home_link["status"] == 404
    assert home_link["error"] is None
    assert home_link["definite"] is True
    assert home_link["internal"] is True
    assert home_link["on_homepage"] is True
    assert home_link["sources"] == [site]
    image = links[f"{site}images/missing-photo.jpg"]
    assert image["on_homepage"] is False
    assert len(image["sources"]) == 1
    assert image["occurrences"][0]["tag"] == "img"
    attachment = links[f"{site}tzgg/files/2023年度报名表.docx"]
    assert attachment["occurrences"][0]["text"] == "2023年度报名表.docx"
    external = links[f"{ext}gone.html"]
    assert external["internal"] is False
    assert external["on_homepage"] is True
    assert site in external["sources"]


def test_dates_resolved_from_url_and_detail_page(served_demo: ServedDemo, crawled: str) -> None:
    path = crawled.removeprefix("sqlite:///")
    with sqlite3.connect(path) as db:
        rows = dict(db.execute("select column_name, newest_date_source from column_observations"))
        newest = dict(db.execute("select column_name, newest_date from column_observations"))
        runs = db.execute("select status, pages from runs").fetchall()
    # 乡镇动态 shows [MM-DD]; its newest item has no date in its URL: the detail page dates it.
    assert rows["乡镇动态"] == "detail"
    assert newest["乡镇动态"] == served_demo.site.columns[2].items[0].day.isoformat()
    # 政策文件 is served in GBK and still read.
    assert newest["政策文件"] == served_demo.site.columns[4].items[0].day.isoformat()
    # The sidebar's 热点 items dated today never date a column.
    assert newest["部门动态"] != served_demo.today.isoformat()
    assert runs == [("complete", runs[0][1])]
    assert runs[0][1] >= 50


def test_chinese_and_space_file_names_are_not_reported(
    served_demo: ServedDemo, crawled: str
) -> None:
    path = Path(crawled.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as db:
        statuses = dict(db.execute("select url, status from link_checks"))
    assert statuses[f"{served_demo.url}zcwj/files/附件1：实施细则.pdf"] == 200
    assert statuses[f"{served_demo.url}zcwj/files/办事 指南.pdf"] == 200
