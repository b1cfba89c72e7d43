"""Retries that are polite to small government servers: honour ``Retry-After`` (bounded) and
back off exponentially between attempts (a few requests wait at a time: a waiting request keeps
its download slot)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.settings import BaseSettings

from crawler.outcomes import is_timeout

MAX_WAITING = 4  # requests waiting to be retried at once


def retry_after_seconds(value: bytes | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (seconds or an HTTP date)."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


class BackoffRetryMiddleware(RetryMiddleware):
    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.backoff = settings.getfloat("GOVWATCH_RETRY_BACKOFF")
        self.max_wait = settings.getfloat("GOVWATCH_RETRY_AFTER_MAX")
        self.timeout_retries = settings.getint("GOVWATCH_TIMEOUT_RETRIES")
        self.waiting = 0

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        if response.status in self.retry_http_codes and not request.meta.get("dont_retry"):
            await self._wait(request, retry_after_seconds(response.headers.get(b"Retry-After")))
        return super().process_response(request, response)

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Any:
        if is_timeout(exception) and self.timeout_retries < self.max_retry_times:
            # A server that did not answer within the timeout twice is suspected; the next
            # crawl confirms it. More tries here only hold a download slot for longer.
            request.meta.setdefault("max_retry_times", self.timeout_retries)
        if isinstance(exception, self.exceptions_to_retry) and not request.meta.get("dont_retry"):
            await self._wait(request, None)
        return super().process_exception(request, exception)

    async def _wait(self, request: Request, asked: float | None) -> None:
        """Wait before a retry. A waiting request keeps its download slot, so only a few wait
        at once; past that, retries go at once (Scrapy's own pacing)."""
        attempts = int(request.meta.get("retry_times", 0))
        if attempts >= request.meta.get("max_retry_times", self.max_retry_times):
            return  # no retry follows: nothing to wait for
        if self.waiting >= MAX_WAITING:
            return
        delay = asked if asked is not None else self.backoff * 2**attempts
        self.waiting += 1
        try:
            await asyncio.sleep(min(delay, self.max_wait))
        finally:
            self.waiting -= 1
