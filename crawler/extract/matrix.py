"""Read a site's 政务新媒体 matrix page (accounts listed by platform, often as QR-code images with
captions) into suggested accounts an operator completes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urljoin

from crawler.extract.html import HtmlElement, base_url, squash, tag_of

# Longer names first: "微信公众号" before "微信", "今日头条" before "头条".
PLATFORM_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("wechat", ("微信公众号", "微信公众平台", "公众号", "微信", "wechat")),
    ("weibo", ("新浪微博", "政务微博", "微博", "weibo")),
    ("douyin", ("抖音号", "抖音", "douyin")),
    ("toutiao", ("今日头条", "头条号", "头条")),
    ("kuaishou", ("快手号", "快手")),
    ("bilibili", ("哔哩哔哩", "bilibili", "b站")),
    ("miniprogram", ("微信小程序", "小程序")),
    ("app", ("客户端", "app")),
)
_CAPTION_MAX = 40
_STRIP = re.compile(r"[：:（）()\[\]【】「」“”\"'·•\-—|/\s]+")
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "dt", "th"})


@dataclass(frozen=True)
class SuggestedAccount:
    name: str
    platform: str
    url: str | None  # a link the page gives for the account, if any
    evidence: str  # the text it was read from


def platform_of(text: str) -> str | None:
    lowered = text.lower()
    # Mini-programs mention 微信 too: check them before WeChat.
    for platform, words in sorted(PLATFORM_WORDS, key=lambda p: p[0] != "miniprogram"):
        if any(word in lowered for word in words):
            return platform
    return None


def suggest_accounts(doc: HtmlElement, page_url: str) -> list[SuggestedAccount]:
    """Accounts named on the page, each with its platform (from its caption or its section's
    heading), in page order, without duplicates."""
    base = base_url(doc, page_url)
    found: dict[tuple[str, str], SuggestedAccount] = {}
    heading_platform: str | None = None
    for element in doc.iter():
        tag = tag_of(element)
        if tag in _HEADINGS or "title" in (element.get("class") or ""):
            platform = platform_of(squash(element.text_content()))
            if platform and len(squash(element.text_content())) <= _CAPTION_MAX:
                heading_platform = platform
            continue
        caption = _caption(element)
        if caption is None:
            continue
        platform = platform_of(caption) or heading_platform
        name = _name(caption)
        if platform is None or not name:
            continue
        href = _link_of(element)
        url = urljoin(base, href) if href and not href.startswith(("#", "javascript:")) else None
        found.setdefault((platform, name), SuggestedAccount(name, platform, url, caption))
    return list(found.values())


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
    """The short text that names one account: an image's alt or a small block's own text."""
    tag = tag_of(element)
    if tag == "img":
        text = squash(element.get("alt") or element.get("title"))
        return text if 0 < len(text) <= _CAPTION_MAX and not _is_generic(text) else None
    if tag in ("li", "figcaption", "p", "td", "span", "a", "dd"):
        if any(tag_of(child) in ("li", "p", "td", "div") for child in element):
            return None
        text = squash(element.text_content())
        return text if 0 < len(text) <= _CAPTION_MAX else None
    return None


def _is_generic(text: str) -> bool:
    return text in ("二维码", "扫码关注", "logo", "图片") or text.endswith(".jpg")


def _name(caption: str) -> str:
    name = caption
    for _, words in PLATFORM_WORDS:
        for word in words:
            name = re.sub(re.escape(word), " ", name, flags=re.IGNORECASE)
    for noise in ("二维码", "扫码关注", "扫一扫", "官方", "账号", "名称", "政务新媒体"):
        name = name.replace(noise, " ")
    return _STRIP.sub(" ", name).strip().split(" ")[0] if name.strip() else ""
