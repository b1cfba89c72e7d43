"""A column page that is a hub of sub-columns (no dated items of its own) is no empty column."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from crawler.extract.html import HtmlElement, column_key, parse_html
from crawler.extract.navigation import frame_urls, hub_columns, navigation_links, sibling_keys
from monitor.assessments import today_local
from tests.conftest import FAST, findings_json, govwatch
from tests.httpkit import Route, RouteServer

HOME = "http://x.gov.cn/"


def _page(body: str) -> Route:
    return Route(
        200, f"<html><head><meta charset='utf-8'></head><body>{body}</body></html>".encode()
    )


def _links(pairs: list[tuple[str, str]]) -> HtmlElement:
    anchors = "".join(f"<a href='{url}'>{name}</a>" for name, url in pairs)
    return parse_html(f"<html><body><div class='main'>{anchors}</div></body></html>")


def _judged(tmp_path: Path, home: str) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Crawl the site at ``home`` (its columns discovered): its findings and its column tree."""
    config = tmp_path / "sites.yaml"
    config.write_text(
        f"sites:\n  - {{id: t, name: 测试县人民政府, home: '{home}'}}\n", encoding="utf-8"
    )
    db = f"sqlite:///{tmp_path / 'g.db'}"
    govwatch("crawl", "-c", str(config), "--db", db, *FAST)
    columns = govwatch("columns", "-c", str(config), "--db", db, "--site", "t", "--format", "json")
    return findings_json(config, db, today_local()), json.loads(columns.stdout)


def test_sub_columns_make_a_hub_and_siblings_or_articles_do_not() -> None:
    grid = [
        ("政策文件", "http://x.gov.cn/zwgk/zcwj/"),
        ("人事信息", "http://x.gov.cn/zwgk/rsxx/index.html"),
        ("财政资金", "http://x.gov.cn/zwgk/czzj/"),
    ]
    found = hub_columns(_links(grid), "http://x.gov.cn/zwgk/", HOME)
    assert [link.name for link in found] == ["政策文件", "人事信息", "财政资金"]
    siblings = [("新闻动态", "http://x.gov.cn/xwdt/"), ("通知公告", "http://x.gov.cn/tzgg/")]
    siblings.append(("政务服务", "http://x.gov.cn/zwfw/"))
    assert hub_columns(_links(siblings), "http://x.gov.cn/zwgk/", HOME) == []
    articles = [(f"第{n}批通知", f"http://x.gov.cn/zwgk/t2024{n}.html") for n in range(5)]
    assert hub_columns(_links(articles), "http://x.gov.cn/zwgk/", HOME) == []
    pages = [(f"第{n}页", f"http://x.gov.cn/zwgk/index_{n}.html") for n in range(1, 5)]
    assert hub_columns(_links(pages), "http://x.gov.cn/zwgk/", HOME) == []  # its own pages
    # two are enough when both sit below it (互动交流 → 在线访谈, 征集调查); one is too few in
    # a menu, and enough when it is what the page holds (互动交流 → 县长信箱)
    assert len(hub_columns(_links(grid[:2]), "http://x.gov.cn/zwgk/", HOME)) == 2
    menu = parse_html(
        "<html><body><div class='leftnav'><a href='/zwgk/zcwj/'>政策文件</a></div>"
        "<div class='main'><p>暂无信息</p></div></body></html>"
    )
    assert hub_columns(menu, "http://x.gov.cn/zwgk/", HOME) == []
    assert len(hub_columns(_links(grid[:1]), "http://x.gov.cn/zwgk/", HOME)) == 1
    assert hub_columns(_links(grid), "http://x.gov.cn/list.jsp?id=3", HOME) == []  # no folder
    # a 专题 page's grid of banners: each picture names its topic
    banners = parse_html(
        "<html><body><div class='zt'>"
        + "".join(
            f"<div class='zt-item'><a href='/ztzl/{slug}/'><img src='/i/{slug}.jpg' alt='{name}'>"
            "</a></div>"
            for slug, name in (
                ("yhyshj", "优化营商环境"),
                ("xczx", "乡村振兴"),
                ("wmcj", "文明创建"),
            )
        )
        + "</div></body></html>"
    )
    found = hub_columns(banners, "http://x.gov.cn/ztzl/", HOME)
    assert [link.name for link in found] == ["优化营商环境", "乡村振兴", "文明创建"]


def test_a_hub_column_is_a_parent_and_its_sub_columns_are_judged(tmp_path: Path) -> None:
    today = today_local().isoformat()
    names = {"zcwj": "政策文件", "rsxx": "人事信息", "czzj": "财政资金"}
    grid = "".join(
        f"<div class='box'><a href='/zwgk/{path}/'><img src='/i/{path}.png'>{name}</a></div>"
        for path, name in names.items()
    )
    routes = {
        "/": _page(
            "<div class='nav'><a href='/zwgk/'>政务公开</a><a href='/tzgg/'>通知公告</a></div>"
        ),
        # sub-column links beside a list that says it is empty: an empty column all the same
        # ...and a menu that links a column the homepage does not: still empty, not its parent
        "/tzgg/": _page(
            "<div class='menu'><a href='/bsfw/'>办事服务</a></div>"
            "<div class='box'><a href='/tzgg/a/'>甲类公告</a><a href='/tzgg/b/'>乙类公告</a>"
            "<a href='/tzgg/c/'>丙类公告</a></div><div class='list'>暂无信息</div>"
        ),
        "/bsfw/": _page(
            "<ul class='list'>"
            + "".join(
                f"<li><a href='/bsfw/t{n}.html'>办事指南第{n}条的标题</a><span>{today}</span></li>"
                for n in range(3)
            )
            + "</ul>"
        ),
        # a script for its menu's hover effect makes no list a script writes: a hub still
        "/zwgk/": _page(
            f"<div class='nav'><a href='/'>首页</a></div><div class='main'>{grid}"
            "<script>$('.box').hover(function () { $(this).addClass('on'); });</script></div>"
        ),
        "/i/*": Route(200, b"\x89PNG", {"Content-Type": "image/png"}),
    }
    for path, name in names.items():
        items = "".join(
            f"<li><a href='/zwgk/{path}/t{n}.html'>{name}第{n}条信息的标题</a><span>{today}</span></li>"
            for n in range(3)
        )
        routes[f"/zwgk/{path}/"] = _page(f"<ul class='list'>{items}</ul>")
        routes[f"/zwgk/{path}/t*"] = _page("<p>正文</p>")
    with RouteServer(routes) as server:
        findings, tree = _judged(tmp_path, server.url)
    assert [f["column"] for f in findings if f["kind"] == "empty_column"] == ["通知公告"]
    by_name = {row["name"]: row for row in tree}
    assert by_name["政务公开"]["state"] == "parent"
    assert by_name["通知公告"]["state"] == "empty"
    for name in names.values():
        assert by_name[name]["parent"] == "政务公开"
        assert by_name[name]["newest_date"] == today


def _flat(html: str, url: str = "http://x.gov.cn/col/col100/index.html") -> list[str]:
    doc = parse_html(f"<html><body>{html}</body></html>")
    return [link.name for link in hub_columns(doc, url, HOME)]


def test_a_flat_cms_hub_is_told_from_its_menus_by_the_groups_its_links_sit_in() -> None:
    """大汉-style columns all sit in /col/colN/: the URLs say nothing of the tree."""
    children = "".join(
        f"<a href='/col/col{n}/index.html'>{name}</a>"
        for n, name in ((101, "机构职能"), (102, "重点领域"), (103, "公示公告"))
    )
    assert _flat(f"<div class='gk_grid'>{children}</div>") == ["机构职能", "重点领域", "公示公告"]
    assert _flat(f"<div class='gk_grid'><ul>{children}</ul></div>") != []
    # a sidebar of sibling columns names the page itself; a site menu names the homepage
    mine = "<a href='/col/col100/index.html'>信息公开</a>"
    assert _flat(f"<div class='side'>{mine}{children}</div>") == []
    assert _flat(f"<div class='top'><a href='/'>首页</a>{children}</div>") == []
    assert _flat(f"<div class='top'><a href='/index.html'>网站首页</a>{children}</div>") == []
    # links in a region marked as navigation, or of another URL shape, are no sub-columns
    assert _flat(f"<div class='nav'>{children}</div>") == []
    others = "".join(f"<a href='/zw/{n}/'>栏目{n}号</a>" for n in range(3))
    assert _flat(f"<div class='box'>{others}</div>") == []
    # the homepage's menu links are the site's columns, not this page's
    doc = parse_html(f"<html><body><div class='box'>{children}</div></body></html>")
    menu = frozenset(column_key(f"http://x.gov.cn/col/col{n}/") for n in (101, 102, 103))
    assert hub_columns(doc, "http://x.gov.cn/col/col100/index.html", HOME, menu) == []
    # a column key without a number has no shape to share
    numbered = "".join(f"<a href='/lm{n}/'>栏目{n}号</a>" for n in range(3))
    assert _flat(f"<div class='box'>{numbered}</div>", "http://x.gov.cn/zwgk/") == []


def test_a_flat_hub_is_a_parent_and_a_flat_empty_column_stays_empty(tmp_path: Path) -> None:
    today = today_local().isoformat()
    children = {101: "机构职能", 102: "重点领域", 103: "公示公告"}
    menu = (
        "<div class='nav'><a href='/'>首页</a><a href='/col/col1/index.html'>信息公开</a>"
        "<a href='/col/col2/index.html'>通知公告</a><a href='/col/col3/index.html'>办事服务</a>"
        "</div>"
    )
    routes = {
        "/": _page(menu),
        "/col/col1/index.html": _page(
            menu
            + "<div class='gk_grid'>"
            + "".join(
                f"<a href='/col/col{n}/index.html'>{name}</a>" for n, name in children.items()
            )
            + "</div>"
        ),
        # empty, under a second bar of column links that names the homepage (a site menu)
        "/col/col2/index.html": _page(
            menu + "<div class='topbar'><a href='/index.html'>网站首页</a>"
            "<a href='/col/col21/index.html'>公示公示</a><a href='/col/col22/index.html'>人事公告</a>"
            "<a href='/col/col23/index.html'>招标公告</a></div><div class='right'></div>"
        ),
    }
    for n, name in {
        3: "办事服务",
        21: "公示公示",
        22: "人事公告",
        23: "招标公告",
        **children,
    }.items():
        items = "".join(
            f"<li><a href='/art/2026/1/{k}/art_{n}_{k}.html'>{name}第{k}条信息的标题</a>"
            f"<span>{today}</span></li>"
            for k in range(1, 4)
        )
        routes[f"/col/col{n}/index.html"] = _page(f"{menu}<ul class='list'>{items}</ul>")
    routes["/art/*"] = _page("<p>正文</p>")
    with RouteServer(routes) as server:
        findings, tree = _judged(tmp_path, server.url)
    assert [f["column"] for f in findings if f["kind"] == "empty_column"] == ["通知公告"]
    by_name = {row["name"]: row for row in tree}
    assert by_name["信息公开"]["state"] == "parent"
    assert by_name["通知公告"]["state"] == "empty"
    for name in children.values():
        assert by_name[name]["parent"] == "信息公开"
        assert by_name[name]["newest_date"] == today


def test_a_list_shown_in_a_frame_is_the_columns_list(tmp_path: Path) -> None:
    """信息公开 systems often show a column's list in an iframe of the column page: the visitor
    sees that list, so the column is judged by it (fresh, or empty by its "暂无信息"); a frame
    whose list a script fills stays unreadable, never empty."""
    today = today_local().isoformat()
    dated = "".join(
        f"<li><a href='/module/art.jsp?id={n}'>政府信息公开第{n}条信息的标题</a><span>{today}</span></li>"
        for n in range(3)
    )
    routes = {
        "/": _page(
            "<div class='nav'><a href='/xxgk/'>信息公开</a><a href='/tzgg/'>通知公告</a>"
            "<a href='/zcwj/'>政策文件</a></div>"
        ),
        "/xxgk/": _page("<iframe src='/module/list.jsp?cat=5' width='100%'></iframe>"),
        "/module/list.jsp?cat=5": _page(f"<ul class='list'>{dated}</ul>"),
        "/tzgg/": _page("<iframe src='/module/list.jsp?cat=6'></iframe>"),
        "/module/list.jsp?cat=6": _page("<div class='list'>暂无信息</div>"),
        "/zcwj/": _page("<iframe src='/module/list.jsp?cat=7'></iframe>"),
        "/module/list.jsp?cat=7": _page(
            "<div id='list'></div><script>$('#list').load('/module/data.jsp?cat=7');</script>"
        ),
        "/module/art.jsp": _page("<p>正文</p>"),
    }
    with RouteServer(routes) as server:
        findings, tree = _judged(tmp_path, server.url)
        # configured columns, nothing discovered: their frames are read all the same
        configured = tmp_path / "configured.yaml"
        configured.write_text(
            f"sites:\n  - id: frames\n    name: 框架县人民政府\n    home: {server.url}\n"
            f"    columns:\n      - {{name: 信息公开, url: '{server.url}xxgk/', category: policy}}\n",
            encoding="utf-8",
        )
        db2 = f"sqlite:///{tmp_path / 'g2.db'}"
        govwatch("crawl", "-c", str(configured), "--db", db2, *FAST)
        configured_tree = json.loads(
            govwatch(
                "columns",
                "-c",
                str(configured),
                "--db",
                db2,
                "--site",
                "frames",
                "--format",
                "json",
            ).stdout
        )
    assert [(row["name"], row["newest_date"]) for row in configured_tree] == [("信息公开", today)]
    by_name = {row["name"]: row for row in tree}
    assert by_name["信息公开"]["newest_date"] == today
    assert by_name["信息公开"]["item_count"] == 3
    assert by_name["通知公告"]["state"] == "empty"
    assert by_name["政策文件"]["state"] == "unreadable"
    kinds = {(f["kind"], f.get("column")) for f in findings if f["kind"] != "dead_link"}
    assert ("empty_column", "通知公告") in kinds
    assert ("column_unreadable", "政策文件") in kinds
    assert not any(column == "信息公开" for _, column in kinds)


def test_a_sidebars_dated_articles_and_archive_months_are_no_columns() -> None:
    """A column page's left bar (a navigation region) with a 最新信息 box of dated articles
    and a 信息归档 of months: neither makes sub-columns (each would be judged empty or stale);
    its menu of columns still does."""
    page = parse_html(
        "<html><body><div class='left'><div class='menu'>"
        "<a href='/czyjs/ys/'>预算</a><a href='/czyjs/js/'>决算</a></div>"
        "<div class='zxxx'><ul>"
        + "".join(
            f"<li><a href='/yw/{n}.html'>短标题{n}</a><span>2026-11-2{n}</span></li>"
            for n in range(3)
        )
        + "</ul></div><div class='gd'><ul>"
        + "".join(
            f"<li><a href='/czyjs/?month=2026-{m:02d}'>2026年{m}月</a></li>" for m in (11, 10, 9)
        )
        + "<li><a href='/czyjs/?year=2025'>2025</a></li></ul></div></div></body></html>"
    )
    found = navigation_links(page, "http://x.gov.cn/czyjs/", HOME)
    assert [link.name for link in found] == ["预算", "决算"]


def test_a_leaders_column_of_cards_is_a_page_about_them_not_an_empty_list(tmp_path: Path) -> None:
    """领导信息: a card per leader (photo, name, post), no dated items: a content page."""
    cards = "".join(
        f"<div class='leader'><a href='/ldxx/{n}.html'><img src='/i/{n}.jpg'></a>"
        f"<div class='name'><a href='/ldxx/{n}.html'>{name}</a></div><div class='post'>{post}</div>"
        "</div>"
        for n, (name, post) in enumerate(
            (("张三", "县长"), ("李四", "常务副县长"), ("王五", "副县长"))
        )
    )
    routes = {
        "/": _page(
            "<div class='nav'><a href='/ldxx/'>领导信息</a><a href='/gzdt/'>工作动态</a></div>"
        ),
        "/ldxx/": _page(f"<div class='main'>{cards}</div>"),
        "/ldxx/*": _page("<p>简历</p>"),
        "/gzdt/": _page(f"<div class='main'>{cards}</div>"),  # not a leaders' column: empty
        "/i/*": Route(200, b"JPG", {"Content-Type": "image/jpeg"}),
    }
    with RouteServer(routes) as server:
        findings, tree = _judged(tmp_path, server.url)
    by_name = {row["name"]: row["state"] for row in tree}
    assert by_name["领导信息"] == "content"
    assert [f["column"] for f in findings if f["kind"] == "empty_column"] == ["工作动态"]


def test_a_frame_whose_address_a_script_sets_is_read() -> None:
    page = parse_html(
        "<html><body><iframe id='f' src=''></iframe><iframe src='/tree.html'></iframe>"
        "<iframe id='g'></iframe><iframe id='h'></iframe><script>"
        "document.getElementById('f').src = '/rsxx/list_22.html';"
        "$('#g').attr('src', '/xxgk/list.html');</script></body></html>"
    )
    assert frame_urls(page, "http://x.gov.cn/rsxx/", HOME) == [
        "http://x.gov.cn/rsxx/list_22.html",
        "http://x.gov.cn/tree.html",
        "http://x.gov.cn/xxgk/list.html",
    ]


def test_a_list_in_date_order_oldest_first_is_dated_by_its_last_page(tmp_path: Path) -> None:
    """Some 信息公开 catalogues list oldest first: the newest items are on the 尾页, beyond
    the first pages the crawl reads; it reads the 尾页 after the first."""
    today = today_local()
    pages = 6

    def page(n: int) -> Route:  # oldest first: the smaller n, the older its items
        days = [today - timedelta(days=30 * (pages - 1 - n) + 3 * k) for k in range(3)][::-1]
        items = "".join(
            f"<li><a href='./t{day:%Y%m%d}_{n}{k}.html'>第{n}页第{k}条规划计划信息</a>"
            f"<span>{day.isoformat()}</span></li>"
            for k, day in enumerate(days)
        )
        pager = "<a href='index_1.html'>下一页</a>" if n == 0 else ""
        return _page(
            f"<ul class='list'>{items}</ul>{pager}<a href='index_{pages - 1}.html'>尾页</a>"
        )

    routes = {"/": _page("<div class='nav'><a href='/ghjh/'>规划计划</a></div>")}
    for n in range(pages):
        routes[f"/ghjh/{'index' if n == 0 else f'index_{n}'}.html"] = page(n)
    routes["/ghjh/"] = routes["/ghjh/index.html"]
    routes["/ghjh/t*"] = _page("<p>正文</p>")
    with RouteServer(routes) as server:
        _, tree = _judged(tmp_path, server.url)
        asked = {path for _, path in server.requests}
    assert {row["name"]: row["newest_date"] for row in tree} == {"规划计划": today.isoformat()}
    assert f"/ghjh/index_{pages - 1}.html" in asked and "/ghjh/index_2.html" not in asked


def test_an_oldest_first_list_without_a_last_page_link_is_read_to_its_end(
    tmp_path: Path,
) -> None:
    """An oldest-first list whose pager has only 下一页 (no 尾页): read on to its last page, where
    its newest items are, not stopped after the usual three (a fresh column read stale)."""
    today = today_local()
    pages = 5

    def page(n: int) -> Route:
        days = [today - timedelta(days=20 * (pages - 1 - n) + 3 * k) for k in range(3)][::-1]
        items = "".join(
            f"<li><a href='./t{day:%Y%m%d}_{n}{k}.html'>第{n}页第{k}条经济动态信息</a>"
            f"<span>{day.isoformat()}</span></li>"
            for k, day in enumerate(days)
        )
        pager = f"<a href='index_{n + 1}.html'>下一页</a>" if n < pages - 1 else ""
        return _page(f"<ul class='list'>{items}</ul>{pager}")

    routes = {"/": _page("<div class='nav'><a href='/jjdt/'>经济动态</a></div>")}
    for n in range(pages):
        routes[f"/jjdt/{'index' if n == 0 else f'index_{n}'}.html"] = page(n)
    routes["/jjdt/"] = routes["/jjdt/index.html"]
    routes["/jjdt/t*"] = _page("<p>正文</p>")
    with RouteServer(routes) as server:
        findings, tree = _judged(tmp_path, server.url)
    assert {row["name"]: row["newest_date"] for row in tree} == {"经济动态": today.isoformat()}
    assert not [f for f in findings if f["kind"] == "stale_column"]


def test_a_column_that_goes_to_its_first_sub_column_is_not_that_sub_columns_sibling(
    tmp_path: Path,
) -> None:
    """信息公开 refreshes to its first sub-column (制度), whose menu lists it and its siblings:
    制度 is what 信息公开 shows, never a child of 人事任免 (whose window it would take)."""
    old = (today_local() - timedelta(days=400)).isoformat()
    subs = (("政府信息公开制度", "zd"), ("人事任免", "rsrm"), ("政府信息公开年报", "nb"))
    menu = "<div class='left-menu'><ul>" + "".join(
        f"<li><a href='/xxgk/{slug}/'>{name}</a></li>" for name, slug in subs
    )
    routes = {
        "/": _page("<div class='nav'><a href='/xxgk/'>信息公开</a></div>"),
        "/xxgk/": Route(
            200, b"<html><head><meta http-equiv='refresh' content='0; url=zd/'></head></html>"
        ),
    }
    for name, slug in subs:
        items = "".join(
            f"<li><a href='/xxgk/{slug}/{n}.html'>{name}第{n}条信息的标题</a><span>{old}</span></li>"
            for n in range(3)
        )
        routes[f"/xxgk/{slug}/"] = _page(f"{menu}</ul></div><ul class='list'>{items}</ul>")
    routes["/xxgk/*"] = _page("<p>正文</p>")
    with RouteServer(routes) as server:
        _, tree = _judged(tmp_path, server.url)
    parents = {row["name"]: row["parent"] for row in tree}
    assert "政府信息公开制度" not in parents  # it is 信息公开's page
    assert parents == {"信息公开": None, "人事任免": "信息公开", "政府信息公开年报": "信息公开"}


def test_a_list_loaded_from_a_data_url_without_dates_is_dated_from_its_articles(
    tmp_path: Path,
) -> None:
    """A column's list comes from a JSON data URL that gives titles and links only: its
    articles are read for their dates, as a list's undated items are (it was empty)."""
    day = today_local() - timedelta(days=3)
    rows = [{"docTitle": f"人事任免信息第{n}条", "docUrl": f"/rsxx/{n}.html"} for n in range(3)]
    script = "<div id='list'></div><script>$.ajax({url: '/api/rsxx.json', success: show});</script>"
    routes = {
        "/": _page("<div class='nav'><a href='/'>首页</a><a href='/rsxx/'>人事信息</a></div>"),
        "/rsxx/": _page(f"<h2>人事信息</h2>{script}"),
        "/api/rsxx.json": Route(
            200,
            json.dumps({"rows": rows}, ensure_ascii=False).encode(),
            {"Content-Type": "application/json"},
        ),
    }
    for n in range(3):
        published = (day - timedelta(days=n)).isoformat()
        routes[f"/rsxx/{n}.html"] = Route(
            200,
            f"<html><head><meta charset='utf-8'><meta name='PubDate' content='{published}'>"
            f"</head><body>正文{n}</body></html>".encode(),
        )
    with RouteServer(routes) as server:
        findings, columns = _judged(tmp_path, server.url)
    column = next(c for c in columns if c["name"] == "人事信息")
    assert (column["state"], column["newest_date"]) == ("fresh", day.isoformat())
    assert not [f for f in findings if f["kind"] == "empty_column"]


def test_a_landing_page_of_its_sub_columns_boxes_is_their_parent(tmp_path: Path) -> None:
    """新闻中心 shows a box of each sub-column's newest items, headed by its name and a 更多
    link to it: its dated items are theirs. It is a parent, not a column judged by them
    (a stale box would have counted twice toward the veto); its sub-columns are judged."""
    today = today_local()
    old, new = today - timedelta(days=40), today - timedelta(days=2)

    def items(folder: str, day: date) -> str:
        return "".join(
            f"<li><a href='/xwzx/{folder}/{n}.html'>{folder}第{n}条工作信息标题</a>"
            f"<span>{day.isoformat()}</span></li>"
            for n in range(3)
        )

    boxes = "".join(
        f"<div class='box'><div class='box-hd'><span>{name}</span>"
        f"<a href='/xwzx/{folder}/'>更多>></a></div><ul>{items(folder, day)}</ul></div>"
        for name, folder, day in (("政务要闻", "zwyw", new), ("部门动态", "bmdt", old))
    )
    routes = {
        "/": _page("<div class='nav'><a href='/'>首页</a><a href='/xwzx/'>新闻中心</a></div>"),
        "/xwzx/": _page(f"<h2>新闻中心</h2>{boxes}"),
        "/xwzx/zwyw/": _page(f"<ul class='list'>{items('zwyw', new)}</ul>"),
        "/xwzx/bmdt/": _page(f"<ul class='list'>{items('bmdt', old)}</ul>"),
    }
    with RouteServer(routes) as server:
        findings, columns = _judged(tmp_path, server.url)
    states = {c["name"]: (c["state"], c["parent"]) for c in columns}
    assert states["新闻中心"][0] == "parent"
    assert states["政务要闻"] == ("fresh", "新闻中心")
    assert states["部门动态"] == ("stale", "新闻中心")
    stale = [f["column"] for f in findings if f["kind"] == "stale_column"]
    assert stale == ["部门动态"]


def test_a_column_that_sends_the_visitor_to_another_site_is_not_judged(tmp_path: Path) -> None:
    """政务服务 in the menu redirects to the province's platform: that is not this site's
    column (it was "unreachable: not HTML"); the site's own columns are judged as before."""
    recent = (today_local() - timedelta(days=1)).isoformat()
    with RouteServer({"/jxzw/": _page("<h2>江西政务服务网</h2><p>办事服务</p>")}) as province:
        routes = {
            "/": _page(
                "<div class='nav'><a href='/'>首页</a><a href='/zwfw/'>政务服务</a>"
                "<a href='/xwdt/'>新闻动态</a></div>"
            ),
            "/zwfw/": Route(302, headers={"Location": f"{province.url}jxzw/"}),
            "/xwdt/": _page(
                "".join(
                    f"<li><a href='/xwdt/{n}.html'>新闻动态第{n}条标题</a><span>{recent}</span></li>"
                    for n in range(3)
                )
            ),
        }
        with RouteServer(routes) as server:
            findings, columns = _judged(tmp_path, server.url)
    states = {c["name"]: c["state"] for c in columns}
    assert states == {"政务服务": "external", "新闻动态": "fresh"}
    assert not [f for f in findings if f["kind"].startswith("column_")]


def test_a_column_linked_only_by_a_homepage_boxs_more_link_is_found(tmp_path: Path) -> None:
    """部门动态 is in no menu: only its box on the homepage, headed by its name and 更多>>,
    links it. It is a column all the same, named by its box, and judged."""
    old = (today_local() - timedelta(days=30)).isoformat()
    items = "".join(
        f"<li><a href='/bmdt/{n}.html'>部门动态第{n}条工作信息</a><span>{old}</span></li>"
        for n in range(3)
    )
    routes = {
        "/": _page(
            "<div class='nav'><a href='/'>首页</a></div><div class='box'><div class='box-hd'>"
            f"<span>部门动态</span><a class='more' href='/bmdt/'>更多&gt;&gt;</a></div>"
            f"<ul>{items}</ul></div>"
        ),
        "/bmdt/": _page(f"<ul class='list'>{items}</ul>"),
    }
    with RouteServer(routes) as server:
        findings, columns = _judged(tmp_path, server.url)
    assert [(c["name"], c["state"]) for c in columns] == [("部门动态", "stale")]
    assert [f["column"] for f in findings if f["kind"] == "stale_column"] == ["部门动态"]


def test_a_left_menu_of_its_siblings_makes_an_empty_column_no_parent(tmp_path: Path) -> None:
    """Only 财政资金 is linked from the homepage; its page shows an empty list beside a left
    menu of 法定主动公开内容 that lists it among its siblings. It is an empty column (it was
    their 上级栏目, and nothing was reported); the siblings are columns beside it."""
    recent = (today_local() - timedelta(days=2)).isoformat()
    menu = "".join(
        f"<li><a href='/zwgk/{slug}/'>{name}</a></li>"
        for slug, name in (("zcwj", "政策文件"), ("czzj", "财政资金"), ("rsxx", "人事信息"))
    )
    left = f"<div class='left'><h2>法定主动公开内容</h2><ul class='leftnav'>{menu}</ul></div>"

    def listed(slug: str) -> Route:
        return _page(
            left
            + "<ul class='list'>"
            + "".join(
                f"<li><a href='/zwgk/{slug}/{n}.html'>第{n}条公开信息标题</a><span>{recent}</span></li>"
                for n in range(2)
            )
            + "</ul>"
        )

    routes = {
        "/": _page("<div class='nav'><a href='/'>首页</a><a href='/zwgk/czzj/'>财政资金</a></div>"),
        "/zwgk/czzj/": _page(left + "<h3>财政资金</h3><div class='list'><ul></ul></div>"),
        "/zwgk/zcwj/": listed("zcwj"),
        "/zwgk/rsxx/": listed("rsxx"),
    }
    with RouteServer(routes) as server:
        findings, columns = _judged(tmp_path, server.url)
    states = {c["name"]: (c["state"], c["parent"]) for c in columns}
    assert states == {
        "财政资金": ("empty", None),
        "政策文件": ("fresh", None),
        "人事信息": ("fresh", None),
    }
    assert [f["column"] for f in findings if f["kind"] == "empty_column"] == ["财政资金"]


def test_a_discovered_column_is_scanned_by_its_name_or_its_page(tmp_path: Path) -> None:
    """ "Is it fixed?" for a column govwatch discovered (none is configured): scan --column by
    its name, or --url its page, reads it again and says so (the name was refused, and the
    page was read without dating its column)."""
    old = (today_local() - timedelta(days=30)).isoformat()
    new = today_local().isoformat()

    def listed(day: str) -> Route:
        return _page(
            "<ul class='list'>"
            + "".join(
                f"<li><a href='/bmdt/{n}.html'>部门动态第{n}条工作信息</a><span>{day}</span></li>"
                for n in range(2)
            )
            + "</ul>"
        )

    routes = {
        "/": _page("<div class='nav'><a href='/'>首页</a><a href='/bmdt/'>部门动态</a></div>"),
        "/bmdt/": listed(old),
        "/bmdt/0.html": _page("<p>正文</p>"),
        "/bmdt/1.html": _page("<p>正文</p>"),
    }
    with RouteServer(routes) as server:
        findings, _ = _judged(tmp_path, server.url)
        assert [f["column"] for f in findings if f["kind"] == "stale_column"] == ["部门动态"]
        config, db = str(tmp_path / "sites.yaml"), f"sqlite:///{tmp_path / 'g.db'}"
        scan = ("scan", "-c", config, "--db", db, "--site", "t", *FAST)
        still = govwatch(*scan, "--column", "部门动态", check=False)
        assert still.returncode == 1, still.stdout + still.stderr
        assert "部门动态" in still.stdout
        server.routes["/bmdt/"] = listed(new)
        assert govwatch(*scan, "--column", "部门动态", check=False).returncode == 0
        server.routes["/bmdt/"] = listed(old)
        assert govwatch(*scan, "--url", f"{server.url}bmdt/", check=False).returncode == 1
        server.routes["/bmdt/"] = listed(new)
        assert govwatch(*scan, "--url", f"{server.url}bmdt/", check=False).returncode == 0
    unknown = govwatch(*scan, "--column", "没有的栏目", check=False)
    assert unknown.returncode == 2 and "部门动态" in unknown.stderr


def test_menus_beside_a_column_and_menus_under_it() -> None:
    """A menu that lists the page among its items, or the site's menu (首页 among its own
    items, a dropdown's too), names columns beside it; a 大汉 parent's menu of its children
    under a heading that links it, beside a breadcrumb's 首页, and anything below its folder
    name columns under it."""
    page = "http://x.gov.cn/col/col100/index.html"
    doc = parse_html(
        "<html><body><div class='nav'><ul><li><a href='/'>首页</a></li>"
        "<li><a href='/col/col200/'>新闻中心</a><ul class='sub'><li><a href='/col/col201/'>"
        "政务要闻</a></li><li><a href='/col/col202/'>部门动态</a></li></ul></li></ul></div>"
        "<div class='main'><div class='crumb'><a href='/'>首页</a> &gt; <a href='/col/col100/'>"
        "政务公开</a></div><div class='leftnav'><h3><a href='/col/col100/'>政务公开</a></h3><ul>"
        "<li><a href='/col/col101/'>政策文件</a></li><li><a href='/col/col102/'>人事信息</a></li>"
        "</ul></div><div class='side-menu'><ul><li><a href='/col/col100/'>政务公开</a></li>"
        "<li><a href='/col/col300/'>互动交流</a></li></ul></div></div></body></html>"
    )
    beside = sibling_keys(doc, page, HOME)
    assert beside == {column_key(f"http://x.gov.cn/col/col{n}/") for n in (200, 201, 202, 300)}


def test_a_list_that_cannot_be_dated_is_unreadable_not_empty(tmp_path: Path) -> None:
    """公示公告 lists items dated by pictures govwatch does not read, and so do their pages:
    the column has content and cannot be dated. It is column_unreadable, never a 空白栏目."""
    items = "".join(
        f"<li><a href='/gsgg/{n}.html'>关于第{n}批项目的公示</a><img src='/d/{n}.png'></li>"
        for n in range(3)
    )
    routes = {
        "/": _page("<div class='nav'><a href='/'>首页</a><a href='/gsgg/'>公示公告</a></div>"),
        "/gsgg/": _page(f"<ul class='list'>{items}</ul>"),
    }
    for n in range(3):
        routes[f"/gsgg/{n}.html"] = _page(
            f"<h1>关于第{n}批项目的公示</h1><p>日期：<img src='/d/{n}.png'></p>"
        )
    with RouteServer(routes) as server:
        findings, columns = _judged(tmp_path, server.url)
    assert [(c["name"], c["state"]) for c in columns] == [("公示公告", "unreadable")]
    kinds = {f["kind"] for f in findings if f.get("column") == "公示公告"}
    assert kinds == {"column_unreadable"}


def test_a_short_text_page_and_a_one_link_landing_page_are_not_empty(tmp_path: Path) -> None:
    """机构职能 with a few lines of duties and an address is a content page; 互动交流 whose
    content is one link to 县长信箱 below it is that column's parent; a column whose page has
    nothing but the template's footer (in a <p> of an unnamed block) is still empty."""
    footer = (
        "<div class='bottom'><p>主办单位：测试县人民政府办公室 承办：测试县大数据中心 "
        "网站标识码：3607000001 赣ICP备12345678号</p></div>"
    )
    routes = {
        "/": _page(
            "<div class='nav'><a href='/'>首页</a><a href='/jgzn/'>机构职能</a>"
            "<a href='/hdjl/'>互动交流</a><a href='/bmgg/'>便民公告</a></div>" + footer
        ),
        "/jgzn/": _page(
            "<div class='article'><h2>测试县人民政府办公室</h2><p>主要职责：负责县政府日常"
            "工作。办公地址：测试县人民路1号。联系电话：0797-1234567</p></div>" + footer
        ),
        "/hdjl/": _page("<div class='article'><a href='/hdjl/xzxx/'>县长信箱</a></div>" + footer),
        "/hdjl/xzxx/": _page(
            "<form action='/hdjl/xzxx/submit'><input name='title'><textarea name='body'>"
            "</textarea><input type='submit' value='提交'></form>" + footer
        ),
        "/bmgg/": _page("<div class='list'></div>" + footer),
    }
    with RouteServer(routes) as server:
        findings, tree = _judged(tmp_path, server.url)
    by_name = {row["name"]: row["state"] for row in tree}
    assert by_name["机构职能"] == "content"
    assert by_name["互动交流"] == "parent"
    assert [f["column"] for f in findings if f["kind"] == "empty_column"] == ["便民公告"]


def test_a_list_shown_in_a_frame_from_another_site_dates_its_column(tmp_path: Path) -> None:
    """领导活动's page shows its list in a frame from the 信息公开 platform's host: the column is
    dated by that list (it was column_unreadable); the platform's own menu names no column
    of this site, and its links are not this site's to check."""
    old = today_local() - timedelta(days=40)
    with RouteServer({}) as platform:
        platform.routes["/ldhd/list.html"] = _page(
            "<div class='nav'><a href='/zfxxgk/'>政府信息公开</a><a href='/yjsq/'>依申请公开</a></div>"
            "<ul class='list'>"
            + "".join(
                f"<li><a href='/ldhd/{n}.html'>县领导调研第{n}个重点项目</a>"
                f"<span>{(old - timedelta(days=n)).isoformat()}</span></li>"
                for n in range(3)
            )
            + "</ul>"
        )
        routes = {
            "/": _page("<div class='nav'><a href='/'>首页</a><a href='/ldhd/'>领导活动</a></div>"),
            "/ldhd/": _page(
                f"<iframe src='{platform.url}ldhd/list.html' width='100%' height='600'></iframe>"
            ),
        }
        with RouteServer(routes) as server:
            findings, tree = _judged(tmp_path, server.url)
    by_name = {row["name"]: row for row in tree}
    assert set(by_name) == {"领导活动"}
    assert by_name["领导活动"]["newest_date"] == old.isoformat()
    stale = [f["column"] for f in findings if f["kind"] == "stale_column"]
    assert stale == ["领导活动"]
    asked = {path for _, path in platform.requests}
    assert asked == {"/ldhd/list.html"}  # its list read, its articles and menu not crawled
