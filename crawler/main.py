"""One run of one site in this process: ``python -m crawler.main -c FILE --site ID --db URL``.

The runner (monitor.runner) starts one such process per site, holding the site's lock; Twisted's
reactor cannot be restarted, so one process per run is also what the scheduler needs.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from scrapy import Spider
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler.spiders.newmedia import NewMediaSpider
from crawler.spiders.site import CrawlPlan, SiteSpider
from monitor import store
from monitor.config import load_config
from monitor.database import open_database, session_scope

KINDS = ("crawl", "freshness", "scan", "recheck")


def plan_for(
    kind: str,
    columns: tuple[str, ...] = (),
    url: str | None = None,
    recheck: tuple[tuple[str, str, str], ...] = (),
) -> CrawlPlan:
    if kind == "freshness":
        return CrawlPlan("freshness")
    if kind == "recheck":
        return CrawlPlan("recheck", recheck=recheck)
    if url:
        return CrawlPlan("url", url=url)
    if columns:
        return CrawlPlan("columns", columns=columns)
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
        plan = plan_for(kind, columns, url, recheck)
        scope = "full" if plan.mode == "full" else "partial"
        previous = store.previous_crawl(session, site_id) if plan.follows_pages else None
        run_id = store.start_run(session, site_id, kind=kind, scope=scope, command=command)
    engine.dispose()
    _start(
        db_url,
        run_id,
        overrides,
        SiteSpider,
        site=site,
        crawl_date=crawl_date,
        plan=plan,
        previous=previous,
    )
    return run_id


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
    _start(db_url, run_id, overrides, NewMediaSpider, accounts=accounts)
    return run_id


def _start(
    db_url: str,
    run_id: int,
    overrides: dict[str, str] | None,
    spider: type[Spider],
    **arguments: Any,
) -> None:
    print(f"@govwatch-run {run_id}", flush=True)
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    for name, value in (overrides or {}).items():
        settings.set(name, value, priority="cmdline")
    settings.set("GOVWATCH_DB", db_url, priority="cmdline")
    settings.set("GOVWATCH_RUN_ID", run_id, priority="cmdline")
    process = CrawlerProcess(settings)
    process.crawl(spider, **arguments)
    process.start()


def main(argv: list[str] | None = None) -> int:
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
    sys.exit(main())
