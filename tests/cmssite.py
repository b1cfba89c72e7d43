"""A generated government site with 40+ columns in three CMS styles, for discovery tests.

No column is configured: govwatch must find them in the navigation. Styles:
- TRS WCM: ``/zwgk/zwdt/`` lists with ``[MM-DD]`` dates, ``/202406/t20240630_1.html`` items,
  ``createPageHTML`` pagers, ColumnName/ColumnType meta tags, a 热点 sidebar dated today;
- 大汉 Hanweb: ``/col/col123/index.html`` whose list is a ``<record><![CDATA[…]]>`` data island,
  ``/art/2024/6/30/art_123_1.html`` items, GBK-encoded pages;
- home-grown: ``/list.php?cid=N`` tables with ``2024年6月30日`` dates, some lists loaded from a
  JSON data URL, one from a script govwatch cannot read.
Planted: stale, empty and unreadable columns (``PLANTED``); everything else is fresh.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from tests.httpkit import Route


@dataclass
class Col:
    name: str
    style: str  # trs, hanweb, home
    ages: list[int]  # days before today of its items, in list order
    parent: str
    slug: str = ""
    state: str = "fresh"  # fresh, stale, empty, unreadable
    data_url: bool = False  # home style: the list comes from a JSON data URL
    pinned_old: bool = False  # an old 置顶 item first
    url: str = ""
    items: list[tuple[str, str, date]] = field(default_factory=list)


SECTIONS = {
    "政务公开": ("trs", "/zwgk/"),
    "信息公开": ("hanweb", "/col/col1/index.html"),
    "互动服务": ("home", "/list.php?cid=100"),
}


def columns() -> list[Col]:
    fresh, week = [1, 3, 8], [2, 5, 9]
    cols = [
        Col("政务动态", "trs", fresh, "政务公开", pinned_old=True),
        Col("部门动态", "trs", [20, 30], "政务公开", state="stale"),
        Col("乡镇动态", "trs", [16, 40], "政务公开", state="stale"),
        Col("图片新闻", "trs", week, "政务公开"),
        Col("通知公告", "trs", [200, 260], "政务公开", state="stale"),
        Col("政策文件", "trs", [30, 90], "政务公开"),
        Col("规范性文件", "trs", [100, 150], "政务公开"),
        Col("政策解读", "trs", [40], "政务公开"),
        Col("人事信息", "trs", [120], "政务公开"),
        Col("规划计划", "trs", [], "政务公开", state="empty"),
        Col("财政预决算", "trs", [60], "政务公开"),
        Col("审计信息", "trs", [70], "政务公开"),
        Col("重大项目", "trs", [10], "政务公开"),
        Col("营商环境", "trs", [12], "政务公开"),
        Col("就业创业", "trs", [15], "政务公开"),
        Col("政府文件", "hanweb", [20, 60], "信息公开"),
        Col("部门文件", "hanweb", [25], "信息公开"),
        Col("公示公告", "hanweb", [10, 30], "信息公开"),
        Col("人事任免", "hanweb", [300], "信息公开"),
        Col("发展规划", "hanweb", [100], "信息公开"),
        Col("教育信息", "hanweb", [7], "信息公开"),
        Col("医疗卫生", "hanweb", [9], "信息公开"),
        Col("社会救助", "hanweb", [11], "信息公开"),
        Col("涉农补贴", "hanweb", [13], "信息公开"),
        Col("收费目录", "hanweb", [80], "信息公开"),
        Col("工作动态", "hanweb", [3, 6], "信息公开"),
        Col("公告公示", "hanweb", [210], "信息公开", state="stale"),
        Col("住房保障", "hanweb", [], "信息公开", state="empty"),
        Col("环境保护", "hanweb", [18], "信息公开"),
        Col("领导信箱", "home", [2, 4], "互动服务"),
        Col("在线咨询", "home", [1], "互动服务"),
        Col("意见征集", "home", [30], "互动服务", data_url=True),
        Col("在线访谈", "home", [45], "互动服务"),
        Col("办事指南", "home", [50], "互动服务", data_url=True),
        Col("办件公示", "home", [5], "互动服务"),
        Col("便民服务", "home", [20], "互动服务"),
        Col("投诉举报", "home", [], "互动服务", state="unreadable"),
        Col("调查征集", "home", [6], "互动服务"),
        Col("下载中心", "home", [90], "互动服务"),
        Col("网上调查", "home", [33], "互动服务"),
        Col("要闻动态", "home", [1, 2], "互动服务"),
        Col("资讯快递", "home", [4], "互动服务"),
    ]
    for index, col in enumerate(cols):
        col.slug = f"c{index}"
        if col.style == "trs":
            col.url = f"/zwgk/{col.slug}/"
        elif col.style == "hanweb":
            col.url = f"/col/col{1000 + index}/index.html"
        else:
            col.url = f"/list.php?cid={index}"
    return cols


PLANTED = {
    ("stale_column", "部门动态"),
    ("stale_column", "乡镇动态"),
    ("stale_column", "通知公告"),
    ("stale_column", "公告公示"),
    ("empty_column", "规划计划"),
    ("empty_column", "住房保障"),
    ("column_unreadable", "投诉举报"),
}


def build(today: date) -> dict[str, Route]:
    """Every page of the site, as routes for a RouteServer."""
    cols = columns()
    routes: dict[str, Route] = {}
    for col in cols:
        for index, age in enumerate(col.ages):
            day = today - timedelta(days=age)
            if col.style == "trs":
                href = f"{col.url}{day:%Y%m}/t{day:%Y%m%d}_{index + 1}.html"
            elif col.style == "hanweb":
                href = f"/art/{day.year}/{day.month}/{day.day}/art_{col.slug[1:]}_{index}.html"
            else:
                href = f"/show.php?id={col.slug[1:]}{index:03d}"
            col.items.append((f"{col.name}：关于做好近期重点工作的第{index + 1}篇信息", href, day))
            routes[href.split("?")[0] if col.style != "home" else href] = _html(
                _article(col.items[-1][0], day)
            )
    home_nav = "".join(
        f"<li><a href='{url}'>{name}</a></li>" for name, (_, url) in SECTIONS.items()
    )
    routes["/"] = _html(
        f"<div class='header'><div class='top'>今天是{today.year}年{today.month}月{today.day}日</div>"
        f"<ul class='nav'>{home_nav}<li><a href='/zwgk/jgzn/'>机构职能</a></li></ul>"
        f"<a href='/sitemap.html'>网站地图</a></div>"
        "<div class='main'><ul class='home-news'>"
        + "".join(
            f"<li><a href='{h}'>{t}</a><span>{d.isoformat()}</span></li>"
            for t, h, d in cols[0].items
        )
        + "</ul></div>"
    )
    routes["/zwgk/jgzn/"] = _html(
        "<div class='nav'><a href='/'>首页</a></div><div class='main'>"
        "<p>" + "某县人民政府办公室负责处理政府日常工作。" * 12 + "</p></div>"
    )
    routes["/sitemap.html"] = _html(
        "<div class='map'>"
        + "".join(f"<a href='{c.url}'>{c.name}</a>" for c in cols if c.name == "网上调查")
        + "</div>"
    )
    for section, (style, url) in SECTIONS.items():
        children = [c for c in cols if c.parent == section and c.name != "网上调查"]
        side = "".join(f"<li><a href='{c.url}'>{c.name}</a></li>" for c in children)
        frame = "<iframe src='/xxgk/tree.html'></iframe>" if style == "hanweb" else ""
        body = (
            f"<div class='left_nav'><h3>{section}</h3><ul>{side}</ul></div>"
            f"<div class='right'><p>请选择左侧栏目。</p>{frame}</div>"
        )
        routes[url.split("?")[0] if style != "home" else url] = _html(body)
    # A 主动公开目录 tree built by a script, shown in an iframe of the 信息公开 section.
    routes["/xxgk/tree.html"] = _html(
        "<ul id='tree' class='ztree'></ul><script>var zNodes = ["
        "{id: 1, pId: 0, name: '预算公开', url: '/xxgk/ysgk/'},"
        "{id: 2, pId: 0, name: '重点项目', url: '/xxgk/zdxm/'}];"
        "$.fn.zTree.init($('#tree'), setting, zNodes);</script>"
    )
    for slug, age in (("ysgk", 20), ("zdxm", 3)):
        day = today - timedelta(days=age)
        routes[f"/xxgk/{slug}/"] = _html(
            f"<ul class='list'><li><a href='/xxgk/{slug}/{day:%Y%m}/t{day:%Y%m%d}_1.html'>"
            f"{slug}目录下的一篇公开信息</a><span>{day.isoformat()}</span></li></ul>"
        )
        routes[f"/xxgk/{slug}/{day:%Y%m}/t{day:%Y%m%d}_1.html"] = _html(_article("公开信息", day))
    for col in cols:
        siblings = [c for c in cols if c.parent == col.parent and c.name != "网上调查"]
        side = "".join(f"<li><a href='{c.url}'>{c.name}</a></li>" for c in siblings)
        page, data = _list_page(col, side, today)
        key = col.url if col.style == "home" else col.url.split("?")[0]
        routes[key] = page
        if data is not None:
            routes[f"/api/list?cid={col.slug[1:]}"] = data
    return routes


def _list_page(col: Col, side: str, today: date) -> tuple[Route, Route | None]:
    hot = "".join(
        f"<li><a href='/hot/{i}.html'>热点新闻标题第{i}条</a><span>{today}</span></li>"
        for i in range(5)
    )
    frame = (
        f"<div class='top'>今天是{today.year}年{today.month}月{today.day}日</div>"
        f"<div class='left_nav'><ul>{side}</ul></div>"
    )
    sidebar = f"<div class='sidebar'><div class='hot'><h3>热点排行</h3><ul>{hot}</ul></div></div>"
    items = list(col.items)
    if col.style == "trs":
        lis = "".join(
            f"<li><a href='{h}' title='{t}'>{t}</a><span>[{d:%m-%d}]</span></li>"
            for t, h, d in items
        )
        if col.pinned_old:
            lis = (
                "<li><a href='/zwgk/top/t20200101_1.html'>【置顶】长期有效的办事须知</a>"
                "<span>[01-01]</span></li>" + lis
            )
        content = f"<ul class='list'>{lis}</ul>" if items else "<div class='list'>暂无信息</div>"
        meta = (
            f"<meta name='ColumnName' content='{col.name}'><meta name='ColumnType' "
            f"content='{col.name}'>"
        )
        return _html(
            frame + f"<div class='main'>{content}"
            "<script>createPageHTML(1, 0, 'index', 'html');</script></div>" + sidebar,
            head=meta,
        ), None
    if col.style == "hanweb":
        records = "".join(
            f'<record><![CDATA[<li><a href="{h}">{t}</a><span>{d:%Y-%m-%d}</span></li>]]></record>'
            for t, h, d in items
        )
        content = (
            (
                f"<div id='c{col.slug}'><script type='text/xml'><datastore><recordset>"
                f"{records}</recordset></datastore></script></div>"
            )
            if items
            else "<div class='default_pgContainer'>暂无信息</div>"
        )
        return _html(frame + f"<div class='main'>{content}</div>" + sidebar, encoding="gbk"), None
    if col.state == "unreadable":
        script = "<script>loadList(window.channelId, render);</script>"
        return _html(frame + f"<div class='main'><div id='list'></div>{script}</div>"), None
    rows = "".join(
        f"<tr><td><a href='{h}'>{t}</a></td><td>{d.year}年{d.month}月{d.day}日</td></tr>"
        for t, h, d in items
    )
    if col.data_url:
        data = json.dumps(
            {
                "code": 0,
                "data": [
                    {"title": t, "url": h, "pubDate": f"{d.isoformat()} 10:00:00"}
                    for t, h, d in items
                ],
            },
            ensure_ascii=False,
        ).encode()
        script = (
            f"<script>$.ajax({{url: '/api/list?cid={col.slug[1:]}', success: "
            "function(d){ render(d); }});</script>"
        )
        return (
            _html(frame + f"<div class='main'><div id='list'></div>{script}</div>"),
            Route(200, data, {"Content-Type": "application/json; charset=utf-8"}),
        )
    return _html(
        frame + f"<div class='main'><table class='tb'>{rows}</table></div>" + sidebar
    ), None


def _article(title: str, day: date) -> str:
    return (
        f"<h1>{title}</h1><div class='info'>发布时间：{day.isoformat()} 09:00</div>"
        f"<p>{title}。正文内容。</p>"
    )


def _html(body: str, head: str = "", encoding: str = "utf-8") -> Route:
    charset = "gb2312" if encoding == "gbk" else "utf-8"
    page = (
        f"<!DOCTYPE html><html><head><meta charset='{charset}'>{head}<title>某县人民政府</title>"
        f"</head><body>{body}</body></html>"
    )
    return Route(
        200, page.encode("gb18030" if encoding == "gbk" else "utf-8"), {"Content-Type": "text/html"}
    )


def write_config(path: Path, home: str) -> None:
    path.write_text(
        f"sites:\n  - id: county\n    name: 某县人民政府\n    home: {home}\n", encoding="utf-8"
    )
