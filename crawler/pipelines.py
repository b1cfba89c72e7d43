"""Hands observations to monitor.store in batches, and closes the run when the spider closes."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from monitor import store
from monitor.database import make_engine, session_scope
from monitor.records import BLOCKED
from monitor.store import (
    AccountObservation,
    ColumnObservation,
    CopiedLinks,
    LinkCheck,
    LinkOccurrence,
    Observations,
    PageLinks,
    PageMetadata,
)

log = logging.getLogger(__name__)
REFUSED_BEFORE_GIVING_UP = 20  # rows refused in a row, none stored: the database is the fault


class StorePipeline:
    def __init__(self, db_url: str, run_id: int, batch_size: int) -> None:
        if not db_url or not run_id:
            raise ValueError("GOVWATCH_DB and GOVWATCH_RUN_ID must be set (the runner sets them)")
        self.engine: Engine = make_engine(db_url)
        self.run_id = run_id
        self.batch_size = batch_size
        self.checks: list[LinkCheck] = []
        self.occurrences: list[LinkOccurrence] = []
        self.columns: list[ColumnObservation] = []
        self.accounts: list[AccountObservation] = []
        self.pages: list[PageMetadata] = []
        self.copied: list[CopiedLinks] = []

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        settings = crawler.settings
        pipeline = cls(
            settings.get("GOVWATCH_DB"),
            settings.getint("GOVWATCH_RUN_ID"),
            settings.getint("GOVWATCH_BATCH_SIZE"),
        )
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def process_item(self, item: Any) -> Any:
        for one in item.items if isinstance(item, Observations) else (item,):
            self._take(one)
        if self._pending() >= self.batch_size:
            self.flush()
        return item

    def _take(self, item: object) -> None:
        if isinstance(item, Observations):  # a batch within a batch: never dropped
            for one in item.items:
                self._take(one)
        elif isinstance(item, LinkCheck):
            self.checks.append(item)
        elif isinstance(item, PageLinks):
            self.occurrences.extend(item.occurrences)
        elif isinstance(item, ColumnObservation):
            self.columns.append(item)
        elif isinstance(item, AccountObservation):
            self.accounts.append(item)
        elif isinstance(item, PageMetadata):
            self.pages.append(item)
        elif isinstance(item, CopiedLinks):
            self.copied.append(item)
        else:
            raise TypeError(f"not an observation: {type(item).__name__}")

    def _pending(self) -> int:
        return (
            len(self.checks)
            + len(self.occurrences)
            + len(self.columns)
            + len(self.accounts)
            + len(self.pages)
            + len(self.copied) * 16  # about a page's links each
        )

    def flush(self) -> None:
        if not self._pending():
            return
        batch = (
            self.checks,
            self.occurrences,
            self.columns,
            self.accounts,
            self.pages,
            self.copied,
        )
        try:
            self._save(*batch)
        except DBAPIError as exc:
            # One row the database refuses (a URL too long for a PostgreSQL index…) must not
            # cost the crawl every later batch: each row is tried alone, the refused ones are
            # named and left out. A database that takes none (full, locked) still stops it.
            log.warning(
                "run %s: a batch was refused (%s); storing it row by row", self.run_id, _reason(exc)
            )
            self._save_one_by_one(*batch)
        self.checks, self.occurrences, self.columns, self.accounts = [], [], [], []
        self.pages, self.copied = [], []

    def _save(self, *lists: Sequence[Any]) -> None:
        with session_scope(self.engine) as session:
            store.save_observations(session, self.run_id, *lists)

    def _save_one_by_one(self, *lists: Sequence[Any]) -> None:
        stored, refused = 0, 0
        failure: DBAPIError | None = None
        for position, records in enumerate(lists):
            for record in records:
                alone: list[Sequence[Any]] = [[] for _ in lists]
                alone[position] = [record]
                try:
                    self._save(*alone)
                    stored += 1
                except DBAPIError as exc:
                    refused += 1
                    failure = exc
                    shown = repr(record)
                    log.error(
                        "run %s: not stored, refused by the database: %s (%s)",
                        self.run_id,
                        shown if len(shown) <= 300 else f"{shown[:300]}…",
                        _reason(exc),
                    )
                    if not stored and refused >= REFUSED_BEFORE_GIVING_UP:
                        raise  # the database takes nothing (full, locked): not one row's fault
        if failure is not None and not stored and not self._takes_writes():
            raise failure  # not these rows' fault: the database takes nothing
        log.warning("run %s: %s rows stored, %s refused", self.run_id, stored, refused)

    def _takes_writes(self) -> bool:
        """Whether the database takes a write that cannot be refused for its content (a batch of
        refused rows alone says nothing about the database)."""
        try:
            with session_scope(self.engine) as session:
                store.touch_run(session, self.run_id)
        except DBAPIError:
            return False
        return True

    def spider_closed(self, spider: Spider, reason: str) -> None:
        self.flush()
        partition = getattr(spider, "partition", None)
        if partition is not None and not partition.lead:
            # One partition of a crawl: the lead closes the run once every partition is done.
            spider.report_closed(reason)  # type: ignore[attr-defined]
            log.info("run %s partition %s closed (%s)", self.run_id, partition.index, reason)
            self.engine.dispose()
            return
        counts = spider.counts() if hasattr(spider, "counts") else getattr(spider, "progress", None)
        pages = getattr(counts, "pages", 0)
        links = getattr(counts, "links", 0)
        failure = getattr(spider, "partition_failure", None)
        if failure:
            log.warning("run %s is incomplete: %s", self.run_id, failure)
        complete = reason == "finished"
        if complete and getattr(spider, "site_blocked", False):
            complete, reason = False, BLOCKED
            log.warning(
                "run %s is incomplete: the site refused pages it had to read, as a firewall "
                "refuses a client it limits or bans",
                self.run_id,
            )
        with session_scope(self.engine) as session:
            store.finish_run(
                session, self.run_id, complete=complete, reason=reason, pages=pages, links=links
            )
        if hasattr(spider, "report_closed"):
            spider.report_closed(reason)
        log.info(
            "run %s %s (%s): %s pages, %s links",
            self.run_id,
            "complete" if complete else "incomplete",
            reason,
            pages,
            links,
        )
        self.engine.dispose()


def _reason(exc: DBAPIError) -> str:
    """The database's own words, first line (not the statement and its parameters)."""
    text = str(exc.orig if exc.orig is not None else exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
