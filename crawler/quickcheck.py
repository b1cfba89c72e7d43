"""Link checks and page reads the crawl does without Scrapy's download machinery.

Most link targets of a site are there: asked by HEAD, they answer 2xx with a believable
Content-Type (``head_believed``). Each such check cost the crawl a Scrapy request, about a
millisecond of machinery for an answer with no body. Here it is asked on a keep-alive
connection of the pre-pass's small client (crawler.revalidate), and only a clean answer is
kept. Anything else (another status, a redirect, an answer not believed, a fault, no answer
within a short wait) is handed back to the crawl, which asks again as it always does: retries
and backoff, GET instead of HEAD, soft-404s, redirect chains. Every link's outcome is decided
as before; only the clean ones cost less.

Only servers the crawl has already had an HTTP answer from (a name that resolves, a port that
speaks HTTP) and that are reached without a proxy are asked here. A connection is taken out of
the server's download slot while it is used, and only when the slot has room (crawler.downloader
lends it), so the crawl and these checks together keep to the server's limit; each request
waits out the slot's AutoThrottle delay like the crawl's own. A server that times out or fails
a few times in a row, or whose answers are mostly handed back (everything redirects, HEAD
refused), is asked nothing more here.

Pages of those servers are read here too (``submit_page``): the whole answer is read on the same
connections, within the crawl's timeout, and made into the response Scrapy would have made
(crawler.pageanswers). The crawl sends a plain one to its callback and any other answer, or the
read's failure (a timeout, a lost connection), through its download middlewares, which retry it
as they retry their own. A read that has waited as long as a stuck request of the crawl's
(crawler.stuck) says so: its connection then counts as stuck, and the crawl starts its second
try at once. An answer this client does not read (an unknown transfer coding) is handed back
unread: the crawl asks for it.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.request import getproxies

from scrapy import Request
from scrapy.core.downloader import Slot
from scrapy.exceptions import DownloadFailedError, DownloadTimeoutError, ResponseDataLossError
from scrapy.http import Response

from crawler.downloader import Lent, PoliteDownloader
from crawler.pageanswers import (
    decoded,
    is_plain,
    make_response,
    may_send_on,
    page_request_bytes,
    wants_body,
)
from crawler.revalidate import (
    Answer,
    Candidate,
    HeadConnection,
    Limits,
    Origin,
    clean_answer,
    exchange,
    reached_directly,
    request_bytes,
    tls_context,
)

log = logging.getLogger(__name__)

MAX_FAULTS = 3  # timeouts or failed connections in a row before a server is left to the crawl
# After this many answers, a server whose answers are mostly handed back is left to the crawl.
JUDGED_AFTER = 20

# (URL key, URL as linked, the clean answer or None: handed back to the crawl, and the status
# that the server answered then, if it answered)
Outcome = tuple[str, str, Answer | None, int | None]


@dataclass(frozen=True)
class PageOutcome:
    """A page read, or handed back unread (``response`` None: the crawl asks it)."""

    request: Request
    response: Response | None = None
    plain: bool = False  # straight to the callback; else through the download middlewares
    latency: float = 0.0  # seconds its server took to answer
    # The download's failure (a timeout, a connection lost), to go through the middlewares.
    error: Exception | None = None
    # Not an outcome: its request has been in flight as long as a stuck one of the crawl's
    # (crawler.stuck); the outcome follows.
    stuck: bool = False


# Pages read and not yet taken by the crawl, at most: reading stops while the crawl catches up.
MAX_PAGES_READY = 64
ROOM_POLL_SECONDS = 0.1  # servers waiting for room in their slot are looked at again this often


@dataclass
class _Job:
    key: str
    shown: str
    request: bytes
    page: Request | None = None  # a page read by GET (the crawl's request for it); else a HEAD


@dataclass
class _Server:
    origin: Origin
    slot_key: str
    queue: deque[_Job] = field(default_factory=deque)
    workers: int = 0
    faults: int = 0
    answered: int = 0
    handed: int = 0

    @property
    def retired(self) -> bool:
        if self.faults >= MAX_FAULTS:
            return True
        return self.answered >= JUDGED_AFTER and 2 * self.handed > self.answered


class QuickChecks:
    """HEAD checks and page reads on servers known to answer (see the module)."""

    def __init__(
        self,
        downloader: Callable[[], PoliteDownloader | None],
        limits: Limits,
        wait: float,
        deliver: Callable[[], None],
        use_proxies: bool = True,
        max_body: int = 32 * 1024 * 1024,
        stuck_after: Callable[[str], float | None] | None = None,
        stopping: Callable[[], bool] = lambda: False,
    ) -> None:
        self.downloader = downloader
        self.limits = limits
        self.wait = min(wait, limits.timeout)  # for an answer, before handing it back
        self.deliver = deliver  # called when outcomes wait in ``done``
        self.proxies = getproxies() if use_proxies else {}
        self.known: dict[Origin, bool] = {}  # servers that answered the crawl: asked directly?
        self.servers: dict[Origin, _Server] = {}
        self.waiting: set[Origin] = set()  # servers with checks queued and no room to ask them
        self.done: list[Outcome] = []
        self.pages_done: list[PageOutcome] = []
        self.max_body = max_body
        self.checks_settled = 0  # clean HEAD answers kept
        self.pages_read = 0  # pages answered here (plain or through the middlewares)
        self.pages_plain = 0
        # Seconds after which a page's request is stuck (None: never said to be).
        self.stuck_after = stuck_after or (lambda _: None)
        self.stopping = stopping  # the crawl is stopping: what is queued here is dropped
        self.tasks: set[asyncio.Task[None]] = set()
        self.poll: asyncio.TimerHandle | None = None  # the next pump() while servers wait
        self.tls: ssl.SSLContext | None = None
        self.closed = False

    def answered(self, origin: Origin | None) -> None:
        """The crawl had an HTTP answer from this server."""
        if origin is not None and origin not in self.known:
            self.known[origin] = reached_directly(origin, self.proxies)

    def submit(
        self, key: str, shown: str, origin: Origin | None, slot_key: str, referer: str | None = None
    ) -> bool:
        """Take the check of ``key`` (already percent-encoded), or False: the crawl asks."""
        if origin is None or not self.can_read(origin):
            return False
        request = request_bytes(Candidate(key, "HEAD"), origin, self.limits.user_agent, referer)
        if request is None:
            return False
        self._queue(origin, slot_key, _Job(key, shown, request))
        return True

    def can_read(self, origin: Origin | None) -> bool:
        """Whether this server is asked here (a check by ``submit``, a page by ``submit_page``)."""
        if self.closed or origin is None or not self.known.get(origin):
            return False
        server = self.servers.get(origin)
        return server is None or not server.retired

    def submit_page(
        self, page: Request, origin: Origin, slot_key: str, headers: list[tuple[str, str]]
    ) -> bool:
        """Take the reading of a page (its request as the crawl would send it, with these
        headers), or False: the crawl reads it."""
        if not self.can_read(origin):
            return False
        request = page_request_bytes(page, origin, headers)
        if request is None:
            return False
        self._queue(origin, slot_key, _Job(page.url, page.url, request, page))
        return True

    def _queue(self, origin: Origin, slot_key: str, job: _Job) -> None:
        server = self.servers.get(origin)
        if server is None:
            server = self.servers[origin] = _Server(origin, slot_key)
        server.queue.append(job)
        self._start(server)

    @property
    def busy(self) -> bool:
        """Checks queued or under way, or outcomes not yet taken by the crawl."""
        return bool(
            self.tasks
            or self.done
            or self.pages_done
            or any(s.queue for s in self.servers.values())
        )

    def take(self) -> list[Outcome]:
        done, self.done = self.done, []
        return done

    def take_pages(self) -> list[PageOutcome]:
        """Pages read (or handed back); reading goes on where it waited for the crawl."""
        done, self.pages_done = self.pages_done, []
        if done:
            self.pump()
        return done

    def pump(self) -> None:
        """Start work that waited for room in its server's slot."""
        if self.poll is not None:
            self.poll.cancel()
            self.poll = None
        waiting, self.waiting = self.waiting, set()
        for origin in waiting:
            self._start(self.servers[origin])

    def close(self) -> None:
        """Stop: what is queued or under way is dropped (no outcome, as a dropped request)."""
        self.closed = True
        if self.poll is not None:
            self.poll.cancel()
        for server in self.servers.values():
            server.queue.clear()
        self.done.clear()
        self.pages_done.clear()
        for task in list(self.tasks):
            task.cancel()

    # ------------------------------------------------------------------ work

    def _start(self, server: _Server) -> None:
        if self.stopping():
            self.close()
        while server.queue and not self.closed:
            if server.retired or self._refusing(server):
                self._hand_back_all(server)
                return
            if self._pages_wait(server):
                return
            lent = self._connection_for(server)
            if lent is None:
                self._wait_for_room(server)
                return
            server.workers += 1
            task = asyncio.get_event_loop().create_task(self._work(server, lent))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    def _connection_for(self, server: _Server) -> list[Lent] | None:
        downloader = self.downloader()
        if downloader is None:
            return None
        slot = downloader.slots.get(server.slot_key)
        if slot is not None:
            if slot.free_transfer_slots() <= 0:
                return None
            if slot.queue and server.workers >= max(1, slot.concurrency // 2):
                return None  # the crawl has requests waiting for this server: share it
        url = f"{server.origin.scheme}://{server.origin.host_header}/"
        return downloader.lend(server.slot_key, url, 1)

    def _wait_for_room(self, server: _Server) -> None:
        """pump() tries again when a request of the crawl's ends, and in any case soon: room is
        also made by the crawl's stuck requests (crawler.stuck), with no request ending."""
        self.waiting.add(server.origin)
        if self.poll is None:
            self.poll = asyncio.get_event_loop().call_later(ROOM_POLL_SECONDS, self.pump)

    def _pages_wait(self, server: _Server) -> bool:
        """The next job is a page and enough pages wait for the crawl: not now (take_pages)."""
        if server.queue[-1].page is None or len(self.pages_done) < MAX_PAGES_READY:
            return False
        self.waiting.add(server.origin)
        return True

    async def _work(self, server: _Server, lent: list[Lent]) -> None:
        connection: HeadConnection | None = None
        try:
            while server.queue and not server.retired and not self.closed:
                if self.stopping():
                    self.close()
                    break
                if self._pages_wait(server):
                    break
                if self._refusing(server):
                    self._hand_back_all(server)
                    break
                job = server.queue.pop()  # newest first, as the crawl's own queue
                try:
                    await self._pace(server)
                    if job.page is None:
                        answer, status, connection = await self._ask(server, connection, job)
                        self.done.append((job.key, job.shown, answer, status))
                    else:
                        outcome, connection = await self._read(
                            server, connection, job, job.page, lent
                        )
                        self.pages_done.append(outcome)
                except Exception:  # a fault of this client, not of the link: the crawl asks
                    log.exception("quick check of %s failed; left to the crawl", job.key)
                    if connection is not None:
                        connection.close()
                        connection = None
                    if job.page is None:
                        self.done.append((job.key, job.shown, None, None))
                    else:
                        self.pages_done.append(PageOutcome(job.page))
                self.deliver()
        finally:
            if connection is not None:
                connection.close()
            server.workers -= 1
            downloader = self.downloader()
            if downloader is not None:
                # Closed too: the slot's queued requests wait for these connections (a stopping
                # crawl drops them then; kept, they would keep it from closing).
                downloader.give_back(server.slot_key, lent)
            if server.retired:
                self._hand_back_all(server)
            elif not self.closed:
                self._start(server)

    async def _pace(self, server: _Server) -> None:
        """Wait out the slot's delay since its last request (the crawl's or ours)."""
        downloader = self.downloader()
        slot: Slot | None = downloader.slots.get(server.slot_key) if downloader else None
        if slot is None:
            return
        while (delay := slot.download_delay()) and (
            pause := slot.lastseen + delay - time.monotonic()
        ) > 0:
            await asyncio.sleep(pause)
        slot.lastseen = time.monotonic()

    async def _ask(
        self, server: _Server, connection: HeadConnection | None, job: _Job
    ) -> tuple[Answer | None, int | None, HeadConnection | None]:
        head, connection, _ = await exchange(
            connection, lambda: self._open(server), job.request, self.wait
        )
        if head is None:
            server.faults += 1
            return None, None, None
        assert connection is not None
        server.faults = 0
        server.answered += 1
        answer = clean_answer(Candidate(job.key, "HEAD"), head)
        if answer is None or not head.reusable or connection.buffer:
            connection.close()
        if answer is None:
            server.handed += 1
        else:
            self.checks_settled += 1
        return answer, head.status, connection

    async def _read(
        self,
        server: _Server,
        connection: HeadConnection | None,
        job: _Job,
        page: Request,
        lent: list[Lent],
    ) -> tuple[PageOutcome, HeadConnection | None]:
        """Read a page within the crawl's timeout; said to be stuck, as a request of the
        crawl's would be, once it has waited that long for its answer."""
        timeout = self.limits.timeout
        started = time.monotonic()
        stuck_after = self.stuck_after(server.slot_key)
        timer = None
        if stuck_after is not None and stuck_after < timeout:
            timer = asyncio.get_running_loop().call_later(stuck_after, self._stuck, page, lent)
        try:
            head, connection, failure = await exchange(
                connection, lambda: self._open(server), job.request, timeout
            )
        finally:
            if timer is not None:
                timer.cancel()
            for connection_lent in lent:
                connection_lent.stuck = False
        if head is None:
            server.faults += 1
            if failure == "timeout":
                return PageOutcome(page, error=_timeout(page, timeout)), None
            if failure == "failed":
                return PageOutcome(page, error=DownloadFailedError("no answer")), None
            return PageOutcome(page), None  # no connection: the crawl asks, and says why
        assert connection is not None
        latency = time.monotonic() - started
        server.faults = 0
        server.answered += 1
        body_skipped = not wants_body(head)
        try:
            if body_skipped:
                body, reusable = b"", False  # not read: the connection goes with it
            else:
                async with asyncio.timeout(max(0.0, started + timeout - time.monotonic())):
                    body, reusable = await connection.read_body(head, "GET", self.max_body)
        except TimeoutError:
            connection.close()
            return PageOutcome(page, error=_timeout(page, timeout)), None
        except (ConnectionError, OSError) as lost:
            connection.close()
            return PageOutcome(page, error=ResponseDataLossError(str(lost))), None
        except ValueError:  # not an answer this client reads: the crawl asks, in full
            connection.close()
            server.handed += 1
            return PageOutcome(page), None
        if not reusable:
            connection.close()
            connection = None
        plain = is_plain(head)
        if plain:
            plain_body = decoded(head, body, self.max_body)
            if plain_body is None or may_send_on(plain_body):
                plain = False
            else:
                body = plain_body
        response = make_response(page, head, body, body_skipped, plain)
        self.pages_read += 1
        self.pages_plain += plain
        return PageOutcome(page, response, plain, latency), connection

    def _stuck(self, page: Request, lent: list[Lent]) -> None:
        for connection_lent in lent:
            connection_lent.stuck = True  # counts as a stuck request of the server's
        self.pages_done.append(PageOutcome(page, stuck=True))
        self.deliver()

    async def _open(self, server: _Server) -> HeadConnection | None:
        origin = server.origin
        secure = origin.scheme == "https"
        if secure and self.tls is None:
            self.tls = tls_context()
        try:
            async with asyncio.timeout(self.wait):
                _, connection = await asyncio.get_running_loop().create_connection(
                    HeadConnection,
                    origin.host,
                    origin.port,
                    ssl=self.tls if secure else None,
                    server_hostname=origin.host if secure else None,
                )
        except (TimeoutError, OSError, ssl.SSLError):
            return None
        return connection

    def _refusing(self, server: _Server) -> bool:
        """Whether the server refuses us (a 403 burst, a ban: crawler.refusals): its work is
        the crawl's then, paced and retried there (asked here, it would take every turn)."""
        downloader = self.downloader()
        if downloader is None:
            return False
        watch = downloader.refusals
        return watch.limiting(server.slot_key) or watch.given_up(server.slot_key)

    def _hand_back_all(self, server: _Server) -> None:
        if not server.queue:
            return
        while server.queue:
            job = server.queue.popleft()
            if job.page is None:
                self.done.append((job.key, job.shown, None, None))
            else:
                self.pages_done.append(PageOutcome(job.page))
        self.deliver()


def _timeout(page: Request, timeout: float) -> DownloadTimeoutError:
    return DownloadTimeoutError(f"Getting {page.url} took longer than {timeout} seconds.")
