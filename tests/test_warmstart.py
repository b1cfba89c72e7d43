"""The crawl process started idle with the command (monitor.warmstart)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest

from monitor import warmstart
from monitor.runner import RunRequest, run_site
from tests.conftest import ROOT, govwatch
from tests.httpkit import Route, RouteServer

TODAY = date.today()
SETTINGS = ("DOWNLOAD_TIMEOUT=5", "RETRY_TIMES=1", "GOVWATCH_RETRY_BACKOFF=0.2")


def page(body: str) -> bytes:
    return f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>".encode()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[RouteServer, Path, str]]:
    day = (TODAY - timedelta(days=3)).isoformat()
    routes = {
        "/": Route(200, page("<a href='/zwdt/'>工作动态</a><a href='/gone.html'>已删除</a>")),
        "/zwdt/": Route(
            200, page(f"<ul><li><a href='/zwdt/1.html'>通知</a><span>{day}</span></li></ul>")
        ),
        "/zwdt/1.html": Route(200, page("文章")),
    }
    with RouteServer(routes) as server:
        config = tmp_path / "site.yaml"
        config.write_text(
            f"sites:\n  - id: warm\n    name: 预启动测试站\n    home: {server.url}\n",
            encoding="utf-8",
        )
        yield server, config, f"sqlite:///{tmp_path / 'g.db'}"
    warmstart.release()


def test_the_run_is_crawled_by_the_process_started_idle_before_it(site) -> None:  # type: ignore[no-untyped-def]
    server, config, db = site
    idle = warmstart.start_idle()
    outcome = run_site(config, RunRequest("warm"), db, SETTINGS)
    assert outcome.run is not None and outcome.run.status == "complete"
    assert outcome.run.pages >= 3
    # The idle process took the run, and ended with it: none was started beside it.
    assert idle.returncode == 0
    assert warmstart.start_idle() is not idle
    assert any(path == "/gone.html" for _, path in server.requests)


def test_a_run_whose_idle_process_died_starts_a_new_one(site) -> None:  # type: ignore[no-untyped-def]
    _, config, db = site
    idle = warmstart.start_idle()
    idle.kill()
    idle.wait()
    outcome = run_site(config, RunRequest("warm"), db, SETTINGS)
    assert outcome.run is not None and outcome.run.status == "complete"


def test_an_idle_process_given_no_work_ends_with_the_command(tmp_path: Path) -> None:
    config = tmp_path / "site.yaml"
    config.write_text(
        "sites:\n  - id: warm\n    name: 预启动测试站\n    home: http://127.0.0.1:9/\n",
        encoding="utf-8",
    )
    marker = uuid.uuid4().hex
    os.environ["GOVWATCH_TEST_MARKER"] = marker
    try:
        result = govwatch("crawl", "-c", str(config), "--site", "nosuch", check=False)
    finally:
        del os.environ["GOVWATCH_TEST_MARKER"]
    assert result.returncode != 0
    assert "nosuch" in result.stderr
    assert _processes_marked(marker) == []


def test_help_and_other_commands_start_no_crawl_process() -> None:
    assert warmstart.wants_crawl_process(["crawl", "-c", "x.yaml"])
    assert warmstart.wants_crawl_process(["scan", "-c", "x.yaml", "--site", "a"])
    assert not warmstart.wants_crawl_process(["crawl", "--help"])
    assert not warmstart.wants_crawl_process(["findings", "-c", "x.yaml"])
    assert not warmstart.wants_crawl_process([])


def _processes_marked(marker: str) -> list[int]:
    """Processes (of any parent) whose environment carries ``marker``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if f"GOVWATCH_TEST_MARKER={marker}".encode() in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def test_an_idle_crawl_process_loads_what_scrapy_will_load_and_not_the_remote_control() -> None:
    wanted = ("scrapy.core.downloader.handlers.http11", "crawler.pipelines", "crawler.middlewares")
    unwanted = ("scrapy.extensions.remote_control", "aiohttp")
    probe = (
        "import sys, crawler.main as m; "
        "m.preload_components(m._settings('', 0, None)); "
        f"print(sorted(n for n in {wanted + unwanted!r} if n in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == repr(sorted(wanted))
