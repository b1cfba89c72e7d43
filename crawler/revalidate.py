"""Before a nightly crawl: ask the site, cheaply, which of last night's URLs are unchanged.

Every page the last full crawl read cleanly is asked for again with its validators
(``If-None-Match`` / ``If-Modified-Since``); every link it checked cleanly by HEAD is checked by
HEAD again. Only the clean answers are kept: 304 for a page, 2xx for a HEAD, never a redirect.
Anything else (changed, failed, redirected, slow) is left to the crawl, which requests it again
with retries, fallbacks and soft-404 checks as on the first night.

None of these answers has a body (a 304, a HEAD), so the client is a small one of our own on
asyncio: one request at a time per keep-alive connection, the answer's head read and nothing
else. At a few milliseconds of Scrapy machinery per request, and still ~0.3 ms on a general
client, the requests themselves, not the pages, were most of an unchanged site's crawl. An
answer that does have a body (a changed page's 200) closes its connection unread. A server that
times out or refuses connections a few times in a row is asked nothing more here: the crawl
asks it, with its retries.
"""

from __future__ import annotations

import asyncio
import logging
import re
import ssl
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit
from urllib.request import proxy_bypass

from crawler.extract.links import head_believed, referer_for, tiny_page
from crawler.refusals import REFUSALS

Method = Literal["GET", "HEAD"]

log = logging.getLogger(__name__)

MAX_HEAD_BYTES = 64 * 1024  # an answer's status line and headers; more is not an HTTP server
MAX_FAULTS = 3  # timeouts or failed connections in a row before a server is left to the crawl
HOST_SECONDS = 10.0  # a slow server's pre-pass at most; the rest is left to the crawl
SLOW_SECONDS = 0.5  # an answer's time, on average, that makes a server slow
# A server whose pages nearly all come back changed (an ETag new on every answer, conditional
# requests ignored) has its pages left to the crawl after this many: each would be asked twice.
# Judged after this many (the first are the homepage and column pages, which change daily).
PAGES_JUDGED = 50
# Answered 403 or 429 this many times in a row, URLs that answered cleanly last night: a server
# that refuses a fast client (crawler.refusals). It is asked nothing more here, and the crawl is
# told.
REFUSED_IN_A_ROW = 3
CHANGED_SHARE = 0.9


@dataclass(frozen=True)
class Candidate:
    """A URL the last crawl read or checked without a fault."""

    key: str  # the URL as requested (already percent-encoded)
    method: Method  # GET: a page, asked conditionally; HEAD: a link target
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Answer:
    """A clean answer: the page is unchanged (304) or the target is there (2xx)."""

    status: int
    etag: str | None
    last_modified: str | None
    content_type: str | None
    # A HEAD's tiny web page with nothing to revalidate it by: believed on the site's own
    # hosts only (crawler.extract.links.tiny_page; the crawl knows which hosts are its own).
    tiny: bool = False


@dataclass(frozen=True)
class Limits:
    user_agent: str
    timeout: float
    per_host: int
    total: int


@dataclass(frozen=True)
class Origin:
    scheme: str
    host: str
    port: int

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


@dataclass
class _OriginWork:
    origin: Origin
    queue: deque[tuple[Candidate, bytes]] = field(default_factory=deque)
    faults: int = 0  # timeouts and refused connections in a row
    refused: int = 0  # 403s and 429s in a row
    streak: int = REFUSED_IN_A_ROW  # ...that make it a server refusing us (doubled if not)
    control: tuple[Candidate, bytes] | None = None  # its first clean answer, to ask again
    controlling: bool = False  # the control is on its way
    pages: int = 0  # pages asked (conditional GETs) and answered
    changed: int = 0  # ...that came back changed (a 200)
    started: float | None = None  # when its first request went (the event loop's clock)
    answered: int = 0
    waited: float = 0.0  # seconds its answers took, in all

    def over_time(self, now: float) -> bool:
        """A slow server (``SLOW_SECONDS`` an answer) asked for longer than ``HOST_SECONDS``: its
        rest is left to the crawl, which asks it beside everything else (the crawl waits for
        the whole pre-pass). A large site's quick server is asked to the end."""
        if self.started is None:
            self.started = now
        if now - self.started < HOST_SECONDS or self.waited < SLOW_SECONDS * self.answered:
            return False
        if self.queue:
            log.info(
                "pre-pass: %s is slow; its %s remaining URLs are left to the crawl",
                self.origin.host,
                len(self.queue),
            )
            self.queue.clear()
        return True

    def page_answered(self, status: int) -> None:
        """Once its pages prove to come back changed nearly every time, the rest are left to
        the crawl (its GET reads them; asked here too, each would cost two requests)."""
        self.pages += 1
        self.changed += status == 200
        if self.pages == PAGES_JUDGED and self.changed >= CHANGED_SHARE * self.pages:
            log.info("%s: pages change on every request; left to the crawl", self.origin.host)
            self.queue = deque(entry for entry in self.queue if entry[0].method != "GET")

    @property
    def failed(self) -> bool:
        """A server that keeps failing here is asked nothing more here (the crawl asks it)."""
        return self.faults >= MAX_FAULTS


@dataclass(frozen=True)
class Head:
    """An answer's status line and headers (names in lower case; the first of each kept), and
    every header line as received (``raw``: name and value, repeated names included)."""

    version: bytes
    status: int
    headers: dict[str, str]
    raw: tuple[tuple[bytes, bytes], ...] = ()

    @property
    def reusable(self) -> bool:
        return self.version == b"HTTP/1.1" and self.headers.get("connection", "").lower() != "close"


def parse_head(raw: bytes) -> Head:
    """Parse ``HTTP/1.x NNN reason`` and header lines; ValueError for anything else."""
    lines = raw.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/1.") or not parts[1].isdigit():
        raise ValueError(f"not an HTTP/1 status line: {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    pairs: list[tuple[bytes, bytes]] = []
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon:
            raise ValueError(f"not a header line: {line[:80]!r}")
        name, value = name.strip(), value.strip()
        pairs.append((name, value))
        headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
    return Head(parts[0], int(parts[1]), headers, tuple(pairs))


def origin_of(key: str) -> Origin | None:
    """The server a URL is asked of; None if not an http(s) URL with a host."""
    prefix = _PREFIX.match(key)
    return _origin_of_prefix(prefix.group(0) if prefix else key)


# scheme://netloc: what origin_of reads, so that each server is worked out once.
_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^/?#]*")


@lru_cache(maxsize=1024)
def _origin_of_prefix(prefix: str) -> Origin | None:
    try:
        parts = urlsplit(prefix)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            return None
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:  # "http://[域名]", "http://[::1": no host to ask
        return None
    return Origin(parts.scheme, parts.hostname, port)


def reached_directly(origin: Origin, proxies: dict[str, str]) -> bool:
    """Whether the crawl asks this server itself, not through a proxy (``getproxies()``, as
    Scrapy's HttpProxyMiddleware reads them): these small clients never use a proxy."""
    return origin.scheme not in proxies or bool(proxy_bypass(origin.host))


def request_bytes(
    candidate: Candidate, origin: Origin, user_agent: str, referer: str | None = None
) -> bytes | None:
    """The request as sent, or None if it cannot be sent as it is (left to the crawl)."""
    parts = urlsplit(candidate.key)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [
        f"{candidate.method} {target} HTTP/1.1",
        f"Host: {origin.host_header}",
        f"User-Agent: {user_agent}",
        "Accept: */*",
        "Accept-Encoding: identity",
    ]
    if referer:
        lines.append(f"Referer: {referer}")
    if candidate.method == "GET":
        if candidate.etag:
            lines.append(f"If-None-Match: {candidate.etag}")
        if candidate.last_modified:
            lines.append(f"If-Modified-Since: {candidate.last_modified}")
    if any(c in line for line in lines for c in "\r\n") or " " in target:
        return None  # a stored value with a line break in it is never sent
    try:
        return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii")
    except UnicodeEncodeError:
        return None


class HeadConnection(asyncio.Protocol):
    """One keep-alive connection: a request at a time, the answer's head returned; its body,
    when wanted, read after it (``read_body``)."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.waiter: asyncio.Future[bytes] | None = None
        self.reading_body = False  # the head is read: any data (or the close) wakes the reader
        self.closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        waiter = self.waiter
        if waiter is None or waiter.done():
            return  # bytes nobody asked for: the connection is not reused (see ask)
        if self.reading_body:
            waiter.set_result(b"")
            return
        end = self.buffer.find(b"\r\n\r\n")
        if end >= 0:
            head = bytes(self.buffer[:end])
            del self.buffer[: end + 4]
            waiter.set_result(head)
        elif len(self.buffer) > MAX_HEAD_BYTES:
            waiter.set_exception(ValueError("answer head too long"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.waiter is not None and not self.waiter.done():
            if self.reading_body:
                self.waiter.set_result(b"")  # the reader sees ``closed``
            else:
                self.waiter.set_exception(ConnectionError("connection closed before an answer"))

    async def ask(self, request: bytes) -> bytes:
        assert self.transport is not None
        self.buffer.clear()
        self.reading_body = False
        self.waiter = asyncio.get_running_loop().create_future()
        self.transport.write(request)
        return await self.waiter

    async def read_body(self, head: Head, method: str, limit: int) -> tuple[bytes, bool]:
        """The body after ``head`` (as sent: not decoded), and whether the connection can carry
        another request. ValueError for a body that is malformed or longer than ``limit``,
        ConnectionError for one the server did not send in full."""
        self.reading_body = True
        status = head.status
        if method == "HEAD" or status in (204, 304) or status < 200:
            return b"", head.reusable and not self.buffer
        coding = head.headers.get("transfer-encoding", "").strip().lower()
        if coding and coding != "identity":
            if coding != "chunked":
                raise ValueError(f"transfer coding {coding!r}")
            body = await self._read_chunked(limit)
            return body, head.reusable and not self.buffer
        length_text = head.headers.get("content-length")
        if length_text is not None:
            if not length_text.strip().isdigit():
                raise ValueError(f"Content-Length {length_text[:40]!r}")
            length = int(length_text)
            if length > limit:
                raise ValueError(f"body of {length} bytes, more than {limit}")
            while len(self.buffer) < length:
                await self._more()
            body = bytes(self.buffer[:length])
            del self.buffer[:length]
            return body, head.reusable and not self.buffer
        while not self.closed:  # delimited by the end of the connection
            if len(self.buffer) > limit:
                raise ValueError(f"body longer than {limit} bytes")
            await self._more()
        return bytes(self.buffer), False

    async def _read_chunked(self, limit: int) -> bytes:
        body = bytearray()
        at = 0
        while True:
            line_end = await self._line_end(at)
            size_text = bytes(self.buffer[at:line_end]).split(b";", 1)[0].strip()
            size = int(size_text, 16)  # ValueError for anything but hex digits
            at = line_end + 2
            if size == 0:
                while True:  # trailer lines, up to an empty one
                    line_end = await self._line_end(at)
                    empty = line_end == at
                    at = line_end + 2
                    if empty:
                        del self.buffer[:at]
                        return bytes(body)
            if len(body) + size > limit:
                raise ValueError(f"body longer than {limit} bytes")
            while len(self.buffer) < at + size + 2:
                await self._more()
            if self.buffer[at + size : at + size + 2] != b"\r\n":
                raise ValueError("chunk not followed by CRLF")
            body += self.buffer[at : at + size]
            at += size + 2

    async def _line_end(self, start: int) -> int:
        while (end := self.buffer.find(b"\r\n", start)) < 0:
            if len(self.buffer) - start > MAX_HEAD_BYTES:
                raise ValueError("chunk line too long")
            await self._more()
        return end

    async def _more(self) -> None:
        """Wait for more of the answer; ConnectionError if the server has closed."""
        if self.closed:
            raise ConnectionError("connection closed before the answer's end")
        self.waiter = asyncio.get_running_loop().create_future()
        await self.waiter

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.abort()


def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    context.check_hostname = False  # as the crawl: a certificate problem is not a dead link
    context.verify_mode = ssl.CERT_NONE
    return context


# Told how long a server took to answer the pre-pass (seconds), for the crawl's throttle.
LatencyReport = Callable[[Origin, float], None]
# The server, what it refused with, and a URL it answered cleanly (or None): the crawl's control
RefusalReport = Callable[[Origin, int, str | None], None]
# A connection to the server the crawl has no use for now, lent for one request: a function that
# gives it back, or None if there is none.
Borrow = Callable[[Origin], Callable[[], None] | None]
ROOM_POLL_SECONDS = 0.05


async def revalidate(
    candidates: Iterable[Candidate],
    limits: Limits,
    answered: LatencyReport | None = None,
    connections: Mapping[Origin, int] | None = None,
    borrow: Borrow | None = None,
    refused: RefusalReport | None = None,
    home: str | None = None,
) -> dict[str, Answer]:
    """The candidates that answered cleanly, by key. Never raises for a URL's failure.

    Each server is asked on ``connections[origin]`` connections (``limits.per_host`` if not
    given), and on more up to ``limits.per_host`` when ``borrow`` lends them, one request at a
    time. ``answered`` is told each answer's latency; ``refused``, of a server that answers
    ``REFUSED_IN_A_ROW`` 403s or 429s in a row (asked nothing more here). Each request carries the
    Referer a browser sends from ``home`` (the site's homepage), as the crawl's requests do: a
    file guarded against hotlinking answers the pre-pass as it answered the crawl."""
    work: dict[Origin, _OriginWork] = {}
    referers: dict[Origin, str | None] = {}
    for candidate in candidates:
        origin = origin_of(candidate.key)
        if origin is None:
            continue
        if origin not in referers:  # it depends on the target's origin alone
            referers[origin] = referer_for(home, candidate.key) if home else None
        request = request_bytes(candidate, origin, limits.user_agent, referers[origin])
        if request is None:
            continue
        work.setdefault(origin, _OriginWork(origin)).queue.append((candidate, request))
    answers: dict[str, Answer] = {}
    gate = asyncio.Semaphore(max(1, limits.total))
    tls = tls_context() if any(o.scheme == "https" for o in work) else None
    workers = []
    for job in work.values():
        most = max(1, min(limits.per_host, len(job.queue)))
        own = most if connections is None else max(1, min(connections.get(job.origin, 1), most))
        workers += [
            _work(job, answers, limits, gate, tls, answered, refused=refused) for _ in range(own)
        ]
        if borrow is not None:
            workers += [
                _work(job, answers, limits, gate, tls, answered, borrow, refused)
                for _ in range(most - own)
            ]
    await asyncio.gather(*workers)
    for job in work.values():
        if job.failed:
            log.info(
                "pre-pass: %s://%s:%s timed out or refused %s times in a row; "
                "its %s remaining URLs are left to the crawl",
                job.origin.scheme,
                job.origin.host,
                job.origin.port,
                MAX_FAULTS,
                len(job.queue),
            )
    return answers


async def _borrowed(job: _OriginWork, borrow: Borrow) -> Callable[[], None] | None:
    """A connection borrowed for the next request, once the crawl has one to spare; None if
    the work ran out meanwhile."""
    while job.queue and not job.failed:
        give_back = borrow(job.origin)
        if give_back is not None:
            return give_back
        await asyncio.sleep(ROOM_POLL_SECONDS)
    return None


async def _work(
    job: _OriginWork,
    answers: dict[str, Answer],
    limits: Limits,
    gate: asyncio.Semaphore,
    tls: ssl.SSLContext | None,
    answered: LatencyReport | None,
    borrow: Borrow | None = None,
    refused: RefusalReport | None = None,
) -> None:
    """Ask the server ``job``'s URLs one at a time on one connection (kept alive), each on a
    connection borrowed for it if ``borrow`` is given, while any are left."""
    clock = asyncio.get_running_loop().time
    async with gate:
        connection: HeadConnection | None = None
        try:
            while job.queue and not job.failed and not job.over_time(clock()):
                give_back = None
                if borrow is not None:
                    give_back = await _borrowed(job, borrow)
                    if give_back is None:
                        break
                try:
                    candidate, request = job.queue.popleft()
                    started = clock()
                    head, connection, failure = await exchange(
                        connection, lambda: _open(job, limits, tls), request, limits.timeout
                    )
                finally:
                    if give_back is not None:
                        give_back()
                if failure == "timeout":
                    job.faults += 1
                if head is None:
                    continue  # this one is left to the crawl
                assert connection is not None
                job.faults = 0
                answer = clean_answer(candidate, head)
                if _refusing(job, candidate, request, head.status, answer is not None):
                    log.info(
                        "pre-pass: %s refuses with %s; left to the crawl",
                        job.origin.host,
                        head.status,
                    )
                    job.queue.clear()
                    if refused is not None:
                        control = job.control[0].key if job.control is not None else None
                        refused(job.origin, head.status, control)
                if candidate.method == "GET":
                    job.page_answered(head.status)
                job.answered += 1
                job.waited += clock() - started
                if answered is not None:
                    answered(job.origin, clock() - started)
                if answer is not None:
                    answers[candidate.key] = answer
                if answer is None or not head.reusable or connection.buffer:
                    connection.close()  # a body follows (or may): not read here
        finally:
            if connection is not None:
                connection.close()


def _refusing(
    job: _OriginWork, candidate: Candidate, request: bytes, status: int, clean: bool
) -> bool:
    """Whether the server refuses us (a limiter, a firewall), not only some URLs: ``streak``
    refusals (403, 429) in a row, and then its control refused too. The control is the first
    URL it answered cleanly, asked again: a server that answers it refuses only those URLs (a
    folder of files it limits; URLs asked in a row are often neighbours), and needs a longer
    streak from then on. With no control, the streak is enough."""
    refusal = status in REFUSALS
    if job.controlling and job.control is not None and candidate is job.control[0]:
        job.controlling = False
        if refusal:
            return True
        job.refused, job.streak = 0, 2 * job.streak
        return False
    if not refusal:
        job.refused = 0
        if clean and job.control is None:
            job.control = (candidate, request)
        return False
    job.refused += 1
    if job.refused < job.streak or job.controlling:
        return False
    if job.control is None:
        return True
    job.controlling = True
    job.queue.appendleft(job.control)
    return False


async def exchange(
    connection: HeadConnection | None,
    reopen: Callable[[], Awaitable[HeadConnection | None]],
    request: bytes,
    wait: float,
) -> tuple[Head | None, HeadConnection | None, str | None]:
    """Send ``request`` and read its answer's head: on ``connection`` if it is still open, else
    on a new one (``reopen``); a kept-alive connection the server had closed meanwhile is
    replaced once. The head (None on a failure), the connection to go on with, and the failure:
    ``unreachable`` (no connection), ``timeout`` (no answer within ``wait``) or ``failed``."""
    for attempt in (1, 2):
        fresh = connection is None or connection.closed
        if fresh:
            connection = await reopen()
            if connection is None:
                return None, None, "unreachable"
        assert connection is not None
        try:
            async with asyncio.timeout(wait):
                raw = await connection.ask(request)
            return parse_head(raw), connection, None
        except TimeoutError:
            connection.close()
            return None, None, "timeout"
        except (ConnectionError, OSError, ValueError):
            connection.close()
            if fresh or attempt == 2:
                return None, None, "failed"
    return None, None, "failed"  # not reached: the second attempt returns


async def _open(
    job: _OriginWork, limits: Limits, tls: ssl.SSLContext | None
) -> HeadConnection | None:
    origin = job.origin
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(limits.timeout):
            _, connection = await loop.create_connection(
                HeadConnection,
                origin.host,
                origin.port,
                ssl=tls if origin.scheme == "https" else None,
                server_hostname=origin.host if origin.scheme == "https" else None,
            )
    except (TimeoutError, OSError, ssl.SSLError):
        job.faults += 1
        return None
    return connection


def clean_answer(candidate: Candidate, head: Head) -> Answer | None:
    status = head.status
    headers = head.headers
    if candidate.method == "GET":
        clean = status == 304
    else:  # a HEAD the crawl would not believe is left to the crawl, which asks by GET
        clean = 200 <= status < 300 and head_believed(
            candidate.key, status, headers.get("content-type")
        )
    if not clean:
        return None
    etag, last_modified = headers.get("etag"), headers.get("last-modified")
    tiny = candidate.method == "HEAD" and tiny_page(
        headers.get("content-type"), headers.get("content-length"), bool(etag or last_modified)
    )
    return Answer(status, etag, last_modified, headers.get("content-type"), tiny)
