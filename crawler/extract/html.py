"""Parsing HTML text into an lxml tree, and small helpers shared by the extractors."""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit, urlunsplit

import lxml.html
from lxml import etree

HtmlElement = lxml.html.HtmlElement

_SPACE = re.compile(r"\s+")
# What a browser removes from an attribute's URL: ASCII tabs and newlines anywhere, C0 controls
# and spaces at both ends (a full-width or no-break space stays, and is requested encoded).
_TAB_NEWLINE = re.compile(r"[\t\r\n]")
_C0_SPACE = "".join(chr(c) for c in range(0x21))
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*):")
_SPECIAL = ("http", "https")


def parse_html(text: str) -> HtmlElement:
    """A tolerant parse; encoding declarations in the text are ignored (it is already decoded).

    Elements left open (an unclosed ``<font>`` on every line of a list, as old editors write)
    nest; libxml2 drops everything after 2,048 levels. Such a page is parsed again without its
    formatting tags, then, if need be, without its blocks too: its links and text all read,
    if not its layout."""
    cleaned = text.lstrip("\ufeff")
    if cleaned.lstrip().startswith("<?xml"):
        cleaned = cleaned.split("?>", 1)[-1]
    if not cleaned.strip():
        cleaned = "<html></html>"
    doc, whole = _parse(cleaned)
    # formatting tags go as a browser shows them, joined to the text around; blocks apart
    for nesting, between in ((_FORMATTING_TAGS, ""), (_BLOCK_TAGS, " ")):
        if whole:
            break
        cleaned = nesting.sub(between, cleaned)
        doc, whole = _parse(cleaned)
    return doc


# Tags that nest when left open and hold no link of their own.
_FORMATTING_TAGS = re.compile(
    r"</?(?:font|span|b|strong|em|i|u|s|strike|small|big|center|sup|sub|label|nobr|tt)\b[^>]*>",
    re.I,
)
_BLOCK_TAGS = re.compile(
    r"</?(?:div|section|article|aside|header|footer|nav|main|table|thead|tbody|tfoot|tr|td|th"
    r"|ul|ol|li|dl|dt|dd|p|form|blockquote|fieldset|h[1-6])\b[^>]*>",
    re.I,
)


def _parse(text: str) -> tuple[HtmlElement, bool]:
    """The parsed page, and whether the parser read it whole (no limit of its was hit)."""
    # huge_tree: 2,048 levels rather than 256 (the limits it lifts guard against XML entity
    # expansion, which HTML has not)
    parser = lxml.html.HTMLParser(remove_comments=True, recover=True, huge_tree=True)
    try:
        doc = lxml.html.document_fromstring(text, parser=parser)
    except etree.ParserError:  # only comments or processing instructions: an empty page
        return lxml.html.document_fromstring("<html></html>", parser=parser), True
    return doc, not any(error.type_name == "ERR_RESOURCE_LIMIT" for error in parser.error_log)


def squash(text: str | None) -> str:
    """Collapse runs of white space (including full-width spaces) to one space."""
    if not text:
        return ""
    return _SPACE.sub(" ", text.replace("\u3000", " ")).strip()


def base_url(doc: HtmlElement, page_url: str) -> str:
    """The page's ``<base href>`` resolved against its URL, else the URL itself."""
    for value in doc.xpath("//base/@href"):
        href = clean_href(str(value))
        if href:
            try:
                return browser_url(page_url, href)
            except ValueError:
                return page_url  # a broken <base> is ignored, as browsers do
    return page_url


def clean_href(raw: str) -> str:
    """An attribute's URL as a browser reads it: ASCII tabs and newlines removed, C0 controls
    and spaces trimmed at both ends. Full-width (U+3000) and no-break spaces are part of the
    URL: the browser requests them, percent-encoded."""
    return _TAB_NEWLINE.sub("", raw).strip(_C0_SPACE)


def browser_url(base: str, href: str) -> str:
    """``href`` (cleaned) resolved against ``base`` the way a browser resolves an http(s) link
    (WHATWG URL): backslashes before the query are slashes (``..\\files\\a.pdf``), extra
    slashes after ``http:`` are skipped, ``http:x.html`` on an http page is relative, and
    ``.``/``..`` segments are removed from every path (a server receives none). Other schemes
    are returned as written. ValueError for a URL with no host (``http://``)."""
    match = _SCHEME.match(href)
    scheme = match.group(1).lower() if match else None
    base_scheme = base.partition(":")[0].lower()
    if scheme is not None and scheme not in _SPECIAL:
        return href
    if scheme is None and base_scheme not in _SPECIAL:
        return urljoin(base, href)
    if "\\" in href:
        cut = min((i for i in (href.find("?"), href.find("#")) if i >= 0), default=len(href))
        href = href[:cut].replace("\\", "/") + href[cut:]
    if scheme is not None:
        rest = href[len(scheme) + 1 :]
        if scheme == base_scheme and not rest.startswith("//"):
            return _without_dots(_join(base, rest))  # "http:page.html": relative
        absolute = f"{scheme}://{rest.lstrip('/')}"
    elif href.startswith("//"):
        absolute = f"{base_scheme}://{href.lstrip('/')}"
    else:
        return _without_dots(_join(base, href))
    if not urlsplit(absolute).netloc:
        raise ValueError(f"no host in {href!r}")
    return _without_dots(absolute)


def _join(base: str, href: str) -> str:
    """A relative reference resolved against an absolute http(s) base (RFC 3986), keeping
    empty path segments as browsers do: ``a//b.html`` is not ``a/b.html`` (urljoin drops
    them; a server that does not merge slashes answers 404 for the latter)."""
    path_end = min((i for i in (href.find("?"), href.find("#")) if i >= 0), default=len(href))
    if "//" not in href[:path_end] and "//" not in urlsplit(base).path:
        return urljoin(base, href)
    parts, ref = urlsplit(base), urlsplit(href)
    if ref.path.startswith("/"):
        path, query = ref.path, ref.query
    elif not ref.path:
        path, query = parts.path, ref.query if "?" in href else parts.query
    else:
        folder = parts.path[: parts.path.rfind("/") + 1] or "/"
        path, query = folder + ref.path, ref.query
    return urlunsplit((parts.scheme, parts.netloc, path, query, ref.fragment))


def _without_dots(url: str) -> str:
    """``.`` and ``..`` path segments removed (also ``%2e``), as browsers do before asking."""
    if "/." not in url and "%2" not in url:
        return url  # the common case: no dot segment anywhere (urljoin removed relative ones)
    parts = urlsplit(url)
    if "/." not in parts.path and "%2" not in parts.path:
        return url
    segments = parts.path.split("/")
    kept: list[str] = []
    for index, segment in enumerate(segments):
        last = index == len(segments) - 1
        lowered = segment.lower()
        if lowered in (".", "%2e"):
            if last:
                kept.append("")
        elif lowered in ("..", ".%2e", "%2e.", "%2e%2e"):
            if len(kept) > 1:
                kept.pop()
            if last:
                kept.append("")
        else:
            kept.append(segment)
    path = "/".join(kept)
    if parts.netloc and not path.startswith("/"):
        path = "/" + path
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


def web_url(base: str, href: str | None) -> str | None:
    """``href`` made absolute, only if it is an http(s) URL: crawled ``javascript:``,
    ``data:`` or ``vbscript:`` links (any case) never become a link in a report."""
    if not href:
        return None
    try:
        absolute = browser_url(base, clean_href(href))
    except ValueError:
        return None
    return absolute if absolute.lower().startswith(("http://", "https://")) else None


def tag_of(element: HtmlElement) -> str:
    return element.tag if isinstance(element.tag, str) else ""


INDEX_PAGE = re.compile(r"/(index|default)(_\d+)?\.(s?html?|jsp|php|aspx?)$", re.I)


def column_key(url: str) -> str:
    """One key for one column however it is linked: ``/zwdt/``, ``/zwdt/index.html`` and
    ``/zwdt`` are the same column; scheme and fragment do not matter."""
    parts = urlsplit(url)
    path = INDEX_PAGE.sub("/", parts.path or "/")
    if not path.endswith("/") and "." not in path.rsplit("/", 1)[-1]:
        path += "/"
    host = parts.netloc.rsplit("@", 1)[-1].lower()  # a port out of range stays as written
    return urlunsplit(("", host, path, parts.query, ""))


__all__ = [
    "INDEX_PAGE",
    "HtmlElement",
    "base_url",
    "browser_url",
    "clean_href",
    "column_key",
    "etree",
    "parse_html",
    "squash",
    "tag_of",
    "web_url",
]
