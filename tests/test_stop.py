"""A stopped crawl ends promptly: what still waits for its server is dropped, not downloaded,
and nothing dropped is recorded as a link's outcome."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import FAST
from tests.httpkit import Route, RouteServer
from tests.test_operations import html

SLOW_LINKS = 60
DELAY = 1.0


def _slow_site() -> tuple[dict[str, Route], dict[str, Route]]:
    """SLOW_LINKS pages that answer after DELAY, all linked from the homepage: (them, routes)."""
    slow = {f"/slow/{n}.html": Route(200, html(f"慢{n}"), delay=DELAY) for n in range(SLOW_LINKS)}
    links = "".join(f"<a href='{path}'>慢页{path}</a>" for path in slow)
    return slow, {"/": Route(200, html(links)), **slow}


def _wait_for(condition: object, deadline: float) -> None:
    end = time.monotonic() + deadline
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < end, "timed out waiting"
        time.sleep(0.05)


@pytest.mark.parametrize("workers", [1, 2])
def test_a_stop_drops_queued_requests_and_records_only_what_was_answered(
    tmp_path: Path, workers: int
) -> None:
    slow, routes = _slow_site()
    config, path = tmp_path / "site.yaml", tmp_path / "g.db"
    with RouteServer(routes) as server:
        config.write_text(
            f"sites:\n  - {{id: slow, name: 慢站, home: '{server.url}'}}\n", encoding="utf-8"
        )
        # Everything fits in the whole-crawl limit, so the slow links all queue for the
        # server's 2 connections: without the drop, a stop waits ~SLOW_LINKS / 2 seconds.
        settings = [
            *FAST,
            "-s",
            f"GOVWATCH_WORKERS={workers}",
            "-s",
            "CONCURRENT_REQUESTS=256",
            "-s",
            "CONCURRENT_REQUESTS_PER_DOMAIN=2",
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
            "-s",
            "GOVWATCH_STUCK_ALLOWANCE=0",
        ]
        command = [sys.executable, "-m", "crawler.main", "-c", str(config), "--site", "slow"]
        child = subprocess.Popen(
            [*command, "--db", f"sqlite:///{path}", *settings],
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _wait_for(lambda: sum(1 for p, _, _ in server.spans if p in slow) >= 2, 30)
            asked = time.monotonic()
            child.send_signal(signal.SIGTERM)
            child.wait(timeout=30)
            took = time.monotonic() - asked
        finally:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        answered = {p for p, _, _ in server.spans if p in slow}
    # The requests in flight finish (DELAY); the rest would take SLOW_LINKS / 2 × DELAY.
    assert took < 6 * DELAY, f"the crawl took {took:.1f} s to stop"
    assert len(answered) < SLOW_LINKS / 2  # most were never sent
    with sqlite3.connect(path) as conn:
        runs = conn.execute("select status from runs").fetchall()
        checked = conn.execute("select url, status, error from link_checks").fetchall()
    assert runs == [("incomplete",)]
    slow_checks = [(url, status, error) for url, status, error in checked if "/slow/" in url]
    # Only links the server answered are recorded, and each with the server's answer.
    assert {url.removeprefix(server.url.rstrip("/")) for url, _, _ in slow_checks} <= answered
    assert all(status == 200 and error is None for _, status, error in slow_checks)


def test_a_stopped_crawl_command_leaves_no_crawl_running(tmp_path: Path) -> None:
    """``govwatch crawl`` told to stop (SIGTERM, as systemd or kill does) stops its crawl, marks
    the run incomplete and gives back the site's lock, instead of leaving the crawl running on
    with no lock held."""
    slow, routes = _slow_site()
    config, path = tmp_path / "site.yaml", tmp_path / "g.db"
    with RouteServer(routes) as server:
        config.write_text(
            f"sites:\n  - {{id: slow, name: 慢站, home: '{server.url}'}}\n", encoding="utf-8"
        )
        settings = [*FAST, "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2"]
        command = [sys.executable, "-m", "monitor", "crawl", "-c", str(config)]
        cli = subprocess.Popen(
            [*command, "--db", f"sqlite:///{path}", *settings],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_for(lambda: sum(1 for p, _, _ in server.spans if p in slow) >= 2, 30)
            cli.send_signal(signal.SIGTERM)
            code = cli.wait(timeout=30)

            def run_ended() -> bool:
                with sqlite3.connect(path) as conn:
                    return conn.execute("select status from runs").fetchall() == [("incomplete",)]

            _wait_for(run_ended, 30)
        finally:
            if cli.poll() is None:
                cli.kill()
                cli.wait()
        asked_when_ended = len(server.requests)
        time.sleep(2 * DELAY)  # a crawl still running would go on asking
        asked_later = len(server.requests)
    assert code == 1  # not complete
    assert asked_later == asked_when_ended
    with sqlite3.connect(path) as conn:
        locks = conn.execute("select count(*) from site_locks").fetchone()[0]
    assert locks == 0  # given back
