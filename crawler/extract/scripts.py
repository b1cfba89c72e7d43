"""Lists that JavaScript writes: ``document.write`` strings, 大汉-style ``<record><![CDATA[…]]>``
data islands, inline JSON arrays, and data URLs a page loads its list from."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin

import lxml.html

from crawler.extract.dates import DateMatch, find_dates, url_date
from crawler.extract.html import HtmlElement, parse_html, squash, web_url
from crawler.extract.lists import (
    ItemList,
    ListItem,
    is_furniture,
    is_own,
    main_list,
    says_empty,
)
from crawler.extract.times import LOCAL

# document.write("…" + url + "…" + date.substring(0, 10) + "…"): string literals and variable
# expressions (a name, its properties and method calls) joined by "+". Written so that one
# name cannot be split into several (an operand ends at "+" or ")"): no backtracking blow-up on
# a call it does not take.
_STRING = r"\"(?:\\.|[^\"\\])*\"|'(?:\\.|[^'\\])*'"
_CALL = rf"\((?:[^()\"']|{_STRING})*\)"
_NAME = r"[A-Za-z_$][\w$]*"
_EXPRESSION = rf"{_NAME}(?:\s*\.\s*{_NAME}|\s*{_CALL})*"
_OPERAND_TEXT = rf"(?:{_STRING}|{_EXPRESSION})"
_WRITE = re.compile(
    rf"document\.write(?:ln)?\s*\(\s*({_OPERAND_TEXT}(?:\s*\+\s*{_OPERAND_TEXT})*)\s*\)", re.S
)
_OPERAND = re.compile(rf"\"((?:\\.|[^\"\\])*)\"|'((?:\\.|[^'\\])*)'|({_EXPRESSION})", re.S)
# A string method a list script applies to a date or a title: substring(0, 10), substr(0, 10),
# slice(0, 10), trim().
_METHOD = re.compile(
    r"\.\s*(substring|substr|slice|trim|toString)\s*\(\s*(-?\d+)?\s*(?:,\s*(-?\d+)\s*)?\)"
)
_ASSIGNED = re.compile(
    r"(?<![\w$.])([A-Za-z_$][\w$]*)\s*=\s*(?:\"((?:\\.|[^\"\\])*)\"|'((?:\\.|[^'\\])*)')\s*[;\n]"
)
_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.S | re.I)
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
    # a publication's, first
    "pubdate",
    "pubtime",
    "publishtime",
    "publishedtime",
    "publishdate",
    "publisheddate",
    "publish_date",
    "publish_time",
    "published_at",
    "pub_date",
    "docreltime",
    "docpubtime",
    "releasedate",
    "releasetime",
    "fbsj",
    "fbrq",
    "showtime",
    "date",
    "time",
    # then when it was made or entered (TRS's crtime), when nothing says published
    "createtime",
    "crtime",
    "addtime",
    "inputtime",
    "created",
    "created_at",
)
# Any other field whose name says it is a date (…Time, …Date, …rq, …sj), when no known one is
# there, a publication's first; not one that names an end (截止, 有效期) or an edit.
_DATE_NAME = re.compile(r"(?:time|date|rq|sj)$", re.I)
_NOT_PUBLISHED = re.compile(r"end|deadline|expire|valid|jz|yxq|stop|close|modif|updat|edit", re.I)
_PUBLICATION_NAME = re.compile(r"pub|release|fb|issue", re.I)


@dataclass(frozen=True)
class ListSignals:
    """What a page with no readable list says about itself."""

    empty_marker: str | None  # "暂无信息"…: the column is empty
    data_urls: tuple[str, ...]  # where its script loads the list from
    scripted: bool  # the list is written by a script we could not read
    writes: bool = False  # a script writes content or loads data (not only a menu's hover)


def column_list(doc: HtmlElement, page_url: str) -> tuple[ItemList | None, bool]:
    """A column page's list, and whether a script holds it: the page's own main list, unless
    it has no dated item or the page carries a 大汉-style data island (the column's records,
    written by script: a dated box beside it in the page is another column's)."""
    found = main_list(doc, page_url)
    dated = found is not None and found.dated_count > 0
    if found is not None and dated and (is_own(found, page_url) or not _content_island(doc)):
        return found, False
    scripted = script_list(doc, page_url)
    if scripted is not None and (scripted.dated_count or not dated):
        return scripted, True
    return found, False


def script_list(doc: HtmlElement, page_url: str) -> ItemList | None:
    """The main list hidden in scripts: document.write HTML (in its place on the page first:
    TRS writes each item's link in a script beside the item's date), CDATA records, inline
    JSON."""
    # A data island is the column's list: what other scripts write in place is not.
    rendered = None if _content_island(doc) else _written_in_place(doc)
    if rendered is not None:
        found = main_list(rendered, page_url)
        if found is not None and found.dated_count:
            return found
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
    """Objects with a title, a link and a date, in a JSON array found in ``text``: the first
    whose objects are all dated, else the one with most dated (a page's state may hold its
    menu's links before its list)."""
    best: list[ListItem] = []
    for start in [m.start() for m in re.finditer(r"[\[{]", text)][:200]:
        try:
            value, _ = json.JSONDecoder().raw_decode(text[start:])
        except (ValueError, RecursionError):  # not JSON, or nested deeper than Python goes
            continue
        records = _records(value)
        items = [item for record in records if (item := _json_item(record, base))]
        dated = sum(1 for item in items if item.list_date)
        if items and dated == len(items):
            return items
        if (dated, len(items)) > (sum(1 for item in best if item.list_date), len(best)):
            best = items
    return best


def list_signals(doc: HtmlElement, page_url: str) -> ListSignals:
    marker = says_empty(doc)
    urls: list[str] = []
    scripted = writing = False
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
        writing = writing or (any(m in code for m in _WRITES) and not is_furniture(script))
    scripted = scripted or bool(urls) or doc.find(".//iframe") is not None
    urls.sort(key=lambda url: bool(_MENU_URL.search(url)))  # a menu's data after the list's
    return ListSignals(marker, tuple(dict.fromkeys(urls)), scripted, writing or bool(urls))


_MENU_URL = re.compile(r"menu|nav|daohang|(?:channel|column|catalog)s?/?(?:tree|list)\b", re.I)


# What a script that writes a page's content calls (a menu's hover effect calls none of them).
_WRITES = ("document.write", "innerHTML", "<record>", ".html(", ".append(", ".load(")


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
    return [_written(script.text or "") for script in doc.iter("script")]


def _written(code: str) -> str:
    """What a script's ``document.write`` calls write: their string literals, and the string
    variables the script set (``var url = "./202406/t20240630_1.html";``); nothing else runs."""
    values = {
        m.group(1): _unescape(m.group(2) if m.group(2) is not None else m.group(3))
        for m in _ASSIGNED.finditer(code)
    }
    html: list[str] = []
    for call in _WRITE.finditer(code):
        for match in _OPERAND.finditer(call.group(1)):
            if match.group(3) is not None:
                html.append(_value_of(match.group(3), values))
            else:
                raw = match.group(1) if match.group(1) is not None else match.group(2)
                html.append(_unescape(raw))
    return "".join(html)


def _value_of(expression: str, values: dict[str, str]) -> str:
    """A string variable's value, with the string methods applied to it that a list script
    uses on a date (``s.substring(0, 10)``); "" for anything else (a function's result)."""
    name = re.match(r"[A-Za-z_$][\w$]*", expression)
    if name is None or name.group(0) not in values:
        return ""
    value, rest = values[name.group(0)], expression[name.end() :].strip()
    while rest:
        method = _METHOD.match(rest)
        if method is None:
            return ""
        value = _applied(value, method.group(1), method.group(2), method.group(3))
        rest = rest[method.end() :].strip()
    return value


def _applied(value: str, method: str, first: str | None, second: str | None) -> str:
    start = int(first) if first is not None else 0
    if start < 0:
        start = max(0, len(value) + start) if method != "substring" else 0
    if method == "substring":
        end = int(second) if second is not None else len(value)
        start, end = sorted((max(0, start), max(0, end)))
        return value[start:end]
    if method == "substr":
        return value[start : start + int(second)] if second is not None else value[start:]
    if method == "slice":
        end = int(second) if second is not None else len(value)
        return value[start : end if end >= 0 else len(value) + end]
    if method == "trim":
        return value.strip()
    return value


def _written_in_place(doc: HtmlElement) -> HtmlElement | None:
    """The page with each script that writes HTML replaced by what it writes; None if none."""
    if not any("document.write" in (s.text or "") for s in doc.iter("script")):
        return None
    page = lxml.html.tostring(doc, encoding="unicode")

    def written(match: re.Match[str]) -> str:
        code = match.group(1)
        return _written(code) if "document.write" in code else match.group(0)

    return parse_html(_SCRIPT.sub(written, page))


def _content_island(doc: HtmlElement) -> bool:
    """A data island (``<record><![CDATA[…]]>``) in the page's content, not its furniture."""
    return any(
        _CDATA.search(script.text or "") and not is_furniture(script)
        for script in doc.iter("script")
    )


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


_RECORD_KEYS = ("data", "list", "rows", "records", "items", "result", "datas", "docs")


def _records(value: object) -> list[dict[str, object]]:
    """The objects of the first array found under the usual keys (``{"data": {"list": […]}}``),
    depth first in key order; without recursion (the JSON is the site's)."""
    pending = [value]
    while pending:
        here = pending.pop()
        if isinstance(here, list):
            if found := [v for v in here if isinstance(v, dict)]:
                return found
        elif isinstance(here, dict):
            inner = (here.get(key) for key in reversed(_RECORD_KEYS))
            pending.extend(v for v in inner if isinstance(v, list | dict))
    return []


def _json_item(record: dict[str, object], base: str) -> ListItem | None:
    lowered = {str(k).lower(): v for k, v in record.items()}
    title = next((str(lowered[k.lower()]) for k in _TITLE_KEYS if lowered.get(k.lower())), None)
    link = next((str(lowered[k.lower()]) for k in _URL_KEYS if lowered.get(k.lower())), None)
    date_text = next((str(lowered[k]) for k in _DATE_KEYS if lowered.get(k)), None)
    if date_text is None:
        named = [
            key
            for key, value in lowered.items()
            if value and _DATE_NAME.search(key) and not _NOT_PUBLISHED.search(key)
        ]
        named.sort(key=lambda key: not _PUBLICATION_NAME.search(key))
        date_text = str(lowered[named[0]]) if named else None
    url = web_url(base, link)
    if not title or not url:
        return None
    found = find_dates(date_text) if date_text else []
    date = _zoned_date(date_text) if date_text else None
    date = date or next((d for d in found if d.year is not None), found[0] if found else None)
    if date is None and date_text:
        date = _epoch_date(date_text)
    return ListItem(squash(title), url, date.text if date else None, date, url_date(url))


# An ISO time with its zone ("2026-11-10T16:30:00.000+0000"): its date in Beijing.
_ZONED = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$")


def _zoned_date(text: str) -> DateMatch | None:
    value = text.strip()
    if not _ZONED.match(value):
        return None
    normal = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", value.replace("Z", "+00:00"))
    try:
        when = datetime.fromisoformat(normal).astimezone(LOCAL).date()
    except ValueError:
        return None
    return DateMatch(value, when.year, when.month, when.day)


_EPOCH = re.compile(r"\d{10}(?:\d{3})?")


def _epoch_date(text: str) -> DateMatch | None:
    """A JSON date given as a Unix time (seconds, or milliseconds as Java gives them), dated
    in Beijing time; only from 2000 to 2099."""
    value = text.strip()
    if _EPOCH.fullmatch(value) is None:
        return None
    seconds = int(value) / (1000 if len(value) == 13 else 1)
    when = datetime.fromtimestamp(seconds, LOCAL).date()
    if not 2000 <= when.year <= 2099:
        return None
    return DateMatch(value, when.year, when.month, when.day)
