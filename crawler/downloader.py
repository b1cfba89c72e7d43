"""Scrapy's downloader, with each server's concurrency limit kept exactly.

Scrapy 2.19 on the asyncio reactor starts a queued request by creating a task, and the request
counts as transferring only when that task first runs; the loop that starts requests while the
slot has room therefore starts every request queued at that moment. Requests that arrive
together (the links of one page) all went to the server at once, whatever
``CONCURRENT_REQUESTS_PER_DOMAIN`` said. Here a request counts as transferring from the moment
it leaves the slot's queue, so that loop stops when the slot is full.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from scrapy import Spider
from scrapy.core.downloader import Downloader, Slot
from scrapy.http import Request


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
    def _get_slot(self, request: Request, spider: Spider | None = None) -> tuple[str, Slot]:
        key, slot = super()._get_slot(request)
        if not isinstance(slot.queue, TransferQueue):
            slot.queue = TransferQueue(slot)
        return key, slot
