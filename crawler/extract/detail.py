"""What an article (detail) page says about itself: its publication date, for now."""

from __future__ import annotations

import re

from crawler.extract.dates import DateMatch, find_dates, normalize
from crawler.extract.html import HtmlElement

_DATE_META = ("pubdate", "publishdate", "article:published_time", "dc.date", "firstpublishedtime")
_LABELS = re.compile(r"(发布日期|发布时间|发文日期|公开日期|成文日期)\s*[:：]")
_LABEL_WINDOW = 40


def publication_date(doc: HtmlElement) -> DateMatch | None:
    """``PubDate``-style meta first, then a 发布日期/发布时间 label in the text; full dates only."""
    for meta in doc.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        if name in _DATE_META:
            found = [d for d in find_dates(meta.get("content") or "") if d.year is not None]
            if found:
                return found[0]
    body = doc.find("body")
    text = normalize(body.text_content() if body is not None else doc.text_content())
    best: tuple[int, DateMatch] | None = None
    for match in _LABELS.finditer(text):
        rank = 0 if match.group(1).startswith("发布") else 1
        window = text[match.end() : match.end() + _LABEL_WINDOW]
        full = [d for d in find_dates(window) if d.year is not None]
        if full and (best is None or rank < best[0]):
            best = (rank, full[0])
    return best[1] if best else None
