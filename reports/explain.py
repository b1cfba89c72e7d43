"""Why a link failed, in the operator's words: a check's ``error_detail`` worded for the report.

The detail is what the crawl recorded (the findings JSON keeps it as it is): an exception's
message for a network failure, or one of the crawl's own readings — why a page that answered
is a soft-404 or a firewall's page (crawler.extract.softpages), why a URL is malformed
(crawler.extract.links.malformed_reason). Each known shape is worded here in Chinese or English;
a detail of no known shape is shown as it is, and one the outcome already says nothing more
than is left out. The words a page showed are crawled text: the templates escape them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from crawler.extract import links, softpages

Wording = dict[str, str]  # lang → text, with {placeholders} filled from the detail's groups

_TIMEOUT = re.compile(r"took longer than ([\d.]+) seconds")
_DNS = re.compile(r"DNS lookup failed: (?:address )?'?([^\s':]+?)'?\.?(?::|$|\s)")
_OPENSSL_REASON = re.compile(r"'([^']+)'\)\]")
_PAGE_READING = re.compile(r"HTTP (\d+) page: (.*)", re.S)
_UNREAD = re.compile(r"(?:([\d.]+) MB, )?more than the ([\d.]+) MB")
_ANCHOR = re.compile(r"no place named #(.*)", re.S)

# A page that answered and is not what was linked: why (softpages' readings), with the
# words the page showed after a colon.
_READINGS: dict[str, Wording] = {
    softpages.TITLE_SAYS: {"zh": "页面标题为“{words}”", "en": "its title reads “{words}”"},
    softpages.MESSAGE_SAYS: {"zh": "页面提示“{words}”", "en": "the page says “{words}”"},
    softpages.SCRIPT_SAYS: {
        "zh": "页面脚本弹出“{words}”后跳走",
        "en": "its script shows “{words}” and leaves",
    },
    softpages.LIKE_MISSING: {
        "zh": "与网站对不存在地址的应答完全相同",
        "en": "identical to the site's answer to a URL that does not exist",
    },
    softpages.BLOCK_PAGE: {
        "zh": "防火墙拦截或验证页面：“{words}”",
        "en": "a firewall's block or challenge page: “{words}”",
    },
}
_MALFORMED: dict[str, Wording] = {
    links.ON_THE_EDITORS_COMPUTER: {
        "zh": "指向编辑人员本机上的文件，不是网上的地址",
        "en": "a file on the editor's own computer, not an address on the web",
    },
    links.NO_HOST: {"zh": "地址中没有主机名", "en": "the address has no host name"},
    links.BAD_PORT: {
        "zh": "端口不是 1–65535 之间的数字",
        "en": "the port is not a number from 1 to 65535",
    },
    links.BAD_HOST: {
        "zh": "主机名中含有不允许的字符（如空格）",
        "en": "the host name has characters a host name cannot have (a space…)",
    },
    links.BAD_ADDRESS: {
        "zh": "方括号中不是有效的 IPv6 地址",
        "en": "the address in brackets is not an IPv6 address",
    },
}
# Fixed sentences of the crawl's (crawler.spiders.site) and what they say to an operator.
_SENTENCES: tuple[tuple[str, Wording], ...] = (
    (
        "HTTP 429 Too Many Requests",
        {"zh": "服务器限流：请求过于频繁", "en": "the server limits requests: too many, too fast"},
    ),
    (
        "refused requests for coming too fast",
        {
            "zh": "服务器因请求过快拒绝了请求，不等于页面不存在",
            "en": "the server refused requests for coming too fast: not a missing page",
        },
    ),
    (
        "web page with nothing in it",
        {"zh": "空白页面：访问者看到的是一片空白", "en": "a blank page: a visitor sees nothing"},
    ),
    (
        "where the site sends missing URLs",
        {
            "zh": "被跳转至首页，该网站对不存在的地址都如此处理",
            "en": "sent to the homepage, as the site sends every URL that does not exist",
        },
    ),
    (
        "the site's answer to any missing URL",
        {
            "zh": "返回的是首页内容，该网站对不存在的地址都如此应答",
            "en": "answered with the homepage, as the site answers every URL that does not exist",
        },
    ),
    (
        "the site's page for missing URLs",
        {
            "zh": "被跳转至该网站的“页面不存在”页面",
            "en": "sent to the site's page for URLs that do not exist",
        },
    ),
    (
        "redirected to the homepage",
        {
            "zh": "被跳转至首页，而非链接指向的内容",
            "en": "sent to the homepage instead of what was linked",
        },
    ),
    (
        "web page where a picture was linked",
        {"zh": "图片链接返回的是网页，不显示图片", "en": "a web page where a picture was linked"},
    ),
)


def explain(error: str | None, detail: str | None, lang: str) -> str:
    """What to tell the operator about a failed check beyond its outcome's label ("" if
    nothing): ``error`` is the check's error class, ``detail`` its ``error_detail``."""
    if not detail:
        return ""
    worder = _BY_ERROR.get(error or "")
    if worder is not None:
        worded = worder(detail, lang)
        if worded is not None:
            return worded
    for sentence, wording in _SENTENCES:
        if sentence in detail:
            return wording[lang]
    reading = _PAGE_READING.fullmatch(detail)
    if reading is not None:
        return _reading(reading.group(2), lang) or detail
    return "" if error in _SAID_BY_LABEL else detail


def _reading(text: str, lang: str) -> str | None:
    for reason, wording in _READINGS.items():
        if text == reason or text.startswith(reason + ": "):
            words = text[len(reason) + 2 :]
            if not words:  # nothing to quote (a challenge page that only runs a script)
                return re.sub(r"[：:]? ?“\{words\}”", "", wording[lang]).format(words="")
            return wording[lang].format(words=words)
    return None


def _timeout(detail: str, lang: str) -> str | None:
    found = _TIMEOUT.search(detail)
    if found is None:
        return None
    seconds = f"{float(found.group(1)):g}"
    return f"{seconds} 秒内没有应答" if lang == "zh" else f"no answer within {seconds} s"


def _dns(detail: str, lang: str) -> str | None:
    found = _DNS.search(detail)
    if found is None:
        return None
    name = found.group(1)
    if detail.startswith("NoSuchHost"):  # the resolver said so (crawler.dns)
        if lang == "zh":
            return f"域名 {name} 不存在：无此域名，或未配置解析"
        return f"the name {name} does not exist: no such domain, or no DNS record for it"
    # no answer from the resolver, or not a clear one: the name may well exist
    return f"域名 {name} 解析失败" if lang == "zh" else f"the lookup of {name} failed"


def _refused(detail: str, lang: str) -> str:
    if lang == "zh":
        return "服务器拒绝连接：该端口上没有运行网站服务"
    return "the server refused the connection: no web service runs on that port"


def _lost(detail: str, lang: str) -> str:
    if lang == "zh":
        return "服务器未作应答即断开了连接"
    return "the server closed the connection without answering"


def _tls(detail: str, lang: str) -> str:
    reasons = _OPENSSL_REASON.findall(detail)
    reason = reasons[-1] if reasons else ""
    if "wrong version number" in reason:
        if lang == "zh":
            return "HTTPS 握手失败（wrong version number）：该端口可能只提供 HTTP"
        return "the HTTPS handshake failed (wrong version number): the port may speak HTTP only"
    shown = f"（{reason}）" if lang == "zh" and reason else f" ({reason})" if reason else ""
    return f"HTTPS 握手失败{shown}" if lang == "zh" else f"the HTTPS handshake failed{shown}"


def _malformed(detail: str, lang: str) -> str | None:
    for reason, wording in _MALFORMED.items():
        if detail.startswith(reason + ":"):
            return wording[lang]
    return None


def _unread(detail: str, lang: str) -> str | None:
    found = _UNREAD.search(detail)
    if found is None:
        return ""  # the label says it all
    size, limit = (f"{round(float(n), 2):g}" if n else "" for n in found.groups())
    # (the size as far as the crawl read it: a streamed page's is at least that)
    if lang == "zh":
        return (
            f"页面至少 {size} MB，超过读取上限 {limit} MB"
            if size
            else f"页面超过读取上限 {limit} MB"
        )
    if size:
        return f"the page is {size} MB at least, over the {limit} MB a page is read up to"
    return f"the page is over the {limit} MB a page is read up to"


def _anchor(detail: str, lang: str) -> str | None:
    found = _ANCHOR.search(detail)
    if found is None:
        return None
    return f"页面中没有 #{found.group(1)}" if lang == "zh" else f"no #{found.group(1)} on the page"


_BY_ERROR: dict[str, Callable[[str, str], str | None]] = {
    "timeout": _timeout,
    "dns": _dns,
    "connection_refused": _refused,
    "connection_lost": _lost,
    "tls": _tls,
    "malformed_url": _malformed,
    "unread_page": _unread,
    "missing_anchor": _anchor,
}
# Errors whose label says all a detail of no known shape would (the redirect chain is shown
# beside them).
_SAID_BY_LABEL = frozenset({"redirect_loop", "too_many_redirects"})
