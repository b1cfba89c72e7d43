"""Before a nightly crawl: ask the site, cheaply, which of last night's URLs are unchanged.

Every page the last full crawl read cleanly is asked for again with its validators
(``If-None-Match`` / ``If-Modified-Since``); every link it checked cleanly by HEAD is checked by
HEAD again. This runs on a lean asyncio HTTP client (aiohttp) before the Scrapy crawl, because at
a few milliseconds of Scrapy machinery per request the requests themselves, not the pages, are
most of an unchanged site's crawl. Only the clean answers are kept: 304 for a page, 2xx for a
HEAD, never a redirect. Anything else (changed, failed, redirected, slow) is left to the crawl,
which requests it again with retries, fallbacks and soft-404 checks as on the first night.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

import aiohttp
from yarl import URL

Method = Literal["GET", "HEAD"]


@dataclass(frozen=True)
class Candidate:
    """A URL the last crawl read or checked without a fault."""

    key: str  # the URL as requested (already percent-encoded)
    method: Method  # GET: a page, asked conditionally; HEAD: a link target
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True)
class Answer:
    """A clean answer: the page is unchanged (304) or the target is there (2xx)."""

    status: int
    etag: str | None
    last_modified: str | None
    content_type: str | None


@dataclass(frozen=True)
class Limits:
    user_agent: str
    timeout: float
    per_host: int
    total: int


async def revalidate(candidates: Iterable[Candidate], limits: Limits) -> dict[str, Answer]:
    """The candidates that answered cleanly, by key. Never raises for a URL's failure."""
    queue: asyncio.Queue[Candidate] = asyncio.Queue()
    for candidate in candidates:
        queue.put_nowait(candidate)
    answers: dict[str, Answer] = {}
    connector = aiohttp.TCPConnector(
        limit=limits.total,
        limit_per_host=limits.per_host,
        ssl=False,  # as the crawl: a certificate problem is not a dead link
    )
    timeout = aiohttp.ClientTimeout(total=limits.timeout)
    async with aiohttp.ClientSession(
        connector=connector,
        timeout=timeout,
        headers={"User-Agent": limits.user_agent},
        cookie_jar=aiohttp.DummyCookieJar(),
    ) as session:
        workers = [
            asyncio.ensure_future(_work(session, queue, answers))
            for _ in range(max(1, min(limits.total, queue.qsize())))
        ]
        await asyncio.gather(*workers)
    return answers


async def _work(
    session: aiohttp.ClientSession, queue: asyncio.Queue[Candidate], answers: dict[str, Answer]
) -> None:
    while True:
        try:
            candidate = queue.get_nowait()
        except asyncio.QueueEmpty:
            return
        try:
            answer = await _ask(session, candidate)
        except (aiohttp.ClientError, TimeoutError, ValueError, OSError):
            answer = None
        if answer is not None:
            answers[candidate.key] = answer


async def _ask(session: aiohttp.ClientSession, candidate: Candidate) -> Answer | None:
    headers = {}
    if candidate.method == "GET":
        if candidate.etag:
            headers["If-None-Match"] = candidate.etag
        if candidate.last_modified:
            headers["If-Modified-Since"] = candidate.last_modified
    async with session.request(
        candidate.method,
        URL(candidate.key, encoded=True),
        headers=headers,
        allow_redirects=False,
    ) as response:
        status = response.status
        clean = status == 304 if candidate.method == "GET" else 200 <= status < 300
        if not clean:
            return None  # the crawl reads it (a changed page's body is not wanted here)
        return Answer(
            status,
            response.headers.get("ETag"),
            response.headers.get("Last-Modified"),
            response.headers.get("Content-Type"),
        )
