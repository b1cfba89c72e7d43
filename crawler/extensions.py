"""Run heartbeat and live progress: keeps the run row alive, tells the parent how far we are,
and stops the crawl if the process that started it is gone."""

from __future__ import annotations

import json
import os
import sys
import time
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from twisted.internet import task

from monitor import store
from monitor.database import make_engine, session_scope

PROGRESS_PREFIX = "@govwatch-progress "


class RunHeartbeat:
    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.crawler = crawler
        self.run_id = settings.getint("GOVWATCH_RUN_ID")
        self.engine = make_engine(settings.get("GOVWATCH_DB"))
        self.heartbeat_every = settings.getfloat("GOVWATCH_HEARTBEAT_SECONDS")
        self.progress = settings.getbool("GOVWATCH_PROGRESS")
        self.parent = os.getppid()
        self.last_beat = 0.0
        self.started = time.monotonic()
        self.loop: task.LoopingCall | None = None
        self.spider: Spider | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RunHeartbeat:
        extension = cls(crawler)
        crawler.signals.connect(extension.opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.closed, signal=signals.spider_closed)
        return extension

    def opened(self, spider: Spider) -> None:
        self.spider = spider
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(0.5, now=True)

    def closed(self, spider: Spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        self.emit(final=True)
        self.engine.dispose()

    def tick(self) -> None:
        now = time.monotonic()
        partition = getattr(self.spider, "partition", None)
        lead = partition is None or partition.lead  # the lead beats for the whole crawl
        if lead and now - self.last_beat >= self.heartbeat_every:
            self.last_beat = now
            counts = self._counts()
            with session_scope(self.engine) as session:
                store.heartbeat_run(
                    session, self.run_id, getattr(counts, "pages", 0), getattr(counts, "links", 0)
                )
        self.emit()
        if self.parent != 1 and os.getppid() != self.parent and self.spider is not None:
            self.crawler.engine.close_spider(self.spider, "parent_died")

    def emit(self, final: bool = False) -> None:
        if not self.progress or self.spider is None:
            return
        spider: Any = self.spider
        counts = self._counts()
        data = {
            "run": self.run_id,
            "pages": counts.pages,
            "links": counts.links,
            "failed": counts.failed,
            "requested": getattr(counts, "requested", None) or len(spider.requested),
            "total_known": getattr(spider, "total_known", False)
            or spider.plan.mode in ("recheck", "url"),
            "elapsed": round(time.monotonic() - self.started, 1),
            "final": final,
        }
        try:
            sys.stdout.write(PROGRESS_PREFIX + json.dumps(data) + "\n")
            sys.stdout.flush()
        except OSError:  # the command reading it is gone (killed): the crawl is ending
            self.progress = False

    def _counts(self) -> Any:
        """The crawl's counts: a partitioned crawl's lead adds the other partitions'."""
        counts = getattr(self.spider, "counts", None)
        return counts() if callable(counts) else getattr(self.spider, "progress", None)
