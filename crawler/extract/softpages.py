"""Pages that answer 200 but are not what was asked for: "页面不存在" soft-404s and firewall
(WAF) challenge or block pages."""

from __future__ import annotations

from dataclasses import dataclass

from crawler.extract.html import HtmlElement, squash

SOFT_404_PHRASES = (
    "页面不存在",
    "页面未找到",
    "找不到页面",
    "页面找不到",
    "您访问的页面不存在",
    "页面已删除",
    "信息不存在",
    "该信息已删除",
    "文章不存在",
    "内容不存在",
    "404 not found",
    "page not found",
    "页面丢失",
    "无法找到该页",
)
BLOCK_MARKERS = (
    "安全狗",
    "云锁",
    "yunsuo",
    "访问被拦截",
    "已被拦截",
    "网站防火墙",
    "web应用防火墙",
    "请开启javascript并刷新",
    "cdn-cgi/challenge",
    "just a moment",
    "访问过于频繁",
    "access denied",
    "您的访问被阻断",
)
SHORT_PAGE = 1500  # characters of text: longer pages are articles, whatever they mention
HEADLINE_CHARS = 200


@dataclass(frozen=True)
class Fingerprint:
    """What the site answers for a URL that surely does not exist."""

    status: int
    title: str
    size: int


def fingerprint(status: int, doc: HtmlElement | None) -> Fingerprint:
    return Fingerprint(status, _title(doc), len(_text(doc)))


def soft_verdict(doc: HtmlElement | None, missing: Fingerprint | None = None) -> str | None:
    """``blocked``, ``soft_404`` or None for a page that answered 200."""
    if doc is None:
        return None
    title, text = _title(doc).lower(), _text(doc)
    # What the page says of itself: its title, headings and first words, never the titles of
    # links it lists ("政府信息不存在告知书" is a document type) nor its scripts.
    head = f"{title} {_headline(doc).lower()}"
    if any(marker in head for marker in BLOCK_MARKERS) and len(text) < SHORT_PAGE:
        return "blocked"
    if (
        len(text) < SHORT_PAGE
        and any(phrase in head for phrase in SOFT_404_PHRASES)
        and not _names_a_document(title)
    ):
        return "soft_404"
    if (
        missing is not None
        and missing.status < 300
        and title
        and title == missing.title.lower()
        and abs(len(text) - missing.size) <= max(50, missing.size // 20)
    ):
        return "soft_404"  # looks exactly like the site's answer to a surely-missing URL
    return None


def _headline(doc: HtmlElement) -> str:
    headings = " ".join(
        squash(h.text_content())
        for tag in ("h1", "h2", "h3")
        for h in doc.iter(tag)
        if not _in(h, ("a",))
    )
    prose: list[str] = []
    body = doc.find("body")
    for node in (body if body is not None else doc).iter():
        if not isinstance(node.tag, str) or _in(node, ("script", "style", "a", "noscript")):
            continue
        if node.text and node.text.strip():
            prose.append(node.text.strip())
        if sum(len(p) for p in prose) > HEADLINE_CHARS:
            break
    return f"{headings} {squash(' '.join(prose))[:HEADLINE_CHARS]}"


def _in(node: HtmlElement, tags: tuple[str, ...]) -> bool:
    current: HtmlElement | None = node
    while current is not None:
        if current.tag in tags:
            return True
        current = current.getparent()
    return False


def _names_a_document(title: str) -> bool:
    return any(word in title for word in ("告知书", "通知书", "决定书"))


def _title(doc: HtmlElement | None) -> str:
    if doc is None:
        return ""
    title = doc.find(".//title")
    return squash(title.text_content()) if title is not None else ""


def _text(doc: HtmlElement | None) -> str:
    if doc is None:
        return ""
    body = doc.find("body")
    return squash((body if body is not None else doc).text_content())
