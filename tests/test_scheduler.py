"""The scheduler as a service: persisted jobs, restarts, SIGHUP, clean stops, catch-up runs."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.interval import IntervalTrigger

from monitor.scheduler import JobSpec, make_scheduler, sync_jobs
from tests.conftest import ROOT, govwatch
from tests.httpkit import Route, RouteServer
from tests.jobs import record
from tests.test_operations import html

SCHEDULE = """schedule:
  crawl: "0 2 * * *"
  crawl_spread: 2h
  freshness: "0 8,14 * * *"
  probe_interval: 72m
  probe_timeout: 5s
"""


def poll(check: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Call ``check`` until it returns something truthy, or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not true within {timeout} s: {check}")


def start(config: Path, db: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "schedule",
            "-c",
            str(config),
            "--db",
            db,
            "--log-file",
            str(config.parent / "logs" / "scheduler.log"),
            *extra,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def stop(process: subprocess.Popen[str], timeout: float = 20.0) -> float:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, out + err
    return time.monotonic() - started


def jobs(config: Path, db: str) -> dict[str, str]:
    data = json.loads(govwatch("status", "-c", str(config), "--db", db, "--format", "json").stdout)
    return {job["id"]: job["next_run"] for job in data["jobs"]}


def write_config(path: Path, home: str, schedule: str = SCHEDULE) -> None:
    path.write_text(
        "sites:\n"
        f"  - {{id: a, name: 甲站, home: '{home}'}}\n"
        f"  - {{id: b, name: 乙站, home: '{home}'}}\n" + schedule,
        encoding="utf-8",
    )


def test_jobs_persist_across_restarts_without_duplicates(tmp_path: Path, db_url: str) -> None:
    config, db = tmp_path / "sites.yaml", db_url
    write_config(config, "http://127.0.0.1:9/")
    first = start(config, db)
    try:
        before = poll(lambda: (j := jobs(config, db)) and len(j) == 5 and j)
    finally:
        stop(first)
    assert set(before) == {"crawl:a", "crawl:b", "freshness:a", "freshness:b", "probe"}
    # crawl_spread: the second site starts an hour after the first (2 sites over 2 h). Between
    # 02:00 and 03:00 the first's next run is tomorrow's and the second's today's.
    crawl_a = datetime.fromisoformat(before["crawl:a"])
    spread = datetime.fromisoformat(before["crawl:b"]) - crawl_a
    assert spread % timedelta(days=1) == timedelta(hours=1)
    assert crawl_a.astimezone(ZoneInfo("Asia/Shanghai")).hour == 2

    second = start(config, db)
    try:
        assert second.stderr is not None
        poll(lambda: "scheduler started" in (second.stderr.readline() or "started"))
        assert jobs(config, db) == before  # same jobs, same next runs: nothing duplicated
        # A config edit takes effect on SIGHUP; job history (runs) is untouched.
        write_config(
            config, "http://127.0.0.1:9/", SCHEDULE.replace('  freshness: "0 8,14 * * *"\n', "")
        )
        second.send_signal(signal.SIGHUP)
        after = poll(lambda: (j := jobs(config, db)) and len(j) == 3 and j)
    finally:
        stop(second)
    assert set(after) == {"crawl:a", "crawl:b", "probe"}
    assert after["crawl:a"] == before["crawl:a"]


def test_stop_ends_a_running_crawl_and_marks_it_incomplete(tmp_path: Path) -> None:
    slow = {f"/p{i}.html": Route(200, html(f"第{i}页"), delay=1.0) for i in range(60)}
    links = "".join(f"<a href='/p{i}.html'>第{i}页的链接</a>" for i in range(60))
    with RouteServer({"/": Route(200, html(links)), **slow}) as server:
        config, path = tmp_path / "sites.yaml", tmp_path / "g.db"
        config.write_text(
            f"sites:\n  - {{id: slow, name: 慢站, home: '{server.url}'}}\n" + SCHEDULE,
            encoding="utf-8",
        )
        db = f"sqlite:///{path}"
        process = start(config, db, "--now")
        try:

            def running() -> bool:
                if not path.exists():
                    return False
                try:
                    with sqlite3.connect(path) as conn:
                        query = "select count(*) from runs where status='running'"
                        return bool(conn.execute(query).fetchone()[0])
                except sqlite3.OperationalError:
                    return False  # the scheduler is still creating the schema

            poll(running)
        finally:
            took = stop(process)
    assert took < 15, f"the scheduler took {took:.1f} s to stop"
    with sqlite3.connect(path) as conn:
        runs = conn.execute("select kind, status, finish_reason from runs").fetchall()
        assert conn.execute("select count(*) from site_locks").fetchone()[0] == 0
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
    assert runs == [("crawl", "incomplete", runs[0][2])], runs
    assert (tmp_path / "logs" / "scheduler.log").read_text(encoding="utf-8")


def test_missed_runs_coalesce_into_one_catch_up(tmp_path: Path, db_url: str) -> None:
    db = db_url
    marker = tmp_path / "ran.txt"
    scheduler = make_scheduler(db)
    scheduler.start(paused=True)
    try:
        spec = JobSpec(
            "catch-up", record, IntervalTrigger(hours=1), (str(marker),), "default", 24 * 3600
        )
        assert sync_jobs(scheduler, [spec]) == {"catch-up": "added"}
        # As if the service had been down for ten hours: ten runs were missed.
        scheduler.get_job("catch-up").modify(
            next_run_time=datetime.now(ZoneInfo("Asia/Shanghai")) - timedelta(hours=10)
        )
        scheduler.resume()
        poll(
            lambda: (
                marker.exists()
                and scheduler.get_job("catch-up").next_run_time
                > datetime.now(ZoneInfo("Asia/Shanghai"))
            )
        )
        job = scheduler.get_job("catch-up")
        assert (job.coalesce, job.max_instances) == (True, 1)
    finally:
        scheduler.shutdown(wait=True)
        # APScheduler's thread makes a last pass after its job store closed its connections,
        # which opens one again; the service's process ends there, this one goes on.
        scheduler._lookup_jobstore("default").engine.dispose()
    assert marker.read_text(encoding="utf-8") == "ran\n"
