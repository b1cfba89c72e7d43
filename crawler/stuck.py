"""Requests stuck on a server do not starve the rest of its site.

Per-server concurrency keeps a small government server from being overloaded: at most
``CONCURRENT_REQUESTS_PER_DOMAIN`` requests are in flight to it. A URL that hangs (the server
accepts the request and never answers) holds one of those for the whole timeout, twice with its
retry; a site with a dozen such URLs loses most of its allowance to them while the server answers
everything else in milliseconds (a nightly re-check of last night's timeouts does nothing else
for its first seconds).

A request is *stuck* when it has been in flight much longer than its server usually takes:
longer than ``GOVWATCH_STUCK_AFTER`` seconds and than ``STUCK_LATENCY_FACTOR`` times the
server's typical latency (a low quantile of its recent answers; nothing is stuck on a server that
has not answered yet, but last night's timeouts). A stuck request is not load
the server is working through, so it stops counting against the server's concurrency, up to
``GOVWATCH_STUCK_ALLOWANCE`` stuck requests per server; beyond that they count again. A server
that is slow for everything never has stuck requests (its typical latency is slow too).

A stuck request is also tried again at once (after the retry's backoff) rather than after its
timeout: the spider's ``hedge`` makes that second try, if the request would be retried after a
timeout at all, and the first answer of the two is its outcome (a failure counts only once both
have failed). A URL that hangs then costs its timeout and a bit, not two timeouts and a
backoff: the last such URL a crawl finds no longer keeps it waiting for 11 s after everything
else is done.

A nightly crawl checks last night's timeouts again first. Such a request (``HUNG_BEFORE`` in
its meta) counts as stuck from the moment it is in flight, within the same allowance: a dozen of
them no longer take turns at the server's few connections for seconds each, while a server that
has recovered answers them in milliseconds.
"""

from __future__ import annotations

import time
from collections import deque

from scrapy import Spider, signals
from scrapy.core.downloader import Downloader, Slot
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from twisted.internet import task

from crawler.downloader import Lent, PoliteDownloader, crawl_is_stopping
from crawler.throttle import WINDOW, robust_latency

TICK_SECONDS = 0.25
# Request meta: the URL (not a redirect's) that timed out in every try last time.
HUNG_BEFORE = "gw_hung_before"
# Request meta: the URL of a stuck request this request is the second try of (its URL hangs now);
# counted as stuck from the start too, within the same allowance.
SECOND_TRY = "gw_second_try"
STUCK_LATENCY_FACTOR = 8.0


class SlotWatch:
    """One server's slot: its configured concurrency, latencies, and requests seen in flight."""

    def __init__(self, slot: Slot) -> None:
        self.slot = slot
        self.base = slot.concurrency
        self.latencies: deque[float] = deque(maxlen=WINDOW)
        self.seen: dict[Request, float] = {}  # request in flight → when first seen
        self.stuck = 0
        self.hedged: set[Request] = set()  # stuck requests already offered a second try

    def stuck_threshold(self, minimum: float) -> float:
        if not self.latencies:
            return minimum
        return max(minimum, STUCK_LATENCY_FACTOR * robust_latency(self.latencies))

    def count_stuck(self, now: float, minimum: float) -> int:
        # Requests, and the small client's connections that it found stuck (crawler.quickcheck);
        # the others lent to it (the pre-pass's, its quick checks') are not stuck.
        in_flight = {r for r in self.slot.transferring if isinstance(r, Request)}
        lent_stuck = sum(1 for r in self.slot.transferring if isinstance(r, Lent) and r.stuck)
        self.seen = {request: since for request, since in self.seen.items() if request in in_flight}
        for request in in_flight:
            self.seen.setdefault(request, now)
        self.hedged &= in_flight
        threshold = self.stuck_threshold(minimum)
        return lent_stuck + sum(
            1
            for request, since in self.seen.items()
            if (self.latencies and now - since >= threshold)
            or request.meta.get(HUNG_BEFORE) == request.url
            or request.meta.get(SECOND_TRY) == request.url
        )

    def newly_stuck(self, now: float, minimum: float) -> list[Request]:
        """Stuck requests (by time) not offered a second try yet; they are marked offered.
        None before the server has answered once: a slow server's first requests are not
        stuck, they are its pace (it was sent twice its limit before its first answer)."""
        if not self.latencies:
            return []
        threshold = self.stuck_threshold(minimum)
        found = [
            request
            for request, since in self.seen.items()
            if now - since >= threshold and request not in self.hedged
        ]
        self.hedged.update(found)
        return found


class StuckRequests:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.allowance = settings.getint("GOVWATCH_STUCK_ALLOWANCE")
        if self.allowance <= 0:
            raise NotConfigured
        self.after = settings.getfloat("GOVWATCH_STUCK_AFTER")
        self.hedges = settings.getbool("GOVWATCH_HEDGE_STUCK")
        self.crawler = crawler
        self.base_total = settings.getint("CONCURRENT_REQUESTS")
        self.watches: dict[int, SlotWatch] = {}  # by id(slot); the watch keeps its slot
        self.loop: task.LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StuckRequests:
        extension = cls(crawler)
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        crawler.signals.connect(extension.downloaded, signal=signals.response_downloaded)
        return extension

    def opened(self, spider: Spider) -> None:
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(TICK_SECONDS, now=False)

    def closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()

    def stuck_after(self, slot_key: str) -> float:
        """Seconds after which a request to this server is stuck (its usual latency allowing)."""
        engine = self.crawler.engine
        slot = engine.downloader.slots.get(slot_key) if engine is not None else None
        watch = self.watches.get(id(slot)) if slot is not None else None
        if watch is None or watch.slot is not slot:
            return self.after
        return watch.stuck_threshold(self.after)

    def downloaded(self, response: Response, request: Request, spider: Spider) -> None:
        latency = request.meta.get("download_latency")
        slot = self._downloader().slots.get(request.meta.get("download_slot", ""))
        if latency is not None and slot is not None:
            self._watch(slot).latencies.append(latency)

    def tick(self) -> None:
        downloader = self._downloader()
        now = time.monotonic()
        live = {id(slot) for slot in downloader.slots.values()}
        self.watches = {key: w for key, w in self.watches.items() if key in live}
        total_stuck = 0
        for slot in list(downloader.slots.values()):
            if not slot.transferring and id(slot) not in self.watches:
                continue
            watch = self._watch(slot)
            while True:  # what starts may be stuck from the start (HUNG_BEFORE): count again
                watch.stuck = min(self.allowance, watch.count_stuck(now, self.after))
                base = watch.base
                if isinstance(downloader, PoliteDownloader):  # a limiter's: one at a time
                    base = downloader.concurrency_of(slot, base)
                concurrency = base + watch.stuck
                if concurrency == slot.concurrency:
                    break
                grew = concurrency > slot.concurrency
                slot.concurrency = concurrency
                if not (grew and slot.queue):
                    break
                downloader._process_queue(slot)  # start what was waiting for the slot
            total_stuck += watch.stuck
            if self.hedges:
                self._hedge(watch.newly_stuck(now, self.after))
        if self.base_total:
            downloader.total_concurrency = self.base_total + total_stuck

    def _hedge(self, stuck: list[Request]) -> None:
        engine = self.crawler.engine
        hedge = getattr(self.crawler.spider, "hedge", None)
        if engine is None or hedge is None or crawl_is_stopping(self.crawler):
            return
        for request in stuck:
            second = hedge(request)
            if second is not None:
                engine.crawl(second)

    def _watch(self, slot: Slot) -> SlotWatch:
        watch = self.watches.get(id(slot))
        if watch is None or watch.slot is not slot:
            watch = self.watches[id(slot)] = SlotWatch(slot)
        return watch

    def _downloader(self) -> Downloader:
        engine = self.crawler.engine
        assert engine is not None
        return engine.downloader
