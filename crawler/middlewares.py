"""Downloader middlewares.

Retries that are polite to small government servers: honour ``Retry-After`` (bounded) and back
off exponentially between attempts. A retry waits before it enters its server's download slot,
so a server's other URLs go on being crawled meanwhile (within the per-server limit).

Redirect loops end at their first repeat instead of at the redirect limit."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urldefrag, urljoin, urlsplit, urlunsplit

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Headers, Response, TextResponse
from scrapy.settings import BaseSettings
from w3lib.url import safe_url_string

from crawler.downloader import (
    ASKED_ALONE,
    BACKOFF,
    NOT_ASKED,
    QUEUED_PER_CONCURRENT,
    DroppedAtStop,
    PoliteDownloader,
    crawl_is_stopping,
    not_asked,
    polite_downloader,
)
from crawler.extract.html import parse_html
from crawler.extract.links import header_refresh, stub_redirect
from crawler.outcomes import RedirectLoop, is_timeout
from crawler.pageanswers import PREFETCHED, may_send_on
from crawler.refusals import FORBIDDEN, REFUSALS, TOO_MANY, RefusalWatch

logger = logging.getLogger(__name__)
STOP_CHECK_SECONDS = 0.25
# Meta keys: how many times a request was refused (403) and asked again; set on an answer
# refused in the end because its server refused us for asking too fast (crawler.refusals).
REFUSED_BEFORE = "gw_refused_before"
REFUSED_IN_BURST = "gw_refused_in_burst"
REFUSED_ASKED_AT = "gw_refused_asked_at"  # when a refused request's last try was asked
REFUSED_WITH = "gw_refused_with"  # ...and what it was refused with (403 or 429)
LIMITED_AFTER_403 = "gw_limited_after_403"  # 429s of a limiter to the retries of a 403
REFUSED_PRIORITY = 100  # a refused request's retry, and a control, go first
CONTROL = "gw_control"  # meta: a URL the server answered before, asked again to judge its 403s
RECHECKED = "gw_recheck"  # meta: a recheck of a link that failed last time (the spider's _hold)


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
        # Waiting retries do not count against CONCURRENT_REQUESTS (crawler.downloader), only
        # against its bound on requests waiting; past that a retry goes without waiting. A
        # limiter's refusals (a few hundred at once) all wait out their Retry-After.
        self.max_waiting = QUEUED_PER_CONCURRENT * max(1, settings.getint("CONCURRENT_REQUESTS"))
        self.refusal_retries = settings.getint("GOVWATCH_REFUSAL_RETRIES")
        self.controls: dict[str, asyncio.Future[None]] = {}  # slot key → its control in flight
        # A HEAD answered with one of these is asked again by GET (the spider does that), not
        # retried as HEAD: the GET is the retry, and servers that mishandle HEAD do so every time.
        self.head_fallback = {
            int(status) for status in settings.getlist("GOVWATCH_HEAD_FALLBACK_STATUSES")
        }

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> BackoffRetryMiddleware:
        middleware = cls(crawler.settings)
        middleware.crawler = crawler
        return middleware

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        refused = await self._refused(request, response)
        if refused is not None:
            return refused  # asked again, or refused to the end (no other retries)
        if (
            request.method == "HEAD"
            and response.status in self.head_fallback
            and not request.meta.get("gw_fallback")
        ):
            return response
        if response.status in self.retry_http_codes and not request.meta.get("dont_retry"):
            self._plan_wait(request, retry_after_seconds(response.headers.get(b"Retry-After")))
        return super().process_response(request, response)

    async def process_exception(  # type: ignore[override]
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Any:
        if is_timeout(exception) and self.timeout_retries < self.max_retry_times:
            # A server that did not answer within the timeout twice is suspected; the next
            # crawl confirms it. More tries here only hold a download slot for longer.
            request.meta.setdefault("max_retry_times", self.timeout_retries)
        if isinstance(exception, self.exceptions_to_retry) and not request.meta.get("dont_retry"):
            self._plan_wait(request, None)
        retry = super().process_exception(request, exception)
        if isinstance(retry, Request) and is_timeout(exception):
            return get_after_head(retry)  # a server may hang on HEAD alone
        return retry

    async def _refused(self, request: Request, response: Response) -> Request | Response | None:
        """A 403 or a 429 may be a server refusing us for asking too fast (crawler.refusals):
        note the answer, slow the server down on a burst, and ask a refused request again (once,
        and more while its server is suspected): the request to ask again, or the answer when it
        was refused to the end (None: any other answer, for the usual retries). A request refused
        after all that is marked ``REFUSED_IN_BURST`` when the refusals were the server's limit,
        not the page's (a 429 is never a dead link, whatever the verdict)."""
        if request.meta.get(NOT_ASKED):
            request.meta[REFUSED_IN_BURST] = True
            return None
        status = response.status
        downloader = self._downloader()
        slot_key = request.meta.get("download_slot")
        if downloader is None or not slot_key:
            return None
        watch = downloader.refusals
        slot = downloader.slots.get(slot_key)
        if request.meta.get(CONTROL) and status == FORBIDDEN:
            pace = watch.control_refused(slot_key)
            if pace is not None and slot is not None:
                self._paced(watch, slot_key, pace)
                slot.delay = max(slot.delay, pace)
        tries = int(request.meta.get(REFUSED_BEFORE, 0))
        # A HEAD refused with 403 is asked by GET next: the GET's answer counts (a server may
        # refuse HEAD alone; the small client's HEADs come here as GETs). The rechecks of links
        # that failed last night go first, all together: their refusals are no burst.
        head_first = (
            request.method == "HEAD"
            and not request.meta.get("gw_fallback")
            and status in self.head_fallback
        )
        expected = request.meta.get(RECHECKED) or head_first
        referer = request.headers.get(b"Referer")
        if status == FORBIDDEN and tries:
            control = watch.control_url(slot_key, front_page_of(request.url))
            if control is not None:
                await self._ask_control(control, slot_key, referer)
            elif watch.banned(slot_key) and slot is not None and slot.delay < watch.floor(slot_key):
                slot.delay = watch.floor(slot_key)
                self._paced(watch, slot_key, slot.delay)
        elif (status < 300 or status == 404) and not tries:
            watch.answered_ok(slot_key, response.url, status)
        asked_at = time.monotonic() - float(request.meta.get("download_latency") or 0)
        if not (expected and status in REFUSALS):
            now_delay = slot.delay if slot is not None else 0.0
            refused_at = request.meta.get(REFUSED_ASKED_AT)
            alone = bool(request.meta.get(ASKED_ALONE, True))
            refused_with = request.meta.get(REFUSED_WITH)
            delay = watch.answered(
                slot_key,
                status,
                tries > 0,
                now_delay,
                asked_at,
                refused_at,
                alone,
                refused_with,
                request.url,
            )
            if delay is not None and slot is not None:
                self._paced(watch, slot_key, delay)
                slot.delay = delay
                downloader.one_at_a_time(slot_key)
        if status not in REFUSALS or request.meta.get("dont_retry"):
            return None
        if head_first and not tries:
            return None  # asked by GET next (the spider), which is this HEAD's second try
        if watch.limits_with(slot_key) == TOO_MANY and status == FORBIDDEN and not head_first:
            # A server that limits us with 429s says 403 only of what it forbids, whenever it
            # lets the request through: the answer, asked no more (nor taken for its limit).
            return response
        if (
            status == TOO_MANY
            and request.meta.get(REFUSED_WITH) == FORBIDDEN
            and watch.limits_with(slot_key) == TOO_MANY
            and request.meta.get(LIMITED_AFTER_403, 0) < self.refusal_retries
        ):
            # A 403 first, then the limiter's 429 on its retry: the limiter's word says nothing
            # of the URL; asked again (not a try of its own) for the server's own answer.
            request.meta[LIMITED_AFTER_403] = request.meta.get(LIMITED_AFTER_403, 0) + 1
            request.meta[REFUSED_ASKED_AT] = asked_at
            return self._refused_again(request, tries - 1, watch.floor(slot_key))
        # A 429 is a transient answer, last night's or not: retried as any other (more while
        # its server limits us); a 403 asked again once, to tell a limiter from a real one.
        first = tries == 0 and (status == TOO_MANY or not request.meta.get(RECHECKED))
        limiting = watch.limiting(slot_key)
        most = self.refusal_retries if limiting else self.max_retry_times
        banned = watch.banned(slot_key) or watch.given_up(slot_key)
        if not banned and (first or (tries < most and (limiting or status == TOO_MANY))):
            # First in its server's queue once its wait is over: the answer tells a limiter from
            # real refusals, and the server is slowed down until it does.
            asked = retry_after_seconds(response.headers.get(b"Retry-After"))
            wait = asked if asked is not None else self.backoff * 2**tries
            request.meta[REFUSED_ASKED_AT] = asked_at
            request.meta[REFUSED_WITH] = status
            return self._refused_again(request, tries, max(wait, watch.floor(slot_key)))
        if status == TOO_MANY:
            # Refused to the end: blocked, whatever the server (a 429 is never a dead link).
            # No control, no ban: a 429 to a URL the server answered says we still ask too
            # fast, and its floor keeps doubling while it does.
            return response
        # Refused to the end, or by a ban: a real 403 only while the server answers others.
        verdict = await self._final_refusal(
            watch, slot_key, asked_at, referer, front_page_of(request.url)
        )
        if verdict == "wait":
            pace = watch.floor(slot_key)
            if slot is not None:
                slot.delay = max(slot.delay, pace)
            request.meta[REFUSED_WITH] = status
            return self._refused_again(request, tries, min(pace, watch.ban_left(slot_key)))
        if verdict == "blocked" and slot is not None and watch.given_up(slot_key):
            slot.delay = 0.0  # what waits in its queue is answered unasked, at once
            downloader._process_queue(slot)
        if verdict == "blocked" or watch.blocked(slot_key, status):
            request.meta[REFUSED_IN_BURST] = True  # the answer's meta: the spider reads it
        return response

    @staticmethod
    def _paced(watch: RefusalWatch, slot_key: str, delay: float) -> None:
        logger.info("%s: %s, %.2f s between requests", slot_key, watch.state(slot_key), delay)

    def _refused_again(self, request: Request, tries: int, wait: float) -> Request:
        again = request.replace(priority=request.priority + REFUSED_PRIORITY)
        again.dont_filter = True
        again.meta[REFUSED_BEFORE] = tries + 1
        again.meta["govwatch_retry_wait"] = min(wait, self.max_wait)
        return again

    async def _final_refusal(
        self,
        watch: RefusalWatch,
        slot_key: str,
        asked_at: float,
        referer: bytes | None,
        front_page: str,
    ) -> str:
        """crawler.refusals.RefusalWatch.final_refusal, with the control asked when it says so
        (once for all the refusals that need it at the same time)."""
        await self._controls_done(slot_key)
        verdict = watch.final_refusal(slot_key, asked_at, front_page)
        if verdict != "control":
            return verdict
        url = watch.control_url_now(slot_key)
        assert url is not None
        await self._ask_control(url, slot_key, referer)
        await self._controls_done(slot_key)
        return watch.final_refusal(slot_key, asked_at)

    async def _controls_done(self, slot_key: str) -> None:
        """Once no control of the server is in flight (another may start while one is awaited)."""
        while (pending := self.controls.get(slot_key)) is not None and not pending.done():
            await asyncio.shield(pending)

    async def _ask_control(self, url: str, slot_key: str, referer: bytes | None) -> None:
        """The control, in flight in ``controls`` (the refusals it is to judge wait for it)."""
        pending = asyncio.ensure_future(self._control(url, slot_key, referer))
        self.controls[slot_key] = pending

        def done(_: asyncio.Future[None]) -> None:
            if self.controls.get(slot_key) is pending:
                del self.controls[slot_key]

        pending.add_done_callback(done)
        await asyncio.shield(pending)

    async def _control(self, url: str, slot_key: str, referer: bytes | None) -> None:
        """Ask ``url`` again (headers only, no retry): its answer goes through _refused too.
        With the Referer of the refusal it judges (a page of the site being crawled): a server
        that guards its files against hotlinking answered ``url`` to such a request."""
        control = Request(
            url,
            dont_filter=True,
            priority=2 * REFUSED_PRIORITY,  # ahead of the retries it is to judge
            meta={
                "download_slot": slot_key,
                "dont_retry": True,
                "gw_headers_only": True,
                CONTROL: True,
            },
            headers={b"Referer": referer} if referer else None,
        )
        try:
            await self.crawler.engine.download_async(control)
        except Exception as exc:  # a control that fails proves nothing either way
            logger.info("%s: control %s failed: %r", slot_key, url, exc)
            downloader = self._downloader()
            if downloader is not None:
                downloader.refusals.control_failed(slot_key)

    def _plan_wait(self, request: Request, asked: float | None) -> None:
        """How long the retry (a copy of this request, meta included) waits before it goes."""
        attempts = int(request.meta.get("retry_times", 0))
        delay = asked if asked is not None else self.backoff * 2**attempts
        request.meta["govwatch_retry_wait"] = min(delay, self.max_wait)

    async def process_request(
        self, request: Request, spider: Spider | None = None
    ) -> Response | None:
        """A retry waits here: before the server's download slot, so the slot stays free.
        Past ``max_waiting`` at once a retry goes without waiting (Scrapy's own pacing).
        A request to a server that banned us for longer than we wait is not asked: answered
        here, refused (crawler.refusals)."""
        delay = request.meta.pop("govwatch_retry_wait", None)
        if self._given_up(request):
            return not_asked(request)
        if not delay or self.waiting >= self.max_waiting:
            return None
        counts = self._downloader_waiting()
        self.waiting += 1
        counts[BACKOFF] += 1  # not under way: the downloader takes more meanwhile
        try:
            await self._wait(delay)
        finally:
            self.waiting -= 1
            counts[BACKOFF] -= 1
        if crawl_is_stopping(self.crawler):
            raise DroppedAtStop(f"crawl stopping: {request.url}")
        return not_asked(request) if self._given_up(request) else None

    def _given_up(self, request: Request) -> bool:
        downloader = self._downloader()
        if downloader is None or not downloader.refusals.any_given_up:
            return False
        key = request.meta.get("download_slot") or downloader.get_slot_key(request)
        return downloader.refusals.given_up(key)

    def _downloader(self) -> PoliteDownloader | None:
        return polite_downloader(self.crawler)

    def _downloader_waiting(self) -> Counter[str]:
        downloader = self._downloader()
        return downloader.waiting if downloader is not None else Counter()

    async def _wait(self, delay: float) -> None:
        """Sleep ``delay`` seconds, or until the crawl stops (a Retry-After can be long)."""
        deadline = time.monotonic() + delay
        while not crawl_is_stopping(self.crawler):
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await asyncio.sleep(min(left, STOP_CHECK_SECONDS))


def get_after_head(request: Request) -> Request:
    """A HEAD's next try by GET, stopped after the answer's head (the spider's _headers_only):
    what a browser asks, of a server that hangs on HEAD or mishandles it. Any other request as
    it is."""
    if request.method != "HEAD":
        return request
    again = request.replace(method="GET")
    again.meta.update(gw_fallback=True, gw_headers_only=True)
    return again


REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def redirect_loop(request: Request, response: Response) -> list[str] | None:
    """The chain, ending with its repeat, when ``response`` sends ``request`` back to a URL
    its redirect chain has already visited; None otherwise.

    A redirect that sets a cookie is not a loop: WAF challenges send a browser back to the
    same URL with a cookie that gets it through the second time. Fragments do not count.
    """
    location = response.headers.get(b"Location")
    if (
        response.status not in REDIRECT_STATUSES
        or not location
        or b"Set-Cookie" in response.headers
    ):
        return None
    if request.meta.get("dont_redirect"):
        return None
    target = urljoin(request.url, safe_url_string(location))  # "//host/…" keeps the scheme
    chain = [*request.meta.get("redirect_urls", ()), request.url]
    if urldefrag(target).url not in {urldefrag(url).url for url in chain}:
        return None
    return [*chain, target]


class RedirectLoopMiddleware:
    """A redirect back into its own chain (A → B → A) ends there as a ``redirect_loop``: a
    loop is a loop after one turn, and following it to REDIRECT_MAX_TIMES cost ten requests
    per link every night. Placed before Scrapy's RedirectMiddleware sees the answer."""

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        chain = redirect_loop(request, response)
        if chain is not None:
            raise RedirectLoop("redirect loop: " + " -> ".join(chain[-6:]), chain)
        return response


class BrowserRedirects:
    """Redirects as a browser follows them, before Scrapy's RedirectMiddleware sees the answer:
    a ``Location`` with backslashes (``\\zwgk\\a.html``: slashes to a browser), and, for a
    link's check or a page of the site, an answer that only sends the visitor on (a
    ``Refresh`` header, or a blank page's meta refresh or script: a deleted article's stub
    that goes to /404.html). Where the visitor lands is then what the link is judged by."""

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Response:
        if request.meta.get("dont_redirect"):
            return response
        location = response.headers.get(b"Location")
        if response.status in REDIRECT_STATUSES and location and b"\\" in location:
            path, mark, rest = location.partition(b"?")
            path, hash_mark, fragment = path.partition(b"#")
            fixed = path.replace(b"\\", b"/") + hash_mark + fragment + mark + rest
            return response.replace(headers=_with_location(response, fixed))
        if response.status != 200 or request.meta.get("gw_role") not in ("page", "check"):
            return response
        target = header_refresh(response.headers.get(b"Refresh"), response.url)
        if (
            target is None
            and isinstance(response, TextResponse)
            and may_send_on(response.body)
            and b"html" in (response.headers.get(b"Content-Type") or b"text/html").lower()
        ):
            target = stub_redirect(parse_html(response.text), response.url)
        if target is None:
            return response
        return response.replace(status=302, headers=_with_location(response, target.encode()))


def _with_location(response: Response, location: bytes) -> Headers:
    headers = Headers(response.headers)
    headers[b"Location"] = location
    return headers


class BoundedDecompression(HttpCompressionMiddleware):
    """Scrapy's decompression, but a compressed page that grows past DOWNLOAD_MAXSIZE is there
    unread, as a larger page that says its length is (``SiteSpider._headers_only``): Scrapy
    drops it as an error, which by the second night is a dead link."""

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        try:
            return super().process_response(request, response)
        except IgnoreRequest as exc:
            size = getattr(exc.__cause__, "decompressed_size", None)
            if size is None:
                raise
        request.meta["gw_body_skipped"] = request
        request.meta["gw_too_large"] = size
        response = response.replace(body=b"")
        del response.headers["Content-Encoding"]
        return response


class PrefetchedAnswers:
    """What the crawl's small client already had for this request (crawler.pageanswers) is its
    download: an answer every other middleware's ``process_response`` sees as one, or a
    failure their ``process_exception`` sees (a timeout retried with its backoff…). Taken out of
    the meta, so a retry or a redirect of the request is downloaded anew."""

    def process_request(self, request: Request, spider: Spider | None = None) -> Response | None:
        answer: Response | Exception | None = request.meta.pop(PREFETCHED, None)
        if isinstance(answer, Exception):
            raise answer
        return answer


def front_page_of(url: str) -> str:
    """The homepage (``/``) of ``url``'s server: what a server answers if it answers anything."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/", "", ""))
