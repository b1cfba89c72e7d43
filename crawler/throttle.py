"""AutoThrottle that follows the server's latency, not our own event loop's.

Scrapy's AutoThrottle sets a server's delay from each response's download latency, measured on
the event loop: when the loop is busy (a crawl that checks every link is CPU-bound), every
response that arrives meanwhile looks slow by the time of that work, and a single stall raises
the delay at once (it decays slowly). Here the latency a delay follows is a low quantile of
the server's recent latencies: a server that slows down slows every answer and still raises
it; our loop's stalls, which only delay some answers, do not. Any answer but a server error
or a 429 may lower the delay (Scrapy's: only a 200).
"""

from __future__ import annotations

from collections import deque

from scrapy import Request, Spider
from scrapy.core.downloader import Slot
from scrapy.crawler import Crawler
from scrapy.extensions.throttle import AutoThrottle
from scrapy.http import Response

from crawler.downloader import polite_downloader

WINDOW = 16  # latencies remembered per server
QUANTILE = 0.25


def robust_latency(samples: deque[float]) -> float:
    ordered = sorted(samples)
    return ordered[int(QUANTILE * (len(ordered) - 1))]


class ServerAutoThrottle(AutoThrottle):
    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        # By the slot's identity; the slot is kept with its samples so that its id stays its own.
        self.latencies: dict[int, tuple[Slot, deque[float]]] = {}
        self._key: str | None = None

    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        _, samples = self.latencies.setdefault(id(slot), (slot, deque(maxlen=WINDOW)))
        samples.append(latency)
        target = robust_latency(samples) / self.target_concurrency
        delay = min(max(self.mindelay, target, (slot.delay + target) / 2), self.maxdelay)
        if delay < slot.delay and not healthy(response.status):
            return  # a server that struggles (5xx, 429) never makes us faster
        slot.delay = max(delay, self._floor())

    def _get_slot(self, request: Request, spider: Spider) -> tuple[str | None, Slot | None]:
        key, slot = super()._get_slot(request, spider)
        self._key = key  # the server of the answer _adjust_delay is about to see
        return key, slot

    def _floor(self) -> float:
        """A server that refused us for asking too fast keeps its slower pace (crawler.refusals)."""
        downloader = polite_downloader(self.crawler)
        if downloader is None or not self._key:
            return 0.0
        return downloader.refusals.floor(self._key)


def healthy(status: int) -> bool:
    """An answer of a server at ease: anything but a server error or "too many requests".

    Scrapy lowers the delay only on a 200; a nightly crawl's answers are mostly 304 and the
    rechecks' 404s, so one slow first answer kept the site's delay (and the crawl) slow."""
    return status < 500 and status != 429
