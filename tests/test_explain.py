"""Why a link failed: the crawl's readings (soft-404 and firewall pages, malformed URLs) and
the report's wording of them (reports.explain)."""

from __future__ import annotations

import pytest

from crawler.extract.html import parse_html
from crawler.extract.links import malformed_reason
from crawler.extract.softpages import fingerprint, soft_reading
from crawler.spiders.site import _malformed_error, _unread_error, request_key
from reports.explain import explain


def _page(title: str, body: str) -> str:
    return f"<html><head><title>{title}</title></head><body>{body}</body></html>"


@pytest.mark.parametrize(
    ("html", "verdict", "zh"),
    [
        (
            _page("页面不存在_示例县人民政府", "<p><a href='/'>返回首页</a></p>"),
            "soft_404",
            "页面标题为“页面不存在_示例县人民政府”",
        ),
        (
            _page("", "<div class='main'><p>对不起，您访问的页面不存在！</p></div>"),
            "soft_404",
            "页面提示“对不起，您访问的页面不存在！”",
        ),
        (
            "<html><body><script>alert('该信息不存在或已删除！');history.back();</script>",
            "soft_404",
            "页面脚本弹出“该信息不存在或已删除！”后跳走",
        ),
        (
            _page("网站防火墙", "<p>您的请求带有不合法参数，已被网站管理员设置拦截！</p>"),
            "blocked",
            "防火墙拦截或验证页面：“网站防火墙”",
        ),
        (  # a challenge that only runs a script: nothing to quote
            (
                "<html><head><script>$_ts=window['$_ts'];if(!$_ts)$_ts={};</script>"
                "<script src='/abc/x.js' r='m'></script></head><body></body></html>"
            ),
            "blocked",
            "防火墙拦截或验证页面",
        ),
    ],
)
def test_a_page_taken_for_another_says_why_in_its_own_words(
    html: str, verdict: str, zh: str
) -> None:
    reading = soft_reading(parse_html(html))
    assert reading is not None and reading[0] == verdict
    assert explain(verdict, f"HTTP 200 page: {reading[1]}", "zh") == zh


def test_a_long_message_is_cut_and_a_page_like_the_sites_missing_answer_says_so() -> None:
    long_title = "页面不存在_" + "某" * 200
    reading = soft_reading(parse_html(_page(long_title, "")))
    assert reading is not None
    assert reading[1].endswith("…") and len(reading[1]) < 150
    missing = fingerprint(200, parse_html(_page("提示", "<p>抱歉，出错了。编号 123</p>")))
    alike = soft_reading(parse_html(_page("提示", "<p>抱歉，出错了。编号 456</p>")), missing)
    assert alike is not None
    worded = explain("soft_404", f"HTTP 200 page: {alike[1]}", "en")
    assert worded == "identical to the site's answer to a URL that does not exist"


@pytest.mark.parametrize(
    ("url", "zh"),
    [
        ("http://", "地址中没有主机名"),
        ("http:///files/a.pdf", "地址中没有主机名"),
        ("http://www.example gov.cn/a.html", "主机名中含有不允许的字符（如空格）"),
        ("http://www.example.gov.cn:80a/", "端口不是 1–65535 之间的数字"),
        ("http://[::1]:70000/", "端口不是 1–65535 之间的数字"),
        ("http://[fe80::zz]/", "方括号中不是有效的 IPv6 地址"),
        ("file:///C:/Users/admin/Desktop/通知.docx", "指向编辑人员本机上的文件，不是网上的地址"),
        ("C:\\公文\\附件.xls", "指向编辑人员本机上的文件，不是网上的地址"),
    ],
)
def test_a_malformed_url_says_what_is_wrong_with_it(url: str, zh: str) -> None:
    assert request_key(url, "utf-8") is None  # the crawl cannot request it
    error, detail = _malformed_error(url)
    assert detail.startswith(malformed_reason(url))
    assert explain(error, detail, "zh") == zh
    assert explain(error, detail, "en") not in ("", detail)


def test_an_unread_pages_size_and_the_details_no_wording_is_known_for() -> None:
    error, detail = _unread_error(40 * 2**20, 32 * 2**20)
    assert explain(error, detail, "zh") == "页面至少 40 MB，超过读取上限 32 MB"
    error, detail = _unread_error(None, 1_000_000)  # its size not known tonight
    assert explain(error, detail, "en") == "the page is over the 0.95 MB a page is read up to"
    # A detail of no known shape is shown as the crawl recorded it; a loop's is said by its
    # label and its chain; no detail, nothing.
    odd = "ResponseNeverReceived: [<twisted.python.failure.Failure something new>]"
    assert explain("error", odd, "zh") == odd
    assert explain("redirect_loop", "RedirectLoop: redirect loop: a -> b -> a", "zh") == ""
    assert explain(None, None, "zh") == ""
