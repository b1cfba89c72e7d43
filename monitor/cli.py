"""The ``govwatch`` command. It composes config, store, rules and reports; it holds no logic."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from monitor import __version__, database
from monitor.assessments import assess, today_local
from monitor.config import Config, load_config
from monitor.database import DatabaseError
from monitor.findings import finding_to_json
from monitor.runner import CrawlResult, run_crawls
from monitor.yamlsource import ConfigError
from reports.render import write_reports
from reports.text import findings_as_text

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


def _load(config_path: Path) -> Config:
    try:
        return load_config(config_path)
    except ConfigError as exc:
        raise click.ClickException("配置有误 / config error:\n" + str(exc)) from None


def _db_url(option: str | None, config: Config) -> str:
    return database.resolve_db_url(option, config.default_db_url())


def _as_of(value: Any) -> date:
    return value.date() if value is not None else today_local()


def _engine(url: str) -> Any:
    try:
        return database.open_database(url)
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


@main.command(context_settings=CONTEXT)
@config_option
@click.option(
    "--site",
    "site_ids",
    multiple=True,
    metavar="ID",
    help="Crawl only this site (repeatable; default: every site).",
)
@db_option
@click.option(
    "-s",
    "--set",
    "settings",
    multiple=True,
    metavar="NAME=VALUE",
    help="A Scrapy or GOVWATCH_* setting for this crawl (repeatable).",
)
@click.option(
    "--parallel", default=2, show_default=True, help="Sites crawled at once, one process each."
)
@click.option("-v", "--verbose", is_flag=True, help="Show the crawler's INFO log.")
def crawl(
    config_path: Path,
    site_ids: tuple[str, ...],
    db_url: str | None,
    settings: tuple[str, ...],
    parallel: int,
    verbose: bool,
) -> None:
    """Crawl sites now: homepage, columns, every reachable page and every link.

    Exits 1 when a crawl did not complete.

    Example: govwatch crawl -c config/sites.yaml --site longnan
    """
    config = _load(config_path)
    try:
        chosen = [config.site(s).id for s in site_ids] or [s.id for s in config.sites]
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    for setting in settings:
        if "=" not in setting:
            raise click.BadParameter(f"expected NAME=VALUE, got {setting!r}", param_hint="--set")
    if verbose:
        settings = ("LOG_LEVEL=INFO", *settings)
    url = _db_url(db_url, config)
    _engine(url).dispose()
    results = run_crawls(config_path, chosen, url, settings, parallel, on_done=_print_crawl)
    if any(r.run is None or r.run.status != "complete" for r in results):
        sys.exit(1)


def _print_crawl(result: CrawlResult) -> None:
    run = result.run
    if run is None:
        click.echo(f"{result.site_id}: 采集失败 / crawl failed (exit {result.exit_code})", err=True)
        return
    state = {"complete": "完成", "incomplete": "未完成"}.get(run.status, run.status)
    click.echo(
        f"{result.site_id}: {state} / {run.status} — run {run.id}, {run.pages} pages, "
        f"{run.links} links checked, {result.seconds:.1f} s"
    )


@main.command(context_settings=CONTEXT)
@config_option
@db_option
@as_of_option
@click.option("--site", "site_ids", multiple=True, metavar="ID", help="Only this site.")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "text"]), default="text", show_default=True
)
def findings(
    config_path: Path, db_url: str | None, as_of: Any, site_ids: tuple[str, ...], fmt: str
) -> None:
    """Print the findings at an as-of date, from each site's latest complete crawl.

    Example: govwatch findings -c config/sites.yaml --as-of 2024-07-20 --format json
    """
    config = _load(config_path)
    engine = _engine(_db_url(db_url, config))
    assessments = assess(engine, config, _as_of(as_of), list(site_ids) or None)
    all_findings = [f for a in assessments for f in a.findings]
    if fmt == "json":
        click.echo(
            json.dumps([finding_to_json(f) for f in all_findings], ensure_ascii=False, indent=2)
        )
        return
    click.echo(findings_as_text(assessments))


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
    written = write_reports(assessments, config.rule_preset, out_dir, lang=lang)
    click.echo(f"报告已生成 / reports written: {written[0].resolve().as_uri()}")
    for path in written[1:]:
        click.echo(f"  {path}")


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


if __name__ == "__main__":
    main()
