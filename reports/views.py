"""View models: everything a report template shows, computed before the template sees it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import ClassVar
from urllib.parse import urlsplit, urlunsplit
from zoneinfo import ZoneInfo

from monitor.config import Preset
from monitor.findings import (
    DEAD_LINK,
    MISSING_ANCHOR,
    SITE_VETO,
    UNREAD_PAGE,
    ColumnFinding,
    DeadLinkFinding,
    SiteFinding,
)
from monitor.records import BLOCKED
from monitor.rules import AccountVerdict, ColumnVerdict, SiteAssessment
from reports.explain import explain
from reports.labels import (
    ACCOUNT_STATES,
    DATE_SOURCES,
    ERRORS,
    LABELS,
    PLATFORMS,
    RUN_NOTE,
    RUN_STATES,
    STATES,
    VERDICTS,
    reason_text,
    site_finding_text,
)
from reports.urltext import readable_url

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

# A server that blocked the checker on this many of a site's links is one row of the links
# page; with fewer, its links are ordinary rows (a one-off refusal is worth seeing as it is).
BLOCKED_HOST_MIN_LINKS = 3


@dataclass(frozen=True)
class SiteRow:
    id: str
    name: str
    owner: str
    home: str
    verdict: str
    verdict_label: str
    run_label: str
    run_note: str  # a newer run that was not used (incomplete or still running)
    pages: int
    links: int
    stale: int
    empty: int
    unreachable: int
    dead_definite: int
    dead_suspected: int
    dead_on_homepage: int
    homepage_newest: str
    availability: str  # "99.3% (140 次, 1 次失败)" over the window, or "—"
    vetoes: tuple[str, ...]
    warnings: tuple[str, ...]


@dataclass(frozen=True)
class ColumnRow:
    site_name: str
    column: str
    url: str
    category: str
    state: str
    state_label: str
    newest_date: str
    age_days: int | None
    max_age_days: int | None
    window: str
    newest_title: str
    newest_url: str
    date_text: str
    date_source: str
    item_count: int | None
    error: str
    reason: str = ""  # why the column has its category
    discovered: bool = False


@dataclass(frozen=True)
class Occurrence:
    page: str
    tag: str
    text: str
    homepage: bool = False  # the page is the site's homepage


@dataclass(frozen=True)
class LinkRow:
    site_name: str
    url: str
    outcome: str
    definite: bool
    internal: bool
    on_homepage: bool
    occurrences: tuple[Occurrence, ...]
    redirects: tuple[str, ...]
    new: bool = True
    consecutive: int = 1
    first_seen: str = ""
    last_seen: str = ""
    # A missing #anchor (the page is there, the place in it is not), a page too large to read.
    warning: bool = False
    error: str = ""  # the check's error class (blocked, timeout, soft_404…), "" for a status
    why: str = ""  # what the failure said, worded for the operator (reports.explain)
    template: bool = False  # in the site's page template (a footer's 友情链接): fixed once

    kind: ClassVar[str] = "link"  # which row of the links page the template draws

    @property
    def certainty(self) -> str:
        """definite, suspected or warning: the badge and the label key."""
        return "warning" if self.warning else "definite" if self.definite else "suspected"

    @property
    def pages(self) -> int:
        """How many pages carry the link (more than a few: a shared template's link)."""
        return len({o.page for o in self.occurrences})

    @property
    def usual_place(self) -> tuple[str, str]:
        """The tag and anchor text the link has on most of its pages."""
        if not self.occurrences:
            return "", ""
        return Counter((o.tag, o.text) for o in self.occurrences).most_common(1)[0][0]


@dataclass(frozen=True)
class BlockedHostRow:
    """A server that would not let the checker through (a firewall's challenge, a rate limit):
    its blocked links as one row of the links page. On a bad night one host gives a hundred
    such rows, which drown the few real dead links, and the operator cannot act on them one by
    one anyway: the action is on the host (check by hand, ask for the monitor to be let in)."""

    site_name: str
    server: str  # scheme://host[:port], the default port left out
    summary: str  # "该网站拦截或限流了检查：N 个链接未能核验（疑似）", in the report's language
    links: tuple[LinkRow, ...]  # in the links page's order

    kind: ClassVar[str] = "blocked_host"
    definite: ClassVar[bool] = False  # blocked says nothing of the page: never confirmed
    certainty: ClassVar[str] = "suspected"

    @property
    def count(self) -> int:
        return len(self.links)

    @property
    def on_homepage(self) -> bool:
        return any(link.on_homepage for link in self.links)

    @property
    def internal(self) -> bool:
        """The site's own server (its links are internal alike: internal goes by host)."""
        return any(link.internal for link in self.links)


@dataclass(frozen=True)
class PageLink:
    """One dead link as a page carries it: the page's tag and anchor text, the link's state."""

    link: LinkRow
    tag: str
    text: str


@dataclass(frozen=True)
class PageRow:
    """A page that carries dead links: what an operator opens in the CMS and fixes."""

    site_name: str
    page: str
    homepage: bool
    links: tuple[PageLink, ...]  # definite first

    @property
    def definite(self) -> int:
        return len({p.link.url for p in self.links if p.link.definite})

    @property
    def suspected(self) -> int:
        return len({p.link.url for p in self.links if p.link.certainty == "suspected"})


@dataclass(frozen=True)
class FixRow:
    site_name: str
    url: str
    fixed_at: str
    was: str
    how: str  # answers now, or taken off the pages that had it


@dataclass(frozen=True)
class AccountRow:
    name: str
    platform: str
    owner: str
    site: str
    state: str
    state_label: str
    newest_post: str
    newest_title: str
    newest_url: str
    days_silent: int | None
    max_age_days: int
    source_url: str
    error: str


@dataclass(frozen=True)
class ReportView:
    lang: str
    as_of: date
    generated: str
    sites: tuple[SiteRow, ...]
    columns: tuple[ColumnRow, ...]  # every configured column, problems first
    problem_columns: tuple[ColumnRow, ...]
    links: tuple[LinkRow, ...]  # one per dead link: the 台账 (CSV, XLSX) lists each
    accounts: tuple[AccountRow, ...] = ()
    fixes: tuple[FixRow, ...] = ()
    link_pages: tuple[PageRow, ...] = ()  # the dead links again, by the page they are on
    # The by-page view's rows: those pages, but a site's page template's links once, apart
    # (``template_links``), not on every page (on its homepage's row still).
    page_table: tuple[PageRow, ...] = ()
    template_links: tuple[LinkRow, ...] = ()
    # The links page's rows: the links, but a server's blocked links as one row.
    link_table: tuple[LinkRow | BlockedHostRow, ...] = ()

    @property
    def account_counts(self) -> dict[str, int]:
        counts = {"silent": 0, "not_daily": 0, "unreachable": 0, "ok": 0, "unchecked": 0}
        for row in self.accounts:
            counts[row.state] = counts.get(row.state, 0) + 1
        return counts

    @property
    def problem_accounts(self) -> tuple[AccountRow, ...]:
        return tuple(a for a in self.accounts if a.state not in ("ok", "unchecked"))

    @property
    def has_data(self) -> bool:
        """Anything crawled to report on: a site's complete crawl, or an account's fetch."""
        sites = any(site.verdict != "unknown" for site in self.sites)
        return sites or any(a.state != "unchecked" for a in self.accounts)


def build_view(
    assessments: list[SiteAssessment],
    preset: Preset,
    lang: str,
    generated_at: datetime,
    accounts: Sequence[AccountVerdict] = (),
    as_of: date | None = None,
) -> ReportView:
    if as_of is None:
        as_of = assessments[0].as_of if assessments else generated_at.astimezone(LOCAL_TZ).date()
    columns = [row for a in assessments for row in _column_rows(a, preset, lang)]
    order = {"unreachable": 0, "unreadable": 1, "stale": 2, "empty": 3}
    columns.sort(key=lambda row: order.get(row.state, 9))
    links: list[LinkRow] = []
    link_pages: list[PageRow] = []
    page_table: list[PageRow] = []
    for a in assessments:
        site_links = [_link_row(a, f, lang) for f in a.findings if isinstance(f, DeadLinkFinding)]
        links += site_links
        link_pages += _page_rows(a.site.name, site_links)
        page_table += _page_rows(a.site.name, site_links, template=False)
    links.sort(key=_link_order)
    # The order an operator works in: most definite dead links first, the homepage before
    # other pages with as many.
    for rows in (link_pages, page_table):
        rows.sort(key=lambda row: (-row.definite, not row.homepage, row.page, row.site_name))
    return ReportView(
        lang=lang,
        as_of=as_of,
        generated=generated_at.astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
        sites=tuple(_site_row(a, lang) for a in assessments),
        columns=tuple(columns),
        problem_columns=tuple(row for row in columns if row.state in order),
        links=tuple(links),
        link_pages=tuple(link_pages),
        page_table=tuple(page_table),
        template_links=tuple(link for link in links if link.template),
        link_table=_link_table(links, lang),
        fixes=tuple(
            FixRow(
                a.site.name,
                f.url,
                _local(f.fixed_at),
                # Its error first (in words): a fixed soft-404 or block page was a 200 all along.
                ERRORS[lang].get(f.was_error, f.was_error)
                if f.was_error
                else (f"HTTP {f.was_status}" if f.was_status else ""),
                LABELS[lang][
                    "fix_removed"
                    if f.removed
                    else "fix_pages_gone"
                    if f.pages_gone
                    else "fix_answers"
                ],
            )
            for a in assessments
            for f in a.fixes
        ),
        accounts=tuple(
            _account_row(v, assessments, preset, lang, as_of)
            for v in sorted(accounts, key=lambda v: ACCOUNT_ORDER.get(v.state, 9))
        ),
    )


ACCOUNT_ORDER = {"silent": 0, "unreachable": 1, "not_daily": 2, "ok": 3, "unchecked": 4}


def _account_row(
    v: AccountVerdict, assessments: list[SiteAssessment], preset: Preset, lang: str, as_of: date
) -> AccountRow:
    obs = v.observation
    newest = (
        obs.newest_time.replace(tzinfo=ZoneInfo("UTC")).astimezone(LOCAL_TZ)
        if obs and obs.newest_time
        else None
    )
    sites = {a.site.id: a.site.name for a in assessments}
    window = v.account.max_age or preset.newmedia.max_age
    return AccountRow(
        name=v.account.name,
        platform=PLATFORMS[lang].get(v.account.platform, v.account.platform),
        owner=v.account.owner or "",
        site=sites.get(v.account.site or "", v.account.site or ""),
        state=v.state,
        state_label=ACCOUNT_STATES[lang][v.state],
        newest_post=newest.strftime("%Y-%m-%d %H:%M") if newest else "—",
        newest_title=(obs.newest_title or "") if obs else "",
        newest_url=(obs.newest_url or "") if obs else "",
        days_silent=(as_of - newest.date()).days if newest else None,
        max_age_days=(as_of - window.calendar_cutoff(as_of)).days,
        source_url=v.account.source_url,
        error=(obs.error or "") if obs else "",
    )


def _site_row(a: SiteAssessment, lang: str) -> SiteRow:
    dead = [f for f in a.findings if isinstance(f, DeadLinkFinding) and f.kind == DEAD_LINK]
    site_findings = [f for f in a.findings if isinstance(f, SiteFinding)]
    run_label = "—"
    if a.run is not None:
        started = a.run.started_at.replace(tzinfo=ZoneInfo("UTC")).astimezone(LOCAL_TZ)
        run_label = f"#{a.run.id} {started:%Y-%m-%d %H:%M}"
    run_note = ""
    if a.latest_run is not None:
        state = RUN_STATES[lang].get(a.latest_run.status, a.latest_run.status)
        run_note = RUN_NOTE[lang].format(id=a.latest_run.id, state=state)
    homepage = a.homepage.newest_date.isoformat() if a.homepage and a.homepage.newest_date else "—"
    return SiteRow(
        id=a.site.id,
        name=a.site.name,
        owner=a.site.owner or "",
        home=a.site.home,
        verdict=a.verdict,
        verdict_label=VERDICTS[lang][a.verdict],
        run_label=run_label,
        run_note=run_note,
        pages=a.run.pages if a.run else 0,
        links=a.run.links if a.run else 0,
        stale=sum(1 for v in a.columns if v.state == "stale"),
        empty=sum(1 for v in a.columns if v.state == "empty"),
        unreachable=sum(1 for v in a.columns if v.state == "unreachable"),
        dead_definite=sum(1 for f in dead if f.definite),
        dead_suspected=sum(1 for f in dead if not f.definite),
        dead_on_homepage=sum(1 for f in dead if f.on_homepage),
        homepage_newest=homepage,
        availability=_availability(a, lang),
        vetoes=tuple(site_finding_text(f, lang) for f in site_findings if f.kind == SITE_VETO),
        warnings=tuple(site_finding_text(f, lang) for f in site_findings if f.kind != SITE_VETO),
    )


def _chain(f: DeadLinkFinding) -> tuple[str, ...]:
    """Where the link's redirects led, from the link to the answer's URL (the stored chain
    holds the URLs asked, not where the last one went)."""
    chain = list(f.redirects)
    if f.final_url and (not chain or chain[-1] != f.final_url):
        chain = [*(chain or [f.url]), f.final_url]
    return tuple(chain) if len(chain) > 1 else ()


def _availability(a: SiteAssessment, lang: str) -> str:
    if a.availability is None or not a.availability.probes:
        return "—"
    ok = 1 - a.availability.failure_rate
    if lang == "zh":
        return f"{ok:.1%}（{a.availability.probes} 次探测，{a.availability.failures} 次失败）"
    return f"{ok:.1%} ({a.availability.probes} probes, {a.availability.failures} failed)"


def _column_rows(a: SiteAssessment, preset: Preset, lang: str) -> list[ColumnRow]:
    by_column = {f.column: f for f in a.findings if isinstance(f, ColumnFinding)}
    return [_column_row(a, v, by_column.get(v.column.name), preset, lang) for v in a.columns]


def _column_row(
    a: SiteAssessment, v: ColumnVerdict, finding: ColumnFinding | None, preset: Preset, lang: str
) -> ColumnRow:
    obs = v.observation
    newest = obs.newest_date if obs else None
    return ColumnRow(
        site_name=a.site.name,
        column=v.column.name,
        url=v.column.url,
        category=preset.categories[v.column.category].label if lang == "zh" else v.column.category,
        state=v.state,
        state_label=STATES[lang][v.state],
        newest_date=newest.isoformat() if newest else "—",
        age_days=(a.as_of - newest).days if newest else None,
        max_age_days=(a.as_of - v.cutoff).days if v.cutoff else None,
        window=str(v.window) if v.window else "—",
        newest_title=(obs.newest_title or "") if obs else "",
        newest_url=(obs.newest_url or "") if obs else "",
        date_text=(obs.newest_date_text or "") if obs else "",
        date_source=DATE_SOURCES[lang].get(obs.newest_date_source or "", "") if obs else "",
        item_count=obs.item_count if obs else None,
        error=(finding.error or "") if finding else "",
        reason=reason_text(v.reason, lang),
        discovered=v.discovered,
    )


def outcome_text(f: DeadLinkFinding, lang: str) -> str:
    """What a dead link answered, in the report's words: its status, and what it really is."""
    named = ERRORS[lang].get(f.error, f.error) if f.error else None
    if f.error == "soft_404" and f.redirects and f.final_url:
        # sent elsewhere (home, the site's "/404.html"): it is there, not the page, that is
        # shown, and it need not say "页面不存在"
        named = ERRORS[lang]["soft_404_sent"].format(url=readable_url(f.final_url))
    if f.status is None:
        return named or ERRORS[lang]["error"]
    if named:  # a 200 that is a soft-404, a 403 that is a firewall's page…
        return f"HTTP {f.status}（{named}）" if lang == "zh" else f"HTTP {f.status} ({named})"
    return f"HTTP {f.status}"


# A dead link in the site's page template (a footer's 友情链接, a logo in the header) is on
# every page built from it: thousands of rows of the by-page view for one fix in the CMS's
# template. It is told by being on many pages (at least TEMPLATE_MIN_PAGES and TEMPLATE_SHARE
# of the pages the crawl read) as the same element: one tag and anchor text on nearly all
# (TEMPLATE_SAME) — a document cited from many articles is linked in their own words.
TEMPLATE_MIN_PAGES = 10
TEMPLATE_SHARE = 0.2
TEMPLATE_SAME = 0.8


def in_template(occurrences: Sequence[Occurrence], site_pages: int) -> bool:
    """Whether a link on these places of a site whose crawl read ``site_pages`` pages is its
    template's."""
    pages = len({o.page for o in occurrences})
    if pages < max(TEMPLATE_MIN_PAGES, TEMPLATE_SHARE * site_pages):
        return False
    _, same = Counter((o.tag, o.text) for o in occurrences).most_common(1)[0]
    return same >= TEMPLATE_SAME * len(occurrences)


def _link_row(a: SiteAssessment, f: DeadLinkFinding, lang: str) -> LinkRow:
    homes = {_page_key(a.site.home)} | ({_page_key(a.homepage.url)} if a.homepage else set())
    places = [Occurrence(o.page, o.tag, o.text, _page_key(o.page) in homes) for o in f.occurrences]
    return LinkRow(
        site_name=a.site.name,
        url=f.url,
        outcome=outcome_text(f, lang),
        definite=f.definite,
        internal=f.internal,
        on_homepage=f.on_homepage,
        # The homepage first: that is where a dead link costs most.
        occurrences=tuple(sorted(places, key=lambda o: not o.homepage)),
        redirects=_chain(f),
        new=f.new,
        consecutive=f.consecutive_failures,
        first_seen=_local(f.first_seen) if f.first_seen else "",
        last_seen=_local(f.last_seen) if f.last_seen else "",
        warning=f.kind in (MISSING_ANCHOR, UNREAD_PAGE),
        error=f.error or "",
        why=explain(f.error, f.error_detail, lang),
        template=bool(places) and in_template(places, a.run.pages if a.run else 0),
    )


def _link_order(row: LinkRow | BlockedHostRow) -> tuple[bool, bool, bool, str]:
    """The order an operator works in: definite first, then the homepage's, the site's own."""
    url = row.url if isinstance(row, LinkRow) else row.server
    return (not row.definite, not row.on_homepage, not row.internal, url)


def _link_table(links: Sequence[LinkRow], lang: str) -> tuple[LinkRow | BlockedHostRow, ...]:
    """The links page's rows: each link, but the blocked links of a site on a server that
    blocked at least ``BLOCKED_HOST_MIN_LINKS`` of them as one row, where it sorts among the
    suspected ones. Per site, as every row of the page is a site's."""
    keys = [_blocked_key(row) for row in links]
    counts = Counter(key for key in keys if key is not None)
    rows: list[LinkRow | BlockedHostRow] = []
    grouped: dict[tuple[str, str], list[LinkRow]] = {}
    for row, key in zip(links, keys, strict=True):
        if key is not None and counts[key] >= BLOCKED_HOST_MIN_LINKS:
            grouped.setdefault(key, []).append(row)
        else:
            rows.append(row)
    rows += [
        BlockedHostRow(site, server, LABELS[lang]["blocked_host"] % len(group), tuple(group))
        for (site, server), group in grouped.items()
    ]
    return tuple(sorted(rows, key=_link_order))


def _blocked_key(row: LinkRow) -> tuple[str, str] | None:
    """(site, server) of a suspected link its server would not let us check; None for any
    other link, or one whose server cannot be told from its URL."""
    if row.certainty != "suspected" or row.error != BLOCKED:
        return None
    server = server_of(row.url)
    return (row.site_name, server) if server else None


def server_of(url: str) -> str | None:
    """scheme://host[:port] of an http(s) URL, what a firewall or rate limit stands before:
    case-blind, without userinfo, the default port left out (http://a and http://a:80 are one
    server). None for anything else, or a port that is no number."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    try:
        port = parts.port
    except ValueError:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    default = 80 if scheme == "http" else 443
    return f"{scheme}://{host}" + (f":{port}" if port is not None and port != default else "")


def _page_rows(site_name: str, links: list[LinkRow], template: bool = True) -> list[PageRow]:
    """The site's dead links grouped by the page they are on (one entry per tag and text);
    without ``template``, its template's links are left to ``ReportView.template_links`` but
    on the homepage."""
    by_page: dict[str, list[PageLink]] = {}
    homepage: dict[str, bool] = {}
    for link in links:
        for o in link.occurrences:
            if link.template and not template and not o.homepage:
                continue
            by_page.setdefault(o.page, []).append(PageLink(link, o.tag, o.text))
            homepage[o.page] = homepage.get(o.page, False) or o.homepage
    return [
        PageRow(
            site_name=site_name,
            page=page,
            homepage=homepage[page],
            links=tuple(sorted(entries, key=lambda p: (not p.link.definite, p.link.url))),
        )
        for page, entries in by_page.items()
    ]


def _page_key(url: str) -> str:
    """A page URL as monitor.rules compares it with the homepage (so a page marked 首页 here is
    one whose links the rules count as on the homepage): case-blind scheme and host, no
    fragment, an empty path as "/"."""
    parts = urlsplit(url)
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, "")
    )


def _local(moment: datetime) -> str:
    return moment.replace(tzinfo=ZoneInfo("UTC")).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
