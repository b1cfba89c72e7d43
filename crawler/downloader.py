"""Scrapy's downloader, with each server's concurrency limit kept exactly.

Scrapy 2.19 on the asyncio reactor starts a queued request by creating a task, and the request
counts as transferring only when that task first runs; the loop that starts requests while the
slot has room therefore starts every request queued at that moment. Requests that arrive
together (the links of one page) all went to the server at once, whatever
``CONCURRENT_REQUESTS_PER_DOMAIN`` said. Here a request counts as transferring from the moment
it leaves the slot's queue, so that loop stops when the slot is full. The queue also keeps
the requests' priorities (Scrapy's serves them in arrival order).

Scrapy also counts a request waiting in its server's queue against ``CONCURRENT_REQUESTS``, as
if it were under way. A backlog for one server (the links that failed last night, rechecked
first) then filled the downloader, and the homepage and the columns' list pages waited in the
scheduler behind it, though their server's queue would have served them first: 2-3 s of a
20k-page site's second night. Here ``CONCURRENT_REQUESTS`` bounds the requests under way, as
its name says, and those waiting for their server are bounded on their own, at
``QUEUED_PER_CONCURRENT`` times as many.

A stopping crawl (SIGTERM, a time limit) waits for every request it has handed to the
downloader, including those still queued for their server: with a few hundred queued behind a
slow server, a stop took as long as the crawl. Once the crawl stops, a queued request is dropped
(``DroppedAtStop``, never sent, no outcome recorded) as soon as its server's queue moves.

A nightly crawl's pre-pass (crawler.revalidate) asks the same servers on connections of its own
while the crawl begins. Those connections are *lent* out of each server's slot (a placeholder
per connection in the slot's transferring set) until the pre-pass ends: the crawl and the
pre-pass together keep to the server's limit.
"""

from __future__ import annotations

import heapq
import itertools
from collections import Counter
from collections.abc import Iterator
from typing import Any

from scrapy import Spider
from scrapy.core.downloader import Downloader, Slot
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request, Response
from twisted.python.failure import Failure

from crawler.refusals import RefusalWatch


class DroppedAtStop(IgnoreRequest):
    """A request still waiting for its server when the crawl stopped: it was never sent."""


def crawl_is_stopping(crawler: Crawler) -> bool:
    """Whether the engine is stopping (a signal) or closing the spider (finished, time limit).

    Scrapy has no public flag for the second; its engine slot's ``closing`` is read here."""
    engine = crawler.engine
    if engine is None:
        return False
    slot = getattr(engine, "_slot", None)
    return not engine.running or getattr(slot, "closing", None) is not None


def polite_downloader(crawler: Crawler) -> PoliteDownloader | None:
    """The crawl's downloader, once the crawl has started (None before, or another kind)."""
    try:
        engine = crawler.engine
    except RuntimeError:  # Scrapy 2.14+: not set until the crawl starts
        return None
    downloader = engine.downloader if engine is not None else None
    return downloader if isinstance(downloader, PoliteDownloader) else None


QUEUED_PER_CONCURRENT = 8
# Keys of PoliteDownloader.waiting: requests in their servers' queues, and retries waiting out
# their backoff in crawler.middlewares (handed over, not yet queued).
QUEUED = "queued"
BACKOFF = "backoff"


class TransferQueue:
    """A slot's queue in priority order (first come first within a priority), whose requests
    count against the slot as soon as they are taken.

    Scrapy's own queue is first come first served: a homepage requested after a backlog of
    rechecks for the same server waited behind all of them."""

    def __init__(self, slot: Slot, waiting: Counter[str]) -> None:
        self.slot = slot
        self.waiting = waiting  # the downloader's count of queued requests, all slots
        self.heap: list[tuple[int, int, Request, Any]] = []
        self.added = itertools.count()
        for request, deferred in slot.queue:
            self.append((request, deferred))

    def append(self, entry: tuple[Request, Any]) -> None:
        request, deferred = entry
        heapq.heappush(self.heap, (-request.priority, next(self.added), request, deferred))
        self.waiting[QUEUED] += 1

    def popleft(self) -> tuple[Request, Any]:
        _, _, request, deferred = heapq.heappop(self.heap)
        self.waiting[QUEUED] -= 1
        self.slot.transferring.add(request)  # Scrapy adds it again (a set) and removes it once
        request.meta[ASKED_ALONE] = len(self.slot.transferring) == 1
        return request, deferred

    def clear(self) -> None:
        self.waiting[QUEUED] -= len(self.heap)
        self.heap.clear()

    def __iter__(self) -> Iterator[tuple[Request, Any]]:
        return ((request, deferred) for _, _, request, deferred in sorted(self.heap))

    def __len__(self) -> int:
        return len(self.heap)

    def __bool__(self) -> bool:
        return bool(self.heap)


class Lent:
    """A connection of a server's slot lent to the small client (not a request). ``stuck``: its
    request has gone unanswered as long as a stuck request of the crawl's (crawler.stuck)."""

    __slots__ = ("stuck",)

    def __init__(self) -> None:
        self.stuck = False


# meta: the request went while nothing else of this process was in flight to its server
ASKED_ALONE = "gw_asked_alone"
NOT_ASKED = "gw_not_asked"  # meta: a request to a server that banned us, answered unasked


def not_asked(request: Request) -> Response:
    """The answer to a request not sent: its server refused everything for longer than we
    wait (crawler.refusals), so a refusal, marked as not asked."""
    request.meta[NOT_ASKED] = True
    return Response(request.url, status=403, request=request)


class PoliteDownloader(Downloader):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self.lending: Counter[str] = Counter()  # slot key → lends outstanding (slots kept)
        self.waiting: Counter[str] = Counter()  # QUEUED and BACKOFF requests
        self.single: set[int] = set()  # ids of slots asked one request at a time (refusals)
        # servers that refuse us for asking too fast
        self.refusals = RefusalWatch(
            crawler.settings.getfloat("GOVWATCH_REFUSAL_MIN_DELAY"),
            crawler.settings.getfloat("AUTOTHROTTLE_MAX_DELAY"),
            crawler.settings.getfloat("GOVWATCH_BAN_WAIT"),
        )

    def one_at_a_time(self, slot_key: str) -> None:
        """A server refusing us for asking too fast (crawler.refusals) is asked one request at
        a time by this process while it does, its own concurrency again once cleared: a
        connection limiter (nginx ``limit_conn``) refuses the next request in flight whatever
        the pace, and a rate limiter gains nothing from more."""
        slot = self.slots.get(slot_key)
        if slot is None:
            return
        if self.refusals.limiting(slot_key):
            self.single.add(id(slot))
            slot.concurrency = min(slot.concurrency, 1)
        elif id(slot) in self.single:
            self.single.discard(id(slot))  # crawler.stuck gives it its own concurrency again

    def concurrency_of(self, slot: Slot, own: int) -> int:
        """The concurrency a slot gets now, ``own`` its configured one (crawler.stuck adds
        its stuck requests to it): one for a server that refuses us for asking too fast."""
        return 1 if id(slot) in self.single else own

    def needs_backout(self) -> bool:
        """Whether the engine waits before it hands over another request: when as many as
        CONCURRENT_REQUESTS are under way, or QUEUED_PER_CONCURRENT times as many wait (for
        their servers, or out a retry's backoff)."""
        if self.total_concurrency <= 0:
            return False
        waiting = self.waiting[QUEUED] + self.waiting[BACKOFF]
        return (
            len(self.active) - waiting >= self.total_concurrency
            or waiting >= QUEUED_PER_CONCURRENT * self.total_concurrency
        )

    def lend(self, slot_key: str, url: str, count: int) -> list[Lent]:
        """Take ``count`` connections out of the slot of ``url``'s server (created if new)."""
        _, slot = self._get_slot(Request(url, meta={self.DOWNLOAD_SLOT: slot_key}))
        lent = [Lent() for _ in range(count)]
        slot.transferring.update(lent)  # type: ignore[arg-type]
        self.lending[slot_key] += 1
        return lent

    def give_back(self, slot_key: str, lent: list[Lent]) -> None:
        self.lending[slot_key] -= 1
        if self.lending[slot_key] <= 0:
            del self.lending[slot_key]
        slot = self.slots.get(slot_key)
        if slot is None:
            return
        slot.transferring.difference_update(lent)
        self._process_queue(slot)  # start what waited for those connections

    def _slot_gc(self, age: float = 60) -> None:
        """Scrapy drops a slot idle for a minute; one with connections lent out is kept (a
        new slot in its place would not know of them)."""
        kept = {key: self.slots.pop(key) for key in self.lending if key in self.slots}
        try:
            super()._slot_gc(age)
        finally:
            self.slots.update(kept)
            self.single &= {id(slot) for slot in self.slots.values()}  # ids may be reused

    def _process_queue(self, slot: Slot) -> None:
        if slot.queue and crawl_is_stopping(self.crawler):
            dropped = list(slot.queue)
            slot.queue.clear()
            for request, deferred in dropped:
                deferred.errback(Failure(DroppedAtStop(f"crawl stopping: {request.url}")))  # type: ignore[no-untyped-call]
        elif slot.queue and self.refusals.any_given_up:
            key = next((k for k, s in self.slots.items() if s is slot), None)
            if key is not None and self.refusals.given_up(key):
                # queued before the server was given up: answered unasked too, not sent
                waiting = list(slot.queue)
                slot.queue.clear()
                for request, deferred in waiting:
                    deferred.callback(not_asked(request))
        super()._process_queue(slot)

    def _get_slot(self, request: Request, spider: Spider | None = None) -> tuple[str, Slot]:
        key, slot = super()._get_slot(request)
        if not isinstance(slot.queue, TransferQueue):
            slot.queue = TransferQueue(slot, self.waiting)  # type: ignore[assignment]
        return key, slot
