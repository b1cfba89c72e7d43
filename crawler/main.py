"""One run of one site in this process: ``python -m crawler.main -c FILE --site ID --db URL``.

The runner (monitor.runner) starts one such process per site, holding the site's lock; Twisted's
reactor cannot be restarted, so one process per run is also what the scheduler needs. A full
crawl forks ``GOVWATCH_WORKERS - 1`` more processes (crawler.partition), in this process group,
so that a crawl uses every core it is given; this process is their lead and closes the run.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import signal
import socket
import sys
import time
import traceback
from datetime import date
from typing import Any

from scrapy import Spider
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.partition import Partition
from crawler.spiders.newmedia import NewMediaSpider
from crawler.spiders.site import CrawlPlan, SiteSpider
from monitor import store, warmstart
from monitor.config import load_config
from monitor.database import open_database, session_scope

KINDS = ("crawl", "freshness", "scan", "recheck")


def plan_for(
    kind: str,
    columns: tuple[str, ...] = (),
    url: str | None = None,
    recheck: tuple[tuple[str, str, str], ...] = (),
    discovered: tuple[tuple[str, str, str | None], ...] = (),
) -> CrawlPlan:
    if kind == "freshness":
        return CrawlPlan("freshness")
    if kind == "recheck":
        return CrawlPlan("recheck", recheck=recheck)
    if url:
        return CrawlPlan("url", url=url, discovered=discovered)
    if columns:
        return CrawlPlan("columns", columns=columns, discovered=discovered)
    return CrawlPlan("full")


def crawl_site(
    config_path: str,
    site_id: str,
    db_url: str,
    overrides: dict[str, str] | None = None,
    crawl_date: date | None = None,
    kind: str = "crawl",
    columns: tuple[str, ...] = (),
    url: str | None = None,
    command: str | None = None,
) -> int:
    """Run ``kind`` on ``site_id`` into a new run row; returns the run id."""
    config = load_config(config_path)
    site = config.site(site_id)
    engine = open_database(db_url)
    with session_scope(engine) as session:
        store.mark_abandoned_runs(session, site_id)
        recheck: tuple[tuple[str, str, str], ...] = ()
        if kind == "recheck":
            view = store.site_view(session, site_id)
            recheck = tuple(
                (p.check.url_key, p.check.url, "GET" if p.check.method == "GET" else "HEAD")
                for p in view.problems
                if not p.check.url_key.startswith("malformed:")
            )
        discovered: tuple[tuple[str, str, str | None], ...] = ()
        if columns or url:  # a scan of a column the last crawl discovered reads it as found
            discovered = tuple(
                (o.column_name, o.url, o.parent_name)
                for o in store.discovered_columns(session, site_id)
            )
        plan = plan_for(kind, columns, url, recheck, discovered)
        scope = "full" if plan.mode == "full" else "partial"
        previous = (
            store.previous_crawl(session, site_id, _full_read_days(overrides))
            if plan.follows_pages
            else None
        )
        run_id = store.start_run(session, site_id, kind=kind, scope=scope, command=command)
    engine.dispose()
    _announce(run_id)
    settings = _settings(db_url, run_id, overrides)
    arguments: dict[str, Any] = {
        "site": site,
        "crawl_date": crawl_date,
        "plan": plan,
        "previous": previous,
    }
    count = workers(settings) if plan.follows_pages else 1
    if count > 1:
        _start_partitioned(settings, count, arguments)
    else:
        _start(settings, SiteSpider, **arguments)
    return run_id


def workers(settings: Settings) -> int:
    """How many processes crawl one site: GOVWATCH_WORKERS, 0 for one per core (at most 4)."""
    asked = settings.getint("GOVWATCH_WORKERS")
    if asked <= 0:
        usable = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else None
        asked = min(len(usable) if usable else os.cpu_count() or 1, 4)
    return max(1, asked) if hasattr(os, "fork") else 1


def _start_partitioned(settings: Settings, count: int, arguments: dict[str, Any]) -> None:
    """Fork the other partitions, run the lead here, then wait for them."""
    pairs = {(a, b): socket.socketpair() for a in range(count) for b in range(a + 1, count)}

    def sockets_of(index: int) -> dict[int, socket.socket]:
        return {
            (b if a == index else a): pair[0 if a == index else 1]
            for (a, b), pair in pairs.items()
            if index in (a, b)
        }

    sys.stdout.flush()
    sys.stderr.flush()
    children = []
    for index in range(1, count):
        pid = os.fork()
        if pid == 0:  # a partition: crawl its share, never return into the caller
            code = 0
            try:
                mine = _keep_only(pairs, sockets_of(index))
                _start(
                    _partition_settings(settings, index, count),
                    SiteSpider,
                    partition=Partition(index, count),
                    partition_sockets=mine,
                    **arguments,
                )
            except BaseException:
                traceback.print_exc()
                code = 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children.append(pid)
    mine = _keep_only(pairs, sockets_of(0))
    try:
        _start(
            _partition_settings(settings, 0, count),
            SiteSpider,
            partition=Partition(0, count),
            partition_sockets=mine,
            **arguments,
        )
    finally:
        _reap(children)


def _keep_only(
    pairs: dict[tuple[int, int], tuple[socket.socket, socket.socket]],
    mine: dict[int, socket.socket],
) -> dict[int, socket.socket]:
    """Close the other processes' ends in this one (so that a dead peer reads as end of file)."""
    for pair in pairs.values():
        for sock in pair:
            if sock not in mine.values():
                sock.close()
    return mine


def _partition_settings(settings: Settings, index: int, count: int) -> Settings:
    """Each partition gets its share of the per-server and whole-crawl concurrency (together
    they stay within the limits one process would keep); only the lead reports progress."""
    mine = settings.copy()
    share = Partition(index, count).share
    mine.set(
        "CONCURRENT_REQUESTS_PER_DOMAIN",
        share(settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN")),
        priority="cmdline",
    )
    mine.set("CONCURRENT_REQUESTS", share(settings.getint("CONCURRENT_REQUESTS")), "cmdline")
    mine.set(
        "GOVWATCH_STUCK_ALLOWANCE", share(settings.getint("GOVWATCH_STUCK_ALLOWANCE")), "cmdline"
    )
    mine.set(
        "AUTOTHROTTLE_TARGET_CONCURRENCY",
        settings.getfloat("AUTOTHROTTLE_TARGET_CONCURRENCY") / count,
        priority="cmdline",
    )
    if index:
        mine.set("GOVWATCH_PROGRESS", False, priority="cmdline")
    return mine


def _reap(children: list[int], grace: float = 30.0) -> None:
    """Wait for the other partitions (they close right after the lead says stop)."""
    deadline = time.monotonic() + grace
    waiting = set(children)
    while waiting:
        for pid in list(waiting):
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = pid
            if done:
                waiting.discard(pid)
        if not waiting:
            return
        if time.monotonic() > deadline:
            for pid in waiting:
                try:
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
                except (ProcessLookupError, ChildProcessError):
                    pass
            return
        time.sleep(0.05)


def crawl_accounts(
    config_path: str,
    db_url: str,
    account_ids: tuple[str, ...] = (),
    overrides: dict[str, str] | None = None,
    command: str | None = None,
) -> int:
    """Fetch every new-media account (or the chosen ones) into a new run; returns its id."""
    config = load_config(config_path)
    accounts = tuple(config.account(a) for a in account_ids) or config.accounts
    engine = open_database(db_url)
    with session_scope(engine) as session:
        store.mark_abandoned_runs(session, store.ACCOUNTS_SUBJECT)
        run_id = store.start_run(
            session,
            store.ACCOUNTS_SUBJECT,
            kind="crawl",
            scope="partial" if account_ids else "full",
            command=command,
        )
    engine.dispose()
    _announce(run_id)
    _start(_settings(db_url, run_id, overrides), NewMediaSpider, accounts=accounts)
    return run_id


def _announce(run_id: int) -> None:
    print(f"@govwatch-run {run_id}", flush=True)


def _full_read_days(overrides: dict[str, str] | None) -> int:
    """GOVWATCH_FULL_READ_DAYS, as the crawl's settings will have it."""
    return _settings("", 0, overrides).getint("GOVWATCH_FULL_READ_DAYS")


def _settings(db_url: str, run_id: int, overrides: dict[str, str] | None) -> Settings:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    settings.set("GOVWATCH_DB", db_url, priority="cmdline")
    settings.set("GOVWATCH_RUN_ID", run_id, priority="cmdline")
    return settings


# Scrapy loads these by name when a crawl starts: the component lists (with their _BASE) and
# the single classes.
COMPONENT_SETTINGS = (
    "DOWNLOADER_MIDDLEWARES",
    "SPIDER_MIDDLEWARES",
    "EXTENSIONS",
    "ITEM_PIPELINES",
    "DOWNLOAD_HANDLERS",
)
CLASS_SETTINGS = (
    "DOWNLOADER",
    "SCHEDULER",
    "SCHEDULER_PRIORITY_QUEUE",
    "SCHEDULER_MEMORY_QUEUE",
    "DUPEFILTER_CLASS",
    "STATS_CLASS",
    "LOG_FORMATTER",
    "REQUEST_FINGERPRINTER_CLASS",
    "DOWNLOADER_CLIENTCONTEXTFACTORY",
    "TWISTED_DNS_RESOLVER",
)


def preload_components(settings: Settings) -> None:
    """Import the modules of the components Scrapy will load for a crawl.

    Scrapy imports them when the crawl starts, half a second of work (one module builds
    deprecated aliases with ``inspect.stack()``, slower the deeper the stack). An idle crawl
    process does it while it waits for its run, shallowly; one that fails is left for Scrapy to
    report when the crawl starts.
    """
    paths: list[object] = [settings.get(name) for name in CLASS_SETTINGS]
    for name in COMPONENT_SETTINGS:
        # Every key, the disabled ones too: Scrapy loads each key to compare classes.
        for key, value in settings.getwithbase(name).items():
            paths.append(value if name == "DOWNLOAD_HANDLERS" else key)
    for path in paths:
        if isinstance(path, str) and "." in path:
            with contextlib.suppress(ImportError):
                importlib.import_module(path.rsplit(".", 1)[0])


def _given_up_is_an_outcome(record: logging.LogRecord) -> bool:
    """Scrapy logs a URL that still fails after its retries as an ERROR. Here that is an outcome
    the crawl stores and the report judges (a dead or suspected link), not a fault of the crawl:
    a line of INFO (``govwatch crawl -v``), not an error line per dead link."""
    if record.levelno == logging.ERROR:
        record.levelno, record.levelname = logging.INFO, "INFO"
    return True


def _start(settings: Settings, spider: type[Spider], **arguments: Any) -> None:
    process = CrawlerProcess(settings)
    # Scrapy filters by LOG_LEVEL in its handler and sets the root logger to NOTSET (again when
    # the crawl starts), so each response and item still built a DEBUG record to be dropped
    # (about 2 % of a crawl's CPU). Its own loggers get the level themselves.
    logging.getLogger("scrapy").setLevel(settings.get("LOG_LEVEL"))
    logging.getLogger("scrapy.downloadermiddlewares.retry").addFilter(_given_up_is_an_outcome)
    process.crawl(spider, **arguments)
    process.start()


def main(argv: list[str] | None = None) -> int:
    if (sys.argv[1:] if argv is None else argv) == [warmstart.WAIT_FLAG]:
        # Started idle by the command line (monitor.warmstart): the imports above are done,
        # and those Scrapy would make once the run is handed over are made now.
        preload_components(_settings("", 0, None))
        argv = warmstart.read_arguments(sys.stdin)
        if argv is None:
            return 0
    parser = argparse.ArgumentParser(prog="python -m crawler.main", description=__doc__)
    parser.add_argument("-c", "--config", required=True)
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--site", help="the site to crawl")
    target.add_argument("--accounts", action="store_true", help="the new-media accounts")
    parser.add_argument("--account", action="append", default=[], help="only this account")
    parser.add_argument("--db", required=True)
    parser.add_argument("--kind", choices=KINDS, default="crawl")
    parser.add_argument("--column", action="append", default=[], help="only this column")
    parser.add_argument("--url", help="only this page and its links")
    parser.add_argument("--command", help="the command line that asked for this run")
    parser.add_argument(
        "-s",
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Scrapy or GOVWATCH_* setting",
    )
    args = parser.parse_args(argv)
    overrides = dict(item.split("=", 1) for item in args.set)
    if args.accounts:
        crawl_accounts(args.config, args.db, tuple(args.account), overrides, args.command)
        return 0
    crawl_site(
        args.config,
        args.site,
        args.db,
        overrides,
        kind=args.kind,
        columns=tuple(args.column),
        url=args.url,
        command=args.command,
    )
    return 0


if __name__ == "__main__":
    exit_code = main()
    # Every write is committed by now. Freeing a crawl's heap object by object at interpreter
    # exit took 0.4 s after a 20k-page crawl and changes nothing: flush what is buffered, leave.
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)
