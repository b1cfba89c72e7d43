"""PostgreSQL as well as SQLite. The whole command line on a PostgreSQL database (crawl,
findings, report, the next night's crawl, a locked site, status), and what PostgreSQL refuses
where SQLite lets it pass: text longer than its column or holding NUL characters, two commands
making a new schema at once, writes to a read-only database, connections left open."""

from __future__ import annotations

import csv
import gc
import json
import secrets
import socket
import subprocess
import sys
import threading
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from monitor import locks, store
from monitor.assessments import today_local
from monitor.config import load_config
from monitor.database import SCHEMA_HEAD, engine_scope, session_scope
from monitor.records import AccountObservation, LinkCheck, PageMetadata
from monitor.scheduler import scheduled_delivery, scheduled_probe
from monitor.status import build_status
from tests.conftest import FAST, ROOT, findings_json, govwatch
from tests.httpkit import Route, RouteServer
from tests.pgcluster import PostgresServer
from tests.test_incremental import ARTICLES, _comparable, _config, _site

LONG = "x" * 300


def rows(db_url: str, sql: str) -> list[tuple[object, ...]]:
    with engine_scope(db_url) as engine, engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def connections_to(server: PostgresServer, db_url: str) -> int:
    """How many connections the URL's database has (the count is asked from another)."""
    found = server.admin(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", make_url(db_url).database
    )
    return int(found[0][0])


@pytest.mark.postgresql
def test_crawl_findings_report_and_the_next_night_on_postgresql(
    tmp_path: Path, pg_url: str
) -> None:
    """The operator's day on PostgreSQL: the second crawl starts from the first (conditional
    requests chosen by ``previous_crawl``'s JSON comparison) and finds the same."""
    assert pg_url.startswith("postgresql+psycopg://")
    with (
        RouteServer({"/closed.html": Route(404)}) as outside,
        RouteServer(_site(outside.url), etags=True) as server,
    ):
        config = _config(tmp_path, server.url)
        govwatch("crawl", "-c", str(config), "--db", pg_url, *FAST)
        first = findings_json(config, pg_url, today_local())
        govwatch("report", "-c", str(config), "--db", pg_url, "--out", str(tmp_path / "out"))
        asked_before = len(server.requests)
        govwatch("crawl", "-c", str(config), "--db", pg_url, *FAST)
        second = findings_json(config, pg_url, today_local())
        second_requests = server.requests[asked_before:]
        with engine_scope(pg_url) as engine:
            locks.acquire(engine, "inc", "govwatch crawl (test holder)")
            try:
                scan = govwatch(
                    "scan", "-c", str(config), "--db", pg_url, "--site", "inc", check=False
                )
            finally:
                locks.release(engine, "inc")

    assert {f["kind"] for f in first} == {"dead_link"}
    assert {f["url"] for f in first} == {f"{server.url}gone.html", f"{outside.url}closed.html"}
    assert _comparable(second) == _comparable(first)
    # The unchanged articles were asked for with their ETags, answered 304, and carried over.
    article_checks = rows(
        pg_url, "SELECT run_id, status, revalidated FROM link_checks WHERE url LIKE '%/xwdt/a%'"
    )
    assert sorted(set(article_checks)) == [(1, 200, False), (2, 304, True)]
    assert sum(1 for run, *_ in article_checks if run == 2) == ARTICLES
    carried = {url for (url,) in rows(pg_url, "SELECT source_url FROM carried_pages")}
    assert {f"{server.url}xwdt/a{n}.html" for n in range(ARTICLES)} <= carried
    assert ("GET", "/xwdt/") in second_requests  # the column list is read again in full
    assert any(path == "/gone.html" for _, path in second_requests)  # dead links rechecked
    with engine_scope(pg_url) as engine, session_scope(engine) as session:
        assert store.run_occurrences(session, 1) == store.run_occurrences(session, 2)

    links = (tmp_path / "out" / "links.html").read_text(encoding="utf-8")
    assert f"{server.url}gone.html" in links
    assert f"{outside.url}closed.html" in links
    with (tmp_path / "out" / "links.csv").open(encoding="utf-8-sig") as handle:
        table = list(csv.reader(handle))
    assert {row[1] for row in table[1:]} == {f"{server.url}gone.html", f"{outside.url}closed.html"}
    assert "增量测试站" in (tmp_path / "out" / "index.html").read_text(encoding="utf-8")

    assert scan.returncode == 2
    assert "govwatch crawl (test holder)" in scan.stderr
    with engine_scope(pg_url) as engine:
        status = build_status(engine, load_config(config), pg_url)
    assert [(r["id"], r["status"]) for r in status["runs"]] == [(2, "complete"), (1, "complete")]
    assert status["locks"] == []
    assert status["database"]["url"].startswith("postgresql+psycopg://govwatch@/")
    assert status["database"]["size_bytes"] > 0


def test_text_is_stored_to_fit_its_columns(db_url: str) -> None:
    """The web's text as a crawl sees it (a header or meta tag longer than its column, a NUL
    from a JSON feed) is cut to the column and the NUL replaced, on every database."""
    long_check = LinkCheck(
        "http://x.gov.cn/f.pdf",
        "http://x.gov.cn/f.pdf",
        True,
        "HEAD",
        200,
        None,
        None,
        "http://x.gov.cn/f.pdf",
        content_type=f"application/pdf; {LONG}",
        etag=f'"{LONG}"',
        last_modified=f"Sun, 30 Jun 2024 10:00:00 GMT {LONG}",
    )
    page = PageMetadata(
        url="http://x.gov.cn/a.html",
        title="标题",
        published=None,
        published_text=None,
        written=None,
        index_no="索引" * 100,
        publisher="来源" * 200,
        doc_no=None,
        meta_title=None,
        meta_published=f"2024-06-30 {LONG}",
        meta_source="来源" * 200,
    )
    post = AccountObservation(
        account_id="acc",
        source_url="http://x.gov.cn/feed.json",
        source_kind="jsonfeed",
        fetched_at=datetime(2024, 7, 1),
        http_status=200,
        error=None,
        posts_seen=1,
        newest_time=None,
        newest_time_text=None,
        newest_title="标题\x00后",
        newest_url="http://x.gov.cn/\x00a",
    )
    with engine_scope(db_url) as engine:
        with session_scope(engine) as session:
            run = store.start_run(session, "x")
            store.save_observations(session, run, [long_check], pages=[page], accounts=[post])
            store.finish_run(session, run, complete=True, reason="finished", pages=1, links=1)
        with session_scope(engine) as session:
            previous = store.previous_crawl(session, "x")
            latest = store.latest_account_observations(session, "x")
    assert previous is not None
    clean = previous.clean["http://x.gov.cn/f.pdf"]  # what the next crawl sends back
    assert clean.content_type == f"application/pdf; {LONG}"[:255]
    assert clean.etag == f'"{LONG}'[:255]
    assert clean.last_modified == f"Sun, 30 Jun 2024 10:00:00 GMT {LONG}"[:64]
    assert rows(
        db_url,
        "SELECT length(index_no), length(publisher), length(meta_published), "
        "length(meta_source) FROM page_metadata",
    ) == [(128, 255, 64, 255)]
    assert latest["acc"].newest_title == "标题\ufffd后"
    assert latest["acc"].newest_url == "http://x.gov.cn/\ufffda"


def test_a_crawl_of_hostile_text_completes(tmp_path: Path, db_url: str) -> None:
    """A page with over-long meta tags, an attachment with an over-long Content-Type and a JSON
    feed with a NUL in a title: the crawl completes and stores them cut to fit."""
    page = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<meta name='ContentSource' content='{'来源' * 200}'>"
        f"<meta name='PubDate' content='2024-06-30 {LONG}'></head>"
        f"<body><h1>标题</h1><p>{'正文' * 50}</p><p>发布日期：2024-06-30</p></body></html>"
    ).encode()
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "items": [{"title": "标题\u0000后", "date_published": "2024-06-30T10:00:00+08:00"}],
    }
    routes = {
        "/": Route(200, "<html><body><a href='/p.html'>文章</a><a href='/f.pdf'>附件</a>".encode()),
        "/p.html": Route(200, page),
        "/f.pdf": Route(200, b"%PDF", {"Content-Type": f"application/pdf; {LONG}"}),
        "/feed.json": Route(200, json.dumps(feed).encode(), {"Content-Type": "application/json"}),
    }
    with RouteServer(routes) as server:
        config = tmp_path / "site.yaml"
        config.write_text(
            f"sites:\n  - {{id: h, name: 测试站, home: '{server.url}', discover: false}}\n"
            "accounts:\n"
            f"  - {{id: acc, name: 测试号, platform: wechat, feed: '{server.url}feed.json'}}\n",
            encoding="utf-8",
        )
        govwatch("crawl", "-c", str(config), "--db", db_url, *FAST)
    assert rows(db_url, "SELECT site_id, status FROM runs ORDER BY site_id") == [
        ("@accounts", "complete"),
        ("h", "complete"),
    ]
    assert rows(
        db_url, "SELECT length(meta_source), length(meta_published) FROM page_metadata"
    ) == [(255, 64)]
    assert rows(db_url, "SELECT length(content_type) FROM link_checks WHERE url LIKE '%.pdf'") == [
        (255,)
    ]
    assert rows(db_url, "SELECT newest_title FROM account_observations") == [("标题\ufffd后",)]


def test_commands_started_at_once_make_a_new_schema_once(db_url: str) -> None:
    """Each of them finds the schema made (a file lock on SQLite, an advisory lock on
    PostgreSQL); none fails making it again."""
    probe = (
        "import sys; from monitor.database import open_database; "
        "open_database(sys.argv[1]).dispose()"
    )
    children = [
        subprocess.Popen(
            [sys.executable, "-c", probe, db_url], cwd=ROOT, stderr=subprocess.PIPE, text=True
        )
        for _ in range(3)
    ]
    errors = [child.communicate(timeout=60)[1] for child in children]
    assert [child.returncode for child in children] == [0, 0, 0], errors
    assert rows(db_url, "SELECT version_num FROM alembic_version") == [(SCHEMA_HEAD,)]


def test_of_many_contenders_for_a_site_s_lock_one_takes_it(db_url: str) -> None:
    """Also when it was left by a dead process: each contender takes the stale lock over, one
    of them wins the row, the others are told who holds it."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    barrier = threading.Barrier(4)
    outcomes: list[str] = []

    def contend(name: str) -> None:
        barrier.wait()
        try:
            locks.acquire(engine, "s", name)
        except locks.SiteLockedError as exc:
            outcomes.append(f"locked by {exc.holder.command}")
        else:
            outcomes.append("took it")

    with engine_scope(db_url) as engine:
        with session_scope(engine) as session:
            store.insert_lock(session, "s", "killed crawl", dead.pid, socket.gethostname())
        threads = [threading.Thread(target=contend, args=(f"scan {n}",)) for n in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        with session_scope(engine) as session:
            holder = store.get_lock(session, "s")
    assert holder is not None
    assert sorted(outcomes) == sorted(["took it", *[f"locked by {holder.command}"] * 3])


@pytest.mark.postgresql
def test_a_read_only_database_is_a_clear_error_on_postgresql(
    tmp_path: Path, pg_url: str, postgres: PostgresServer
) -> None:
    config = tmp_path / "site.yaml"
    config.write_text(
        "sites:\n  - {id: ro, name: 只读, home: 'http://127.0.0.1:9/'}\n", encoding="utf-8"
    )
    govwatch("db", "upgrade", "--db", pg_url)
    database = make_url(pg_url).database
    postgres.admin(f'ALTER DATABASE "{database}" SET default_transaction_read_only = on')
    result = govwatch("crawl", "-c", str(config), "--db", pg_url, check=False)
    assert result.returncode == 1
    assert "the database is read-only: nothing was written" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.postgresql
def test_scheduled_jobs_leave_no_connection_open(
    tmp_path: Path, pg_url: str, postgres: PostgresServer
) -> None:
    """A job's connections are closed when it ends, not whenever the garbage collector gets to
    them: the scheduler runs for months, the server takes only so many connections."""
    with RouteServer({"/": Route(200, b"<html><body>home</body></html>")}) as server:
        config = tmp_path / "site.yaml"
        config.write_text(
            f"sites:\n  - {{id: j, name: 任务站, home: '{server.url}'}}\n", encoding="utf-8"
        )
        gc.disable()  # (as in a quiet service process, where collections are rare)
        try:
            for _ in range(3):
                scheduled_probe(str(config), pg_url)
                scheduled_delivery(str(config), pg_url)
            assert connections_to(postgres, pg_url) == 0
        finally:
            gc.enable()
    assert rows(pg_url, "SELECT count(*) FROM probes") == [(3,)]


@pytest.mark.postgresql
def test_a_row_the_database_refuses_costs_the_crawl_only_that_row(
    tmp_path: Path, pg_url: str
) -> None:
    """A link whose URL is too long for a PostgreSQL index entry (a random token of 4,000
    characters does not compress): that row is named and left out, and the crawl's other
    observations are stored and judged."""
    token = secrets.token_urlsafe(3000)
    home = (
        "<html><head><meta charset='utf-8'></head><body><a href='/a.html'>文章</a>"
        f"<a href='/gone.html'>已删除的页面</a><a href='/x?t={token}'>很长的链接</a></body></html>"
    )
    routes = {
        "/": Route(200, home.encode()),
        "/a.html": Route(200, "<html><body><p>正文</p></body></html>".encode()),
    }
    with RouteServer(routes) as server:
        config = tmp_path / "site.yaml"
        config.write_text(
            f"sites:\n  - {{id: t, name: 测试站, home: '{server.url}', discover: false}}\n",
            encoding="utf-8",
        )
        result = govwatch("crawl", "-c", str(config), "--db", pg_url, *FAST)
        findings = findings_json(config, pg_url, today_local())
    assert rows(pg_url, "SELECT status FROM runs") == [("complete",)]
    assert "refused by the database" in result.stdout + result.stderr
    dead = {f["url"].removeprefix(server.url) for f in findings if f["kind"] == "dead_link"}
    assert "gone.html" in dead
    assert rows(pg_url, "SELECT count(*) FROM link_occurrences WHERE length(target_url) < 100") == [
        (2,)
    ]
