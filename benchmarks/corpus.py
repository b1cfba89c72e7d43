"""Write the labelled accuracy corpus (tests/pages/corpus/): list, detail and home pages in the
layouts of five CMS families, UTF-8 and GBK, with the traps inspectors meet.

    .venv/bin/python -m benchmarks.corpus      # rewrites tests/pages/corpus/ deterministically

Every page is written here from a seeded generator; labels.json holds what a reader must find.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

CRAWL_DATE = date(2024, 7, 20)
OUT = Path(__file__).resolve().parent.parent / "tests" / "pages" / "corpus"
FAMILIES = ("trs", "hanweb", "kaipu", "bosi", "custom")
COLUMNS = [
    ("政务动态", "news"),
    ("部门动态", "news"),
    ("乡镇动态", "news"),
    ("图片新闻", "news"),
    ("工作动态", "news"),
    ("通知公告", "notice"),
    ("公示公告", "notice"),
    ("政策文件", "policy"),
    ("规范性文件", "policy"),
    ("部门文件", "policy"),
    ("人事信息", "personnel"),
    ("人事任免", "personnel"),
    ("规划计划", "planning"),
    ("发展规划", "planning"),
    ("财政预决算", "finance"),
    ("审计信息", "finance"),
    ("重大项目", "key-area"),
    ("社会救助", "key-area"),
    ("领导信箱", "interaction"),
    ("办事指南", "service"),
]
TOPICS = [
    "召开常务会议研究部署重点工作",
    "开展安全生产大检查",
    "推进优化营商环境改革",
    "部署防汛抗旱工作",
    "召开乡村振兴推进会",
    "开展政务公开培训",
    "推进数字政府建设",
    "举办招商引资签约仪式",
    "开展文明城市创建",
    "部署森林防火工作",
]


@dataclass
class Page:
    name: str
    family: str
    kind: str  # list, detail, home
    encoding: str
    html: str
    label: dict[str, object] = field(default_factory=dict)


def main() -> int:
    rng = random.Random(20240720)
    pages: list[Page] = []
    for family in FAMILIES:
        for index in range(15):
            pages.append(list_page(rng, family, index))
        for index in range(8):
            pages.append(detail_page(rng, family, index))
        pages.append(home_page(rng, family))
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("*.html"):
        old.unlink()
    labels = []
    for page in pages:
        (OUT / page.name).write_bytes(
            page.html.encode("gb18030" if page.encoding == "gbk" else "utf-8")
        )
        labels.append(
            {
                "file": page.name,
                "family": page.family,
                "type": page.kind,
                "encoding": page.encoding,
                **page.label,
            }
        )
    (OUT / "labels.json").write_text(
        json.dumps(labels, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    print(f"{len(pages)} pages written to {OUT}")
    return 0


def list_page(rng: random.Random, family: str, index: int) -> Page:
    column, category = COLUMNS[(index * 7 + FAMILIES.index(family)) % len(COLUMNS)]
    empty = index == 13
    count = 0 if empty else rng.randint(3, 20)
    ages = sorted(rng.sample(range(1, 400), count))
    if index % 5 == 3 and count > 2:  # not sorted newest-first
        rng.shuffle(ages)
    days = [CRAWL_DATE - timedelta(days=a) for a in ages]
    pinned = index % 4 == 1 and count > 0  # an old 置顶 item first
    items = []
    if pinned:
        items.append(("【置顶】关于长期有效的办事须知", date(2019, 1, 2)))
    items += [
        (
            f"{column}：{rng.choice(TOPICS)}（{d.year}年{d.month}月{d.day}日）"
            if i % 6 == 0
            else f"{column}：{rng.choice(TOPICS)}",
            d,
        )
        for i, d in enumerate(days)
    ]
    encoding = "gbk" if family == "kaipu" or (family == "custom" and index % 3 == 0) else "utf-8"
    body = render_list(rng, family, index, column, items)
    newest = max((d for _, d in items), default=None)
    html = wrap(family, column, body, encoding, meta_column=family in ("trs", "hanweb"))
    return Page(
        f"{family}-list-{index:02d}.html",
        family,
        "list",
        encoding,
        html,
        {
            "column": column,
            "category": category,
            "newest_date": newest.isoformat() if newest else None,
            "item_count": len(items),
            "url": f"http://www.example.gov.cn/{family}/col{index}/index.html",
        },
    )


def render_list(
    rng: random.Random, family: str, index: int, column: str, items: list[tuple[str, date]]
) -> str:
    if not items:
        return "<div class='list-box'><p class='nodata'>暂无信息</p></div>"
    if family == "trs":
        year_less = index % 2 == 0
        lis = "".join(
            f"<li><a href='./{d:%Y%m}/t{d:%Y%m%d}_{5000 + i}.html' title='{t}'>{t[:18]}"
            f"{'...' if len(t) > 18 else ''}</a><span>{'[' + f'{d:%m-%d}' + ']' if year_less else d.isoformat()}"
            "</span></li>"
            for i, (t, d) in enumerate(items)
        )
        return (
            f"<div class='list'><ul>{lis}</ul><div class='page'>"
            "<script>createPageHTML(5, 0, 'index', 'html');</script></div></div>"
        )
    if family == "hanweb":
        records = "".join(
            f"<record><![CDATA[<li><a href='/art/{d.year}/{d.month}/{d.day}/art_12_{i}.html' "
            f"target='_blank'>{t}</a><span>{d:%Y-%m-%d}</span></li>]]></record>"
            for i, (t, d) in enumerate(items)
        )
        return (
            f"<div id='c{index}'><script type='text/xml'><datastore><nextgroup></nextgroup>"
            f"<recordset>{records}</recordset></datastore></script></div>"
        )
    if family == "kaipu":
        rows = "".join(
            f"<tr><td class='title'><a href='/info/{1000 + i}.jhtml'>{t}</a></td>"
            f"<td>{column}</td><td class='date'>{d.year}年{d.month:02d}月{d.day:02d}日"
            "</td></tr>"
            for i, (t, d) in enumerate(items)
        )
        return f"<table class='tb' width='100%'>{rows}</table>"
    if family == "bosi":
        wide = str.maketrans("0123456789-", "０１２３４５６７８９－")
        cells = "".join(
            f"<div class='news-item'><a href='/news/{2000 + i}.html'><span class='t'>{t}</span>"
            f"<span class='d'>{(d.isoformat().translate(wide) if i % 3 == 0 else f'{d:%Y/%m/%d}')}"
            "</span></a></div>"
            for i, (t, d) in enumerate(items)
        )
        return f"<div class='news-list'>{cells}</div>"
    if index % 4 == 2:  # an inline JSON list the page renders with a script
        data = json.dumps(
            [
                {"title": t, "url": f"/c/{i}.html", "pubDate": f"{d} 10:00:00"}
                for i, (t, d) in enumerate(items)
            ],
            ensure_ascii=False,
        )
        return f"<div id='list'></div><script>var listData = {data};render(listData);</script>"
    dds = "".join(
        f"<dd><a href='/c/{i}.html'>{t}</a><em>{d:%y-%m-%d}</em></dd>"
        for i, (t, d) in enumerate(items)
    )
    return f"<dl class='lists'>{dds}</dl>"


def detail_page(rng: random.Random, family: str, index: int) -> Page:
    published = CRAWL_DATE - timedelta(days=rng.randint(1, 600))
    written = published - timedelta(days=rng.randint(0, 20))
    title = f"关于{rng.choice(TOPICS)}的通知"
    index_no = (
        f"11360727MB{rng.randint(1000000, 9999999)}X/{published.year}-{rng.randint(1, 999):05d}"
    )
    publisher = rng.choice(["某县人民政府办公室", "某县发展和改革委员会", "某县财政局"])
    doc_no = f"某府办字〔{published.year}〕{rng.randint(1, 99)}号"
    policy = index % 2 == 0
    metas = (
        (
            f"<meta name='ArticleTitle' content='{title}'><meta name='PubDate' "
            f"content='{published} 09:30'><meta name='ContentSource' content='{publisher}'>"
        )
        if family in ("trs", "hanweb")
        else ""
    )
    if policy:
        info = (
            "<table class='xxgk'><tr><td>索 引 号：</td><td>" + index_no + "</td><td>发布机构："
            f"</td><td>{publisher}</td></tr><tr><td>成文日期：</td><td>{written:%Y年%m月%d日}</td>"
            f"<td>发布日期：</td><td>{published:%Y年%m月%d日}</td></tr><tr><td>文　　号：</td>"
            f"<td>{doc_no}</td></tr></table>"
        )
    else:
        info = (
            f"<div class='info'>发布时间：{published.isoformat()} 10:20　来源：{publisher}"
            "　浏览次数：123</div>"
        )
    body = (
        f"<h1>{title}</h1>{info}<div class='content'><p>根据{written.year}年工作安排，"
        f"现将有关事项通知如下。{rng.choice(TOPICS)}。</p></div>"
    )
    encoding = "gbk" if family == "kaipu" else "utf-8"
    html = wrap(family, "政策文件", body, encoding, head=metas)
    return Page(
        f"{family}-detail-{index:02d}.html",
        family,
        "detail",
        encoding,
        html,
        {
            "detail": {
                "title": title,
                "published": published.isoformat(),
                "written": written.isoformat() if policy else None,
                "index_no": index_no if policy else None,
                "publisher": publisher,
                "doc_no": doc_no if policy else None,
            },
            "url": f"http://www.example.gov.cn/{family}/art/{published:%Y%m}/t{published:%Y%m%d}_{index}.html",
        },
    )


def home_page(rng: random.Random, family: str) -> Page:
    blocks = []
    newest = None
    for column, _ in COLUMNS[:3]:
        days = sorted(
            {CRAWL_DATE - timedelta(days=rng.randint(0, 40)) for _ in range(6)}, reverse=True
        )
        newest = max([newest, *days]) if newest else max(days)
        lis = "".join(
            f"<li><a href='/{column}/{i}.html'>{column}：{rng.choice(TOPICS)}</a>"
            f"<span>{d.isoformat()}</span></li>"
            for i, d in enumerate(days)
        )
        blocks.append(f"<div class='home-block'><h2>{column}</h2><ul>{lis}</ul></div>")
    html = wrap(family, "首页", "".join(blocks), "utf-8")
    return Page(
        f"{family}-home.html",
        family,
        "home",
        "utf-8",
        html,
        {
            "newest_date": newest.isoformat() if newest else None,
            "url": f"http://www.example.gov.cn/{family}/",
        },
    )


def wrap(
    family: str, column: str, body: str, encoding: str, head: str = "", meta_column: bool = False
) -> str:
    charset = "gb2312" if encoding == "gbk" else "utf-8"
    meta = (
        (f"<meta name='ColumnName' content='{column}'><meta name='ColumnType' content='{column}'>")
        if meta_column
        else ""
    )
    future = CRAWL_DATE + timedelta(days=3)
    hot = "".join(
        f"<li><a href='/hot/{i}.html'>热点新闻第{i}条标题</a><span>{CRAWL_DATE}</span></li>"
        for i in range(6)
    )
    return (
        f"<!DOCTYPE html><html><head><meta http-equiv='Content-Type' content='text/html; "
        f"charset={charset}'>{meta}{head}<title>{column}_某县人民政府</title></head><body>"
        f"<div class='header'><div class='top-date'>今天是{CRAWL_DATE:%Y年%m月%d日} 星期六</div>"
        "<div class='nav'><ul><li><a href='/'>首页</a></li><li><a href='/zwgk/'>政务公开</a>"
        "</li></ul></div></div>"
        f"<div class='container'><div class='main-content'>{body}</div>"
        f"<div class='sidebar'><div class='hot'><h3>热点排行</h3><ul>{hot}</ul></div>"
        f"<div class='notice'>预告：{future:%Y年%m月%d日}举行听证会</div></div></div>"
        f"<div class='footer'><p>更新时间：{CRAWL_DATE}　网站标识码：3607270001</p></div>"
        "</body></html>"
    )


if __name__ == "__main__":
    raise SystemExit(main())
