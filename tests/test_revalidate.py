"""The nightly pre-pass client: only clean answers count, keep-alive connections are reused
(and a connection the server closed is replaced), and no URL's failure escapes it."""

from __future__ import annotations

import asyncio
import hashlib
import socket
import time

import pytest

from crawler.revalidate import (
    Candidate,
    Limits,
    Origin,
    clean_answer,
    origin_of,
    parse_head,
    reached_directly,
    request_bytes,
    revalidate,
)
from tests.httpkit import Route, RouteServer

LIMITS = Limits("govwatch-test", 0.5, 2, 8)


def test_an_answer_head_is_parsed_or_refused() -> None:
    head = parse_head(b'HTTP/1.1 304 Not Modified\r\nETag: "a1"\r\nEtag: "b2"\r\nConnection: close')
    assert (head.status, head.headers["etag"], head.reusable) == (304, '"a1"', False)
    assert parse_head(b"HTTP/1.1 200 OK\r\nContent-Type: text/html").reusable
    assert not parse_head(b"HTTP/1.0 200 OK").reusable
    for raw in (b"SSH-2.0-OpenSSH_9.2", b"HTTP/1.1 OK", b"HTTP/1.1 200 OK\r\nno colon here"):
        with pytest.raises(ValueError):
            parse_head(raw)


def test_a_tiny_page_answered_to_head_is_marked_for_the_crawl_to_judge() -> None:
    """Whether it is believed depends on whose server it is (the crawl knows its hosts)."""
    link = Candidate("http://a.gov.cn/news/1.html", "HEAD")
    tiny = parse_head(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 259")
    dated = parse_head(
        b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 259\r\n"
        b"Last-Modified: Tue, 14 Nov 2023 22:13:20 GMT"
    )
    large = parse_head(b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 48213")
    answers = [clean_answer(link, head) for head in (tiny, dated, large)]
    assert [answer is not None and answer.tiny for answer in answers] == [True, False, False]


def test_requests_are_sent_as_stored_or_not_at_all() -> None:
    origin = origin_of("http://[::1]:8080/a%20b.html?x=1#top")
    assert origin == Origin("http", "::1", 8080)
    assert origin.host_header == "[::1]:8080"
    assert Origin("https", "www.gov.cn", 443).host_header == "www.gov.cn"
    sent = request_bytes(Candidate("http://[::1]:8080/a%20b.html?x=1", "GET", '"e"'), origin, "ua")
    assert sent is not None
    assert sent.startswith(b"GET /a%20b.html?x=1 HTTP/1.1\r\nHost: [::1]:8080\r\n")
    assert b'If-None-Match: "e"\r\n' in sent and sent.endswith(b"\r\n\r\n")
    # A stored validator with a line break (a header of its own) or a raw non-ASCII path.
    assert request_bytes(Candidate("http://a.cn/", "GET", '"e"\r\nX-Evil: 1'), origin, "ua") is None
    assert request_bytes(Candidate("http://a.cn/新闻.html", "HEAD"), origin, "ua") is None
    assert origin_of("ftp://a.cn/file") is None and origin_of("mailto:x@a.cn") is None


def test_only_unchanged_pages_and_present_targets_are_answered() -> None:
    routes = {
        "/same.html": Route(200, b"<html>same</html>"),
        "/changed.html": Route(200, b"<html>changed</html>"),
        "/file.pdf": Route(200, b"%PDF", {"Content-Type": "application/pdf"}),
        "/moved.pdf": Route(301, b"", {"Location": "/file.pdf"}),
        "/slow.pdf": Route(200, b"%PDF", delay=2.0),
        # A file answered with a web page (the site's "页面不存在"): the crawl asks it by GET.
        "/error-page.pdf": Route(
            200, "<html>页面不存在</html>".encode(), {"Content-Type": "text/html"}
        ),
    }
    refused = socket.socket()
    refused.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    dead = f"http://127.0.0.1:{refused.getsockname()[1]}/x.pdf"
    with RouteServer(routes, etags=True) as server:
        base = server.url.rstrip("/")
        same_tag = '"' + hashlib.sha1(b"<html>same</html>").hexdigest()[:16] + '"'
        candidates = [
            Candidate(f"{base}/same.html", "GET", same_tag),
            Candidate(f"{base}/changed.html", "GET", '"old"'),
            Candidate(f"{base}/file.pdf", "HEAD"),
            Candidate(f"{base}/gone.pdf", "HEAD"),
            Candidate(f"{base}/moved.pdf", "HEAD"),
            Candidate(f"{base}/slow.pdf", "HEAD"),
            Candidate(f"{base}/error-page.pdf", "HEAD"),
            Candidate(dead, "HEAD"),
        ]
        started = time.monotonic()
        answers = asyncio.run(revalidate(candidates, LIMITS))
        took = time.monotonic() - started
    refused.close()
    assert set(answers) == {f"{base}/same.html", f"{base}/file.pdf"}
    assert answers[f"{base}/same.html"].status == 304
    assert answers[f"{base}/same.html"].etag == same_tag
    assert answers[f"{base}/file.pdf"].content_type == "application/pdf"
    assert took < 2.0  # the slow one was given up at the timeout (0.5 s), not waited for


def test_keep_alive_connections_are_reused_and_replaced_when_the_server_closes_them() -> None:
    opened = 0
    answered = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal opened, answered
        opened += 1
        try:
            for _ in range(3):  # then closes the connection without saying so
                await reader.readuntil(b"\r\n\r\n")
                answered += 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n")
                await writer.drain()
        except asyncio.IncompleteReadError:
            pass
        writer.close()

    async def main() -> dict[str, object]:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        candidates = [Candidate(f"http://127.0.0.1:{port}/{n}.png", "HEAD") for n in range(30)]
        async with server:
            return dict(await revalidate(candidates, Limits("ua", 2.0, 1, 8)))

    answers = asyncio.run(main())
    assert len(answers) == 30
    assert answered == 30  # none asked twice
    assert opened <= 11  # 3 per connection (a closed one is noticed on the next request)


def test_a_server_that_refuses_is_left_to_the_crawl_and_said_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again below: connections are refused
    candidates = [Candidate(f"http://127.0.0.1:{port}/{n}.html", "HEAD") for n in range(10)]
    limits = Limits("govwatch-test", 0.5, 1, 8)
    with caplog.at_level("INFO", logger="crawler.revalidate"):
        assert asyncio.run(revalidate(candidates, limits)) == {}
    assert f"127.0.0.1:{port} timed out or refused 3 times in a row" in caplog.text
    assert "its 7 remaining URLs are left to the crawl" in caplog.text


def test_servers_reached_through_a_proxy_are_left_to_the_crawl(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The small clients never use a proxy: a server the crawl reaches through one is asked by
    the crawl alone (no_proxy hosts are asked directly, as Scrapy asks them)."""
    monkeypatch.setenv("no_proxy", "intranet.gov.cn")
    proxies = {"http": "http://proxy.example:3128"}
    assert not reached_directly(Origin("http", "www.gov.cn", 80), proxies)
    assert reached_directly(Origin("http", "intranet.gov.cn", 80), proxies)
    assert reached_directly(Origin("https", "www.gov.cn", 443), proxies)
    assert reached_directly(Origin("http", "www.gov.cn", 80), {})


def test_the_prepass_keeps_to_its_own_connections_and_borrows_only_what_is_lent() -> None:
    """One connection of its own; a second and third only while the crawl lends them, one
    request at a time, always given back. Every answer's latency is reported."""
    in_flight = peak = 0

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal in_flight, peak
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                in_flight += 1
                peak = max(peak, in_flight)
                await asyncio.sleep(0.01)  # long enough for requests on other connections to meet
                in_flight -= 1
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    async def run(lends: bool) -> tuple[int, int, int, list[float]]:
        nonlocal peak
        peak = 0
        lent = given_back = 0
        asked = 0
        latencies: list[float] = []

        def borrow(origin: Origin) -> object:
            nonlocal lent, asked
            asked += 1
            if not lends or asked <= 5:  # the crawl needs its connections at first
                return None
            lent += 1

            def back() -> None:
                nonlocal given_back
                given_back += 1

            return back

        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        origin = Origin("http", "127.0.0.1", port)
        candidates = [Candidate(f"http://127.0.0.1:{port}/{n}.png", "HEAD") for n in range(40)]
        async with server:
            answers = await revalidate(
                candidates,
                Limits("ua", 2.0, 3, 8),
                lambda _, seconds: latencies.append(seconds),
                {origin: 1},
                borrow,  # type: ignore[arg-type]
            )
        assert len(answers) == 40
        return peak, lent, given_back, latencies

    peak_alone, lent, given_back, latencies = asyncio.run(run(lends=False))
    assert (peak_alone, lent, given_back) == (1, 0, 0)
    assert len(latencies) == 40 and all(0 < s < 2.0 for s in latencies)
    peak_lent, lent, given_back, _ = asyncio.run(run(lends=True))
    assert peak_lent == 3  # its own and two borrowed at once
    assert lent == given_back > 0


def test_a_slow_servers_rest_is_left_to_the_crawl_after_its_time(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The crawl waits for the whole pre-pass: a slow server (here 0.2 s an answer, over
    SLOW_SECONDS) on one connection would hold it for 4 s with 20 URLs; after HOST_SECONDS
    (here 0.5 s) the rest is the crawl's, asked beside everything else. A quick one is asked
    to the end (the keep-alive test's 30 URLs)."""
    monkeypatch.setattr("crawler.revalidate.HOST_SECONDS", 0.5)
    monkeypatch.setattr("crawler.revalidate.SLOW_SECONDS", 0.1)

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                await reader.readuntil(b"\r\n\r\n")
                await asyncio.sleep(0.2)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: image/png\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        writer.close()

    async def main() -> tuple[dict[str, object], float]:
        server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        candidates = [Candidate(f"http://127.0.0.1:{port}/{n}.png", "HEAD") for n in range(20)]
        started = time.monotonic()
        async with server:
            found = dict(await revalidate(candidates, Limits("ua", 2.0, 1, 8)))
        return found, time.monotonic() - started

    with caplog.at_level("INFO", logger="crawler.revalidate"):
        answers, took = asyncio.run(main())
    assert 2 <= len(answers) <= 5 and took < 2.0
    assert "is slow; its" in caplog.text and "remaining URLs are left to the crawl" in caplog.text


def test_a_folder_of_refused_urls_is_no_limiter_but_a_limiter_is() -> None:
    """URLs asked in a row are often neighbours: five files of a folder the server answers 429
    (a download limit of its own) say nothing of the rest, which is asked to the end. A server
    that refuses everything, its control (the first URL it answered) too, is left to the crawl
    and the crawl told."""
    files = {f"/files/{n}.pdf": Route(429, headers={"Retry-After": "1"}) for n in range(5)}
    pages = {
        f"/p/{n}.html": Route(200, b"<p>ok</p>", headers={"Content-Type": "text/html"})
        for n in range(20)
    }
    told: list[tuple[str, int]] = []
    controls: list[str | None] = []

    def refused(origin: Origin, status: int, control: str | None) -> None:
        told.append((origin.host, status))
        controls.append(control)

    one_at_a_time = Limits("govwatch-test", 0.5, 1, 8)
    with RouteServer({**pages, **files}) as server:
        candidates = [Candidate(f"{server.url}p/{n}.html", "HEAD") for n in range(3)]
        candidates += [Candidate(f"{server.url}files/{n}.pdf", "HEAD") for n in range(5)]
        candidates += [Candidate(f"{server.url}p/{n}.html", "HEAD") for n in range(3, 20)]
        answers = asyncio.run(revalidate(candidates, one_at_a_time, refused=refused))
        asked = len(server.requests)
    assert told == []
    assert sorted(answers) == sorted(f"{server.url}p/{n}.html" for n in range(20))
    assert asked == 26  # every URL once, and the control

    with RouteServer(pages, rate_limit=3, limit_status=429) as server:
        candidates = [Candidate(f"{server.url}p/{n}.html", "HEAD") for n in range(20)]
        answers = asyncio.run(revalidate(candidates, one_at_a_time, refused=refused))
        asked = len(server.requests)
    assert told == [("127.0.0.1", 429)]
    assert controls == [f"{server.url}p/0.html"]  # the crawl's control: it answered that
    assert len(answers) == 3
    assert asked == 3 + 3 + 1  # three answered, three refused, the control refused: no more
