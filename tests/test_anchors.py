"""Links to a place in a page (``page.html#part``): a missing place is a warning, not a dead
link, judged on the page as read in this crawl or, for an unchanged page, read again."""

from __future__ import annotations

from pathlib import Path

from lxml import html

from crawler.extract.links import anchor_names, extract_links, fragment_links, has_anchor
from monitor.assessments import today_local
from tests.conftest import FAST, findings_json, govwatch
from tests.httpkit import Route, RouteServer


def _doc(body: str) -> html.HtmlElement:
    return html.document_fromstring(f"<html><head></head><body>{body}</body></html>")


def test_fragment_links_name_their_page_and_place() -> None:
    doc = _doc(
        "<a href='#sec1'>本页第一节</a><a href='/zcwj/doc.html#第二条'>第二条</a>"
        "<a href='doc.html#%E7%AC%AC%E4%B8%89%E6%9D%A1'>第三条</a>"
        "<a href='#top'>返回顶部</a><a href='#'>空</a><a href='#!/list'>脚本路由</a>"
        "<a href='/file.pdf#page=3'>第3页</a><a href='javascript:void(0)#x'>脚本</a>"
        "<a href='/plain.html'>无锚点</a><area href='/map.html#north' alt='北区'>"
    )
    found = fragment_links(doc, "http://gov.example.cn/zcwj/index.html")
    assert [(f.page, f.fragment, f.text) for f in found] == [
        ("http://gov.example.cn/zcwj/index.html", "sec1", "本页第一节"),
        ("http://gov.example.cn/zcwj/doc.html", "第二条", "第二条"),
        ("http://gov.example.cn/zcwj/doc.html", "%E7%AC%AC%E4%B8%89%E6%9D%A1", "第三条"),
        ("http://gov.example.cn/map.html", "north", "北区"),
    ]
    # The links themselves are still checked without their fragment; "#x" alone is not a link.
    urls = [link.url for link in extract_links(doc, "http://gov.example.cn/zcwj/").links]
    assert "http://gov.example.cn/zcwj/doc.html" in urls
    assert not any("#" in url for url in urls)


def test_anchor_names_and_matching() -> None:
    names = anchor_names(_doc("<h2 id='第二条'>第二条</h2><a name='sec1'></a><div id=''></div>"))
    assert names == frozenset({"第二条", "sec1"})
    assert has_anchor(names, "sec1")
    assert has_anchor(names, "%E7%AC%AC%E4%BA%8C%E6%9D%A1")  # percent-encoded, as browsers
    assert not has_anchor(names, "sec2")
    assert not has_anchor(names, "SEC1")  # fragments are case-sensitive


def _page(body: str) -> Route:
    return Route(
        200,
        f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>".encode(),
    )


def test_missing_anchor_is_a_warning_in_every_crawl(tmp_path: Path) -> None:
    routes = {
        "/": _page(
            "<a href='/doc.html#art2'>第二条</a><a href='/doc.html#art9'>第九条</a>"
            "<a href='#toc'>目录</a><a href='#nowhere'>不存在的目录</a><div id='toc'></div>"
        ),
        "/doc.html": _page("<h2 id='art1'>第一条</h2><h2 id='art2'>第二条</h2>"),
    }
    with RouteServer(routes, etags=True) as server:
        config = tmp_path / "site.yaml"
        config.write_text(
            f"sites:\n  - {{id: anchors, name: 锚点测试站, home: '{server.url}', discover: false}}\n",
            encoding="utf-8",
        )
        db = f"sqlite:///{tmp_path / 'g.db'}"
        runs = []
        for _ in range(2):  # the second crawl finds both pages unchanged
            govwatch("crawl", "-c", str(config), "--db", db, *FAST)
            runs.append(findings_json(config, db, today_local()))
        govwatch("report", "-c", str(config), "--db", db, "--out", str(tmp_path / "out"))

    for findings in runs:
        assert sorted((f["kind"], f["url"], f["definite"]) for f in findings) == [
            ("missing_anchor", f"{server.url}#nowhere", False),
            ("missing_anchor", f"{server.url}doc.html#art9", False),
        ]
        art9 = next(f for f in findings if f["url"].endswith("#art9"))
        assert art9["error"] == "missing_anchor"
        assert art9["occurrences"] == [{"page": server.url, "tag": "a", "text": "第九条"}]
    report = (tmp_path / "out" / "links.html").read_text(encoding="utf-8")
    assert "页面中没有该锚点" in report and "警告" in report
    overview = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert "doc.html#art9" not in overview  # not counted among dead links
