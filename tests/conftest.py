"""Shared fixtures: the demo site served on 127.0.0.1, running the real ``govwatch``, and the
databases (a SQLite file; a database on a throwaway PostgreSQL server)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from demo.__main__ import write_config
from demo.server import StaticServer
from demo.site import DemoSite, build_external, build_site
from monitor.assessments import today_local
from tests.pgcluster import PostgresServer, PostgresUnavailableError, find_bindir, postgres_server

ROOT = Path(__file__).resolve().parent.parent
PAGES = Path(__file__).resolve().parent / "pages"
# Crawls in tests: short timeouts, few retries; every target is on 127.0.0.1.
FAST = ["-s", "DOWNLOAD_TIMEOUT=5", "-s", "RETRY_TIMES=1", "-s", "GOVWATCH_RETRY_BACKOFF=0.2"]


def fast_with(**settings: object) -> list[str]:
    """FAST, then ``-s NAME=VALUE`` for each keyword (later settings win)."""
    extra = [part for name, value in settings.items() for part in ("-s", f"{name}={value}")]
    return [*FAST, *extra]


@dataclass(frozen=True)
class ServedDemo:
    site: DemoSite
    url: str
    external_url: str
    today: date
    config: Path


@pytest.fixture(scope="session")
def served_demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServedDemo]:
    base = tmp_path_factory.mktemp("demo")
    (base / "site").mkdir()
    build_external(base / "external")
    today = today_local()
    with StaticServer(base / "site") as site, StaticServer(base / "external") as external:
        demo = build_site(base / "site", today, external.url)
        config = base / "demo.yaml"
        write_config(config, site.url)
        yield ServedDemo(demo, site.url, external.url, today, config)


def govwatch(
    *args: str, check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """Run the installed command line in a child process, as an operator would."""
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    env.pop("GOVWATCH_DB", None)
    result = subprocess.run(
        [sys.executable, "-m", "monitor", *args],
        check=False,
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env=env,
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"govwatch {' '.join(args)} exited {result.returncode}:\n"
            f"{result.stdout}\n{result.stderr}"
        )
    return result


def findings_json(config: Path, db: str, as_of: date, *extra: str) -> list[dict[str, Any]]:
    out = govwatch(
        "findings",
        "-c",
        str(config),
        "--db",
        db,
        "--as-of",
        as_of.isoformat(),
        "--format",
        "json",
        *extra,
    ).stdout
    data: list[dict[str, Any]] = json.loads(out)
    return data


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    """A throwaway PostgreSQL server for the session, started when a test first needs it.
    Without PostgreSQL (server or driver) its tests fail on CI (``CI=true``) and are skipped
    elsewhere, saying why."""
    try:
        import psycopg  # noqa: F401 - the driver of postgresql+psycopg:// URLs

        find_bindir()
    except (ImportError, PostgresUnavailableError) as exc:
        reason = f"PostgreSQL tests: {exc}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: PostgreSQL must be here)", pytrace=False)
        pytest.skip(reason)
    with postgres_server() as server:
        yield server


@pytest.fixture
def pg_url(postgres: PostgresServer) -> str:
    """A new, empty PostgreSQL database (``postgresql+psycopg://``)."""
    return postgres.new_database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgresql)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty database: a SQLite file, then a PostgreSQL database (the test runs on both)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'govwatch.db'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.new_database()
