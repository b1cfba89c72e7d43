"""Observations + rule preset + as-of date → findings. Pure functions: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from crawler.extract.html import column_key
from monitor.classify import classify
from monitor.config import AccountConfig, ColumnConfig, LinkRules, Preset, SiteConfig
from monitor.durations import Window
from monitor.findings import (
    ACCOUNT_NOT_DAILY,
    ACCOUNT_SILENT,
    ACCOUNT_UNREACHABLE,
    AVAILABILITY_WARNING,
    COLUMN_UNREACHABLE,
    COLUMN_UNREADABLE,
    CRAWL_BLOCKED,
    DEAD_LINK,
    EMPTY_COLUMN,
    HOMEPAGE_UNREACHABLE,
    MISSING_ANCHOR,
    NO_DATA,
    SITE_UNAVAILABLE,
    SITE_VETO,
    SITE_WARNING,
    STALE_COLUMN,
    UNREAD_PAGE,
    AccountFinding,
    AvailabilityFinding,
    ColumnFinding,
    DeadLinkFinding,
    FailedProbe,
    Finding,
    LinkSource,
    SiteFinding,
)
from monitor.records import (
    BLOCKED,
    AccountObservation,
    ColumnObservation,
    FailureHistory,
    LinkCheck,
    LinkFix,
    LinkProblem,
    Probe,
    RunRecord,
)
from monitor.workdays import WorkdayCalendar

LOCAL_TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class ColumnVerdict:
    """Every configured column at the as-of date, fresh ones included (for the report)."""

    column: ColumnConfig
    observation: ColumnObservation | None
    window: Window | None
    cutoff: date | None
    # fresh, stale, empty, unreachable, unreadable, parent, content, external, unchecked, no-window
    state: str
    reason: str = "配置指定"  # why it has its category
    discovered: bool = False


@dataclass(frozen=True)
class Availability:
    """Homepage probes over the availability window before the as-of date."""

    probes: int
    failures: int
    start: datetime
    end: datetime

    @property
    def failure_rate(self) -> float:
        return self.failures / self.probes if self.probes else 0.0


@dataclass(frozen=True)
class SiteAssessment:
    site: SiteConfig
    as_of: date
    run: RunRecord | None
    homepage: ColumnObservation | None
    columns: tuple[ColumnVerdict, ...]
    findings: tuple[Finding, ...]
    latest_run: RunRecord | None = None  # the newest run of any status, when it is not ``run``
    overlays: tuple[RunRecord, ...] = ()  # partial runs laid over ``run``
    fixes: tuple[LinkFix, ...] = ()
    availability: Availability | None = None

    @property
    def verdict(self) -> str:
        """fail (a veto), warn (an early warning), pass, or unknown (no complete crawl)."""
        kinds = {finding.kind for finding in self.findings}
        if kinds & {SITE_VETO, SITE_UNAVAILABLE}:
            return "fail"
        if self.run is None:
            return "unknown"
        if kinds & {SITE_WARNING, AVAILABILITY_WARNING}:
            return "warn"
        return "pass"

    def count(self, kind: str, **where: object) -> int:
        return sum(
            1
            for f in self.findings
            if f.kind == kind and all(getattr(f, k) == v for k, v in where.items())
        )


def window_cutoff(window: Window, days: str, as_of: date, calendar: WorkdayCalendar) -> date:
    """The earliest fresh day for ``window`` at ``as_of``."""
    if days == "workdays":
        return calendar.subtract_workdays(as_of, window.amount)
    return window.calendar_cutoff(as_of)


def column_window(column: ColumnConfig, preset: Preset) -> tuple[Window | None, str]:
    rule = preset.categories[column.category]
    return (column.max_age or rule.max_age), rule.days


def judge_column(
    site: SiteConfig,
    column: ColumnConfig,
    observation: ColumnObservation | None,
    preset: Preset,
    as_of: date,
    calendar: WorkdayCalendar,
) -> tuple[ColumnVerdict, ColumnFinding | None]:
    window, days = column_window(column, preset)
    cutoff = window_cutoff(window, days, as_of, calendar) if window else None
    if observation is None:
        return ColumnVerdict(column, None, window, cutoff, "unchecked"), None
    if observation.status == "error":
        state, kind = "unreachable", COLUMN_UNREACHABLE
    elif observation.status == "unreadable":
        state, kind = "unreadable", COLUMN_UNREADABLE
    elif observation.status in ("parent", "content", "external"):
        state, kind = observation.status, None
    elif observation.newest_date is None:
        state, kind = "empty", EMPTY_COLUMN
    elif cutoff is None:
        state, kind = "no-window", None
    elif observation.newest_date < cutoff:
        state, kind = "stale", STALE_COLUMN
    else:
        state, kind = "fresh", None
    verdict = ColumnVerdict(column, observation, window, cutoff, state)
    if kind is None:
        return verdict, None
    newest = observation.newest_date
    return verdict, ColumnFinding(
        kind=kind,
        site=site.id,
        column=column.name,
        url=column.url,
        category=column.category,
        newest_date=newest,
        age_days=(as_of - newest).days if newest else None,
        max_age_days=(as_of - cutoff).days if cutoff else None,
        window=str(window) if window else None,
        newest_title=observation.newest_title,
        newest_url=observation.newest_url,
        newest_date_text=observation.newest_date_text,
        newest_date_source=observation.newest_date_source,
        item_count=observation.item_count,
        status=observation.http_status,
        error=observation.error,
    )


WARNINGS = frozenset({MISSING_ANCHOR, UNREAD_PAGE})  # check errors that are warnings


def is_definite(check: LinkCheck, rules: LinkRules) -> bool:
    """Dead for sure (404/410, 403 on a same-site link, DNS failure); otherwise suspected.
    An answer the crawl named (a firewall's ``blocked`` page, a ``soft_404``) is judged by
    that name, not by its status: a WAF's 403 is not a missing page."""
    if check.error is not None:
        return check.error in rules.definite_errors
    if check.status is not None:
        return check.status in rules.definite_status or (
            check.internal and check.status in rules.definite_status_internal
        )
    return check.error in rules.definite_errors


def judge_link(
    site: SiteConfig,
    problem: LinkProblem,
    homepage_urls: set[str],
    rules: LinkRules,
    history: FailureHistory | None = None,
) -> DeadLinkFinding:
    """Definite at once for 404/410, 403 on the site, DNS failures; otherwise suspected until
    it has failed in ``confirm_runs`` complete crawls in a row, unless the server would not let
    us check it (``never_confirmed``: blocked), which stays suspected."""
    check = problem.check
    streak = history.consecutive_runs if history else 1
    # A warning (the page is there, a place in it is not; a page too large to read) is
    # never a dead link.
    warning = check.error if check.error in WARNINGS else None
    sources = tuple(dict.fromkeys(o.source_url for o in problem.occurrences))
    shown = problem.occurrences[0].target_url if problem.occurrences else check.url
    return DeadLinkFinding(
        kind=warning or DEAD_LINK,
        site=site.id,
        url=shown,
        status=check.status,
        error=check.error,
        definite=not warning
        and (
            is_definite(check, rules)
            or (streak >= rules.confirm_runs and check.error not in rules.never_confirmed)
        ),
        internal=check.internal,
        on_homepage=any(_normal(s) in homepage_urls for s in sources),
        sources=sources,
        occurrences=tuple(LinkSource(o.source_url, o.tag, o.text) for o in problem.occurrences),
        final_url=check.final_url if check.final_url != check.url_key else None,
        redirects=tuple(check.redirects),
        first_seen=history.first_seen if history else None,
        last_seen=history.last_seen if history else None,
        consecutive_failures=streak,
        new=streak <= 1,
        error_detail=check.error_detail,
    )


def assess_site(
    site: SiteConfig,
    preset: Preset,
    as_of: date,
    calendar: WorkdayCalendar,
    run: RunRecord | None,
    observations: Sequence[ColumnObservation],
    problems: Sequence[LinkProblem],
    history: Mapping[str, FailureHistory] | None = None,
) -> SiteAssessment:
    """All findings for one site from its latest complete run at ``as_of``."""
    if run is None:
        missing = SiteFinding(
            kind=NO_DATA,
            site=site.id,
            check="crawl",
            count=None,
            threshold=None,
            detail="no complete crawl of this site before the as-of date",
        )
        return SiteAssessment(site, as_of, None, None, (), (missing,))
    homepage = next((o for o in observations if o.is_homepage), None)
    configured = {o.column_name: o for o in observations if not o.is_homepage and not o.discovered}
    found = {column_key(o.url): o for o in observations if not o.is_homepage and o.discovered}
    verdicts: list[ColumnVerdict] = []
    findings: list[Finding] = []
    for column, reason, discovered in _columns_to_judge(site, preset, observations):
        observation = (
            found.get(column_key(column.url))
            if discovered
            else (configured.get(column.name) or found.get(column_key(column.url)))
        )
        verdict, finding = judge_column(site, column, observation, preset, as_of, calendar)
        verdicts.append(replace(verdict, reason=reason, discovered=discovered))
        if finding:
            findings.append(replace(finding, category_reason=reason, discovered=discovered))
    homepage_urls = {_normal(site.home)} | ({_normal(homepage.url)} if homepage else set())
    findings += [
        judge_link(site, p, homepage_urls, preset.links, (history or {}).get(p.check.url_key))
        for p in problems
        if p.check.error is not None or p.check.status not in preset.links.reachable_status
    ]
    findings += _site_checks(site, preset, as_of, homepage, verdicts)
    return SiteAssessment(site, as_of, run, homepage, tuple(verdicts), tuple(findings))


def _columns_to_judge(
    site: SiteConfig, preset: Preset, observations: Sequence[ColumnObservation]
) -> list[tuple[ColumnConfig, str, bool]]:
    """Configured columns, then the discovered ones they do not cover, classified by their
    ColumnType meta tag, their name and their parents' names (operators pin or exclude)."""
    chosen = [(column, "配置指定", False) for column in site.columns]
    configured = {c.name for c in site.columns} | {column_key(c.url) for c in site.columns}
    excluded = set(site.exclude) | {column_key(x) for x in site.exclude if "://" in x}
    parents = column_parents(observations)
    for observation in observations:
        if not observation.discovered or observation.is_homepage:
            continue
        key = column_key(observation.url)
        if {observation.column_name, key} & configured or {observation.column_name, key} & excluded:
            continue
        lineage: list[str] = []
        parent = parents.get(observation.column_name)
        while parent and parent not in lineage and len(lineage) < 5:
            lineage.append(parent)
            parent = parents.get(parent)
        found = classify(observation.column_name, preset, lineage, observation.meta_column_type)
        column = ColumnConfig(
            name=observation.column_name, url=observation.url, category=found.category
        )
        chosen.append((column, found.reason, True))
    return chosen


def column_parents(observations: Sequence[ColumnObservation]) -> dict[str, str | None]:
    """Each discovered column's parent: the one the crawl found it under, unless the site's
    folders say otherwise. A column in a folder below another's (县域影像 /xwzx/xyyx/ below
    新闻中心 /xwzx/) is under the deepest such, whichever page's menu named it first (a left
    menu of siblings read first made them its children, or left them at the top); never under
    a column in a folder below its own."""
    discovered = [o for o in observations if o.discovered and not o.is_homepage]
    folders: dict[str, str] = {}
    for o in discovered:
        folder = column_key(o.url).rsplit("/", 1)[0] + "/"
        if folder.count("/") > 3:  # "//host/x/": a folder of the site, not its root
            folders[o.column_name] = folder
    parents: dict[str, str | None] = {}
    for o in discovered:
        parent, mine = o.parent_name, folders.get(o.column_name)
        if mine is not None:
            theirs = folders.get(parent) if parent else None
            if theirs is not None and theirs != mine and theirs.startswith(mine):
                parent = theirs = None  # found under a column below it
            above = [
                (len(folder), name)
                for name, folder in folders.items()
                if folder != mine and mine.startswith(folder)
            ]
            if above and not (theirs is not None and theirs != mine and mine.startswith(theirs)):
                parent = max(above)[1]
        parents[o.column_name] = parent
    for name, first in list(parents.items()):  # a loop (menus naming each other) is cut
        seen, node = {name}, first
        while node is not None and node in parents:
            if node in seen:
                parents[name] = None
                break
            seen.add(node)
            node = parents[node]
    return parents


def _site_checks(
    site: SiteConfig,
    preset: Preset,
    as_of: date,
    homepage: ColumnObservation | None,
    verdicts: list[ColumnVerdict],
) -> list[SiteFinding]:
    found: list[SiteFinding] = []
    if homepage is not None and homepage.status == "error":
        found.append(
            SiteFinding(
                kind=HOMEPAGE_UNREACHABLE,
                site=site.id,
                check="homepage",
                count=None,
                threshold=None,
                detail="the homepage could not be read during the crawl",
                url=homepage.url,
                status=homepage.http_status,
                error=homepage.error,
            )
        )
    else:
        found += _homepage_freshness(site, preset, as_of, homepage, verdicts)
    stale = tuple(
        v.column.name
        for v in verdicts
        if v.state == "stale" and v.column.category in preset.vetoes.stale_categories
    )
    empty = tuple(v.column.name for v in verdicts if v.state == "empty")
    checks = (
        ("columns_not_updated", stale, preset.vetoes.stale_columns, preset.warnings.stale_columns),
        ("empty_columns", empty, preset.vetoes.empty_columns, preset.warnings.empty_columns),
    )
    for check, names, veto, warn in checks:
        if veto and len(names) >= veto:
            found.append(
                SiteFinding(
                    SITE_VETO, site.id, check, len(names), veto, f"{len(names)} ≥ {veto}", names
                )
            )
        elif warn and len(names) >= warn:
            found.append(
                SiteFinding(
                    SITE_WARNING, site.id, check, len(names), warn, f"{len(names)} ≥ {warn}", names
                )
            )
    return found


def _homepage_freshness(
    site: SiteConfig,
    preset: Preset,
    as_of: date,
    homepage: ColumnObservation | None,
    verdicts: list[ColumnVerdict],
) -> list[SiteFinding]:
    newest = homepage.newest_date if homepage else None
    source = "homepage"
    if newest is None:
        # A homepage that is only navigation: judge by its newest second-level page.
        dates = [
            v.observation.newest_date
            for v in verdicts
            if v.observation and v.observation.newest_date
        ]
        newest, source = (max(dates), "columns") if dates else (None, source)
    if newest is None:
        return []
    age = (as_of - newest).days
    for kind, window in (
        (SITE_VETO, preset.vetoes.homepage_max_age),
        (SITE_WARNING, preset.warnings.homepage_max_age),
    ):
        if window is not None and newest < window.calendar_cutoff(as_of):
            limit = (as_of - window.calendar_cutoff(as_of)).days
            return [
                SiteFinding(
                    kind,
                    site.id,
                    "homepage_not_updated",
                    age,
                    limit,
                    f"newest {source} item {newest.isoformat()}, {age} days > {limit}",
                    url=homepage.url if homepage else site.home,
                    newest_date=newest,
                )
            ]
    return []


def crawl_refused(site: SiteConfig, latest: RunRecord | None) -> list[SiteFinding]:
    """The site's newest crawl, not used for the findings, was refused by the site (a
    firewall's limit or ban outlasted the crawl's wait): the operator should have the monitor
    let through. The findings stay those of the last complete crawl."""
    if latest is None or latest.status != "incomplete" or latest.finish_reason != BLOCKED:
        return []
    started = latest.started_at.replace(tzinfo=UTC).astimezone(LOCAL_TZ)
    return [
        SiteFinding(
            kind=CRAWL_BLOCKED,
            site=site.id,
            check="blocked",
            count=None,
            threshold=None,
            detail=(
                f"crawl #{latest.id} ({started:%Y-%m-%d %H:%M}) was refused by the site, as a "
                "firewall refuses a client it limits or bans: pages it had to read were not "
                "read, so it was not used"
            ),
            url=site.home,
        )
    ]


def judge_availability(
    site: SiteConfig, preset: Preset, probes: Sequence[Probe], start: datetime, end: datetime
) -> tuple[Availability, list[AvailabilityFinding]]:
    """站点无法访问: failures ≥ veto_rate of the probes in the window; a warning from
    warning_rate. ``probes`` are those taken in [start, end)."""
    failed = [p for p in probes if p.failed]
    summary = Availability(len(probes), len(failed), start, end)
    rules = preset.availability
    found: list[AvailabilityFinding] = []
    for kind, threshold in (
        (SITE_UNAVAILABLE, rules.veto_rate),
        (AVAILABILITY_WARNING, rules.warning_rate),
    ):
        if threshold is not None and probes and summary.failure_rate >= threshold:
            found.append(
                AvailabilityFinding(
                    kind=kind,
                    site=site.id,
                    probes=len(probes),
                    failures=len(failed),
                    failure_rate=round(summary.failure_rate, 4),
                    threshold=threshold,
                    window_days=(end - start).days,
                    failed_probes=tuple(
                        FailedProbe(p.probed_at, p.status, p.error) for p in failed
                    ),
                )
            )
            break
    return summary, found


@dataclass(frozen=True)
class AccountVerdict:
    account: AccountConfig
    observation: AccountObservation | None
    state: str  # ok, silent, not_daily, unreachable, unchecked
    finding: AccountFinding | None


def judge_account(
    account: AccountConfig,
    preset: Preset,
    observation: AccountObservation | None,
    as_of: date,
    calendar: WorkdayCalendar,
) -> AccountVerdict:
    """The most severe of: unreachable source (never judged silent on that evidence), silent
    past the window (national 14 days, a veto), no post since the previous working day."""
    if observation is None:
        return AccountVerdict(account, None, "unchecked", None)
    window = account.max_age or preset.newmedia.max_age
    cutoff = window.calendar_cutoff(as_of)
    newest = (
        observation.newest_time.replace(tzinfo=UTC).astimezone(LOCAL_TZ)
        if observation.newest_time
        else None
    )
    newest_day = newest.date() if newest else None
    daily = preset.newmedia.daily if account.daily is None else account.daily
    if observation.error is not None:
        kind: str | None = ACCOUNT_UNREACHABLE
    elif newest_day is None or newest_day < cutoff:
        kind = ACCOUNT_SILENT
    elif daily and newest_day < calendar.subtract_workdays(as_of, 1):
        kind = ACCOUNT_NOT_DAILY
    else:
        kind = None
    state = {
        ACCOUNT_UNREACHABLE: "unreachable",
        ACCOUNT_SILENT: "silent",
        ACCOUNT_NOT_DAILY: "not_daily",
        None: "ok",
    }[kind]
    if kind is None:
        return AccountVerdict(account, observation, state, None)
    return AccountVerdict(
        account,
        observation,
        state,
        AccountFinding(
            kind=kind,
            site=account.site,
            account=account.id,
            name=account.name,
            platform=account.platform,
            owner=account.owner,
            newest_post=newest,
            newest_title=observation.newest_title,
            newest_url=observation.newest_url,
            days_silent=(as_of - newest_day).days if newest_day else None,
            max_age_days=(as_of - cutoff).days,
            source_url=account.source_url,
            error=observation.error,
        ),
    )


def _normal(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, "")
    )
