"""Parsing HTML text into an lxml tree, and small helpers shared by the extractors."""

from __future__ import annotations

import re
from urllib.parse import urljoin

import lxml.html
from lxml import etree

HtmlElement = lxml.html.HtmlElement

_SPACE = re.compile(r"\s+")


def parse_html(text: str) -> HtmlElement:
    """A tolerant parse; encoding declarations in the text are ignored (it is already decoded)."""
    parser = lxml.html.HTMLParser(remove_comments=True, recover=True)
    cleaned = text.lstrip("\ufeff")
    if cleaned.lstrip().startswith("<?xml"):
        cleaned = cleaned.split("?>", 1)[-1]
    if not cleaned.strip():
        cleaned = "<html></html>"
    try:
        return lxml.html.document_fromstring(cleaned, parser=parser)
    except etree.ParserError:  # only comments or processing instructions: an empty page
        return lxml.html.document_fromstring("<html></html>", parser=parser)


def squash(text: str | None) -> str:
    """Collapse runs of white space (including full-width spaces) to one space."""
    if not text:
        return ""
    return _SPACE.sub(" ", text.replace("\u3000", " ")).strip()


def base_url(doc: HtmlElement, page_url: str) -> str:
    """The page's ``<base href>`` resolved against its URL, else the URL itself."""
    for value in doc.xpath("//base/@href"):
        href = str(value).strip()
        if href:
            return urljoin(page_url, href)
    return page_url


def web_url(base: str, href: str | None) -> str | None:
    """``href`` made absolute, only if it is an http(s) URL: crawled ``javascript:``,
    ``data:`` or ``vbscript:`` links (any case) never become a link in a report."""
    if not href:
        return None
    cleaned = re.sub(r"[\t\r\n]", "", href).strip()
    try:
        absolute = urljoin(base, cleaned)
    except ValueError:
        return None
    return absolute if absolute.lower().startswith(("http://", "https://")) else None


def tag_of(element: HtmlElement) -> str:
    return element.tag if isinstance(element.tag, str) else ""


__all__ = ["HtmlElement", "base_url", "etree", "parse_html", "squash", "tag_of", "web_url"]
