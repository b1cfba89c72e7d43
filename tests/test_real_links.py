"""Crawls of pages built the way real government sites build them (TRS, 大汉 jcms, 集约化
templates, old GBK county sites), on a scripted server on 127.0.0.1, through the real CLI."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from monitor.assessments import today_local
from tests.conftest import FAST, findings_json, govwatch
from tests.httpkit import Route, RouteServer

PDF = {"Content-Type": "application/pdf"}
PNG = {"Content-Type": "image/png"}


def _html(body: str, head: str = "") -> bytes:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"
    ).encode()


def _crawl(tmp_path: Path, server: RouteServer, report: bool = False) -> list[dict[str, Any]]:
    config = tmp_path / "site.yaml"
    config.write_text(
        f"sites:\n  - {{id: real, name: 真实站点, home: '{server.url}'}}\n", encoding="utf-8"
    )
    db = f"sqlite:///{tmp_path / 'g.db'}"
    govwatch("crawl", "-c", str(config), "--db", db, *FAST)
    if report:
        govwatch("report", "-c", str(config), "--db", db, "--out", str(tmp_path / "out"))
    return findings_json(config, db, today_local())


def _dead(findings: list[dict[str, Any]], server: RouteServer) -> dict[str, dict[str, Any]]:
    return {
        f["url"].removeprefix(server.url.rstrip("/")): f
        for f in findings
        if f["kind"] == "dead_link"
    }


def test_a_meta_refresh_homepage_is_followed_and_links_are_read_as_a_browser(
    tmp_path: Path,
) -> None:
    # The domain's index.html only sends the browser on to the portal (集约化 platforms, 大汉
    # /col/col1/index.html homepages): the site behind it must be crawled and judged.
    routes = {
        "/": Route(
            200, _html("", "<meta http-equiv='Refresh' content='0; URL=/portal/index.html'>")
        ),
        "/portal/index.html": Route(
            200,
            _html(
                "<a href='..\\files\\2024\\附件.pdf'>附件（反斜杠）</a>"
                "<img srcset='/img/p.jpg?x-oss-process=image/resize,w_400 1x,"
                " /img/p.jpg?x-oss-process=image/resize,w_800 2x'>"
                "<table background='/images/gone-bg.jpg'><tr><td>栏目</td></tr></table>"
                "<img class='lazy' src='/img/p.jpg' data-original='/uploads/gone-photo.jpg'>"
                "<object><param name='movie' value='/flash/gone.swf'></object>"
                "<a href='http://'>未填写的链接</a><a href='/gone.html'>失效页面</a>"
            ),
        ),
        "/files/2024/附件.pdf": Route(200, b"%PDF", PDF),
        "/img/p.jpg": Route(200, b"JPG", PNG),
    }
    with RouteServer(routes) as server:
        findings = _crawl(tmp_path, server)
        asked = {path for _, path in server.requests}
    dead = _dead(findings, server)
    assert {url: (f["status"], f["error"]) for url, f in dead.items()} == {
        "/gone.html": (404, None),
        "/images/gone-bg.jpg": (404, None),
        "/uploads/gone-photo.jpg": (404, None),
        "/flash/gone.swf": (404, None),
        "http://": (None, "malformed_url"),
    }
    assert dead["/gone.html"]["sources"] == [f"{server.url}portal/index.html"]
    # The browser's requests, not "/portal/../files/..." nor "/img/p.jpg?...resize" cut at a comma.
    assert "/files/2024/%E9%99%84%E4%BB%B6.pdf" in asked
    assert not any(".." in path or "\\" in path for path in asked)
    assert "/img/p.jpg?x-oss-process=image/resize,w_800" in asked
    with sqlite3.connect(tmp_path / "g.db") as conn:
        home = conn.execute("select url from column_observations where is_homepage").fetchone()
    assert home == (f"{server.url}portal/index.html",)


WAF_PAGE = (
    "<html><head><title>网站防火墙</title></head><body><p>您的请求带有不合法参数，"
    "已被网站管理员设置拦截！</p><p>可能原因：您提交的内容包含危险的攻击请求</p></body></html>"
).encode()

CHALLENGE_412 = (
    b"<html><head><meta content='{qqqq}'><script r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts={};"
    b"$_ts.nsd=1;</script><script src='/abc/x.js' r='m'></script></head><body></body></html>"
)
CHALLENGE_521 = (
    b"<html><body><script>document.cookie=('_')+('_')+('j')+('s')+('l')+('=')+(-~[]+'');"
    b"location.href=location.pathname+location.search</script></body></html>"
)


def test_firewalls_missing_page_redirects_and_articles_about_404(tmp_path: Path) -> None:
    routes = {
        "/": Route(
            200,
            _html(
                "<a href='/zwgk/waf.html'>被防火墙拦截的页面</a>"
                "<a href='/files/waf.pdf'>被拦截的附件</a><a href='/busy.html'>限流</a>"
                "<a href='/zwgk/deleted.html'>已删除的文章</a>"
                "<a href='/files/deleted.doc'>已删除的附件</a>"
                "<a href='/zwgk/article.html'>关于清理404死链的通知</a>"
                "<a href='/files/challenged.pdf'>瑞数</a><a href='/zwgk/jsl.html'>加速乐</a>"
            ),
        ),
        # A WAF answers 403 (and refuses HEAD with 405) with its block page: not a missing page.
        "/zwgk/waf.html": Route(403, WAF_PAGE),
        "/files/waf.pdf": Route(403, WAF_PAGE, head_status=405),
        # JS challenges: 412 with a $_ts bootstrap (to HEAD too), 521 with a cookie script.
        "/files/challenged.pdf": Route(412, CHALLENGE_412),
        "/zwgk/jsl.html": Route(521, CHALLENGE_521),
        "/busy.html": Route(429, b"Too Many Requests", {"Content-Type": "text/plain"}),
        # The site sends every missing URL to its error page, which answers 200.
        "/govwatch-surely-missing-*": Route(302, headers={"Location": "/404.html"}),
        "/zwgk/deleted.html": Route(302, headers={"Location": "/404.html"}),
        "/files/deleted.doc": Route(302, headers={"Location": "/404.html"}),
        "/404.html": Route(200, _html("<img src='/images/404.png'>", "<title>404</title>")),
        "/images/404.png": Route(200, b"PNG", PNG),
        "/zwgk/article.html": Route(
            200,
            _html(
                "<h1>关于清理404死链的通知</h1><p>发布时间：2024-07-01</p>"
                "<p>各单位：近期检查发现部分页面不存在，出现404 Not Found错误，请及时整改。</p>",
                "<title>关于清理404死链的通知</title>",
            ),
        ),
    }
    with RouteServer(routes) as server:
        findings = _crawl(tmp_path, server, report=True)
    dead = _dead(findings, server)
    outcome = {url: (f["status"], f["error"], f["definite"]) for url, f in dead.items()}
    assert outcome == {
        "/zwgk/waf.html": (403, "blocked", False),  # a same-site 403, but a firewall's
        "/files/waf.pdf": (403, "blocked", False),
        "/busy.html": (429, "blocked", False),
        "/files/challenged.pdf": (412, "blocked", False),
        "/zwgk/jsl.html": (521, "blocked", False),
        "/zwgk/deleted.html": (200, "soft_404", False),
        "/files/deleted.doc": (200, "soft_404", False),
    }
    assert dead["/files/deleted.doc"]["final_url"] == f"{server.url}404.html"
    # The report says what the status does not: a 200 that is not the page, a firewall's 403.
    links = (tmp_path / "out" / "links.html").read_text(encoding="utf-8")
    # (a deleted page sent to the site's error page: where it was sent, not what that says)
    assert f"HTTP 200（软404：被跳转至 {server.url}404.html）" in links
    assert "HTTP 403（被防火墙拦截或限流）" in links


def test_a_site_that_answers_every_unknown_url_with_its_homepage(tmp_path: Path) -> None:
    # A script-built portal (or a CMS that routes everything to its index) answers any path
    # with the homepage: "looks like the answer to a missing URL" proves nothing there, and
    # the homepage itself is never "missing", whichever answer comes first.
    home = _html(
        "<div id='app'></div><a href='/about.html'>关于我们</a><a href='/gone.pdf'>附件</a>",
        "<title>某某市人民政府</title>",
    )
    routes = {
        "/*": Route(200, home),
        "/": Route(200, home, delay=0.3),  # after the surely-missing URL's answer
        "/gone.pdf": Route(404, b"", PDF),
    }
    with RouteServer(routes) as server:
        findings = _crawl(tmp_path, server)
    assert [(f["kind"], f["url"], f["status"]) for f in findings] == [
        ("dead_link", f"{server.url}gone.pdf", 404)
    ]


def test_a_head_that_cannot_be_believed_is_asked_again_by_get(tmp_path: Path) -> None:
    # A missing attachment answered by the site's HTML "页面不存在" page with status 200 (TRS
    # sites do this), a file whose HEAD says 200 without a type while GET says 404, and a
    # download page for a file (HTML, but not an error): HEAD alone calls all three fine.
    missing = _html("<div class='main'><p>抱歉，您访问的页面不存在或已被删除！</p></div>")
    landing = _html(
        "<h1>附件下载：2026年政府信息公开工作年度报告</h1><p>"
        + "本页面提供年度报告全文下载，请点击下方链接获取PDF文件。" * 3
        + "</p><a href='/files/report-full.pdf'>下载</a>"
    )
    routes = {
        "/": Route(
            200,
            _html(
                "<a href='/xwdt/'>新闻动态</a>"
                "<a href='/files/gone.pdf'>已删除的附件</a>"
                "<a href='/files/lying.doc'>HEAD 不可信的附件</a>"
                "<a href='/files/report.pdf'>年度报告</a>"
                "<a href='/files/real.pdf'>真实的附件</a>",
                "<title>示例市人民政府</title>",
            ),
        ),
        "/xwdt/": Route(200, _html("<ul><li><a href='/xwdt/1.html'>一</a> 2026-11-20</li></ul>")),
        "/xwdt/1.html": Route(200, _html("<p>正文</p>")),
        "/files/gone.pdf": Route(200, missing, {"Content-Type": "text/html; charset=utf-8"}),
        "/files/lying.doc": Route(404, b"", head_status=200),
        "/files/report.pdf": Route(200, landing, {"Content-Type": "text/html; charset=utf-8"}),
        "/files/report-full.pdf": Route(200, b"%PDF-1.4", PDF),
        "/files/real.pdf": Route(200, b"%PDF-1.4", PDF),
    }
    with RouteServer(routes) as server:
        findings = _crawl(tmp_path, server)
    dead = _dead(findings, server)
    assert set(dead) == {"/files/gone.pdf", "/files/lying.doc"}
    assert (dead["/files/gone.pdf"]["status"], dead["/files/gone.pdf"]["error"]) == (
        200,
        "soft_404",
    )
    assert (dead["/files/lying.doc"]["status"], dead["/files/lying.doc"]["definite"]) == (404, True)
    asked = server.requests
    # Only the answers not believed were asked again; the real file's HEAD stood.
    assert ("GET", "/files/gone.pdf") in asked and ("GET", "/files/lying.doc") in asked
    assert ("GET", "/files/real.pdf") not in asked


def test_a_blank_page_is_a_soft_404(tmp_path: Path) -> None:
    """A deleted article's template, or a server script that failed, answers 200 with nothing:
    the visitor sees a blank page. A script-built page is not blank; a file is not a page."""
    routes = {
        "/": Route(
            200,
            _html(
                "<a href='/zwgk/blank.html'>空白页</a><a href='/zwgk/spaces.jsp?id=3'>只有空白</a>"
                "<a href='/zwgk/app.html'>脚本页面</a><a href='/files/empty.txt'>空文本</a>"
                "<a href='/zwgk/ok.html'>正常页面</a>"
            ),
        ),
        "/zwgk/blank.html": Route(200, b"", {"Content-Type": "text/html"}),
        "/zwgk/spaces.jsp": Route(200, b" \r\n\t\r\n", {"Content-Type": "text/html; charset=GBK"}),
        "/zwgk/app.html": Route(200, b"<div id='app'></div><script src='/js/app.js'></script>"),
        "/js/app.js": Route(200, b"render();", {"Content-Type": "application/javascript"}),
        "/files/empty.txt": Route(200, b"", {"Content-Type": "text/plain"}),
        "/zwgk/ok.html": Route(200, _html("<p>正文</p>")),
    }
    with RouteServer(routes) as server:
        findings = _crawl(tmp_path, server)
    dead = _dead(findings, server)
    outcome = {url: (f["status"], f["error"], f["definite"]) for url, f in dead.items()}
    assert outcome == {
        "/zwgk/blank.html": (200, "soft_404", False),
        "/zwgk/spaces.jsp?id=3": (200, "soft_404", False),
    }


def test_files_guarded_against_hotlinking_answer_the_crawl_as_a_visitor(tmp_path: Path) -> None:
    """nginx ``valid_referers server_names``: a site's pictures and attachments answer 403 to a
    request that does not come from one of its pages. A browser sends the page as Referer; so
    does the crawl, and nothing is reported, on the first night or on the next."""
    guarded = ("127.0.0.1",)
    routes = {
        "/": Route(200, _html("<a href='/zwgk/a.html'>政务公开</a><img src='/uploads/logo.png'>")),
        "/zwgk/a.html": Route(
            200,
            _html(
                "<img src='/uploads/p.jpg'><a href='/uploads/f.pdf'>附件</a>"
                "<a href='/uploads/gone.pdf'>失效附件</a><a href='/uploads/h.pdf'>附件二</a>"
            ),
        ),
        "/uploads/logo.png": Route(200, b"PNG", PNG, referers=guarded),
        "/uploads/p.jpg": Route(200, b"JPG", PNG, referers=guarded),
        "/uploads/f.pdf": Route(200, b"%PDF", PDF, referers=guarded),
        # HEAD refused: asked again by GET, from the same page
        "/uploads/h.pdf": Route(200, b"%PDF", PDF, referers=guarded, head_status=405),
    }
    with RouteServer(routes) as server:
        first = _crawl(tmp_path, server)
        second = _crawl(tmp_path, server)
        sent = {(path, referer) for method, path, referer in server.referers}
    # Not once refused on the second night either: its pre-pass asks as the crawl asks.
    files = [path for _, path, referer in server.referers if path.startswith("/uploads/")]
    assert files and not [p for _, p, referer in server.referers if p in files and not referer]
    for findings in (first, second):
        dead = _dead(findings, server)
        assert {url: f["status"] for url, f in dead.items()} == {"/uploads/gone.pdf": 404}
    # the linking page's URL, as a browser sends it (the homepage's for the homepage's links)
    assert ("/uploads/p.jpg", f"{server.url}zwgk/a.html") in sent
    assert {r for _, p, r in server.referers if p == "/uploads/h.pdf"} == {
        f"{server.url}zwgk/a.html"
    }
    assert ("/uploads/logo.png", server.url) in sent


def test_a_link_sent_to_its_sites_homepage_is_a_soft_404(tmp_path: Path) -> None:
    """A deleted article or attachment redirected home (on this site or another, which answers
    a made-up URL with a 404 all the same): not the page linked. A homepage spelling that goes
    home, or a folder's redirect to its index, is fine."""
    with RouteServer(
        {
            "/news/old.html": Route(302, headers={"Location": "/"}),
            "/files/old.doc": Route(302, headers={"Location": "/"}),
            "/": Route(200, _html("外站")),
        }
    ) as other:
        routes = {
            "/": Route(
                200,
                _html(
                    "<a href='/art/2019/1/1/art_99_1.html'>已删除的文章</a>"
                    "<a href='/index.htm'>首页</a><a href='/zwgk'>政务公开</a>"
                    f"<a href='{other.url}news/old.html'>外站旧闻</a>"
                    f"<a href='{other.url}files/old.doc'>外站附件</a>"
                    "<a href='/files/gone.pdf'>已删除的附件</a>"
                ),
            ),
            "/art/2019/1/1/art_99_1.html": Route(302, headers={"Location": "/"}),
            "/files/gone.pdf": Route(302, headers={"Location": "/"}),
            "/index.htm": Route(301, headers={"Location": "/"}),
            "/zwgk": Route(301, headers={"Location": "/zwgk/"}),
            "/zwgk/": Route(200, _html("<p>政务公开</p>")),
        }
        with RouteServer(routes) as server:
            findings = _crawl(tmp_path, server)
    dead = {
        f["url"].removeprefix(server.url): (f["status"], f["error"], f["definite"])
        for f in findings
        if f["kind"] == "dead_link"
    }
    assert dead == {
        "art/2019/1/1/art_99_1.html": (200, "soft_404", False),
        f"{other.url}news/old.html": (200, "soft_404", False),
        f"{other.url}files/old.doc": (200, "soft_404", False),
        "files/gone.pdf": (200, "soft_404", False),
    }


def test_a_real_403_elsewhere_is_judged_with_the_referer_its_control_needs(
    tmp_path: Path,
) -> None:
    """Another site's real 403 is judged by asking again a URL that server answered (its
    control): a hotlink-guarded picture, answered only to a request from a page of ours. Asked
    as a visitor's browser asks it, it answers, and the 403 stays a plain one, not a ban."""
    guarded = {"/img/hot.jpg": Route(200, b"JPG", PNG, referers=("127.0.0.1",))}
    with RouteServer({**guarded, "/ext/forbidden.html": Route(403, b"Forbidden")}) as other:
        routes = {
            "/": Route(
                200,
                _html(f"<img src='{other.url}img/hot.jpg'><a href='/zwgk/a.html'>政务公开</a>"),
            ),
            "/zwgk/a.html": Route(
                200,
                _html(f"<a href='{other.url}ext/forbidden.html'>外站页面</a>"),
                delay=0.5,  # read after the picture is checked: the picture is the control
            ),
        }
        with RouteServer(routes) as server:
            findings = _crawl(tmp_path, server)
            controls = [r for m, p, r in other.referers if p == "/img/hot.jpg" and m == "GET"]
    dead = {f["url"].removeprefix(other.url): (f["status"], f["error"]) for f in findings}
    assert dead == {"ext/forbidden.html": (403, None)}
    assert all(referer == server.url for referer in controls)


def test_the_links_of_a_page_that_says_it_is_missing_are_not_the_sites(tmp_path: Path) -> None:
    """A deleted article's 200 "页面不存在" page, at a deep path, with its template's relative
    links: they resolve below a folder that does not exist. The page is a soft_404; its links
    are not checked (each would be a dead link of a page that is not there)."""
    template = "".join(f"<a href='sub{n}/index.html'>栏目{n}</a>" for n in range(5))
    routes = {
        "/": Route(200, _html("<a href='/news/2019/deleted.html'>旧文章</a>")),
        "/news/2019/deleted.html": Route(
            200, _html(f"<div class='nav'>{template}</div><p>对不起，您访问的页面不存在</p>")
        ),
    }
    with RouteServer(routes) as server:
        findings = _crawl(tmp_path, server)
        asked = {path for _, path in server.requests}
    dead = _dead(findings, server)
    assert {url: f["error"] for url, f in dead.items()} == {"/news/2019/deleted.html": "soft_404"}
    assert not any(path.startswith("/news/2019/sub") for path in asked)


def test_a_page_that_only_sends_the_visitor_on_is_judged_where_it_lands(tmp_path: Path) -> None:
    """A deleted article's stub that refreshes (a meta tag, a script) to the site's "页面不存在"
    page is that link's soft-404, named by its own anchor; a Refresh header and a backslashed
    Location go where a browser goes, a page that is there."""
    missing = _html("<p>抱歉，您访问的页面不存在。</p>", "<title>某某市人民政府</title>")
    routes = {
        "/": Route(
            200,
            _html(
                "<a href='/art/1.html'>已删除的文章一</a><a href='/art/2.html'>已删除的文章二</a>"
                "<a href='/moved.php'>迁移的页面</a><a href='/old.asp'>旧地址</a>"
            ),
        ),
        "/404.html": Route(200, missing),
        "/art/1.html": Route(
            200, _html("", "<meta http-equiv='refresh' content='0;url=/404.html'>")
        ),
        "/art/2.html": Route(200, _html("<script>window.location.href='/404.html';</script>")),
        "/moved.php": Route(200, b"", {"Content-Type": "text/html", "Refresh": "0; url=/new.html"}),
        "/old.asp": Route(301, headers={"Location": "\\new.html"}),
        "/new.html": Route(200, _html("<h1>新的页面</h1><p>正文</p>")),
    }
    with RouteServer(routes) as server:
        findings = _crawl(tmp_path, server)
    dead = _dead(findings, server)
    assert {url: (f["error"], f["definite"]) for url, f in dead.items()} == {
        "/art/1.html": ("soft_404", False),
        "/art/2.html": ("soft_404", False),
    }
    assert [o["text"] for o in dead["/art/1.html"]["occurrences"]] == ["已删除的文章一"]


def test_a_picture_answered_with_a_web_page_is_a_broken_picture(tmp_path: Path) -> None:
    """A hotlink guard's placeholder page ("禁止盗链"), or any web page, where a picture was
    linked: the visitor sees a broken picture. A picture, and a page linked as a page, are fine."""
    routes = {
        "/": Route(
            200,
            _html(
                "<img src='/img/hot.jpg' alt='占位'><img src='/img/ok.png' alt='图片'>"
                "<a href='/zwgk/a.html'>页面</a>"
            ),
        ),
        "/img/hot.jpg": Route(200, _html("<p>禁止盗链</p>", "<title>禁止盗链</title>")),
        "/img/ok.png": Route(200, b"\x89PNG", PNG),
        "/zwgk/a.html": Route(200, _html("<p>正文</p>")),
    }
    with RouteServer(routes) as server:
        findings = _crawl(tmp_path, server)
    dead = _dead(findings, server)
    assert {url: (f["error"], f["definite"]) for url, f in dead.items()} == {
        "/img/hot.jpg": ("soft_404", False)
    }
