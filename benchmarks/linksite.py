"""A synthetic government site with planted dead links and its ground truth, and the server for it.

The site is generated from a seed (same seed, same pages, same links); ``Site.truth`` records, per
absolute URL, what the planted link really is. ``SiteServer`` serves the site and a second local
"external" site from a separate process: an asyncio HTTP/1.1 server (keep-alive, HEAD and GET,
pre-rendered bodies in memory) on listening sockets the parent binds once, so the ports survive a
restart (``restart()`` resets the flaky endpoints' state between tools).

    .venv/bin/python -m benchmarks.linksite --pages 1000   # the site's figures and server capacity
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import multiprocessing
import os
import random
import signal
import socket
import struct
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote, unquote, urlsplit

# What govwatch makes of each planted kind in ONE crawl (see crawler/ and monitor/rules.py).
DEFINITE = "definite"  # 404/410, 403 on the site, DNS failure, a redirect chain ending in 404/410
SUSPECTED = "suspected"  # fails, but only definite after failing in 2 crawls in a row
TRANSIENT = "transient"  # must end OK: 503 once, 429 once with Retry-After, slow but in time

KINDS: dict[str, str] = {
    "404": DEFINITE,
    "404_attachment": DEFINITE,  # a Chinese file name
    "410": DEFINITE,
    "403_internal": DEFINITE,
    "404_external": DEFINITE,
    "redirect_404": DEFINITE,  # 301/302 chain of 1–3 ending in 404
    "redirect_410_external": DEFINITE,
    "dns": DEFINITE,
    "403_external": SUSPECTED,
    "500": SUSPECTED,
    "500_external": SUSPECTED,
    "timeout": SUSPECTED,
    "refused": SUSPECTED,
    "reset": SUSPECTED,
    "tls": SUSPECTED,
    "redirect_loop": SUSPECTED,
    "too_many_redirects": SUSPECTED,  # a 40-hop chain: more than any client follows
    "soft_404": SUSPECTED,
    "blocked_429": SUSPECTED,  # 429 with Retry-After: 1, every time
    "flaky_503": TRANSIENT,  # 503 once, then 200
    "flaky_429": TRANSIENT,  # 429 with Retry-After: 1 once, then 200
    "slow": TRANSIENT,  # answers after SLOW_S seconds
}
SLOW_S = 1.0
LONG_CHAIN = 40
ENCODED_FRACTION = 0.2  # of pages served as GBK
ITEMS_PER_LIST = 20
ARTICLES_PER_COLUMN = 400

TOP_COLUMNS = (
    ("xwdt", "新闻动态"),
    ("zwgk", "政务公开"),
    ("zcwj", "政策文件"),
    ("tzgg", "通知公告"),
    ("bsfw", "办事服务"),
    ("hdjl", "互动交流"),
    ("rsxx", "人事信息"),
    ("zdly", "重点领域"),
)
SUB_NAMES = (
    "政务要闻 部门动态 基层动态 图片新闻 媒体关注 政策解读 规划计划 财政预决算 人事任免 公示公告 "
    "招标采购 统计数据 应急管理 环境保护 教育信息 卫生健康 社会救助 安全生产 食品药品 价格收费 "
    "建议提案 领导信箱 在线访谈 征集调查"
).split()
TITLE_WORDS = (
    "关于 印发 全市 做好 进一步 加强 工作 实施 方案 通知 意见 办法 专项 行动 会议 召开 "
    "推进 高质量 发展 乡村 振兴 营商 环境 优化 安全 生产 检查 公示 结果 年度 报告 公开"
).split()
ATTACHMENT_EXT = ("pdf", "doc", "xls", "wps", "ofd", "zip")
CONTENT_TYPES = {
    "html": "text/html; charset=utf-8",
    "css": "text/css",
    "js": "application/javascript",
    "png": "image/png",
    "jpg": "image/jpeg",
    "pdf": "application/pdf",
    "doc": "application/msword",
    "xls": "application/vnd.ms-excel",
    "wps": "application/vnd.ms-works",
    "ofd": "application/ofd",
    "zip": "application/zip",
}
NOT_FOUND_TITLE = "页面不存在"
NOT_FOUND_BODY = "您访问的页面不存在或已被删除"
LAST_MODIFIED = "Mon, 19 Jan 2026 08:00:00 GMT"


@dataclass
class Answer:
    """A pre-rendered answer, or a behaviour (hang, reset, flaky, slow)."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/html; charset=utf-8"
    location: str | None = None
    behaviour: str = "static"  # static, hang, reset, flaky_503, flaky_429, slow, blocked_429
    head: bytes = b""  # rendered status line and headers (filled by render())


@dataclass
class Planted:
    url: str  # absolute, as a browser requests it (before percent-encoding)
    kind: str
    sources: set[str] = field(default_factory=set)  # absolute URLs of the pages that link it

    @property
    def expected(self) -> str:
        return KINDS[self.kind]


def canon(url: str) -> str:
    """One spelling per URL: scheme and host lower-cased, default port dropped, path and query
    percent-decoded (UTF-8), fragment dropped. Ground truth and every tool's output meet here."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    host = (parts.hostname or "").lower()
    if port is not None and (scheme, port) not in (("http", 80), ("https", 443)):
        host = f"{host}:{port}"
    path = unquote(parts.path or "/", errors="replace")
    query = unquote(parts.query, errors="replace")
    return f"{scheme}://{host}{path}" + (f"?{query}" if query else "")


class Site:
    """The whole generated site: answers per path for the two servers, pages, ground truth."""

    def __init__(
        self, pages: int, site_port: int, ext_port: int, refused_port: int, seed: int = 20260119
    ) -> None:
        self.rng = random.Random(seed)
        self.origin = f"http://127.0.0.1:{site_port}"
        self.ext_origin = f"http://127.0.0.1:{ext_port}"
        self.refused_origin = f"http://127.0.0.1:{refused_port}"
        self.tls_origin = f"https://127.0.0.1:{site_port}"
        self.answers: dict[str, Answer] = {}  # decoded path (and ?query) → answer, on the site
        self.ext_answers: dict[str, Answer] = {}
        self.page_urls: list[str] = []  # absolute URLs of the HTML pages a full crawl reads
        self.truth: dict[str, Planted] = {}  # canon(url) → planted link
        self.occurrences = 0
        self._build(pages)
        self.page_keys = {canon(url) for url in self.page_urls}
        self.not_found = Answer(404, self._not_found_page(), "text/html; charset=utf-8")
        for answer in [*self.answers.values(), *self.ext_answers.values(), self.not_found]:
            render(answer)

    # ------------------------------------------------------------------ layout

    def _build(self, pages: int) -> None:
        rng = self.rng
        # pages = 1 home + 8 top columns + list pages + articles
        articles = max(ITEMS_PER_LIST, (pages - 1 - len(TOP_COLUMNS)) * ITEMS_PER_LIST // 21)
        for _ in range(3):
            subs = max(len(TOP_COLUMNS), round(articles / ARTICLES_PER_COLUMN))
            per_sub = [articles // subs + (1 if s < articles % subs else 0) for s in range(subs)]
            lists = sum(-(-n // ITEMS_PER_LIST) for n in per_sub)
            articles = max(ITEMS_PER_LIST, pages - 1 - len(TOP_COLUMNS) - lists)
        subs = max(len(TOP_COLUMNS), round(articles / ARTICLES_PER_COLUMN))
        per_sub = [articles // subs + (1 if s < articles % subs else 0) for s in range(subs)]
        self.columns: list[dict[str, Any]] = []
        next_id = 1000
        for s, count in enumerate(per_sub):
            top, top_name = TOP_COLUMNS[s % len(TOP_COLUMNS)]
            name = SUB_NAMES[s % len(SUB_NAMES)] + ("" if s < len(SUB_NAMES) else str(s))
            base = f"/{top}/c{s:03d}/"
            items = []
            day = date(2026, 1, 19) - timedelta(days=rng.randrange(0, 3))
            for _ in range(count):
                path = f"{base}{day:%Y%m}/t{day:%Y%m%d}_{next_id}.html"
                items.append({"path": path, "id": next_id, "date": day, "title": self._title()})
                next_id += 1
                day -= timedelta(days=rng.choice((0, 0, 1, 1, 2, 3)))
            self.columns.append({"top": top, "top_name": top_name, "name": name, "base": base})
            self.columns[-1]["items"] = items
            self.columns[-1]["lists"] = [
                f"{base}index.html" if k == 0 else f"{base}index_{k}.html"
                for k in range(-(-count // ITEMS_PER_LIST))
            ]
        self.articles = [item for column in self.columns for item in column["items"]]
        self.gbk: set[str] = set()
        for path in [c["lists"][-1] for c in self.columns] + [a["path"] for a in self.articles]:
            if rng.random() < ENCODED_FRACTION:
                self.gbk.add(path)
        self._static()
        self._external()
        # Every page's links, then the planted links on random pages, then rendering.
        self.links: dict[str, list[str]] = {}
        self._home()
        for column in self.columns:
            self._top_and_lists(column)
        for column in self.columns:
            for index, item in enumerate(column["items"]):
                self._article(column, index, item)
        self._plant(pages)
        for path, markup in self.links.items():
            self._render_page(path, markup)

    def _title(self) -> str:
        return "".join(self.rng.sample(TITLE_WORDS, 6))

    def _static(self) -> None:
        for path in ("/css/main.css", "/js/jquery.min.js", "/js/common.js", "/images/logo.png"):
            self.answers[path] = Answer(200, b"/* static */" * 20, _type_of(path))
        for item in self.articles:
            rng = self.rng
            if rng.random() < 0.25:
                ext = rng.choice(ATTACHMENT_EXT)
                name = f"附件{item['id'] % 7 + 1}：{item['title'][:8]}.{ext}"
                folder = item["path"].rsplit("/", 1)[0]
                item["attachment"] = f"{folder}/P0{item['date']:%Y%m%d}{item['id']}_{name}"
                self.answers[item["attachment"]] = Answer(200, b"%PDF-1.4 " * 30, _type_of(name))
            if rng.random() < 0.2:
                folder = item["path"].rsplit("/", 1)[0]
                item["image"] = f"{folder}/W0{item['date']:%Y%m%d}{item['id']}.jpg"
                self.answers[item["image"]] = Answer(200, b"\xff\xd8\xff" * 100, "image/jpeg")
        self.answers["/include/weather.html"] = Answer(
            200, _html("天气", "<p>晴 12℃</p>", "utf-8"), "text/html; charset=utf-8"
        )
        self.page_urls.append(self.origin + "/include/weather.html")
        self.answers["/search/index.html"] = Answer(
            200, _html("站内搜索", "<p>搜索结果</p>", "utf-8"), "text/html; charset=utf-8"
        )
        self.page_urls.append(self.origin + "/search/index.html")

    def _external(self) -> None:
        self.ext_live = []
        for k in range(20):
            path = f"/zwfw/site{k}.html"
            self.ext_answers[path] = Answer(200, _html(f"外部网站{k}", "<p>外部</p>", "utf-8"))
            self.ext_live.append(self.ext_origin + path)
        self.ext_answers["/images/banner.png"] = Answer(200, b"\x89PNG" * 50, "image/png")

    # ------------------------------------------------------------------- pages

    def _nav(self, short: bool = False) -> list[str]:
        nav = ["<a href='/'>首页</a>"]
        tops = TOP_COLUMNS[:5] if short else TOP_COLUMNS
        nav += [f"<a href='/{top}/index.html'>{name}</a>" for top, name in tops]
        return nav

    def _head_links(self, depth: int) -> list[str]:
        up = "../" * depth
        return [
            "<link rel='stylesheet' href='/css/main.css'>",
            f"<script src='{up}js/common.js'></script>",
            f"<img src='//127.0.0.1:{urlsplit(self.origin).port}/images/logo.png' alt='网站标识'>",
        ]

    def _home(self) -> None:
        parts = self._head_links(0) + self._nav()
        parts += [f"<a href='{c['base']}index.html'>{c['name']}</a>" for c in self.columns]
        for column in self.columns[:10]:
            for item in column["items"][:2]:
                parts.append(f"<a href='{item['path']}'>{item['title']}</a>")
        parts.append("<iframe src='/include/weather.html'></iframe>")
        parts.append("<a href='/search/index.html?q=政务公开'>搜索</a>")
        parts += [f"<a href='{u}'>友情链接{k}</a>" for k, u in enumerate(self.ext_live[:8])]
        parts.append(f"<img src='{self.ext_origin}/images/banner.png' alt='横幅'>")
        self.links["/"] = parts

    def _top_and_lists(self, column: dict[str, Any]) -> None:
        top = column["top"]
        if f"/{top}/index.html" not in self.links:
            parts = self._head_links(1) + self._nav()
            for other in self.columns:
                if other["top"] == top:
                    parts.append(f"<a href='{other['base']}index.html'>{other['name']}</a>")
                    parts += [
                        f"<a href='{item['path']}'>{item['title']}</a>"
                        for item in other["items"][:5]
                    ]
            self.links[f"/{top}/index.html"] = parts
        lists = column["lists"]
        for k, path in enumerate(lists):
            parts = self._head_links(2) + self._nav()
            parts.append(f"<a href='../index.html'>{column['top_name']}</a>")
            for item in column["items"][k * ITEMS_PER_LIST : (k + 1) * ITEMS_PER_LIST]:
                relative = "./" + item["path"][len(column["base"]) :]
                parts.append(f"<a href='{relative}'>{item['title']}</a><span>{item['date']}</span>")
            pager = [lists[0], lists[max(0, k - 1)], lists[min(len(lists) - 1, k + 1)], lists[-1]]
            pager += lists[max(0, k - 5) : k + 5]
            parts += [f"<a href='{p.rsplit('/', 1)[1]}'>{n + 1}</a>" for n, p in enumerate(pager)]
            self.links[path] = parts

    def _article(self, column: dict[str, Any], index: int, item: dict[str, Any]) -> None:
        rng = self.rng
        path = item["path"]
        gbk = path in self.gbk
        parts = self._head_links(3) + self._nav(short=True)
        parts.append(f"<a href='../index.html'>{column['name']}</a>")
        items = column["items"]
        for neighbour in (items[index - 1], items[(index + 1) % len(items)]):
            if neighbour["path"].rsplit("/", 1)[0] == path.rsplit("/", 1)[0]:
                href = "./" + neighbour["path"].rsplit("/", 1)[1]
            elif rng.random() < 0.5:
                href = neighbour["path"]
            else:
                href = self.origin + neighbour["path"]
            parts.append(f"<a href='{href}'>{neighbour['title']}</a>")
        if "attachment" in item:
            name = item["attachment"].rsplit("/", 1)[1]
            shown = name if gbk or rng.random() < 0.5 else quote(name)
            parts.append(f"<a href='./{shown}'>{name}</a>")
        if "image" in item:
            parts.append(f"<img src='{item['image'].rsplit('/', 1)[1]}' alt='图片'>")
        if rng.random() < 0.05:
            parts.append(f"<a href='{rng.choice(self.ext_live)}'>相关链接</a>")
        if rng.random() < 0.02:
            parts.append("<a href='/search/index.html?q=营商环境'>相关搜索</a>")
        self.links[path] = parts

    # ----------------------------------------------------------------- planted

    def _plant(self, pages: int) -> None:
        rng = self.rng
        n = max(4, pages // 200)
        counts = dict.fromkeys(KINDS, n)
        counts["timeout"] = min(24, 12 + pages // 2500)  # each costs every tool its timeout
        counts["slow"] = max(3, pages // 500)
        for kind in ("too_many_redirects", "redirect_loop", "tls", "refused", "reset"):
            counts[kind] = max(3, n // 2)
        hosts = [p for p in self.links if p != "/"]  # pages that can carry planted links
        for kind, count in counts.items():
            for k in range(count):
                url, tag = self._planted_url(kind, k)
                planted = self.truth.setdefault(canon(url), Planted(url, kind))
                for source in rng.sample(hosts, rng.choice((1, 1, 2, 3))):
                    planted.sources.add(self.origin + ("" if source == "/" else source))
                    self.links[source].append(self._link_markup(url, tag, source, k))
        # One of each on the homepage too (an operator sees those first).
        for kind in ("404", "soft_404", "timeout", "flaky_503"):
            planted = next(p for p in self.truth.values() if p.kind == kind)
            planted.sources.add(self.origin + "/")
            self.links["/"].append(self._link_markup(planted.url, "a", "/", 0))

    def _planted_url(self, kind: str, k: int) -> tuple[str, str]:
        """(absolute URL, tag) of the k-th planted link of a kind, and the answers behind it."""
        o, e, a = self.origin, self.ext_origin, self.answers
        tags = ("a", "a", "a", "img", "a", "script", "a", "link", "a", "iframe")
        tag = tags[k % len(tags)] if kind in ("404", "500") else "a"
        if kind == "soft_404":
            tag = "iframe" if k % 5 == 4 else "a"  # a page: what a browser shows is the text
        if kind == "404":
            ext = {"img": "jpg", "script": "js", "link": "css"}.get(tag, "html")
            return f"{o}/xwdt/old/201{k % 10}/t2019{k:04d}_{k}.{ext}", tag
        if kind == "404_attachment":
            ext = ATTACHMENT_EXT[k % len(ATTACHMENT_EXT)]
            return f"{o}/uploads/2023/已删除的附件{k}：年度工作报告.{ext}", "a"
        if kind == "410":
            a[f"/zwgk/archive/{k}.html"] = Answer(410, b"", "text/html; charset=utf-8")
            return f"{o}/zwgk/archive/{k}.html", "a"
        if kind == "403_internal":
            a[f"/private/内部资料{k}.doc"] = Answer(403, b"Forbidden", "text/plain")
            return f"{o}/private/内部资料{k}.doc", "a"
        if kind == "404_external":
            return f"{e}/gone/{k}.html", "a"
        if kind == "redirect_404":
            hops = 1 + k % 3
            for h in range(hops):
                target = f"/moved/{k}/{h + 1}.html" if h + 1 < hops else f"/moved/{k}/gone.html"
                a[f"/moved/{k}/{h}.html"] = Answer(301 if h % 2 == 0 else 302, location=target)
            return f"{o}/moved/{k}/0.html", "a"
        if kind == "redirect_410_external":
            self.ext_answers[f"/old/{k}.html"] = Answer(302, location=f"/removed/{k}.html")
            self.ext_answers[f"/removed/{k}.html"] = Answer(410, b"", "text/plain")
            return f"{e}/old/{k}.html", "a"
        if kind == "dns":
            return f"http://www.gov-closed-{k}.invalid/index.html", "a"
        if kind == "403_external":
            self.ext_answers[f"/forbidden/{k}.html"] = Answer(403, b"Forbidden", "text/plain")
            return f"{e}/forbidden/{k}.html", "a"
        if kind == "500":
            a[f"/cms/broken/{k}.html"] = Answer(500, b"Internal Server Error", "text/plain")
            return f"{o}/cms/broken/{k}.html", tag
        if kind == "500_external":
            self.ext_answers[f"/error/{k}.html"] = Answer(500, b"error", "text/plain")
            return f"{e}/error/{k}.html", "a"
        if kind == "timeout":
            a[f"/hang/{k}.html"] = Answer(behaviour="hang")
            return f"{o}/hang/{k}.html", "a"
        if kind == "refused":
            return f"{self.refused_origin}/closed/{k}.html", "a"
        if kind == "reset":
            a[f"/reset/{k}.html"] = Answer(behaviour="reset")
            return f"{o}/reset/{k}.html", "a"
        if kind == "tls":
            a[f"/secure/{k}.html"] = Answer(200, _html("安全页", "<p>ok</p>", "utf-8"))
            return f"{self.tls_origin}/secure/{k}.html", "a"
        if kind == "redirect_loop":
            a[f"/loop/{k}/a.html"] = Answer(302, location=f"/loop/{k}/b.html")
            a[f"/loop/{k}/b.html"] = Answer(302, location=f"/loop/{k}/a.html")
            return f"{o}/loop/{k}/a.html", "a"
        if kind == "too_many_redirects":
            for h in range(LONG_CHAIN):
                a[f"/chain/{k}/{h}.html"] = Answer(301, location=f"/chain/{k}/{h + 1}.html")
            a[f"/chain/{k}/{LONG_CHAIN}.html"] = Answer(200, _html("终点", "<p>ok</p>", "utf-8"))
            return f"{o}/chain/{k}/0.html", "a"
        if kind == "soft_404":
            a[f"/zwgk/info/deleted_{k}.html"] = Answer(200, self._not_found_page(k % 2))
            return f"{o}/zwgk/info/deleted_{k}.html", tag
        if kind == "blocked_429":
            a[f"/limited/{k}.html"] = Answer(behaviour="blocked_429")
            return f"{o}/limited/{k}.html", "a"
        if kind in ("flaky_503", "flaky_429"):
            body = _html("临时页", "<p>一次失败后恢复</p>", "utf-8")
            a[f"/flaky/{kind}/{k}.html"] = Answer(200, body, behaviour=kind)
            return f"{o}/flaky/{kind}/{k}.html", "a"
        if kind == "slow":
            a[f"/slow/{k}.html"] = Answer(
                200, _html("慢页", "<p>慢</p>", "utf-8"), behaviour="slow"
            )
            return f"{o}/slow/{k}.html", "a"
        raise ValueError(kind)

    def _link_markup(self, url: str, tag: str, source: str, k: int) -> str:
        """The link as a page writes it: some relative, some protocol-relative, some encoded."""
        href = url
        if url.startswith(self.origin):
            path = url[len(self.origin) :]
            style = k % 4
            if style == 1:
                href = path
            elif style == 2:
                href = "//" + url.split("//", 1)[1]
            elif style == 3 and source not in self.gbk:
                href = quote(path, safe="/:?=&")
        if tag == "img":
            return f"<img src='{href}' alt='配图'>"
        if tag == "script":
            return f"<script src='{href}'></script>"
        if tag == "link":
            return f"<link rel='stylesheet' href='{href}'>"
        if tag == "iframe":
            return f"<iframe src='{href}'></iframe>"
        return f"<a href='{href}'>相关文件{k}</a>"

    # --------------------------------------------------------------- rendering

    def _render_page(self, path: str, parts: list[str]) -> None:
        encoding = "gbk" if path in self.gbk else "utf-8"
        self.occurrences += sum(part.count("href=") + part.count("src=") for part in parts)
        head = [p for p in parts if p.startswith(("<link", "<script"))]
        body = [p for p in parts if not p.startswith(("<link", "<script"))]
        title = "某某市人民政府门户网站" if path == "/" else f"{self._title()}_某某市人民政府"
        prose = "<p>" + "，".join(self._title() for _ in range(4)) + "。</p>"
        markup = "".join(f"<li>{p}</li>" for p in body)
        self.answers[path] = Answer(
            200,
            _html(title, f"{prose}<ul>{markup}</ul>", encoding, "".join(head)),
            f"text/html; charset={encoding}",
        )
        self.page_urls.append(self.origin + path)

    def _not_found_page(self, variant: int = 0) -> bytes:
        if variant:
            return _html("404", f"<h1>404</h1><p>抱歉！{NOT_FOUND_BODY}。</p>", "utf-8")
        return _html(
            f"{NOT_FOUND_TITLE}_某某市人民政府",
            f"<h1>{NOT_FOUND_BODY}</h1><p>请返回首页。</p>",
            "utf-8",
        )

    # ----------------------------------------------------------------- figures

    def figures(self) -> dict[str, Any]:
        kinds = Counter(p.kind for p in self.truth.values())
        return {
            "pages": len(self.page_urls),
            "link_occurrences": self.occurrences,
            "gbk_pages": len(self.gbk),
            "planted_urls": len(self.truth),
            "planted_by_expectation": dict(Counter(p.expected for p in self.truth.values())),
            "planted_by_kind": dict(sorted(kinds.items())),
        }


def _type_of(path: str) -> str:
    return CONTENT_TYPES.get(path.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def _html(title: str, body: str, encoding: str, head: str = "") -> bytes:
    return (
        f"<!DOCTYPE html><html><head><meta charset='{encoding}'><title>{title}</title>{head}"
        f"</head><body>{body}</body></html>"
    ).encode(encoding)


def render(answer: Answer) -> None:
    reasons = {200: "OK", 301: "Moved Permanently", 302: "Found", 403: "Forbidden"}
    reasons |= {404: "Not Found", 410: "Gone", 429: "Too Many Requests", 500: "Server Error"}
    lines = [f"HTTP/1.1 {answer.status} {reasons.get(answer.status, 'Status')}"]
    lines.append(f"Content-Type: {answer.content_type}")
    lines.append(f"Content-Length: {len(answer.body)}")
    lines.append("LinkChecker: lifts LinkChecker's request-rate cap for this benchmark host")
    if answer.location:
        lines.append(f"Location: {answer.location}")
    if answer.status == 200:
        lines.append(f'ETag: "{hashlib.md5(answer.body, usedforsecurity=False).hexdigest()}"')
        lines.append(f"Last-Modified: {LAST_MODIFIED}")
    answer.head = ("\r\n".join(lines) + "\r\n").encode("latin-1")


# ---------------------------------------------------------------------- the server


_SHORT = {
    503: b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n"
    b"LinkChecker: yes\r\n",
    429: b"HTTP/1.1 429 Too Many Requests\r\nContent-Type: text/plain\r\nContent-Length: 0\r\n"
    b"Retry-After: 1\r\nLinkChecker: yes\r\n",
    304: b"HTTP/1.1 304 Not Modified\r\nLinkChecker: yes\r\n",
}


class _Http(asyncio.Protocol):
    """HTTP/1.1 with keep-alive and pipelining, one answer at a time per connection."""

    def __init__(self, answers: dict[str, Answer], fallback: Answer, state: dict[str, Any]):
        self.answers, self.fallback, self.state = answers, fallback, state
        self.buffer = b""
        self.busy = False
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        if not self.buffer and data[:1] == b"\x16":  # a TLS ClientHello on the plain-HTTP port
            self._close(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            return
        self.buffer += data
        self._next()

    def _next(self) -> None:
        while not self.busy and self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            lines = head.split(b"\r\n")
            parts = lines[0].split()
            if len(parts) != 3:
                self._close(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
                return
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                headers[name.strip().lower()] = value.strip()
            length = int(headers.get(b"content-length", b"0") or 0)
            self.buffer = self.buffer[length:]  # request bodies are ignored
            close = headers.get(b"connection", b"").lower() == b"close" or parts[2] == b"HTTP/1.0"
            self._answer(parts[0], parts[1].decode("latin-1"), headers, close)

    def _answer(self, method: bytes, target: str, headers: dict[bytes, bytes], close: bool) -> None:
        parts = urlsplit(target)
        path = unquote(parts.path, errors="replace")
        answer = self.answers.get(f"{path}?{unquote(parts.query)}" if parts.query else path)
        answer = answer or self.answers.get(path) or self.fallback
        behaviour = answer.behaviour
        if behaviour == "hang":
            self.busy = True
            asyncio.get_running_loop().call_later(self.state["hang_s"], self._close, b"")
            return
        if behaviour == "reset":
            self._reset()
            return
        if behaviour in ("flaky_503", "flaky_429"):
            seen = self.state["seen"]
            if path not in seen:
                seen.add(path)
                self._send(_SHORT[503 if behaviour == "flaky_503" else 429], b"", close)
                return
        if behaviour == "blocked_429":
            self._send(_SHORT[429], b"", close)
            return
        body = b"" if method == b"HEAD" else answer.body
        validator = headers.get(b"if-none-match")
        if validator and answer.status == 200 and b"ETag: " + validator + b"\r\n" in answer.head:
            self._send(_SHORT[304], b"", close)
            return
        if behaviour == "slow":
            self.busy = True
            asyncio.get_running_loop().call_later(SLOW_S, self._delayed, answer.head, body, close)
            return
        self._send(answer.head, body, close)

    def _delayed(self, head: bytes, body: bytes, close: bool) -> None:
        self.busy = False
        self._send(head, body, close)
        self._next()

    def _send(self, head: bytes, body: bytes, close: bool) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        tail = b"Connection: close\r\n\r\n" if close else b"\r\n"
        self.transport.write(head + tail + body)
        if close:
            self.transport.close()
            self.transport = None

    def _close(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            if data:
                self.transport.write(data)
            self.transport.close()
        self.transport = None

    def _reset(self) -> None:
        """Close with a TCP RST, no answer at all."""
        if self.transport is None:
            return
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()
        self.transport = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None


def _serve(site: Site, site_sock: socket.socket, ext_sock: socket.socket, hang_s: float) -> None:
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
    state: dict[str, Any] = {"seen": set(), "hang_s": hang_s}

    async def main() -> None:
        loop = asyncio.get_running_loop()
        missing = site.not_found
        ext_missing = Answer(404, b"Not Found", "text/plain")
        render(ext_missing)
        await loop.create_server(
            lambda: _Http(site.answers, missing, state), sock=site_sock, backlog=1024
        )
        await loop.create_server(
            lambda: _Http(site.ext_answers, ext_missing, state), sock=ext_sock, backlog=1024
        )
        await asyncio.Event().wait()

    asyncio.run(main())


def _listening() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1024)
    sock.setblocking(False)
    return sock


class SiteServer:
    """The site and its external peer served from a child process; ports fixed for its life."""

    def __init__(self, pages: int, hang_s: float, seed: int = 20260119) -> None:
        self.site_sock, self.ext_sock = _listening(), _listening()
        # A port that is bound but never listens: connections to it are refused.
        self.refused_sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.refused_sock.bind(("127.0.0.1", 0))
        ports = [s.getsockname()[1] for s in (self.site_sock, self.ext_sock, self.refused_sock)]
        self.site = Site(pages, *ports, seed=seed)
        self.home = self.site.origin + "/"
        self.hang_s = hang_s
        self.process: multiprocessing.process.BaseProcess | None = None

    def start(self) -> None:
        context = multiprocessing.get_context("fork")
        self.process = context.Process(
            target=_serve, args=(self.site, self.site_sock, self.ext_sock, self.hang_s), daemon=True
        )
        self.process.start()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.join(5)
            self.process = None

    def restart(self) -> None:
        """A fresh server: flaky endpoints fail once again, hanging connections are dropped."""
        self.stop()
        self.start()

    def __enter__(self) -> SiteServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        for sock in (self.site_sock, self.ext_sock, self.refused_sock):
            sock.close()


# ------------------------------------------------------------------- capacity check


async def _capacity(port: int, paths: list[str], seconds: float, connections: int) -> float:
    done = 0
    stop = time.perf_counter() + seconds

    async def client(offset: int) -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        k = offset
        while time.perf_counter() < stop:
            path = quote(paths[k % len(paths)])
            k += connections
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            head = await reader.readuntil(b"\r\n\r\n")
            length = int(head.split(b"Content-Length: ", 1)[1].split(b"\r\n", 1)[0])
            await reader.readexactly(length)
            done += 1
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in range(connections)))
    return done / (time.perf_counter() - started)


def capacity(server: SiteServer, seconds: float = 3.0, connections: int = 32) -> float:
    """Requests per second the server answers for its pages (keep-alive GETs, one client
    process), so that a tool's figure can be checked against it."""
    port = urlsplit(server.home).port
    assert port is not None
    paths = [urlsplit(u).path for u in server.site.page_urls]
    return asyncio.run(_capacity(port, paths, seconds, connections))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=1000)
    args = parser.parse_args()
    with SiteServer(args.pages, hang_s=5) as server:
        print(server.site.figures())
        time.sleep(0.3)
        print(f"server capacity: {capacity(server):.0f} requests/s (keep-alive GET of pages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
