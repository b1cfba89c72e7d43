"""The next (or last) page of a column's list: a 下一页 (尾页) link or a TRS-style
``createPageHTML`` pager."""

from __future__ import annotations

import re
from urllib.parse import urljoin

from crawler.extract.html import HtmlElement, base_url, squash

_NEXT_TEXTS = frozenset({"下一页", "下页", "后一页", "下一頁", "next", "next page", ">", "›", "»"})
_LAST_TEXTS = frozenset({"尾页", "末页", "最后一页", "最末页", "尾頁", "last", "last page", ">>|"})
# createPageHTML(total_pages, current_index, "index", "html") as written by TRS WCM templates.
_CREATE_PAGE = re.compile(
    r"createPageHTML\(\s*(\d+)\s*,\s*(\d+)\s*,\s*[\"']([^\"']+)[\"']\s*,\s*[\"']([^\"']+)[\"']"
)


def next_page_url(doc: HtmlElement, page_url: str) -> str | None:
    return _pager_url(doc, page_url, _NEXT_TEXTS, last=False)


def last_page_url(doc: HtmlElement, page_url: str) -> str | None:
    """The list's last page (尾页): where a list in date order, oldest first, has its newest."""
    return _pager_url(doc, page_url, _LAST_TEXTS, last=True)


def _pager_url(doc: HtmlElement, page_url: str, texts: frozenset[str], last: bool) -> str | None:
    base = base_url(doc, page_url)
    for anchor in doc.iter("a"):
        text = squash(anchor.text_content()).lower() or squash(anchor.get("title")).lower()
        href = (anchor.get("href") or "").strip()
        if text in texts and href and not href.lower().startswith(("javascript:", "#")):
            candidate = urljoin(base, href)
            if candidate.split("#")[0] != page_url.split("#", maxsplit=1)[0]:
                return candidate
    for script in doc.iter("script"):
        match = _CREATE_PAGE.search(script.text or "")
        if match:
            total, current = int(match.group(1)), int(match.group(2))
            wanted = total - 1 if last else current + 1
            if current < wanted < total:
                return urljoin(base, f"{match.group(3)}_{wanted}.{match.group(4)}")
    return None
