"""Read the latest complete run of each site and judge it: the bridge from store to rules."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from monitor import rules, store
from monitor.config import Config
from monitor.database import session_scope
from monitor.rules import AccountVerdict, SiteAssessment
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
    """Judge every site (or the chosen ones) at ``as_of`` from what its runs saw before the
    end of that day: the latest complete full crawl, overlaid by later partial runs."""
    preset = config.rule_preset
    calendar = WorkdayCalendar(preset.workdays.holidays, preset.workdays.workdays)
    end = end_of_day_utc(as_of)
    window = preset.availability.window
    start = end - (end.date() - window.calendar_cutoff(end.date()))
    results = []
    with session_scope(engine) as session:
        for site in config.sites:
            if site_ids and site.id not in site_ids:
                continue
            view = store.site_view(session, site.id, end)
            history = store.failure_history(
                session, site.id, [p.check.url_key for p in view.problems], end
            )
            assessment = rules.assess_site(
                site, preset, as_of, calendar, view.base, view.columns, view.problems, history
            )
            probes = store.probes_between(session, site.id, start, end)
            availability, unavailable = rules.judge_availability(site, preset, probes, start, end)
            newest = store.latest_runs(session, site.id, 1, end)
            used = {run.id for run in (view.base, *view.overlays) if run is not None}
            latest = newest[0] if newest and newest[0].id not in used else None
            assessment = replace(
                assessment,
                findings=(
                    *assessment.findings,
                    *unavailable,
                    *rules.crawl_refused(site, latest),
                ),
                overlays=view.overlays,
                fixes=view.fixes,
                availability=availability if probes else None,
                latest_run=latest,
            )
            results.append(assessment)
    return results


def assess_accounts(
    engine: Engine, config: Config, as_of: date, account_ids: list[str] | None = None
) -> list[AccountVerdict]:
    """Every configured account (or the chosen ones) judged on its newest fetch before the end
    of ``as_of``."""
    preset = config.rule_preset
    calendar = WorkdayCalendar(preset.workdays.holidays, preset.workdays.workdays)
    with session_scope(engine) as session:
        latest = store.latest_account_observations(
            session, store.ACCOUNTS_SUBJECT, end_of_day_utc(as_of)
        )
    return [
        rules.judge_account(account, preset, latest.get(account.id), as_of, calendar)
        for account in config.accounts
        if not account_ids or account.id in account_ids
    ]
