"""HEAD answers proved by GET before they are believed (crawler.headtrust), on a real crawl."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from crawler.headtrust import HeadTrust, Trust, proof_url, scope_of
from monitor.assessments import today_local
from tests.conftest import fast_with, findings_json, govwatch
from tests.httpkit import Route, RouteServer

PDF = {"Content-Type": "application/pdf"}


def test_a_proof_settles_a_server_either_way() -> None:
    trust = HeadTrust()
    assert trust.trust("a") is Trust.UNKNOWN
    assert trust.start_proof("a") and not trust.start_proof("a")  # one proof a server
    assert trust.proved("a", 404) is Trust.HONEST and trust.trust("a") is Trust.HONEST
    assert trust.proved("b", None) is Trust.HONEST  # a failed proof proves no lie
    assert trust.proved("c", 200) is Trust.LIAR
    assert HeadTrust(enabled=False).trust("d") is Trust.HONEST
    assert scope_of("http://x.gov.cn:8080/files/2024/a.pdf") == "x.gov.cn:8080/files/"
    assert scope_of("http://x.gov.cn/a.pdf") == "x.gov.cn/"
    made_up = proof_url("http://x.gov.cn/files/2024/年报.pdf?v=1")
    assert made_up.startswith("http://x.gov.cn/files/2024/govwatch-surely-missing-")
    assert made_up.endswith(".pdf") and "?" not in made_up


def _crawl(tmp_path: Path, routes: dict[str, Route], name: str) -> tuple[set[str], list[str]]:
    """The dead links found, and the requests the server saw ("METHOD /path")."""
    with RouteServer(routes) as server:
        config = tmp_path / f"{name}.yaml"
        config.write_text(
            f"sites:\n  - {{id: h, name: 核验站, home: '{server.url}', discover: false}}\n",
            encoding="utf-8",
        )
        db = f"sqlite:///{tmp_path / f'{name}.db'}"
        govwatch("crawl", "-c", str(config), "--db", db, *fast_with(GOVWATCH_WORKERS=1))
        findings = findings_json(config, db, today_local())
        dead = {f["url"].removeprefix(server.url) for f in findings if f["kind"] == "dead_link"}
        return dead, [f"{m} {p}" for m, p in server.requests]


def _two_nights(
    tmp_path: Path, links: str, other: RouteServer
) -> list[tuple[list[dict[str, Any]], list[tuple[str, str]]]]:
    """Two nights' crawls of a site whose homepage carries ``links`` (to ``other``): each
    night's findings, and the requests ``other`` saw that night."""
    html = {"Content-Type": "text/html; charset=utf-8"}
    site = {"/": Route(200, f"<html><body>{links}</body></html>".encode(), html)}
    nights = []
    with RouteServer(site) as server:
        config = tmp_path / "site.yaml"
        config.write_text(
            f"sites:\n  - {{id: h, name: 核验站, home: '{server.url}', discover: false}}\n",
            encoding="utf-8",
        )
        db = f"sqlite:///{tmp_path / 'g.db'}"
        for _ in range(2):
            before = len(other.requests)
            govwatch("crawl", "-c", str(config), "--db", db, *fast_with(GOVWATCH_WORKERS=1))
            nights.append((findings_json(config, db, today_local()), other.requests[before:]))
    return nights


def test_a_server_whose_head_lies_has_its_links_checked_by_get(tmp_path: Path) -> None:
    """A HEAD that says 200 for a file the GET says is missing (a proxy's or a framework's
    generic HEAD route): its dead attachments are found all the same, though another folder of
    the server, proved first, answers HEAD honestly."""
    files = {f"/files/{n}.pdf": Route(200, b"%PDF-1.4", PDF) for n in range(10)}
    # anything else under /files/ is missing, though HEAD says it is there
    files["/files/*"] = Route(404, b"<html>404</html>", PDF, head_status=200)
    png = {"Content-Type": "image/png"}
    files.update({f"/uploads/{n}.png": Route(200, b"\x89PNG", png) for n in range(3)})
    images = "".join(f"<img src='/uploads/{n}.png'>" for n in range(3))
    links = "".join(f"<a href='/files/{n}.pdf'>附件{n}</a>" for n in range(12))
    routes = {
        "/": Route(
            200, f"<html><body>{images}<a href='/more.html'>更多</a></body></html>".encode()
        ),
        # read after the homepage's images are checked: /uploads/ is proved first
        "/more.html": Route(200, f"<html><body>{links}</body></html>".encode()),
        **files,
    }
    dead, _ = _crawl(tmp_path, routes, "liar")
    assert dead == {"files/10.pdf", "files/11.pdf"}


def test_an_honest_server_costs_one_proof(tmp_path: Path) -> None:
    files = {f"/files/{n}.pdf": Route(200, b"%PDF-1.4", PDF) for n in range(10)}
    links = "".join(f"<a href='/files/{n}.pdf'>附件{n}</a>" for n in range(10))
    routes = {"/": Route(200, f"<html><body>{links}</body></html>".encode()), **files}
    dead, methods = _crawl(tmp_path, routes, "honest")
    assert dead == set()
    # the homepage and the site's surely-missing page by GET; the links and one proof by HEAD
    gets = [r for r in methods if r.startswith("GET ")]
    heads = [r for r in methods if r.startswith("HEAD ")]
    assert len(gets) == 2 and len(heads) == 11, methods
    assert sum("/files/govwatch-surely-missing-" in r for r in heads) == 1  # its proof


def test_another_sites_missing_pages_that_answer_200_are_found(tmp_path: Path) -> None:
    """Another government site answers a missing page with 200: one with its homepage (what it
    answers any unknown URL with), one folder with a short "页面不存在" page. Its HEAD says 200
    for a URL that surely is not there, so its links are asked by GET, and the answers are
    judged as the site's own are: like its answer to that surely-missing URL, or saying so.
    Its homepage, linked too, is its homepage."""
    html = {"Content-Type": "text/html; charset=utf-8"}
    home = (
        "<html><head><title>某某县人民政府</title></head><body><h1>某某县人民政府</h1>"
        + "".join(
            f"<p><a href='/news/{n}.html'>要闻{n}：全县推进重点项目建设</a></p>" for n in range(12)
        )
        + "</body></html>"
    ).encode()
    gone = (
        "<html><head><title>提示</title></head><body><div class='msg'>"
        "<h3>对不起，您访问的页面不存在或已被删除！</h3><a href='/'>返回首页</a></div></body></html>"
    ).encode()
    routes = {
        "/": Route(200, home, html),
        **{
            f"/news/{n}.html": Route(
                200,
                f"<html><head><title>要闻{n}</title></head><body><h1>要闻{n}</h1>"
                f"<p>{'全县推进重点项目建设，' * 40}</p></body></html>".encode(),
                html,
            )
            for n in range(3)
        },
        "/zwgk/*": Route(200, gone, html),
        "/*": Route(200, home, html),  # any other URL: the homepage
    }
    with RouteServer(routes) as other:
        links = "".join(f"<a href='{other.url}news/{n}.html'>要闻{n}</a>" for n in range(5))
        links += "".join(f"<a href='{other.url}zwgk/{n}.html'>公开{n}</a>" for n in range(2))
        links += f"<a href='{other.url}'>某某县</a><a href='{other.url}index.html'>首页</a>"
        nights = _two_nights(tmp_path, links, other)  # the next rechecks them before any proof
    for findings, _ in nights:
        dead = {
            f["url"].removeprefix(other.url): f["error"]
            for f in findings
            if f["kind"] == "dead_link"
        }
        assert dead == {
            "news/3.html": "soft_404",
            "news/4.html": "soft_404",
            "zwgk/0.html": "soft_404",
            "zwgk/1.html": "soft_404",
        }


def test_a_tiny_page_another_site_says_is_there_is_asked_by_get(tmp_path: Path) -> None:
    """Another site's server that answers HEAD honestly (its surely-missing URL is a 404) may
    still answer 200 with a few hundred bytes and nothing to revalidate them by: a deleted
    article's "已被删除" stub, a firewall's challenge that started after the proof. Those are
    asked by GET and judged by what they say; a real page, or a small one with a
    Last-Modified, is believed from its HEAD alone."""
    html = {"Content-Type": "text/html; charset=utf-8"}
    article = (
        "<html><head><title>要闻</title></head><body><h1>要闻</h1>"
        f"<p>{'全县推进重点项目建设，' * 400}</p></body></html>"
    ).encode()
    stub = (
        "<html><head><title>提示</title></head><body><h3>对不起，该信息已被删除！</h3>"
        "</body></html>"
    ).encode()
    challenge = (
        "<html><head><title>安全验证</title></head><body><script>var t='waf_challenge';"
        "document.cookie='wafv=1';location.reload();</script></body></html>"
    ).encode()
    dated = {**html, "Last-Modified": "Tue, 14 Nov 2023 22:13:20 GMT"}
    routes = {
        "/news/big.html": Route(200, article, html),
        "/news/small.html": Route(200, b"<html><body><p>short</p></body></html>", dated),
        "/news/old.html": Route(200, stub, html),
        "/news/guarded.html": Route(200, challenge, html),
        # a firewall in front of it from the next night on (its first answer, a HEAD, is fine)
        "/news/later.html": Route(200, article, html, then=Route(200, challenge, html)),
    }
    with RouteServer(routes) as other:
        links = "".join(
            f"<a href='{other.url}news/{name}.html'>{name}</a>"
            for name in ("big", "small", "old", "guarded", "later")
        )
        nights = _two_nights(tmp_path, links, other)  # the next one's pre-pass asks by HEAD
    expected = {"news/old.html": "soft_404", "news/guarded.html": "blocked"}
    for night, (findings, requests) in enumerate(nights):
        dead = {
            f["url"].removeprefix(other.url): f["error"]
            for f in findings
            if f["kind"] == "dead_link"
        }
        assert dead == (expected if night == 0 else {**expected, "news/later.html": "blocked"})
        gets = {path for method, path in requests if method == "GET"}
        gets = {path for path in gets if "govwatch-surely-missing-" not in path}
        assert gets == {"/news/old.html", "/news/guarded.html"} | (
            {"/news/later.html"} if night else set()
        ), requests
