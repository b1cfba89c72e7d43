"""SQLAlchemy 2.0 models: runs and the observations they made. Findings are computed, not stored."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Float,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    String,
    Text,
    Unicode,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Run(Base):
    """One piece of work on one site: a crawl, a freshness pass, a scan, a recheck or a probe."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(16), default="crawl")
    status: Mapped[str] = mapped_column(String(16), default="running")  # complete, incomplete
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    pid: Mapped[int | None]
    host: Mapped[str | None] = mapped_column(String(255))
    pages: Mapped[int] = mapped_column(default=0)
    links: Mapped[int] = mapped_column(default=0)
    finish_reason: Mapped[str | None] = mapped_column(String(64))
    # full: saw the whole site (a base for findings); partial: only some columns, pages or links.
    scope: Mapped[str] = mapped_column(String(16), default="full", server_default="full")
    command: Mapped[str | None] = mapped_column(Text)
    heartbeat_at: Mapped[datetime | None]
    findings: Mapped[int | None]


class SiteLock(Base):
    """At most one crawl, freshness pass or scan of a site at a time."""

    __tablename__ = "site_locks"

    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    command: Mapped[str] = mapped_column(Text)
    pid: Mapped[int]
    host: Mapped[str] = mapped_column(String(255))
    acquired_at: Mapped[datetime]
    heartbeat_at: Mapped[datetime]


class ProbeRow(Base):
    """One availability probe of a site's homepage."""

    __tablename__ = "probes"
    __table_args__ = (Index("ix_probes_site_time", "site_id", "probed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(Text)
    probed_at: Mapped[datetime]
    status: Mapped[int | None]
    latency_ms: Mapped[float | None]
    error: Mapped[str | None] = mapped_column(Text)


class NotificationRow(Base):
    """An outgoing notification: kept until delivered, retried with backoff."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime]
    site_id: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(64))  # the channel's name in the config
    payload: Mapped[dict[str, object]] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(index=True)
    delivered_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)


class SchedulerJobRow(Base):
    """APScheduler's job store table (its own layout), migrated with the rest of the schema."""

    __tablename__ = "apscheduler_jobs"

    id: Mapped[str] = mapped_column(Unicode(191), primary_key=True)
    next_run_time: Mapped[float | None] = mapped_column(Float(25), index=True)
    job_state: Mapped[bytes] = mapped_column(LargeBinary)


class ColumnObservationRow(Base):
    __tablename__ = "column_observations"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"), index=True)
    column_name: Mapped[str] = mapped_column(String(255))
    url: Mapped[str] = mapped_column(Text)
    is_homepage: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16))
    http_status: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    item_count: Mapped[int] = mapped_column(default=0)
    dated_count: Mapped[int] = mapped_column(default=0)
    pages_read: Mapped[int] = mapped_column(default=0)
    newest_date: Mapped[date | None]
    newest_title: Mapped[str | None] = mapped_column(Text)
    newest_url: Mapped[str | None] = mapped_column(Text)
    newest_date_text: Mapped[str | None] = mapped_column(String(64))
    newest_date_source: Mapped[str | None] = mapped_column(String(32))
    observed_at: Mapped[datetime]
    # Discovery (a column found in navigation rather than configured) and what the page says
    # about itself; the category is judged from these by the rules, never stored.
    discovered: Mapped[bool] = mapped_column(default=False, server_default="0")
    parent_name: Mapped[str | None] = mapped_column(String(255))
    meta_column_name: Mapped[str | None] = mapped_column(String(255))
    meta_column_type: Mapped[str | None] = mapped_column(String(255))
    sub_columns: Mapped[int] = mapped_column(default=0, server_default="0")


class AccountObservationRow(Base):
    """What one fetch of a new-media account's feed or page showed."""

    __tablename__ = "account_observations"
    __table_args__ = (Index("ix_account_observations_account", "account_id", "run_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    account_id: Mapped[str] = mapped_column(String(64))
    source_url: Mapped[str] = mapped_column(Text)
    source_kind: Mapped[str] = mapped_column(String(16))  # rss2, rss1, atom, jsonfeed, page
    fetched_at: Mapped[datetime]
    http_status: Mapped[int | None]
    error: Mapped[str | None] = mapped_column(Text)
    posts_seen: Mapped[int] = mapped_column(default=0)
    newest_time: Mapped[datetime | None]  # UTC
    newest_time_text: Mapped[str | None] = mapped_column(String(128))
    newest_title: Mapped[str | None] = mapped_column(Text)
    newest_url: Mapped[str | None] = mapped_column(Text)


class PageMetadataRow(Base):
    """What an article page says about itself (for dating now, publication checks later)."""

    __tablename__ = "page_metadata"
    __table_args__ = (Index("ix_page_metadata_run_url", "run_id", "url"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    url: Mapped[str] = mapped_column(Text)
    title: Mapped[str | None] = mapped_column(Text)
    published: Mapped[date | None]
    published_text: Mapped[str | None] = mapped_column(String(64))
    written: Mapped[date | None]
    index_no: Mapped[str | None] = mapped_column(String(128))
    publisher: Mapped[str | None] = mapped_column(String(255))
    doc_no: Mapped[str | None] = mapped_column(String(128))
    meta_title: Mapped[str | None] = mapped_column(Text)
    meta_published: Mapped[str | None] = mapped_column(String(64))
    meta_source: Mapped[str | None] = mapped_column(String(255))


class LinkCheckRow(Base):
    __tablename__ = "link_checks"
    __table_args__ = (UniqueConstraint("run_id", "url_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    url_key: Mapped[str] = mapped_column(Text)
    url: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool]
    method: Mapped[str] = mapped_column(String(8))
    status: Mapped[int | None] = mapped_column(index=True)
    error: Mapped[str | None] = mapped_column(String(64))
    error_detail: Mapped[str | None] = mapped_column(Text)
    final_url: Mapped[str | None] = mapped_column(Text)
    redirects: Mapped[list[str]] = mapped_column(JSON, default=list)
    content_type: Mapped[str | None] = mapped_column(String(255))
    checked_at: Mapped[datetime]
    # The answer's validators, sent back on the next crawl as a conditional request.
    etag: Mapped[str | None] = mapped_column(String(255))
    last_modified: Mapped[str | None] = mapped_column(String(64))
    # The page answered 304 Not Modified: its links and metadata are the previous run's.
    revalidated: Mapped[bool] = mapped_column(default=False, server_default="0")


class LinkOccurrenceRow(Base):
    __tablename__ = "link_occurrences"
    __table_args__ = (
        Index("ix_link_occurrences_run_target", "run_id", "target_key"),
        Index("ix_link_occurrences_run_source", "run_id", "source_url"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    source_url: Mapped[str] = mapped_column(Text)
    target_key: Mapped[str] = mapped_column(Text)
    target_url: Mapped[str] = mapped_column(Text)
    tag: Mapped[str] = mapped_column(String(16))
    attr: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")


class CarriedPageRow(Base):
    """A page a nightly crawl found unchanged: its link occurrences in this run are the ones
    run ``from_run`` stored (the run that last read the page), referred to, not copied."""

    __tablename__ = "carried_pages"
    __table_args__ = (
        Index("ix_carried_pages_run_source", "run_id", "source_url"),
        Index("ix_carried_pages_from_source", "from_run", "source_url"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    source_url: Mapped[str] = mapped_column(Text)
    from_run: Mapped[int] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
