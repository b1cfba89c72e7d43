"""Find a page's lists of dated items, and its main list, by structure rather than by selector.

An *item* is the block around one title link (an ``li``, a table row, a ``div``) that also holds
the item's date; a *list* is the set of sibling items under one container. The main list is the
container with the most dated items outside page furniture (header, footer, navigation,
sidebars, 热点/推荐/排行 boxes). Dates in banners ("今天是…") sit outside any item and never count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import chain, islice, pairwise
from urllib.parse import urlsplit

from crawler.extract.dates import (
    DateMatch,
    UrlDate,
    find_dates,
    latest_not_after,
    normalize,
    relative_date,
    url_date,
    without_clocks,
)
from crawler.extract.html import HtmlElement, base_url, column_key, squash, tag_of, web_url

_ITEM_TAGS = frozenset({"li", "tr", "dd", "dt", "article"})
_LIST_TAGS = frozenset({"body", "html", "table", "tbody", "ul", "ol", "dl"})
_CONTAINER_LEVELS = 4
_MIN_TITLE = 4
EMPTY_MARKERS = (
    "暂无信息",
    "暂无数据",
    "暂无内容",
    "暂无记录",
    "没有相关信息",
    "无相关信息",
    "没有找到相关",
    "暂无相关",
    "信息正在更新",
    "栏目正在建设",
    "暂无文章",
    "暂无稿件",
)
# A pager that counts nothing: "共0条记录", "共 0 条", "共0篇".
_ZERO_COUNT = re.compile(r"共\s*0\s*(?:条|篇)")
_NOT_TITLES = frozenset({"更多", "更多>>", "more", "更多>", ">>", "查看更多", "详细", "详情"})
_FURNITURE_TAGS = frozenset({"header", "footer", "nav", "aside"})
_FURNITURE_WORDS = frozenset(
    {
        "header",
        "topbar",
        "footer",
        "foot",
        "copyright",
        "nav",
        "navbar",
        "menu",
        "sidebar",
        "aside",
        "hot",
        "hots",
        "rank",
        "ranking",
        "phb",
        "paihang",
        "tuijian",
        "recommend",
        "remen",
        "rdph",
        "rdtj",
        "friend",
        "yqlj",
        "banner",
        "breadcrumb",
        "crumb",
        "dqwz",
        "share",
        "related",
        "xgwz",
    }
)
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")


@dataclass(frozen=True)
class ListItem:
    """One item of a list as the page shows it."""

    title: str
    url: str
    date_text: str | None
    list_date: DateMatch | None
    url_date: UrlDate | None

    @property
    def needs_detail(self) -> bool:
        """True when only the item's detail page can give it a full date."""
        if self.list_date is not None and self.list_date.year is not None:
            return False
        if self.list_date is None:
            return self.url_date is None or self.url_date.day is None
        return self.url_date is None


@dataclass(frozen=True)
class DatedItem:
    item: ListItem
    date: date | None
    source: str | None  # list, list+url, url, detail, list+crawl-date


@dataclass(frozen=True)
class ItemList:
    items: tuple[ListItem, ...]
    furniture: bool
    widget: bool = False  # headed as a box of the site's, not the page's (最新更新, 热点…)
    elsewhere: bool = False  # headed by another name than the page's (a 通知公告 box on 新闻动态)
    # one of its links, a title or not (通告 is too short for an item), is the page itself
    links_page: bool = False

    @property
    def dated_count(self) -> int:
        return sum(1 for item in self.items if item.list_date or _full_url_date(item))


def find_lists(doc: HtmlElement, page_url: str) -> list[ItemList]:
    """Every list of linked items on the page, in document order."""
    base = base_url(doc, page_url)
    by_item: dict[HtmlElement, list[HtmlElement]] = {}
    here = column_key(page_url)
    to_page: list[HtmlElement] = []  # links to the page itself
    for anchor in doc.iter("a"):
        href = (anchor.get("href") or "").strip()
        if href.startswith("#") or (url := web_url(base, href)) is None:
            continue
        if len(_anchor_title(anchor)) < _MIN_TITLE:
            if column_key(url) == here and not _pager_link(anchor, url):
                to_page.append(anchor)
            continue
        item = _item_of(anchor)
        if item is not None:
            by_item.setdefault(item, []).append(anchor)

    groups: dict[tuple[object, ...], list[ListItem]] = {}
    furniture: dict[tuple[object, ...], bool] = {}
    headings: dict[tuple[object, ...], str | None] = {}
    containers: dict[tuple[object, ...], HtmlElement] = {}
    kinds: dict[tuple[object, ...], set[object]] = {}
    years: dict[HtmlElement, int | None] = {}  # a list's year, from its heading (2025年)
    page_title = squash(doc.findtext(".//title") or "")
    for item, anchors in by_item.items():
        container = item.getparent()
        if container is None:
            continue
        key = _group_key(container)
        containers.setdefault(key, container)
        kinds.setdefault(key, set()).add(_item_kind(item))
        main = max(anchors, key=lambda a: len(_anchor_title(a)))
        if container not in years:
            years[container] = _year_heading(container)
        groups.setdefault(key, []).append(_list_item(item, main, base, years[container]))
        furniture[key] = furniture.get(key, False) or is_furniture(item)
        if key not in headings:
            headings[key] = _heading_before(container)
    # Where a short link to the page itself sits (a menu of 2-character names): beside which
    # items, in which container.
    holding_page = {
        (child.getparent(), _item_kind(child))
        for anchor in to_page
        for child in (anchor, *islice(anchor.iterancestors(), 2))
        if child.getparent() is not None
    }
    return [
        ItemList(
            tuple(items),
            furniture[key],
            _names_a_widget(headings[key], page_title),
            _names_elsewhere(headings[key], page_title),
            links_page=any((containers[key], kind) in holding_page for kind in kinds[key]),
        )
        for key, items in groups.items()
    ]


_PAGER_TEXT = re.compile(r"\d+|首页|上一?页|下一?页|尾页|末页|前页|后页|第一页|最后一页|[<>«»‹›]+")
_PAGER_URL = re.compile(r"(?:index|list|default)?_\d+\.\w+$|[?&](?:page|pageNo|p)=\d+", re.I)


def _pager_link(anchor: HtmlElement, url: str) -> bool:
    """A pager's link (下一页, 2, 尾页, index_3.html): the list's own pages, not a menu's entry."""
    text = _anchor_title(anchor)
    return not text or bool(_PAGER_TEXT.fullmatch(text) or _PAGER_URL.search(url))


def _item_kind(element: HtmlElement) -> object:
    """What makes elements items of one list: a list element's tag (whatever class marks the
    current one), else tag and class (cards alike)."""
    tag = tag_of(element)
    return tag if tag in _ITEM_TAGS or tag == "a" else (tag, element.get("class"))


# The headings of boxes a site puts on every page: the newest or most read of other columns.
_WIDGET_HEADINGS = re.compile(
    r"最新更新|热点|热门|排行|点击榜|阅读榜|推荐阅读|相关阅读|相关文章|相关新闻|相关链接|猜你喜欢"
)
_HEADING_MAX = 12  # characters of a box's heading ("热点信息更多>>")


def _heading_before(container: HtmlElement) -> str | None:
    """The list's heading: the short text just before it, or before one of its two nearest
    ancestors; None when there is none (or other text comes first: another block)."""
    node: HtmlElement | None = container
    for _ in range(3):
        if node is None or tag_of(node) in ("body", "html"):
            return None
        sibling = node.getprevious()
        while sibling is not None and not isinstance(sibling.tag, str):
            sibling = sibling.getprevious()  # comments
        if sibling is not None:
            heading = _short_text(sibling, _HEADING_MAX)
            if heading is None or heading:
                return heading  # a block of text (another block), or the heading
        node = node.getparent()
    return None


def _names_a_widget(heading: str | None, page_title: str) -> bool:
    """Whether the heading names a box of the site's (最新更新, 热点信息…) rather than the column
    the page is: a heading the page's <title> also says is the column's own (a column 热点专题)."""
    found = _WIDGET_HEADINGS.search(heading) if heading else None
    return found is not None and found.group(0) not in page_title


# What a heading says besides a name ("更多>>"), and headings that name no column (信息列表).
_HEADING_NOISE = re.compile(r"更多|more|[>»+＋\s]", re.I)
_GENERIC_HEADINGS = re.compile(r"^(?:信息|文章|内容|新闻)?(?:列表|目录|正文)?$")


def _names_elsewhere(heading: str | None, page_title: str) -> bool:
    """Whether the heading names something the page is not (a 通知公告 box on the page of
    新闻动态): neither in its <title> nor a heading any list may have (信息列表)."""
    name = _HEADING_NOISE.sub("", heading or "")
    return not _GENERIC_HEADINGS.match(name) and name not in page_title


def _short_text(element: HtmlElement, limit: int) -> str | None:
    """The element's text, squashed, if it is at most ``limit`` characters; None if longer
    (read no further than that: the block before a list may be the rest of the page)."""
    pieces, size = [], 0
    for piece in element.itertext():
        pieces.append(piece)
        size += len(piece.strip())
        if size > 4 * limit:
            return None
    text = squash("".join(pieces))
    return text if len(text) <= limit else None


def main_list(doc: HtmlElement, page_url: str) -> ItemList | None:
    """The page's main list: most dated items outside furniture; None when there is no list.

    A page that says it is empty ("暂无信息") is empty even when a box elsewhere on it lists
    dated items from other columns (items under the page's own path still count)."""
    candidates = [lst for lst in find_lists(doc, page_url) if not lst.furniture]
    if not candidates:
        return None
    # A box headed 最新更新 or 热点 lists other columns' items: not the column's list when the
    # page has another at least as long (undated: its items are dated from their pages).
    widgets = [len(lst.items) for lst in candidates if lst.widget]
    others = [lst for lst in candidates if not lst.widget]
    if widgets and any(len(lst.items) >= max(widgets) for lst in others):
        candidates = others
    # A menu of columns (a left sub-menu beside the list) links the page itself; a list of the
    # column's items never does. Both undated, the longer menu would win; alone, it would make
    # an empty column's items.
    here = column_key(page_url)
    candidates = [
        lst
        for lst in candidates
        if not lst.links_page and all(column_key(i.url) != here for i in lst.items)
    ]
    if not candidates:
        return None
    # A column's own items sit in its folder (TRS ./202406/t….html): a list of them beats a
    # longer box of another column's items beside it (热点, 最新动态).
    own = [lst for lst in candidates if lst.dated_count and is_own(lst, page_url)]
    # On a tie, a list headed by another name (a 通知公告 box beside 新闻动态's) loses.
    best = max(
        own or candidates, key=lambda lst: (lst.dated_count, len(lst.items), not lst.elsewhere)
    )
    if best.dated_count == 0 and len(best.items) < 2:
        return None
    if says_empty(doc) and not any(_under(item.url, page_url) for item in best.items):
        return None
    return best


def says_empty(doc: HtmlElement) -> str | None:
    """The "暂无信息"-style phrase the page shows, if any: not in a script (a pager's "no data"
    branch) nor in a block the page hides (another tab)."""
    body = doc.find("body")
    text = squash(" ".join(_shown_texts(body if body is not None else doc)))
    found = next((marker for marker in EMPTY_MARKERS if marker in text), None)
    if found is None and (zero := _ZERO_COUNT.search(text)) is not None:
        found = zero.group(0)
    return found


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_NOT_SHOWN = frozenset({"script", "style", "noscript", "template", "textarea"})


def _shown_texts(element: HtmlElement) -> Iterator[str]:
    """The texts of ``element`` a visitor sees (its tails are its parent's), in document
    order; without recursion (an editor's unclosed tags nest thousands deep)."""
    if not _shown(element):
        return
    if element.text and isinstance(element.tag, str):
        yield element.text
    levels: list[tuple[HtmlElement, Iterator[HtmlElement]]] = [(element, iter(element))]
    while levels:
        node, children = levels[-1]
        child = next(children, None)
        if child is None:
            levels.pop()
            if levels and node.tail:
                yield node.tail  # after all of the node's own
        elif _shown(child):
            if child.text and isinstance(child.tag, str):
                yield child.text
            levels.append((child, iter(child)))
        elif child.tail:
            yield child.tail


def _shown(element: HtmlElement) -> bool:
    """Whether a visitor may see the element: not a script nor a hidden block."""
    if tag_of(element) in _NOT_SHOWN or element.get("hidden") is not None:
        return False
    return not _HIDDEN_STYLE.search(element.get("style") or "")


# Fields a visitor types into (an <input> without a type is a text field).
_TEXT_INPUTS = frozenset({"", "text", "tel", "email", "number", "date"})


_SEARCH = re.compile(r"search|query|sousuo|jsearch|检索|搜索|查询", re.I)


def has_public_form(doc: HtmlElement) -> bool:
    """A form for the public to write in (县长信箱, 留言, 征集意见): a text area to write in
    beside another field; not a search form (信息公开检索: 标题, 文号, 索引号) nor a login."""
    for form in doc.iter("form"):
        if not any(True for _ in form.iter("textarea")):
            continue
        label = " ".join(
            [form.get("action") or "", form.get("name") or "", form.get("id") or ""]
            + [field.get("value") or "" for field in form.iter("input")]
        )
        if _SEARCH.search(label):
            continue
        types = ((field.get("type") or "").strip().lower() for field in form.iter("input"))
        if any(kind in _TEXT_INPUTS for kind in types):
            return True
    return False


# A post a 领导信息 card gives beside its person's name.
_POST = re.compile(
    r"书记|[县市区镇乡州旗]长|局长|主任|部长|主席|常委|委员|院长|厅长|处长|科长|队长|所长|馆长"
    r"|站长|检察长|组长|负责人|党组成员|总师|总工"
)
_PERSON = re.compile(r"[\u4e00-\u9fff]{2,4}")
_PERSON_CHARS = 4
_CARD_CHARS = 60  # a card's text: a name, a post or two; more is an article's paragraph
PEOPLE_MIN = 2


def shows_people(doc: HtmlElement) -> bool:
    """A page of people (领导信息, 领导之窗): cards that each give a name (2–4 characters, its
    own element) beside a post (县长, 局长, 主任…), at least two of them. A page about its
    leaders, not a list of dated items: neither empty nor stale."""
    names: set[str] = set()
    # Texts are read no further than a name or a card holds: a page of thousands of short
    # links is not read whole once per link.
    for element in doc.iter("a", "span", "div", "p", "h3", "h4", "h5", "td", "strong", "b", "dt"):
        name = _short_text(element, _PERSON_CHARS)
        if name is None or not _PERSON.fullmatch(name) or _POST.search(name):
            continue
        card = element.getparent()
        while card is not None and _short_text(card, _PERSON_CHARS) == name:
            card = card.getparent()  # a name wrapped twice (<div><a>张三</a></div>)
        if card is None:
            continue
        text = _short_text(card, _CARD_CHARS)
        if text is not None and _POST.search(text.replace(name, "", 1)):
            names.add(name)
            if len(names) >= PEOPLE_MIN:
                return True
    return False


def is_own(found: ItemList, page_url: str) -> bool:
    """Whether most of the list's items sit in the page's folder: the column's own."""
    under = sum(1 for item in found.items if _under(item.url, page_url))
    return under * 2 > len(found.items)


def _under(url: str, page_url: str) -> bool:
    folder = urlsplit(page_url).path.rsplit("/", 1)[0] + "/"
    return folder != "/" and urlsplit(url).path.startswith(folder)


def content_items(doc: HtmlElement, page_url: str) -> list[ListItem]:
    """Items of every non-furniture list (a homepage shows several lists side by side)."""
    return [item for lst in find_lists(doc, page_url) if not lst.furniture for item in lst.items]


def resolve_date(item: ListItem, detail: DateMatch | None, crawl_date: date) -> DatedItem:
    """Give ``item`` a full date and say where it came from; never a date after ``crawl_date``."""
    found = item.list_date
    value: date | None = None
    source: str | None = None
    if found is not None and found.year is not None:
        value, source = found.value, "list"
    elif found is not None and item.url_date is not None:
        year = item.url_date.year + (1 if found.month < item.url_date.month else 0)
        value, source = DateMatch(found.text, year, found.month, found.day).value, "list+url"
    elif found is None and _full_url_date(item):
        value, source = _full_url_date(item), "url"
    if value is None and detail is not None and detail.value is not None:
        value, source = detail.value, "detail"
    if value is None and found is not None and found.days_ago is not None:
        value, source = crawl_date - timedelta(days=found.days_ago), "list+crawl-date"
    if value is None and found is not None and found.year is None:
        value = latest_not_after(found.month, found.day, crawl_date)
        source = "list+crawl-date" if value else None
    if value is not None and value > crawl_date:
        return DatedItem(item, None, None)
    return DatedItem(item, value, source)


def newest(items: list[DatedItem]) -> DatedItem | None:
    """The newest dated item; on equal dates the first in page order (pinned items included)."""
    dated = [entry for entry in items if entry.date is not None]
    if not dated:
        return None
    return max(dated, key=lambda entry: entry.date or date.min)


def oldest_first(items: list[ListItem]) -> bool:
    """A list in date order, oldest first (some 信息公开 catalogues): its newest items are on
    its last page. At least three full dates, none older than the one above it."""
    days = [day for item in items if (day := _full_date(item)) is not None]
    return len(days) >= 3 and days[0] < days[-1] and all(a <= b for a, b in pairwise(days))


def _full_date(item: ListItem) -> date | None:
    if item.list_date is not None and item.list_date.year is not None:
        return item.list_date.value
    return _full_url_date(item)


def _full_url_date(item: ListItem) -> date | None:
    return item.url_date.value if item.url_date is not None else None


def _anchor_title(anchor: HtmlElement) -> str:
    text = squash(anchor.text_content())
    title = squash(anchor.get("title"))
    if title and (not text or text.endswith(("...", "…")) or len(title) > len(text)):
        text = title
    if text.lower() in _NOT_TITLES:
        return ""
    return text


def _item_of(anchor: HtmlElement) -> HtmlElement | None:
    """The block around ``anchor`` that is one list item: the nearest ``li``/``tr``/… ancestor,
    or the nearest ancestor whose text outside the link holds exactly one date. A block with
    several dates holds a whole list, not one item: the search stops there."""
    if _date_inside_anchor(anchor) is not None:
        parent = anchor.getparent()
        if parent is None or tag_of(parent) in _LIST_TAGS:
            return anchor
        # links that are whole items side by side (<a><h3>…</h3><span>date</span></a>…)
        others = (a for a in parent.findall("a") if a is not anchor)
        if any(_date_inside_anchor(other) is not None for other in others):
            return anchor
        return parent
    node = anchor
    for _ in range(_CONTAINER_LEVELS):
        parent = node.getparent()
        if parent is None or tag_of(parent) in _LIST_TAGS:
            return node if node is not anchor and tag_of(node) in _ITEM_TAGS else None
        node = parent
        if tag_of(node) in _ITEM_TAGS or _one_of_like_blocks(node):
            return node
        text = _text_outside(node, anchor, _ITEM_TEXT_MAX)
        dates = find_dates(without_clocks(text)) if text is not None else None
        if dates is not None and len(dates) == 1:
            return node
        if dates is None or len(dates) > 1:
            # a flat list (link, date, <br>, link, date, <br>…): the link is its line's item;
            # a block with more text than an item has holds more than one
            line = _line_of(anchor) if node is anchor.getparent() else None
            if line is not None and len(find_dates(without_clocks(" ".join(line)))) == 1:
                return anchor
            return None
    return None


# The most text outside its link an item holds (a title's summary, its date, its source): a
# block with more is a part of the page holding several. Every link of a page reads no more
# than this of each block around it, whatever the page's size.
_ITEM_TEXT_MAX = 2000


def _text_outside(item: HtmlElement, anchor: HtmlElement, limit: int) -> str | None:
    """The item's texts outside the link, joined; None when they hold more than ``limit``
    characters besides spaces (read no further)."""
    pieces, size = [], 0
    for piece in _texts_outside(item, anchor):
        pieces.append(piece)
        size += len(piece.strip())
        if size > limit:
            return None
    return " ".join(pieces)


_LIKE_BLOCKS = 3  # cards of a picture list (<div class="pic"><a><img><p>标题</p></a></div>…)
_BLOCK_TAGS = frozenset({"div", "section", "figure"})  # not an article's paragraphs
_LIKE_REACH = 12  # siblings looked at each way: cards of a list sit together


def _one_of_like_blocks(node: HtmlElement) -> bool:
    """A block that is one of several alike side by side (same tag and class), each holding a
    link: a card of a list laid out without list elements, dated or not."""
    if tag_of(node) not in _BLOCK_TAGS:
        return False
    kind, alike = (node.tag, node.get("class")), 1
    nearby = chain(
        islice(node.itersiblings(preceding=True), _LIKE_REACH),
        islice(node.itersiblings(), _LIKE_REACH),
    )
    for sibling in nearby:
        if sibling.tag == kind[0] and sibling.get("class") == kind[1]:
            if sibling.find(".//a[@href]") is None:
                return False  # a block like it without a link: no list of links
            alike += 1
            if alike >= _LIKE_BLOCKS:
                return True
    return False


def dated_item(anchor: HtmlElement) -> bool:
    """Whether the link is an item of a dated list (an article beside its date), not a column
    of a menu."""
    item = _item_of(anchor)
    return item is not None and _date_outside(item, anchor) is not None


def _line_of(anchor: HtmlElement) -> list[str] | None:
    """The texts beside the link on its line, when its parent lays out one item a line with
    ``<br>`` (a list without item elements); None when it does not, or the line holds another
    link."""
    parent = anchor.getparent()
    if parent is None:
        return None
    # The line: the nodes from the <br> before the link to the one after it (read no further
    # than a line holds: a parent of thousands of links is read once per link, not whole).
    before = _nodes_to_break(anchor.itersiblings(preceding=True))
    after = _nodes_to_break(anchor.itersiblings())
    if before is None or after is None:
        return None  # a line longer than a line of a list is
    (earlier, start), (later, end) = before, after
    if start is None and end is None:
        return None  # no <br> beside it: not laid out one item a line
    line = [*reversed(earlier), anchor, *later]
    if sum(1 for node in line if tag_of(node) == "a" or node.find(".//a") is not None) > 1:
        return None
    texts = [(start.tail if start is not None else parent.text) or ""]
    for node in line:
        if node is not anchor and isinstance(node.tag, str):
            texts.append(node.text_content())
        texts.append(node.tail or "")
    return texts


_LINE_NODES = 32  # the most elements a line of a flat list has (a link, its date, a mark…)


def _nodes_to_break(
    siblings: Iterator[HtmlElement],
) -> tuple[list[HtmlElement], HtmlElement | None] | None:
    """The siblings up to the next ``<br>`` in that direction, and that ``<br>`` (None at the
    parent's end); None when there are more than a line holds before it."""
    nodes: list[HtmlElement] = []
    for node in siblings:
        if isinstance(node.tag, str) and tag_of(node) == "br":
            return nodes, node
        nodes.append(node)
        if len(nodes) > _LINE_NODES:
            return None
    return nodes, None


_YEAR_HEADING = re.compile(r"((?:19|20)\d{2})\s*年?(?:度)?")


def _year_heading(container: HtmlElement) -> int | None:
    """The year a list's heading names, when that is all it says (<h3>2025年</h3> over items
    dated [11-20]: an archive by year)."""
    heading = _heading_before(container)
    found = _YEAR_HEADING.fullmatch(heading) if heading else None
    return int(found.group(1)) if found else None


_DATE_ATTRIBUTES = ("datetime", "data-time", "data-date", "data-pubdate", "data-publishtime")


def _date_in_attributes(item: HtmlElement, anchor: HtmlElement) -> DateMatch | None:
    """A full date an item keeps in an attribute, not in its text: ``<li data-time="…">``,
    ``<time datetime="…">``, a date drawn as a picture whose ``alt`` says it."""
    for node in item.iter():
        if not isinstance(node.tag, str) or node is anchor:
            continue
        values = [node.get(name) for name in _DATE_ATTRIBUTES]
        if tag_of(node) == "img":
            values.append(node.get("alt"))
        for value in values:
            if value and len(value) <= 32:
                dates = [d for d in find_dates(value) if d.year is not None]
                if len(dates) == 1:
                    return dates[0]
    return None


def _list_item(
    item: HtmlElement, anchor: HtmlElement, base: str, year: int | None = None
) -> ListItem:
    url = web_url(base, anchor.get("href")) or base
    outside = _date_outside(item, anchor)
    inside = None if outside is not None else _date_in_link(anchor)
    found = outside or inside
    if found is not None and found.year is None and year is not None:
        found = DateMatch(found.text, year, found.month, found.day)
    if found is None:  # a date in an attribute (<li data-time=…>, a picture's alt) alone
        found = _date_in_attributes(item, anchor)
    if found is None:  # a date relative to today (3天前), in an element or text of its own
        found = next(
            (d for text in _texts_outside(item, anchor) if (d := relative_date(text))), None
        )
    return ListItem(
        title=_title_without(_anchor_title(anchor), inside),
        url=url,
        date_text=found.text if found else None,
        list_date=found,
        url_date=url_date(url),
    )


def _texts_outside(item: HtmlElement, anchor: HtmlElement) -> Iterator[str]:
    """The item's texts but the link's, each element's text then its tail (the link's tail
    is the item's), in document order of elements; not into the link, scripts or styles."""
    if item is anchor:
        if anchor.tail:
            yield anchor.tail
        return
    if not isinstance(item.tag, str) or item.tag in ("script", "style"):
        return
    if item.text:
        yield item.text
    levels: list[Iterator[HtmlElement]] = [iter(item)]  # lazily: the caller may stop early
    while levels:
        node = next(levels[-1], None)
        if node is None:
            levels.pop()
        elif not isinstance(node.tag, str) or node.tag in ("script", "style"):
            continue
        elif node is anchor:
            if node.tail:
                yield node.tail
        else:
            if node.text:
                yield node.text
            if node.tail:
                yield node.tail
            levels.append(iter(node))


def _dates_outside(item: HtmlElement, anchor: HtmlElement) -> list[DateMatch]:
    texts = list(_texts_outside(item, anchor))
    if item is anchor:  # an item that is the link itself: its line's texts, if laid out so
        texts = _line_of(anchor) or texts
    elif tag_of(item) == "dt":
        texts += _definitions(item)
    return find_dates(without_clocks(" ".join(texts)))


def _definitions(term: HtmlElement) -> list[str]:
    """A ``<dt>`` item's ``<dd>`` siblings up to the next term: where a dl list puts the date."""
    found = []
    for sibling in term.itersiblings():
        if not isinstance(sibling.tag, str):
            continue
        if tag_of(sibling) != "dd":
            break
        found.append(sibling.text_content())
    return found


def _date_outside(item: HtmlElement, anchor: HtmlElement) -> DateMatch | None:
    """The item's date: its publication date where the item (or its table's header) labels
    its dates (a 信息公开 row gives 成文日期 and 发布日期: a document is published, and its
    column updated, on the latter); otherwise its first full date."""
    published = _labelled_publication(item, anchor)
    if published is not None:
        return published
    dates = _dates_outside(item, anchor)
    full = [d for d in dates if d.year is not None]
    text = without_clocks(" ".join(_texts_outside(item, anchor))) if full else ""
    if tag_of(item) != "tr" and _OTHER_DATE.search(text):
        # a date labelled as another (更新时间, 截止日期) only when the item has no other: not
        # over the 【2026-05-10】 its link's text gives
        others = {found.text for found, label in _labelled(text) if _OTHER_DATE.search(label)}
        plain = [d for d in full if d.text not in others]
        if not plain and others:
            return _date_in_link(anchor) or _bracketed_date(anchor) or full[0]
        full = plain or full
    if len(full) > 1 and tag_of(item) != "tr":
        # a summary may cite an earlier date (（2026年10月10日印发）) before the item's own,
        # which has an element of its own (<span class="date">)
        alone = _date_alone(item, anchor)
        if alone is not None:
            return alone
    if full:
        return full[0]
    return dates[0] if dates else None


def _date_alone(item: HtmlElement, anchor: HtmlElement) -> DateMatch | None:
    """A full date that is the whole text of an element of the item, outside its link."""
    for node in item.iter():
        if not isinstance(node.tag, str) or node is anchor or node is item or len(node):
            continue
        if any(a is anchor for a in node.iterancestors()):
            continue
        text = squash(node.text_content())
        found = find_dates(text) if len(text) <= 24 else []
        if len(found) == 1 and found[0].year is not None and len(text) <= len(found[0].text) + 4:
            return found[0]
    return None


# A date's label that names its publication, and one that names another date of the document
# (an 更新时间 is when it was last edited, not when it was published).
_PUBLISHED = re.compile(r"发布|公开|上网")
_OTHER_DATE = re.compile(r"成文|印发|发文|签发|生效|施行|实施|截止|有效|更新|修改|报名")
_A_DATE = re.compile(r"日期|时间|日$")
_LABEL_BEFORE = re.compile(r"([\u4e00-\u9fff]{2,6})\s*(?:日期|时间)?\s*[:：]\s*$")


def _labelled_publication(item: HtmlElement, anchor: HtmlElement) -> DateMatch | None:
    if tag_of(item) == "tr":
        return _column_publication(item)
    text = without_clocks(" ".join(_texts_outside(item, anchor)))
    labelled = _labelled(text)
    if len(labelled) < 2:
        return None
    for found, label in labelled:
        if _PUBLISHED.search(label) and not _OTHER_DATE.search(label):
            return found
    return None


def _labelled(text: str) -> list[tuple[DateMatch, str]]:
    """Each date in ``text`` with the label before it ("发布时间：" → "发布时间"; "" if none)."""
    found_dates: list[tuple[DateMatch, str]] = []
    position = 0
    for found in find_dates(text):
        at = text.find(found.text, position)
        if at < 0:
            continue
        position = at + len(found.text)
        label = _LABEL_BEFORE.search(text[max(0, at - 12) : at])
        found_dates.append((found, label.group(1) if label else ""))
    return found_dates


# The header labels of the tables of the page being read (its rows ask, one by one).
_HEADERS: dict[HtmlElement, tuple[str, ...]] = {}


def _header_labels(table: HtmlElement) -> tuple[str, ...]:
    """The labels of the table's header row, found once: among its first rows, one of cells
    without links or dates that names a date (its ``<td>`` cells styled as a header, under a
    caption row "规范性文件目录"); else its first row of two ``th`` cells or more."""
    if table not in _HEADERS:
        if len(_HEADERS) >= 4:  # a few tables at a time: each keeps its page alive
            _HEADERS.clear()
        header = _own_header(table)
        before = table.getprevious()
        # a header row in a table of its own just above (TRS: table.thead, table.tbody)
        if (
            not header
            and before is not None
            and tag_of(before) == "table"
            and sum(1 for _ in islice(before.iter("tr"), 3)) <= 2
        ):
            header = _own_header(before)
        _HEADERS[table] = header
    return _HEADERS[table]


def _own_header(table: HtmlElement) -> tuple[str, ...]:
    """The labels of the header row among the table's first rows (see _header_labels)."""
    rows = [[c for c in r if tag_of(c) in ("th", "td")] for r in islice(table.iter("tr"), 6)]
    labelled = [[squash(c.text_content()) for c in cells] for cells in rows]
    header = next(
        (
            labels
            for cells, labels in zip(rows, labelled, strict=True)
            if len(labels) >= 2
            and any(_A_DATE.search(label) for label in labels)
            and not any(find_dates(label) for label in labels)
            and not any(True for cell in cells for _ in cell.iter("a"))
        ),
        None,
    )
    if header is None:
        header = next(
            (
                labels
                for cells, labels in zip(rows, labelled, strict=True)
                if len(labels) >= 2 and any(tag_of(c) == "th" for c in cells)
            ),
            [],
        )
    return tuple(header)


def _column_publication(row: HtmlElement) -> DateMatch | None:
    """The date in the column its table's header calls the publication date (发布日期)."""
    table = next((a for a in row.iterancestors() if tag_of(a) == "table"), None)
    if table is None:
        return None
    labels = _header_labels(table)
    if not labels:
        return None
    wanted = [
        n for n, label in enumerate(labels) if _PUBLISHED.search(label) and _A_DATE.search(label)
    ]
    if not wanted or any(_OTHER_DATE.search(labels[n]) for n in wanted):
        return None
    cells = [cell for cell in row if tag_of(cell) in ("th", "td")]
    if len(cells) != len(labels):
        return None
    dates = find_dates(squash(cells[wanted[0]].text_content()))
    return dates[0] if dates else None


_BRACKETED = re.compile(r"[【\[（(]\s*([^】\]）)]{6,12})\s*[】\]）)]\s*$")


def _bracketed_date(anchor: HtmlElement) -> DateMatch | None:
    """A full date in brackets that ends the link's text ("…政策解读【2026-05-10】")."""
    found = _BRACKETED.search(_anchor_title(anchor))
    dates = find_dates(found.group(1)) if found else []
    return dates[0] if len(dates) == 1 and dates[0].year is not None else None


_OPENING, _CLOSING = "[【(〔「", "]】)〕」"
_APART = " |｜/—-:：" + _OPENING + _CLOSING


def _date_ending_title(anchor: HtmlElement) -> DateMatch | None:
    """A full date that ends or begins the link's own text, set apart from the title by a
    space or brackets ("…推进大会召开 2026-11-18", "[2026-11-15] 副市长…"): where a list
    writes each item's date into its link."""
    text = normalize(_anchor_title(anchor))
    dates = [found for found in find_dates(text) if found.year is not None]
    if not dates:
        return None
    last, first = dates[-1], dates[0]
    at = text.rfind(last.text)
    if at > 0 and text[at - 1] in _APART and not text[at + len(last.text) :].strip(" " + _CLOSING):
        return last
    at = text.find(first.text)
    rest = text[at + len(first.text) :]
    if at >= 0 and rest and not text[:at].strip(" " + _OPENING) and rest[0] in _APART:
        return first
    return None


def _date_in_link(anchor: HtmlElement) -> DateMatch | None:
    """An item's date written inside its link: in an element of its own, or beside the title."""
    return _date_inside_anchor(anchor) or _date_ending_title(anchor)


def _title_without(title: str, found: DateMatch | None) -> str:
    """The link's title without the date the list wrote into it ("标题 2026-11-18" → "标题")."""
    if found is None:
        return title
    text = normalize(title)
    at = text.rfind(found.text)
    if at < 0:
        return title
    kept = (text[:at] + " " + text[at + len(found.text) :]).strip(_APART)
    return squash(kept.replace("[]", "").replace("【】", "").replace("()", "")) or title


def _date_inside_anchor(anchor: HtmlElement) -> DateMatch | None:
    """A date in its own element inside the link (``<a><span>标题</span><i>2024-06-30</i></a>``)."""
    for node in anchor.iterdescendants():
        if not isinstance(node.tag, str):
            continue
        text = squash(node.text_content())
        dates = find_dates(text)
        if len(dates) == 1 and len(text) <= len(dates[0].text) + 4:
            return dates[0]
    return None


def _group_key(container: HtmlElement) -> tuple[object, ...]:
    """Sibling containers of one kind (``ul.list`` split in blocks of five) form one list."""
    parent = container.getparent()
    if tag_of(container) in ("tbody",) and parent is not None:
        return (parent,)
    return (parent, tag_of(container), container.get("class") or "")


def is_furniture(element: HtmlElement) -> bool:
    node: HtmlElement | None = element
    while node is not None and tag_of(node) not in ("body", "html"):
        if tag_of(node) in _FURNITURE_TAGS:
            return True
        words = _WORD.findall(f"{node.get('class') or ''} {node.get('id') or ''}")
        if any(word.lower() in _FURNITURE_WORDS for word in words):
            return True
        node = node.getparent()
    return False
