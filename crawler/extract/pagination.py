"""The next page of a column's list: a 下一页 link or a TRS-style ``createPageHTML`` pager."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from crawler.extract.html import HtmlElement, base_url, squash

_NEXT_TEXTS = frozenset({"下一页", "下页", "后一页", "下一頁", "next", "next page", ">", "›", "»"})
# createPageHTML(total_pages, current_index, "index", "html") as written by TRS WCM templates.
_CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"']([^\"']+)[\"']\s*,\s*[\"']([^\"']+)[\"']"
)


def next_page_url(doc: HtmlElement, page_url: str) -> str | None:
    base = base_url(doc, page_url)
    for anchor in doc.iter("a"):
        text = squash(anchor.text_content()).lower() or squash(anchor.get("title")).lower()
        href = (anchor.get("href") or "").strip()
        if text in _NEXT_TEXTS and href and not href.lower().startswith(("javascript:", "#")):
            candidate = urljoin(base, href)
            if candidate.split("#")[0] != page_url.split("#", maxsplit=1)[0]:
                return candidate
    for script in doc.iter("script"):
        match = _CREATE_PAGE.search(script.text or "")
        if match:
            total, current = int(match.group(1)), int(match.group(2))
            if current + 1 < total:
                return urljoin(base, f"{match.group(3)}_{current + 1}.{match.group(4)}")
    return None
