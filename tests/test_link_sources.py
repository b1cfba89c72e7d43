"""Links as real government pages write them, read the way a browser reads them."""

from __future__ import annotations

from html import escape

import pytest

from crawler.extract.html import browser_url, parse_html
from crawler.extract.links import (
    _resolved,
    extract_links,
    fragment_links,
    head_believed,
    referer_for,
    refresh_url,
    srcset_urls,
)
from crawler.spiders.site import request_key

PAGE = "http://www.x.gov.cn/zwgk/tzgg/index.html"


def _links(body: str, page: str = PAGE) -> set[tuple[str, str, str]]:
    doc = parse_html(f"<html><head></head><body>{body}</body></html>")
    return {(link.url, link.tag, link.attr) for link in extract_links(doc, page).links}


@pytest.mark.parametrize(
    ("href", "expected"),
    [
        # Windows paths typed into a CMS: a browser reads backslashes as slashes.
        ("..\\files\\附件.pdf", "http://www.x.gov.cn/zwgk/files/附件.pdf"),
        ("http:\\\\www.y.gov.cn\\a.html", "http://www.y.gov.cn/a.html"),
        ("a.html?dir=..\\x", "http://www.x.gov.cn/zwgk/tzgg/a.html?dir=..\\x"),  # not the query
        # A server never receives dot segments, in relative or absolute links.
        ("http://www.x.gov.cn/zwgk/../xxgk/a.html", "http://www.x.gov.cn/xxgk/a.html"),
        ("/a/./b/%2e%2e/c.html", "http://www.x.gov.cn/a/c.html"),
        # Extra slashes after the scheme are skipped; "http:x.html" on an http page is relative.
        ("http:///www.y.gov.cn/a.html", "http://www.y.gov.cn/a.html"),
        ("http:a.html", "http://www.x.gov.cn/zwgk/tzgg/a.html"),
        ("//www.y.gov.cn/p.html", "http://www.y.gov.cn/p.html"),
        ("HTTP://WWW.Y.GOV.CN/A.html", "http://WWW.Y.GOV.CN/A.html"),
        # Empty path segments are kept: a server that does not merge slashes has no /a/b.html.
        ("a//b.html", "http://www.x.gov.cn/zwgk/tzgg/a//b.html"),
        ("../a//b.html?x=1#s", "http://www.x.gov.cn/zwgk/a//b.html?x=1#s"),
    ],
)
def test_links_resolve_as_a_browser_resolves_them(href: str, expected: str) -> None:
    assert browser_url(PAGE, href) == expected


def test_white_space_a_browser_keeps_is_part_of_the_url() -> None:
    found = _links(
        "<a href='\n\t /zwgk/a.html \r\n'>换行</a>"
        "<a href='/zwgk/b.html\u3000'>全角空格</a><a href='&nbsp;/zwgk/c.html'>不换行空格</a>"
    )
    urls = {url for url, _, _ in found}
    assert "http://www.x.gov.cn/zwgk/a.html" in urls
    # A full-width or no-break space is requested, encoded: the page's link goes there.
    assert "http://www.x.gov.cn/zwgk/b.html\u3000" in urls
    assert request_key("http://www.x.gov.cn/zwgk/b.html\u3000", "utf-8") == (
        "http://www.x.gov.cn/zwgk/b.html%E3%80%80"
    )
    assert "http://www.x.gov.cn/zwgk/tzgg/\xa0/zwgk/c.html" in urls


@pytest.mark.parametrize(
    "href", ["http://", "https://", "//", "http://a b.gov.cn/", "http://user@/x", "http://[::1/"]
)
def test_a_url_with_no_usable_host_is_malformed(href: str) -> None:
    links = extract_links(parse_html(f"<a href='{href}'>坏链接</a>"), PAGE).links
    assert len(links) == 1
    assert request_key(links[0].url, "utf-8") is None  # reported as malformed_url


def test_a_default_port_written_out_is_the_same_url() -> None:
    assert request_key("http://www.x.gov.cn:80/a.html", "utf-8") == "http://www.x.gov.cn/a.html"
    assert request_key("https://www.x.gov.cn:443/?p=1", "utf-8") == "https://www.x.gov.cn/?p=1"
    assert request_key("http://www.x.gov.cn:8080/a", "utf-8") == "http://www.x.gov.cn:8080/a"
    assert request_key("https://www.x.gov.cn:80/a", "utf-8") == "https://www.x.gov.cn:80/a"


def test_a_user_name_in_a_link_is_the_same_url() -> None:
    """http://user@host/a opens http://host/a: the site is not crawled a second time."""
    assert request_key("http://user@www.x.gov.cn/a.html", "utf-8") == "http://www.x.gov.cn/a.html"
    assert request_key("http://u:p@www.x.gov.cn:80/a", "utf-8") == "http://www.x.gov.cn/a"
    assert request_key("http://u@www.x.gov.cn:8080/a", "utf-8") == "http://www.x.gov.cn:8080/a"


def test_escapes_in_either_case_are_the_same_url() -> None:
    """%e6%9d%90 and %E6%9D%90 are one byte each way (RFC 3986): one file, one finding."""
    upper = request_key("http://www.x.gov.cn/files/材料清单.pdf", "utf-8")
    assert upper == "http://www.x.gov.cn/files/%E6%9D%90%E6%96%99%E6%B8%85%E5%8D%95.pdf"
    lower = "http://www.x.gov.cn/files/%e6%9d%90%e6%96%99%e6%b8%85%e5%8d%95.pdf"
    assert request_key(lower, "utf-8") == upper
    assert request_key("http://www.x.gov.cn/a%2fb?q=%3d&r=x", "utf-8") == (
        "http://www.x.gov.cn/a%2Fb?q=%3D&r=x"
    )


def test_hosts_that_are_fine() -> None:
    assert request_key("http://[::1]:8080/a.html", "utf-8") == "http://[::1]:8080/a.html"
    assert request_key("http://政府.中国/a.html", "utf-8") == "http://xn--mxtq1m.xn--fiqs8s/a.html"


@pytest.mark.parametrize(
    ("srcset", "expected"),
    [
        ("/a.png 1x, /b.png 2x", ["/a.png", "/b.png"]),
        ("/a.png,/b.png 2x", ["/a.png,/b.png"]),  # no white space: one URL (HTML's rule)
        (
            "/p.jpg?x-oss-process=image/resize,w_400 400w, /p.jpg?x-oss-process=image/resize,w_800 800w",
            ["/p.jpg?x-oss-process=image/resize,w_400", "/p.jpg?x-oss-process=image/resize,w_800"],
        ),
        ("/a.png, /b.png", ["/a.png", "/b.png"]),
        (" , ", []),
    ],
)
def test_srcset_commas_inside_urls(srcset: str, expected: list[str]) -> None:
    assert srcset_urls(srcset) == expected


def test_old_template_sources() -> None:
    found = _links(
        "<table background='/images/tbg.jpg'><tr><td background='../images/td.gif'>x</td></tr>"
        "</table><input type='image' src='/images/search.gif'><input type='text' src='/no.gif'>"
        "<object classid='clsid:D27CDB6E-AE6D-11cf-96B8-444553540000'>"
        "<param name='Movie' value='/flash/banner.swf'><param name='quality' value='high'>"
        "</object><style>@import url('/css/print.css'); .b{background:url(/images/b.png)}"
        " .c{background:url(data:image/gif;base64,R0lG)}</style>"
    )
    assert found == {
        ("http://www.x.gov.cn/images/tbg.jpg", "table", "background"),
        ("http://www.x.gov.cn/zwgk/images/td.gif", "td", "background"),
        ("http://www.x.gov.cn/images/search.gif", "input", "src"),
        ("http://www.x.gov.cn/flash/banner.swf", "object", "param"),
        ("http://www.x.gov.cn/css/print.css", "style", "css"),
        ("http://www.x.gov.cn/images/b.png", "style", "css"),
    }


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("0;url=/portal/index.html", "http://www.x.gov.cn/portal/index.html"),
        ("0; URL='http://www.y.gov.cn/'", "http://www.y.gov.cn/"),
        ('3;URL="col/col1/index.html"', "http://www.x.gov.cn/zwgk/tzgg/col/col1/index.html"),
        ("0;/new/", "http://www.x.gov.cn/new/"),
        ("600", None),  # reloads itself every ten minutes
        ("0;url=index.html", None),  # itself
    ],
)
def test_meta_refresh_is_a_link_the_browser_follows(content: str, expected: str | None) -> None:
    doc = parse_html(
        f"<html><head><meta http-equiv='Refresh' content=\"{escape(content)}\"></head></html>"
    )
    assert refresh_url(doc, PAGE) == expected
    links = {link.url for link in extract_links(doc, PAGE).links if link.tag == "meta"}
    assert links == ({expected} if expected else set()) or content == "0;url=index.html"


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<script>window.location.href='/col/col1/index.html';</script>", "/col/col1/index.html"),
        ("<script language='javascript'>location.replace(\"/portal/\")</script>", "/portal/"),
        ("<script>top.location = 'http://www.y.gov.cn/'</script>", "http://www.y.gov.cn/"),
        # A choice, a computed URL, or a page with its own content: not a redirect page.
        ("<script>if(m){location.href='/m/'}else{location.href='/pc/'}</script>", None),
        ("<script>location.href='/a/'+id;</script>", None),
        ("<p>欢迎访问</p><a href='/a.html'>a</a><script>location.href='/m/';</script>", None),
    ],
)
def test_a_blank_page_that_a_script_sends_on(html: str, expected: str | None) -> None:
    doc = parse_html(f"<html><head></head><body>{html}</body></html>")
    target = refresh_url(doc, "http://www.x.gov.cn/")
    assert target == (browser_url("http://www.x.gov.cn/", expected) if expected else None)
    scripted = [link.url for link in extract_links(doc, PAGE).links if link.tag == "script"]
    assert scripted == ([target] if target else [])


def test_a_head_answer_stands_only_when_it_says_what_a_visitor_gets() -> None:
    assert head_believed("http://a.gov.cn/f/附件.pdf", 200, b"application/pdf")
    assert head_believed("http://a.gov.cn/xwdt/1.html", 200, "text/html; charset=utf-8")
    assert head_believed("http://a.gov.cn/xwdt/", 200, b"text/html")
    assert head_believed("http://a.gov.cn/f/a.pdf", 404, None)  # a failure is judged as it is
    assert not head_believed("http://a.gov.cn/f/a.pdf", 200, b"text/html; charset=utf-8")
    assert not head_believed("http://a.gov.cn/f/a.DOC", 200, "TEXT/HTML")
    assert not head_believed("http://a.gov.cn/f/a.pdf", 200, None)  # says nothing
    assert not head_believed("http://a.gov.cn/", 204, b"")
    # a few hundred bytes of web page, nothing to revalidate it by: a challenge, a stub
    page = "http://a.gov.cn/xwdt/1.html"
    assert not head_believed(page, 200, b"text/html", b"612", validated=False)
    assert head_believed(page, 200, b"text/html", b"612", validated=True)  # a Last-Modified
    assert head_believed(page, 200, b"text/html", b"48213", validated=False)  # an article
    assert head_believed(page, 200, b"text/html", None, validated=False)  # length unknown
    assert head_believed(page, 200, b"text/html", b"junk", validated=False)
    assert head_believed("http://a.gov.cn/f/a.txt", 200, b"text/plain", b"12", validated=False)


def test_a_late_refresh_is_a_page_to_read_first_not_a_redirect() -> None:
    # A column page that sends idle visitors home after ten minutes: its own list is read.
    doc = parse_html(
        "<html><head><meta http-equiv='refresh' content='600;url=/'></head>"
        "<body><ul><li><a href='a.html'>通知</a></li></ul></body></html>"
    )
    assert refresh_url(doc, PAGE) is None
    # It is still a link the browser follows in the end.
    assert "http://www.x.gov.cn/" in {link.url for link in extract_links(doc, PAGE).links}
    soon = parse_html("<html><head><meta http-equiv='refresh' content='5;url=/'></head></html>")
    assert refresh_url(soon, PAGE) == "http://www.x.gov.cn/"


def test_a_link_repeated_across_pages_resolves_against_each_page() -> None:
    """Resolutions are remembered across pages: the same href on pages in other directories,
    on other hosts or schemes, or after a query or parameters, still resolves against its own
    page, exactly as it would alone."""
    hrefs = [
        "a.html",
        "../b.html",
        "/c.html",
        "//y.gov.cn/d.html",
        "?page=2",
        ";jsessionid=1",
        "http:e.html",
        "https://z.gov.cn/f.html",
        "..\\g.html",
        "http://",
        ".",
    ]
    pages = [
        "http://www.x.gov.cn/zwgk/tzgg/index.html",
        "http://www.x.gov.cn/zwgk/gzdt/index.html?id=3",
        "http://www.x.gov.cn/zwgk/gzdt/list;jsessionid=9/index.html",
        "https://www.x.gov.cn/zwgk/tzgg/index.html",
        "http://www.x.gov.cn:8080/zwgk/tzgg/index.html",
        "http://www.x.gov.cn",
        "http://www.x.gov.cn/zwgk/tzgg/",
    ]
    body = "".join(f"<a href='{escape(h)}'>{n}</a>" for n, h in enumerate(hrefs))
    for page in pages:
        doc = parse_html(f"<html><body>{body}</body></html>")
        found = [link.url for link in extract_links(doc, page).links]
        alone = [_resolved(page, href) or href for href in hrefs]  # none remembered
        assert found == alone, page
    assert found[:3] == [
        "http://www.x.gov.cn/zwgk/tzgg/a.html",
        "http://www.x.gov.cn/zwgk/b.html",
        "http://www.x.gov.cn/c.html",
    ]


@pytest.mark.parametrize(
    "href",
    [
        "file:///D:/工作/2023/附件6.doc",
        "C:\\Users\\admin\\Desktop\\附件7.xls",
        "\\\\oa\\共享\\附件8.doc",
    ],
)
def test_a_file_on_the_editors_computer_is_a_finding_never_a_request(href: str) -> None:
    from crawler.spiders.site import _malformed_error

    doc = parse_html(f"<a href='{escape(href)}'>附件</a><a href='mailto:a@x.gov.cn'>信箱</a>")
    found = extract_links(doc, PAGE)
    assert [link.url for link in found.links] == [href]  # as written, to be reported
    assert found.not_fetched == 1  # the mailbox: counted, not a finding
    assert request_key(href, "utf-8") is None
    assert _malformed_error(href)[0] == "malformed_url"
    assert "editor's computer" in _malformed_error(href)[1]


def test_a_unc_style_link_to_a_web_host_is_a_web_link() -> None:
    found = _links("<a href='\\\\www.gov.cn\\zhengce\\index.htm'>政策</a>")
    assert found == {("http://www.gov.cn/zhengce/index.htm", "a", "href")}


def test_lazy_loaded_pictures_are_checked_as_the_visitor_sees_them() -> None:
    """A lazy-loading script puts ``data-src`` (data-original, lay-src…) into ``src`` when the
    picture scrolls into view: that picture is the page's, broken or not."""
    found = _links(
        "<img src='/images/loading.gif' data-original='/uploads/photo1.jpg'>"
        "<img class='lazy' data-src='photo2.png'>"
        "<img lay-src='//img.x.gov.cn/p3.jpg' src='/images/loading.gif'>"
        "<img data-srcset='/p4-1x.jpg 1x, /p4-2x.jpg 2x'>"
        "<img src='/same.jpg' data-src='/same.jpg'>"
        # a template's placeholder is no URL
        "<img data-src='{{ item.pic }}'><img data-original='${news.img}'>"
    )
    images = {(url, attr) for url, tag, attr in found if tag == "img"}
    assert images == {
        ("http://www.x.gov.cn/images/loading.gif", "src"),
        ("http://www.x.gov.cn/uploads/photo1.jpg", "data-original"),
        ("http://www.x.gov.cn/zwgk/tzgg/photo2.png", "data-src"),
        ("http://img.x.gov.cn/p3.jpg", "lay-src"),
        ("http://www.x.gov.cn/p4-1x.jpg", "data-srcset"),
        ("http://www.x.gov.cn/p4-2x.jpg", "data-srcset"),
        ("http://www.x.gov.cn/same.jpg", "src"),
    }


def test_the_referer_is_the_one_a_browser_sends() -> None:
    """strict-origin-when-cross-origin: the page to its own origin, the origin elsewhere,
    nothing from https to http; a Chinese path percent-encoded, never the fragment."""
    page = "http://www.x.gov.cn/zwgk/政策.html?id=3#top"
    assert referer_for(page, "http://www.x.gov.cn/a.pdf") == (
        "http://www.x.gov.cn/zwgk/%E6%94%BF%E7%AD%96.html?id=3"
    )
    assert referer_for(page, "http://WWW.X.GOV.CN/a.pdf").startswith("http://www.x.gov.cn/zwgk/")
    assert referer_for(page, "http://www.y.gov.cn/a.pdf") == "http://www.x.gov.cn/"
    assert referer_for(page, "https://www.x.gov.cn/a.pdf") == "http://www.x.gov.cn/"
    assert referer_for("https://www.x.gov.cn/a.html", "http://www.x.gov.cn/b.pdf") is None
    assert referer_for("http://u:p@www.x.gov.cn:8080/a", "http://y.cn/") == (
        "http://www.x.gov.cn:8080/"
    )


def test_a_place_named_after_a_base_of_another_page_is_that_pages() -> None:
    """``<a href="#part1">`` goes to a place in this page; under ``<base href="/gone/">`` a
    browser goes to /gone/#part1: that page is checked, and its place."""
    body = "<a href='#part1'>第一部分</a>"
    assert _links(body) == set()
    based = f"<base href='/gone/'>{body}"
    assert _links(based) == {("http://www.x.gov.cn/gone/", "a", "href")}
    doc = parse_html(f"<html><head></head><body>{based}</body></html>")
    assert [(f.page, f.fragment) for f in fragment_links(doc, PAGE)] == [
        ("http://www.x.gov.cn/gone/", "part1")
    ]


def test_a_templates_links_are_not_the_pages_and_a_clickable_span_is_named() -> None:
    """A browser neither shows nor fetches what a <template> holds; a <span onclick> that
    opens a page is a link the visitor knows by its text."""
    links = _links(
        "<template><a href='/t.html'>模板</a><img src='/t.png'></template>"
        """<span onclick="window.open('/bs/index.html')">在线办事</span>"""
    )
    assert links == {("http://www.x.gov.cn/bs/index.html", "span", "onclick")}
    # a script a browser does not run (a template's type) fetches nothing; one it runs does
    scripts = _links(
        "<script type='text/html' src='/tpl/list.html'></script>"
        "<script type='text/x-template' src='/tpl/b.html'></script>"
        "<script type='text/javascript; charset=utf-8' src='/js/a.js'></script>"
        "<script type='module' src='/js/m.js'></script><script src='/js/b.js'></script>"
    )
    assert {url for url, _, _ in scripts} == {
        f"http://www.x.gov.cn/js/{name}.js" for name in ("a", "m", "b")
    }
    doc = parse_html(
        """<html><body><span onclick="window.open('/bs/')">在线办事</span></body></html>"""
    )
    assert [link.text for link in extract_links(doc, PAGE).links] == ["在线办事"]
