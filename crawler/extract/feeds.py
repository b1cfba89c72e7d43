"""Posts from a new-media source: RSS 2.0, RSS 1.0 (RDF), Atom, JSON Feed (auto-detected), or a
public HTML page read with the operator's CSS selectors. Errors are values, never exceptions."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from html.entities import name2codepoint
from typing import Any
from urllib.parse import urljoin

import lxml.html
from lxml import etree
from lxml.cssselect import CSSSelector, SelectorSyntaxError

from crawler.extract.html import squash, web_url
from crawler.extract.times import parse_time

ATOM = "{http://www.w3.org/2005/Atom}"
ATOM03 = "{http://purl.org/atom/ns#}"  # Atom 0.3, still written by some old feed modules
RSS1 = "{http://purl.org/rss/1.0/}"
DC = "{http://purl.org/dc/elements/1.1/}"
FUTURE_TOLERANCE = timedelta(minutes=10)
CONTENT_ENCODED = "{http://purl.org/rss/1.0/modules/content/}"


@dataclass(frozen=True)
class Post:
    title: str
    url: str | None
    time_text: str | None
    published: datetime | None  # aware


@dataclass(frozen=True)
class SourceRead:
    kind: str  # rss2, rss1, atom, jsonfeed, page
    posts: tuple[Post, ...]
    error: str | None  # malformed_xml, malformed_json, not_a_feed, empty, no_dates, selector

    @property
    def newest(self) -> Post | None:
        dated = [p for p in self.posts if p.published is not None]
        return max(dated, key=lambda p: p.published) if dated else None  # type: ignore[arg-type,return-value]


def read_feed(
    body: bytes, url: str, fetched_at: datetime, charset: str | None = None
) -> SourceRead:
    """Detect the feed format from the content and read its posts. ``charset``: the one the
    HTTP answer names, for XML that declares none or whose declaration does not fit it."""
    text = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith((b"{", b"[")):
        return _json_feed(text, url, fetched_at)
    text = _as_declared(text, charset)
    if _HTML_START.match(text):
        return SourceRead("unknown", (), "not_a_feed: an HTML page (a login or error page?)")
    try:
        root = _xml(text)
    except etree.XMLSyntaxError as exc:
        if b"&" not in text or "ntity" not in str(exc):
            return SourceRead("unknown", (), f"malformed_xml: {exc}"[:300])
        try:  # an HTML entity (&nbsp;, &mdash;) a CMS's feed template let through
            root = _xml(_HTML_ENTITY.sub(_numeric_entity, text))
        except etree.XMLSyntaxError:
            return SourceRead("unknown", (), f"malformed_xml: {exc}"[:300])
    tag = root.tag if isinstance(root.tag, str) else ""
    name, ns = etree.QName(tag).localname if tag else "", tag[: tag.find("}") + 1]
    if name == "rss":  # RSS 2.0, and 0.91/2.0 in UserLand's namespace
        channel = root.find(f"{ns}channel")
        items = channel.findall(f"{ns}item") if channel is not None else []
        return _finish("rss2", [_rss_item(i, ns, url, fetched_at) for i in items], fetched_at)
    if tag.endswith("RDF"):
        items = root.findall(f"{RSS1}item")
        return _finish("rss1", [_rss_item(i, RSS1, url, fetched_at) for i in items], fetched_at)
    if tag in (f"{ATOM}feed", f"{ATOM03}feed"):
        entries = root.findall(f"{ns}entry")
        return _finish("atom", [_atom_entry(e, ns, url, fetched_at) for e in entries], fetched_at)
    return SourceRead("unknown", (), f"not_a_feed: root element <{etree.QName(root).localname}>")


_HTML_START = re.compile(rb"\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]", re.I | re.S)
_DECLARED = re.compile(rb"^(<\?xml[^>]*?)\s+encoding\s*=\s*[\"']([A-Za-z0-9._-]+)[\"']")


def _as_declared(text: bytes, charset: str | None) -> bytes:
    """The XML as its parser should read it: as declared when its bytes are in that encoding
    (or it declares none and no header says one); else in the header's charset, re-encoded as
    UTF-8 without a declared encoding (a GBK feed served "charset=gbk" without a declaration,
    a UTF-8 feed that declares gb2312)."""
    declared = _DECLARED.match(text)
    if charset is None or (declared and _decodes(text, declared.group(2).decode())):
        return text
    if not _decodes(text, charset):
        return text
    plain = text.decode(charset).encode("utf-8")
    return _DECLARED.sub(rb"\1", plain, count=1)


def _decodes(text: bytes, encoding: str) -> bool:
    try:
        text.decode(encoding)
    except (LookupError, UnicodeDecodeError):
        return False
    return True


# Named references XML does not define; its own five (and numeric ones) are left as they are.
_HTML_ENTITY = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);)([A-Za-z][A-Za-z0-9]{1,31});")


def _numeric_entity(match: re.Match[bytes]) -> bytes:
    code = name2codepoint.get(match.group(1).decode("ascii"))
    return b"&#%d;" % code if code is not None else match.group(0)


def _xml(text: bytes) -> etree._Element:
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, recover=False, huge_tree=False
    )
    return etree.fromstring(text, parser=parser)


def read_page(
    html: str,
    url: str,
    fetched_at: datetime,
    item: str,
    date: str,
    title: str | None = None,
    link: str | None = None,
) -> SourceRead:
    """Posts of a public page: each ``item`` element, its ``date`` text, optional title/link."""
    try:
        select_item, select_date = CSSSelector(item), CSSSelector(date)
        select_title = CSSSelector(title) if title else None
        select_link = CSSSelector(link) if link else None
    except SelectorSyntaxError as exc:
        return SourceRead("page", (), f"selector: {exc}")
    doc = lxml.html.document_fromstring(html or "<html></html>")
    posts = []
    items = select_item(doc)
    members = set(items)
    # A post may hold another (a repost, a quoted post): each reads its own fields only.
    nested = any(a in members for e in items for a in e.iterancestors())

    def own(selector: CSSSelector | None, element: lxml.html.HtmlElement) -> list[Any]:
        found = list(selector(element)) if selector is not None else []
        if not nested:
            return found
        return [n for n in found if _post_of(n, members) is element]

    for element in items:
        date_text = _first_text(own(select_date, element))
        if parse_time(date_text, fetched_at) is None:
            # a clock alone ("10:00") on the page, the whole time in an attribute
            date_text = _time_attribute(own(select_date, element)) or date_text
        title_text = _first_text(own(select_title, element))
        href = None
        found_links = own(select_link, element)
        raw_href = found_links[0].get("href") if found_links else None
        if raw_href:
            href = web_url(url, raw_href)
        posts.append(Post(title_text, href, date_text or None, parse_time(date_text, fetched_at)))
    if not posts:
        return SourceRead("page", (), f"empty: no element matches {item!r}")
    return _finish("page", posts, fetched_at)


def _finish(kind: str, posts: list[Post], fetched_at: datetime) -> SourceRead:
    # A post dated after the fetch (a typo, a pinned "future" post) never counts as newest.
    limit = fetched_at + FUTURE_TOLERANCE
    future = any(p.published is not None and p.published > limit for p in posts)
    posts = [
        p if p.published is None or p.published <= limit else replace(p, published=None)
        for p in posts
    ]
    if not posts:
        return SourceRead(kind, (), "empty: the feed has no items")
    if all(p.published is None for p in posts):
        if future:
            return SourceRead(kind, tuple(posts), "no_dates: every date is after the fetch")
        return SourceRead(kind, tuple(posts), "no_dates: no item has a readable date")
    return SourceRead(kind, tuple(posts), None)


def _rss_item(item: etree._Element, ns: str, base: str, fetched_at: datetime) -> Post:
    time_text = (
        _child_text(item, f"{ns}pubDate")
        or _child_text(item, f"{DC}date")
        or _child_text(item, f"{ns}date")
        or _child_text(item, f"{ATOM}published")  # an RSS item dated the Atom way
        or _child_text(item, f"{ATOM}updated")
    )
    link = _child_text(item, f"{ns}link") or item.get(
        "{http://www.w3.org/1999/02/22-rdf-syntax-ns#}about"
    )
    return Post(
        squash(_child_text(item, f"{ns}title")),
        web_url(base, link),
        time_text,
        parse_time(time_text, fetched_at),
    )


def _atom_entry(entry: etree._Element, ns: str, base: str, fetched_at: datetime) -> Post:
    time_text = next(
        filter(None, (_child_text(entry, f"{ns}{name}") for name in _ATOM_TIMES)), None
    )
    href = None
    for link in entry.findall(f"{ns}link"):
        if link.get("rel") in (None, "alternate") and link.get("href"):
            # relative to the feed's (or the entry's) xml:base, if it says one
            where = urljoin(base, link.base) if link.base else base
            href = web_url(where, link.get("href"))
            break
    return Post(
        squash(_child_text(entry, f"{ns}title")),
        href,
        time_text,
        parse_time(time_text, fetched_at),
    )


_ATOM_TIMES = ("published", "updated", "issued", "modified", "created")  # 1.0's, then 0.3's


def _json_feed(body: bytes, url: str, fetched_at: datetime) -> SourceRead:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return SourceRead("jsonfeed", (), f"malformed_json: {exc}"[:300])
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        return SourceRead("jsonfeed", (), "not_a_feed: JSON without an 'items' list")
    posts = []
    for item in items:
        if not isinstance(item, dict):
            continue
        time_value = item.get("date_published") or item.get("date_modified")
        # a string as the spec says; a number of seconds (or milliseconds) as some bridges write
        time_text = str(time_value) if isinstance(time_value, str | int | float) else None
        link = item.get("url") or item.get("external_url")
        posts.append(
            Post(
                squash(str(item.get("title") or "")),
                web_url(url, link) if isinstance(link, str) else None,
                time_text,
                parse_time(time_text, fetched_at),
            )
        )
    return _finish("jsonfeed", posts, fetched_at)


def _child_text(element: etree._Element, tag: str) -> str | None:
    child = element.find(tag)
    if child is None or child.text is None:
        return None
    return child.text.strip() or None


def _post_of(node: Any, posts: set[Any]) -> Any:
    """The nearest post around ``node``."""
    return next((a for a in node.iterancestors() if a in posts), None)


def _first_text(found: list[Any]) -> str:
    return squash(found[0].text_content()) if found else ""


def _time_attribute(found: list[Any]) -> str | None:
    """The machine-readable time of the first element found: its own ``datetime``
    (``<time>``), ``data-time`` or ``title``, or that of a ``<time>`` inside it."""
    if not found:
        return None
    for node in (found[0], *found[0].iter("time")):
        for name in ("datetime", "data-time", "title"):
            value = (node.get(name) or "").strip()
            if value:
                return value
    return None
