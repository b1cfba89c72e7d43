"""What `govwatch status` shows: per site the last runs, the scheduled jobs, held locks."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from monitor import store
from monitor.config import Config
from monitor.database import session_scope
from monitor.records import Probe, RunRecord

RUNS_PER_SITE = 5


def build_status(engine: Engine, config: Config, db_url: str) -> dict[str, Any]:
    with session_scope(engine) as session:
        runs = [
            _run_json(run)
            for site in config.sites
            for run in store.latest_runs(session, site.id, RUNS_PER_SITE)
        ]
        probes = {site.id: _probe_json(store.last_probe(session, site.id)) for site in config.sites}
        jobs = [
            {
                "id": job_id,
                "kind": job_id.split(":", 1)[0],
                "next_run": _iso_from_timestamp(next_run),
            }
            for job_id, next_run in store.scheduled_jobs(session)
        ]
        locks = [
            {
                "site": lock.site_id,
                "command": lock.command,
                "pid": lock.pid,
                "host": lock.host,
                "acquired": _iso(lock.acquired_at),
                "heartbeat": _iso(lock.heartbeat_at),
                "stale": store.lock_is_stale(lock),
            }
            for lock in store.held_locks(session)
        ]
        pending = store.pending_notifications(session)
        server_size = store.database_size(session)
    return {
        "runs": runs,
        "jobs": jobs,
        "locks": locks,
        "probes": probes,
        "notifications_pending": pending,
        "database": _database(db_url, server_size),
    }


def _run_json(run: RunRecord) -> dict[str, Any]:
    return {
        "id": run.id,
        "site": run.site_id,
        "kind": run.kind,
        "scope": run.scope,
        "status": run.status,
        "started": _iso(run.started_at),
        "finished": _iso(run.finished_at),
        "pages": run.pages,
        "links": run.links,
        "findings": run.findings,
        "reason": run.finish_reason,
    }


def _probe_json(probe: Probe | None) -> dict[str, Any] | None:
    if probe is None:
        return None
    return {
        "time": _iso(probe.probed_at),
        "status": probe.status,
        "latency_ms": probe.latency_ms,
        "error": probe.error,
    }


def _database(db_url: str, server_size: int | None) -> dict[str, Any]:
    """The URL (no password) and the size: a SQLite file's with its WAL, a server's count."""
    url = make_url(db_url)
    size = server_size
    if url.get_backend_name() == "sqlite" and url.database:
        path = Path(url.database)
        size = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    return {"url": url.render_as_string(hide_password=True), "size_bytes": size}


def _iso(value: datetime | None) -> str | None:
    return value.replace(tzinfo=UTC).isoformat() if value else None


def _iso_from_timestamp(value: float | None) -> str | None:
    return datetime.fromtimestamp(value, UTC).isoformat() if value is not None else None
