"""Link outcomes a real crawl must get right, on a scripted server on 127.0.0.1."""

from __future__ import annotations

import csv
import gzip
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lxml import html as lxml_html

from crawler.partition import owner_of
from monitor.assessments import today_local
from tests.conftest import FAST, ROOT, fast_with, findings_json, govwatch
from tests.httpkit import Route, RouteServer, self_signed


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _html(body: str) -> bytes:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>".encode()


def _config(tmp_path: Path, home: str, columns: str = "") -> Path:
    config = tmp_path / "site.yaml"
    config.write_text(
        f"sites:\n  - id: edge\n    name: 边界测试站\n    home: {home}\n"
        + (f"    columns:\n{columns}" if columns else ""),
        encoding="utf-8",
    )
    return config


def test_link_outcomes(tmp_path: Path) -> None:
    refused = _closed_port()
    routes = {
        "/moved.html": Route(301, headers={"Location": "/target.html"}),
        "/target.html": Route(200, _html("目标页")),
        "/to-dead.html": Route(302, headers={"Location": "/nowhere.html"}),
        "/error.html": Route(500, _html("服务器错误")),
        "/forbidden.pdf": Route(403),
        "/no-head.pdf": Route(200, b"%PDF", {"Content-Type": "application/pdf"}, head_status=405),
        "/loop.html": Route(302, headers={"Location": "/loop.html"}),
        "/ping.html": Route(302, headers={"Location": "/pong.html#top"}),
        "/pong.html": Route(302),  # back to ping.html by its absolute URL (set below)
        "/long.html": Route(302, headers={"Location": "/long1.html"}),
        **{
            f"/long{n}.html": Route(302, headers={"Location": f"/long{n + 1}.html"})
            for n in range(1, 15)
        },
        # A WAF's challenge: back to the same URL once, with the cookie that gets through.
        "/gate.html": Route(
            302,
            headers={"Location": "/gate.html", "Set-Cookie": "passed=1; Path=/"},
            then=Route(200, _html("通过验证")),
        ),
    }
    with RouteServer(routes) as server, RouteServer({"/denied": Route(403)}) as other:
        routes["/pong.html"].headers["Location"] = f"{server.url}ping.html"
        routes["/"] = Route(
            200,
            _html(
                '<a href="/moved.html">跳转的页面</a><a href="/to-dead.html">跳到死链</a>'
                '<a href="/error.html">出错页面</a><a href="/forbidden.pdf">禁止访问</a>'
                '<a href="/no-head.pdf">不支持HEAD</a><a href="/loop.html">循环跳转</a>'
                '<a href="/ping.html">来回跳转</a><a href="/long.html">很长的跳转</a>'
                '<a href="/gate.html">验证后访问</a>'
                f'<a href="http://127.0.0.1:{refused}/x.html">拒绝连接</a>'
                f'<a href="{other.url}denied">外站403</a>'
                '<a href="mailto:zwgk@example.gov.cn">信箱</a>'
            ),
        )
        db = f"sqlite:///{tmp_path / 'g.db'}"
        config = _config(tmp_path, server.url)
        govwatch("crawl", "-c", str(config), "--db", db, *FAST, check=False)
        findings = findings_json(config, db, today_local())
        head_then_get = [m for m, p in server.requests if p == "/no-head.pdf"]
    dead = {f["url"].removeprefix(server.url): f for f in findings if f["kind"] == "dead_link"}
    assert set(dead) == {
        "to-dead.html",
        "error.html",
        "forbidden.pdf",
        "loop.html",
        "ping.html",
        "long.html",
        f"http://127.0.0.1:{refused}/x.html",
        f"{other.url}denied",
    }
    assert dead["to-dead.html"]["status"] == 404
    assert dead["to-dead.html"]["definite"] is True
    assert dead["error.html"]["status"] == 500
    assert dead["error.html"]["definite"] is False  # 5xx is suspected until confirmed
    assert dead["forbidden.pdf"]["definite"] is True  # 403 on a same-site link
    assert dead[f"{other.url}denied"]["definite"] is False  # 403 elsewhere: suspected
    # A loop ends at its first repeat; a chain past the limit is followed to the limit.
    assert dead["loop.html"]["error"] == "redirect_loop"
    assert dead["ping.html"]["error"] == "redirect_loop"
    # its chain, as a redirect's is shown: where it went, and the URL it came back to
    assert dead["ping.html"]["redirects"] == [
        f"{server.url}ping.html",
        f"{server.url}pong.html#top",
    ]
    assert dead["long.html"]["error"] == "too_many_redirects"
    assert [p for _, p in server.requests].count("/loop.html") == 1
    assert [p for _, p in server.requests].count("/ping.html") == 1
    assert "gate.html" not in dead
    refused_link = dead[f"http://127.0.0.1:{refused}/x.html"]
    assert refused_link["error"] == "connection_refused"
    assert refused_link["status"] is None
    assert refused_link["definite"] is False
    # HEAD refused, then GET (once more if it is the control a final 403 asks: crawler.refusals)
    assert head_then_get[:2] == ["HEAD", "GET"] and set(head_then_get[2:]) <= {"GET"}
    assert len(head_then_get) <= 3


def _page(title: str, body: str) -> bytes:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{title}</title></head>"
        f"<body>{body}</body></html>"
    ).encode()


def test_the_report_says_why_each_link_failed(tmp_path: Path) -> None:
    """Each failure's detail reaches the findings JSON as the crawl recorded it, and the report
    in the operator's words: which name did not resolve, what a soft-404 page said, why a URL
    is malformed, how long a timeout waited."""
    refused = _closed_port()
    waf = _page("网站防火墙", "<p>您的请求已被网站管理员设置拦截！</p>")
    routes = {
        "/deleted.html": Route(200, _page("页面不存在_示例县人民政府", "<p>返回首页</p>")),
        "/files/old.doc": Route(200, _page("", "<p>对不起，您访问的信息已删除！</p>")),
        "/gone.html": Route(
            200,
            "<html><head><meta charset='utf-8'></head><body>"
            "<script>alert('该信息不存在或已删除');history.back();</script>".encode(),
        ),
        "/guarded.html": Route(403, waf),
        "/slow.html": Route(200, _page("慢", "慢"), delay=3.0),
        # what a page shows is crawled text: the report prints it, never runs it
        "/evil.html": Route(200, _page("页面不存在<script>alert(1)</script>", "")),
    }
    with RouteServer(routes) as server:
        plain = server.url.removeprefix("http://")
        routes["/"] = Route(
            200,
            _page(
                "首页",
                "<a href='/deleted.html'>已删除</a><a href='/files/old.doc'>旧附件</a>"
                "<a href='/gone.html'>弹窗</a><a href='/guarded.html'>被拦截</a>"
                "<a href='/slow.html'>很慢</a><a href='/evil.html'>恶意标题</a>"
                f"<a href='http://127.0.0.1:{refused}/x.html'>拒绝连接</a>"
                f"<a href='https://{plain}tls.html'>只有HTTP的端口</a>"
                "<a href='http://a b.gov.cn/x.html'>主机名有空格</a>"
                "<a href='http://www.example.gov.cn:99999/'>端口错误</a>"
                "<a href='file:///D:/公文/附件.doc'>本机文件</a>",
            ),
        )
        db = f"sqlite:///{tmp_path / 'g.db'}"
        config = _config(tmp_path, server.url)
        govwatch("crawl", "-c", str(config), "--db", db, *fast_with(DOWNLOAD_TIMEOUT=1))
    findings = findings_json(config, db, today_local())
    text = govwatch("findings", "-c", str(config), "--db", db).stdout
    assert f"{server.url}deleted.html (位于 首页) — 页面标题为“页面不存在_示例县人民政府”" in text
    for lang in ("zh", "en"):
        govwatch(
            "report", "-c", str(config), "--db", db, "--out", str(tmp_path / lang), "--lang", lang
        )
    dead = {f["url"].removeprefix(server.url): f for f in findings if f["kind"] == "dead_link"}
    assert {url: f["error"] for url, f in dead.items()} == {
        "deleted.html": "soft_404",
        "files/old.doc": "soft_404",
        "gone.html": "soft_404",
        "guarded.html": "blocked",
        "slow.html": "timeout",
        "evil.html": "soft_404",
        f"http://127.0.0.1:{refused}/x.html": "connection_refused",
        f"https://{plain}tls.html": "tls",
        "http://a b.gov.cn/x.html": "malformed_url",
        "http://www.example.gov.cn:99999/": "malformed_url",
        "file:///D:/公文/附件.doc": "malformed_url",
    }
    # the JSON keeps what the crawl recorded, the words of the page included
    assert "页面不存在_示例县人民政府" in dead["deleted.html"]["error_detail"]
    assert "took longer than 1.0 seconds" in dead["slow.html"]["error_detail"]

    def whys(lang: str) -> dict[str, str]:
        tree = lxml_html.fromstring((tmp_path / lang / "links.html").read_bytes())
        assert not tree.xpath("//script")
        return {
            str(row.xpath("string(td[1]/a)")).removeprefix(server.url): str(
                row.xpath("string(td[2]/div[@class='muted why'])")
            )
            for row in tree.xpath("//table[@class='links']/tr[td]")
        }

    zh = whys("zh")
    assert zh["deleted.html"] == "页面标题为“页面不存在_示例县人民政府”"
    assert zh["files/old.doc"] == "页面提示“对不起，您访问的信息已删除！”"
    assert zh["gone.html"] == "页面脚本弹出“该信息不存在或已删除”后跳走"
    assert zh["guarded.html"] == "防火墙拦截或验证页面：“网站防火墙”"
    assert zh["slow.html"] == "1 秒内没有应答"
    assert zh["evil.html"] == "页面标题为“页面不存在<script>alert(1)</script>”"
    assert zh[f"http://127.0.0.1:{refused}/x.html"] == "服务器拒绝连接：该端口上没有运行网站服务"
    assert zh[f"https://{plain}tls.html"].startswith("HTTPS 握手失败")
    assert zh["http://a b.gov.cn/x.html"] == "主机名中含有不允许的字符（如空格）"
    assert zh["http://www.example.gov.cn:99999/"] == "端口不是 1–65535 之间的数字"
    assert zh["file:///D:/公文/附件.doc"] == "指向编辑人员本机上的文件，不是网上的地址"
    en = whys("en")
    assert en["deleted.html"] == "its title reads “页面不存在_示例县人民政府”"
    assert en["slow.html"] == "no answer within 1 s"
    assert en["http://www.example.gov.cn:99999/"] == "the port is not a number from 1 to 65535"
    with (tmp_path / "zh" / "links.csv").open(encoding="utf-8-sig") as handle:
        table = list(csv.reader(handle))
    assert table[0][3] == "原因"
    assert {row[3] for row in table[1:] if row[1].endswith("deleted.html")} == {zh["deleted.html"]}


def test_interrupted_crawl_keeps_the_last_complete_view(tmp_path: Path) -> None:
    slow_pages = {f"/p{i}.html": Route(200, _html(f"第{i}页"), delay=0.5) for i in range(40)}
    links = "".join(f'<a href="/p{i}.html">第{i}页链接</a>' for i in range(40))
    routes: dict[str, Route] = {"/": Route(200, _html('<a href="/gone.html">死链</a>'))}
    with RouteServer(routes) as server:
        config = _config(tmp_path, server.url)
        db_path = tmp_path / "g.db"
        db = f"sqlite:///{db_path}"
        govwatch("crawl", "-c", str(config), "--db", db, *FAST)
        first = findings_json(config, db, today_local())
        routes.update(slow_pages)
        routes["/"] = Route(200, _html(links))  # the dead link is gone in the new crawl
        child = subprocess.Popen(
            [sys.executable, "-m", "crawler.main", "-c", str(config), "--site", "edge", "--db", db],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with sqlite3.connect(db_path) as conn:
                started = conn.execute(
                    "select count(*) from runs where status='running'"
                ).fetchone()[0]
            if started:
                break
            time.sleep(0.05)
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        after = findings_json(config, db, today_local())
        with sqlite3.connect(db_path) as conn:
            assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        govwatch("crawl", "-c", str(config), "--db", db, *FAST)
        with sqlite3.connect(db_path) as conn:
            statuses = [row[0] for row in conn.execute("select status from runs order by id")]
        final = findings_json(config, db, today_local())
    assert [f["url"] for f in first] == [f"{server.url}gone.html"]
    assert after == first  # the killed run never replaces the complete one
    assert statuses == ["complete", "incomplete", "complete"]
    assert final == []


def test_suspected_becomes_definite_across_crawls_and_fixes_are_dated(tmp_path: Path) -> None:
    routes: dict[str, Route] = {
        "/": Route(
            200,
            _html(
                "<a href='/flaky.html'>有时出错的页面</a><a href='/gone.html'>死链</a>"
                "<a href='/soft.html'>软404页面</a>"
            ),
        ),
        "/flaky.html": Route(503, _html("忙")),
        "/soft.html": Route(200, _html("<h1>对不起，您访问的页面不存在！</h1>")),
    }
    with RouteServer(routes) as server:
        config = _config(tmp_path, server.url)
        db = f"sqlite:///{tmp_path / 'g.db'}"
        govwatch("crawl", "-c", str(config), "--db", db, *FAST)
        first = {
            f["url"].removeprefix(server.url): f for f in findings_json(config, db, today_local())
        }
        govwatch("crawl", "-c", str(config), "--db", db, *FAST)
        second = {
            f["url"].removeprefix(server.url): f for f in findings_json(config, db, today_local())
        }
        routes["/gone.html"] = Route(200, _html("恢复了"))
        govwatch("crawl", "-c", str(config), "--db", db, *FAST)
        govwatch("report", "-c", str(config), "--db", db, "--out", str(tmp_path / "out"))
    assert first["soft.html"]["error"] == "soft_404"
    assert first["soft.html"]["status"] == 200
    assert (first["flaky.html"]["definite"], first["flaky.html"]["new"]) == (False, True)
    assert first["gone.html"]["definite"] is True
    assert second["flaky.html"]["definite"] is True  # failed in two crawls in a row
    assert second["flaky.html"]["consecutive_failures"] == 2
    assert second["flaky.html"]["new"] is False
    links = (tmp_path / "out" / "links.html").read_text(encoding="utf-8")
    assert "已修复的链接" in links and "gone.html" in links.split("已修复的链接")[1]


def test_retry_after_is_honoured_and_a_recovered_link_is_not_reported(tmp_path: Path) -> None:
    busy = Route(
        503, _html("请稍后再试"), {"Retry-After": "1"}, then=Route(200, _html("好了")), times=1
    )
    routes = {"/": Route(200, _html("<a href='/busy.html'>繁忙的页面</a>")), "/busy.html": busy}
    with RouteServer(routes) as server:
        config = _config(tmp_path, server.url)
        db = f"sqlite:///{tmp_path / 'g.db'}"
        govwatch("crawl", "-c", str(config), "--db", db, *FAST)
        findings = findings_json(config, db, today_local())
        tries = [t for path, t in server.times if path == "/busy.html"]
    assert findings == []
    assert len(tries) == 2
    assert tries[1] - tries[0] >= 0.9  # the server asked for a second: it got one


def test_retry_after_dates() -> None:
    from datetime import UTC, datetime

    from crawler.middlewares import retry_after_seconds

    now = datetime(2024, 7, 20, 10, 0, tzinfo=UTC)
    assert retry_after_seconds(b"120", now) == 120.0
    assert retry_after_seconds(b"Sat, 20 Jul 2024 10:00:30 GMT", now) == 30.0
    assert retry_after_seconds(b"soon", now) is None
    assert retry_after_seconds(None, now) is None


def test_a_hanging_link_is_tried_twice_and_suspected(tmp_path: Path) -> None:
    routes = {
        "/": Route(200, _html("<a href='/hang.html'>不响应的页面</a><a href='/busy.html'>忙</a>")),
        "/hang.html": Route(200, _html("太慢了"), delay=3),
        "/busy.html": Route(503, _html("忙")),
    }
    settings = [
        "-s",
        "DOWNLOAD_TIMEOUT=1",
        "-s",
        "RETRY_TIMES=2",
        "-s",
        "GOVWATCH_RETRY_BACKOFF=0.1",
    ]
    with RouteServer(routes) as server:
        config = _config(tmp_path, server.url)
        db = f"sqlite:///{tmp_path / 'g.db'}"
        govwatch("crawl", "-c", str(config), "--db", db, *settings)
        findings = findings_json(config, db, today_local())
        hang_tries = [p for _, p in server.requests if p == "/hang.html"]
        busy_tries = [p for _, p in server.requests if p == "/busy.html"]
        asked = len(server.requests)
        govwatch("crawl", "-c", str(config), "--db", db, *settings)
        second = findings_json(config, db, today_local())
        hang_again = [p for _, p in server.requests[asked:] if p == "/hang.html"]
    dead = {f["url"].removeprefix(server.url): f for f in findings}
    assert (dead["hang.html"]["error"], dead["hang.html"]["definite"]) == ("timeout", False)
    assert len(hang_tries) == 2  # GOVWATCH_TIMEOUT_RETRIES: one retry for a timeout
    assert len(busy_tries) >= 3  # other transient faults: RETRY_TIMES retries
    # The next crawl checks it again once (it timed out in every try last time): confirmed.
    again = {f["url"].removeprefix(server.url): f for f in second}
    assert (again["hang.html"]["error"], again["hang.html"]["definite"]) == ("timeout", True)
    assert len(hang_again) == 1


def test_a_page_read_after_a_plain_text_error_or_redirect_has_its_links_checked(
    tmp_path: Path,
) -> None:
    # Busy servers and WAFs answer 503/429 in text/plain, and redirects often carry no HTML:
    # the page the retry or the redirect reaches must still be read for its links.
    plain = {"Content-Type": "text/plain"}
    page = Route(200, _html("<a href='/after-retry-dead.html'>失效链接一</a>"))
    moved_to = Route(200, _html("<a href='/after-redirect-dead.html'>失效链接二</a>"))
    routes = {
        "/": Route(200, _html("<a href='/busy.html'>繁忙页</a><a href='/moved.html'>迁移页</a>")),
        "/busy.html": Route(503, b"busy", plain, then=page, times=1),
        "/moved.html": Route(301, b"moved", {**plain, "Location": "/new.html"}),
        "/new.html": moved_to,
    }
    with RouteServer(routes) as server:
        config = _config(tmp_path, server.url)
        db = f"sqlite:///{tmp_path / 'g.db'}"
        govwatch("crawl", "-c", str(config), "--db", db, *FAST, "-s", "GOVWATCH_WORKERS=1")
        findings = findings_json(config, db, today_local())
    dead = {
        f["url"].removeprefix(server.url.rstrip("/")) for f in findings if f["kind"] == "dead_link"
    }
    assert dead == {"/after-retry-dead.html", "/after-redirect-dead.html"}


def test_an_attachment_whose_server_hangs_on_head_is_asked_by_get(tmp_path: Path) -> None:
    """Some servers never answer HEAD for a download (a browser asks by GET): the second try
    of a HEAD that timed out is a GET, and so is the next crawl's check of such a link."""
    pdf = Route(200, b"%PDF-1.4", {"Content-Type": "application/pdf"}, head_delay=4)
    links = "<a href='/files/report.pdf'>年度报告</a><a href='/files/gone.pdf'>无响应的附件</a>"
    routes = {
        "/": Route(200, _html(links)),
        "/files/report.pdf": pdf,
        "/files/gone.pdf": Route(200, b"%PDF-1.4", {"Content-Type": "application/pdf"}, delay=3),
    }
    settings = fast_with(DOWNLOAD_TIMEOUT=1, GOVWATCH_HEDGE_STUCK=False)
    with RouteServer(routes) as server:
        config = _config(tmp_path, server.url)
        db = f"sqlite:///{tmp_path / 'g.db'}"
        govwatch("crawl", "-c", str(config), "--db", db, *settings)
        asked = [m for m, p in server.requests if p == "/files/report.pdf"]
        findings = findings_json(config, db, today_local())
        before = len(server.requests)
        govwatch("crawl", "-c", str(config), "--db", db, *settings)
        rechecked = [m for m, p in server.requests[before:] if p == "/files/gone.pdf"]
        # Hedged (the default): the second try goes while the first HEAD still hangs.
        hedged_db = f"sqlite:///{tmp_path / 'h.db'}"
        govwatch("crawl", "-c", str(config), "--db", hedged_db, *fast_with(DOWNLOAD_TIMEOUT=2))
        hedged = findings_json(config, hedged_db, today_local())
    # The HEADs that hung (the small client's, the crawl's first try), then one GET.
    assert set(asked[:-1]) == {"HEAD"}
    assert asked[-1] == "GET"
    for found in (findings, hedged):
        assert [(f["url"].removeprefix(server.url), f["error"]) for f in found] == [
            ("files/gone.pdf", "timeout")
        ]
    assert rechecked == ["GET"]  # last night's timeout: its one try tonight, by GET


def test_a_site_answering_http_and_https_is_read_once(tmp_path: Path) -> None:
    """A site that serves its pages by both schemes (a mirror, a move to https halfway done):
    one link to the https spelling must not re-crawl the whole site under it, nor report every
    dead link twice; a page only the https spelling reaches is still read."""
    nav = "<a href='/news/'>新闻</a><a href='/about.html'>概况</a><a href='/gone.html'>旧页</a>"
    routes = {
        "/news/": Route(200, _html(nav + "<a href='/news/1.html'>一条新闻</a>")),
        "/news/1.html": Route(200, _html(nav + "正文")),
        "/about.html": Route(200, _html(nav + "<a href='/about/staff.html'>领导</a>")),
        "/about/staff.html": Route(200, _html(nav + "领导")),
        # reached only by its https spelling; its own dead link is a finding
        "/portal.html": Route(200, _html(nav + "<a href='/portal-only-dead.html'>门户死链</a>")),
    }
    for count in (1, 2):  # one process, and two that share the frontier
        with RouteServer(routes, tls=self_signed(tmp_path), plain_too=True) as server:
            port = server.httpd.server_address[1]
            secure = f"https://127.0.0.1:{port}/"
            routes["/"] = Route(200, _html(nav + f"<a href='{secure}portal.html'>门户</a>"))
            db = f"sqlite:///{tmp_path / f'w{count}.db'}"
            config = _config(tmp_path, f"http://127.0.0.1:{port}/")
            govwatch("crawl", "-c", str(config), "--db", db, *fast_with(GOVWATCH_WORKERS=count))
            findings = findings_json(config, db, today_local())
            gets = [p for m, p in server.requests if m == "GET"]
        dead = {f["url"]: sorted(f["sources"]) for f in findings if f["kind"] == "dead_link"}
        plain = f"http://127.0.0.1:{port}/"
        assert dead == {
            # the template's dead link, on every page as read (by http)
            plain + "gone.html": [
                plain,
                *(
                    plain + page
                    for page in ("about.html", "about/staff.html", "news/", "news/1.html")
                ),
            ],
            # the portal page, read by https: its own links, as a browser there follows them
            secure + "gone.html": [secure + "portal.html"],
            secure + "portal-only-dead.html": [secure + "portal.html"],
        }
        # each page read once: the pages the portal's https links lead to are not read again
        # (their https spellings are fetched, to check them, and no further)
        assert gets.count("/news/1.html") == 1, gets
        assert gets.count("/about/staff.html") == 1, gets


def test_a_server_that_refuses_fast_clients_with_403_is_slowed_not_reported(
    tmp_path: Path,
) -> None:
    """nginx ``limit_req_status 403`` (or a firewall's CC protection): asked too fast, the
    server answers 403 to pages that are there. They are not dead links: the crawl slows the
    server down and asks again."""
    pages = {f"/p/{n}.html": Route(200, _html(f"第{n}篇")) for n in range(40)}
    routes = {
        "/": Route(200, _html("".join(f"<a href='/p/{n}.html'>第{n}篇</a>" for n in range(40)))),
        **pages,
        "/secret.pdf": Route(403),  # forbidden for real: a finding still
    }
    routes["/p/7.html"] = Route(200, _html("<a href='/secret.pdf'>内部文件</a>"))
    with RouteServer(routes, rate_limit=20) as server:
        config = _config(tmp_path, server.url)
        db = f"sqlite:///{tmp_path / 'g.db'}"
        settings = fast_with(GOVWATCH_REFUSAL_MIN_DELAY=0.05, GOVWATCH_WORKERS=1)
        govwatch("crawl", "-c", str(config), "--db", db, *settings)
        findings = findings_json(config, db, today_local())
        refused = list(server.refused)
    assert refused, "the crawl never met the rate limit: the test proves nothing"
    dead = {f["url"].removeprefix(server.url): f for f in findings if f["kind"] == "dead_link"}
    assert set(dead) == {"secret.pdf"}, sorted(dead)
    # forbidden for real, on a server known to refuse fast clients: reported, suspected until
    # the next night confirms it
    assert dead["secret.pdf"]["status"] == 403
    assert dead["secret.pdf"]["error"] == "blocked"
    assert dead["secret.pdf"]["definite"] is False


def _peak_per_second(arrivals: list[float]) -> int:
    """The most requests that arrived within any one second."""
    ordered = sorted(arrivals)
    start, peak = 0, 0
    for end, t in enumerate(ordered):
        while t - ordered[start] >= 1.0:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def test_a_server_that_answers_too_many_requests_is_slowed_not_reported(
    tmp_path: Path,
) -> None:
    """nginx ``limit_req`` with ``limit_req_status 429``, on the site's own server and on
    another site's: asked too fast, both answer 429 (Retry-After: 1) to URLs that are there.
    The crawl slows each down to what it allows and asks again: no link is reported but a file
    forbidden for real (403 on every try: the limiter says 429), and the limiters are not asked
    at hundreds a second for the rest of the crawl."""
    limit = 20
    with RouteServer(
        {f"/doc/{n}.html": Route(200, _html(f"文件{n}")) for n in range(60)},
        rate_limit=limit,
        limit_status=429,
    ) as other:
        links = "".join(f"<a href='{other.url}doc/{n}.html'>文件{n}</a>" for n in range(60))
        pages = {f"/p/{n}.html": Route(200, _html(f"第{n}篇")) for n in range(40)}
        listing = "".join(f"<a href='/p/{n}.html'>第{n}篇</a>" for n in range(40))
        routes = {"/": Route(200, _html(listing + links)), **pages, "/secret.pdf": Route(403)}
        routes["/p/7.html"] = Route(200, _html("<a href='/secret.pdf'>内部文件</a>"))
        with RouteServer(routes, rate_limit=limit, limit_status=429) as server:
            config = _config(tmp_path, server.url)
            db = f"sqlite:///{tmp_path / 'g.db'}"
            settings = fast_with(GOVWATCH_REFUSAL_MIN_DELAY=0.05)
            log = govwatch("crawl", "-c", str(config), "--db", db, "-v", *settings).stderr
            findings = findings_json(config, db, today_local())
            own = (len(server.requests), list(server.refused), list(server.arrived))
        external = (len(other.requests), list(other.refused), list(other.arrived))
    assert own[1] and external[1], "a limiter never refused: the test proves nothing"
    assert "too many requests" in log.lower()
    dead = [f for f in findings if f["kind"] == "dead_link"]
    assert [(f["url"], f["status"], f["error"], f["definite"]) for f in dead] == [
        (f"{server.url}secret.pdf", 403, None, True)
    ]
    for asked, refused, times in (own, external):
        # slowed down at the first bursts: most requests are answered, and once the crawl has
        # found the pace (a second and a half), it keeps within the limit
        assert len(refused) < asked / 2, (len(refused), asked)
        assert _peak_per_second([t for t in times if t > min(times) + 1.5]) <= limit


def test_a_server_that_limits_connections_is_asked_one_request_at_a_time(
    tmp_path: Path,
) -> None:
    """nginx ``limit_conn`` (403 past two requests in flight) on another site's server whose
    answers take a while: a slower pace alone leaves the crawl's processes and its HEAD-then-GET
    tries overlapping there. Once it refuses in a burst, each process asks it one request at a
    time, and none of its files is reported."""
    with RouteServer(
        {f"/doc/{n}.pdf": Route(200, b"%PDF-1.4", delay=0.3) for n in range(40)},
        connection_limit=2,
    ) as other:
        links = "".join(f"<a href='{other.url}doc/{n}.pdf'>文件{n}</a>" for n in range(40))
        with RouteServer({"/": Route(200, _html(links))}) as server:
            config = _config(tmp_path, server.url)
            db = f"sqlite:///{tmp_path / 'g.db'}"
            settings = fast_with(GOVWATCH_REFUSAL_MIN_DELAY=0.05)
            govwatch("crawl", "-c", str(config), "--db", db, *settings)
            findings = findings_json(config, db, today_local())
        refused_at, asked = list(other.refused_at), list(other.arrived)
    assert refused_at, "the server never refused: the test proves nothing"
    assert [f["url"] for f in findings if f["kind"] == "dead_link"] == []
    # refused in the first burst (before anything was answered), hardly ever after it
    late = [t for t in refused_at if t > min(asked) + 1.0]
    assert len(late) <= 3, (len(late), len(refused_at), len(asked))


@pytest.mark.parametrize("busy", [False, True])
def test_real_403s_linked_together_stay_definite(tmp_path: Path, busy: bool) -> None:
    """A page that links a folder of forbidden files is a burst of 403s too, from a server that
    answers everything else: they are real dead links, definite at once. So they are when a
    page linked first says 429 once ("busy") and then 200: its retry getting through proves
    no limit on the 403s (it confirmed one: every 403 was reported blocked, not dead, and the
    site was asked at two requests a second for the rest of the night)."""
    files = {f"/secret/{n}.pdf": Route(403) for n in range(12)}
    links = "".join(f"<a href='/secret/{n}.pdf'>内部文件{n}</a>" for n in range(12))
    others = "".join(f"<a href='/p/{n}.html'>第{n}篇</a>" for n in range(20))
    routes = {
        "/": Route(200, _html(links + "<a href='/p/index.html'>文章</a>")),
        # a slow list: the files are all refused before its pages answer (a burst, whatever the
        # machine's speed), and its pages answer before the refused files are retried twice
        "/p/index.html": Route(200, _html(others), delay=1.0),
        **files,
        **{f"/p/{n}.html": Route(200, _html(f"第{n}篇")) for n in range(20)},
    }
    if busy:
        routes["/"] = Route(
            200, _html("<a href='/busy.html'>通知</a>" + links + "<a href='/p/index.html'>文章</a>")
        )
        routes["/busy.html"] = Route(429, _html("请稍后再试"), then=Route(200, _html("通知")))
    with RouteServer(routes) as server:
        config = _config(tmp_path, server.url)
        db = f"sqlite:///{tmp_path / 'g.db'}"
        started = time.monotonic()
        settings = fast_with(GOVWATCH_WORKERS=1)
        log = govwatch("crawl", "-c", str(config), "--db", db, "-v", *settings).stderr
        took = time.monotonic() - started
        findings = findings_json(config, db, today_local())
    dead = {f["url"].removeprefix(server.url): f for f in findings if f["kind"] == "dead_link"}
    assert set(dead) == {f"secret/{n}.pdf" for n in range(12)}
    assert all(f["status"] == 403 and f["error"] is None and f["definite"] for f in dead.values())
    # suspected for a moment (the burst), cleared by its retries refused again (with the busy
    # page's first answer among the files', a burst is likely, not certain)
    assert "403 refusals in a burst" in log or busy
    assert "real 403s" in log or "403 refusals in a burst" not in log
    assert took < 30


def test_a_page_not_read_under_one_scheme_is_read_under_the_other(tmp_path: Path) -> None:
    """The homepage's spelling of a page fails (a site half moved to https); the https spelling
    another page links works: it is read, and the dead link on it found."""
    routes = {
        "/about.html": Route(
            200, _html("<a href='/about/gone.html'>失效页面</a>"), plain_status=404
        ),
        "/portal.html": Route(200, _html("<a href='/about.html'>概况</a>")),
    }
    with RouteServer(routes, tls=self_signed(tmp_path), plain_too=True) as server:
        port = server.httpd.server_address[1]
        secure = f"https://127.0.0.1:{port}/"
        routes["/"] = Route(
            200, _html(f"<a href='/about.html'>概况</a><a href='{secure}portal.html'>门户</a>")
        )
        db = f"sqlite:///{tmp_path / 'g.db'}"
        config = _config(tmp_path, f"http://127.0.0.1:{port}/")
        govwatch("crawl", "-c", str(config), "--db", db, *fast_with(GOVWATCH_WORKERS=1))
        findings = findings_json(config, db, today_local())
    dead = {f["url"]: sorted(f["sources"]) for f in findings if f["kind"] == "dead_link"}
    plain = f"http://127.0.0.1:{port}/"
    assert dead == {
        plain + "about.html": [plain],
        secure + "about/gone.html": [secure + "about.html"],
    }


def test_real_403s_on_another_server_clear_the_suspicion_too(tmp_path: Path) -> None:
    """Another site's server, its good answers all by the small client: a URL of those is its
    control, so its real 403s clear the suspicion (a suspicion left standing slowed every
    later link to that server to two a second)."""
    files = {f"/secret/{n}.pdf": Route(403) for n in range(12)}
    ok = {
        f"/ok/{n}.pdf": Route(200, b"%PDF", {"Content-Type": "application/pdf"}) for n in range(20)
    }
    with RouteServer({**files, **ok}) as other:
        links = "".join(f"<a href='{other.url}ok/{n}.pdf'>文件{n}</a>" for n in range(20))
        links += "".join(f"<a href='{other.url}secret/{n}.pdf'>内部{n}</a>" for n in range(12))
        with RouteServer({"/": Route(200, _html(links))}) as server:
            config = _config(tmp_path, server.url)
            db = f"sqlite:///{tmp_path / 'g.db'}"
            settings = fast_with(GOVWATCH_WORKERS=1)
            log = govwatch("crawl", "-c", str(config), "--db", db, "-v", *settings).stderr
            findings = findings_json(config, db, today_local())
    dead = {f["url"].removeprefix(other.url): f for f in findings if f["kind"] == "dead_link"}
    assert set(dead) == {f"secret/{n}.pdf" for n in range(12)}
    if "403 refusals in a burst" in log:  # suspected: then cleared, not left standing
        assert "real 403s" in log
    assert all(f["status"] == 403 and f["error"] is None for f in dead.values())


def _home_for_missing_site(missing: Route) -> dict[str, Route]:
    home = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>测试市人民政府</title></head>"
        "<body><h1>测试市人民政府</h1><p>见<a href='/news/1.html'>第一篇工作动态</a>、"
        "<a href='/index.htm'>网站首页</a>、<a href='/info/1001/9999.htm'>已删除的文章</a>和"
        "<a href='/files/gone.pdf'>已删除的附件</a>。<img src='/img/gone.png' alt=''></p>"
        + "<p>测试市人民政府门户网站。</p>" * 20
        + "</body></html>"
    ).encode()
    return {
        "/": Route(200, home),
        "/index.htm": Route(301, headers={"Location": "/"}),
        "/news/1.html": Route(200, _html("<h1>第一篇工作动态</h1><p>发布日期：2024-07-01</p>")),
        "/*": missing,  # every URL the site does not have
    }


def test_a_site_that_sends_missing_urls_home_still_has_dead_links(tmp_path: Path) -> None:
    """博达-style sites redirect every missing URL to the homepage, others answer it with the
    homepage itself: a link that lands there is dead, unless it is a spelling of the homepage."""
    for missing in (
        Route(302, headers={"Location": "/"}),
        Route(200, _home_for_missing_site(Route(404))["/"].body),
    ):
        with RouteServer(_home_for_missing_site(missing)) as server:
            case = tmp_path / str(missing.status)
            case.mkdir()
            config = _config(case, server.url)
            db = f"sqlite:///{case / 'g.db'}"
            govwatch("crawl", "-c", str(config), "--db", db, *FAST)
            findings = findings_json(config, db, today_local())
        dead = {f["url"].removeprefix(server.url): f for f in findings if f["kind"] == "dead_link"}
        assert set(dead) == {"info/1001/9999.htm", "files/gone.pdf", "img/gone.png"}, (
            missing.status,
            sorted(dead),
        )
        assert all(f["error"] == "soft_404" for f in dead.values())


def test_the_homepage_where_it_really_is_is_never_missing(tmp_path: Path) -> None:
    """A homepage at /portal/index.shtml on a site that answers any missing URL with it: links
    to it (with a query, or its folder) are the homepage, not dead links; others are dead."""
    home = (
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>测试市人民政府</title></head>"
        "<body><h1>测试市人民政府</h1><p>见<a href='/portal/index.shtml?lang=zh'>中文版</a>、"
        "<a href='/portal/'>门户首页</a>和<a href='/info/9999.htm'>已删除的文章</a>。</p>"
        + "<p>测试市人民政府门户网站。</p>" * 20
        + "</body></html>"
    ).encode()
    routes = {"/portal/index.shtml": Route(200, home), "/*": Route(200, home)}
    with RouteServer(routes) as server:
        config = _config(tmp_path, f"{server.url}portal/index.shtml")
        db = f"sqlite:///{tmp_path / 'g.db'}"
        govwatch("crawl", "-c", str(config), "--db", db, *FAST)
        findings = findings_json(config, db, today_local())
    dead = [f["url"].removeprefix(server.url) for f in findings if f["kind"] == "dead_link"]
    assert dead == ["info/9999.htm"], findings


def _owned_by(partition: int, origin: str, pattern: str) -> str:
    """The first path of ``pattern`` (with {n}) that ``partition`` of two owns at ``origin``."""
    return next(
        path for n in range(100) if owner_of(origin + (path := pattern.format(n=n)), 2) == partition
    )


@pytest.mark.parametrize(("home_owner", "article_owner"), [(0, 0), (0, 1), (1, 0), (1, 1)])
def test_an_article_the_homepage_lists_under_both_schemes_is_read_once(
    tmp_path: Path, home_owner: int, article_owner: int
) -> None:
    """The homepage lists one article twice, by http and by https (a move to https halfway
    done), without dates: it is read once to date both, under the spelling named first, and
    its dead link is reported once, under that scheme, whichever processes own the homepage
    and the article (the lead reads the homepage's column; its owner, its links)."""
    article = _html("<h1>标题</h1><p>发布时间：2026-11-20</p><a href='/gone.pdf'>附件</a>")
    routes: dict[str, Route] = {}
    with RouteServer(routes, tls=self_signed(tmp_path), plain_too=True) as server:
        port = server.httpd.server_address[1]
        plain, secure = f"http://127.0.0.1:{port}", f"https://127.0.0.1:{port}"
        home = _owned_by(home_owner, plain, "/portal{n}/")
        path = _owned_by(article_owner, plain, "/news/{n}.html")
        items = "".join(
            f"<li><a href='{base}{path}'>关于开展冬季安全生产检查的通知</a></li>"
            for base in (plain, secure)
        )
        routes[home] = Route(
            200, _html(f"<ul>{items}<li><a href='/x.html'>其他通知标题</a></li></ul>")
        )
        routes[path] = Route(200, article, delay=1.0)  # the lead hands it over late
        routes["/x.html"] = Route(200, _html("<p>发布时间：2026-11-19</p>"))
        db = f"sqlite:///{tmp_path / 'g.db'}"
        config = _config(tmp_path, plain + home)
        govwatch("crawl", "-c", str(config), "--db", db, *fast_with(GOVWATCH_WORKERS=2))
        findings = findings_json(config, db, today_local())
        gets = [p for m, p in server.requests if m == "GET"]
    assert gets.count(path) == 1, gets
    dead = [f["url"] for f in findings if f["kind"] == "dead_link"]
    assert dead == [f"{plain}/gone.pdf"]


def test_a_page_larger_than_any_page_read_is_there_not_dead(tmp_path: Path) -> None:
    """A 专题 page of 3 MB when pages are read up to 1 MB (DOWNLOAD_MAXSIZE): it answers 200,
    as a browser shows it; its text is not read. It was an `error`, definite by the second
    night."""
    big = _html("<p>" + "专题内容" * 300_000 + "</p>")
    routes = {
        "/": Route(200, _html("<a href='/zt/big.html'>大型专题</a><a href='/gone.html'>失效</a>")),
        "/zt/big.html": Route(200, big),
    }
    with RouteServer(routes) as server:
        db = f"sqlite:///{tmp_path / 'g.db'}"
        config = _config(tmp_path, server.url)
        govwatch("crawl", "-c", str(config), "--db", db, *fast_with(DOWNLOAD_MAXSIZE=1_000_000))
        findings = findings_json(config, db, today_local())
    assert len(big) > 1_000_000
    dead = {f["url"].removeprefix(server.url) for f in findings if f["kind"] == "dead_link"}
    assert dead == {"gone.html"}
    with sqlite3.connect(tmp_path / "g.db") as conn:
        rows = conn.execute(
            "select status, error from link_checks where url_key like 'http%/zt/big.html'"
        ).fetchall()
    assert rows == [(200, None)]
    # The operator is told its links went unchecked: a warning, never a dead link.
    unread = [f for f in findings if f["kind"] == "unread_page"]
    assert [(f["url"].removeprefix(server.url), f["definite"]) for f in unread] == [
        ("zt/big.html", False)
    ]


def test_a_streamed_or_compressed_page_too_large_to_read_is_there_not_dead(
    tmp_path: Path,
) -> None:
    """The same page without a Content-Length (streamed as it is made) and gzipped (3 MB
    that arrives as a few KB): each was cancelled past DOWNLOAD_MAXSIZE, an error and a
    suspected dead link, definite by the second night. Both answer 200, unread, with the
    warning; an attachment that large is no page and gets none."""
    big = _html("<a href='/inner-gone.html'>内页</a><p>" + "专题内容" * 300_000 + "</p>")
    routes = {
        "/": Route(
            200,
            _html(
                "<a href='/zt/streamed.html'>专题一</a><a href='/zt/packed.html'>专题二</a>"
                "<a href='/files/big.zip'>附件</a><a href='/gone.html'>失效</a>"
            ),
        ),
        "/zt/streamed.html": Route(200, big, streamed=True),
        "/zt/packed.html": Route(200, gzip.compress(big), {"Content-Encoding": "gzip"}),
        "/files/big.zip": Route(
            200, b"PK" + bytes(1_100_000), {"Content-Type": "application/zip"}, streamed=True
        ),
    }
    with RouteServer(routes) as server:
        db = f"sqlite:///{tmp_path / 'g.db'}"
        config = _config(tmp_path, server.url)
        govwatch("crawl", "-c", str(config), "--db", db, *fast_with(DOWNLOAD_MAXSIZE=1_000_000))
        findings = findings_json(config, db, today_local())
        govwatch("report", "-c", str(config), "--db", db, "--out", str(tmp_path / "out"))
    dead = {f["url"].removeprefix(server.url) for f in findings if f["kind"] == "dead_link"}
    assert dead == {"gone.html"}, findings
    links = lxml_html.fromstring((tmp_path / "out" / "links.html").read_text(encoding="utf-8"))
    rows = {
        str(row.xpath("string(td[1]/a)")).removeprefix(server.url): (
            str(row.xpath("string(td[2]/text()[1])")).strip(),
            str(row.xpath("string(td[3]/span)")),
            str(row.xpath("string(td[2]/div[@class='muted why'])")),
        )
        for row in links.xpath("//table[@class='links']//tr[td]")
    }
    # (as much of it as the crawl read: it stopped at the limit)
    assert rows["zt/streamed.html"] == (
        "页面过大，未读取，其中的链接未检查",
        "警告",
        "页面至少 1 MB，超过读取上限 0.95 MB",
    )
    assert rows["gone.html"][1] == "确定"
    overview = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "zt/streamed.html" not in overview  # not counted among dead links
    unread = {f["url"].removeprefix(server.url) for f in findings if f["kind"] == "unread_page"}
    assert unread == {"zt/streamed.html", "zt/packed.html"}
    with sqlite3.connect(tmp_path / "g.db") as conn:
        rows = conn.execute(
            "select url_key, status, error from link_checks where url_key like '%/zt/%'"
            " and url_key like 'http%' order by url_key"
        ).fetchall()
    assert [(key.removeprefix(server.url), status, error) for key, status, error in rows] == [
        ("zt/packed.html", 200, None),
        ("zt/streamed.html", 200, None),
    ]


def test_a_page_too_large_to_read_is_told_every_night_until_it_is_read(tmp_path: Path) -> None:
    """An unchanged page (304 before the crawl) keeps its warning on the nights after; once
    it is small enough to read, the warning goes and the dead link it hid is found."""
    big = _html("<a href='/inner-gone.html'>内页</a><p>" + "专题内容" * 300_000 + "</p>")
    routes = {
        "/": Route(200, _html("<a href='/zt/big.html'>大型专题</a>")),
        "/zt/big.html": Route(200, big),
    }
    nights = []
    with RouteServer(routes, etags=True) as server:
        db = f"sqlite:///{tmp_path / 'g.db'}"
        config = _config(tmp_path, server.url)
        for night in range(3):
            if night == 2:
                routes["/zt/big.html"] = Route(200, _html("<a href='/inner-gone.html'>内页</a>"))
            govwatch("crawl", "-c", str(config), "--db", db, *fast_with(DOWNLOAD_MAXSIZE=1_000_000))
            findings = findings_json(config, db, today_local())
            nights.append(sorted((f["kind"], f["url"].removeprefix(server.url)) for f in findings))
        conditional = list(server.conditional)
    assert "/zt/big.html" in conditional  # the second night asked it by its ETag: unchanged
    assert nights == [
        [("unread_page", "zt/big.html")],
        [("unread_page", "zt/big.html")],
        [("dead_link", "inner-gone.html")],
    ]
