"""Records the store writes and reads back: runs and observations (facts, never judgments)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass
class LinkCheck:
    """The outcome of requesting one URL once in a run (pages are links too)."""

    url_key: str  # the URL as requested (percent-encoded): one row per run and key
    url: str  # absolute, as the page linked it
    internal: bool
    method: str
    status: int | None
    error: (
        str | None
    )  # dns, timeout, connection_refused, connection_lost, tls, redirect_loop, too_many_redirects…
    error_detail: str | None
    final_url: str | None
    redirects: list[str] = field(default_factory=list)
    content_type: str | None = None
    checked_at: datetime | None = None
    etag: str | None = None  # validators for the next crawl's conditional request
    last_modified: str | None = None
    revalidated: bool = False  # 304 Not Modified: links and metadata carried from the last run


@dataclass
class LinkOccurrence:
    """Page ``source_url`` links to ``target_key`` with ``tag``/``attr`` and anchor ``text``."""

    source_url: str
    target_key: str
    target_url: str
    tag: str
    attr: str
    text: str


@dataclass
class PageMetadata:
    """An article page's 标题, dates, 索引号, 发布机构, 文号 and 47号 meta tags."""

    url: str
    title: str | None
    published: date | None
    published_text: str | None
    written: date | None
    index_no: str | None
    publisher: str | None
    doc_no: str | None
    meta_title: str | None
    meta_published: str | None
    meta_source: str | None


@dataclass
class Observations:
    """Many observations in one item (a crawl's cost is partly per item)."""

    items: list[object]


@dataclass
class CopiedLinks:
    """An unchanged page: its link occurrences and metadata are the ones run ``from_run``
    stored."""

    source_url: str
    from_run: int


@dataclass
class PageLinks:
    """Every link occurrence of one page: one item per page keeps the crawl's overhead low."""

    source_url: str
    occurrences: list[LinkOccurrence]


@dataclass
class ColumnObservation:
    """What a column's list pages (or the homepage's lists) showed at ``observed_at``."""

    column_name: str
    url: str
    is_homepage: bool
    status: str  # ok (dated items), empty (no dated item), error (list page failed)
    http_status: int | None
    error: str | None
    item_count: int
    dated_count: int
    pages_read: int
    newest_date: date | None
    newest_title: str | None
    newest_url: str | None
    newest_date_text: str | None
    newest_date_source: str | None
    observed_at: datetime
    discovered: bool = False
    parent_name: str | None = None
    meta_column_name: str | None = None
    meta_column_type: str | None = None
    sub_columns: int = 0


@dataclass
class AccountObservation:
    """One fetch of a new-media account's source (errors included: never a crash)."""

    account_id: str
    source_url: str
    source_kind: str
    fetched_at: datetime
    http_status: int | None
    error: str | None
    posts_seen: int
    newest_time: datetime | None  # naive UTC
    newest_time_text: str | None
    newest_title: str | None
    newest_url: str | None


# A run's finish reason when the site refused pages the crawl had to read (a firewall).
BLOCKED = "blocked"


@dataclass(frozen=True)
class RunRecord:
    id: int
    site_id: str
    kind: str
    status: str  # running, complete, incomplete
    started_at: datetime
    finished_at: datetime | None
    pages: int
    links: int
    finish_reason: str | None
    scope: str = "full"
    command: str | None = None
    findings: int | None = None
    heartbeat_at: datetime | None = None
    pid: int | None = None
    host: str | None = None


@dataclass(frozen=True)
class LinkFix:
    """A link that failed in an earlier run and answered in a later one."""

    url: str
    url_key: str
    fixed_at: datetime
    run_id: int
    was_status: int | None
    was_error: str | None
    # fixed by taking the link off the pages that had it (they were read again without it),
    # not by the target answering
    removed: bool = False
    # closed because no page that had it was reached again (deleted, or no longer linked)
    pages_gone: bool = False


@dataclass(frozen=True)
class FailureHistory:
    """A failing link across the site's complete full runs, newest first."""

    first_seen: datetime  # start of the current streak of failing runs
    last_seen: datetime
    consecutive_runs: int  # full runs in a row, up to the newest, in which it failed


@dataclass(frozen=True)
class LockHolder:
    site_id: str
    command: str
    pid: int
    host: str
    acquired_at: datetime
    heartbeat_at: datetime


@dataclass(frozen=True)
class Probe:
    site_id: str
    url: str
    probed_at: datetime
    status: int | None
    latency_ms: float | None
    error: str | None

    @property
    def failed(self) -> bool:
        return self.error is not None or self.status is None or self.status >= 400


@dataclass(frozen=True)
class LinkProblem:
    """A link whose check did not succeed, with every place it was found on."""

    check: LinkCheck
    occurrences: tuple[LinkOccurrence, ...]


@dataclass(frozen=True)
class SiteView:
    """What is known of a site at a moment: its latest complete full run (the base), overlaid
    by the complete partial runs after it (column scans, page scans, rechecks, freshness)."""

    base: RunRecord | None
    overlays: tuple[RunRecord, ...]
    columns: tuple[ColumnObservation, ...]
    problems: tuple[LinkProblem, ...]
    fixes: tuple[LinkFix, ...]
