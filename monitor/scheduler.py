"""``govwatch schedule``: nightly crawls, freshness passes, availability probes, reports and
notifications, with APScheduler; jobs live in the same database and survive restarts.

Policy on every job: ``coalesce`` (missed runs become one catch-up), ``max_instances=1``, a
``misfire_grace_time``, the configured time zone. Each crawl runs in its own process under the
site's lock (monitor.runner), so a crawl never overlaps a scan of the same site.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from monitor import notify, runner
from monitor.assessments import assess, assess_accounts
from monitor.config import Config, load_config
from monitor.database import engine_scope, open_database
from monitor.probes import probe_sites
from monitor.runner import RunRequest
from monitor.store import ACCOUNTS_SUBJECT
from monitor.yamlsource import ConfigError
from reports.render import write_reports

log = logging.getLogger(__name__)
NOTIFY_EVERY = timedelta(minutes=1)
_REPORTS_LOCK = threading.Lock()


class SpreadCronTrigger(BaseTrigger):  # type: ignore[misc]
    """A cron schedule shifted by a fixed offset, so sites do not all start at once."""

    def __init__(self, cron: str, offset: timedelta, timezone: tzinfo) -> None:
        self.cron = cron
        self.offset = offset
        self.timezone = timezone
        self.base = CronTrigger.from_crontab(cron, timezone=timezone)

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        previous = previous_fire_time - self.offset if previous_fire_time else None
        fire = self.base.get_next_fire_time(previous, now - self.offset)
        return fire + self.offset if fire else None

    def __getstate__(self) -> dict[str, Any]:
        return {
            "cron": self.cron,
            "offset": self.offset.total_seconds(),
            "timezone": str(self.timezone),
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.cron = state["cron"]
        self.offset = timedelta(seconds=state["offset"])
        self.timezone = ZoneInfo(state["timezone"])
        self.base = CronTrigger.from_crontab(self.cron, timezone=self.timezone)

    def __str__(self) -> str:
        return f"cron[{self.cron}] + {self.offset} ({self.timezone})"


@dataclass(frozen=True)
class JobSpec:
    id: str
    func: Any
    trigger: BaseTrigger
    args: tuple[Any, ...]
    executor: str
    misfire_grace: int


def job_specs(config: Config, config_path: str, db_url: str) -> list[JobSpec]:
    """The jobs a config asks for; ids are stable (``crawl:SITE``, ``probe``…)."""
    schedule = config.schedule
    tz = ZoneInfo(schedule.timezone)
    limit = int(schedule.crawl_time_limit.total_seconds())
    specs: list[JobSpec] = []
    sites = list(config.sites)
    for index, site in enumerate(sites):
        offset = schedule.crawl_spread * index / max(1, len(sites))
        if schedule.crawl:
            specs.append(
                JobSpec(
                    f"crawl:{site.id}",
                    scheduled_run,
                    SpreadCronTrigger(schedule.crawl, offset, tz),
                    (config_path, db_url, "crawl", site.id),
                    "crawls",
                    limit,
                )
            )
        if schedule.freshness:
            specs.append(
                JobSpec(
                    f"freshness:{site.id}",
                    scheduled_run,
                    SpreadCronTrigger(schedule.freshness, offset, tz),
                    (config_path, db_url, "freshness", site.id),
                    "crawls",
                    limit,
                )
            )
    if schedule.crawl and config.accounts:
        specs.append(
            JobSpec(
                f"crawl:{ACCOUNTS_SUBJECT}",
                scheduled_run,
                SpreadCronTrigger(schedule.crawl, timedelta(0), tz),
                (config_path, db_url, "crawl", ACCOUNTS_SUBJECT),
                "crawls",
                limit,
            )
        )
    if schedule.probe_interval and sites:
        specs.append(
            JobSpec(
                "probe",
                scheduled_probe,
                IntervalTrigger(seconds=schedule.probe_interval.total_seconds(), timezone=tz),
                (config_path, db_url),
                "default",
                int(schedule.probe_interval.total_seconds()),
            )
        )
    if config.notify:
        specs.append(
            JobSpec(
                "notify",
                scheduled_delivery,
                IntervalTrigger(seconds=NOTIFY_EVERY.total_seconds(), timezone=tz),
                (config_path, db_url),
                "default",
                3600,
            )
        )
    return specs


def make_scheduler(
    db_url: str, timezone: str = "Asia/Shanghai", crawl_workers: int = 2
) -> BackgroundScheduler:
    engine = open_database(db_url)
    return BackgroundScheduler(
        jobstores={"default": SQLAlchemyJobStore(engine=engine)},
        executors={
            "default": ThreadPoolExecutor(4),
            "crawls": ThreadPoolExecutor(max(1, crawl_workers)),
        },
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=ZoneInfo(timezone),
    )


def sync_jobs(scheduler: BackgroundScheduler, specs: list[JobSpec]) -> dict[str, str]:
    """Make the stored jobs match ``specs``: unchanged jobs keep their next run time (so a run
    missed while stopped still happens once), changed ones are replaced, removed ones go."""
    wanted = {spec.id: spec for spec in specs}
    changes: dict[str, str] = {}
    for job in scheduler.get_jobs():
        if job.id not in wanted:
            job.remove()
            changes[job.id] = "removed"
    for spec in specs:
        existing = scheduler.get_job(spec.id)
        if (
            existing is not None
            and str(existing.trigger) == str(spec.trigger)
            and tuple(existing.args) == spec.args
            and existing.executor == spec.executor
            and existing.misfire_grace_time == spec.misfire_grace
        ):
            changes.setdefault(spec.id, "kept")
            continue
        scheduler.add_job(
            spec.func,
            spec.trigger,
            args=spec.args,
            id=spec.id,
            name=spec.id,
            executor=spec.executor,
            misfire_grace_time=spec.misfire_grace,
            coalesce=True,
            max_instances=1,
            replace_existing=True,
        )
        changes[spec.id] = "replaced" if existing is not None else "added"
    return changes


def serve(config_path: Path, db_url: str, run_now: bool = False) -> int:
    """Run in the foreground until SIGTERM/SIGINT; SIGHUP re-reads the config."""
    config = load_config(config_path)
    scheduler = make_scheduler(db_url, config.schedule.timezone)
    stop, reload = threading.Event(), threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGHUP, lambda *_: reload.set())
    scheduler.start(paused=True)
    changes = sync_jobs(scheduler, job_specs(config, str(config_path), db_url))
    log.info("scheduler started (PID %s) with jobs: %s", os.getpid(), changes)
    scheduler.resume()
    if run_now:
        for job in scheduler.get_jobs():
            if job.id.startswith("crawl:"):
                job.modify(next_run_time=datetime.now(ZoneInfo(config.schedule.timezone)))
    try:
        while not stop.is_set():
            if reload.wait(0.5):
                reload.clear()
                try:
                    config = load_config(config_path)
                    changes = sync_jobs(scheduler, job_specs(config, str(config_path), db_url))
                    log.info("config re-read on SIGHUP: %s", changes)
                except ConfigError as exc:
                    log.error("config not re-read, keeping the jobs as they were:\n%s", exc)
    finally:
        log.info("stopping: ending running crawls (they are marked incomplete)")
        scheduler.pause()
        runner.stop_all()
        scheduler.shutdown(wait=True)
        log.info("scheduler stopped")
    return 0


# ---------------------------------------------------------------- job functions (picklable)


def scheduled_run(config_path: str, db_url: str, kind: str, site_id: str) -> None:
    """A nightly crawl or freshness pass of one site (or the new-media accounts), then reports
    and notifications of what is new and what was fixed."""
    config = load_config(config_path)
    with engine_scope(db_url) as engine:
        _scheduled_run(config, config_path, engine, db_url, kind, site_id)


def _scheduled_run(
    config: Config, config_path: str, engine: Engine, db_url: str, kind: str, site_id: str
) -> None:
    today = datetime.now(ZoneInfo(config.schedule.timezone)).date()
    before = _subject_findings(engine, config, site_id, today)
    logs = Path(config_path).resolve().parent / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    outcome = runner.run_site(
        Path(config_path),
        RunRequest(site_id, kind, command=f"govwatch schedule ({kind})"),
        db_url,
        settings=(
            f"LOG_FILE={logs / f'{kind}-{site_id}.log'}",
            "LOG_FILE_APPEND=False",
            "LOG_LEVEL=INFO",
        ),
        time_limit=config.schedule.crawl_time_limit.total_seconds(),
    )
    if outcome.locked_by is not None:
        log.warning("%s of %s skipped: %s", kind, site_id, outcome.locked_by)
        return
    if outcome.run is None or outcome.run.status != "complete":
        log.warning("%s of %s did not complete", kind, site_id)
        return
    after = _subject_findings(engine, config, site_id, today)
    new, fixed = notify.diff_findings(before, after)
    queued = notify.enqueue(engine, config, notify.subject_of(config, site_id), new, fixed)
    log.info(
        "%s of %s complete: %s findings (%s new, %s fixed), %s notifications queued",
        kind,
        site_id,
        len(after),
        len(new),
        len(fixed),
        queued,
    )
    if config.schedule.reports == "after_crawl":
        write_dated_reports(config, db_url, assess(engine, config, today), today)


def _subject_findings(engine: Any, config: Config, subject: str, day: date) -> list[Any]:
    if subject == ACCOUNTS_SUBJECT:
        return [v.finding for v in assess_accounts(engine, config, day) if v.finding]
    return [f for a in assess(engine, config, day, [subject]) for f in a.findings]


def write_dated_reports(config: Config, db_url: str, assessments: list[Any], day: date) -> Path:
    """Reports into REPORTS_DIR/YYYY-MM-DD/ and a copy in REPORTS_DIR/latest/."""
    with _REPORTS_LOCK:  # two crawls may finish at once; they share REPORTS_DIR/latest
        return _write_dated_reports(config, db_url, assessments, day)


def _write_dated_reports(config: Config, db_url: str, assessments: list[Any], day: date) -> Path:
    root = config.reports_dir()
    dated = root / day.isoformat()
    with engine_scope(db_url) as engine:
        accounts = assess_accounts(engine, config, day)
    write_reports(assessments, config.rule_preset, dated, accounts=accounts, as_of=day)
    latest = root / "latest"
    staging = root / ".latest.new"
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(dated, staging)
    shutil.rmtree(latest, ignore_errors=True)
    staging.rename(latest)
    return dated


def scheduled_probe(config_path: str, db_url: str) -> None:
    config = load_config(config_path)
    with engine_scope(db_url) as engine:
        results = probe_sites(engine, config)
    failed = [p.site_id for p in results if p.failed]
    if failed:
        log.warning("probe failed for: %s", ", ".join(failed))


def scheduled_delivery(config_path: str, db_url: str) -> None:
    config = load_config(config_path)
    with engine_scope(db_url) as engine:
        notify.deliver_due(engine, config)
