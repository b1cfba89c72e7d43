"""Columns named in a page's navigation (top menus, side sub-navigation, 网站地图), and what
kind of page a page is (home, list, detail, other)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from crawler.extract.dates import url_date
from crawler.extract.detail import detail_metadata
from crawler.extract.html import INDEX_PAGE, HtmlElement, base_url, column_key, squash, tag_of
from crawler.extract.links import same_site
from crawler.extract.lists import dated_item, is_furniture, main_list

_NAV_WORDS = frozenset(
    {
        "nav",
        "navbar",
        "menu",
        "menus",
        "daohang",
        "dh",
        "lanmu",
        "lm",
        "column",
        "columns",
        "subnav",
        "sub",
        "left",
        "leftnav",
        "side",
        "sidebar",
        "sidenav",
        "tree",
        "catalog",
        "mulu",
        "channel",
        "classify",
        "tab",
        "tabs",
    }
)
# Boxes that hold links but are not navigation: hot lists, rankings, friends' links, footers.
_NOT_NAV_WORDS = frozenset(
    {
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
        "links",
        "share",
        "related",
        "xgwz",
        "footer",
        "foot",
        "bottom",
        "copyright",
        "news",
        "list",
        "content",
    }
)
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])")
_NOT_COLUMNS = frozenset(
    {
        "首页",
        "网站首页",
        "返回首页",
        "主页",
        "更多",
        "更多>>",
        "登录",
        "注册",
        "无障碍",
        "繁體",
        "繁体",
        "简体",
        "关怀版",
        "长者模式",
        "适老化",
        "智能问答",
        "搜索",
        "english",
        "网站地图",
        "联系我们",
        "设为首页",
        "加入收藏",
        "上一页",
        "下一页",
        "尾页",
    }
)
_DETAIL_URL = re.compile(r"(/t\d{8}_\d+|/art_\d+_\d+|/content_\d+|/art/\d{4}/|detail|\.pdf$)", re.I)
_NAME_MIN, _NAME_MAX = 2, 16
# A month or a year as a link's whole name: 2026年11月, 2026年, 2026-11, 2026年11月份, 2026.
_PERIOD = re.compile(r"(?:19|20)\d\d\s*(?:年\s*(?:\d{1,2}\s*月份?)?|[-./]\s*\d{1,2})?")
_HOME_PATHS = frozenset(
    {
        "",
        "/",
        "/index.html",
        "/index.htm",
        "/index.shtml",
        "/index.jsp",
        "/index.php",
        "/default.htm",
        "/default.html",
        "/default.aspx",
    }
)


@dataclass(frozen=True)
class NavLink:
    name: str
    url: str


def navigation_links(doc: HtmlElement, page_url: str, home: str) -> list[NavLink]:
    """Links in navigation regions that look like columns: same site, short names, not
    articles, not the homepage; in page order, one per column."""
    base = base_url(doc, page_url)
    found: dict[str, NavLink] = {}
    home_key = column_key(home)
    for anchor in doc.iter("a"):
        if not _in_navigation(anchor):
            continue
        link = _column_link(anchor, base, home)
        if link is None or dated_item(anchor):  # an article of a dated box in a sidebar
            continue
        key = column_key(link.url)
        if key != home_key and key != column_key(page_url):
            found.setdefault(key, link)
    return list(found.values())


HUB_MIN = 3  # sub-column links that make a page without dated items a hub
BELOW_MIN = 2  # ... when all are in folders below its own (/hdjl/ → /hdjl/zxft/, /hdjl/zjdc/)


def hub_columns(
    doc: HtmlElement, page_url: str, home: str, site_menu: frozenset[str] = frozenset()
) -> list[NavLink]:
    """The sub-columns of a hub: a column page without dated items that links at least
    ``BELOW_MIN`` columns below it (a 政务公开 landing page's grid or sidebar: /zwgk/ →
    /zwgk/zcwj/, /zwgk/rsxx/index.html…), or one when its content (not a menu) is that link
    (互动交流 → 县长信箱), or ``HUB_MIN`` of its flat CMS's. Such a page is no
    empty column; its sub-columns are judged. [] for any other page: links to sibling columns
    (/xwdt/, /tzgg/ beside /zwgk/) or to articles do not make one, and an empty column stays
    empty.

    A CMS that numbers its columns in one flat folder (大汉's /col/col100/ → /col/col101/) says
    nothing of the tree in its URLs: there the sub-columns are links of the page's own URL shape
    outside its menus, in a group of links that names neither the homepage nor the page itself
    (a site menu names the one, a sidebar of sibling columns the other) and not in the
    homepage's menu (``site_menu``: its column keys)."""
    parts = urlsplit(page_url)
    folder = parts.path.rsplit("/", 1)[0] + "/"
    base = base_url(doc, page_url)
    own = column_key(page_url)
    shape = _id_shape(own)
    found: dict[str, NavLink] = {}
    in_content: set[str] = set()  # below it, linked outside the menus
    for anchor in doc.iter("a"):
        link = _column_link(anchor, base, home, pictures=True)
        if link is None:
            continue
        key = column_key(link.url)
        if key == own:
            continue
        path = urlsplit(link.url).path
        if folder != "/" and path.startswith(folder):
            if path.endswith("/") or INDEX_PAGE.search(path):
                found.setdefault(key, link)
                if not _in_navigation(anchor) and not is_furniture(anchor):
                    in_content.add(key)
        elif (
            shape is not None
            and _id_shape(key) == shape
            and key not in site_menu
            and not _in_navigation(anchor)
            and not _group_names(anchor, base, {own, column_key(home)})
        ):
            found.setdefault(key, link)
    below = sum(1 for link in found.values() if urlsplit(link.url).path.startswith(folder))
    enough = len(found) >= HUB_MIN or (folder != "/" and below == len(found) >= BELOW_MIN)
    # a landing page whose content is one link to the column below it (互动交流 → 县长信箱)
    enough = enough or (folder != "/" and below == len(found) == 1 and set(found) == in_content)
    return list(found.values()) if enough else []


_MORE = re.compile(r"^(?:更多|查看更多|more)?\s*[>»+＋]*$", re.I)
_BOX_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})
_BOX_HEAD = re.compile(r"tit|hd|head", re.I)


def box_hub_columns(doc: HtmlElement, page_url: str, home: str) -> list[NavLink]:
    """The sub-columns of a landing page made of boxes (新闻中心: a box of 政务要闻's newest
    items, one of 部门动态's…, each headed by its column's name and a "更多" link to it): at
    least two columns below the page that box headings lead to. Such a page's dated items are
    its sub-columns', not its own. [] for any other page."""
    folder = urlsplit(page_url).path.rsplit("/", 1)[0] + "/"
    if folder == "/":
        return []
    below = [
        link
        for link in box_links(doc, page_url, home)
        if urlsplit(link.url).path.startswith(folder)
        and (urlsplit(link.url).path.endswith("/") or INDEX_PAGE.search(urlsplit(link.url).path))
    ]
    return below if len(below) >= 2 else []


def box_links(doc: HtmlElement, page_url: str, home: str) -> list[NavLink]:
    """The columns the page's boxes are headed by: a heading's "更多>>" link, named by the
    heading (a homepage's 部门动态 box may be the only place that links its column), or a
    heading that is itself the link; not the page itself nor the homepage."""
    base = base_url(doc, page_url)
    skip = {column_key(page_url), column_key(home)}
    found: dict[str, NavLink] = {}
    for anchor in doc.iter("a"):
        name = _box_name(anchor)
        link = _named_link(name, (anchor.get("href") or "").strip(), base, home) if name else None
        if link is not None and column_key(link.url) not in skip:
            found.setdefault(column_key(link.url), link)
    return list(found.values())


def _box_name(anchor: HtmlElement) -> str:
    """The column a box's heading names by this link: the heading's text for its "更多>>"
    link, the link's own text in a heading; "" for any other link."""
    parent = anchor.getparent()
    if parent is None:
        return ""
    text = squash(anchor.text_content())
    if text and _MORE.match(text):  # "更多>>", ">>", "+": the name is the heading's other text
        return squash(parent.text_content().replace(anchor.text_content(), " "))
    for node in (parent, parent.getparent()):
        if node is not None and (
            tag_of(node) in _BOX_HEADINGS or _BOX_HEAD.search(node.get("class") or "")
        ):
            return text
    return ""


def _id_shape(key: str) -> str | None:
    """A column key with its numbers blanked (/col/col100/ → /col/col#/), when it has any."""
    parts = urlsplit(key)
    shape = re.sub(r"\d+", "#", f"{parts.path}?{parts.query}")
    return shape if "#" in shape else None


def sibling_keys(doc: HtmlElement, page_url: str, home: str) -> set[str]:
    """The columns a column page's menus list beside it, not under it: those of a menu that
    lists the page itself among its links (a left menu of 法定主动公开内容: 政策文件, 人事信息,
    财政资金…) or of the site's menu (it names 首页), unless they sit in folders below the
    page's own (its sub-columns, however they are listed). Their column keys."""
    base = base_url(doc, page_url)
    own = column_key(page_url)
    folder = urlsplit(page_url).path.rsplit("/", 1)[0] + "/"
    found: set[str] = set()
    for anchor in doc.iter("a"):
        if not _in_navigation(anchor):
            continue
        link = _column_link(anchor, base, home)
        if link is None or (folder != "/" and urlsplit(link.url).path.startswith(folder)):
            continue
        if _beside(anchor, base, own):
            found.add(column_key(link.url))
    return found


def _beside(anchor: HtmlElement, base: str, own: str) -> bool:
    """Whether the anchor's menu lists the page itself (its nearest group of links does), or
    is the site's menu: a list around it (a dropdown's too) with 首页 among its own items (not
    a breadcrumb's 首页 in a block that also holds the menu)."""
    node, nearest = anchor.getparent(), True
    for _ in range(6):
        if node is None or tag_of(node) in ("body", "html"):
            return False
        if nearest:
            anchors = [a for a in node.iter("a") if a.get("href")]
            if len(anchors) >= 2:
                nearest = False
                if any(
                    column_key(urljoin(base, (a.get("href") or "").strip())) == own for a in anchors
                ):
                    return True
        if tag_of(node) in ("ul", "ol", "nav", "div") and _lists_home(node):
            return True
        node = node.getparent()
    return False


_HOME_NAMES = frozenset({"首页", "首 页", "网站首页"})


def _lists_home(menu: HtmlElement) -> bool:
    """Whether one of the list's own items is its link to 首页 (the site's menu)."""
    for item in menu:
        if tag_of(item) not in ("li", "a"):
            continue
        links = [item] if tag_of(item) == "a" else item.findall("a") + item.findall("*/a")
        if any(squash(link.text_content()) in _HOME_NAMES for link in links):
            return True
    return False


def _group_names(anchor: HtmlElement, base: str, keys: set[str]) -> bool:
    """Whether the group of links the anchor sits in (its nearest ancestor with another link)
    links one of these columns, or the homepage by its name."""
    node = anchor.getparent()
    while node is not None and tag_of(node) not in ("body", "html"):
        anchors = [a for a in node.iter("a") if a.get("href")]
        if len(anchors) >= 2:
            for other in anchors:
                if squash(other.text_content()) in ("首页", "首 页", "网站首页"):
                    return True
                href = (other.get("href") or "").strip()
                if href and column_key(urljoin(base, href)) in keys:
                    return True
            return False
        node = node.getparent()
    return False


def sitemap_links(doc: HtmlElement, page_url: str, home: str) -> list[NavLink]:
    """Every column-like link of a 网站地图 page (its content is the navigation)."""
    base = base_url(doc, page_url)
    found: dict[str, NavLink] = {}
    for anchor in doc.iter("a"):
        link = _column_link(anchor, base, home)
        if link is not None and column_key(link.url) != column_key(home):
            found.setdefault(column_key(link.url), link)
    return list(found.values())


def frame_urls(doc: HtmlElement, page_url: str, home: str) -> list[str]:
    """Same-site iframes and frames: 信息公开目录 trees are often shown in one. A frame whose
    ``src`` a script sets (``document.getElementById("f").src = "/rsxx/list.html"``) too."""
    base = base_url(doc, page_url)
    found = []
    frames = list(doc.iter("iframe", "frame"))
    scripted = {
        match.group(2) or match.group(4): match.group(5)
        for script in doc.iter("script")
        for match in _FRAME_SET.finditer(script.text or "")
    }
    for element in frames:
        src = (element.get("src") or "").strip() or scripted.get(element.get("id") or "", "")
        if not src or src.startswith(("javascript:", "about:")):
            continue
        url = urljoin(base, src)
        if same_site(url, home):
            found.append(url)
    return list(dict.fromkeys(found))


_CONTENT_HEIGHT = 300  # pixels: a frame this tall is the page's content, not a widget


def content_frames(doc: HtmlElement, page_url: str, home: str) -> list[str]:
    """Frames on another site that hold a page's content (a column whose list is shown from
    the 信息公开 platform's host): as wide as the page, or tall; not a widget (weather, a
    counter) of a few lines."""
    base = base_url(doc, page_url)
    found = []
    for element in doc.iter("iframe", "frame"):
        src = (element.get("src") or "").strip()
        url = urljoin(base, src) if src else ""
        if not url.startswith(("http://", "https://")) or same_site(url, home):
            continue
        width, height = (element.get(name) or "" for name in ("width", "height"))
        tall = height.rstrip("px").isdigit() and int(height.rstrip("px")) >= _CONTENT_HEIGHT
        if tall or width.strip() == "100%" or element.tag == "frame":
            found.append(url)
    return list(dict.fromkeys(found))


# getElementById("f").src = "/rsxx/list_22.html" (or $("#f").attr("src", "…")).
_FRAME_SET = re.compile(
    r"""(?:getElementById\(\s*(['"])([\w-]+)\1\s*\)\.src\s*=\s*|\$\(\s*(['"])#([\w-]+)\3\s*\)"""
    r"""\.attr\(\s*['"]src['"]\s*,\s*)['"]([^'"]+)['"]"""
)


def tree_links(doc: HtmlElement, page_url: str, home: str) -> list[NavLink]:
    """Column links in a script-built tree (zTree-style ``{name, url, pId}`` nodes)."""
    base = base_url(doc, page_url)
    found: dict[str, NavLink] = {}
    for script in doc.iter("script"):
        code = script.text or ""
        if "name" not in code or not ("url" in code or "href" in code or "link" in code):
            continue
        for start in [m.start() for m in re.finditer(r"\[\s*\{", code)][:50]:
            try:
                value, _ = json.JSONDecoder().raw_decode(_quote_keys(code[start:]))
            except ValueError:
                continue
            for node in value if isinstance(value, list) else []:
                if not isinstance(node, dict):
                    continue
                name = str(node.get("name") or node.get("title") or "")
                href = node.get("url") or node.get("href") or node.get("link")
                if not isinstance(href, str) or not name:
                    continue
                link = _named_link(name, href, base, home)
                if link is not None:
                    found.setdefault(column_key(link.url), link)
    return list(found.values())


def _quote_keys(code: str) -> str:
    """JavaScript object literals often leave keys unquoted and use single quotes."""
    code = re.sub(r"([{,]\s*)([A-Za-z_][A-Za-z0-9_]*)\s*:", r'\1"\2":', code)
    return re.sub(r"'([^'\\]*)'", r'"\1"', code)


def sitemap_url(doc: HtmlElement, page_url: str) -> str | None:
    for anchor in doc.iter("a"):
        if squash(anchor.text_content()) in ("网站地图", "站点地图") and anchor.get("href"):
            return urljoin(base_url(doc, page_url), anchor.get("href", "").strip())
    return None


def page_type(doc: HtmlElement, url: str, home: str | None = None) -> str:
    """home, list, detail or other."""
    if (home and column_key(url) == column_key(home)) or urlsplit(url).path in _HOME_PATHS:
        return "home"
    found = main_list(doc, url)
    dated = found.dated_count if found else 0
    metadata = detail_metadata(doc)
    has_meta = metadata.meta_title is not None or metadata.meta_published is not None
    if dated >= 3:
        return "list"
    if has_meta or (metadata.published is not None and _has_body_text(doc)):
        return "detail"
    if found is not None and len(found.items) >= 2:
        return "list"
    return "other"


def _has_body_text(doc: HtmlElement) -> bool:
    return sum(len(squash(p.text_content())) for p in doc.iter("p")) >= 60


def _column_link(
    anchor: HtmlElement, base: str, home: str, pictures: bool = False
) -> NavLink | None:
    """The column a link names by its text or title (or, with ``pictures``, by its picture's
    alt: a hub's grid of 专题 banners; a menu's icons are no columns)."""
    name = squash(anchor.text_content()) or squash(anchor.get("title"))
    if not name and pictures:
        name = _picture_name(anchor)
    return _named_link(name, (anchor.get("href") or "").strip(), base, home)


def _picture_name(anchor: HtmlElement) -> str:
    """The name a link that is only a picture gives (a 专题 banner): its alt or title."""
    for image in anchor.iter("img"):
        name = squash(image.get("alt")) or squash(image.get("title"))
        if name:
            return name
    return ""


def _named_link(name: str, href: str, base: str, home: str) -> NavLink | None:
    name = squash(name)
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
        return None
    if not (_NAME_MIN <= len(name) <= _NAME_MAX) or name.lower() in _NOT_COLUMNS:
        return None
    if _PERIOD.fullmatch(name):
        return None  # an archive's month or year ("2026年11月"): the column's items filtered
    url = urljoin(base, href).split("#", 1)[0]
    if not same_site(url, home) or _DETAIL_URL.search(url):
        return None
    dated = url_date(url)
    if dated is not None and dated.day is not None:
        return None
    return NavLink(name, url)


def _in_navigation(anchor: HtmlElement) -> bool:
    """Inside a navigation region, and not inside a hot/ranking/links box within it."""
    node: HtmlElement | None = anchor.getparent()
    while node is not None and tag_of(node) not in ("body", "html"):
        words = {
            w.lower() for w in _WORD.findall(f"{node.get('class') or ''} {node.get('id') or ''}")
        }
        if words & _NOT_NAV_WORDS:
            return False
        if tag_of(node) == "nav" or words & _NAV_WORDS:
            return True
        node = node.getparent()
    return False
