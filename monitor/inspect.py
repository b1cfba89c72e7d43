"""`govwatch inspect`: what govwatch reads from one page, with the crawl's own code."""

from __future__ import annotations

from datetime import date
from typing import Any

from crawler.extract.detail import detail_metadata
from crawler.extract.html import parse_html
from crawler.extract.lists import content_items, newest, resolve_date
from crawler.extract.navigation import navigation_links, page_type
from crawler.extract.pagination import next_page_url
from crawler.extract.scripts import column_list, list_signals
from monitor.classify import classify
from monitor.config import Preset


def inspect_page(
    html: str, url: str, crawl_date: date, preset: Preset, home: str | None = None
) -> dict[str, Any]:
    doc = parse_html(html)
    kind = page_type(doc, url, home)
    found, from_script = column_list(doc, url)
    # A homepage is judged on every content list it shows, as the crawl does.
    items = content_items(doc, url) if kind == "home" else list(found.items) if found else []
    dated = [resolve_date(item, None, crawl_date) for item in items]
    best = newest(dated)
    metadata = detail_metadata(doc)
    signals = list_signals(doc, url)
    metas = {(m.get("name") or "").lower(): m.get("content") for m in doc.iter("meta")}
    title = doc.find(".//title")
    column_name = metas.get("columnname") or (
        title.text_content().strip() if title is not None else ""
    )
    category = classify(column_name or "", preset, (), metas.get("columntype"))
    return {
        "url": url,
        "page_type": kind,
        "column": {
            "ColumnName": metas.get("columnname"),
            "ColumnType": metas.get("columntype"),
            "category": category.category,
            "reason": category.reason,
        },
        "list": {
            "item_count": len(items),
            "dated_count": sum(1 for d in dated if d.date),
            "from_script": from_script,
            "items": [
                {
                    "title": d.item.title,
                    "url": d.item.url,
                    "date_text": d.item.date_text,
                    "date": d.date.isoformat() if d.date else None,
                    "source": d.source,
                    "needs_detail_page": d.item.needs_detail and d.source != "list",
                }
                for d in dated
            ],
            "newest": None
            if best is None
            else {
                "title": best.item.title,
                "url": best.item.url,
                "date_text": best.item.date_text,
                "date": best.date.isoformat() if best.date else None,
                "source": best.source,
            },
            "next_page": next_page_url(doc, url),
            "empty_marker": signals.empty_marker,
            "data_urls": list(signals.data_urls),
            "scripted": signals.scripted,
        },
        "detail": {
            "title": metadata.title,
            "published": metadata.published.value.isoformat()
            if metadata.published and metadata.published.value
            else None,
            "written": metadata.written.value.isoformat()
            if metadata.written and metadata.written.value
            else None,
            "index_no": metadata.index_no,
            "publisher": metadata.publisher,
            "doc_no": metadata.doc_no,
            "ArticleTitle": metadata.meta_title,
            "PubDate": metadata.meta_published,
            "ContentSource": metadata.meta_source,
        },
        "navigation": [
            {"name": link.name, "url": link.url} for link in navigation_links(doc, url, home or url)
        ],
    }
