"""Start crawls, one process per site, at most ``parallel`` at a time (one per core)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from monitor import store
from monitor.database import open_database, session_scope
from monitor.records import RunRecord


@dataclass(frozen=True)
class CrawlResult:
    site_id: str
    exit_code: int
    seconds: float
    run: RunRecord | None


def run_crawls(
    config_path: Path,
    site_ids: Sequence[str],
    db_url: str,
    settings: Sequence[str] = (),
    parallel: int = 2,
    on_done: Callable[[CrawlResult], None] | None = None,
) -> list[CrawlResult]:
    """Crawl each site in its own ``python -m crawler.main`` process."""
    open_database(db_url).dispose()  # create or check the schema once, before the children
    waiting = list(site_ids)
    running: dict[str, tuple[subprocess.Popen[bytes], float]] = {}
    results: list[CrawlResult] = []
    try:
        while waiting or running:
            while waiting and len(running) < max(1, parallel):
                site_id = waiting.pop(0)
                command = [
                    sys.executable,
                    "-m",
                    "crawler.main",
                    "-c",
                    str(config_path),
                    "--site",
                    site_id,
                    "--db",
                    db_url,
                ]
                for setting in settings:
                    command += ["-s", setting]
                running[site_id] = (subprocess.Popen(command), time.monotonic())
            for site_id, (process, started) in list(running.items()):
                try:
                    code = process.wait(timeout=0.2)
                except subprocess.TimeoutExpired:
                    continue
                del running[site_id]
                result = CrawlResult(
                    site_id, code, time.monotonic() - started, _last_run(db_url, site_id)
                )
                results.append(result)
                if on_done:
                    on_done(result)
    finally:
        for process, _ in running.values():
            process.terminate()
        for process, _ in running.values():
            process.wait()
    return results


def _last_run(db_url: str, site_id: str) -> RunRecord | None:
    engine = open_database(db_url)
    try:
        with session_scope(engine) as session:
            store.mark_abandoned_runs(session, site_id)
            runs = store.latest_runs(session, site_id, limit=1)
    finally:
        engine.dispose()
    return runs[0] if runs else None
