"""How the per-page readers scale with a page's size: every reader the crawl runs on a page,
timed on page shapes a government site may serve at 250 to 16,000 links or dates.

    .venv/bin/python -m benchmarks.pageshapes [--sizes 250 1000 4000] [--shape flat-br ...]

A reader whose time grows faster than the page (a list read once per link) stalls a whole
crawl on one big page: a 网站地图, a 全部信息 list of every item, a statistics bulletin. Prints,
for each shape and reader, the seconds at each size and the growth from the last size but one to
the last against the page's (×4 for ×4 is linear), and the slowest readers at the largest size.
"""

from __future__ import annotations

import argparse
import re
import time
from collections.abc import Callable, Iterable, Iterator

from crawler.extract import detail, links, lists, navigation, pagination, scripts, softpages
from crawler.extract.html import HtmlElement, parse_html

HOME = "http://www.example.gov.cn/"
PAGE = "http://www.example.gov.cn/col/tzgg/index.html"

Reader = Callable[[HtmlElement], object]
READERS: dict[str, Reader] = {
    "extract_links": lambda doc: links.extract_links(doc, PAGE),
    "fragment_links": lambda doc: links.fragment_links(doc, PAGE),
    "anchor_names": links.anchor_names,
    "refresh_url": lambda doc: links.refresh_url(doc, PAGE),
    "find_lists": lambda doc: lists.find_lists(doc, PAGE),
    "content_items": lambda doc: lists.content_items(doc, PAGE),
    "says_empty": lists.says_empty,
    "has_public_form": lists.has_public_form,
    "shows_people": lists.shows_people,
    "page_type": lambda doc: navigation.page_type(doc, PAGE, HOME),
    "navigation_links": lambda doc: navigation.navigation_links(doc, PAGE, HOME),
    "hub_columns": lambda doc: navigation.hub_columns(doc, PAGE, HOME),
    "box_hub_columns": lambda doc: navigation.box_hub_columns(doc, PAGE, HOME),
    "box_links": lambda doc: navigation.box_links(doc, PAGE, HOME),
    "sibling_keys": lambda doc: navigation.sibling_keys(doc, PAGE, HOME),
    "sitemap_links": lambda doc: navigation.sitemap_links(doc, PAGE, HOME),
    "tree_links": lambda doc: navigation.tree_links(doc, PAGE, HOME),
    "frame_urls": lambda doc: navigation.frame_urls(doc, PAGE, HOME),
    "content_frames": lambda doc: navigation.content_frames(doc, PAGE, HOME),
    "column_list": lambda doc: scripts.column_list(doc, PAGE),
    "list_signals": lambda doc: scripts.list_signals(doc, PAGE),
    "next_page_url": lambda doc: pagination.next_page_url(doc, PAGE),
    "last_page_url": lambda doc: pagination.last_page_url(doc, PAGE),
    "fingerprint": lambda doc: softpages.fingerprint(200, doc),
    "soft_verdict": softpages.soft_verdict,
    "is_block_page": softpages.is_block_page,
    "detail_metadata": detail.detail_metadata,
    "publication_date": detail.publication_date,
}


def _title(i: int) -> str:
    return f"关于做好第{i}批政务公开重点工作的通知"


def _day(i: int) -> str:
    return f"2024-{i % 12 + 1:02d}-{i % 28 + 1:02d}"


def _inside(wrapper: str, rows: Iterable[str], between: str = "") -> str:
    """The rows inside ``wrapper``'s tags (``"<table><tr><td>"``), each closed in turn."""
    closing = "".join(f"</{tag}>" for tag in reversed(re.findall(r"<(\w+)", wrapper)))
    return wrapper + between.join(rows) + closing


def _link(i: int) -> str:
    return f'<a href="/a/{i}.html">{_title(i)}</a>'


def shapes(n: int) -> Iterator[tuple[str, str]]:
    """(name, body) of each page shape with ``n`` links (or dates)."""
    many = range(n)
    yield "li-list", _inside("<ul>", (f"<li>{_link(i)}<span>{_day(i)}</span></li>" for i in many))
    yield (
        "table-rows",
        _inside(
            "<table>",
            (f"<tr><td>{_link(i)}</td><td>{_day(i)}</td><td>{_day(i + 1)}</td></tr>" for i in many),
        ),
    )
    # one item a line: link, date, <br>, link, date, <br>… in one block
    yield "flat-br", _inside("<div>", (f"{_link(i)} {_day(i)}<br>" for i in many))
    yield "p-dated", _inside("<div>", (f"<p>{_link(i)} {_day(i)}</p>" for i in many))
    # links side by side in nested blocks, no date, no item element
    yield "bare-links", _inside("<div><div><div>", (_link(i) for i in many), " ")
    # blocks of as many classes as links (a page built by an editor's hand)
    yield "unlike-blocks", _inside("<div>", (f'<div class="c{i}">{_link(i)}</div>' for i in many))
    # the whole page in one cell of a layout table
    yield (
        "layout-cell",
        _inside("<table><tr><td>", (f"<div>{_link(i)}<span>{_day(i)}</span></div>" for i in many)),
    )
    # an editor's list that leaves a tag open on every line: it nests as deep as it is long
    yield (
        "unclosed-tags",
        _inside("<ul>", (f'<li><font color="#333">{_link(i)} {_day(i)}</li>' for i in many)),
    )
    # a 网站地图: columns and their sub-columns
    sub = range(9)
    yield (
        "sitemap",
        _inside(
            "<ul>",
            (
                f'<li><a href="/c/{i}/">栏目{i}</a>'
                + _inside(
                    "<ul>", (f'<li><a href="/c/{i}/{j}/">子栏目{i}-{j}</a></li>' for j in sub)
                )
                + "</li>"
                for i in range(n // 10)
            ),
        ),
    )
    # a bulletin: one paragraph of Chinese text without a space, full of dates
    yield "text-run", _inside("<div><p>", (f"本机关于{_day(i)}发布第{i}号通知，" for i in many))
    yield (
        "fragments",
        "".join(
            f'<h2 id="s{i}">第{i}节</h2><a href="#s{i + 1}">下一节</a><a href="/p.html#s{i}">他页</a>'
            for i in many
        ),
    )
    yield (
        "images",
        "".join(
            f'<img src="/i/{i}.jpg" srcset="/i/{i}.jpg 1x, /i/{i}@2x.jpg 2x" '
            f'style="background:url(/b/{i}.png)">'
            for i in many
        ),
    )


def _page(body: str) -> str:
    return f"<html><head><title>通知公告</title></head><body>{body}</body></html>"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[250, 1000, 4000, 16000])
    parser.add_argument("--shape", nargs="*", help="only these shapes")
    parser.add_argument("--limit", type=float, default=30.0, help="seconds: skip larger sizes")
    args = parser.parse_args()
    sizes = sorted(args.sizes)
    times: dict[tuple[str, str], list[float]] = {}
    for n in sizes:
        for shape, body in shapes(n):
            if args.shape and shape not in args.shape:
                continue
            html = _page(body)
            for reader, read in READERS.items():
                spent = times.setdefault((shape, reader), [])
                if len(spent) and spent[-1] > args.limit:
                    continue  # too slow already: the next size would take hours
                doc = parse_html(html)
                started = time.perf_counter()
                read(doc)
                spent.append(time.perf_counter() - started)
    print(f"{'shape':14} {'reader':17} " + " ".join(f"{n:>8}" for n in sizes) + "   growth")
    for (shape, reader), spent in times.items():
        if max(spent) < 0.02:
            continue  # too quick to tell
        cells = " ".join(f"{s:8.3f}" for s in spent) + " " * 9 * (len(sizes) - len(spent))
        growth = ""
        if len(spent) >= 2 and spent[-2] > 0:
            ratio = sizes[len(spent) - 1] / sizes[len(spent) - 2]
            growth = f"×{spent[-1] / spent[-2]:.1f} for ×{ratio:.0f}"
        print(f"{shape:14} {reader:17} {cells}   {growth}")
    largest = sorted(
        ((spent[-1], shape, reader) for (shape, reader), spent in times.items()), reverse=True
    )
    print("\nslowest at the largest size each reached:")
    for seconds, shape, reader in largest[:5]:
        print(f"  {seconds:8.3f} s  {reader} on {shape}")


if __name__ == "__main__":
    main()
