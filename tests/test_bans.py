"""A site whose firewall shuts the crawler out (every request refused with 403 for a while):
waited out when the ban is short, an incomplete crawl when it is not; never dead links or
unreachable columns made of the ban."""

from __future__ import annotations

import time
from pathlib import Path

from monitor.assessments import today_local
from tests.conftest import fast_with, findings_json, govwatch
from tests.httpkit import Route, RouteServer

ARTICLES = 12


def _html(body: str) -> bytes:
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>测试市</title></head>"
        f"<body>{body}</body></html>"
    ).encode()


def _site() -> dict[str, Route]:
    today = today_local().isoformat()
    items = "".join(
        f"<li><a href='/news/{n}.html'>第{n}篇工作动态</a><span>{today}</span></li>"
        for n in range(ARTICLES)
    )
    notices = "".join(
        f"<li><a href='/notice/{n}.html'>关于第{n}项工作的通知</a><span>{today}</span></li>"
        for n in range(3)
    )
    routes = {
        "/": Route(
            200,
            _html(
                "<a href='/news/'>工作动态</a><a href='/notice/'>通知公告</a>"
                "<a href='/gone.html'>已删除的页面</a>"
            ),
        ),
        "/news/": Route(200, _html(f"<ul>{items}</ul>")),
        "/notice/": Route(200, _html(f"<ul>{notices}</ul>")),
    }
    for n in range(ARTICLES):
        routes[f"/news/{n}.html"] = Route(200, _html(f"<h1>第{n}篇工作动态</h1><p>正文</p>"))
    for n in range(3):
        routes[f"/notice/{n}.html"] = Route(200, _html(f"<h1>第{n}号通知</h1><p>正文</p>"))
    return routes


def _config(tmp_path: Path, home: str) -> Path:
    config = tmp_path / "site.yaml"
    config.write_text(
        f"sites:\n  - id: ban\n    name: 测试市人民政府\n    home: {home}\n"
        "    columns:\n"
        f"      - {{name: 工作动态, url: {home}news/, category: news}}\n"
        f"      - {{name: 通知公告, url: {home}notice/, category: notice}}\n",
        encoding="utf-8",
    )
    return config


def _problems(findings: list[dict[str, object]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for f in findings:
        found.setdefault(str(f["kind"]), set()).add(str(f.get("url") or f.get("check")))
    return found


def test_a_short_ban_is_waited_out_and_every_page_read(tmp_path: Path) -> None:
    """Refused everything for 2.5 s after its fifth request: the crawl slows to one request
    at a time until the server answers again, then reads the whole site. The one dead link is
    the real one; no page the ban refused is reported."""
    with RouteServer(_site(), ban_after=5, ban_seconds=2.5) as server:
        config = _config(tmp_path, server.url)
        db = f"sqlite:///{tmp_path / 'g.db'}"
        settings = fast_with(GOVWATCH_BAN_WAIT=30, GOVWATCH_REFUSAL_MIN_DELAY=0.05)
        result = govwatch("crawl", "-c", str(config), "--db", db, *settings)
        findings = findings_json(config, db, today_local())
        refused, requests = list(server.refused), list(server.requests)
    assert refused, "the ban never started: the test proves nothing"
    assert "完成 / complete" in result.stdout, result.stdout
    home = server.url.rstrip("/")
    assert _problems(findings) == {"dead_link": {f"{home}/gone.html"}}, findings
    gone = next(f for f in findings if f["kind"] == "dead_link")
    assert gone["status"] == 404 and gone["definite"] is True
    # every page was answered in the end (asked again after the ban, not given up)
    asked = {path for _, path in requests}
    assert {f"/news/{n}.html" for n in range(ARTICLES)} <= asked
    # while banned, the crawl asked slowly: far fewer refusals than pages
    assert len(refused) < 3 * ARTICLES, refused  # asked up to 4 times each, before


def test_a_ban_longer_than_the_wait_keeps_the_last_complete_crawl(tmp_path: Path) -> None:
    """The second night the firewall refuses everything for ten minutes: the crawl gives up
    after its wait, is incomplete ("blocked"), and the findings stay those of the first night,
    with a finding that says the site refused the crawl (let the monitor through)."""
    with RouteServer(_site()) as server:
        config = _config(tmp_path, server.url)
        db = f"sqlite:///{tmp_path / 'g.db'}"
        settings = fast_with(GOVWATCH_BAN_WAIT=2, GOVWATCH_REFUSAL_MIN_DELAY=0.05)
        govwatch("crawl", "-c", str(config), "--db", db, *settings)
        first = findings_json(config, db, today_local())
        server.ban_after, server.ban_seconds = len(server.requests) + 2, 600.0
        started = time.monotonic()
        second = govwatch("crawl", "-c", str(config), "--db", db, *settings, check=False)
        took = time.monotonic() - started
        refused = list(server.refused)
        findings = findings_json(config, db, today_local())
        out = tmp_path / "report"
        govwatch("report", "-c", str(config), "--db", db, "--out", str(out))
    assert refused, "the ban never started: the test proves nothing"
    assert second.returncode == 1, second.stdout + second.stderr
    assert "incomplete (blocked)" in second.stdout, second.stdout
    assert took < 60
    assert len(refused) < 4 * ARTICLES, len(refused)  # not hammered while banned
    home = server.url.rstrip("/")
    assert _problems(first) == {"dead_link": {f"{home}/gone.html"}}, first
    assert _problems(findings) == {
        "dead_link": {f"{home}/gone.html"},
        "crawl_blocked": {f"{home}/"},
    }, findings
    blocked = next(f for f in findings if f["kind"] == "crawl_blocked")
    assert blocked["check"] == "blocked" and "refused by the site" in blocked["detail"]
    overview = (out / "index.html").read_text(encoding="utf-8")
    assert "采集被网站拒绝" in overview and "白名单" in overview


def test_a_long_ban_of_a_larger_site_ends_the_crawl_soon_and_quietly(tmp_path: Path) -> None:
    """200 articles, banned from the thirteenth request on: the small client hands the server's
    work back to the crawl (which paces it) instead of asking every URL once, and what waits
    when the wait is over is not sent at all."""
    today = today_local().isoformat()
    items = "".join(
        f"<li><a href='/a/{n}.html'>第{n}篇文章的标题</a><span>{today}</span></li>"
        for n in range(200)
    )
    routes = {
        "/": Route(200, _html(f"<a href='/a/'>工作动态</a><ul>{items}</ul>")),
        "/a/": Route(200, _html(f"<ul>{items}</ul>")),
        **{f"/a/{n}.html": Route(200, _html(f"<p>第{n}篇</p>")) for n in range(200)},
    }
    with RouteServer(routes, ban_after=12, ban_seconds=600.0) as server:
        config = tmp_path / "site.yaml"
        config.write_text(
            f"sites:\n  - id: big\n    name: 测试县人民政府\n    home: {server.url}\n", "utf-8"
        )
        db = f"sqlite:///{tmp_path / 'g.db'}"
        started = time.monotonic()
        result = govwatch(
            "crawl", "-c", str(config), "--db", db, *fast_with(GOVWATCH_BAN_WAIT=4), check=False
        )
        took = time.monotonic() - started
        refused = list(server.refused)
    assert "incomplete (blocked)" in result.stdout, result.stdout
    assert took < 60, took
    assert len(refused) < 100, len(refused)  # not every URL asked of a server that bans us
