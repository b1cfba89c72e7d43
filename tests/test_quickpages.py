"""Pages read by the small client: the same outcomes as the crawl's own downloads, every
answer but a plain one through the download middlewares (retries, redirects, cookies)."""

from __future__ import annotations

import asyncio
import gzip
import sqlite3
import zlib
from pathlib import Path

import pytest

from crawler.pageanswers import decoded, is_plain, wants_body
from crawler.revalidate import Head, HeadConnection, parse_head
from tests.conftest import fast_with, govwatch
from tests.httpkit import Route, RouteServer, self_signed
from tests.test_operations import html

ERROR_PAGE = "<html><head><title>页面不存在</title></head><body>您访问的页面不存在</body></html>"
CHUNKED = (
    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
    b"5;name=value\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
)
LINKS = ("a", "gz", "deflated", "moved", "gone", "busy", "limited", "soft", "cookie", "doc")


def _site() -> dict[str, Route]:
    links = "".join(f"<a href='/{name}.html'>栏目{n}</a>" for n, name in enumerate(LINKS))
    deep = "<a href='/deep/{}.html'>下一页</a>"
    return {
        "/": Route(200, html(links), {"Set-Cookie": "sid=abc; Path=/"}),
        "/a.html": Route(200, html(deep.format("a1"))),
        "/gz.html": Route(
            200, gzip.compress(html(deep.format("gz1"))), {"Content-Encoding": "gzip"}
        ),
        "/deflated.html": Route(
            200, zlib.compress(html(deep.format("df1"))), {"Content-Encoding": "deflate"}
        ),
        "/moved.html": Route(301, b"", {"Location": "/deep/landing.html"}),
        "/gone.html": Route(404, html("404")),
        "/busy.html": Route(503, html("忙"), times=1, then=Route(200, html(deep.format("b1")))),
        "/limited.html": Route(
            429, b"", {"Retry-After": "1"}, times=1, then=Route(200, html(deep.format("l1")))
        ),
        "/soft.html": Route(200, ERROR_PAGE.encode()),
        "/cookie.html": Route(200, html(deep.format("c1")), {"Set-Cookie": "k=v; Path=/"}),
        "/doc.html": Route(200, b"%PDF-1.4", {"Content-Type": "application/pdf"}),
        "/deep/*": Route(200, html("末页")),
    }


def _crawl(
    tmp_path: Path, name: str, quick: bool
) -> tuple[dict[str, tuple[str, ...]], RouteServer, str]:
    settings = fast_with(GOVWATCH_QUICK_PAGES=quick, GOVWATCH_WORKERS=1)
    with RouteServer(_site()) as server:
        config = tmp_path / f"{name}.yaml"
        config.write_text(
            f"sites:\n  - id: p\n    name: 页面站\n    home: {server.url}\n", encoding="utf-8"
        )
        db = tmp_path / f"{name}.db"
        log = govwatch("crawl", "-c", str(config), "--db", f"sqlite:///{db}", "-v", *settings)
        with sqlite3.connect(db) as connection:
            rows = connection.execute(
                "select url, method, status, error, final_url, redirects from link_checks"
            ).fetchall()
        outcomes = {
            row[0].removeprefix(server.url): tuple(str(v).replace(server.url, "/") for v in row[1:])
            for row in rows
        }
        return outcomes, server, log.stdout + log.stderr


def _asked(server: RouteServer, path: str) -> list[str]:
    return [method for method, p in server.requests if p == path]


def test_pages_read_by_the_small_client_keep_every_outcome(tmp_path: Path) -> None:
    quick, served, log = _crawl(tmp_path, "quick", quick=True)
    full, served_full, _ = _crawl(tmp_path, "full", quick=False)
    assert quick == full
    read = int(log.split("pages read (")[0].rsplit(",", 1)[1].split()[0])
    assert read >= 8, log[-2000:]  # the linked pages went to the small client
    # Decoded as the crawl decodes them: their links were found and checked.
    assert quick["deep/gz1.html"][1] == quick["deep/df1.html"][1] == "200"
    assert quick["moved.html"][1:] == ("200", "None", "/deep/landing.html", '["/moved.html"]')
    assert quick["gone.html"][1] == "404"
    assert quick["soft.html"][2] == "soft_404"
    assert quick["doc.html"][1] == "200"
    # A 503 and a 429 are retried by the crawl, not asked again at once: one retry each, and
    # the 429's only after its Retry-After.
    assert _asked(served, "/busy.html") == _asked(served_full, "/busy.html") == ["GET", "GET"]
    assert _asked(served, "/limited.html") == ["GET", "GET"]
    asked_at = [t for path, t in served.times if path == "/limited.html"]
    assert asked_at[1] - asked_at[0] >= 0.9
    # The redirect is followed by the crawl from the answer already read (asked once).
    assert _asked(served, "/moved.html") == ["GET"]
    # Cookies: the jar's go with every page read, and one set by a page read here is kept.
    cookies = dict(served.cookies)
    assert all("sid=abc" in (cookies[f"/{name}.html"] or "") for name in LINKS)
    assert "k=v" in (cookies["/deep/c1.html"] or "")


async def _body_of(raw: bytes, close: bool, limit: int = 1000) -> tuple[bytes, bool]:
    """Serve ``raw`` as the answer (in three writes) to one request; read it with the client."""

    handled: list[asyncio.Future[None]] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        done = asyncio.get_running_loop().create_future()
        handled.append(done)
        await reader.readuntil(b"\r\n\r\n")
        third = max(1, len(raw) // 3)
        for start in range(0, len(raw), third):
            writer.write(raw[start : start + third])
            await writer.drain()
            await asyncio.sleep(0)
        if not close:
            await reader.read()  # until the client is done with the connection
        writer.close()
        await writer.wait_closed()
        done.set_result(None)

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    _, connection = await asyncio.get_running_loop().create_connection(
        HeadConnection, "127.0.0.1", port
    )
    try:
        head = parse_head(await connection.ask(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n"))
        async with asyncio.timeout(5):
            return await connection.read_body(head, "GET", limit)
    finally:
        connection.close()
        server.close()
        await asyncio.gather(*handled)


@pytest.mark.parametrize(
    ("raw", "close", "expected"),
    [
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello world",
            False,
            (b"hello world", True),
        ),
        (
            CHUNKED,
            False,
            (b"hello world", True),
        ),
        (
            b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nuntil the end",
            True,
            (b"until the end", False),
        ),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", True, (b"ok", False)),
        (b"HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n", False, (b"", True)),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", True, ConnectionError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", False, ValueError),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", False, ValueError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", False, ValueError),  # over the limit
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n", False, ValueError),
    ],
)
def test_a_body_is_read_by_its_framing(
    raw: bytes, close: bool, expected: tuple[bytes, bool] | type[Exception]
) -> None:
    if isinstance(expected, tuple):
        assert asyncio.run(_body_of(raw, close)) == expected
    else:
        with pytest.raises(expected):
            asyncio.run(_body_of(raw, close))


def _head(lines: str) -> Head:
    return parse_head(("HTTP/1.1 " + lines).replace("\n", "\r\n").encode())


def test_only_a_plain_answer_skips_the_middlewares_and_its_body_is_decoded() -> None:
    page = b"<html><body>" + "正文".encode() * 200 + b"</body></html>"
    deflater = zlib.compressobj(wbits=-15)  # raw deflate, as some servers send "deflate"
    raw_deflate = deflater.compress(page) + deflater.flush()
    deflate = _head("200 OK\nContent-Type: text/html\nContent-Encoding: deflate")
    assert is_plain(deflate)
    assert decoded(deflate, raw_deflate, 10_000) == page
    assert decoded(deflate, zlib.compress(page), 10_000) == page
    gzipped = _head("200 OK\nContent-Encoding: gzip")
    assert decoded(gzipped, gzip.compress(page), 10_000) == page
    # Too long decoded, or not what it says: left to the middleware (which fails it its way).
    assert decoded(gzipped, gzip.compress(page), 100) is None
    assert decoded(gzipped, b"not gzip at all", 10_000) is None
    # What a middleware would act on is not plain: a cookie, an unusual coding, a redirect.
    assert not is_plain(_head("200 OK\nSet-Cookie: sid=1; Path=/"))
    assert not is_plain(_head("200 OK\nContent-Encoding: br"))
    assert not is_plain(_head("301 Moved\nLocation: /x.html"))
    assert not is_plain(_head("503 Busy\nRetry-After: 1"))
    # A body the spider would not read (an attachment) is not read here either.
    assert not wants_body(_head("200 OK\nContent-Type: application/pdf"))
    assert wants_body(_head("200 OK\nContent-Type: application/xhtml+xml"))
    assert wants_body(_head("200 OK"))


def test_an_https_site_is_crawled_alike_by_the_small_client_and_by_scrapy(tmp_path: Path) -> None:
    deep = "<a href='/deep/{}.html'>下一页</a>"
    routes = {
        "/": Route(200, html("".join(f"<a href='/p{n}.html'>栏目{n}</a>" for n in range(6)))),
        **{f"/p{n}.html": Route(200, html(deep.format(n))) for n in range(6)},
        "/p5.html": Route(404, html("没有了")),
        "/deep/*": Route(200, html("末页")),
    }
    found = {}
    for quick in (True, False):
        with RouteServer(routes, tls=self_signed(tmp_path)) as server:
            assert server.url.startswith("https://")
            config = tmp_path / f"{quick}.yaml"
            config.write_text(
                f"sites:\n  - id: s\n    name: 加密站\n    home: {server.url}\n", encoding="utf-8"
            )
            db = tmp_path / f"{quick}.db"
            settings = fast_with(GOVWATCH_QUICK_PAGES=quick, GOVWATCH_WORKERS=1)
            log = govwatch("crawl", "-c", str(config), "--db", f"sqlite:///{db}", "-v", *settings)
            with sqlite3.connect(db) as connection:
                rows = connection.execute("select url, status, error from link_checks").fetchall()
            found[quick] = {
                url.removeprefix(server.url): (status, error) for url, status, error in rows
            }
            if quick:
                read = int(log.stderr.split("pages read (")[0].rsplit(",", 1)[1].split()[0])
                assert read >= 5  # over TLS, by the small client
    assert found[True] == found[False]
    assert found[True]["p5.html"] == (404, None)
    assert found[True]["deep/4.html"] == (200, None)
