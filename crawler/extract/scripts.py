"""Lists that JavaScript writes: ``document.write`` strings, 大汉-style ``<record><![CDATA[…]]>``
data islands, inline JSON arrays, and data URLs a page loads its list from."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urljoin

from crawler.extract.dates import find_dates, url_date
from crawler.extract.html import HtmlElement, parse_html, squash, web_url
from crawler.extract.lists import ItemList, ListItem, is_furniture, main_list, says_empty

_WRITE = re.compile(
    r"document\.write(?:ln)?\s*\(\s*((?:\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'"
    r"|\s*\+\s*|[A-Za-z_$][\w$.]*)+)\s*\)",
    re.S,
)
_STRING = re.compile(r"\"((?:\\.|[^\"\\])*)\"|'((?:\\.|[^'\\])*)'", re.S)
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)
_DATA_URL = re.compile(
    r"(?:\$\.(?:get|post|getJSON|ajax)|fetch|axios\.(?:get|post)|\.open)\s*\(\s*"
    r"(?:\{[^}]*?url\s*:\s*)?(?:\"GET\"\s*,\s*|'GET'\s*,\s*)?[\"']([^\"']+)[\"']",
    re.S,
)
_URL_KEY = re.compile(r"\burl\s*:\s*[\"']([^\"']+)[\"']")
_TITLE_KEYS = ("title", "doctitle", "name", "subject", "biaoti", "docTitle", "DOCTITLE")
_URL_KEYS = ("url", "link", "href", "docurl", "docpuburl", "DOCPUBURL", "docUrl", "linkurl")
_DATE_KEYS = (
    "date",
    "time",
    "pubdate",
    "pubtime",
    "publishtime",
    "docreltime",
    "docpubtime",
    "releasedate",
    "createtime",
    "fbsj",
    "DOCRELTIME",
    "publishDate",
    "pubDate",
)


@dataclass(frozen=True)
class ListSignals:
    """What a page with no readable list says about itself."""

    empty_marker: str | None  # "暂无信息"…: the column is empty
    data_urls: tuple[str, ...]  # where its script loads the list from
    scripted: bool  # the list is written by a script we could not read


def script_list(doc: HtmlElement, page_url: str) -> ItemList | None:
    """The main list hidden in scripts: document.write HTML, CDATA records, inline JSON."""
    fragments = _written_html(doc) + _cdata_records(doc)
    if fragments:
        found = main_list(
            parse_html(
                "<html><body><div class='list'>" + "".join(fragments) + "</div></body></html>"
            ),
            page_url,
        )
        if found is not None and found.dated_count:
            return found
    for script in doc.iter("script"):
        items = json_items(script.text or "", page_url)
        if items:
            return ItemList(tuple(items), furniture=False)
    return None


def data_items(body: str, url: str) -> ItemList | None:
    """Items from a list's data URL: JSON, an HTML fragment or a CDATA record set."""
    text = body.strip()
    items = json_items(text, url)
    if items:
        return ItemList(tuple(items), furniture=False)
    fragments = _CDATA.findall(text) or [text]
    return main_list(
        parse_html("<html><body><div class='list'>" + "".join(fragments) + "</div></body></html>"),
        url,
    )


def json_items(text: str, base: str) -> list[ListItem]:
    """Objects with a title, a link and a date, in any JSON array found in ``text``."""
    for start in [m.start() for m in re.finditer(r"[\[{]", text)][:200]:
        try:
            value, _ = json.JSONDecoder().raw_decode(text[start:])
        except ValueError:
            continue
        records = _records(value)
        items = [item for record in records if (item := _json_item(record, base))]
        if items:
            return items
    return []


def list_signals(doc: HtmlElement, page_url: str) -> ListSignals:
    marker = says_empty(doc)
    urls: list[str] = []
    scripted = False
    for script in doc.iter("script"):
        code = script.text or ""
        if not code.strip():
            continue
        for pattern in (_DATA_URL, _URL_KEY):
            for match in pattern.finditer(code):
                candidate = match.group(1)
                if not candidate.endswith((".js", ".css")) and "{" not in candidate:
                    urls.append(urljoin(page_url, candidate))
        writes = any(mark in code for mark in ("document.write", "innerHTML", "<record>"))
        scripted = scripted or writes or _builds_content(script, code)
    scripted = scripted or bool(urls) or doc.find(".//iframe") is not None
    return ListSignals(marker, tuple(dict.fromkeys(urls)), scripted)


_HARMLESS = (
    "createPageHTML",
    "_hmt",
    "hm.baidu",
    "cnzz",
    "gtag(",
    "google",
    "la.js",
    "jiathis",
    "bdShare",
    "window._bd_share",
)


def _builds_content(script: HtmlElement, code: str) -> bool:
    """An inline script in the page's content (not its furniture) that calls something other
    than a pager or an analytics tag: the list is probably built by it."""
    if "(" not in code or any(marker in code for marker in _HARMLESS):
        return False
    return not is_furniture(script)


def _written_html(doc: HtmlElement) -> list[str]:
    html: list[str] = []
    for script in doc.iter("script"):
        for call in _WRITE.finditer(script.text or ""):
            for match in _STRING.finditer(call.group(1)):
                raw = match.group(1) if match.group(1) is not None else match.group(2)
                html.append(_unescape(raw))
    return html


def _cdata_records(doc: HtmlElement) -> list[str]:
    records: list[str] = []
    for script in doc.iter("script"):
        records += _CDATA.findall(script.text or "")
    return records


def _unescape(raw: str) -> str:
    try:
        return str(json.loads(f'"{raw.replace(chr(10), "")}"'))
    except ValueError:
        return raw.replace("\\'", "'").replace('\\"', '"').replace("\\/", "/")


def _records(value: object) -> list[dict[str, object]]:
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    if isinstance(value, dict):
        for key in ("data", "list", "rows", "records", "items", "result", "datas", "docs"):
            inner = value.get(key)
            if isinstance(inner, list | dict):
                found = _records(inner)
                if found:
                    return found
    return []


def _json_item(record: dict[str, object], base: str) -> ListItem | None:
    lowered = {str(k).lower(): v for k, v in record.items()}
    title = next((str(lowered[k.lower()]) for k in _TITLE_KEYS if lowered.get(k.lower())), None)
    link = next((str(lowered[k.lower()]) for k in _URL_KEYS if lowered.get(k.lower())), None)
    date_text = next((str(lowered[k.lower()]) for k in _DATE_KEYS if lowered.get(k.lower())), None)
    url = web_url(base, link)
    if not title or not url:
        return None
    found = find_dates(date_text) if date_text else []
    date = next((d for d in found if d.year is not None), found[0] if found else None)
    return ListItem(squash(title), url, date.text if date else None, date, url_date(url))
