"""Ad hoc scans, site locks, status: the operations an office runs every day."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from monitor import locks, store
from monitor.assessments import today_local
from monitor.database import open_database, session_scope
from tests.conftest import FAST, ROOT, findings_json, govwatch
from tests.httpkit import Route, RouteServer

TODAY = today_local()


def html(body: str) -> bytes:
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'></head><body>{body}</body></html>"
    ).encode()


def news_list(*days: date) -> bytes:
    items = "".join(
        f"<li><a href='/zwdt/{d:%Y%m}/t{d:%Y%m%d}_{i}.html'>工作动态第{i}篇文章</a>"
        f"<span>{d.isoformat()}</span></li>"
        for i, d in enumerate(days)
    )
    return html(f"<ul class='list'>{items}</ul>")


@pytest.fixture
def site(tmp_path: Path):  # type: ignore[no-untyped-def]
    routes: dict[str, Route] = {
        "/": Route(
            200,
            html(
                "<a href='/zwdt/'>工作动态</a><a href='/fixme.html'>待修复的页面</a>"
                "<a href='/broken.pdf'>仍然损坏的附件</a>"
            ),
        ),
        "/zwdt/": Route(200, news_list(TODAY - timedelta(days=30))),
        "/zwdt/2*": Route(200, html("文章")),
    }
    with RouteServer(routes) as server:
        config = tmp_path / "site.yaml"
        config.write_text(
            f"sites:\n  - id: ops\n    name: 运维测试站\n    home: {server.url}\n    columns:\n"
            f"      - {{name: 工作动态, url: '{server.url}zwdt/', category: news}}\n",
            encoding="utf-8",
        )
        db = f"sqlite:///{tmp_path / 'g.db'}"
        govwatch("crawl", "-c", str(config), "--db", db, *FAST)
        yield server, routes, config, db


def test_recheck_dead_marks_the_repaired_link_fixed(site) -> None:  # type: ignore[no-untyped-def]
    server, routes, config, db = site
    before = {f["url"] for f in findings_json(config, db, TODAY) if f["kind"] == "dead_link"}
    assert before == {f"{server.url}fixme.html", f"{server.url}broken.pdf"}
    routes["/fixme.html"] = Route(200, html("已修复"))
    server.requests.clear()
    result = govwatch(
        "scan",
        "-c",
        str(config),
        "--db",
        db,
        "--site",
        "ops",
        "--recheck-dead",
        "--format",
        "json",
        *FAST,
        check=False,
    )
    assert result.returncode == 1, result.stderr  # broken.pdf is still dead
    summary = json.loads(result.stdout)
    assert summary["run"]["kind"] == "recheck"
    assert [f["url"] for f in summary["fixed"]] == [f"{server.url}fixme.html"]
    assert summary["fixed"][0]["was_status"] == 404
    assert summary["fixed"][0]["fixed_at"].startswith(TODAY.isoformat()[:4])
    assert [f["url"] for f in summary["findings"]] == [f"{server.url}broken.pdf"]
    # Only the dead links were requested again.
    requested = {path for _, path in server.requests}
    assert {p for p in requested if "surely-missing" not in p} == {"/fixme.html", "/broken.pdf"}
    after = findings_json(config, db, TODAY)
    assert {f["url"] for f in after if f["kind"] == "dead_link"} == {f"{server.url}broken.pdf"}
    # The stale column, which the recheck did not look at, keeps its state.
    assert [f["column"] for f in after if f["kind"] == "stale_column"] == ["工作动态"]


def test_column_scan_answers_is_it_fixed(site) -> None:  # type: ignore[no-untyped-def]
    server, routes, config, db = site
    routes["/zwdt/"] = Route(200, news_list(TODAY - timedelta(days=1)))
    result = govwatch(
        "scan",
        "-c",
        str(config),
        "--db",
        db,
        "--site",
        "ops",
        "--column",
        "工作动态",
        *FAST,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no findings" in result.stdout
    after = findings_json(config, db, TODAY)
    assert not [f for f in after if f["kind"] == "stale_column"]
    # The rest of the site keeps the full crawl's view.
    assert {f["url"] for f in after if f["kind"] == "dead_link"} == {
        f"{server.url}fixme.html",
        f"{server.url}broken.pdf",
    }


def test_url_scan_reports_the_page_s_dead_links(site) -> None:  # type: ignore[no-untyped-def]
    server, routes, config, db = site
    routes["/page.html"] = Route(200, html("<a href='/gone.html'>新的死链接</a>"))
    result = govwatch(
        "scan",
        "-c",
        str(config),
        "--db",
        db,
        "--site",
        "ops",
        "--url",
        f"{server.url}page.html",
        "--format",
        "json",
        *FAST,
        check=False,
    )
    assert result.returncode == 1
    found = json.loads(result.stdout)["findings"]
    assert [(f["url"], f["sources"]) for f in found] == [
        (f"{server.url}gone.html", [f"{server.url}page.html"])
    ]


def test_a_locked_site_exits_2_naming_the_holder(site) -> None:  # type: ignore[no-untyped-def]
    _, _, config, db = site
    engine = open_database(db)
    locks.acquire(engine, "ops", "govwatch crawl (test holder)")
    try:
        result = govwatch("scan", "-c", str(config), "--db", db, "--site", "ops", check=False)
    finally:
        locks.release(engine, "ops")
    assert result.returncode == 2
    assert "govwatch crawl (test holder)" in result.stderr
    assert f"PID {__import__('os').getpid()}" in result.stderr


def test_wait_takes_the_lock_when_it_is_released(site) -> None:  # type: ignore[no-untyped-def]
    _, routes, config, db = site
    routes["/zwdt/"] = Route(200, news_list(TODAY))
    engine = open_database(db)
    locks.acquire(engine, "ops", "holder")
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "scan",
            "-c",
            str(config),
            "--db",
            db,
            "--site",
            "ops",
            "--column",
            "工作动态",
            "--wait",
            "60",
            *FAST,
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert child.stderr is not None
        first = child.stderr.readline()  # blocks until the scan says it is waiting
        assert "waiting for the lock" in first and "`holder`" in first
    finally:
        locks.release(engine, "ops")
    out, err = child.communicate(timeout=60)
    assert child.returncode == 0, out + err
    assert "no findings" in out


def test_a_lock_left_by_a_dead_process_is_recovered(site) -> None:  # type: ignore[no-untyped-def]
    _, _, config, db = site
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    engine = open_database(db)
    with session_scope(engine) as session:
        store.insert_lock(
            session, "ops", "killed crawl", dead.pid, __import__("socket").gethostname()
        )
    result = govwatch(
        "scan",
        "-c",
        str(config),
        "--db",
        db,
        "--site",
        "ops",
        "--column",
        "工作动态",
        *FAST,
        check=False,
    )
    assert result.returncode in (0, 1), result.stderr
    with session_scope(engine) as session:
        assert store.held_locks(session) == []


def test_status_json(site) -> None:  # type: ignore[no-untyped-def]
    _, _, config, db = site
    data = json.loads(govwatch("status", "-c", str(config), "--db", db, "--format", "json").stdout)
    assert set(data) >= {"runs", "jobs", "locks"}
    run = data["runs"][0]
    assert {k: run[k] for k in ("site", "kind", "status")} == {
        "site": "ops",
        "kind": "crawl",
        "status": "complete",
    }
    assert run["started"].endswith("+00:00")
    assert run["finished"] >= run["started"]
    assert run["pages"] >= 2
    assert run["links"] >= 4
    assert data["jobs"] == []
    assert data["locks"] == []
    assert data["database"]["size_bytes"] > 0


def test_read_only_database_is_a_clear_error(site) -> None:  # type: ignore[no-untyped-def]
    _, _, config, db = site
    path = db.removeprefix("sqlite:///")
    read_only = f"sqlite:///file:{path}?mode=ro&uri=true"
    result = govwatch("crawl", "-c", str(config), "--db", read_only, check=False)
    assert result.returncode == 1
    assert "read-only" in result.stderr
    assert "Traceback" not in result.stderr
    # A SQLite URI names a file that must exist: no folder is made from its text.
    assert not (ROOT / f"file:{Path(path).parent}").exists()


def test_a_link_removed_from_a_rescanned_page_is_no_longer_reported(site) -> None:  # type: ignore[no-untyped-def]
    server, routes, config, db = site
    routes["/"] = Route(
        200, html("<a href='/zwdt/'>工作动态</a><a href='/broken.pdf'>仍然损坏的附件</a>")
    )
    result = govwatch(
        "scan",
        "-c",
        str(config),
        "--db",
        db,
        "--site",
        "ops",
        "--url",
        server.url,
        "--format",
        "json",
        *FAST,
        check=False,
    )
    assert [f["url"] for f in json.loads(result.stdout)["findings"]] == [f"{server.url}broken.pdf"]
    after = {f["url"] for f in findings_json(config, db, TODAY) if f["kind"] == "dead_link"}
    assert after == {f"{server.url}broken.pdf"}
