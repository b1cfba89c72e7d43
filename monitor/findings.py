"""Findings: judgments computed from observations at an as-of date. Plain frozen dataclasses."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

# kinds
STALE_COLUMN = "stale_column"
EMPTY_COLUMN = "empty_column"
COLUMN_UNREACHABLE = "column_unreachable"
COLUMN_UNREADABLE = "column_unreadable"
DEAD_LINK = "dead_link"
MISSING_ANCHOR = "missing_anchor"  # page.html#part where the page has no such part: a warning
UNREAD_PAGE = "unread_page"  # a page of the site too large to read, its links unchecked: a warning
HOMEPAGE_UNREACHABLE = "homepage_unreachable"
SITE_VETO = "site_veto"
SITE_WARNING = "site_warning"
NO_DATA = "no_data"
CRAWL_BLOCKED = "crawl_blocked"  # the latest crawl was refused by the site (a firewall)
SITE_UNAVAILABLE = "site_unavailable"
ACCOUNT_SILENT = "account_silent"
ACCOUNT_NOT_DAILY = "account_not_daily"
ACCOUNT_UNREACHABLE = "account_unreachable"
AVAILABILITY_WARNING = "availability_warning"


@dataclass(frozen=True)
class ColumnFinding:
    kind: str  # stale_column, empty_column, column_unreachable
    site: str
    column: str
    url: str
    category: str
    newest_date: date | None
    age_days: int | None
    max_age_days: int | None
    window: str | None  # the window as configured: 14d, 6m…
    newest_title: str | None
    newest_url: str | None
    newest_date_text: str | None
    newest_date_source: str | None
    item_count: int
    status: int | None  # HTTP status of the list page
    error: str | None
    category_reason: str | None = None  # why the column has its category
    discovered: bool = False  # found in the site's navigation rather than configured


@dataclass(frozen=True)
class LinkSource:
    page: str
    tag: str
    text: str


@dataclass(frozen=True)
class DeadLinkFinding:
    kind: str  # dead_link, or a warning (never definite): missing_anchor, unread_page
    site: str
    url: str
    status: int | None
    error: str | None
    definite: bool
    internal: bool
    on_homepage: bool
    sources: tuple[str, ...]
    occurrences: tuple[LinkSource, ...]
    final_url: str | None
    redirects: tuple[str, ...]
    first_seen: datetime | None = None  # start of the crawl that first saw it fail (this streak)
    last_seen: datetime | None = None
    consecutive_failures: int = 1  # complete crawls in a row in which it failed
    new: bool = True  # first seen failing in the latest crawl
    # What the failure said (a timeout's seconds, the name that did not resolve, the words of a
    # soft-404 page, why a URL is malformed): the check's own, untranslated (reports.explain).
    error_detail: str | None = None


@dataclass(frozen=True)
class SiteFinding:
    kind: str  # site_veto, site_warning, homepage_unreachable, no_data, crawl_blocked
    site: str
    # homepage_not_updated, columns_not_updated, empty_columns, homepage, crawl, blocked
    check: str
    count: int | None
    threshold: int | None
    detail: str
    columns: tuple[str, ...] = ()
    url: str | None = None
    newest_date: date | None = None
    status: int | None = None
    error: str | None = None


@dataclass(frozen=True)
class FailedProbe:
    time: datetime  # UTC
    status: int | None
    error: str | None


@dataclass(frozen=True)
class AvailabilityFinding:
    kind: str  # site_unavailable (veto), availability_warning
    site: str
    probes: int
    failures: int
    failure_rate: float
    threshold: float
    window_days: int
    failed_probes: tuple[FailedProbe, ...]


@dataclass(frozen=True)
class AccountFinding:
    kind: str  # account_silent (veto), account_not_daily (warning), account_unreachable
    site: str | None  # the site the account belongs to, if configured
    account: str
    name: str
    platform: str
    owner: str | None
    newest_post: datetime | None  # aware, Asia/Shanghai
    newest_title: str | None
    newest_url: str | None
    days_silent: int | None
    max_age_days: int
    source_url: str
    error: str | None


Finding = ColumnFinding | DeadLinkFinding | SiteFinding | AvailabilityFinding | AccountFinding


def finding_to_json(finding: Finding) -> dict[str, Any]:
    return {key: _plain(value) for key, value in dataclasses.asdict(finding).items()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return aware.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value
