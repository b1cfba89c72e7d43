"""The one place that reads and writes observations. Functions take a Session; callers own it."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from monitor.models import ColumnObservationRow, LinkCheckRow, LinkOccurrenceRow, Run
from monitor.records import (
    ColumnObservation,
    LinkCheck,
    LinkOccurrence,
    LinkProblem,
    PageLinks,
    RunRecord,
)

__all__ = [
    "ColumnObservation",
    "LinkCheck",
    "LinkOccurrence",
    "LinkProblem",
    "PageLinks",
    "RunRecord",
    "finish_run",
    "latest_complete_run",
    "latest_runs",
    "link_problems",
    "mark_abandoned_runs",
    "save_observations",
    "start_run",
]


def utcnow() -> datetime:
    """Timestamps are stored as naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


def start_run(session: Session, site_id: str, kind: str = "crawl") -> int:
    run = Run(
        site_id=site_id,
        kind=kind,
        status="running",
        started_at=utcnow(),
        pid=os.getpid(),
        host=socket.gethostname(),
    )
    session.add(run)
    session.flush()
    return run.id


def finish_run(
    session: Session, run_id: int, *, complete: bool, reason: str, pages: int, links: int
) -> None:
    session.execute(
        update(Run)
        .where(Run.id == run_id)
        .values(
            status="complete" if complete else "incomplete",
            finish_reason=reason,
            finished_at=utcnow(),
            pages=pages,
            links=links,
        )
    )


def mark_abandoned_runs(session: Session, site_id: str | None = None) -> list[int]:
    """Runs left ``running`` by a process that no longer exists on this host become incomplete."""
    query = select(Run).where(Run.status == "running", Run.host == socket.gethostname())
    if site_id is not None:
        query = query.where(Run.site_id == site_id)
    abandoned = [run for run in session.scalars(query) if not _alive(run.pid)]
    for run in abandoned:
        run.status = "incomplete"
        run.finish_reason = "abandoned"
        run.finished_at = run.finished_at or utcnow()
    return [run.id for run in abandoned]


def save_observations(
    session: Session,
    run_id: int,
    checks: Sequence[LinkCheck] = (),
    occurrences: Sequence[LinkOccurrence] = (),
    columns: Sequence[ColumnObservation] = (),
) -> None:
    """One batch of observations, written in the caller's transaction."""
    now = utcnow()
    if checks:
        session.execute(
            insert(LinkCheckRow),
            [
                {**vars(check), "run_id": run_id, "checked_at": check.checked_at or now}
                for check in checks
            ],
        )
    if occurrences:
        session.execute(
            insert(LinkOccurrenceRow),
            [{**vars(occurrence), "run_id": run_id} for occurrence in occurrences],
        )
    if columns:
        session.execute(
            insert(ColumnObservationRow),
            [{**vars(column), "run_id": run_id} for column in columns],
        )


def latest_complete_run(
    session: Session, site_id: str, started_before: datetime | None = None
) -> RunRecord | None:
    """The newest complete run of the site (optionally started before a moment, for as-of)."""
    query = select(Run).where(Run.site_id == site_id, Run.status == "complete")
    if started_before is not None:
        query = query.where(Run.started_at < started_before)
    run = session.scalars(query.order_by(Run.started_at.desc(), Run.id.desc()).limit(1)).first()
    return _run_record(run) if run else None


def latest_runs(
    session: Session, site_id: str, limit: int = 5, started_before: datetime | None = None
) -> list[RunRecord]:
    query = select(Run).where(Run.site_id == site_id)
    if started_before is not None:
        query = query.where(Run.started_at < started_before)
    query = query.order_by(Run.started_at.desc(), Run.id.desc()).limit(limit)
    return [_run_record(run) for run in session.scalars(query)]


def column_observations(session: Session, run_id: int) -> list[ColumnObservation]:
    rows = session.scalars(
        select(ColumnObservationRow)
        .where(ColumnObservationRow.run_id == run_id)
        .order_by(ColumnObservationRow.id)
    )
    return [
        ColumnObservation(
            column_name=row.column_name,
            url=row.url,
            is_homepage=row.is_homepage,
            status=row.status,
            http_status=row.http_status,
            error=row.error,
            item_count=row.item_count,
            dated_count=row.dated_count,
            pages_read=row.pages_read,
            newest_date=row.newest_date,
            newest_title=row.newest_title,
            newest_url=row.newest_url,
            newest_date_text=row.newest_date_text,
            newest_date_source=row.newest_date_source,
            observed_at=row.observed_at,
        )
        for row in rows
    ]


def link_problems(session: Session, run_id: int) -> list[LinkProblem]:
    """Checks that failed (an error, or a status of 400 and above), with their occurrences."""
    checks = list(
        session.scalars(
            select(LinkCheckRow)
            .where(LinkCheckRow.run_id == run_id)
            .where((LinkCheckRow.status.is_(None)) | (LinkCheckRow.status >= 400))
            .order_by(LinkCheckRow.id)
        )
    )
    by_key: dict[str, list[LinkOccurrence]] = {check.url_key: [] for check in checks}
    for chunk in _chunks(list(by_key), 500):
        rows = session.scalars(
            select(LinkOccurrenceRow)
            .where(LinkOccurrenceRow.run_id == run_id, LinkOccurrenceRow.target_key.in_(chunk))
            .order_by(LinkOccurrenceRow.id)
        )
        for row in rows:
            by_key[row.target_key].append(
                LinkOccurrence(
                    source_url=row.source_url,
                    target_key=row.target_key,
                    target_url=row.target_url,
                    tag=row.tag,
                    attr=row.attr,
                    text=row.text,
                )
            )
    return [
        LinkProblem(
            check=LinkCheck(
                url_key=row.url_key,
                url=row.url,
                internal=row.internal,
                method=row.method,
                status=row.status,
                error=row.error,
                error_detail=row.error_detail,
                final_url=row.final_url,
                redirects=list(row.redirects or []),
                content_type=row.content_type,
                checked_at=row.checked_at,
            ),
            occurrences=tuple(by_key[row.url_key]),
        )
        for row in checks
    ]


def _run_record(run: Run) -> RunRecord:
    return RunRecord(
        id=run.id,
        site_id=run.site_id,
        kind=run.kind,
        status=run.status,
        started_at=run.started_at,
        finished_at=run.finished_at,
        pages=run.pages,
        links=run.links,
        finish_reason=run.finish_reason,
    )


def _alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _chunks(values: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
