"""Nightly crawls of an unchanged site: conditional requests, the last crawl's reading reused,
the same findings; changed pages re-read, dead links always re-checked."""

from __future__ import annotations

import csv
import dataclasses
import json
import socket
import sqlite3
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from crawler.partition import owner_of
from crawler.revalidate import PAGES_JUDGED
from monitor import store
from monitor.assessments import today_local
from monitor.database import open_database, session_scope
from tests.conftest import FAST, fast_with, findings_json, govwatch
from tests.httpkit import Route, RouteServer

ARTICLES = 6
VOLATILE = {"consecutive_failures", "first_seen", "last_seen", "new", "observed_at", "run_id"}


def _html(title: str, body: str, published: str = "") -> Route:
    meta = f"<meta name='PubDate' content='{published}'>" if published else ""
    return Route(
        200,
        (
            f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title>{meta}"
            f"</head><body>{body}</body></html>"
        ).encode(),
    )


def _article(n: int, extra: str = "") -> Route:
    links = (
        f"<a href='/xwdt/a{(n + 1) % ARTICLES}.html'>下一篇</a>"
        f"<a href='/files/附件{n}.pdf'>附件{n}</a><img src='/img/{n}.jpg' alt='配图'>"
        "<a href='/gone.html'>已删除的页面</a>"
    )
    if n == ARTICLES - 1:
        links = ""  # an article without links: unchanged, it still has its metadata
    return _html(f"第{n}篇", f"<h1>第{n}篇</h1><p>正文</p>{links}{extra}", _published(n))


def _published(n: int) -> str:
    """Article ``n``'s date: the newest yesterday, so that the column is fresh on any day."""
    return (today_local() - timedelta(days=ARTICLES - n)).isoformat()


def _site(outside: str) -> dict[str, Route]:
    items = "".join(
        f"<li><a href='/xwdt/a{n}.html'>第{n}篇文章的标题</a><span>{_published(n)}</span></li>"
        for n in range(ARTICLES)
    )
    routes = {
        "/": _html(
            "示例市人民政府",
            f"<a href='/xwdt/'>新闻动态</a><a href='{outside}closed.html'>已关闭的合作网站</a>",
        ),
        "/xwdt/": _html("新闻动态", f"<ul>{items}</ul>"),
        "/files/*": Route(200, b"%PDF-1.4", {"Content-Type": "application/pdf"}),
        "/img/*": Route(200, b"GIF89a", {"Content-Type": "image/gif"}),
    }
    routes.update({f"/xwdt/a{n}.html": _article(n) for n in range(ARTICLES)})
    return routes


def _config(tmp_path: Path, home: str) -> Path:
    config = tmp_path / "site.yaml"
    config.write_text(
        f"sites:\n  - id: inc\n    name: 增量测试站\n    home: {home}\n    discover: false\n"
        f"    columns:\n      - {{name: 新闻动态, url: '{home}xwdt/', category: news}}\n",
        encoding="utf-8",
    )
    return config


def _two_nights(tmp_path: Path, server: RouteServer, settings: list[str]) -> tuple[int, float]:
    """Two crawls of the server's site; the requests it had seen, and when, before the second."""
    config = tmp_path / "site.yaml"
    config.write_text(
        f"sites:\n  - {{id: night, name: 夜间站, home: '{server.url}', discover: false}}\n",
        encoding="utf-8",
    )
    db = f"sqlite:///{tmp_path / 'g.db'}"
    govwatch("crawl", "-c", str(config), "--db", db, *settings)
    marks = len(server.requests), time.monotonic()
    govwatch("crawl", "-c", str(config), "--db", db, *settings)
    return marks


def _comparable(findings: list[dict[str, Any]]) -> list[str]:
    """Findings without what differs run to run (streaks, run ids, occurrence order)."""
    kept = []
    for finding in findings:
        item = {k: v for k, v in finding.items() if k not in VOLATILE}
        for name in ("occurrences", "sources"):
            if name in item:
                item[name] = sorted(json.dumps(o, sort_keys=True) for o in item[name])
        kept.append(json.dumps(item, sort_keys=True, ensure_ascii=False))
    return sorted(kept)


def _run_rows(db_path: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql).fetchall()


@pytest.mark.parametrize("revalidate", [True, False], ids=["before-crawl", "during-crawl"])
def test_unchanged_site_is_revalidated_with_the_same_findings(
    tmp_path: Path, revalidate: bool
) -> None:
    """Before-crawl: the lean client asks first; during-crawl: Scrapy's conditional GETs."""
    # Two unchanged pages per replay batch: the batches carry on from one another.
    settings = [*FAST, "-s", f"GOVWATCH_REVALIDATE={revalidate}", "-s", "GOVWATCH_REPLAY_BATCH=2"]
    with (
        RouteServer({"/closed.html": Route(404)}) as outside,
        RouteServer(_site(outside.url), etags=True) as server,
    ):
        config = _config(tmp_path, server.url)
        db_path = tmp_path / "g.db"
        db = f"sqlite:///{db_path}"
        govwatch("crawl", "-c", str(config), "--db", db, *settings)
        first = findings_json(config, db, today_local())
        asked_before = len(server.requests)
        govwatch("crawl", "-c", str(config), "--db", db, *settings)
        second = findings_json(config, db, today_local())
        second_requests = server.requests[asked_before:]
        govwatch("crawl", "-c", str(config), "--db", db, *settings)
        third = findings_json(config, db, today_local())

    assert _comparable(second) == _comparable(first) == _comparable(third)
    assert {f["kind"] for f in first} == {"dead_link"}
    # Every article page was asked for with its ETag and answered 304, none sent in full.
    article_checks = _run_rows(
        db_path,
        "select run_id, status, revalidated from link_checks where url like '%/xwdt/a%'",
    )
    assert sorted(set(article_checks)) == [(1, 200, 0), (2, 304, 1), (3, 304, 1)]
    assert sum(1 for run, *_ in article_checks if run == 2) == ARTICLES
    assert {p for p in server.conditional if p.startswith("/xwdt/a")} == {
        f"/xwdt/a{n}.html" for n in range(ARTICLES)
    }
    # The column list is always read again in full: it is what changes.
    assert ("GET", "/xwdt/") in second_requests
    # Dead links are always checked again, by the crawl (with its retries).
    assert any(path == "/gone.html" for _, path in second_requests)
    # Every run saw the same links; the unchanged pages' links were stored once, by the first
    # run, and the later runs refer to it (the third to the first, not to the second).
    engine = open_database(db)
    with session_scope(engine) as session:
        seen = [store.run_occurrences(session, run) for run in (1, 2, 3)]
    engine.dispose()
    assert seen[0] == seen[1] == seen[2]
    assert any("/xwdt/a" in o.source_url for o in seen[0])
    carried = _run_rows(db_path, "select run_id, from_run, source_url from carried_pages")
    assert {(run, origin) for run, origin, _ in carried} == {(2, 1), (3, 1)}
    assert {url for run, _, url in carried if run == 2} == {
        url for run, _, url in carried if run == 3
    }
    assert {f"/xwdt/a{n}.html" for n in range(ARTICLES)} <= {
        url.removeprefix(server.url.rstrip("/")) for _, _, url in carried
    }
    stored = _run_rows(db_path, "select distinct run_id from link_occurrences")
    assert (1,) in stored
    # So is what each article says about itself: every run has it, the first run stored it.
    assert _run_rows(db_path, "select run_id, count(*) from page_metadata group by run_id") == [
        (1, ARTICLES)
    ]
    engine = open_database(db)
    with session_scope(engine) as session:
        metadata = [store.run_page_metadata(session, run) for run in (1, 2, 3)]
    engine.dispose()
    assert metadata[0] == metadata[1] == metadata[2]
    assert len(metadata[0]) == ARTICLES
    assert all(page.published is not None for page in metadata[0])
    columns = _run_rows(db_path, "select run_id, status, newest_date from column_observations")
    assert {row[1:] for row in columns if row[0] == 1} == {
        row[1:] for row in columns if row[0] == 2
    }


def test_changed_pages_are_read_again_and_fixed_links_seen(tmp_path: Path) -> None:
    with (
        RouteServer({"/closed.html": Route(404)}) as outside,
        RouteServer(_site(outside.url), etags=True) as server,
    ):
        config = _config(tmp_path, server.url)
        db_path = tmp_path / "g.db"
        db = f"sqlite:///{db_path}"
        govwatch("crawl", "-c", str(config), "--db", db, *FAST)
        # Overnight: one article gains a dead link, one is deleted, the dead page is restored.
        server.routes["/xwdt/a2.html"] = _article(2, "<a href='/new-gone.html'>新加的链接</a>")
        del server.routes["/xwdt/a4.html"]
        server.routes["/gone.html"] = _html("恢复的页面", "<p>又能访问了</p>")
        govwatch("crawl", "-c", str(config), "--db", db, *FAST)
        findings = findings_json(config, db, today_local())

    dead = {f["url"].removeprefix(server.url): f for f in findings if f["kind"] == "dead_link"}
    assert set(dead) == {"new-gone.html", "xwdt/a4.html", f"{outside.url}closed.html"}
    assert [o["page"] for o in dead["new-gone.html"]["occurrences"]] == [
        f"{server.url}xwdt/a2.html"
    ]
    # The deleted page is still linked from the list and from an unchanged article (whose
    # links come from the last crawl).
    assert {o["page"] for o in dead["xwdt/a4.html"]["occurrences"]} == {
        f"{server.url}xwdt/",
        f"{server.url}xwdt/a3.html",
    }
    changed = _run_rows(
        db_path,
        "select status, revalidated from link_checks where run_id = 2 and url like '%/a2.html'",
    )
    assert changed == [(200, 0)]
    fixed = _run_rows(
        db_path,
        "select status from link_checks where run_id = 2 and url like '%/gone.html'",
    )
    assert fixed == [(200,)]


def test_links_that_failed_are_checked_again_slowest_first(tmp_path: Path) -> None:
    """A nightly crawl starts its rechecks with the link that timed out (it costs two timeouts
    and a backoff), then the answers it will retry, then the definite ones: the longest jobs
    first end soonest. The page lists them the other way round."""
    gone = [f"/gone{n}.html" for n in range(8)]
    links = "".join(f"<a href='{path}'>旧链接{n}</a>" for n, path in enumerate(gone))
    links += "<a href='/busy.html'>繁忙</a><a href='/slow.html'>很慢</a>"
    routes = {
        "/": _html("示例市人民政府", links),
        "/busy.html": Route(503),
        "/slow.html": Route(200, b"late", delay=1.5),
    }
    settings = fast_with(DOWNLOAD_TIMEOUT=1, GOVWATCH_WORKERS=1, CONCURRENT_REQUESTS_PER_DOMAIN=1)
    with RouteServer(routes, etags=True) as server:
        asked_before, _ = _two_nights(tmp_path, server, settings)
        second = [path for _, path in server.requests[asked_before:]]

    first_ask = {path: second.index(path) for path in ["/slow.html", "/busy.html", *gone]}
    assert first_ask["/slow.html"] < first_ask["/busy.html"] < min(first_ask[p] for p in gone)


def test_the_pre_pass_and_the_crawl_together_keep_to_the_servers_limit(tmp_path: Path) -> None:
    """The nightly pre-pass asks on connections of its own while the crawl rechecks last
    night's dead links: their sum never exceeds CONCURRENT_REQUESTS_PER_DOMAIN."""
    pages = [f"/p{n}.html" for n in range(12)]
    gone = [f"/gone{n}.html" for n in range(8)]
    links = "".join(f"<a href='{path}'>链接{n}</a>" for n, path in enumerate(pages + gone))
    routes = {"/": _html("示例市人民政府", links)}
    routes.update({path: Route(200, _html("页", "<p>正文</p>").body, delay=0.2) for path in pages})
    routes.update({path: Route(404, b"gone", delay=0.2) for path in gone})
    settings = fast_with(
        GOVWATCH_WORKERS=1,
        CONCURRENT_REQUESTS_PER_DOMAIN=2,
        GOVWATCH_STUCK_ALLOWANCE=0,
        AUTOTHROTTLE_ENABLED=False,
    )
    with RouteServer(routes, etags=True) as server:
        _, second_began = _two_nights(tmp_path, server, settings)
        spans = [span for span in server.spans if span[1] >= second_began]

    assert {path for path, _, _ in spans} >= set(pages) | set(gone)
    assert len(server.conditional) >= len(pages)  # the pre-pass did ask
    most = max(
        sum(1 for _, begun, ended in spans if begun <= start < ended) for _, start, _ in spans
    )
    assert most <= 2


@pytest.mark.parametrize("slow_probe", [False, True])
def test_a_link_whose_head_was_not_believed_is_rechecked_by_get_alone(
    tmp_path: Path, slow_probe: bool
) -> None:
    """A dead link whose HEAD answer led to a GET last night (HEAD refused, or a 404 to HEAD
    that a GET had to confirm) is asked by GET alone the next night: same finding, one request.
    Also when the homepage that links to it is read before the rechecks begin (they wait for
    the site's answer to a surely-missing URL, slow here)."""
    routes = {
        "/": _html(
            "示例市人民政府",
            "<a href='/files/gone.pdf'>已删除的附件</a><a href='/files/refused.doc'>拒绝HEAD</a>",
        ),
        "/files/refused.doc": Route(404, b"gone", head_status=405),
    }
    if slow_probe:
        routes["/govwatch-surely-missing-*"] = Route(404, b"missing", delay=0.8)
    settings = fast_with(GOVWATCH_WORKERS=1)
    with RouteServer(routes, etags=True) as server:
        asked_before, _ = _two_nights(tmp_path, server, settings)
        first = [request for request in server.requests[:asked_before] if "/files/" in request[1]]
        second = [request for request in server.requests[asked_before:] if "/files/" in request[1]]

    assert ("HEAD", "/files/gone.pdf") in first and ("GET", "/files/gone.pdf") in first
    assert sorted(second) == [("GET", "/files/gone.pdf"), ("GET", "/files/refused.doc")]
    rows = _run_rows(
        tmp_path / "g.db",
        "select run_id, method, status from link_checks where url like '%/files/%' "
        "order by run_id, url",
    )
    assert rows == [(1, "GET", 404), (1, "GET", 404), (2, "GET", 404), (2, "GET", 404)]


def test_links_sent_during_a_slow_pre_pass_wait_for_it(tmp_path: Path) -> None:
    """Two processes: while one's pre-pass is still asking its (slow) pages, links the other
    sends it wait for the pre-pass's answers instead of going out through the crawl, where
    they would be asked a second time. Every unchanged page is asked once on the second night."""
    pages = [f"/p{n}.html" for n in range(16)]
    links = "".join(f"<a href='{path}'>第{n}页</a>" for n, path in enumerate(pages))
    routes = {"/": _html("示例市人民政府", links)}
    routes.update({path: _html(f"第{n}页", "<p>正文</p>") for n, path in enumerate(pages)})
    settings = fast_with(GOVWATCH_WORKERS=2, CONCURRENT_REQUESTS_PER_DOMAIN=2)
    with RouteServer(routes, etags=True) as server:
        for path in pages:  # the second process's pages answer slowly: its pre-pass lags
            if owner_of(f"{server.url}{path[1:]}", 2) == 1:
                routes[path] = dataclasses.replace(routes[path], delay=0.25)
        asked_before, _ = _two_nights(tmp_path, server, settings)
        second = [path for _, path in server.requests[asked_before:] if path in pages]

    slow = [path for path in pages if routes[path].delay]
    assert slow  # (the hash splits the pages about evenly between the two)
    assert sorted(second) == sorted(pages)  # each once: no page asked again by the crawl
    assert sorted(set(server.conditional) & set(pages)) == sorted(pages)


@pytest.mark.parametrize("days", [14, 0], ids=["within-two-weeks", "never"])
def test_a_page_changed_under_the_same_etag_is_read_in_full_again(
    tmp_path: Path, days: int
) -> None:
    """A server that keeps a page's ETag when the page changes (a CMS that tags the template's
    version) answers 304 for ever: a page last read in full two weeks ago is read in full
    again, and its new dead link found; then it is asked conditionally again."""
    with (
        RouteServer({"/closed.html": Route(404)}) as outside,
        RouteServer(_site(outside.url), etags=True) as server,
    ):
        server.routes["/xwdt/a2.html"] = dataclasses.replace(_article(2), etag='"tpl-v1"')
        config = _config(tmp_path, server.url)
        db_path = tmp_path / "g.db"
        db = f"sqlite:///{db_path}"
        settings = [*FAST, "-s", f"GOVWATCH_FULL_READ_DAYS={days}"]
        govwatch("crawl", "-c", str(config), "--db", db, *settings)
        edited = _article(2, "<a href='/new-gone.html'>新加的链接</a>")
        server.routes["/xwdt/a2.html"] = dataclasses.replace(edited, etag='"tpl-v1"')
        with sqlite3.connect(db_path) as conn:  # the first night was three weeks ago
            conn.execute("update runs set started_at = datetime(started_at, '-21 days')")
        govwatch("crawl", "-c", str(config), "--db", db, *settings)
        second = findings_json(config, db, today_local())
        govwatch("crawl", "-c", str(config), "--db", db, *settings)

    dead = {f["url"].removeprefix(server.url) for f in second if f["kind"] == "dead_link"}
    article = _run_rows(
        db_path,
        "select run_id, status, revalidated from link_checks where url like '%/xwdt/a2.html'",
    )
    if days:
        assert "new-gone.html" in dead
        assert article == [(1, 200, 0), (2, 200, 0), (3, 304, 1)]
        # the third night refers to the second, which read it
        assert _run_rows(
            db_path,
            "select from_run from carried_pages where run_id = 3 and source_url like '%a2.html'",
        ) == [(2,)]
    else:
        assert "new-gone.html" not in dead
        assert article == [(1, 200, 0), (2, 304, 1), (3, 304, 1)]


def test_full_reads_come_due_spread_over_the_second_week() -> None:
    read_on, days = date(2026, 11, 1), 14
    keys = [f"http://127.0.0.1/xwdt/a{n}.html" for n in range(200)]

    def first_due(key: str) -> int:
        return next(
            age
            for age in range(days + 1)
            if store.full_read_due(key, read_on, read_on + timedelta(days=age), days)
        )

    due = [first_due(key) for key in keys]
    assert min(due) == 7 and max(due) == 13  # none before a week, all within two
    assert len(set(due)) == 7  # spread over the days between
    assert due == [first_due(key) for key in keys]  # the same page, the same day
    assert not store.full_read_due(keys[0], read_on, read_on + timedelta(days=400), 0)
    assert store.full_read_due(keys[0], read_on, read_on + timedelta(days=1), 1)


def test_the_next_crawl_asks_ahead_only_what_answered_without_a_redirect(db_url: str) -> None:
    """Last night's clean checks are the pre-pass's candidates, except those reached through
    a redirect (a 304 or a 2xx from the first URL would say nothing of the last). The JSON
    list of redirects is compared as text: on SQLite and on PostgreSQL."""
    engine = open_database(db_url)
    base = "http://127.0.0.1:8/"

    def check(path: str, status: int, redirects: list[str]) -> store.LinkCheck:
        return store.LinkCheck(
            f"{base}{path}", f"{base}{path}", True, "GET", status, None, None, None, redirects
        )

    with session_scope(engine) as session:
        run = store.start_run(session, "s", scope="full")
        store.save_observations(
            session,
            run,
            [
                check("plain.html", 200, []),
                check("moved.html", 200, [f"{base}moved.html", f"{base}new.html"]),
                check("gone.html", 404, []),
            ],
        )
        store.finish_run(session, run, complete=True, reason="finished", pages=3, links=3)
    with session_scope(engine) as session:
        previous = store.previous_crawl(session, "s")
    engine.dispose()
    assert previous is not None
    assert set(previous.clean) == {f"{base}plain.html"}
    assert [failed[0] for failed in previous.failed] == [f"{base}gone.html"]


def test_a_link_no_page_has_any_more_is_neither_read_nor_remembered(tmp_path: Path) -> None:
    """Last night's failed links are checked again from the start of the crawl, before any page
    is read; only those a page still links count. A 专题 hub that failed, is no longer linked and
    answers again is not read (its old pages' dead links are not the site's), and a dead link
    that comes back after a night away is new, not a continuing streak."""
    hub = _html("专题", "<a href='/ztzl/orphan.html'>专题文章</a>")
    routes = {
        "/": _html("首页", "<a href='/ztzl/index.html'>专题</a><a href='/f/err.pdf'>附件</a>"),
        "/ztzl/index.html": hub,
        "/ztzl/orphan.html": _html("专题文章", "<a href='/f/orphan_dead.pdf'>旧附件</a>"),
        "/f/err.pdf": Route(500),
    }
    with RouteServer(routes, etags=True) as server:
        config = tmp_path / "site.yaml"
        config.write_text(
            f"sites:\n  - {{id: s, name: 站, home: '{server.url}'}}\n", encoding="utf-8"
        )
        db = f"sqlite:///{tmp_path / 'g.db'}"

        def night() -> dict[str, dict[str, Any]]:
            govwatch("crawl", "-c", str(config), "--db", db, *FAST)
            found = findings_json(config, db, today_local())
            return {f["url"].removeprefix(server.url): f for f in found if f["kind"] == "dead_link"}

        first = night()
        hub.status = 404  # the hub fails; the homepage no longer links the attachment
        routes["/"] = _html("首页", "<a href='/ztzl/index.html'>专题</a>")
        second = night()
        hub.status = 200  # the hub answers again, but nothing links it; the attachment is back
        routes["/"] = _html("首页", "<a href='/f/err.pdf'>附件</a>")
        third = night()
    assert set(first) == {"f/err.pdf", "f/orphan_dead.pdf"}
    assert set(second) == {"ztzl/index.html"}
    assert set(third) == {"f/err.pdf"}  # never the orphaned page's dead attachment
    back = third["f/err.pdf"]
    assert (back["new"], back["consecutive_failures"], back["definite"]) == (True, 1, False)


def test_a_failed_page_that_answers_again_is_read_when_an_unchanged_page_links_it(
    tmp_path: Path,
) -> None:
    """Night 2: the page that failed (500) is rechecked first; its answer waits until a page
    links it — here an unchanged page read from the last crawl, so it is read in the middle of
    that replay. Nothing of the replay may be lost: its own dead link stays reported, and the
    recovered page's new one is found."""
    flaky = _html("办事指南", "<a href='/files/d.pdf'>新附件</a>")
    flaky.status = 500
    routes = {
        "/": _html("首页", "<a href='/a.html'>栏目页</a><a href='/e.html'>另一页</a>"),
        "/a.html": _html("栏目页", "<a href='/b.html'>办事指南</a><a href='/files/c.pdf'>旧</a>"),
        "/b.html": flaky,
        "/e.html": _html("另一页", "<a href='/files/g.pdf'>又一个旧附件</a>"),
    }
    settings = fast_with(GOVWATCH_WORKERS=1, GOVWATCH_REPLAY_BATCH=1)
    with RouteServer(routes, etags=True) as server:
        config = tmp_path / "site.yaml"
        config.write_text(f"sites:\n  - {{id: s, name: 站, home: '{server.url}'}}\n", "utf-8")
        db = f"sqlite:///{tmp_path / 'g.db'}"
        govwatch("crawl", "-c", str(config), "--db", db, *settings)
        first = findings_json(config, db, today_local())
        flaky.status = 200
        govwatch("crawl", "-c", str(config), "--db", db, *settings)
        second = findings_json(config, db, today_local())
    assert {f["url"].removeprefix(server.url) for f in first} == {
        "b.html",
        "files/c.pdf",
        "files/g.pdf",
    }
    assert {f["url"].removeprefix(server.url) for f in second} == {
        "files/c.pdf",
        "files/d.pdf",
        "files/g.pdf",
    }


def test_observations_batched_within_a_batch_are_all_stored(tmp_path: Path) -> None:
    """A replay batch that reads a page in its middle once carried that page's batch inside its
    own, and the pipeline dropped it: a fifth of a nightly crawl's checks went missing."""
    from crawler.pipelines import StorePipeline
    from monitor.records import LinkCheck, Observations

    db = f"sqlite:///{tmp_path / 'p.db'}"
    engine = open_database(db)
    with session_scope(engine) as session:
        run_id = store.start_run(session, "s")
    engine.dispose()
    url = "http://x.gov.cn/f.pdf"
    check = LinkCheck(url, url, True, "HEAD", 404, None, None, url)
    pipeline = StorePipeline(db, run_id, batch_size=100)
    pipeline.process_item(Observations([Observations([check])]))
    pipeline.flush()
    pipeline.engine.dispose()
    assert _run_rows(tmp_path / "p.db", "select url, status from link_checks") == [(url, 404)]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_dead_link_taken_off_its_page_is_listed_fixed(tmp_path: Path) -> None:
    """The usual repair: the editor takes the dead link off the page (or points it elsewhere).
    The next crawl never asks for the old URL; it is listed fixed, "taken off its pages", in the
    report and its CSV/XLSX for the 台账. A dead link whose page is no longer reached (the page
    was unlinked) is closed too, saying that its page was not reached again: it did not answer,
    nobody looked; but it must not silently drop out of the 台账."""
    routes = {
        "/": _html(
            "首页", "<a href='/a.html'>甲</a><a href='/b.html'>乙</a><a href='/c.html'>丙</a>"
        ),
        "/a.html": _html(
            "甲",
            "<a href='/gone-a.pdf'>甲的附件</a><a href='/ok.html'>好</a>"
            f"<a href='http://127.0.0.1:{_closed_port()}/x.html'>关闭的网站</a>",
        ),
        "/b.html": _html("乙", "<a href='/gone-b.pdf'>乙的附件</a>"),
        "/c.html": _html("丙", "<a href='/gone-c.pdf'>丙的附件</a>"),
        "/ok.html": _html("好", "正常"),
        "/新闻.html": _html("新闻", "<a href='/gone-d.pdf'>新闻的附件</a>"),
    }
    with RouteServer(routes, etags=True) as server:
        config = tmp_path / "site.yaml"
        config.write_text(
            f"sites:\n  - {{id: fix, name: 整改站, home: '{server.url}', discover: false}}\n",
            encoding="utf-8",
        )
        db = f"sqlite:///{tmp_path / 'g.db'}"
        govwatch("crawl", "-c", str(config), "--db", db, *FAST)
        routes["/a.html"] = _html("甲", "<a href='/ok.html'>好</a>")  # the dead link taken off
        routes["/"] = _html(
            "首页", "<a href='/a.html'>甲</a><a href='/c.html'>丙</a><a href='/新闻.html'>新闻</a>"
        )  # 乙 unlinked
        govwatch("crawl", "-c", str(config), "--db", db, *FAST)
        findings = findings_json(config, db, today_local())
        out = tmp_path / "out"
        govwatch("report", "-c", str(config), "--db", db, "--out", str(out))
    dead = {f["url"].removeprefix(server.url) for f in findings if f["kind"] == "dead_link"}
    assert dead == {"gone-c.pdf", "gone-d.pdf"}
    with (out / "links-by-page.csv").open(encoding="utf-8-sig") as handle:
        pages = {row["所在页面"].removeprefix(server.url) for row in csv.DictReader(handle)}
    assert pages == {"c.html", "新闻.html"}  # as the operator reads it, not %E6%96%B0…
    with (out / "fixed-links.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    fixed = {r["链接地址"].removeprefix(server.url): (r["修复前"], r["修复方式"]) for r in rows}
    assert fixed == {
        "gone-a.pdf": ("HTTP 404", "已从页面删除"),
        # an error in the report's words, as in the dead links' table the night before
        next(url for url in fixed if url.endswith("/x.html")): ("连接被拒绝", "已从页面删除"),
        "gone-b.pdf": ("HTTP 404", "所在页面未再访问到（已删除或不再被链接）"),
    }
    assert (out / "fixed-links.xlsx").stat().st_size > 0
    assert "已从页面删除" in (out / "links.html").read_text(encoding="utf-8")


def test_a_server_that_tags_every_answer_anew_is_not_asked_twice_per_page(
    tmp_path: Path,
) -> None:
    """A page with a new ETag on every answer (it shows the time, or the server tags each
    answer) never answers 304: asking it conditionally before the crawl, then again in the
    crawl, would cost two requests a page every night. After a few, its pages are left to the
    crawl."""
    pages = 90
    links = "".join(f"<a href='/p{n}.html'>第{n}篇</a>" for n in range(pages))
    routes = {"/": _html("首页", links)}
    routes.update({f"/p{n}.html": _html(f"第{n}篇", "正文") for n in range(pages)})
    with RouteServer(routes, fresh_etags=True) as server:
        asked_before, _ = _two_nights(tmp_path, server, fast_with(GOVWATCH_WORKERS=1))
        first = [path for method, path in server.requests[:asked_before] if method == "GET"]
        second = [path for method, path in server.requests[asked_before:] if method == "GET"]
    assert len(first) == pages + 2  # the pages, the homepage, the surely-missing URL
    # a few pages asked twice before the server is known (PAGES_JUDGED, and those already on
    # their way on the pre-pass's connections); the rest once
    assert len(second) <= len(first) + PAGES_JUDGED + 8, sorted(second)


@pytest.mark.parametrize("limit_status", [403, 429])
def test_a_rate_limited_site_is_read_on_the_second_night_too(
    tmp_path: Path, limit_status: int
) -> None:
    """The nightly pre-pass asks quickly; a limiter answering 403 (or 429) must not leave the
    crawl's homepage refused and the night's run empty (it replaced the good view of the
    site), nor have pages that are there reported blocked."""
    pages = 40
    links = "".join(f"<a href='/p{n}.html'>第{n}篇</a>" for n in range(pages))
    routes = {"/": _html("首页", links)}
    routes.update({f"/p{n}.html": _html(f"第{n}篇", "正文") for n in range(pages)})
    settings = fast_with(GOVWATCH_WORKERS=1, GOVWATCH_REFUSAL_MIN_DELAY=0.05)
    with RouteServer(routes, etags=True, rate_limit=15, limit_status=limit_status) as server:
        _two_nights(tmp_path, server, settings)
        refused = len(server.refused)
    config, db = tmp_path / "site.yaml", f"sqlite:///{tmp_path / 'g.db'}"
    findings = findings_json(config, db, today_local())
    assert refused, "the limiter never refused: the test proves nothing"
    assert findings == [], findings
    pages_read = _run_rows(tmp_path / "g.db", "select pages from runs order by id")
    assert pages_read == [(pages + 1,), (pages + 1,)]


def test_another_sites_page_checked_by_get_is_asked_once_the_next_night(tmp_path: Path) -> None:
    """Another site's page whose HEAD is refused (405) is checked by GET; the next night the
    pre-pass asks it conditionally and its 304 is its check: not asked twice more (HEAD, GET)."""
    with RouteServer(
        {"/news.html": Route(200, b"<html><body>ok</body></html>", head_status=405)}, etags=True
    ) as other:
        routes = {"/": _html("首页", f"<a href='{other.url}news.html'>合作网站</a>")}
        with RouteServer(routes, etags=True) as server:
            config = tmp_path / "site.yaml"
            config.write_text(
                f"sites:\n  - {{id: ext, name: 外链站, home: '{server.url}', discover: false}}\n",
                encoding="utf-8",
            )
            db_path = tmp_path / "g.db"
            db = f"sqlite:///{db_path}"
            govwatch("crawl", "-c", str(config), "--db", db, *FAST)
            before = len(other.requests)
            govwatch("crawl", "-c", str(config), "--db", db, *FAST)
            second = other.requests[before:]
            findings = findings_json(config, db, today_local())
    assert second == [("GET", "/news.html")]
    assert other.conditional[-1:] == ["/news.html"]
    assert not [f for f in findings if f["kind"] == "dead_link"]
    assert _run_rows(
        db_path, "select status from link_checks where run_id = 2 and url like '%news.html'"
    ) == [(304,)]
