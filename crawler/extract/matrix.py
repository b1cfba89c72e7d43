"""Read a site's 政务新媒体 matrix page (accounts listed by platform, often as QR-code images with
captions) into suggested accounts an operator completes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from crawler.extract.html import HtmlElement, base_url, squash, tag_of

# Longer names first: "微信公众号" before "微信", "今日头条" before "头条".
PLATFORM_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("wechat", ("微信公众号", "微信公众平台", "公众号", "政务微信", "微信", "wechat")),
    ("weibo", ("新浪微博", "政务微博", "微博", "weibo")),
    ("douyin", ("抖音号", "政务抖音", "抖音", "douyin")),
    ("toutiao", ("今日头条号", "今日头条", "头条号", "头条", "toutiao")),
    ("kuaishou", ("快手号", "快手")),
    ("bilibili", ("哔哩哔哩", "bilibili", "b站")),
    ("miniprogram", ("微信小程序", "小程序")),
    ("app", ("移动客户端", "客户端", "app")),
    # platforms the config has no name for
    ("other", ("视频号", "百家号", "小红书", "人民号", "澎湃号", "学习强国", "网易号", "企鹅号")),
)
# Where a link to an account goes: its platform by its host.
PLATFORM_HOSTS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("wechat", ("mp.weixin.qq.com", "weixin.qq.com")),
    ("weibo", ("weibo.com", "weibo.cn")),
    ("douyin", ("douyin.com", "iesdouyin.com")),
    ("toutiao", ("toutiao.com",)),
    ("kuaishou", ("kuaishou.com",)),
    ("bilibili", ("bilibili.com",)),
)
_CAPTION_MAX = 40
_STRIP = re.compile(r"[：:（）()\[\]【】「」“”\"'·•\-—|/\s]+")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "dt", "th"})
_CAPTIONS = frozenset({"li", "figcaption", "p", "td", "span", "a", "dd", "div", "em", "strong"})
_BLOCKS = frozenset({"li", "p", "td", "div", "ul", "ol", "table", "dl", "figure"})
# What a heading says besides a platform ("政务微信", "新媒体矩阵"): no account's name.
_HEADING_WORDS = re.compile(
    r"^(?:政务|官方|新媒体|矩阵|账号|平台|移动|二维码|扫码关注|列表|名录)*$"
)
_NOISE = ("二维码", "扫码关注", "扫一扫", "官方账号", "账号名称", "政务新媒体")
# Furniture around the list: its footer's 主办单位, its menus' 网站地图.
_FURNITURE = re.compile(r"foot|copyright|banquan|bottom|header|menu|nav", re.I)
_COLON = re.compile(r"[：:]")
_NAME_LABEL = re.compile(r"名称|名字|账号")
_PLATFORM_LABEL = re.compile(r"平台|类型|类别|渠道")


@dataclass(frozen=True)
class SuggestedAccount:
    name: str
    platform: str
    url: str | None  # a link the page gives for the account, if any
    evidence: str  # the text it was read from


# Which platform a word names, the words checked in this order: mini-programs and 视频号 name
# 微信 too, and are not 公众号s.
_ORDER = {"miniprogram": 0, "other": 1}
_WORDS = sorted(PLATFORM_WORDS, key=lambda p: _ORDER.get(p[0], 2))


def kind_of(text: str) -> str | None:
    """The platform a text names anywhere in it: its id, or "other:视频号" for one the config
    has no name for (each such platform its own kind)."""
    lowered = text.lower()
    for platform, words in _WORDS:
        for word in words:
            if word in lowered:
                return f"other:{word}" if platform == "other" else platform
    return None


def platform_of(text: str) -> str | None:
    """The config's platform a text names anywhere in it."""
    kind = kind_of(text)
    return kind.split(":", 1)[0] if kind else None


def platform_of_url(url: str | None) -> str | None:
    host = (urlsplit(url).hostname or "").lower() if url else ""
    for platform, hosts in PLATFORM_HOSTS:
        if any(host == h or host.endswith("." + h) for h in hosts):
            return platform
    return None


def _kinds(label: str) -> list[str]:
    """The platforms a label names, one or several ("微信/微博", "抖音、快手")."""
    found = [kind_of(part) for part in re.split(r"[/／、，,和及]", label)]
    return list(dict.fromkeys(kind for kind in found if kind))


def split_caption(caption: str) -> tuple[list[str], str]:
    """A caption's platforms, when it names them apart from the name ("微信公众号：龙南发布",
    "龙南头条（今日头条号）", "龙南文旅（抖音、快手）", "龙南发布微信公众号二维码"), and the
    name; ([], the caption) when its platform words are part of the name ("龙南头条")."""
    text = caption
    for noise in _NOISE:
        text = text.replace(noise, " ")
    text = squash(text)
    if any(text.lower() == word for _, words in PLATFORM_WORDS for word in words):
        return _kinds(text), ""  # a platform's name alone: a heading, an icon
    label, colon, rest = (
        re.split(r"([：:])", text, maxsplit=1) if _COLON.search(text) else (text, "", "")
    )
    if colon:
        kinds = _kinds(label)
        return (kinds, _first_word(rest)) if kinds else ([], "")  # 主办单位：… is no name
    bracket = re.search(r"[（(【\[]([^）)】\]]*)[）)】\]]", text)
    if bracket and _kinds(bracket.group(1)):
        return _kinds(bracket.group(1)), _first_word(text[: bracket.start()])
    lowered = text.lower()
    for platform, words in _WORDS:
        for word in words:
            kind = f"other:{word}" if platform == "other" else platform
            # a long platform word, or one set apart, at either end: not part of the name
            apart = len(word) >= 3
            if lowered.startswith(word) and (apart or text[len(word) : len(word) + 1] == " "):
                return [kind], _first_word(text[len(word) :])
            if lowered.endswith(word) and (apart or text[-len(word) - 1 : -len(word)] == " "):
                return [kind], _first_word(text[: -len(word)])
    return [], _first_word(text)


def _first_word(text: str) -> str:
    return _STRIP.sub(" ", text).strip().split(" ")[0] if text.strip() else ""


def suggest_accounts(doc: HtmlElement, page_url: str) -> list[SuggestedAccount]:
    """Accounts named on the page, each with its platform (from a table's 平台 column, its
    link's host, its caption, its card's platform label or icon, its tab, or its section's
    heading), in page order, without duplicates."""
    base = base_url(doc, page_url)
    found: dict[tuple[str, str], SuggestedAccount] = {}

    def add(name: str, kind: str | None, href: str | None, evidence: str) -> None:
        if not name or kind is None or _HEADING_WORDS.match(name):
            return
        url = urljoin(base, href) if href and not href.startswith(("#", "javascript:")) else None
        platform = kind.split(":", 1)[0]
        found.setdefault((kind, name), SuggestedAccount(name, platform, url, evidence))

    done: set[HtmlElement] = set()
    for table in doc.iter("table"):
        for name, kind, href, evidence in _table_accounts(table):
            add(name, kind, href, evidence)
            done.add(table)
    tabs = _tab_panes(doc)
    heading: str | None = None
    for element in doc.iter():
        if not isinstance(element.tag, str) or _inside(element, done) or _in_furniture(element):
            continue
        tag = tag_of(element)
        if element in tabs:
            heading = tabs[element]  # a tab's pane: the tab names its platform
            continue
        if tag == "a" and (host_platform := platform_of_url(element.get("href"))):
            shown = squash(element.text_content()) or _image_text(element)
            add(split_caption(shown)[1] if shown else "", host_platform, element.get("href"), shown)
            continue
        text = _caption(element)
        if text is None or any(platform_of_url(a.get("href")) for a in element.iter("a")):
            continue  # nothing to read, or a card whose link to the account is read instead
        kinds, name = split_caption(text)
        if not name or _HEADING_WORDS.match(name):
            # names no account: a section's heading (政务微信, 头条号), a field (主办单位：…);
            # a card's platform label or icon (<img alt="微博">) heads nothing after it
            if _is_heading(element) or (kinds and tag != "img" and not _in_card(element)):
                heading = kinds[0] if kinds else None
            continue
        if not kinds and _is_heading(element):
            heading = None  # a heading of something else (友情链接, 政府网站)
            continue
        fallback = heading or kind_of(text)
        kinds = kinds or _card_kinds(element) or ([fallback] if fallback else [])
        for kind in kinds:
            add(name, kind, _link_of(element), text)
    return list(found.values())


def _is_heading(element: HtmlElement) -> bool:
    """A heading tag, or a block styled as one (class "box-tit", "title", "hd")."""
    if tag_of(element) in _HEADINGS:
        return True
    return tag_of(element) in ("div", "p", "span") and bool(
        _TITLE_CLASS.search(element.get("class") or "")
    )


_TITLE_CLASS = re.compile(r"(?:^|[\s_-])(?:tit|title|hd|head|heading)(?:$|[\s_-])", re.I)
_CARDS = frozenset({"li", "div", "figure", "td", "dd", "a"})


def _in_card(element: HtmlElement) -> bool:
    """Whether the element sits in a card with text besides its own (a slide's "龙南发布" and
    its "微信公众号" label)."""
    card = element.getparent()
    if card is None or tag_of(card) not in _CARDS:
        return False
    return squash(card.text_content()) != squash(element.text_content())


def _card_kinds(element: HtmlElement) -> list[str]:
    """The platform a caption's card says apart from it: an icon (<img alt="微信">) or a label
    ("微信公众号") that is a platform's name alone."""
    card = element.getparent()
    if card is None or tag_of(card) not in _CARDS:
        return []
    for node in card.iter():
        if node is element or not isinstance(node.tag, str):
            continue
        label = squash(node.get("alt") or "") if tag_of(node) == "img" else ""
        if not label and len(node) == 0:
            label = squash(node.text_content())
        if label and len(label) <= 8:
            kinds, name = split_caption(label)
            if kinds and not name:
                return kinds
    return []


def _tab_panes(doc: HtmlElement) -> dict[HtmlElement, str]:
    """Tabs of platforms (微信 | 微博 | 抖音) and the panes they show, in order: each pane's
    platform. Panes are the children of the block after the tabs' list, one per tab."""
    panes: dict[HtmlElement, str] = {}
    for tab_list in doc.iter("ul", "ol", "div"):
        items = [child for child in tab_list if isinstance(child.tag, str)]
        kinds = [split_caption(squash(item.text_content())) for item in items]
        if len(items) < 2 or not all(k and not name for k, name in kinds):
            continue
        block = tab_list.getnext()
        while block is not None and not isinstance(block.tag, str):
            block = block.getnext()
        children = [c for c in block if isinstance(c.tag, str)] if block is not None else []
        if len(children) == len(items):
            for pane, (pane_kinds, _) in zip(children, kinds, strict=True):
                panes[pane] = pane_kinds[0]
    return panes


def _table_accounts(table: HtmlElement) -> list[tuple[str, str | None, str | None, str]]:
    """Rows of a 名录 table with a name column and a platform column (序号 | 账号名称 | 平台类型
    | 主办单位, or 账号类型 | 账号名称): each row's name, platform and link; a cell that spans
    rows counts for each."""
    rows = _spanned_rows(table)
    for number, cells in enumerate(rows):
        labels = [squash(c.text_content()) for c in cells]
        kind_at = next((n for n, label in enumerate(labels) if _PLATFORM_LABEL.search(label)), None)
        name_at = next(
            (n for n, label in enumerate(labels) if _NAME_LABEL.search(label) and n != kind_at),
            None,
        )
        if name_at is None or kind_at is None:
            continue
        accounts = []
        for row in rows[number + 1 :]:
            if len(row) != len(cells):
                continue
            name = _first_word(squash(row[name_at].text_content()))
            kind = squash(row[kind_at].text_content())
            link = next(iter(row[name_at].iter("a")), None)
            href = link.get("href") if link is not None else None
            found = kind_of(kind) or platform_of_url(href) or ("other" if kind else None)
            accounts.append((name, found, href, f"{labels[name_at]}：{name} {kind}"))
        return accounts
    return []


def _spanned_rows(table: HtmlElement) -> list[list[HtmlElement]]:
    """The table's rows of cells, a cell with ``rowspan`` repeated in the rows it spans."""
    rows: list[list[HtmlElement]] = []
    carried: dict[int, tuple[HtmlElement, int]] = {}  # column → (cell, rows still to fill)
    for tr in table.iter("tr"):
        cells = [c for c in tr if tag_of(c) in ("th", "td")]
        row: list[HtmlElement] = []
        column = 0
        while cells or column in carried:
            if column in carried:
                cell, left = carried[column]
                row.append(cell)
                if left > 1:
                    carried[column] = (cell, left - 1)
                else:
                    del carried[column]
            else:
                cell = cells.pop(0)
                row.append(cell)
                span = int(cell.get("rowspan") or 1) if (cell.get("rowspan") or "").isdigit() else 1
                if span > 1:
                    carried[column] = (cell, span - 1)
            column += 1
        rows.append(row)
    return rows


def _inside(element: HtmlElement, containers: set[HtmlElement]) -> bool:
    return bool(containers) and any(a in containers for a in element.iterancestors())


def _in_furniture(element: HtmlElement) -> bool:
    for node in (element, *element.iterancestors()):
        if tag_of(node) in ("footer", "nav", "header"):
            return True
        if _FURNITURE.search(f"{node.get('class') or ''} {node.get('id') or ''}"):
            return True
    return False


def _image_text(element: HtmlElement) -> str:
    image = next(iter(element.iter("img")), None)
    return squash(image.get("alt") or image.get("title")) if image is not None else ""


def _link_of(element: HtmlElement) -> str | None:
    """The account's link: in the caption itself, else the one link of its card."""
    if tag_of(element) == "a":
        return element.get("href")
    inner = next(iter(element.iter("a")), None)
    if inner is not None:
        return inner.get("href")
    card = element.getparent()
    if card is not None and tag_of(card) in ("li", "figure", "td", "div"):
        links = list(card.iter("a"))
        if len(links) == 1:
            return links[0].get("href")
    return None


def _caption(element: HtmlElement) -> str | None:
    """The short text that names one account (or heads a section): an image's alt, or a small
    block's own text."""
    tag = tag_of(element)
    if tag == "img":
        text = squash(element.get("alt") or element.get("title"))
        return text if 0 < len(text) <= _CAPTION_MAX and not _is_generic(text) else None
    if tag in _CAPTIONS or tag in _HEADINGS:
        if any(tag_of(child) in _BLOCKS for child in element):
            return None
        text = squash(element.text_content())
        return text if 0 < len(text) <= _CAPTION_MAX else None
    return None


def _is_generic(text: str) -> bool:
    return text in ("二维码", "扫码关注", "logo", "图片") or text.endswith((".jpg", ".png"))
