"""Read the latest complete run of each site and judge it: the bridge from store to rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from monitor import rules, store
from monitor.config import Config
from monitor.database import session_scope
from monitor.rules import SiteAssessment
from monitor.workdays import WorkdayCalendar

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def today_local() -> date:
    return datetime.now(LOCAL_TZ).date()


def end_of_day_utc(day: date) -> datetime:
    """Midnight after ``day`` in Asia/Shanghai, as naive UTC (how runs are stored)."""
    local = datetime.combine(day + timedelta(days=1), time.min, tzinfo=LOCAL_TZ)
    return local.astimezone(ZoneInfo("UTC")).replace(tzinfo=None)


def assess(
    engine: Engine, config: Config, as_of: date, site_ids: list[str] | None = None
) -> list[SiteAssessment]:
    preset = config.rule_preset
    calendar = WorkdayCalendar(preset.workdays.holidays, preset.workdays.workdays)
    results = []
    with session_scope(engine) as session:
        for site in config.sites:
            if site_ids and site.id not in site_ids:
                continue
            run = store.latest_complete_run(session, site.id, end_of_day_utc(as_of))
            observations = store.column_observations(session, run.id) if run else []
            problems = store.link_problems(session, run.id) if run else []
            assessment = rules.assess_site(
                site, preset, as_of, calendar, run, observations, problems
            )
            newest = store.latest_runs(session, site.id, 1, end_of_day_utc(as_of))
            if newest and (run is None or newest[0].id != run.id):
                assessment = replace(assessment, latest_run=newest[0])
            results.append(assessment)
    return results
