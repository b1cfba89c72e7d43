"""Cases a review found: each once made govwatch report something wrong."""

from __future__ import annotations

import os
import socket
import sqlite3
from datetime import timedelta
from pathlib import Path

from sqlalchemy import update

from monitor import store
from monitor.database import open_database, session_scope
from monitor.models import SiteLock
from tests.conftest import FAST, findings_json, govwatch
from tests.httpkit import Route, RouteServer
from tests.test_operations import TODAY, html, news_list


def test_homepage_that_moves_to_another_host_is_crawled(tmp_path: Path) -> None:
    routes: dict[str, Route] = {
        "/page.html": Route(200, html("页面")),
    }
    with RouteServer(routes) as server:
        port = server.url.rsplit(":", 1)[1].strip("/")
        routes["/"] = Route(200, html("<a href='/page.html'>站内页面链接</a>"))
        # Reached as localhost, it answers with a redirect to 127.0.0.1 (like example.gov.cn →
        # www.example.gov.cn).
        config = tmp_path / "site.yaml"
        routes["/start"] = Route(301, headers={"Location": f"http://127.0.0.1:{port}/"})
        config.write_text(
            f"sites:\n  - {{id: moved, name: 迁移站, home: 'http://localhost:{port}/start'}}\n",
            encoding="utf-8",
        )
        db = f"sqlite:///{tmp_path / 'g.db'}"
        govwatch("crawl", "-c", str(config), "--db", db, *FAST)
        findings = findings_json(config, db, TODAY)
    assert [f["kind"] for f in findings] == []
    with sqlite3.connect(tmp_path / "g.db") as conn:
        pages = conn.execute("select pages from runs").fetchone()[0]
        home = conn.execute("select status from column_observations where is_homepage").fetchone()
    assert pages == 2
    assert home == ("empty",)


def test_a_malformed_link_is_a_finding_and_the_column_is_still_judged(tmp_path: Path) -> None:
    list_page = news_list(TODAY - timedelta(days=30)).replace(
        b"</ul>",
        b"<li><a href='http://127.0.0.1:99999/x.html'>\xe5\x9d\x8f\xe7\xab\xaf\xe5\x8f\xa3\xe7\x9a\x84\xe9\x93\xbe\xe6\x8e\xa5\xe6\xa0\x87\xe9\xa2\x98</a><span>2000-01-01</span></li>"
        b"<li><a href='JavaScript:alert(1)'>\xe8\x84\x9a\xe6\x9c\xac\xe9\x93\xbe\xe6\x8e\xa5\xe7\x9a\x84\xe6\xa0\x87\xe9\xa2\x98</a><span>2099-01-01</span></li></ul>",
    )
    routes = {
        "/": Route(200, html("<a href='/zwdt/'>工作动态</a>")),
        "/zwdt/": Route(200, list_page),
        "/zwdt/2*": Route(200, html("文章")),
    }
    with RouteServer(routes) as server:
        config = tmp_path / "site.yaml"
        config.write_text(
            f"sites:\n  - id: bad\n    name: 坏链接站\n    home: {server.url}\n    columns:\n"
            f"      - {{name: 工作动态, url: '{server.url}zwdt/', category: news}}\n",
            encoding="utf-8",
        )
        db = f"sqlite:///{tmp_path / 'g.db'}"
        govwatch("crawl", "-c", str(config), "--db", db, *FAST)
        findings = findings_json(config, db, TODAY)
    kinds = {
        (f["kind"], f.get("column") or f.get("error"))
        for f in findings
        if not f["kind"].startswith("site_")
    }
    assert kinds == {("stale_column", "工作动态"), ("dead_link", "malformed_url")}
    stale = next(f for f in findings if f["kind"] == "stale_column")
    assert stale["newest_url"].startswith("http://127.0.0.1")  # never the javascript: link
    assert stale["age_days"] == 30


def test_a_lock_with_a_live_pid_but_no_heartbeat_is_taken_over(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'g.db'}"
    engine = open_database(db)
    with session_scope(engine) as session:
        store.insert_lock(
            session, "x", "scheduler before a restart", os.getpid(), socket.gethostname()
        )
        session.execute(
            update(SiteLock).values(
                heartbeat_at=store.utcnow() - store.STALE_HEARTBEAT - timedelta(seconds=1)
            )
        )
    with session_scope(engine) as session:
        holder = store.get_lock(session, "x")
        assert holder is not None
        assert store.lock_is_stale(holder)


BROKEN_HOSTS = [
    "http://[域名]/zwgk/index.html",
    "http://[::1",
    "http://a]b/c.html",
    "//[zz]/d.html",
]


def test_a_link_with_a_broken_host_costs_its_page_none_of_its_other_links(tmp_path: Path) -> None:
    """A CMS template's unfilled "http://[域名]/…" once failed the whole page: the dead links
    before it were checked but never placed on the page, those after it never requested."""
    broken = "".join(f"<a href='{href}'>坏主机{n}</a>" for n, href in enumerate(BROKEN_HOSTS))
    broken_list = news_list(TODAY - timedelta(days=3)).replace(
        b"</ul>",
        f"<li><a href='{BROKEN_HOSTS[0]}'>模板占位</a><span>2024-01-01</span></li></ul>".encode(),
    )
    routes = {
        "/": Route(
            200,
            html(
                "<a href='/zwdt/'>工作动态</a><a href='/before.html'>前一个死链</a>"
                f"{broken}<img src='http://[域名]/logo.png'>"
                "<a href='/after.html'>后一个死链</a><a href='/page.html'>页面</a>"
            ),
        ),
        "/zwdt/": Route(200, broken_list),
        "/zwdt/2*": Route(200, html("文章")),
        "/page.html": Route(200, html(f"{broken}<a href='/deeper.html'>更深的死链</a>")),
    }
    with RouteServer(routes) as server:
        config = tmp_path / "site.yaml"
        config.write_text(
            f"sites:\n  - id: tpl\n    name: 模板站\n    home: {server.url}\n    columns:\n"
            f"      - {{name: 工作动态, url: '{server.url}zwdt/', category: news}}\n",
            encoding="utf-8",
        )
        db = f"sqlite:///{tmp_path / 'g.db'}"
        crawl = govwatch("crawl", "-c", str(config), "--db", db, "-v", *FAST)
        findings = findings_json(config, db, TODAY)
    assert "Spider error" not in crawl.stderr + crawl.stdout
    dead = {
        (f["url"].removeprefix(server.url), f["error"] or f["status"])
        for f in findings
        if f["kind"] == "dead_link"
    }
    assert dead == {
        ("before.html", 404),
        ("after.html", 404),
        ("deeper.html", 404),
        ("http://[域名]/zwgk/index.html", "malformed_url"),
        ("http://[::1", "malformed_url"),
        ("http://a]b/c.html", "malformed_url"),
        ("http://[zz]/d.html", "malformed_url"),
        ("http://[域名]/logo.png", "malformed_url"),
    }
    # The column's list, with the placeholder among its items, is still read and dated.
    assert not [f for f in findings if f.get("column") == "工作动态"]


def test_the_homepage_linked_as_index_html_is_read_once(tmp_path: Path) -> None:
    """Its "首页" link names the homepage "/index.html": the same page, checked as a link and
    not read a second time (each homepage dead link was listed twice, once as not on it)."""
    home = html("<a href='/index.html'>首页</a><a href='/gone.html'>已删除</a>")
    routes = {"/": Route(200, home), "/index.html": Route(200, home)}
    with RouteServer(routes) as server:
        config = tmp_path / "site.yaml"
        config.write_text(f"sites:\n  - {{id: h, name: 首页站, home: '{server.url}'}}\n", "utf-8")
        db = f"sqlite:///{tmp_path / 'g.db'}"
        govwatch("crawl", "-c", str(config), "--db", db, *FAST)
        findings = findings_json(config, db, TODAY)
        asked = [(method, path) for method, path in server.requests if path == "/index.html"]
    assert [
        (f["url"].removeprefix(server.url), f["sources"], f["on_homepage"]) for f in findings
    ] == [("gone.html", [server.url], True)]
    assert asked and all(method == "HEAD" for method, _ in asked)
