"""Every link a page makes (pages, images, attachments, scripts, styles, frames, media)."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import SplitResult, quote, unquote, urlsplit, urlunsplit

from crawler.extract.html import HtmlElement, base_url, browser_url, clean_href, squash, tag_of

# (tag, attribute) pairs that make the browser fetch or navigate to a URL.
_LINK_ATTRS: tuple[tuple[str, str], ...] = (
    ("a", "href"),
    ("area", "href"),
    ("img", "src"),
    ("script", "src"),
    ("link", "href"),
    ("iframe", "src"),
    ("frame", "src"),
    ("embed", "src"),
    ("source", "src"),
    ("video", "src"),
    ("audio", "src"),
    ("track", "src"),
    ("object", "data"),
    # Old templates' background pictures: browsers still fetch them.
    ("body", "background"),
    ("table", "background"),
    ("tr", "background"),
    ("td", "background"),
    ("th", "background"),
)
_ATTRS_OF: dict[str, tuple[str, ...]] = {}
for _tag, _attr in _LINK_ATTRS:
    _ATTRS_OF[_tag] = (*_ATTRS_OF.get(_tag, ()), _attr)
# Elements that can make a link: by an attribute above, or srcset, poster, an image input, an
# object's param, a <style> sheet, a meta refresh.
_SCANNED_TAGS = (*_ATTRS_OF, "input", "param", "style", "meta")
# <object><param name="movie" value="…">: the file a Flash or media player object plays.
_OBJECT_PARAMS = frozenset({"movie", "src", "url", "filename"})
_SKIP_REL = frozenset({"dns-prefetch", "preconnect", "canonical", "alternate"})
_NOT_FETCHED = ("mailto:", "tel:", "javascript:", "data:", "sms:", "about:")
# A file on the computer the page was written on, pasted from Word ("file:///D:/工作/附件.doc",
# "C:\Users\…\附件.xls", "\\oa\share\…": a machine name, no dot): no visitor can open it.
# Reported, never fetched. ("\\www.gov.cn\a.htm" is "//www.gov.cn/a.htm" to a browser.)
ON_AN_EDITORS_COMPUTER = re.compile(r"(?:file:|[a-z]:[\\/]|\\\\[^\\/.]*[\\/])", re.I)
_CSS_URL = re.compile(r"url\(\s*([\"']?)([^\"')]+)\1\s*\)", re.I)
_CSS_IMPORT = re.compile(r"@import\s+([\"'])([^\"']+)\1", re.I)
# <meta http-equiv="refresh" content="0;url=/new/">: the delay, then the URL (quoted or not).
_REFRESH = re.compile(r"^\s*[\d.]*\s*[;,]?\s*(?:url\s*=\s*)?(.*)$", re.I | re.S)
_REFRESH_DELAY = re.compile(r"^\s*(\d+(?:\.\d*)?)")
# A refresh this soon is a redirect written in HTML; a later one (content="600;url=/") is a page
# to read first, that reloads or moves on after a while.
REDIRECT_REFRESH_SECONDS = 10.0
_ANCHOR_TEXT_MAX = 200
# File types that are not web pages: a link to one is checked, never read for links.
NOT_PAGES = frozenset(
    (
        "pdf doc docx xls xlsx ppt pptx wps et dps ofd zip rar 7z gz tar jpg jpeg png gif bmp"
        " webp svg ico tif tiff css js mp4 mp3 avi flv wmv mov wav txt xml json swf apk exe csv"
    ).split()
)


@dataclass(frozen=True)
class LinkRef:
    """One occurrence of a link on a page."""

    url: str  # absolute, fragment removed, as the page wrote it (not percent-encoded)
    tag: str
    attr: str
    text: str


@dataclass(frozen=True)
class PageLinks:
    links: tuple[LinkRef, ...]
    not_fetched: int  # mailto:, tel:, javascript: …: counted, not fetched


def extract_links(doc: HtmlElement, page_url: str) -> PageLinks:
    """Every URL the page makes a browser fetch or offer: href/src attributes, ``srcset``
    candidates, ``poster`` images and CSS ``url()`` in style attributes."""
    base = base_url(doc, page_url)
    # "#part" is a place in this page, unless a <base> names another (a browser goes there)
    elsewhere = _without_fragment(base) != _without_fragment(page_url)
    links: list[LinkRef] = []
    not_fetched = 0
    for element, tag, attr, raw in _raw_links(doc):
        href = clean_href(raw)
        if not href or (href.startswith("#") and not elsewhere):
            continue
        if href.lower().startswith(_NOT_FETCHED):
            not_fetched += 1
            continue
        if ON_AN_EDITORS_COMPUTER.match(href):
            links.append(LinkRef(href, tag, attr, _anchor_text(element, attr)))
            continue
        absolute = _link_target(base, href)
        if absolute is None:  # a malformed URL: kept, so that it is reported with its reason
            absolute = href if ":" in href.split("/", 1)[0] else f"{urlsplit(base).scheme}:{href}"
        if absolute.split(":", 1)[0].lower() not in ("http", "https"):
            not_fetched += 1
            continue
        links.append(LinkRef(absolute, tag, attr, _anchor_text(element, attr)))
    return PageLinks(tuple(links), not_fetched)


@dataclass(frozen=True)
class FragmentRef:
    """A link to a named place in a page (``page.html#section``): the page must have it."""

    page: str  # absolute, without the fragment
    fragment: str  # as written, without "#"
    url: str  # absolute, with the fragment
    tag: str
    text: str


# Fragments a browser does not look up as an element: the top of the page, script routes
# ("#!/x", "#/x") and viewer parameters ("#page=3" in a PDF).
_NOT_ANCHORS = re.compile(r"^(top|!.*|/.*|.*=.*)$", re.I)


def fragment_links(doc: HtmlElement, page_url: str) -> tuple[FragmentRef, ...]:
    """The page's ``a``/``area`` links that name a place in a page (this one or another)."""
    base = base_url(doc, page_url)
    found = []
    for tag in ("a", "area"):
        for element in doc.iter(tag):
            href = clean_href(element.get("href") or "")
            if "#" not in href or href.lower().startswith(_NOT_FETCHED):
                continue
            try:
                absolute = browser_url(base, href)
            except ValueError:
                continue  # a malformed URL is reported by extract_links
            fragment = urlsplit(absolute).fragment
            if not fragment or _NOT_ANCHORS.match(fragment):
                continue
            if absolute.split(":", 1)[0].lower() not in ("http", "https"):
                continue
            found.append(
                FragmentRef(
                    _without_fragment(absolute), fragment, absolute, tag, _anchor_text(element)
                )
            )
    return tuple(found)


def anchor_names(doc: HtmlElement) -> frozenset[str]:
    """The places a fragment can name in this page: every ``id``, and ``a[name]``."""
    names = {value for value in doc.xpath("//@id") if value}
    names.update(a.get("name") or "" for a in doc.iter("a") if a.get("name"))
    return frozenset(str(name) for name in names)


def has_anchor(names: frozenset[str], fragment: str) -> bool:
    """Whether the fragment names a place in the page: as written, or percent-decoded (as
    browsers try both)."""
    return fragment in names or unquote(fragment) in names


def _raw_links(doc: HtmlElement) -> Iterator[tuple[HtmlElement, str, str, str]]:
    """Every (element, tag, attribute, URL as written) outside a ``<template>`` (a browser
    neither shows nor fetches what is in one), in document order."""
    inert = {node for template in doc.iter("template") for node in template.iter()}
    for found in _every_link(doc):
        if not inert or found[0] not in inert:
            yield found


# Script types a browser runs (and so fetches a src for); any other type is data to it.
_SCRIPT_TYPES = frozenset(
    {"", "module", "text/javascript", "application/javascript", "application/x-javascript",
     "text/ecmascript", "application/ecmascript", "text/jscript", "text/livescript"}
)  # fmt: skip


def _runs(script: HtmlElement) -> bool:
    kind = (script.get("type") or "").split(";")[0].strip().lower()
    return kind in _SCRIPT_TYPES


def _every_link(doc: HtmlElement) -> Iterator[tuple[HtmlElement, str, str, str]]:
    """Every (element, tag, attribute, URL as written), in document order: one walk over the
    elements that can make a link, then the style attributes and a blank page's script."""
    for element in doc.iter(*_SCANNED_TAGS):
        tag = tag_of(element)
        for attr in _ATTRS_OF.get(tag, ()):
            raw = element.get(attr)
            if raw is None:
                continue
            if tag == "link" and _SKIP_REL & set((element.get("rel") or "").lower().split()):
                continue
            if tag == "script" and not _runs(element):
                continue  # a template in a script (type="text/html"): a browser fetches nothing
            yield element, tag, attr, raw
        if tag in ("img", "source"):
            for url in srcset_urls(element.get("srcset") or ""):
                yield element, tag, "srcset", url
            yield from _lazy_images(element, tag)
        elif tag == "video":
            if element.get("poster"):
                yield element, "video", "poster", element.get("poster", "")
        elif tag == "input":  # an image button; other inputs fetch nothing
            if (element.get("type") or "").strip().lower() == "image" and element.get("src"):
                yield element, "input", "src", element.get("src", "")
        elif tag == "param":
            name = (element.get("name") or "").strip().lower()
            parent = element.getparent()
            value = element.get("value")
            if name in _OBJECT_PARAMS and value and parent is not None and parent.tag == "object":
                yield element, "object", "param", value
        elif tag == "style":
            css = element.text or ""
            for pattern in (_CSS_IMPORT, _CSS_URL):
                for match in pattern.finditer(css):
                    yield element, "style", "css", match.group(2)
        elif tag == "meta":
            target = _refresh_href(element)
            if target:
                yield element, "meta", "refresh", target
    for element in doc.xpath("//*[@style]"):
        for match in _CSS_URL.finditer(element.get("style") or ""):
            yield element, tag_of(element), "style", match.group(2)
    yield from _scripted_links(doc)
    target = script_redirect(doc)
    if target:
        script = next(s for s in doc.iter("script") if target in (s.text or ""))
        yield script, "script", "location", target


# Where lazy-loading scripts (jQuery lazyload, layui, echo.js…) keep the picture they put in
# ``src`` once it scrolls into view: the visitor sees it, broken or not.
_LAZY_ATTRS = ("data-src", "data-original", "data-lazy-src", "data-lazy", "lazy-src", "lay-src")
_LAZY_SETS = ("data-srcset", "data-lazy-srcset")
# A template's placeholder ("{{ item.pic }}", "${img}") or a sentence is no URL.
_NOT_A_URL = re.compile(r"[\s{}<>$]")


def _lazy_images(element: HtmlElement, tag: str) -> Iterator[tuple[HtmlElement, str, str, str]]:
    src = (element.get("src") or "").strip()
    for attr in _LAZY_ATTRS:
        value = (element.get(attr) or "").strip()
        if value and value != src and not _NOT_A_URL.search(value):
            yield element, tag, attr, value
    for attr in _LAZY_SETS:
        for url in srcset_urls(element.get(attr) or ""):
            if not _NOT_A_URL.search(url):
                yield element, tag, attr, url


# A literal URL a script opens: window.open('…'), location.href = '…', location.replace('…') —
# the whole URL, not the start of one the script adds to ('/a.html?id=' + id).
_OPENED = re.compile(
    r"(?:\bopen|location\.(?:replace|assign))\s*\(\s*(['\"])([^'\"]+)\1(?!\s*\+)"
    r"|location(?:\.href)?\s*=\s*(['\"])([^'\"]+)\3(?!\s*\+)"
)
_NAVIGATES = re.compile(r"location|\bopen\s*\(")
_LINK_LIKE = re.compile(r"(?:https?://|\.{0,2}/)", re.I)


def _scripted_links(doc: HtmlElement) -> Iterator[tuple[HtmlElement, str, str, str]]:
    """Links a script follows, that a visitor (and an inspector) clicks like any other: the
    options of a 友情链接 dropdown that goes where it is set, ``onclick="window.open('…')"``,
    ``href="javascript:window.open('…')"``. Only whole literal URLs."""
    for select in doc.iter("select"):
        navigates = bool(_NAVIGATES.search(select.get("onchange") or ""))
        for option in select.iter("option"):
            value = (option.get("value") or "").strip()
            absolute = value.lower().startswith(("http://", "https://"))
            if absolute or (navigates and _LINK_LIKE.match(value)):
                yield option, "option", "value", value
    for element in doc.xpath("//*[@onclick]"):
        own = (element.get("href") or "").strip()
        for match in _OPENED.finditer(element.get("onclick") or ""):
            target = match.group(2) or match.group(4)
            if target != own:
                yield element, tag_of(element), "onclick", target
    for element in doc.iter("a", "area"):
        href = (element.get("href") or "").strip()
        if href[:11].lower() == "javascript:":
            for match in _OPENED.finditer(href):
                yield element, tag_of(element), "script", match.group(2) or match.group(4)


def refresh_url(doc: HtmlElement, page_url: str) -> str | None:
    """Where a page that only sends the browser on goes (absolute, without its fragment): a
    ``<meta http-equiv="refresh" content="0;url=…">``, or the script of a blank page that sets
    ``location`` to a literal URL. None without one, or when it only reloads the page."""
    hrefs = [
        _refresh_href(element)
        for element in doc.iter("meta")
        if _refresh_delay(element) <= REDIRECT_REFRESH_SECONDS
    ]
    hrefs.append(script_redirect(doc))
    for href in hrefs:
        if not href or href.lower().startswith(_NOT_FETCHED):
            continue
        try:
            target = _without_fragment(browser_url(base_url(doc, page_url), href))
        except ValueError:
            return None
        if target.split(":", 1)[0].lower() not in ("http", "https"):
            return None
        return None if target == _without_fragment(page_url) else target
    return None


# location.href = "/col/col1/index.html"; window.location.replace('/portal/')
_LOCATION = re.compile(
    r"\blocation(?:\.href)?\s*=\s*([\"'])([^\"'+]+)\1\s*(?:;|$|\n|<)"
    r"|\blocation\.(?:replace|assign)\(\s*([\"'])([^\"'+]+)\3\s*\)"
)
_BLANK_TEXT = 20


def stub_redirect(doc: HtmlElement, page_url: str) -> str | None:
    """Where a page with nothing of its own sends the visitor (a deleted article's stub that
    refreshes to /404.html, a moved page's script): no link and next to no text, and a meta
    refresh or a script that goes to a literal URL. None for any other page."""
    body = doc.find("body")
    if body is not None and (
        body.find(".//a[@href]") is not None or len(_shown_text(body)) >= _BLANK_TEXT
    ):
        return None
    return refresh_url(doc, page_url)


def header_refresh(value: bytes | None, page_url: str) -> str | None:
    """Where a ``Refresh: 0; url=…`` response header sends the browser (PHP's
    ``header("refresh:0;url=…")``), if it does so soon; absolute, without its fragment."""
    if not value:
        return None
    text = value.decode("latin-1")
    delay = _REFRESH_DELAY.match(text)
    if delay and float(delay.group(1)) > REDIRECT_REFRESH_SECONDS:
        return None
    match = _REFRESH.match(text)
    href = clean_href(match.group(1)).strip("'\"") if match else ""
    if not href:
        return None
    try:
        target = _without_fragment(browser_url(page_url, href))
    except ValueError:
        return None
    if target.split(":", 1)[0].lower() not in ("http", "https"):
        return None
    return None if target == _without_fragment(page_url) else target


def _shown_text(body: HtmlElement) -> str:
    return squash(
        " ".join(
            str(t) for t in body.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]")
        )
    )


def script_redirect(doc: HtmlElement) -> str:
    """The literal URL a blank page's script sends the browser to (a homepage that is only
    ``<script>window.location.href="/portal/";</script>``), or "". A page with text or links
    of its own is read as it is: its scripts' redirects are conditional (mobile sites…)."""
    body = doc.find("body")
    if body is not None:
        if body.find(".//a[@href]") is not None:
            return ""
        if len(_shown_text(body)) >= _BLANK_TEXT:
            return ""
    found = ""
    for script in doc.iter("script"):
        if script.get("src"):
            continue
        matches = list(_LOCATION.finditer(script.text or ""))
        if len(matches) > 1 or (matches and found):
            return ""  # several places to go: a choice the script makes, not a redirect
        if matches:
            found = matches[0].group(2) or matches[0].group(4) or ""
    return found


def _refresh_delay(element: HtmlElement) -> float:
    """The seconds a meta refresh waits (0 when it does not say)."""
    match = _REFRESH_DELAY.match(element.get("content") or "")
    return float(match.group(1)) if match else 0.0


def _refresh_href(element: HtmlElement) -> str:
    if (element.get("http-equiv") or "").strip().lower() != "refresh":
        return ""
    match = _REFRESH.match(element.get("content") or "")
    href = clean_href(match.group(1)) if match else ""
    if href[:1] in ("'", '"'):
        quote, href = href[0], href[1:]
        href = href.split(quote, 1)[0]
    return href


def srcset_urls(srcset: str) -> list[str]:
    """The URLs of a ``srcset`` (HTML's parsing rules): each candidate's URL runs to the next
    white space, so a comma inside a URL (``resize,w_800``) belongs to it; trailing commas end
    a candidate; descriptors (``2x``, ``480w``) are skipped up to the next comma."""
    urls = []
    position, size = 0, len(srcset)
    while position < size:
        while position < size and (srcset[position].isspace() or srcset[position] == ","):
            position += 1
        start = position
        while position < size and not srcset[position].isspace():
            position += 1
        url = srcset[start:position]
        if not url:
            break
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            depth = 0
            while position < size and (srcset[position] != "," or depth):
                depth += {"(": 1, ")": -1}.get(srcset[position], 0)
                position += 1
        if url:
            urls.append(url)
    return urls


def may_be_page(url: str) -> bool:
    """A URL that may be a web page: its last path segment has no file type of ``NOT_PAGES``."""
    last = urlsplit(url).path.lower().rsplit("/", 1)[-1]
    return "." not in last or last.rsplit(".", 1)[-1] not in NOT_PAGES


# A web page this small, sent with nothing to revalidate it by (no ETag, no Last-Modified), is
# rarely an article: a firewall's challenge ("安全验证", a script that sets a cookie and reloads),
# a script's redirect, a "页面不存在" stub. Government pages are tens of kilobytes.
TINY_PAGE_BYTES = 8192


def head_believed(
    url: str,
    status: int,
    content_type: bytes | str | None,
    content_length: bytes | str | None = None,
    validated: bool = True,
) -> bool:
    """Whether a HEAD answer can stand for what a visitor gets. Not a 2xx that does not say
    what it is (no Content-Type), nor a web page for a file (``附件.pdf`` answered text/html:
    the site's "页面不存在" page, a login or a firewall's page), nor a tiny page that is not
    ``validated`` (``TINY_PAGE_BYTES``: a firewall's challenge, most often): a GET shows
    those."""
    if not 200 <= status < 300:
        return True
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    if not content_type:
        return False
    if "html" not in content_type.lower():
        return True
    return may_be_page(url) and not tiny_page(content_type, content_length, validated)


def tiny_page(
    content_type: bytes | str | None, content_length: bytes | str | None, validated: bool
) -> bool:
    """A web page under ``TINY_PAGE_BYTES`` (a Content-Length that is missing or no number is
    not) with nothing to revalidate it by (not ``validated``)."""
    if validated or not content_type or content_length is None:
        return False
    if isinstance(content_type, bytes):
        content_type = content_type.decode("latin-1")
    if isinstance(content_length, bytes):
        content_length = content_length.decode("latin-1")
    try:
        return "html" in content_type.lower() and int(content_length.strip()) < TINY_PAGE_BYTES
    except ValueError:
        return False


def same_site(url: str, home: str) -> bool:
    """Same host and port as the homepage (http and https on their usual ports are one site)."""
    a, b = urlsplit(url), urlsplit(home)
    return (a.hostname or "") == (b.hostname or "") and _port(a) == _port(b)


def _port(parts: SplitResult) -> int:
    """The explicit port, or 0 for a scheme's default port."""
    try:
        port = parts.port
    except ValueError:
        return -1
    return 0 if port is None or (parts.scheme, port) in (("http", 80), ("https", 443)) else port


def _link_target(base: str, href: str) -> str | None:
    """``href`` resolved against ``base``, without its fragment; None if it has no host.

    A site repeats its links on every page (navigation, footer, the same attachments), so a
    resolution is remembered by what it depends on: the base's origin for a path from the
    root or a full URL, the base up to its last ``/`` for a relative path. A reference that
    also depends on the base's file, query or parameters is resolved each time."""
    authority = base.find("//")
    path_start = base.find("/", authority + 2) if authority > 0 else -1
    if path_start < 0:
        return _resolved(base, href)
    if href[0] == "/" or ("://" in href[:16] and href[0].isalpha()):
        return _resolved_in(base[:path_start], href)
    cut = len(base)
    for mark in "?#":
        found = base.find(mark, path_start)
        if 0 <= found < cut:
            cut = found
    if href[0] in "?#;" or ";" in base[path_start:cut]:
        return _resolved(base, href)
    return _resolved_in(base[: base.rfind("/", path_start, cut) + 1], href)


@lru_cache(maxsize=1 << 16)
def _resolved_in(directory: str, href: str) -> str | None:
    return _resolved(directory, href)


def _resolved(base: str, href: str) -> str | None:
    try:
        return _without_fragment(browser_url(base, href))
    except ValueError:
        return None


def _without_fragment(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, parts.path or "/", parts.query, ""))


_TEXT_TAGS = frozenset({"a", "area", "option", "button"})  # links whose text says where to


def _anchor_text(element: HtmlElement, attr: str = "") -> str:
    """What the visitor sees of the link: its text (a clickable <span onclick=…>'s too), else
    its title or alt, else its picture's."""
    shown = element.tag in _TEXT_TAGS or attr == "onclick"
    text = squash(element.text_content()) if shown else ""
    if not text:
        text = squash(element.get("title") or element.get("alt") or "")
    if not text and element.tag == "a":  # an image link: its picture's description
        image = next(iter(element.iter("img")), None)
        text = squash(image.get("alt") or image.get("title") or "") if image is not None else ""
    return text if len(text) <= _ANCHOR_TEXT_MAX else f"{text[: _ANCHOR_TEXT_MAX - 1]}…"


def referer_for(source: str, target: str) -> str | None:
    """The Referer a browser sends when a page at ``source`` fetches ``target`` (its default
    policy, strict-origin-when-cross-origin): the page's URL to its own origin, the origin
    alone elsewhere, nothing from https to http. A server that guards its files against
    hotlinking (nginx ``valid_referers``) answers the crawl as it answers the visitor."""
    page, wanted = urlsplit(source), urlsplit(target)
    if page.scheme not in ("http", "https") or not page.hostname:
        return None
    if page.scheme == "https" and wanted.scheme != "https":
        return None
    origin = f"{page.scheme}://{page.netloc.rsplit('@', 1)[-1]}"
    if (page.scheme, page.netloc.lower()) != (wanted.scheme, wanted.netloc.lower()):
        return origin + "/"
    path = quote(page.path or "/", safe=_URL_SAFE)
    query = quote(page.query, safe=_URL_SAFE)
    return origin + path + (f"?{query}" if query else "")


# Characters a URL may carry as they are; anything else (a Chinese path) is percent-encoded.
_URL_SAFE = "/:@!$&'()*+,;=-._~%?"


# Characters no host name may have (WHATWG URL's forbidden host and domain code points).
FORBIDDEN_IN_HOST = re.compile(r"[\x00-\x20#%/:<>?@\[\\\]^|\x7f]")
# Why a link cannot be requested (malformed_reason): stored as the check's error_detail, worded
# for the operator by reports.explain.
ON_THE_EDITORS_COMPUTER = "a file on the editor's computer, not on the web"
NO_HOST = "no host name"
BAD_PORT = "the port is not a number from 1 to 65535"
BAD_HOST = "the host name has characters no host name has"
BAD_ADDRESS = "the address in brackets is not an IPv6 address"
CANNOT_REQUEST = "cannot be requested"


def malformed_reason(url: str) -> str:
    """Why ``url`` (a link ``request_key`` refused) cannot be requested, in the words above."""
    if ON_AN_EDITORS_COMPUTER.match(url):
        return ON_THE_EDITORS_COMPUTER
    netloc = url.partition("//")[2].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    host_port = netloc.rpartition("@")[2]
    if host_port.startswith("["):
        address, closed, port = host_port[1:].partition("]")
        try:
            ipaddress.IPv6Address(address)
        except ValueError:
            return BAD_ADDRESS
        if not closed:
            return BAD_ADDRESS
        port = port.removeprefix(":")
    else:
        host, _, port = host_port.partition(":")
        if not host:
            return NO_HOST
        if FORBIDDEN_IN_HOST.search(host):
            return BAD_HOST
    if port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        return BAD_PORT
    return CANNOT_REQUEST
