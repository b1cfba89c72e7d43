"""The one place that reads and writes the database. Functions take a Session; callers own it."""

from __future__ import annotations

import dataclasses
import os
import socket
import zlib
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from functools import cache
from operator import itemgetter
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    CompoundSelect,
    Connection,
    Row,
    Select,
    String,
    and_,
    bindparam,
    cast,
    delete,
    func,
    insert,
    or_,
    select,
    union,
    union_all,
    update,
)
from sqlalchemy.orm import Session, aliased

from monitor.models import (
    AccountObservationRow,
    Base,
    CarriedPageRow,
    ColumnObservationRow,
    LinkCheckRow,
    LinkOccurrenceRow,
    NotificationRow,
    PageMetadataRow,
    ProbeRow,
    Run,
    SchedulerJobRow,
    SiteLock,
)
from monitor.records import (
    AccountObservation,
    ColumnObservation,
    CopiedLinks,
    FailureHistory,
    LinkCheck,
    LinkFix,
    LinkOccurrence,
    LinkProblem,
    LockHolder,
    Observations,
    PageLinks,
    PageMetadata,
    Probe,
    RunRecord,
    SiteView,
)

__all__ = [
    "AccountObservation",
    "CleanCheck",
    "ColumnObservation",
    "CopiedLinks",
    "LinkCheck",
    "LinkOccurrence",
    "LinkProblem",
    "Observations",
    "PageLinks",
    "PageMetadata",
    "PreviousCrawl",
    "RunRecord",
]

R = TypeVar("R")
Q = TypeVar("Q", bound="Select[*tuple[Any, ...]]")  # a query, whatever its columns

# Runs that fetch new-media accounts are recorded under this subject (not a valid site id).
ACCOUNTS_SUBJECT = "@accounts"

# A run or lock whose heartbeat is older than this, on another host, is abandoned.
STALE_HEARTBEAT = timedelta(minutes=3)


def utcnow() -> datetime:
    """Timestamps are stored as naive UTC."""
    return datetime.now(UTC).replace(tzinfo=None)


# ------------------------------------------------------------------------------------ runs


def start_run(
    session: Session,
    site_id: str,
    kind: str = "crawl",
    scope: str = "full",
    command: str | None = None,
) -> int:
    now = utcnow()
    run = Run(
        site_id=site_id,
        kind=kind,
        scope=scope,
        status="running",
        started_at=now,
        heartbeat_at=now,
        pid=os.getpid(),
        host=socket.gethostname(),
        command=command,
    )
    session.add(run)
    session.flush()
    return run.id


def heartbeat_run(session: Session, run_id: int, pages: int, links: int) -> None:
    session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status == "running")
        .values(heartbeat_at=utcnow(), pages=pages, links=links)
    )


def touch_run(session: Session, run_id: int) -> None:
    """The run's heartbeat, and nothing else: a write any working database takes."""
    session.execute(update(Run).where(Run.id == run_id).values(heartbeat_at=utcnow()))


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


def abandon_run(session: Session, run_id: int, reason: str) -> bool:
    """Mark a run that is still ``running`` incomplete (its process died); True if it was."""
    result = session.execute(
        update(Run)
        .where(Run.id == run_id, Run.status == "running")
        .values(status="incomplete", finish_reason=reason, finished_at=utcnow())
    )
    return bool(getattr(result, "rowcount", 0))


def set_run_findings(session: Session, run_id: int, count: int) -> None:
    session.execute(update(Run).where(Run.id == run_id).values(findings=count))


def mark_abandoned_runs(session: Session, site_id: str | None = None) -> list[int]:
    """Runs left ``running`` by a process that is gone (dead PID on this host, or no
    heartbeat for a while on another) become incomplete."""
    query = select(Run).where(Run.status == "running")
    if site_id is not None:
        query = query.where(Run.site_id == site_id)
    here = socket.gethostname()
    cutoff = utcnow() - STALE_HEARTBEAT
    abandoned = [
        run
        for run in session.scalars(query)
        if (run.host == here and not _alive(run.pid))
        or (run.heartbeat_at or run.started_at) < cutoff
    ]
    for run in abandoned:
        run.status = "incomplete"
        run.finish_reason = "abandoned"
        run.finished_at = run.finished_at or utcnow()
    return [run.id for run in abandoned]


def get_run(session: Session, run_id: int) -> RunRecord | None:
    run = session.get(Run, run_id)
    return _run_record(run) if run else None


def latest_complete_run(
    session: Session,
    site_id: str,
    started_before: datetime | None = None,
    scope: str | None = None,
) -> RunRecord | None:
    """The newest complete run of the site (optionally started before a moment, for as-of)."""
    query = select(Run).where(Run.site_id == site_id, Run.status == "complete", Run.kind != "probe")
    if scope is not None:
        query = query.where(Run.scope == scope)
    if started_before is not None:
        query = query.where(Run.started_at < started_before)
    run = session.scalars(query.order_by(Run.started_at.desc(), Run.id.desc()).limit(1)).first()
    return _run_record(run) if run else None


def latest_runs(
    session: Session,
    site_id: str,
    limit: int = 5,
    started_before: datetime | None = None,
    include_probes: bool = False,
) -> list[RunRecord]:
    query = select(Run).where(Run.site_id == site_id)
    if not include_probes:
        query = query.where(Run.kind != "probe")
    if started_before is not None:
        query = query.where(Run.started_at < started_before)
    query = query.order_by(Run.started_at.desc(), Run.id.desc()).limit(limit)
    return [_run_record(run) for run in session.scalars(query)]


# ---------------------------------------------------------------------------- observations


def save_observations(
    session: Session,
    run_id: int,
    checks: Sequence[LinkCheck] = (),
    occurrences: Sequence[LinkOccurrence] = (),
    columns: Sequence[ColumnObservation] = (),
    accounts: Sequence[AccountObservation] = (),
    pages: Sequence[PageMetadata] = (),
    copied: Sequence[CopiedLinks] = (),
) -> None:
    """One batch of observations, written in the caller's transaction."""
    now = utcnow()
    by_run: dict[int, list[str]] = {}
    for page in copied:
        by_run.setdefault(page.from_run, []).append(page.source_url)
    for from_run, sources in by_run.items():
        carry_pages(session, from_run, run_id, sources)
    # Inserts on the connection (Core): the session's ORM bulk insert costs ~10 µs more per
    # row, and a crawl stores every link occurrence of the site.
    connection = session.connection()
    if checks:
        fields = _text_fields(LinkCheckRow)
        connection.execute(
            insert(LinkCheckRow),
            [
                _fitted(
                    {**vars(check), "run_id": run_id, "checked_at": check.checked_at or now},
                    fields,
                )
                for check in checks
            ],
        )
    for model, records in (
        (LinkOccurrenceRow, occurrences),
        (PageMetadataRow, pages),
        (AccountObservationRow, accounts),
        (ColumnObservationRow, columns),
    ):
        if records:
            fields = _text_fields(model)
            connection.execute(
                insert(model),
                [_fitted({**vars(record), "run_id": run_id}, fields) for record in records],
            )


TextFields = tuple[tuple[str, int | None], ...]


@cache
def _text_fields(model: type[Base]) -> TextFields:
    """The model's text columns, each with its declared length (None: unbounded)."""
    return tuple(
        (column.key, column.type.length)
        for column in model.__table__.columns
        if isinstance(column.type, String)  # Text and Unicode too
    )


def _fitted(row: dict[str, Any], fields: TextFields) -> dict[str, Any]:
    """A row whose text fits its columns. What a crawl saw is the web's text: a header or a
    meta tag may be longer than its column, a JSON feed may hold NUL characters. SQLite stores
    either as it is, PostgreSQL refuses the whole batch; so on every database, text is cut to
    its column's length and a NUL becomes U+FFFD (as lxml reads one in HTML)."""
    for name, length in fields:
        value = row.get(name)
        if isinstance(value, str) and ("\x00" in value or (length and len(value) > length)):
            row[name] = value.replace("\x00", "\ufffd")[:length]
    return row


@dataclasses.dataclass(frozen=True)
class CleanCheck:
    """A URL the last full crawl requested without a fault (no error, status < 400, no
    redirect): what the next crawl needs to ask it again conditionally."""

    method: str
    etag: str | None
    last_modified: str | None
    content_type: str | None


@dataclasses.dataclass(frozen=True)
class PreviousCrawl:
    """The last complete full crawl of a site, the base of the next (incremental) one."""

    run_id: int
    clean: dict[str, CleanCheck]  # by URL key
    # (key, URL, method, error, status) of the links that failed: checked again from the start.
    failed: tuple[tuple[str, str, str, str | None, int | None], ...] = ()


def full_read_due(url_key: str, read_on: date, today: date, days: int) -> bool:
    """Whether a page last read in full on ``read_on`` is read in full again ``today`` instead
    of asked conditionally: a server may change a page and keep its ETag or Last-Modified (a
    CMS that stamps the template's date, a weak ETag of the size), and would hide the change
    for ever. Each page comes due once between half of ``days`` and ``days`` (by a hash of its
    URL), so that a site first read in one night is read again over several; 0: never."""
    if days <= 0:
        return False
    age, half = (today - read_on).days, days // 2
    if age < days - half:
        return False  # most pages: no need to hash them
    return age >= days - half + (zlib.crc32(url_key.encode("utf-8")) % half if half else 0)


def previous_crawl(
    session: Session, site_id: str, full_read_days: int = 0, today: date | None = None
) -> PreviousCrawl | None:
    """The base for an incremental crawl, or None (no complete full crawl yet). A page whose
    last full reading is due again (``full_read_due``) is clean without its validators: the
    crawl reads it in full."""
    base = latest_complete_run(session, site_id, scope="full")
    if base is None:
        return None
    rows = session.execute(
        select(
            LinkCheckRow.url_key,
            LinkCheckRow.method,
            LinkCheckRow.etag,
            LinkCheckRow.last_modified,
            LinkCheckRow.content_type,
        ).where(
            LinkCheckRow.run_id == base.id,
            LinkCheckRow.error.is_(None),
            LinkCheckRow.status < 400,
            # No redirect on the way, compared as text: decoding 30k JSON lists took 0.1 s of
            # every nightly crawl's start.
            cast(LinkCheckRow.redirects, String) == "[]",
        )
    )
    clean = {
        key: CleanCheck(method, etag, modified, content_type)
        for key, method, etag, modified, content_type in rows
    }
    if full_read_days > 0:
        today = today or utcnow().date()
        read_on = _pages_read_on(session, base)
        for key, check in clean.items():
            if check.method != "GET" or not (check.etag or check.last_modified):
                continue
            if full_read_due(key, read_on.get(key, base.started_at.date()), today, full_read_days):
                clean[key] = dataclasses.replace(check, etag=None, last_modified=None)
    failed = session.execute(
        select(
            LinkCheckRow.url_key,
            LinkCheckRow.url,
            LinkCheckRow.method,
            LinkCheckRow.error,
            LinkCheckRow.status,
        ).where(
            LinkCheckRow.run_id == base.id,
            or_(LinkCheckRow.error.is_not(None), LinkCheckRow.status >= 400),
            LinkCheckRow.method != "NONE",  # malformed URLs and missing anchors: not requests
        )
    )
    return PreviousCrawl(base.id, clean, tuple((k, u, m, e, s) for k, u, m, e, s in failed))


def _pages_read_on(session: Session, base: RunRecord) -> dict[str, date]:
    """The day each page ``base`` carried was last read in full (by the run it refers to); a
    page ``base`` read itself is not in it."""
    carried, reader = CarriedPageRow, aliased(Run)
    rows = session.execute(
        select(carried.source_url, reader.started_at)
        .join(reader, reader.id == carried.from_run)
        .where(carried.run_id == base.id)
    )
    return {url: started.date() for url, started in rows}


StoredLink = tuple[str, str, str]  # a stored occurrence's target_key, target_url and tag


def previous_pages(
    connection: Connection, run_id: int, urls: list[str]
) -> dict[str, tuple[list[StoredLink], PageMetadata | None]]:
    """The links (in page order) and metadata run ``run_id`` stored for each of these pages
    (unchanged pages of the next crawl), in two queries per 500 pages. Plain rows from
    statements built once: a nightly crawl reads every occurrence of the site this way, a few
    hundred pages at a time, and one page at a time for a page that answers 304 to the crawl."""
    links_query, metadata_query = _stored_page_queries()
    found: dict[str, tuple[list[StoredLink], PageMetadata | None]] = {
        url: ([], None) for url in urls
    }
    for chunk in _chunks(urls, 500):
        parameters = {"run": run_id, "urls": chunk}
        rows = sorted(connection.execute(links_query, parameters).all(), key=itemgetter(0, 1))
        for source, _, target_key, target_url, tag in rows:
            found[source][0].append((target_key, target_url, tag))
        for page in connection.execute(metadata_query, parameters).all():
            found[page[0]] = (found[page[0]][0], PageMetadata(*page))
    return found


@cache
def _stored_page_queries() -> tuple[CompoundSelect[Any], CompoundSelect[Any]]:
    """previous_pages' statements: a page's occurrences and its metadata, read by the run or
    referred to through a carried page; ``run`` and ``urls`` bound when executed."""
    occurrence, carried = LinkOccurrenceRow, CarriedPageRow
    run: BindParameter[int] = bindparam("run")
    urls: BindParameter[list[str]] = bindparam("urls", expanding=True)
    columns = (
        occurrence.source_url,
        occurrence.id,
        occurrence.target_key,
        occurrence.target_url,
        occurrence.tag,
    )
    read = select(*columns).where(occurrence.run_id == run, occurrence.source_url.in_(urls))
    referred = _through_carried(select(*columns), run).where(carried.source_url.in_(urls))
    read_metadata, carried_metadata = _page_metadata_queries(run)
    metadata = union_all(
        read_metadata.where(PageMetadataRow.url.in_(urls)),
        carried_metadata.where(carried.source_url.in_(urls)),
    )
    return union_all(read, referred), metadata


def _page_metadata_queries(run: int | BindParameter[int]) -> tuple[Select[Any], Select[Any]]:
    """The metadata of the pages run ``run`` read, and of those it carried from the run that
    read them (each page is one or the other)."""
    page, carried = PageMetadataRow, CarriedPageRow
    fields = [getattr(page, f.name) for f in dataclasses.fields(PageMetadata)]
    read = select(*fields).where(page.run_id == run)
    referred = (
        select(*fields)
        .join(carried, and_(carried.from_run == page.run_id, carried.source_url == page.url))
        .where(carried.run_id == run)
    )
    return read, referred


def run_page_metadata(session: Session, run_id: int) -> list[PageMetadata]:
    """What each page said about itself in run ``run_id``: read by it, or unchanged since the
    run that read it (ordered by URL)."""
    rows = [*session.execute(union_all(*_page_metadata_queries(run_id)))]
    return [PageMetadata(*row) for row in sorted(rows, key=itemgetter(0))]


def carry_pages(session: Session, from_run: int, to_run: int, sources: list[str]) -> None:
    """Pages run ``to_run`` found unchanged since ``from_run``: their link occurrences and
    metadata are referred to (one row per page), not copied: those of the run that read each
    page last, ``from_run`` itself or the run it referred to in turn."""
    carried = CarriedPageRow
    connection = session.connection()
    for chunk in _chunks(sources, 500):
        earlier = dict(
            connection.execute(
                select(carried.source_url, carried.from_run).where(
                    carried.run_id == from_run, carried.source_url.in_(chunk)
                )
            ).all()
        )
        connection.execute(
            insert(carried),
            [
                {"run_id": to_run, "source_url": url, "from_run": earlier.get(url, from_run)}
                for url in chunk
            ],
        )


def _through_carried(query: Q, run_id: int | BindParameter[int]) -> Q:
    """``query`` over the occurrences that the pages run ``run_id`` carried refer to."""
    occurrence, carried = LinkOccurrenceRow, CarriedPageRow
    return query.join(
        carried,
        and_(carried.from_run == occurrence.run_id, carried.source_url == occurrence.source_url),
    ).where(carried.run_id == run_id)


def run_occurrences(session: Session, run_id: int) -> list[LinkOccurrence]:
    """Every link occurrence a run saw: the pages it read and the unchanged pages it referred
    to an earlier run for (ordered by page, then place on the page)."""
    occurrence = LinkOccurrenceRow
    read = select(occurrence).where(occurrence.run_id == run_id)
    referred = _through_carried(select(occurrence), run_id)
    rows = [*session.scalars(read), *session.scalars(referred)]
    rows.sort(key=lambda row: (row.source_url, row.id))
    return [
        LinkOccurrence(r.source_url, r.target_key, r.target_url, r.tag, r.attr, r.text)
        for r in rows
    ]


def latest_account_observations(
    session: Session, subject: str, before: datetime | None = None
) -> dict[str, AccountObservation]:
    """Each account's newest observation from a complete run started before ``before``."""
    query = (
        select(AccountObservationRow)
        .join(Run, Run.id == AccountObservationRow.run_id)
        .where(Run.site_id == subject, Run.status == "complete")
        .order_by(Run.started_at, AccountObservationRow.id)
    )
    if before is not None:
        query = query.where(Run.started_at < before)
    latest: dict[str, AccountObservation] = {}
    for row in session.scalars(query):
        latest[row.account_id] = _from_row(AccountObservation, row)
    return latest


def column_observations(session: Session, run_id: int) -> list[ColumnObservation]:
    rows = session.scalars(
        select(ColumnObservationRow)
        .where(ColumnObservationRow.run_id == run_id)
        .order_by(ColumnObservationRow.id)
    )
    return [_column_record(row) for row in rows]


def discovered_columns(session: Session, site_id: str) -> list[ColumnObservation]:
    """The columns the latest complete full crawl of the site discovered (not configured):
    what a scan of one of them (by name or by its page's URL) reads again."""
    base = latest_complete_run(session, site_id, scope="full")
    if base is None:
        return []
    return [o for o in column_observations(session, base.id) if o.discovered and not o.is_homepage]


def site_view(session: Session, site_id: str, before: datetime | None = None) -> SiteView:
    """The site as its runs saw it up to ``before``: the latest complete full run, with every
    later complete partial run laid over it (their column dates and link outcomes win)."""
    base = latest_complete_run(session, site_id, before, scope="full")
    query = select(Run).where(
        Run.site_id == site_id,
        Run.status == "complete",
        Run.scope == "partial",
        Run.kind != "probe",
    )
    if base is not None:
        query = query.where(Run.started_at > base.started_at)
    if before is not None:
        query = query.where(Run.started_at < before)
    overlays = tuple(
        _run_record(r) for r in session.scalars(query.order_by(Run.started_at, Run.id))
    )
    runs = ([base] if base else []) + list(overlays)
    columns: dict[tuple[bool, str, str], ColumnObservation] = {}
    for run in runs:
        for observation in column_observations(session, run.id):
            # Discovered columns may share a name (each department's 工作动态): key by URL.
            where = observation.url if observation.discovered else ""
            columns[(observation.is_homepage, observation.column_name, where)] = observation
    problems, fixes = _link_states(session, runs)
    if base is not None:
        known = {fix.url_key for fix in fixes} | {p.check.url_key for p in problems}
        fixes += [f for f in _fixed_since_previous(session, base) if f.url_key not in known]
    return SiteView(base, overlays, tuple(columns.values()), tuple(problems), tuple(fixes))


def _fixed_since_previous(session: Session, base: RunRecord) -> list[LinkFix]:
    """Links that failed in the complete full run before ``base`` and answer in ``base``."""
    previous = session.scalars(
        select(Run)
        .where(
            Run.site_id == base.site_id,
            Run.status == "complete",
            Run.scope == "full",
            Run.kind != "probe",
            Run.started_at < base.started_at,
        )
        .order_by(Run.started_at.desc())
        .limit(1)
    ).first()
    if previous is None:
        return []
    failed_before = {
        row.url_key: row
        for row in session.scalars(
            select(LinkCheckRow)
            .where(LinkCheckRow.run_id == previous.id)
            .where(
                or_(
                    LinkCheckRow.status.is_(None),
                    LinkCheckRow.status >= 400,
                    LinkCheckRow.error.is_not(None),
                )
            )
        )
    }
    fixes = []
    checked: set[str] = set()
    for chunk in _chunks(list(failed_before), 500):
        for row in session.scalars(
            select(LinkCheckRow).where(
                LinkCheckRow.run_id == base.id, LinkCheckRow.url_key.in_(chunk)
            )
        ):
            checked.add(row.url_key)
            if not _failed(row.status, row.error):
                before = failed_before[row.url_key]
                fixes.append(
                    LinkFix(
                        row.url,
                        row.url_key,
                        base.finished_at or base.started_at,
                        base.id,
                        before.status,
                        before.error,
                    )
                )
    unchecked = [key for key in failed_before if key not in checked]
    taken_off, pages_gone = _taken_off(session, previous.id, base.id, unchecked)
    fixed_at = base.finished_at or base.started_at
    for key in taken_off:
        before = failed_before[key]
        fixes.append(LinkFix(before.url, key, fixed_at, base.id, before.status, before.error, True))
    for key in pages_gone:
        before = failed_before[key]
        fixes.append(
            LinkFix(
                before.url, key, fixed_at, base.id, before.status, before.error, pages_gone=True
            )
        )
    return sorted(fixes, key=lambda f: f.url)


def _taken_off(
    session: Session, previous: int, base: int, keys: list[str]
) -> tuple[list[str], list[str]]:
    """Of links ``previous`` saw failing and ``base`` never asked for: those taken off their
    pages (a page that had the link was read again by ``base``, without it), and those whose
    pages ``base`` did not reach at all (deleted, or no longer linked: the 台账 closes them too,
    saying so). A link a page still has (its recheck never counted) is neither; nor is a missing
    anchor (only misses are recorded)."""
    keys = [key for key in keys if "#" not in key]
    sources = _pages_linking(session, previous, keys)
    if not sources:
        return [], []
    still = _pages_linking(session, base, list(sources))
    pages = sorted(set().union(*sources.values()))
    read_again: set[str] = set()
    occurrence, carried = LinkOccurrenceRow, CarriedPageRow
    for chunk in _chunks(pages, 500):
        read_now = select(occurrence.source_url).where(
            occurrence.run_id == base, occurrence.source_url.in_(chunk)
        )
        carried_now = select(carried.source_url).where(
            carried.run_id == base, carried.source_url.in_(chunk)
        )
        read_again.update(session.scalars(union(read_now, carried_now)))
    gone = [key for key in sources if key not in still]
    return [key for key in gone if sources[key] & read_again], [
        key for key in gone if not sources[key] & read_again
    ]


def _pages_linking(session: Session, run_id: int, keys: list[str]) -> dict[str, set[str]]:
    """The pages run ``run_id`` saw linking each of ``keys``: read by it, or carried from the
    run that last read them. By (run, target) on the occurrences' index, a few keys at a time."""
    if not keys:
        return {}
    carried = CarriedPageRow
    carried_from = {
        (from_run, source)
        for from_run, source in session.execute(
            select(carried.from_run, carried.source_url).where(carried.run_id == run_id)
        )
    }
    runs = sorted({run_id} | {from_run for from_run, _ in carried_from})
    occurrence = LinkOccurrenceRow
    found: dict[str, set[str]] = {}
    for chunk in _chunks(keys, 500):
        rows = session.execute(
            select(occurrence.run_id, occurrence.source_url, occurrence.target_key).where(
                occurrence.run_id.in_(runs), occurrence.target_key.in_(chunk)
            )
        )
        for run, source, key in rows:
            if run == run_id or (run, source) in carried_from:
                found.setdefault(key, set()).add(source)
    return found


def _failed(status: int | None, error: str | None) -> bool:
    return error is not None or status is None or status >= 400


def _link_states(
    session: Session, runs: list[RunRecord]
) -> tuple[list[LinkProblem], list[LinkFix]]:
    """Latest outcome per link over ``runs`` (oldest first): the failing ones, and the fixed."""
    if not runs:
        return [], []
    order = {run.id: index for index, run in enumerate(runs)}
    finished = {run.id: run.finished_at or run.started_at for run in runs}
    failing_keys = list(
        session.scalars(
            select(LinkCheckRow.url_key)
            .distinct()
            .where(LinkCheckRow.run_id.in_(order))
            .where(
                or_(
                    LinkCheckRow.status.is_(None),
                    LinkCheckRow.status >= 400,
                    LinkCheckRow.error.is_not(None),
                )
            )
        )
    )
    # Pages a later run read again: what an earlier run saw on them no longer stands.
    reread: dict[str, int] = {}
    if len(runs) > 1:
        later = [r.id for r in runs[1:]]
        for run_id, source in session.execute(
            select(LinkOccurrenceRow.run_id, LinkOccurrenceRow.source_url)
            .distinct()
            .where(LinkOccurrenceRow.run_id.in_(later))
            .union(
                select(CarriedPageRow.run_id, CarriedPageRow.source_url).where(
                    CarriedPageRow.run_id.in_(later)
                )
            )
        ):
            reread[source] = max(reread.get(source, -1), order[run_id])
    # Unchanged pages refer to the run that read them (possibly older than ``runs``).
    origins = set(
        session.scalars(
            select(CarriedPageRow.from_run).distinct().where(CarriedPageRow.run_id.in_(order))
        )
    )
    # Plain rows (attributes named as the columns), not ORM objects: a site with a thousand
    # dead links has tens of thousands of these, and loading them as objects was most of
    # computing its findings.
    history: dict[str, list[Row[Any]]] = {}
    occurrences: dict[str, dict[tuple[str, str, str], LinkOccurrence]] = {}
    for chunk in _chunks(failing_keys, 500):
        for row in session.execute(
            select(*LinkCheckRow.__table__.columns).where(
                LinkCheckRow.run_id.in_(order), LinkCheckRow.url_key.in_(chunk)
            )
        ):
            history.setdefault(row.url_key, []).append(row)
        rows = list(
            session.execute(
                select(*LinkOccurrenceRow.__table__.columns)
                .where(
                    LinkOccurrenceRow.run_id.in_(set(order) | origins),
                    LinkOccurrenceRow.target_key.in_(chunk),
                )
                .order_by(LinkOccurrenceRow.id)
            )
        )
        referred = _referring_runs(session, order, origins, rows)
        for occ in rows:
            seen_in = referred.get((occ.run_id, occ.source_url), [])
            if occ.run_id in order:
                seen_in = [order[occ.run_id], *seen_in]
            if not seen_in or reread.get(occ.source_url, -1) > max(seen_in):
                continue
            occurrences.setdefault(occ.target_key, {}).setdefault(
                (occ.source_url, occ.tag, occ.text),
                LinkOccurrence(
                    occ.source_url, occ.target_key, occ.target_url, occ.tag, occ.attr, occ.text
                ),
            )
    problems: list[LinkProblem] = []
    fixes: list[LinkFix] = []
    for key in failing_keys:
        checks = sorted(history.get(key, []), key=lambda row: (order[row.run_id], row.id))
        latest = checks[-1]
        if key not in occurrences and any(r.scope == "full" for r in runs):
            continue  # no page links to it any more: nothing to fix
        if _failed(latest.status, latest.error):
            problems.append(
                LinkProblem(_check_record(latest), tuple(occurrences.get(key, {}).values()))
            )
            continue
        before = [c for c in checks if _failed(c.status, c.error)]
        if before:
            last_failure = before[-1]
            fixes.append(
                LinkFix(
                    latest.url,
                    key,
                    finished[latest.run_id],
                    latest.run_id,
                    last_failure.status,
                    last_failure.error,
                )
            )
    problems.sort(key=lambda p: p.check.url)
    fixes.sort(key=lambda f: f.url)
    return problems, fixes


def _referring_runs(
    session: Session,
    order: dict[int, int],
    origins: set[int],
    rows: list[Row[Any]],
) -> dict[tuple[int, str], list[int]]:
    """For stored occurrences, the runs among ``order`` (by position) that referred to them
    for an unchanged page, keyed by (the run that stored them, page)."""
    sources = sorted({row.source_url for row in rows if row.run_id in origins})
    referred: dict[tuple[int, str], list[int]] = {}
    for chunk in _chunks(sources, 500):
        for run_id, source, from_run in session.execute(
            select(CarriedPageRow.run_id, CarriedPageRow.source_url, CarriedPageRow.from_run).where(
                CarriedPageRow.run_id.in_(order),
                CarriedPageRow.from_run.in_(origins),
                CarriedPageRow.source_url.in_(chunk),
            )
        ):
            referred.setdefault((from_run, source), []).append(order[run_id])
    return referred


HISTORY_RUNS = 92  # complete full runs a failure streak is followed back (a quarter)


def failure_history(
    session: Session,
    site_id: str,
    url_keys: Sequence[str],
    before: datetime | None = None,
    runs: int = HISTORY_RUNS,
) -> dict[str, FailureHistory]:
    """For each failing link: how many of the latest complete full runs in a row it failed in,
    and since when (at most ``runs`` runs back: a quarter of nightly crawls, so that a 台账's
    首次发现 does not creep forward). A partial run (a scan, a recheck) in between that found it
    working ends the streak: it failed again after a fix, it is new again; one that found it
    failing after the last crawl is when it was last seen failing."""
    query = select(Run).where(Run.site_id == site_id, Run.status == "complete", Run.kind != "probe")
    if before is not None:
        query = query.where(Run.started_at < before)
    recent = list(session.scalars(query.order_by(Run.started_at.desc()).limit(runs * 3)))
    if not recent or not url_keys:
        return {}
    outcome: dict[tuple[int, str], bool] = {}
    for chunk in _chunks(list(url_keys), 500):
        for row in session.execute(
            select(
                LinkCheckRow.run_id, LinkCheckRow.url_key, LinkCheckRow.status, LinkCheckRow.error
            ).where(
                LinkCheckRow.run_id.in_([r.id for r in recent]), LinkCheckRow.url_key.in_(chunk)
            )
        ):
            outcome[(row[0], row[1])] = _failed(row[2], row[3])
    history: dict[str, FailureHistory] = {}
    for key in url_keys:
        streak: list[Run] = []
        latest: datetime | None = None  # last seen failing: by a crawl, or a later recheck
        for run in recent:
            failed = outcome.get((run.id, key))
            if failed and latest is None:
                latest = run.started_at
            if run.scope != "full":
                if failed is False:
                    break  # seen working since
                continue  # a partial run never lengthens a streak of crawls
            if not failed or len(streak) >= runs:
                break
            streak.append(run)
        if streak:
            history[key] = FailureHistory(
                streak[-1].started_at, latest or streak[0].started_at, len(streak)
            )
    return history


# ---------------------------------------------------------------------------------- locks


def get_lock(session: Session, site_id: str) -> LockHolder | None:
    lock = session.get(SiteLock, site_id)
    return _lock_record(lock) if lock else None


def insert_lock(session: Session, site_id: str, command: str, pid: int, host: str) -> None:
    now = utcnow()
    session.add(
        SiteLock(
            site_id=site_id, command=command, pid=pid, host=host, acquired_at=now, heartbeat_at=now
        )
    )
    session.flush()


def delete_lock(
    session: Session, site_id: str, pid: int | None = None, host: str | None = None
) -> None:
    query = delete(SiteLock).where(SiteLock.site_id == site_id)
    if pid is not None:
        query = query.where(SiteLock.pid == pid, SiteLock.host == host)
    session.execute(query)


def heartbeat_lock(session: Session, site_id: str, pid: int, host: str) -> None:
    session.execute(
        update(SiteLock)
        .where(SiteLock.site_id == site_id, SiteLock.pid == pid, SiteLock.host == host)
        .values(heartbeat_at=utcnow())
    )


def held_locks(session: Session) -> list[LockHolder]:
    return [
        _lock_record(lock) for lock in session.scalars(select(SiteLock).order_by(SiteLock.site_id))
    ]


def lock_is_stale(holder: LockHolder) -> bool:
    """A lock whose process is gone: a dead PID here, or no heartbeat for a while (on any
    host: a restarted container can reuse the PID of the process that held it)."""
    if holder.heartbeat_at < utcnow() - STALE_HEARTBEAT:
        return True
    return holder.host == socket.gethostname() and not _alive(holder.pid)


# --------------------------------------------------------------------------------- probes


def save_probe(session: Session, probe: Probe) -> None:
    session.add(ProbeRow(**vars(probe)))


def probes_between(session: Session, site_id: str, start: datetime, end: datetime) -> list[Probe]:
    rows = session.scalars(
        select(ProbeRow)
        .where(ProbeRow.site_id == site_id, ProbeRow.probed_at >= start, ProbeRow.probed_at < end)
        .order_by(ProbeRow.probed_at)
    )
    return [_from_row(Probe, r) for r in rows]


def last_probe(session: Session, site_id: str) -> Probe | None:
    row = session.scalars(
        select(ProbeRow)
        .where(ProbeRow.site_id == site_id)
        .order_by(ProbeRow.probed_at.desc())
        .limit(1)
    ).first()
    return _from_row(Probe, row) if row else None


# -------------------------------------------------------------------------- notifications


def enqueue_notification(
    session: Session, site_id: str, channel: str, payload: dict[str, Any]
) -> None:
    now = utcnow()
    session.add(
        NotificationRow(
            created_at=now,
            site_id=site_id,
            channel=channel,
            payload=payload,
            attempts=0,
            next_attempt_at=now,
        )
    )


def due_notifications(session: Session, limit: int = 50) -> list[NotificationRow]:
    return list(
        session.scalars(
            select(NotificationRow)
            .where(
                NotificationRow.delivered_at.is_(None), NotificationRow.next_attempt_at <= utcnow()
            )
            .order_by(NotificationRow.id)
            .limit(limit)
        )
    )


def notification_failed(
    session: Session, row_id: int, error: str, first: timedelta, limit: timedelta
) -> tuple[int, timedelta]:
    row = session.get(NotificationRow, row_id)
    assert row is not None
    row.attempts += 1
    backoff = min(first * 2 ** (row.attempts - 1), limit)
    row.next_attempt_at = utcnow() + backoff
    row.last_error = error
    return row.attempts, backoff


def notification_delivered(session: Session, row_id: int) -> None:
    row = session.get(NotificationRow, row_id)
    assert row is not None
    row.attempts += 1
    row.delivered_at = utcnow()
    row.last_error = None


def pending_notifications(session: Session) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(NotificationRow)
            .where(NotificationRow.delivered_at.is_(None))
        )
        or 0
    )


def database_size(session: Session) -> int | None:
    """The database's size in bytes as a PostgreSQL server counts it (None elsewhere: a SQLite
    database is measured by its files)."""
    if session.get_bind().dialect.name != "postgresql":
        return None
    return session.scalar(select(func.pg_database_size(func.current_database())))


# ------------------------------------------------------------------------------ scheduler


def scheduled_jobs(session: Session) -> list[tuple[str, float | None]]:
    """(job id, next run as a POSIX timestamp) from APScheduler's table."""
    rows = session.execute(
        select(SchedulerJobRow.id, SchedulerJobRow.next_run_time).order_by(
            SchedulerJobRow.next_run_time
        )
    )
    return [(row[0], row[1]) for row in rows]


# -------------------------------------------------------------------------------- helpers


def _run_record(run: Run) -> RunRecord:
    return _from_row(RunRecord, run)


def _column_record(row: ColumnObservationRow) -> ColumnObservation:
    return _from_row(ColumnObservation, row)


def _check_record(row: LinkCheckRow | Row[Any]) -> LinkCheck:
    check = _from_row(LinkCheck, row)
    check.redirects = list(row.redirects or [])
    return check


def _lock_record(lock: SiteLock) -> LockHolder:
    return _from_row(LockHolder, lock)


def _from_row(record: type[R], row: object) -> R:
    """A record dataclass from a row (ORM or plain) with the same field names."""
    names = _FIELD_NAMES.get(record)
    if names is None:
        names = _FIELD_NAMES[record] = tuple(f.name for f in dataclasses.fields(record))  # type: ignore[arg-type]
    return record(**{name: getattr(row, name) for name in names})


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


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
