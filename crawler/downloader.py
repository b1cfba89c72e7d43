"""Scrapy's downloader, with each server's concurrency limit kept exactly.

Scrapy 2.19 on the asyncio reactor starts a queued request by creating a task, and the request
counts as transferring only when that task first runs; the loop that starts requests while the
slot has room therefore starts every request queued at that moment. Requests that arrive
together (the links of one page) all went to the server at once, whatever
``CONCURRENT_REQUESTS_PER_DOMAIN`` said. Here a request counts as transferring from the moment
it leaves the slot's queue, so that loop stops when the slot is full.

A stopping crawl (SIGTERM, a time limit) waits for every request it has handed to the
downloader, including those still queued for their server: with a few hundred queued behind a
slow server, a stop took as long as the crawl. Once the crawl stops, a queued request is dropped
(``DroppedAtStop``, never sent, no outcome recorded) as soon as its server's queue moves.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from scrapy import Spider
from scrapy.core.downloader import Downloader, Slot
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Request
from twisted.python.failure import Failure


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


class TransferQueue(deque[tuple[Request, Any]]):
    """A slot's queue whose requests count against the slot as soon as they are taken."""

    def __init__(self, slot: Slot) -> None:
        super().__init__(slot.queue)
        self.slot = slot

    def popleft(self) -> tuple[Request, Any]:
        entry = super().popleft()
        self.slot.transferring.add(entry[0])  # Scrapy adds it again (a set) and removes it once
        return entry


class PoliteDownloader(Downloader):
    def _process_queue(self, slot: Slot) -> None:
        if slot.queue and crawl_is_stopping(self.crawler):
            dropped = list(slot.queue)
            slot.queue.clear()
            for request, deferred in dropped:
                deferred.errback(Failure(DroppedAtStop(f"crawl stopping: {request.url}")))
        super()._process_queue(slot)

    def _get_slot(self, request: Request, spider: Spider | None = None) -> tuple[str, Slot]:
        key, slot = super()._get_slot(request)
        if not isinstance(slot.queue, TransferQueue):
            slot.queue = TransferQueue(slot)
        return key, slot
