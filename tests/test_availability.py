"""Availability probes and the 站点无法访问 rule, on a server that fails on a known schedule."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.config import load_config
from monitor.database import open_database
from monitor.probes import probe_sites
from tests.conftest import findings_json, govwatch
from tests.httpkit import Route, RouteServer
from tests.test_operations import TODAY, html


def test_probe_statistics_and_both_availability_findings(tmp_path: Path) -> None:
    veto_routes: dict[str, Route] = {}
    warn_routes: dict[str, Route] = {}
    ok_routes: dict[str, Route] = {"/": Route(200, html("首页"))}
    with (
        RouteServer(veto_routes) as veto,
        RouteServer(warn_routes) as warn,
        RouteServer(ok_routes) as ok,
    ):
        config_path = tmp_path / "sites.yaml"
        config_path.write_text(
            "sites:\n"
            f"  - {{id: veto, name: 失败5%, home: '{veto.url}'}}\n"
            f"  - {{id: warn, name: 失败3%, home: '{warn.url}'}}\n"
            f"  - {{id: fine, name: 正常, home: '{ok.url}'}}\n"
            "schedule:\n  probe_timeout: 5s\n",
            encoding="utf-8",
        )
        config = load_config(config_path)
        db = f"sqlite:///{tmp_path / 'g.db'}"
        engine = open_database(db)
        # 40 rounds: "veto" fails 2 (5 %); "warn" is probed 33 times and fails once (3.0 %).
        for round_number in range(1, 41):
            veto_routes["/"] = Route(500 if round_number in (7, 30) else 200, html("首页"))
            warn_routes["/"] = (
                Route(503, html("忙")) if round_number == 11 else Route(200, html("首页"))
            )
            chosen = ["veto", "fine"] + (["warn"] if round_number <= 33 else [])
            probe_sites(engine, config, chosen)
        findings = findings_json(config_path, db, TODAY)
        status = json.loads(
            govwatch("status", "-c", str(config_path), "--db", db, "--format", "json").stdout
        )
    by_site = {
        f["site"]: f for f in findings if f["kind"] in ("site_unavailable", "availability_warning")
    }
    assert set(by_site) == {"veto", "warn"}
    veto_finding = by_site["veto"]
    assert veto_finding["kind"] == "site_unavailable"
    assert (veto_finding["probes"], veto_finding["failures"]) == (40, 2)
    assert veto_finding["failure_rate"] == 0.05
    assert [p["status"] for p in veto_finding["failed_probes"]] == [500, 500]
    assert veto_finding["failed_probes"][0]["time"].endswith("+00:00")
    warn_finding = by_site["warn"]
    assert warn_finding["kind"] == "availability_warning"
    assert (warn_finding["probes"], warn_finding["failures"]) == (33, 1)
    assert warn_finding["failure_rate"] == round(1 / 33, 4)
    assert status["probes"]["fine"]["status"] == 200


def test_unreachable_homepage_probe_records_the_error(tmp_path: Path) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config_path = tmp_path / "sites.yaml"
    config_path.write_text(
        f"sites:\n  - {{id: down, name: 关闭, home: 'http://127.0.0.1:{port}/'}}\n",
        encoding="utf-8",
    )
    db = f"sqlite:///{tmp_path / 'g.db'}"
    result = govwatch("probe", "-c", str(config_path), "--db", db)
    assert "connection_refused" in result.stdout
    findings = findings_json(config_path, db, TODAY)
    unavailable = [f for f in findings if f["kind"] == "site_unavailable"]
    assert unavailable[0]["failed_probes"][0]["error"] == "connection_refused"
