"""AutoThrottle follows the server: quick answers of any kind but 5xx/429 bring a delay down."""

from __future__ import annotations

from scrapy import Spider
from scrapy.core.downloader import Slot
from scrapy.http import Response
from scrapy.utils.test import get_crawler

from crawler.throttle import ServerAutoThrottle

SLOW_FIRST = 0.3  # a nightly crawl's first answer, while the machine is busiest
QUICK = 0.002


def _throttle() -> ServerAutoThrottle:
    crawler = get_crawler(
        Spider, {"AUTOTHROTTLE_ENABLED": True, "AUTOTHROTTLE_TARGET_CONCURRENCY": 2.0}
    )
    throttle = ServerAutoThrottle(crawler)
    throttle.mindelay, throttle.maxdelay = 0.0, 10.0  # as when the spider opens
    return throttle


def _delay_after(statuses: list[int]) -> float:
    throttle, slot = _throttle(), Slot(concurrency=4, delay=0.0)
    throttle._adjust_delay(slot, SLOW_FIRST, Response("http://127.0.0.1/", status=200))
    assert slot.delay > 0.1
    for n, status in enumerate(statuses):
        throttle._adjust_delay(slot, QUICK, Response(f"http://127.0.0.1/{n}", status=status))
    return slot.delay


def test_quick_answers_of_a_healthy_server_lower_the_delay() -> None:
    # A nightly crawl's answers: unchanged pages, last night's dead links, redirects.
    assert _delay_after([304, 404, 301, 410, 403] * 4) < 0.01
    assert _delay_after([200] * 20) < 0.01


def test_a_struggling_server_never_makes_the_crawl_faster() -> None:
    assert _delay_after([503, 500, 429] * 7) > 0.1
