"""Partitioned crawls: one site crawled by several processes gives exactly what one process
gives; a partition that dies leaves the run incomplete, never complete with holes."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from crawler.partition import Partition, Quiescence, owner_of
from monitor.assessments import today_local
from tests.conftest import FAST, ROOT, ServedDemo, fast_with, findings_json, govwatch
from tests.httpkit import Route, RouteServer
from tests.test_incremental import _comparable


def test_every_key_has_one_stable_owner() -> None:
    keys = [f"http://127.0.0.1:8080/zwgk/{n}.html" for n in range(2000)]
    owners = Counter(owner_of(k, 3) for k in keys)
    assert set(owners) == {0, 1, 2}
    assert min(owners.values()) > 500  # a fair share each
    assert [owner_of(k, 3) for k in keys] == [owner_of(k, 3) for k in keys]
    parts = [Partition(i, 3) for i in range(3)]
    assert all(sum(p.owns(k) for p in parts) == 1 for k in keys)
    assert Partition(1, 3).share(8) == 3 and Partition(0, 1).share(8) == 8
    assert owner_of("anything", 1) == 0


def test_the_crawl_is_over_only_after_two_quiet_waves_with_nothing_in_flight() -> None:
    quiet = Quiescence([1, 2])
    assert not quiet.may_probe()  # nobody has said it is idle
    quiet.reported_idle(1)
    quiet.reported_idle(2)
    wave = quiet.probe()
    quiet.ack(1, wave, True, 5, 3)
    assert not quiet.wave_complete()
    quiet.ack(2, wave, True, 2, 4)
    assert quiet.wave_complete()
    assert quiet.judge(True, 1, 1) is False  # balanced once: ask again
    wave = quiet.probe()
    quiet.ack(1, wave, True, 5, 3)
    quiet.ack(2, wave, True, 2, 4)
    assert quiet.judge(True, 1, 1) is True
    # A message in flight (sent, not yet received) or a busy partition: not over.
    quiet = Quiescence([1])
    quiet.reported_idle(1)
    wave = quiet.probe()
    quiet.ack(1, wave, True, 3, 0)
    assert quiet.judge(True, 0, 2) is None
    quiet.reported_idle(1)
    wave = quiet.probe()
    quiet.ack(1, wave, False, 3, 1)
    assert quiet.judge(True, 1, 3) is None
    assert not quiet.may_probe()  # the busy one must say it is idle again
    # A stale ack (an older wave) is ignored.
    quiet.reported_idle(1)
    wave = quiet.probe()
    quiet.ack(1, wave - 1, True, 0, 0)
    assert not quiet.wave_complete()


def _run_rows(db: Path) -> list[tuple[str, int, int, str | None]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("select status, pages, links, finish_reason from runs").fetchall()


def _occurrences(db: Path) -> Counter[tuple[str, ...]]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "select source_url, target_key, target_url, tag, attr, text from link_occurrences"
        ).fetchall()
    return Counter(rows)


def _checked(db: Path) -> Counter[str]:
    with sqlite3.connect(db) as conn:
        return Counter(k for (k,) in conn.execute("select url_key from link_checks"))


def _columns(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return sorted(
            conn.execute(
                "select column_name, url, status, item_count, dated_count, newest_date,"
                " newest_url from column_observations"
            ).fetchall()
        )


def test_three_partitions_find_exactly_what_one_process_finds(
    served_demo: ServedDemo, tmp_path: Path
) -> None:
    dbs = {}
    for workers in (1, 3):
        db = tmp_path / f"w{workers}.db"
        govwatch(
            "crawl",
            "-c",
            str(served_demo.config),
            "--db",
            f"sqlite:///{db}",
            *FAST,
            "-s",
            f"GOVWATCH_WORKERS={workers}",
        )
        dbs[workers] = db
    one, three = dbs[1], dbs[3]
    (single,), (split,) = _run_rows(one), _run_rows(three)
    assert single[0] == split[0] == "complete"
    assert split[1:3] == single[1:3]  # the lead's pages and links add up every partition's
    assert _occurrences(three) == _occurrences(one)
    checked = _checked(three)
    assert checked == _checked(one)
    assert max(checked.values()) == 1  # every URL checked once, by its owner
    assert _columns(three) == _columns(one)
    as_of = served_demo.today
    assert _comparable(findings_json(served_demo.config, f"sqlite:///{three}", as_of)) == (
        _comparable(findings_json(served_demo.config, f"sqlite:///{one}", as_of))
    )


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="reads /proc")
def test_a_partition_that_dies_leaves_the_run_incomplete(tmp_path: Path) -> None:
    pages = {
        f"/p{n}.html": Route(
            200,
            f"<html><body><a href='/p{n + 1}.html'>下一页</a></body></html>".encode(),
            {"Content-Type": "text/html; charset=utf-8"},
            delay=0.3,
        )
        for n in range(200)
    }
    pages["/"] = Route(200, b"<html><body><a href='/p0.html'>p0</a></body></html>")
    with RouteServer(pages) as server:
        config = tmp_path / "site.yaml"
        config.write_text(
            f"sites:\n  - {{id: slow, name: 慢站, home: '{server.url}', discover: false}}\n",
            encoding="utf-8",
        )
        db = tmp_path / "gw.db"
        lead = subprocess.Popen(
            [
                *(sys.executable, "-m", "crawler.main", "-c", str(config), "--site", "slow"),
                *("--db", f"sqlite:///{db}", "-s", "GOVWATCH_WORKERS=2", *FAST),
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not _children(lead.pid):
                time.sleep(0.05)
            peers = _children(lead.pid)
            assert peers, "the lead forked no partition"
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and len(server.requests) < 6:
                time.sleep(0.05)
            os.kill(peers[0], signal.SIGKILL)
            assert lead.wait(timeout=60) == 0
        finally:
            if lead.poll() is None:
                lead.kill()
    ((status, _, _, reason),) = _run_rows(db)
    assert status == "incomplete"
    assert reason == "partition_failed"


def test_a_column_page_the_lead_read_is_read_from_its_answer_not_asked_again(
    tmp_path: Path,
) -> None:
    """The lead reads every column page (for its column); a page another process owns is
    handed over with its answer. A server that answered once and then fails (a flaky
    homepage, a column behind an overloaded CMS) loses none of the page's links, and the page
    is not reported dead."""

    def html(body: str) -> bytes:
        return f"<html><head><meta charset='utf-8'></head><body>{body}</body></html>".encode()

    with RouteServer({}) as server:
        # a column page the second process owns
        path = next(f"/col{n}/" for n in range(100) if owner_of(f"{server.url}col{n}/", 2) == 1)
        server.routes.update(
            {
                "/": Route(200, html(f"<a href='{path}'>通知公告</a>")),
                path: Route(
                    200,
                    html("<a href='/col-dead.html'>失效文件</a><span>2026-11-20</span>"),
                    then=Route(503, html("服务繁忙")),
                ),
            }
        )
        config = tmp_path / "site.yaml"
        config.write_text(
            f"sites:\n  - id: s\n    name: 分区站\n    home: {server.url}\n    columns:\n"
            f"      - name: 通知公告\n        url: {server.url}{path[1:]}\n"
            "        category: notice\n",
            encoding="utf-8",
        )
        db = f"sqlite:///{tmp_path / 'g.db'}"
        govwatch("crawl", "-c", str(config), "--db", db, *FAST, "-s", "GOVWATCH_WORKERS=2")
        findings = findings_json(config, db, today_local())
        asked = [p for _, p in server.requests].count(path)
    dead = {f["url"].removeprefix(server.url): f for f in findings if f["kind"] == "dead_link"}
    assert set(dead) == {"col-dead.html"}, dead
    assert dead["col-dead.html"]["sources"] == [server.url + path[1:]]
    assert asked == 1


def test_articles_two_columns_list_undated_date_both_in_a_partitioned_crawl(
    tmp_path: Path,
) -> None:
    """头条新闻 lists 政务要闻's articles, undated: each article is read once, for the first
    column that names it, by the process that reads that column, and recorded by its owner,
    the other process. The second column is dated from it all the same (it once waited for a
    record never made there, and vanished from a run that said it was complete)."""
    with RouteServer({}) as server:
        names = [n for n in range(40) if owner_of(f"{server.url}zwyw/{n}.html", 2) == 1][:3]
        items = "".join(
            f"<li><a href='/zwyw/{n}.html'>政务要闻第{n}条新闻标题</a></li>" for n in names
        )
        page = "<html><head><meta charset='utf-8'>{}</head><body>{}</body></html>"
        server.routes.update(
            {
                "/": Route(200, page.format("", "<a href='/zwyw/'>政务要闻</a>").encode()),
                "/zwyw/": Route(200, page.format("", f"<ul>{items}</ul>").encode()),
                # read once the articles have answered for 政务要闻 (with room for a loaded
                # machine: 1 s was not always enough in CI)
                "/ttxw/": Route(200, page.format("", f"<ul>{items}</ul>").encode(), delay=3.0),
            }
        )
        for n in names:
            meta = f"<meta name='PubDate' content='2026-11-0{names.index(n) + 1} 09:00'>"
            server.routes[f"/zwyw/{n}.html"] = Route(200, page.format(meta, "正文").encode())
        config = tmp_path / "sites.yaml"
        config.write_text(
            f"sites:\n  - id: t\n    name: 测试县人民政府\n    home: '{server.url}'\n"
            "    columns:\n"
            f"      - {{name: 政务要闻, url: '{server.url}zwyw/', category: news}}\n"
            f"      - {{name: 头条新闻, url: '{server.url}ttxw/', category: news}}\n",
            encoding="utf-8",
        )
        db = f"sqlite:///{tmp_path / 'g.db'}"
        govwatch("crawl", "-c", str(config), "--db", db, *fast_with(GOVWATCH_WORKERS=2))
        listed = govwatch(
            "columns", "-c", str(config), "--db", db, "--site", "t", "--format", "json"
        )
        reads = [p for m, p in server.requests if m == "GET" and p.startswith("/zwyw/")]
    newest = {c["name"]: c["newest_date"] for c in json.loads(listed.stdout)}
    assert newest == {"政务要闻": "2026-11-03", "头条新闻": "2026-11-03"}
    assert len(reads) == len(set(reads))  # each page read once
