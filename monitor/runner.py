"""Start runs, one process per site, holding the site's lock; enforce time limits; make sure
a run whose process died is marked incomplete."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from monitor import store, warmstart
from monitor.assessments import assess, today_local
from monitor.config import Config, load_config
from monitor.database import (
    DatabaseError,
    describe_operational_error,
    open_database,
    session_scope,
)
from monitor.locks import SiteLockedError, describe_holder, site_lock
from monitor.records import LockHolder, RunRecord

log = logging.getLogger(__name__)
PROGRESS_PREFIX = "@govwatch-progress "
RUN_PREFIX = "@govwatch-run "
STOP_GRACE_SECONDS = 5.0

ProgressCallback = Callable[[str, dict[str, Any]], None]


@dataclass(frozen=True)
class RunRequest:
    """What to run on one site."""

    site_id: str
    kind: str = "crawl"  # crawl, freshness, scan, recheck
    columns: tuple[str, ...] = ()
    url: str | None = None
    command: str = "govwatch crawl"
    accounts: tuple[str, ...] = ()  # with site_id == ACCOUNTS_SUBJECT: only these accounts


@dataclass(frozen=True)
class RunOutcome:
    site_id: str
    exit_code: int | None
    seconds: float
    run: RunRecord | None
    locked_by: LockHolder | None = None


@dataclass
class _Children:
    """Child processes started by this process, so that a stop can end them."""

    processes: set[subprocess.Popen[str]] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)
    stopping: threading.Event = field(default_factory=threading.Event)


CHILDREN = _Children()


def crawl_requests(
    config: Config,
    site_ids: Sequence[str] = (),
    account_ids: Sequence[str] = (),
    command: str = "govwatch crawl",
) -> list[RunRequest]:
    """What `govwatch crawl` runs: the chosen sites and accounts, or everything when none is
    chosen (all accounts are fetched in one run)."""
    sites = [config.site(s).id for s in site_ids]
    accounts = tuple(config.account(a).id for a in account_ids)
    if not sites and not accounts:
        sites = [s.id for s in config.sites]
        accounts = tuple(a.id for a in config.accounts)
        requests = [RunRequest(s, "crawl", command=command) for s in sites]
        if accounts:
            requests.append(RunRequest(store.ACCOUNTS_SUBJECT, "crawl", command=command))
        return requests
    requests = [RunRequest(s, "crawl", command=command) for s in sites]
    if accounts:
        requests.append(
            RunRequest(store.ACCOUNTS_SUBJECT, "crawl", command=command, accounts=accounts)
        )
    return requests


def run_site(
    config_path: Path,
    request: RunRequest,
    db_url: str,
    settings: Sequence[str] = (),
    wait: float = 0.0,
    time_limit: float | None = None,
    on_progress: ProgressCallback | None = None,
) -> RunOutcome:
    """Run one site's work in a child process while holding its lock."""
    started = time.monotonic()
    engine = open_database(db_url)
    try:
        with site_lock(engine, request.site_id, request.command, wait, on_wait=_announce_wait):
            exit_code, run_id = _run_child(
                config_path, request, db_url, settings, time_limit, on_progress
            )
            with session_scope(engine) as session:
                if run_id is not None and store.abandon_run(
                    session, run_id, f"process ended ({_describe_exit(exit_code)})"
                ):
                    log.warning(
                        "run %s of %s ended without closing: marked incomplete",
                        run_id,
                        request.site_id,
                    )
                run = store.get_run(session, run_id) if run_id is not None else None
            if (
                run is not None
                and run.status == "complete"
                and run.site_id != store.ACCOUNTS_SUBJECT
            ):
                run = _count_findings(engine, config_path, run)
        return RunOutcome(request.site_id, exit_code, time.monotonic() - started, run)
    except SiteLockedError as locked:
        return RunOutcome(request.site_id, None, time.monotonic() - started, None, locked.holder)
    except OperationalError as exc:
        raise DatabaseError(describe_operational_error(db_url, exc)) from exc
    finally:
        engine.dispose()


def run_sites(
    config_path: Path,
    requests: Sequence[RunRequest],
    db_url: str,
    settings: Sequence[str] = (),
    parallel: int = 2,
    wait: float = 0.0,
    time_limit: float | None = None,
    on_progress: ProgressCallback | None = None,
    on_done: Callable[[RunOutcome], None] | None = None,
) -> list[RunOutcome]:
    """Several sites, at most ``parallel`` at a time (one per core)."""
    open_database(db_url).dispose()  # create or check the schema once, before the children

    def one(request: RunRequest) -> RunOutcome:
        outcome = run_site(config_path, request, db_url, settings, wait, time_limit, on_progress)
        if on_done:
            on_done(outcome)
        return outcome

    pool = ThreadPoolExecutor(max_workers=max(1, parallel))
    try:
        futures = [pool.submit(one, request) for request in requests]
        return [future.result() for future in futures]
    except KeyboardInterrupt:
        stop_all()  # Ctrl-C: the children are in their own sessions and need telling
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def stop_all(grace: float = STOP_GRACE_SECONDS) -> None:
    """End every running child: SIGTERM (Scrapy closes the run as incomplete), then SIGKILL."""
    CHILDREN.stopping.set()
    with CHILDREN.lock:
        children = list(CHILDREN.processes)
    for child in children:
        _signal(child, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            _signal(child, signal.SIGKILL)


def _run_child(
    config_path: Path,
    request: RunRequest,
    db_url: str,
    settings: Sequence[str],
    time_limit: float | None,
    on_progress: ProgressCallback | None,
) -> tuple[int | None, int | None]:
    target = (
        ["--accounts", *[f"--account={a}" for a in request.accounts]]
        if request.site_id == store.ACCOUNTS_SUBJECT
        else ["--site", request.site_id]
    )
    arguments = [  # of python -m crawler.main
        "-c",
        str(config_path),
        *target,
        "--db",
        db_url,
        "--kind",
        request.kind,
        "--command",
        request.command,
        "-s",
        "GOVWATCH_PROGRESS=True",
    ]
    for column in request.columns:
        arguments += ["--column", column]
    if request.url:
        arguments += ["--url", request.url]
    if time_limit:
        arguments += ["-s", f"CLOSESPIDER_TIMEOUT={int(time_limit)}"]
    for setting in settings:
        arguments += ["-s", setting]
    # Started and registered under the lock: a stop either sees this child or prevents it.
    with CHILDREN.lock:
        if CHILDREN.stopping.is_set():
            return None, None
        child = warmstart.start(arguments)
        CHILDREN.processes.add(child)
    run_id: list[int] = []
    reader = threading.Thread(
        target=_read_child, args=(child, request.site_id, run_id, on_progress), daemon=True
    )
    reader.start()
    try:
        _wait(child, time_limit)
    except KeyboardInterrupt:
        _signal(child, signal.SIGTERM)
        _wait(child, STOP_GRACE_SECONDS)
        raise
    finally:
        reader.join(timeout=5)
        if child.stdout is not None:
            child.stdout.close()
        with CHILDREN.lock:
            CHILDREN.processes.discard(child)
    return child.returncode, (run_id[0] if run_id else None)


def _wait(child: subprocess.Popen[str], limit: float | None) -> None:
    """Wait for the child; past the limit (plus a grace) stop it, then kill it."""
    try:
        child.wait(timeout=None if limit is None else limit + 60)
        return
    except subprocess.TimeoutExpired:
        log.warning("run past its time limit: stopping PID %s", child.pid)
    _signal(child, signal.SIGTERM)
    try:
        child.wait(timeout=STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        _signal(child, signal.SIGKILL)
        child.wait()


def _read_child(
    child: subprocess.Popen[str],
    site_id: str,
    run_id: list[int],
    on_progress: ProgressCallback | None,
) -> None:
    assert child.stdout is not None
    for line in child.stdout:
        if line.startswith(RUN_PREFIX):
            run_id.append(int(line[len(RUN_PREFIX) :]))
        elif line.startswith(PROGRESS_PREFIX):
            if on_progress is not None:
                on_progress(site_id, json.loads(line[len(PROGRESS_PREFIX) :]))
        else:
            sys.stdout.write(line)


def _signal(child: subprocess.Popen[str], signum: int) -> None:
    if child.poll() is None:
        try:
            os.kill(child.pid, signum)
        except ProcessLookupError:
            return


def _count_findings(engine: Engine, config_path: Path, run: RunRecord) -> RunRecord:
    """Record on the run how many findings the site has once it is taken into account."""
    config = load_config(config_path)
    count = len(assess(engine, config, today_local(), [run.site_id])[0].findings)
    with session_scope(engine) as session:
        store.set_run_findings(session, run.id, count)
    return replace(run, findings=count)


def _announce_wait(holder: LockHolder) -> None:
    print(
        f"等待站点锁 / waiting for the lock: {describe_holder(holder)}", file=sys.stderr, flush=True
    )


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "not started"
    if code < 0:
        return f"signal {signal.Signals(-code).name}"
    return f"exit {code}"
