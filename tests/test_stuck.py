"""Requests stuck on a server stop counting against its concurrency, within an allowance."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.core.downloader import Slot

from crawler.downloader import Lent
from crawler.spiders.site import prepass_connections
from crawler.stuck import HUNG_BEFORE, SECOND_TRY, SlotWatch
from monitor.assessments import today_local
from tests.conftest import FAST, fast_with, findings_json, govwatch
from tests.httpkit import Route, RouteServer
from tests.test_operations import html

SLOW = 2.0


def _slot_with(requests: int) -> Slot:
    slot = Slot(concurrency=2, delay=0)
    for n in range(requests):
        slot.transferring.add(Request(f"http://127.0.0.1/{n}.html"))
    return slot


def test_a_request_is_stuck_only_well_beyond_the_minimum_and_the_servers_latency() -> None:
    # A server that has not answered yet: its first requests are its pace, never stuck.
    fresh = SlotWatch(_slot_with(3))
    fresh.count_stuck(now=100.0, minimum=2.0)
    assert fresh.count_stuck(now=150.0, minimum=2.0) == 0
    assert fresh.newly_stuck(now=150.0, minimum=2.0) == []
    watch = SlotWatch(_slot_with(3))
    watch.latencies.append(0.01)  # it answers quickly
    assert watch.count_stuck(now=100.0, minimum=2.0) == 0  # first seen now
    assert watch.count_stuck(now=101.9, minimum=2.0) == 0
    assert watch.count_stuck(now=102.0, minimum=2.0) == 3
    # A server that answers in 0.5 s: stuck only after 8 × 0.5 s.
    slow = SlotWatch(_slot_with(2))
    slow.latencies.extend([0.5] * 10)
    slow.count_stuck(now=0.0, minimum=2.0)
    assert slow.count_stuck(now=3.9, minimum=2.0) == 0
    assert slow.count_stuck(now=4.0, minimum=2.0) == 2
    # A request that finished is forgotten; a new one starts its own clock.
    finished = next(iter(watch.slot.transferring))
    watch.slot.transferring.discard(finished)
    watch.slot.transferring.add(Request("http://127.0.0.1/new.html"))
    assert watch.count_stuck(now=103.0, minimum=2.0) == 2


def _crawl(tmp_path: Path, server: RouteServer, settings: list[str]) -> tuple[Path, str]:
    """A full crawl of the server's site into a fresh SQLite file: its config and database."""
    config = tmp_path / "site.yaml"
    config.write_text(
        f"sites:\n  - id: stuck\n    name: 慢链接站\n    home: {server.url}\n", encoding="utf-8"
    )
    db = f"sqlite:///{tmp_path / 'g.db'}"
    govwatch("crawl", "-c", str(config), "--db", db, *settings)
    return config, db


def _max_in_flight(spans: list[tuple[str, float, float]], slow: set[str]) -> tuple[int, int]:
    """(most requests in flight at once, most slow ones) from the server's own spans."""
    most = most_slow = 0
    for _, start, _ in spans:
        live = [path for path, begun, ended in spans if begun <= start < ended]
        most = max(most, len(live))
        most_slow = max(most_slow, sum(1 for path in live if path in slow))
    return most, most_slow


@pytest.mark.parametrize("allowance", [0, 3])
def test_slow_links_do_not_hold_the_servers_connections_and_the_limits_hold(
    tmp_path: Path, allowance: int
) -> None:
    slow = {f"/slow/{n}.html" for n in range(6)}
    quick = {f"/page/{n}.html" for n in range(20)}
    links = "".join(f"<a href='{p}'>慢{p}</a>" for p in sorted(slow))
    links += "".join(f"<a href='{p}'>页{p}</a>" for p in sorted(quick))
    routes = {"/": Route(200, html(links))}
    routes.update({p: Route(200, html("慢"), delay=SLOW) for p in slow})
    routes.update({p: Route(200, html("快")) for p in quick})
    settings = [
        *FAST,
        "-s",
        "GOVWATCH_WORKERS=1",
        "-s",
        "CONCURRENT_REQUESTS_PER_DOMAIN=2",
        "-s",
        "AUTOTHROTTLE_ENABLED=False",
        "-s",
        "GOVWATCH_STUCK_AFTER=0.3",
        "-s",
        f"GOVWATCH_STUCK_ALLOWANCE={allowance}",
    ]
    with RouteServer(routes) as server:
        config, db = _crawl(tmp_path, server, settings)
        findings = findings_json(config, db, today_local())
        spans = list(server.spans)
    assert {p for p, _, _ in spans} >= slow | quick
    most, most_slow = _max_in_flight(spans, slow)
    # Never more than the server's 2 connections and the allowance for stuck requests (a page's
    # links, requested together, included); with an allowance, more slow ones than 2 at once.
    assert most <= 2 + allowance
    if allowance:
        assert most_slow >= 3
    assert not [f for f in findings if f["kind"] == "dead_link"]  # slow but in time: fine


def test_a_url_that_hung_last_time_is_stuck_from_the_start_within_the_allowance() -> None:
    slot = _slot_with(2)
    hung = Request("http://127.0.0.1/hung.html", meta={HUNG_BEFORE: "http://127.0.0.1/hung.html"})
    moved = Request("http://127.0.0.1/moved.html", meta={HUNG_BEFORE: "http://127.0.0.1/old.html"})
    slot.transferring.update({hung, moved})
    watch = SlotWatch(slot)
    watch.latencies.append(0.01)
    # Only the URL that hung itself (not a redirect carrying its meta) counts at once.
    assert watch.count_stuck(now=100.0, minimum=2.0) == 1
    assert watch.count_stuck(now=102.0, minimum=2.0) == 4


def test_a_second_try_and_a_stuck_read_of_the_small_client_count_as_stuck_at_once() -> None:
    slot = _slot_with(1)
    url = "http://127.0.0.1/hangs.html"
    second = Request(url, meta={SECOND_TRY: url})
    quiet, stuck = Lent(), Lent()
    stuck.stuck = True  # crawler.quickcheck marks a read that waited past the threshold
    slot.transferring.update({second, quiet, stuck})  # type: ignore[arg-type]
    watch = SlotWatch(slot)
    watch.latencies.append(0.01)
    # The second try of a hanging URL and the stuck read, not the fresh request or the other
    # lent connection; the fresh one only once it is past the threshold itself.
    assert watch.count_stuck(now=100.0, minimum=2.0) == 2
    assert watch.count_stuck(now=102.0, minimum=2.0) == 3


def test_a_nightly_crawl_checks_last_nights_timeouts_together(tmp_path: Path) -> None:
    """One connection to the server, and stuck detection far off: the links that timed out in
    the first crawl are checked again all at once in the second, not one timeout after another."""
    hung = {f"/hang/{n}.html" for n in range(4)}
    links = "".join(f"<a href='{p}'>挂起{p}</a>" for p in sorted(hung))
    routes = {"/": Route(200, html(links))}
    routes.update({p: Route(200, html("慢"), delay=2.5) for p in hung})
    settings = fast_with(
        DOWNLOAD_TIMEOUT=1,
        GOVWATCH_WORKERS=1,
        CONCURRENT_REQUESTS_PER_DOMAIN=1,
        GOVWATCH_STUCK_AFTER=30,
        GOVWATCH_STUCK_ALLOWANCE=4,
    )
    with RouteServer(routes, etags=True) as server:
        config, db = _crawl(tmp_path, server, settings)
        second_began = time.monotonic()
        govwatch("crawl", "-c", str(config), "--db", db, *settings)
        findings = findings_json(config, db, today_local())
        # Arrivals (a hanging answer's span ends after the crawl has given up on it).
        arrivals = list(server.times)

    def started(second: bool) -> list[float]:
        return sorted(
            at for path, at in arrivals if path in hung and (at >= second_began) == second
        )

    # First crawl: one at a time (each waits for the one before to time out, twice).
    assert started(False)[-1] - started(False)[0] >= 2.5
    # Second crawl: one try each, all at once.
    again = started(True)
    assert len(again) == len(hung)
    assert again[-1] - again[0] < 0.5
    assert {f["url"].removeprefix(server.url.rstrip("/")) for f in findings} == hung


def test_a_stuck_request_is_tried_again_before_its_timeout_and_only_twice(tmp_path: Path) -> None:
    """A link that hangs costs its timeout and a little, not two timeouts and a backoff: its
    second try starts once the first is stuck. A slow link that answers in time is fine."""
    hung = {f"/hang/{n}.html" for n in range(2)}
    links = "".join(f"<a href='{p}'>挂起{p}</a>" for p in sorted(hung))
    links += "<a href='/slow.html'>慢</a>"
    routes = {"/": Route(200, html(links)), "/slow.html": Route(200, html("慢"), delay=0.9)}
    routes.update({p: Route(200, html("挂起"), delay=2.5) for p in hung})
    settings = fast_with(
        DOWNLOAD_TIMEOUT=1.5,
        GOVWATCH_WORKERS=1,
        GOVWATCH_STUCK_AFTER=0.3,
        GOVWATCH_RETRY_BACKOFF=0.2,
        AUTOTHROTTLE_ENABLED=False,
    )
    with RouteServer(routes) as server:
        config, db = _crawl(tmp_path, server, settings)
        findings = findings_json(config, db, today_local())
        arrivals = list(server.times)
    for path in hung:
        tries = [at for p, at in arrivals if p == path]
        assert len(tries) == 2  # the tries a timeout gets, no more
        assert tries[1] - tries[0] < 1.5  # the second began before the first timed out
    by_url = {f["url"].removeprefix(server.url.rstrip("/")): f for f in findings}
    assert set(by_url) == hung
    assert {f["error"] for f in by_url.values()} == {"timeout"}


@pytest.mark.parametrize(
    ("share", "candidates", "per_server", "hanging", "allowance", "lent"),
    [
        (2, 500, 4, 0, 8, 2),  # no hanging URLs: its share
        (2, 1, 4, 0, 8, 1),  # no more than it has URLs for
        (2, 500, 4, 8, 8, 2),  # hanging URLs within the allowance take no connection
        (2, 500, 4, 10, 8, 1),  # two beyond it: two taken, one kept for the crawl
        (2, 500, 4, 30, 8, 1),  # at least one, whatever hangs
        (1, 500, 2, 0, 8, 1),
    ],
)
def test_the_prepass_leaves_the_crawl_a_connection_beside_the_hanging_rechecks(
    share: int, candidates: int, per_server: int, hanging: int, allowance: int, lent: int
) -> None:
    assert prepass_connections(share, candidates, per_server, hanging, allowance) == lent
