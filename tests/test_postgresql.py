"""PostgreSQL as well as SQLite. The whole command line on a PostgreSQL database (crawl,
findings, report, the next night's crawl, a locked site, status), and what PostgreSQL refuses
where SQLite lets it pass: text longer than its column or holding NUL characters, two commands
making a new schema at once, writes to a read-only database, connections left open."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from monitor.database import engine_scope
from monitor.scheduler import scheduled_delivery, scheduled_probe
from tests.httpkit import Route, RouteServer
from tests.pgcluster import PostgresServer

LONG = "x" * 300


def rows(db_url: str, sql: str) -> list[tuple[object, ...]]:
    with engine_scope(db_url) as engine, engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql))]


def connections_to(server: PostgresServer, db_url: str) -> int:
    """How many connections the URL's database has (the count is asked from another)."""
    found = server.admin(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", make_url(db_url).database
    )
    return int(found[0][0])


@pytest.mark.postgresql
def test_scheduled_jobs_leave_no_connection_open(
    tmp_path: Path, pg_url: str, postgres: PostgresServer
) -> None:
    """A job's connections are closed when it ends, not whenever the garbage collector gets to
    them: the scheduler runs for months, the server takes only so many connections."""
    with RouteServer({"/": Route(200, b"<html><body>home</body></html>")}) as server:
        config = tmp_path / "site.yaml"
        config.write_text(
            f"sites:\n  - {{id: j, name: 任务站, home: '{server.url}'}}\n", encoding="utf-8"
        )
        gc.disable()  # (as in a quiet service process, where collections are rare)
        try:
            for _ in range(3):
                scheduled_probe(str(config), pg_url)
                scheduled_delivery(str(config), pg_url)
            assert connections_to(postgres, pg_url) == 0
        finally:
            gc.enable()
    assert rows(pg_url, "SELECT count(*) FROM probes") == [(3,)]
