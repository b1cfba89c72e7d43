"""Pages that answer 200 but are not what was asked for: "页面不存在" soft-404s and firewall
(WAF) challenge or block pages."""

from __future__ import annotations

import re
from dataclasses import dataclass

from crawler.extract.detail import has_dateline, publication_date
from crawler.extract.html import HtmlElement, squash
from crawler.extract.lists import is_furniture

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
    "已经被删除",
    "已被删除",
    "找不到文件或目录",
    "内容已删除",
    "信息已删除",
    "文件不存在",
    "页面走丢",
    # withdrawn or expired: never a document's own 效力 "已失效" (a 规范性文件's status)
    "信息已过期",
    "页面已过期",
    "信息已撤销",
    "已撤销或已过期",
    "已撤稿",
    "页面已失效",
    "链接已失效",
    "信息已失效",
)
# A title, or a part of one ("404页面-某某市人民政府"), that is an error code: "404", "404页面",
# "404 - 找不到文件或目录。", "HTTP Status 404 – Not Found", "错误404"; not a title that mentions
# one ("关于开展网站404错误页面排查整改的通知").
_ERROR_TITLE = re.compile(
    r"\W*(?:http\s*(?:status|error)\s*|error\s*|错误\s*)?404(?:\.\d+)?"
    r"(?:\s*(?:not\s*found|error|错误|页面))?\W*$",
    re.I,
)
_TITLE_PARTS = re.compile(r"\s*[_|｜\-–—]\s*")
# A page's own message is short; an article's sentence that says the same runs on.
MESSAGE_CHARS = 60
# A message that says a page is missing ends there, or goes on to say more of the same
# ("页面不存在或已被删除", "…不存在了", "…不存在，请返回首页"). Followed by other words it is
# part of something else: a condition in a guide ("所申请公开信息不存在的，告知申请人"), a topic
# ("页面不存在问题的整改情况").
_IDEOGRAPH = re.compile(r"[\u3400-\u9fff]")
_MAY_FOLLOW = frozenset("或了啦呢哦啊呀咯请提")
# A document's title ("关于…"): never a message.
_NOT_A_MESSAGE = re.compile(r"\s*关于")
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
    "请求已被阻断",
    "设置拦截",
    "安全策略拦截",
    "疑似黑客攻击",
    "网站卫士",
    "创宇盾",
    "知道创宇",
    "加速乐",
    "云防御",
    "对网站造成安全威胁",  # 360/奇安信: 您的访问请求可能对网站造成安全威胁
)
# What a script-only challenge page runs (加速乐, 瑞数, 阿里云, 360/网站卫士, Cloudflare): a
# browser passes it and gets the page; the crawler gets only this.
CHALLENGE_SCRIPTS = (
    "__jsl_clearance",
    "$_ts",
    "acw_sc__v2",
    "wzwschallenge",
    "wzwsconfirm",
    "cdn-cgi/challenge",
    "challenge-platform",
    "yunsuo_session_verify",  # 云锁: a cookie, then the page again with security_verify_data
    "security_verify_",
)
CHALLENGE_TEXT = 200  # characters of text: a challenge page shows next to nothing
BLANK_TEXT = 20  # a page that only runs a script ("alert(…); history.back()")
# A script-only challenge that sets a cookie and loads the page again with it.
_RELOAD = re.compile(
    r"location\.reload|location(?:\.href)?\s*=\s*(?:window\.|document\.)?location"
    r"|location\.replace\(\s*(?:window\.|document\.)?location"
)
# Words without which a page cannot be judged blocked or missing below (lower case).
_BLOCK_HINTS = (*(m.lower() for m in BLOCK_MARKERS), *CHALLENGE_SCRIPTS, "document.cookie")
_MISSING_HINTS = (*SOFT_404_PHRASES, "404")
# Characters of text two answers may differ by and still be the same page (looks_alike).
SAME_WORDS_SLACK = 10
SHORT_PAGE = 1500  # characters of text: longer pages are articles, whatever they mention
HEADLINE_CHARS = 300


@dataclass(frozen=True)
class Fingerprint:
    """What the site answers for a URL that surely does not exist."""

    status: int
    title: str
    size: int
    words: frozenset[str] = frozenset()  # its pieces of text, URLs and numbers blanked


def fingerprint(status: int, doc: HtmlElement | None) -> Fingerprint:
    return Fingerprint(status, _title(doc), len(_text(doc)), _words(doc))


def looks_alike(a: Fingerprint, b: Fingerprint) -> bool:
    """The same page: the same title, about the same length of text, and the same words but for
    what the page repeats of the URL asked (a path, numbers). A site whose every page has one
    title and one frame has short pages of its own as long as its "页面不存在" page."""
    if not a.title or a.title.lower() != b.title.lower():
        return False
    if abs(a.size - b.size) > max(50, a.size // 20):
        return False
    slack = max(SAME_WORDS_SLACK, max(a.size, b.size) // 20)
    return _chars(a.words - b.words) <= slack and _chars(b.words - a.words) <= slack


# Why a page that answered is taken for something else: the reading ``soft_reading`` names,
# with what the page showed (its title, its message, a script's words) after a colon. Stored
# as the check's ``error_detail``; the report words it for the operator (reports.explain).
BLOCK_PAGE = "a firewall's block or challenge page"
TITLE_SAYS = "its title says the page is missing"
MESSAGE_SAYS = "it says the page is missing"
SCRIPT_SAYS = "its script says the page is missing"
LIKE_MISSING = "the same page as the site's answer to a URL that does not exist"
SHOWN_CHARS = 80  # characters of what the page showed, kept as the reading's evidence


def soft_verdict(doc: HtmlElement | None, missing: Fingerprint | None = None) -> str | None:
    """``blocked``, ``soft_404`` or None for a page that answered 200."""
    reading = soft_reading(doc, missing)
    return reading[0] if reading else None


def soft_reading(
    doc: HtmlElement | None, missing: Fingerprint | None = None
) -> tuple[str, str] | None:
    """``blocked`` or ``soft_404`` for a page that answered 200, and why: one of the reasons
    above, with the words of the page that gave it away; None for a page that is what it
    says it is."""
    if doc is None:
        return None
    # Every word of the page, its title and scripts included: most pages have none of the words
    # the closer reading below looks for, and are done with after this one pass.
    everything = squash(doc.text_content()).lower()
    # ...and the scripts' addresses (a challenge that is only <script src=…/challenge.js>)
    everything += " " + " ".join(s.get("src") or "" for s in doc.iter("script")).lower()
    if any(hint in everything for hint in _BLOCK_HINTS) and (blocked := block_reading(doc)):
        return blocked
    title, text = _title(doc).lower(), _text(doc)
    # What the page says of itself: its title, headings and first words as short messages,
    # never the titles of links it lists ("政府信息不存在告知书" is a document type), a sentence of
    # an article that mentions a missing page, nor an article (it has its publication date).
    if (
        len(text) < SHORT_PAGE
        and any(hint in everything for hint in _MISSING_HINTS)
        and not _names_a_document(title)
        and not _is_article(doc)
    ):
        if _title_says_missing(title):
            return "soft_404", _shown(TITLE_SAYS, _title(doc))
        if not _titled(doc, title):
            said = next((m for m in _messages(doc) if _says_missing(m)), None)
            if said is not None:
                return "soft_404", _shown(MESSAGE_SAYS, said)
        blank = len(_visible_text(doc)) < BLANK_TEXT and doc.find(".//a[@href]") is None
        script_said = _script_says(doc) if blank else None
        if script_said is not None:
            # alert('该信息不存在或已删除'); history.back()
            return "soft_404", _shown(SCRIPT_SAYS, script_said)
    if missing is not None and missing.status < 300 and looks_alike(missing, fingerprint(200, doc)):
        return "soft_404", LIKE_MISSING
    return None


def block_reading(doc: HtmlElement) -> tuple[str, str] | None:
    """``blocked`` and why for a firewall's block or challenge page (whatever its status)."""
    if not is_block_page(doc):
        return None
    return "blocked", _shown(BLOCK_PAGE, _title(doc) or _headline(doc))


def _shown(reason: str, words: str) -> str:
    """A reason and the page's words that gave it (crawled text: the report escapes it)."""
    words = squash(words)
    if len(words) > SHOWN_CHARS:
        words = words[: SHOWN_CHARS - 1] + "…"
    return f"{reason}: {words}" if words else reason


def is_block_page(doc: HtmlElement) -> bool:
    """A firewall's block or challenge page (whatever status it came with): a short page that
    says so in its title, headings or first words, or a near-empty one that runs a challenge
    script."""
    text = _text(doc)
    if len(text) >= SHORT_PAGE:
        return False
    head = f"{_title(doc).lower()} {_headline(doc).lower()}"
    if any(marker in head for marker in BLOCK_MARKERS):
        return True
    if len(_visible_text(doc)) < CHALLENGE_TEXT:
        code = " ".join(
            f"{script.get('src') or ''} {script.text or ''}" for script in doc.iter("script")
        )
        if any(marker in code for marker in CHALLENGE_SCRIPTS):
            return True
        return "document.cookie" in code and _RELOAD.search(code) is not None
    return False


def _is_article(doc: HtmlElement) -> bool:
    """An article page: it says when it was published (PubDate meta, a 发布日期 label, or a
    来源 … 日期 line)."""
    try:
        return publication_date(doc) is not None or has_dateline(doc)
    except (ValueError, LookupError, TypeError):
        return False


def _title_says_missing(title: str) -> bool:
    """A title that is the error, whole or as one of its parts ("页面不存在_某某市人民政府")."""
    return any(
        _ERROR_TITLE.match(part) or _says_missing(part)
        for part in _TITLE_PARTS.split(title)
        if part
    )


def _says_missing(message: str) -> bool:
    lowered = message.lower()
    if len(lowered) > MESSAGE_CHARS or _NOT_A_MESSAGE.match(lowered):
        return False
    return any(_stated(lowered, phrase) for phrase in SOFT_404_PHRASES)


def _stated(message: str, phrase: str) -> bool:
    """``phrase`` in ``message`` as what it says, not as part of other words (_MAY_FOLLOW), nor
    as what someone reports or asks about ("点击链接提示页面不存在，怎么办？", a 信箱 letter:
    a question, or words of reporting before it, _REPORTED)."""
    if message.rstrip().endswith(("?", "？")):
        return False
    start = message.find(phrase)
    while start >= 0:
        after = message[start + len(phrase) : start + len(phrase) + 1]
        followed = not after or after in _MAY_FOLLOW or not _IDEOGRAPH.match(after)
        if followed and _prefix_says(message[:start]):
            return True
        start = message.find(phrase, start + 1)
    return False


# The labels of a letter's or a form's fields ("留言标题：网站页面不存在"): what follows one is
# what someone wrote, not the page's message.
_FIELD_LABELS = "标题|题目|主题|事由|问题|留言|信件|内容|诉求|回复|答复"
# Words before "页面不存在" that make it what someone reports or asks about, not the page's
# own message: "点击链接提示页面不存在", "打开时显示页面不存在", "为什么页面不存在", a notice
# that "经核查，原链接页面不存在", a field's label.
_REPORTED = re.compile(
    r"点击|显示|出现|打开|反映|反馈|咨询|为什么|为何|怎么|如何|来信|提问|问[:：]"
    rf"|核查|检查|发现|整改|排查|(?:{_FIELD_LABELS})\s*[:：]"
)
# A field's label on its own (a table cell, a span) before the value that says "页面不存在":
# short ("留言标题：", "信件内容"), not a sentence that ends in a colon ("…存在以下问题：").
_FIELD_LABEL = re.compile(rf"[\u4e00-\u9fff]{{0,4}}(?:{_FIELD_LABELS})\s*[:：]?")


def _prefix_says(prefix: str) -> bool:
    return _REPORTED.search(prefix) is None


def _messages(doc: HtmlElement) -> list[str]:
    """The page's headings and the pieces of text it starts with (its first words, outside
    links and scripts), each as written: a message stands alone, a sentence of an article
    runs on."""
    found = [
        squash(h.text_content())
        for tag in ("h1", "h2", "h3")
        for h in doc.iter(tag)
        if not _in(h, ("a",))
    ]
    seen = 0
    body = doc.find("body")
    for node in (body if body is not None else doc).iter():
        if not isinstance(node.tag, str):
            continue
        pieces = []
        if node.text and node.text.strip() and not _aside(node) and not _field_value(node):
            pieces.append(squash(node.text))
        parent = node.getparent()
        label = _FIELD_LABEL.fullmatch(squash(node.text or ""))
        if node.tail and node.tail.strip() and not label and not _aside(parent):
            pieces.append(squash(node.tail))
        found += pieces
        seen += sum(len(piece) for piece in pieces)
        if seen > HEADLINE_CHARS:
            break
    return found


# Text that is no message of the page's: code, links, a drop-down's options (a 部门 selector
# in the header), the site's header, menu and footer (lists.is_furniture).
_NOT_MESSAGES = ("script", "style", "a", "noscript", "title", "head", "select", "option")


def _aside(node: HtmlElement | None) -> bool:
    return node is None or _in(node, _NOT_MESSAGES) or is_furniture(node)


def _field_value(node: HtmlElement) -> bool:
    """A value beside its field's label (a cell after "留言标题："): what someone wrote."""
    before = node.getprevious()
    while before is not None and not isinstance(before.tag, str):
        before = before.getprevious()
    return before is not None and _FIELD_LABEL.fullmatch(squash(before.text_content())) is not None


# A message box's heading, which names no topic (提示信息_某某县人民政府 over 页面不存在).
_NOTICE_HEADINGS = frozenset(
    {"提示信息", "系统提示", "温馨提示", "友情提示", "信息提示", "错误提示", "操作提示", "系统消息"}
)


def _titled(doc: HtmlElement, title: str) -> bool:
    """A page about something: a heading that is its title (an article, a FAQ), not an error
    message in a site's frame, nor the site's name in its header (<div class="header"><h1>
    示例县人民政府</h1>, which every page's title ends with)."""
    for tag in ("h1", "h2"):
        for heading in doc.iter(tag):
            text = squash(heading.text_content()).lower()
            found = len(text) >= 4 and text in title and not _says_missing(text)
            if found and text not in _NOTICE_HEADINGS and not is_furniture(heading):
                return True
    return False


def _script_says(doc: HtmlElement) -> str | None:
    """What the script of a page with nothing to show tells the visitor when it says the page
    is gone, then sends them away (``history.back()``, ``location.href = '/'``); None if no
    script does."""
    for script in doc.iter("script"):
        code = script.text or ""
        if not _AWAY.search(code):
            continue
        for call in _MESSAGE_CALL.finditer(code):
            if any(phrase in call.group(1).lower() for phrase in SOFT_404_PHRASES):
                return call.group(1)[1:]
    return None


_AWAY = re.compile(
    r"history\.(?:back|go)\s*\(|location(?:\.href)?\s*=|location\.replace|window\.close"
)
_MESSAGE_CALL = re.compile(r"(?:alert|document\.write)\s*\(\s*([\"'][^\"']{0,200})")


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


# A URL or path (any run of non-spaces with a slash, backslash, dot or percent in it: Chinese
# file names included), or a number, in a page's text: what an error page repeats of the URL.
_SPACES = re.compile(r"(\s+)")
_PATHLIKE = re.compile(r"[/\\.%]")
_NUMBER = re.compile(r"\d+")


def _blank_varying(text: str) -> str:
    """``text`` with each URL or path and each number as ``#``; word by word, in linear time
    (Chinese runs without spaces for a whole paragraph)."""
    return "".join(
        "#" if _PATHLIKE.search(word) else _NUMBER.sub("#", word) for word in _SPACES.split(text)
    )


def _words(doc: HtmlElement | None) -> frozenset[str]:
    """The page's visible pieces of text, as compared: lower case, URLs and numbers blanked."""
    if doc is None:
        return frozenset()
    body = doc.find("body")
    root = body if body is not None else doc
    pieces = root.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]")
    return frozenset(
        word
        for piece in pieces
        if isinstance(piece, str) and (word := _blank_varying(squash(piece).lower()))
    )


def _chars(words: frozenset[str]) -> int:
    return sum(len(word) for word in words)


def _visible_text(doc: HtmlElement) -> str:
    """The body's text without its scripts and styles."""
    body = doc.find("body")
    root = body if body is not None else doc
    return squash(
        " ".join(
            text
            for text in root.xpath(".//text()[not(ancestor::script) and not(ancestor::style)]")
            if isinstance(text, str)
        )
    )
