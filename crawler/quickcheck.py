"""Link checks the crawl settles without Scrapy: a HEAD that answers cleanly.

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

from scrapy.core.downloader import Slot

from crawler.downloader import Lent, PoliteDownloader
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


@dataclass
class _Server:
    origin: Origin
    slot_key: str
    queue: deque[tuple[str, str, bytes]] = field(default_factory=deque)
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
    """HEAD checks on servers known to answer, settled here when clean (see the module)."""

    def __init__(
        self,
        downloader: Callable[[], PoliteDownloader | None],
        limits: Limits,
        wait: float,
        deliver: Callable[[], None],
        use_proxies: bool = True,
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
        self.tasks: set[asyncio.Task[None]] = set()
        self.tls: ssl.SSLContext | None = None
        self.closed = False

    def answered(self, origin: Origin | None) -> None:
        """The crawl had an HTTP answer from this server."""
        if origin is not None and origin not in self.known:
            self.known[origin] = reached_directly(origin, self.proxies)

    def submit(self, key: str, shown: str, origin: Origin | None, slot_key: str) -> bool:
        """Take the check of ``key`` (already percent-encoded), or False: the crawl asks."""
        if self.closed or origin is None or not self.known.get(origin):
            return False
        server = self.servers.get(origin)
        if server is None:
            server = self.servers[origin] = _Server(origin, slot_key)
        if server.retired:
            return False
        request = request_bytes(Candidate(key, "HEAD"), origin, self.limits.user_agent)
        if request is None:
            return False
        server.queue.append((key, shown, request))
        self._start(server)
        return True

    @property
    def busy(self) -> bool:
        """Checks queued or under way, or outcomes not yet taken by the crawl."""
        return bool(self.tasks or self.done or any(s.queue for s in self.servers.values()))

    def take(self) -> list[Outcome]:
        done, self.done = self.done, []
        return done

    def pump(self) -> None:
        """Start work that waited for room in its server's slot."""
        waiting, self.waiting = self.waiting, set()
        for origin in waiting:
            self._start(self.servers[origin])

    def close(self) -> None:
        """Stop: what is queued or under way is dropped (no outcome, as a dropped request)."""
        self.closed = True
        for server in self.servers.values():
            server.queue.clear()
        self.done.clear()
        for task in list(self.tasks):
            task.cancel()

    # ------------------------------------------------------------------ work

    def _start(self, server: _Server) -> None:
        while server.queue and not self.closed:
            if server.retired:
                self._hand_back_all(server)
                return
            lent = self._connection_for(server)
            if lent is None:
                self.waiting.add(server.origin)  # pump() tries again when requests end
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

    async def _work(self, server: _Server, lent: list[Lent]) -> None:
        connection: HeadConnection | None = None
        try:
            while server.queue and not server.retired and not self.closed:
                key, shown, request = server.queue.popleft()
                try:
                    await self._pace(server)
                    answer, status, connection = await self._ask(server, connection, request, key)
                except Exception:  # a fault of this client, not of the link: the crawl asks
                    log.exception("quick check of %s failed; left to the crawl", key)
                    answer, status = None, None
                self.done.append((key, shown, answer, status))
                self.deliver()
        finally:
            if connection is not None:
                connection.close()
            server.workers -= 1
            downloader = self.downloader()
            if downloader is not None and not self.closed:
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
        self, server: _Server, connection: HeadConnection | None, request: bytes, key: str
    ) -> tuple[Answer | None, int | None, HeadConnection | None]:
        head, connection, _ = await exchange(
            connection, lambda: self._open(server), request, self.wait
        )
        if head is None:
            server.faults += 1
            return None, None, None
        assert connection is not None
        server.faults = 0
        server.answered += 1
        answer = clean_answer(Candidate(key, "HEAD"), head)
        if answer is None or not head.reusable or connection.buffer:
            connection.close()
        if answer is None:
            server.handed += 1
        return answer, head.status, connection

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

    def _hand_back_all(self, server: _Server) -> None:
        if not server.queue:
            return
        while server.queue:
            key, shown, _ = server.queue.popleft()
            self.done.append((key, shown, None, None))
        self.deliver()
