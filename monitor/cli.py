"""The ``govwatch`` command. It composes config, store, rules and reports; it holds no logic."""

from __future__ import annotations

import json
import signal
import sys
from collections.abc import Callable
from datetime import date
from http.client import HTTPException
from pathlib import Path
from typing import Any, TypeVar

import click

from monitor import __version__, database, store, warmstart
from monitor.accounts import accounts_yaml, suggest
from monitor.assessments import assess, assess_accounts, today_local
from monitor.config import DEFAULT_PRESET, Config, load_config, load_preset
from monitor.console import RunProgress
from monitor.database import DatabaseError
from monitor.fetch import read_page
from monitor.findings import finding_to_json
from monitor.inspect import inspect_page
from monitor.locks import describe_holder
from monitor.logs import setup_logging
from monitor.probes import probe_sites
from monitor.runner import RunOutcome, RunRequest, crawl_requests, run_site, run_sites
from monitor.scans import scan_findings
from monitor.status import build_status
from monitor.yamlsource import ConfigError
from reports.text import (
    accounts_as_text,
    columns_tree,
    columns_tree_text,
    findings_as_text,
    inspect_text,
    scan_summary_json,
    scan_summary_text,
    status_as_text,
)

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def config_option(function: F) -> F:
    return click.option(
        "-c",
        "--config",
        "config_path",
        required=True,
        type=click.Path(path_type=Path),
        help="The operator config (YAML).",
    )(function)


def db_option(function: F) -> F:
    return click.option(
        "--db",
        "db_url",
        metavar="URL",
        default=None,
        help="SQLAlchemy database URL (default: $GOVWATCH_DB, else govwatch.db "
        "beside the config file).",
    )(function)


def as_of_option(function: F) -> F:
    return click.option(
        "--as-of",
        "as_of",
        type=click.DateTime(["%Y-%m-%d"]),
        default=None,
        help="Judge at this date (YYYY-MM-DD; default: today in Asia/Shanghai).",
    )(function)


def format_option(function: F) -> F:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(["text", "json"]),
        default="text",
        show_default=True,
        help="Plain text for people, JSON for programs.",
    )(function)


def _load(config_path: Path) -> Config:
    try:
        return load_config(config_path)
    except ConfigError as exc:
        raise click.ClickException("配置有误 / config error:\n" + str(exc)) from None


def _db_url(option: str | None, config: Config) -> str:
    return database.resolve_db_url(option, config.default_db_url())


def _as_of(value: Any) -> date:
    return value.date() if value is not None else today_local()


def _engine(url: str, writable: bool = False) -> Any:
    try:
        engine = database.open_database(url)
        if writable:
            database.check_writable(engine, url)
        return engine
    except DatabaseError as exc:
        raise click.ClickException(str(exc)) from None


@click.group(context_settings=CONTEXT)
@click.version_option(__version__, "-V", "--version", prog_name="govwatch")
def main() -> None:
    """govwatch: watch government websites for stale columns, empty columns and dead links.

    Example: govwatch crawl -c config/sites.yaml && govwatch report -c config/sites.yaml --out out/
    """


@main.command("check-config", context_settings=CONTEXT)
@config_option
def check_config(config_path: Path) -> None:
    """Validate a config file and its rule preset; every problem names file, line and field.

    Example: govwatch check-config -c config/sites.yaml
    """
    config = _load(config_path)
    columns = sum(len(site.columns) for site in config.sites)
    click.echo(
        f"配置正确 / config OK: {config_path}: {len(config.sites)} 个站点, {columns} 个栏目, "
        f"规则 {config.rule_preset.name}"
    )


def settings_option(function: F) -> F:
    return click.option(
        "-s",
        "--set",
        "settings",
        multiple=True,
        metavar="NAME=VALUE",
        callback=_check_settings,
        help="A Scrapy or GOVWATCH_* setting for this run (repeatable).",
    )(function)


def wait_option(function: F) -> F:
    return click.option(
        "--wait",
        type=float,
        default=0.0,
        show_default=True,
        metavar="SECONDS",
        help="If the site is locked by another run, wait this long for it.",
    )(function)


def _check_settings(
    ctx: click.Context, param: click.Parameter, value: tuple[str, ...]
) -> tuple[str, ...]:
    for setting in value:
        if "=" not in setting:
            raise click.BadParameter(f"expected NAME=VALUE, got {setting!r}")
    return value


def _command_line() -> str:
    return " ".join(["govwatch", *sys.argv[1:]])[:500]


@main.command(context_settings=CONTEXT)
@config_option
@click.option(
    "--site",
    "site_ids",
    multiple=True,
    metavar="ID",
    help="Crawl only this site (repeatable; default: every site and every account).",
)
@click.option(
    "--account",
    "account_ids",
    multiple=True,
    metavar="ID",
    help="Fetch only this new-media account (repeatable).",
)
@db_option
@settings_option
@wait_option
@click.option(
    "--parallel", default=2, show_default=True, help="Sites crawled at once, one process each."
)
@click.option("-v", "--verbose", is_flag=True, help="Show the crawler's INFO log.")
def crawl(
    config_path: Path,
    site_ids: tuple[str, ...],
    account_ids: tuple[str, ...],
    db_url: str | None,
    settings: tuple[str, ...],
    wait: float,
    parallel: int,
    verbose: bool,
) -> None:
    """Crawl sites now (homepage, columns, every reachable page and every link) and fetch the
    new-media accounts.

    Exits 1 when a crawl did not complete, 2 when a site is locked by another run.

    Example: govwatch crawl -c config/sites.yaml --site longnan
    """
    config = _load(config_path)
    try:
        requests = crawl_requests(config, site_ids, account_ids, _command_line())
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    if verbose:
        settings = ("LOG_LEVEL=INFO", *settings)
    url = _db_url(db_url, config)
    _engine(url, writable=True).dispose()
    with RunProgress() as progress:
        outcomes = run_sites(
            config_path,
            requests,
            url,
            settings,
            parallel,
            wait,
            config.schedule.crawl_time_limit.total_seconds(),
            progress.update,
            on_done=_print_outcome,
        )
    if any(o.locked_by for o in outcomes):
        sys.exit(2)
    if any(o.run is None or o.run.status != "complete" for o in outcomes):
        sys.exit(1)


@main.command(context_settings=CONTEXT)
@config_option
@click.option("--site", "site_id", required=True, metavar="ID", help="The site to scan.")
@click.option(
    "--column",
    "columns",
    multiple=True,
    metavar="NAME",
    help="Only this column's list pages and links (repeatable).",
)
@click.option("--url", "url", metavar="URL", help="Only this page and its links.")
@click.option(
    "--recheck-dead", is_flag=True, help="Only re-check the links now reported dead or suspected."
)
@db_option
@settings_option
@wait_option
@format_option
def scan(
    config_path: Path,
    site_id: str,
    columns: tuple[str, ...],
    url: str | None,
    recheck_dead: bool,
    db_url: str | None,
    settings: tuple[str, ...],
    wait: float,
    fmt: str,
) -> None:
    """Scan one site now and answer "is it fixed?": the whole site, some columns, one page,
    or only the links currently dead.

    Exits 0 when the scan finds nothing, 1 when it finds problems, 2 on an error (such as the
    site being locked by another run).

    Example: govwatch scan -c config/sites.yaml --site longnan --recheck-dead
    """
    config = _load(config_path)
    site = _sites(config, (site_id,))[0]
    if sum(bool(x) for x in (columns, url, recheck_dead)) > 1:
        raise click.UsageError("choose one of --column, --url and --recheck-dead")
    known = {c.name for c in config.site(site).columns}
    if columns:  # and those the last full crawl discovered
        with database.session_scope(_engine(_db_url(db_url, config))) as session:
            known |= {o.column_name for o in store.discovered_columns(session, site)}
    for name in columns:
        if name not in known:
            raise click.BadParameter(
                f"no column {name!r} in site {site}; columns: {', '.join(sorted(known)) or 'none'}",
                param_hint="--column",
            )
    kind = "recheck" if recheck_dead else "scan"
    request = RunRequest(site, kind, columns, url, _command_line())
    db = _db_url(db_url, config)
    _engine(db, writable=True).dispose()
    with RunProgress() as progress:
        outcome = run_site(
            config_path,
            request,
            db,
            settings,
            wait,
            config.schedule.crawl_time_limit.total_seconds(),
            progress.update,
        )
    if outcome.locked_by is not None:
        click.echo(f"错误 / error: {describe_holder(outcome.locked_by)}", err=True)
        sys.exit(2)
    if outcome.run is None or outcome.run.status != "complete":
        _print_outcome(outcome)
        sys.exit(2)
    assessment = assess(_engine(db), config, today_local(), [site])[0]
    found = scan_findings(assessment, request)
    fixed = [f for f in assessment.fixes if f.run_id == outcome.run.id]
    if fmt == "json":
        click.echo(
            json.dumps(scan_summary_json(outcome.run, found, fixed), ensure_ascii=False, indent=2)
        )
    else:
        click.echo(scan_summary_text(outcome.run, found, fixed, outcome.seconds))
    sys.exit(1 if found else 0)


def _sites(config: Config, site_ids: tuple[str, ...]) -> list[str]:
    try:
        return [config.site(s).id for s in site_ids] or [s.id for s in config.sites]
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _print_outcome(outcome: RunOutcome) -> None:
    if outcome.locked_by is not None:
        click.echo(
            f"{outcome.site_id}: 已锁定 / locked: {describe_holder(outcome.locked_by)}", err=True
        )
        return
    run = outcome.run
    if run is None:
        click.echo(f"{outcome.site_id}: 采集失败 / run failed (exit {outcome.exit_code})", err=True)
        return
    state = {"complete": "完成", "incomplete": "未完成"}.get(run.status, run.status)
    reason = f" ({run.finish_reason})" if run.status != "complete" else ""
    click.echo(
        f"{outcome.site_id}: {state} / {run.status}{reason} — run {run.id}, "
        f"{run.pages} pages, {run.links} links checked, {outcome.seconds:.1f} s"
    )


@main.command(context_settings=CONTEXT)
@config_option
@db_option
@format_option
def status(config_path: Path, db_url: str | None, fmt: str) -> None:
    """Show each site's last runs, the next scheduled jobs, held locks and the database size.

    Example: govwatch status -c config/sites.yaml --format json
    """
    config = _load(config_path)
    url = _db_url(db_url, config)
    data = build_status(_engine(url), config, url)
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(status_as_text(data))


@main.command(context_settings=CONTEXT)
@config_option
@db_option
@click.option(
    "--log-file",
    type=click.Path(path_type=Path),
    default=None,
    help="Rotating log file (default: logs/govwatch.log beside the config file).",
)
@click.option(
    "--now",
    "run_now",
    is_flag=True,
    help="Also start every site's crawl now, not only at the scheduled time.",
)
def schedule(config_path: Path, db_url: str | None, log_file: Path | None, run_now: bool) -> None:
    """Run the scheduler in the foreground: nightly crawls, freshness passes, availability
    probes, reports and notifications, as the config's `schedule:` block says. Stops cleanly
    on SIGTERM or Ctrl-C; SIGHUP re-reads the config.

    Example: govwatch schedule -c config/sites.yaml
    """
    config = _load(config_path)
    url = _db_url(db_url, config)
    _engine(url, writable=True).dispose()
    setup_logging(log_file or config.path.resolve().parent / "logs" / "govwatch.log")
    from monitor.scheduler import serve  # noqa: PLC0415 - APScheduler only for this command

    sys.exit(serve(config_path, url, run_now))


@main.command(context_settings=CONTEXT)
@config_option
@click.option("--site", "site_ids", multiple=True, metavar="ID", help="Only this site.")
@db_option
def probe(config_path: Path, site_ids: tuple[str, ...], db_url: str | None) -> None:
    """Probe homepages now, once (the scheduler does this every probe_interval).

    Example: govwatch probe -c config/sites.yaml
    """
    config = _load(config_path)
    chosen = _sites(config, site_ids)
    for result in probe_sites(_engine(_db_url(db_url, config), writable=True), config, chosen):
        outcome = "失败 / failed" if result.failed else "正常 / ok"
        click.echo(
            f"{result.site_id}: {outcome} — {result.status or result.error}, "
            f"{result.latency_ms:.0f} ms"
        )


@main.command(context_settings=CONTEXT)
@config_option
@db_option
@as_of_option
@click.option("--site", "site_ids", multiple=True, metavar="ID", help="Only this site.")
@format_option
def findings(
    config_path: Path, db_url: str | None, as_of: Any, site_ids: tuple[str, ...], fmt: str
) -> None:
    """Print the findings at an as-of date: each site's latest complete crawl (with the scans
    after it) and each new-media account's latest fetch.

    Example: govwatch findings -c config/sites.yaml --as-of 2024-07-20 --format json
    """
    config = _load(config_path)
    engine = _engine(_db_url(db_url, config))
    day = _as_of(as_of)
    assessments = assess(engine, config, day, list(site_ids) or None)
    accounts = [
        v
        for v in assess_accounts(engine, config, day)
        if not site_ids or v.account.site in site_ids
    ]
    all_findings = [f for a in assessments for f in a.findings] + [
        v.finding for v in accounts if v.finding is not None
    ]
    if fmt == "json":
        click.echo(
            json.dumps([finding_to_json(f) for f in all_findings], ensure_ascii=False, indent=2)
        )
        return
    click.echo(findings_as_text(assessments))
    if accounts:
        click.echo(accounts_as_text(accounts))


@main.command(context_settings=CONTEXT)
@config_option
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(path_type=Path),
    help="Folder to write the reports into.",
)
@db_option
@as_of_option
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
def report(config_path: Path, out_dir: Path, db_url: str | None, as_of: Any, lang: str) -> None:
    """Write the HTML reports (overview, columns, dead links) and CSV exports.

    Example: govwatch report -c config/sites.yaml --out reports/
    """
    config = _load(config_path)
    engine = _engine(_db_url(db_url, config))
    assessments = assess(engine, config, _as_of(as_of))
    accounts = assess_accounts(engine, config, _as_of(as_of))
    from reports.render import write_reports  # noqa: PLC0415 - Jinja2 and openpyxl only here

    written = write_reports(
        assessments, config.rule_preset, out_dir, lang=lang, accounts=accounts, as_of=_as_of(as_of)
    )
    click.echo(f"报告已生成 / reports written: {written[0].resolve().as_uri()}")
    for path in written[1:]:
        click.echo(f"  {path}")


@main.command(context_settings=CONTEXT)
@config_option
@click.option("--site", "site_id", required=True, metavar="ID", help="The site.")
@db_option
@as_of_option
@format_option
def columns(config_path: Path, site_id: str, db_url: str | None, as_of: Any, fmt: str) -> None:
    """Print the site's column tree: each column's name, URL, category and why it got it,
    newest date and its source, item count and state.

    Example: govwatch columns -c config/sites.yaml --site longnan
    """
    config = _load(config_path)
    site = _sites(config, (site_id,))[0]
    assessment = assess(_engine(_db_url(db_url, config)), config, _as_of(as_of), [site])[0]
    labels = {name: rule.label for name, rule in config.rule_preset.categories.items()}
    rows = columns_tree(assessment, labels)
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        click.echo(columns_tree_text(rows))


@main.command(context_settings=CONTEXT)
@click.argument("source", metavar="URL|FILE")
@click.option("--url", "page_url", metavar="URL", help="The address of a saved FILE.")
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Classify with this config's rule preset (default: national-2019).",
)
@format_option
def inspect(source: str, page_url: str | None, config_path: Path | None, fmt: str) -> None:
    """Show what govwatch reads from one page: its type, the main list's items with each date
    as found, its value and source, the newest date, detail metadata, navigation columns.

    Example: govwatch inspect https://www.example.gov.cn/zwdt/ --format json
    """
    preset = (
        _load(config_path).rule_preset
        if config_path
        else load_preset(DEFAULT_PRESET, Path.cwd() / "config")
    )
    try:
        html, url = read_page(source, page_url)
    except (OSError, ValueError, HTTPException) as exc:
        raise click.ClickException(f"cannot read {source}: {exc}") from None
    data = inspect_page(html, url, today_local(), preset)
    if fmt == "json":
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
    else:
        click.echo(inspect_text(data))


@main.group(context_settings=CONTEXT)
def accounts() -> None:
    """New-media accounts (政务新媒体).

    Example: govwatch accounts suggest https://www.example.gov.cn/zwxmt/
    """


@accounts.command("suggest", context_settings=CONTEXT)
@click.argument("source", metavar="URL|FILE")
@click.option("--site", "site_id", metavar="ID", help="The site the accounts belong to.")
def accounts_suggest(source: str, site_id: str | None) -> None:
    """Read a site's 政务新媒体 matrix page (accounts by platform, QR codes with captions) into
    a suggested `accounts:` block to complete and paste into the config.

    Example: govwatch accounts suggest https://www.example.gov.cn/zwxmt/ --site longnan
    """
    try:
        found = suggest(source)
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"cannot read {source}: {exc}") from None
    click.echo(accounts_yaml(found, site_id), nl=False)


@main.group(context_settings=CONTEXT)
def db() -> None:
    """Database maintenance.

    Example: govwatch db upgrade --db sqlite:///govwatch.db
    """


@db.command("upgrade", context_settings=CONTEXT)
@click.option(
    "-c",
    "--config",
    "config_path",
    type=click.Path(path_type=Path),
    default=None,
    help="Use this config's default database.",
)
@db_option
def db_upgrade(config_path: Path | None, db_url: str | None) -> None:
    """Upgrade the database schema to this version of govwatch (keeps every row).

    Example: govwatch db upgrade --db sqlite:///govwatch.db
    """
    default = _load(config_path).default_db_url() if config_path else ""
    url = database.resolve_db_url(db_url, default)
    if not url:
        raise click.UsageError("give --db URL, -c FILE or set GOVWATCH_DB")
    try:
        before, after = database.upgrade(database.make_engine(url))
    except DatabaseError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"数据库已是最新 / schema at {after} (was {before or 'empty'})")


def _stop_as_interrupted(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM stops crawls and scans as Ctrl-C does


def run() -> None:
    """The console script: database errors end as one clear line, not a traceback."""
    if warmstart.wants_crawl_process(sys.argv[1:]):
        # Its crawl processes run in their own sessions: told to stop, it stops them (their
        # runs marked incomplete) and gives back the site locks, instead of leaving them.
        signal.signal(signal.SIGTERM, _stop_as_interrupted)
    try:
        main()
    except DatabaseError as exc:
        click.echo(f"错误 / error: {exc}", err=True)
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo(
            "已中断 / interrupted: running crawls were stopped and marked incomplete", err=True
        )
        sys.exit(130)


if __name__ == "__main__":
    run()
