"""Generate the demo government site (示例市人民政府) relative to a given day.

Dates are relative to ``today`` so the demo's findings hold whatever day it runs. Planted
problems (and nothing else): one stale news column, one stale notice column, an empty column,
two dead internal links (one on the homepage), a dead attachment and a dead external link.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

SITE_NAME = "示例市人民政府"
OWNER = "示例市政务和数据服务中心"
PAGE_SIZE = 20

_TOPICS = (
    "召开常务会议研究部署近期重点工作",
    "开展安全生产大检查",
    "推进优化营商环境改革",
    "调研重点项目建设情况",
    "部署防汛抗旱工作",
    "召开乡村振兴工作推进会",
    "开展政务公开培训",
    "推进数字政府建设",
    "举办招商引资项目签约仪式",
    "开展文明城市创建行动",
    "召开民生实事工作调度会",
    "部署森林防火工作",
)


@dataclass
class Attachment:
    href: str
    text: str


@dataclass
class Item:
    title: str
    day: date
    href: str
    list_date: str
    attachments: list[Attachment] = field(default_factory=list)
    images: list[str] = field(default_factory=list)


@dataclass
class Column:
    slug: str
    name: str
    category: str
    ages: list[int]
    yearless: bool = False
    url_dates: bool = True
    table: bool = False
    encoding: str = "utf-8"
    items: list[Item] = field(default_factory=list)


@dataclass(frozen=True)
class DemoSite:
    root: Path
    columns: tuple[Column, ...]


def demo_columns(scale: int = 1) -> list[Column]:
    """The demo's columns; ``scale`` multiplies the news items (for benchmarks)."""
    return [
        Column("zwdt", "政务动态", "news", [1 + i // 2 for i in range(25 * scale)]),
        Column("bmdt", "部门动态", "news", [20, 26, 33, 41, 55, 70]),
        Column("xzdt", "乡镇动态", "news", [4, 9, 15, 22, 30], yearless=True),
        Column("tzgg", "通知公告", "notice", [200, 236, 290, 350], url_dates=False),
        Column("zcwj", "政策文件", "policy", [40, 95, 150, 220], table=True, encoding="gbk"),
        Column("rsxx", "人事信息", "personnel", [60, 210]),
        Column("ghjh", "规划计划", "planning", []),
    ]


def build_site(root: Path, today: date, external: str, scale: int = 1) -> DemoSite:
    """Write the demo site's files under ``root``; ``external`` is the second server's URL."""
    env = Environment(
        loader=PackageLoader("demo", "templates"), autoescape=True, undefined=StrictUndefined
    )
    columns = demo_columns(scale)
    for column in columns:
        column.items = [
            _item(column, index, today - timedelta(days=age))
            for index, age in enumerate(column.ages)
        ]
    _plant_problems(columns)
    hot = [Item(f"热点：{t}", today, f"/zwdt/hot_{i}.html", "") for i, t in enumerate(_TOPICS[:5])]
    common: dict[str, Any] = {
        "site_name": SITE_NAME,
        "owner": OWNER,
        "today": today,
        "external": external,
        "nav": columns,
        "charset": "utf-8",
        "hot": hot,
    }

    def write(path: str, template: str, encoding: str = "utf-8", **context: Any) -> None:
        target = root / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        charset = "gb2312" if encoding == "gbk" else "utf-8"
        html = env.get_template(template).render({**common, "charset": charset, **context})
        target.write_bytes(html.encode(encoding))

    for item in hot:
        write(item.href, "detail.html", title=item.title, item=item, column=columns[0], hot=[])
    write(
        "index.html",
        "home.html",
        title="首页",
        blocks=[{"slug": c.slug, "name": c.name, "entries": c.items[:6]} for c in columns[:4]],
    )
    for column in columns:
        pages = max(1, -(-len(column.items) // PAGE_SIZE))
        for page in range(pages):
            name = "index.html" if page == 0 else f"index_{page}.html"
            write(
                f"{column.slug}/{name}",
                "list.html",
                column.encoding,
                title=column.name,
                column=column,
                items=column.items[page * PAGE_SIZE : (page + 1) * PAGE_SIZE],
                page=page,
                pages=pages,
            )
        for item in column.items:
            write(
                item.href,
                "detail.html",
                column.encoding,
                title=item.title,
                item=item,
                column=column,
            )
    _write_assets(root)
    return DemoSite(root, tuple(columns))


def _item(column: Column, index: int, day: date) -> Item:
    title = f"示例市{_TOPICS[index % len(_TOPICS)]}（第{index + 1}期）"
    if column.url_dates and not (column.yearless and index == 0):
        href = f"/{column.slug}/{day:%Y%m}/t{day:%Y%m%d}_{index + 1}.html"
    else:
        href = f"/{column.slug}/content_{1000 + index}.html"
    list_date = f"[{day:%m-%d}]" if column.yearless else day.isoformat()
    return Item(title, day, href, list_date)


def _plant_problems(columns: list[Column]) -> None:
    by_slug = {c.slug: c for c in columns}
    # A dead attachment on a notice, and an attachment with a Chinese file name that works.
    by_slug["tzgg"].items[0].attachments.append(
        Attachment("/tzgg/files/2023年度报名表.docx", "2023年度报名表.docx")
    )
    by_slug["zcwj"].items[0].attachments += [
        Attachment("/zcwj/files/附件1：实施细则.pdf", "附件1：实施细则.pdf"),
        Attachment("/zcwj/files/办事 指南.pdf", "办事指南.pdf"),
    ]
    # A dead image inside an article.
    by_slug["zwdt"].items[2].images.append("/images/missing-photo.jpg")


def _write_assets(root: Path) -> None:
    files = {
        "css/style.css": b"body{font-family:sans-serif}",
        "js/common.js": b"function createPageHTML(){}",
        "images/logo.png": b"\x89PNG\r\n\x1a\n",
        "images/banner.jpg": b"\xff\xd8\xff",
        "images/special.png": b"\x89PNG\r\n\x1a\n",
        "zcwj/files/附件1：实施细则.pdf": b"%PDF-1.4\n",
        "zcwj/files/办事 指南.pdf": b"%PDF-1.4\n",
    }
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def build_external(root: Path) -> None:
    """The second, 'external' server: a working homepage; gone.html does not exist."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "index.html").write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>中国政府网（示例）</title>"
        "</head><body><h1>中国政府网（示例）</h1></body></html>",
        encoding="utf-8",
    )
