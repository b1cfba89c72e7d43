"""Fetch new-media accounts' feeds and public pages; one observation per account and fetch.

Reading the posts is done by ``crawler.extract.feeds``; a failed fetch, an error status, a
malformed or empty feed all become an observation with its error, never a crash.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from scrapy import Request, Spider
from scrapy.http import Response, TextResponse
from twisted.python.failure import Failure

from crawler.downloader import DroppedAtStop
from crawler.extract.feeds import SourceRead, read_feed, read_page
from crawler.items import AccountObservation
from crawler.outcomes import describe_failure
from crawler.spiders.site import Progress
from monitor.config import AccountConfig


@dataclass(frozen=True)
class AccountPlan:
    mode: str = "accounts"


class NewMediaSpider(Spider):
    name = "newmedia"
    total_known = True

    def __init__(self, accounts: tuple[AccountConfig, ...] = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.accounts = accounts
        self.progress = Progress()
        self.requested: set[str] = set()
        self.plan = AccountPlan()

    async def start(self) -> AsyncIterator[Request]:
        for account in self.accounts:
            self.requested.add(account.id)
            yield Request(
                account.source_url,
                callback=self.on_response,
                errback=self.on_failure,
                dont_filter=True,
                meta={"gw_account": account},
            )

    def on_response(self, response: Response) -> Iterator[AccountObservation]:
        account: AccountConfig = response.meta["gw_account"]
        fetched = datetime.now(UTC)
        self.progress.links += 1
        if response.status >= 400:
            yield self._observation(
                account, fetched, response.status, f"HTTP {response.status}", None
            )
            return
        if account.page is not None:
            page = account.page
            text = response.text if isinstance(response, TextResponse) else ""
            read = read_page(
                text, response.url, fetched, page.item, page.date, page.title, page.link
            )
        else:
            read = read_feed(response.body, response.url, fetched, _charset(response))
        self.progress.pages += 1
        yield self._observation(account, fetched, response.status, read.error, read)

    def on_failure(self, failure: Failure) -> Iterator[AccountObservation]:
        if failure.check(DroppedAtStop):  # type: ignore[no-untyped-call]
            return  # never sent: the crawl stopped while it waited for its server
        request: Request = failure.request  # type: ignore[attr-defined]
        code, detail = describe_failure(failure)
        self.progress.links += 1
        yield self._observation(
            request.meta["gw_account"], datetime.now(UTC), None, f"{code}: {detail}"[:300], None
        )

    def _observation(
        self,
        account: AccountConfig,
        fetched: datetime,
        status: int | None,
        error: str | None,
        read: SourceRead | None,
    ) -> AccountObservation:
        if error is not None:
            self.progress.failed += 1
        newest = read.newest if read else None
        published = newest.published if newest else None
        return AccountObservation(
            account_id=account.id,
            source_url=account.source_url,
            source_kind=read.kind if read else ("page" if account.page else "feed"),
            fetched_at=fetched.replace(tzinfo=None),
            http_status=status,
            error=error,
            posts_seen=len(read.posts) if read else 0,
            newest_time=published.astimezone(UTC).replace(tzinfo=None) if published else None,
            newest_time_text=(newest.time_text or "")[:128] if newest else None,
            newest_title=newest.title if newest else None,
            newest_url=newest.url if newest else None,
        )


def _charset(response: Response) -> str | None:
    """The charset the answer's Content-Type names, if any."""
    content_type = (response.headers.get(b"Content-Type") or b"").decode("latin-1")
    found = re.search(r"charset\s*=\s*[\"']?([A-Za-z0-9._-]+)", content_type, re.I)
    return found.group(1) if found else None
