"""Operator config (YAML) → validated, typed objects. Errors name file, line, entry and field."""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from lxml.cssselect import CSSSelector, SelectorSyntaxError
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator

from monitor.durations import Window, format_interval, parse_interval, parse_window
from monitor.yamlsource import ConfigError, Location, YamlDocument, load_yaml

DEFAULT_PRESET = "national-2019"
BUNDLED_RULES_DIR = Path(__file__).resolve().parent.parent / "config" / "rules"
_SITE_ID = re.compile(r"^[a-z0-9_-]+$")
M = TypeVar("M", bound=BaseModel)


def _window(value: Any) -> Any:
    if isinstance(value, Window) or value is None:
        return value
    return parse_window(str(value))


def _http_url(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("expected an http:// or https:// URL")
    text = value.strip()
    try:
        parts = urlsplit(text)
        _ = parts.port  # raises ValueError on a bad port
    except ValueError as exc:
        raise ValueError(f"expected an http:// or https:// URL, got {value!r} ({exc})") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected an http:// or https:// URL with a host, got {value!r}")
    if any(ch.isspace() for ch in parts.netloc):
        raise ValueError(f"the host part of {value!r} contains spaces")
    return text


def _interval(value: Any) -> Any:
    if isinstance(value, timedelta):
        return value
    return parse_interval(str(value))


def _cron(value: Any) -> str:
    text = str(value).strip()
    try:
        CronTrigger.from_crontab(text, timezone="Asia/Shanghai")
    except ValueError as exc:
        raise ValueError(
            f'expected a cron expression like "0 2 * * *" (minute hour day month weekday), '
            f"got {text!r}: {exc}"
        ) from exc
    return text


def _timezone(value: Any) -> str:
    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"expected a time zone such as Asia/Shanghai, got {value!r}") from exc
    return str(value)


WindowField = Annotated[Window, BeforeValidator(_window)]
IntervalField = Annotated[timedelta, BeforeValidator(_interval)]
CronField = Annotated[str, BeforeValidator(_cron)]
TimezoneField = Annotated[str, BeforeValidator(_timezone)]
HttpUrl = Annotated[str, BeforeValidator(_http_url)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, arbitrary_types_allowed=True)


class ColumnConfig(_Strict):
    name: str = Field(min_length=1)
    url: HttpUrl
    category: str = Field(min_length=1)
    max_age: WindowField | None = None


class SiteConfig(_Strict):
    id: str
    name: str = Field(min_length=1)
    owner: str | None = None
    home: HttpUrl
    max_pages: int = Field(default=50000, gt=0)
    columns: tuple[ColumnConfig, ...] = ()
    discover: bool | None = None  # find columns in navigation (default: when none configured)
    exclude: tuple[str, ...] = ()  # discovered columns to leave out, by name or URL
    max_columns: int = Field(default=300, gt=0)  # discovery bound

    @property
    def discovers(self) -> bool:
        return self.discover if self.discover is not None else not self.columns

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _SITE_ID.match(value):
            raise ValueError(f"expected lowercase letters, digits, '_' or '-', got {value!r}")
        return value


class ScheduleConfig(_Strict):
    """When the scheduler crawls, probes and writes reports (``govwatch schedule``)."""

    timezone: TimezoneField = "Asia/Shanghai"
    crawl: CronField | None = None  # full nightly crawl of every site
    crawl_spread: IntervalField = timedelta(0)  # site starts spread over this much time
    freshness: CronField | None = None  # homepage + column list pages only
    probe_interval: IntervalField | None = None  # homepage availability probes
    probe_timeout: IntervalField = timedelta(seconds=15)
    reports: Literal["after_crawl", "off"] = "after_crawl"
    reports_dir: Path = Path("reports")
    crawl_time_limit: IntervalField = timedelta(hours=6)

    @field_validator("probe_interval")
    @classmethod
    def _probe_bounds(cls, value: timedelta | None) -> timedelta | None:
        if value is not None and not timedelta(seconds=1) <= value <= timedelta(days=1):
            raise ValueError(f"expected between 1s and 1d, got {format_interval(value)}")
        return value

    @field_validator("probe_timeout", "crawl_time_limit")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("expected a positive duration")
        return value


class NotifyChannel(_Strict):
    """Where new and fixed findings are sent after each scheduled crawl."""

    name: str = Field(min_length=1)
    type: Literal["wecom", "dingtalk", "webhook", "email"]
    url: HttpUrl | None = None  # webhooks
    sites: tuple[str, ...] = ()  # only these sites (default: all)
    owners: tuple[str, ...] = ()  # only sites of these owners (主办单位)
    smtp: str | None = None  # email: host:port
    tls: Literal["ssl", "starttls", "none"] = "starttls"
    sender: str | None = Field(default=None, alias="from")
    to: tuple[str, ...] = ()
    username_env: str | None = None  # credentials come from the environment, never the YAML
    password_env: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def wants(self, subject_id: str, owner: str | None) -> bool:
        """Does this channel want messages about this site (or the accounts)?"""
        if self.sites and subject_id not in self.sites:
            return False
        return not self.owners or (owner or "") in self.owners


class PageSource(_Strict):
    """A public HTML page read with CSS selectors."""

    url: HttpUrl
    item: str = Field(min_length=1)  # one element per post
    date: str = Field(min_length=1)  # the date/time text inside an item
    title: str | None = None
    link: str | None = None  # its href

    @field_validator("item", "date", "title", "link")
    @classmethod
    def _selector(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                CSSSelector(value)
            except SelectorSyntaxError as exc:
                raise ValueError(f"expected a CSS selector, got {value!r}: {exc}") from exc
        return value


class AccountConfig(_Strict):
    """A government new-media account (政务新媒体), read from a feed or a public page."""

    id: str
    name: str = Field(min_length=1)
    platform: Literal[
        "wechat",
        "weibo",
        "douyin",
        "toutiao",
        "kuaishou",
        "bilibili",
        "app",
        "miniprogram",
        "other",
    ]
    owner: str | None = None
    site: str | None = None
    feed: HttpUrl | None = None
    page: PageSource | None = None
    max_age: WindowField | None = None
    daily: bool | None = None  # override the preset's every-working-day warning

    @field_validator("id")
    @classmethod
    def _check_id(cls, value: str) -> str:
        if not _SITE_ID.match(value):
            raise ValueError(f"expected lowercase letters, digits, '_' or '-', got {value!r}")
        return value

    @property
    def source_url(self) -> str:
        return self.feed or (self.page.url if self.page else "")


class NewMediaRules(_Strict):
    max_age: WindowField = Window(14, "d")  # 超过14天不更新 (veto)
    daily: bool = True  # post every working day (a local plan; a warning)


class CategoryRule(_Strict):
    label: str
    max_age: WindowField | None = None
    keywords: tuple[str, ...] = ()
    days: Literal["calendar", "workdays"] = "calendar"
    # A keyword of these that ends a name wins over a longer one inside it: 乡村振兴动态 is news
    # about 乡村振兴 (its last word says what the column is), not a 重点领域 column.
    keywords_at_end: tuple[str, ...] = ()


class VetoRules(_Strict):
    homepage_max_age: WindowField | None = None
    stale_columns: int | None = Field(default=None, gt=0)
    stale_categories: tuple[str, ...] = ()
    empty_columns: int | None = Field(default=None, gt=0)


class LinkRules(_Strict):
    definite_status: frozenset[int] = frozenset({404, 410})
    definite_status_internal: frozenset[int] = frozenset({403})
    definite_errors: frozenset[str] = frozenset({"dns", "malformed_url"})
    # Answers that say the page is there, behind a login (401 and its password prompt, as a
    # redirect to a login page is): never a dead link.
    reachable_status: frozenset[int] = frozenset({401})
    # A suspected link that fails in this many complete crawls in a row becomes definite...
    confirm_runs: int = Field(default=2, ge=1)
    # ...but not one the server would not let us check (429, a firewall's page, a ban): that
    # says nothing of the page, night after night.
    never_confirmed: frozenset[str] = frozenset({"blocked"})


class AvailabilityRules(_Strict):
    window: WindowField = Window(7, "d")
    veto_rate: float = Field(default=0.05, gt=0, le=1)
    warning_rate: float | None = Field(default=0.03, gt=0, le=1)


class WorkdayOverrides(_Strict):
    """Operator corrections to the working-day calendar (a new year's holidays, local days)."""

    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()


class Preset(_Strict):
    name: str
    title: str = ""
    categories: dict[str, CategoryRule]
    vetoes: VetoRules = VetoRules()
    warnings: VetoRules = VetoRules()
    links: LinkRules = LinkRules()
    availability: AvailabilityRules = AvailabilityRules()
    newmedia: NewMediaRules = NewMediaRules()
    workdays: WorkdayOverrides = WorkdayOverrides()


class Config(_Strict):
    sites: tuple[SiteConfig, ...] = ()
    accounts: tuple[AccountConfig, ...] = ()
    rules: str = DEFAULT_PRESET
    schedule: ScheduleConfig = ScheduleConfig()
    notify: tuple[NotifyChannel, ...] = ()
    path: Path = Path("govwatch.yaml")
    preset: Preset | None = None

    @property
    def rule_preset(self) -> Preset:
        assert self.preset is not None, "load_config() always sets the preset"
        return self.preset

    def site(self, site_id: str) -> SiteConfig:
        for site in self.sites:
            if site.id == site_id:
                return site
        known = ", ".join(s.id for s in self.sites) or "none"
        raise ConfigError([f"{self.path}: no site with id {site_id!r} (sites: {known})"])

    def account(self, account_id: str) -> AccountConfig:
        for account in self.accounts:
            if account.id == account_id:
                return account
        known = ", ".join(a.id for a in self.accounts) or "none"
        raise ConfigError([f"{self.path}: no account with id {account_id!r} (accounts: {known})"])

    def reports_dir(self) -> Path:
        """``schedule.reports_dir``, relative to the config file's folder."""
        folder = self.schedule.reports_dir
        return folder if folder.is_absolute() else self.path.resolve().parent / folder

    def default_db_url(self) -> str:
        """``--db`` or ``GOVWATCH_DB`` win; otherwise ``govwatch.db`` beside the config file."""
        return f"sqlite:///{self.path.resolve().parent / 'govwatch.db'}"


def load_config(path: str | os.PathLike[str]) -> Config:
    """Load and validate an operator config file and the rule preset it names."""
    config_path = Path(path)
    document = load_yaml(config_path)
    data = document.data if document.data is not None else {}
    if not isinstance(data, dict):
        raise ConfigError([f"{config_path}:1: expected a mapping with 'sites:' at the top level"])
    model = _validate(
        Config, {k: v for k, v in data.items() if k not in ("path", "preset")}, document
    )
    for reserved in ("path", "preset"):
        if reserved in data:
            raise ConfigError([_problem(document, (reserved,), f"unknown key {reserved!r}")])
    preset = load_preset(model.rules, config_path.parent, document)
    _check_sites(model, preset, document)
    _check_accounts(model, document)
    _check_notify(model, document)
    return model.model_copy(update={"path": config_path, "preset": preset})


def load_preset(name: str, config_dir: Path, config_doc: YamlDocument | None = None) -> Preset:
    """A preset by name (``config_dir/rules/NAME.yaml``, then the bundled ones) or by path."""
    candidates = (
        [config_dir / name]
        if name.endswith((".yaml", ".yml"))
        else [
            config_dir / "rules" / f"{name}.yaml",
            BUNDLED_RULES_DIR / f"{name}.yaml",
        ]
    )
    for candidate in candidates:
        if candidate.is_file():
            document = load_yaml(candidate)
            preset = _validate(Preset, document.data or {}, document)
            problems = [
                _problem(
                    document,
                    ("categories", cat, "max_age"),
                    f"'days: workdays' needs a window in days (Nd), got {rule.max_age}",
                )
                for cat, rule in preset.categories.items()
                if rule.days == "workdays" and rule.max_age and rule.max_age.unit != "d"
            ]
            problems += [
                _problem(document, ("vetoes", "stale_categories"), f"unknown category {cat!r}")
                for cat in preset.vetoes.stale_categories
                if cat not in preset.categories
            ]
            if problems:
                raise ConfigError(problems)
            return preset
    where = " or ".join(str(c) for c in candidates)
    message = f"rule preset {name!r} not found (looked for {where})"
    if config_doc is not None:
        raise ConfigError([_problem(config_doc, ("rules",), message)])
    raise ConfigError([message])


def _check_sites(config: Config, preset: Preset, document: YamlDocument) -> None:
    problems: list[str] = []
    first_seen: dict[str, int] = {}
    for index, site in enumerate(config.sites):
        if site.id in first_seen:
            line = document.line_of(("sites", first_seen[site.id]))
            problems.append(
                _problem(
                    document,
                    ("sites", index, "id"),
                    f"duplicate site id {site.id!r} (first used on line {line})",
                )
            )
        first_seen.setdefault(site.id, index)
        names: set[str] = set()
        for col_index, column in enumerate(site.columns):
            where: Location = ("sites", index, "columns", col_index)
            if column.category not in preset.categories:
                known = ", ".join(preset.categories)
                problems.append(
                    _problem(
                        document,
                        (*where, "category"),
                        f"unknown category {column.category!r}; expected one of: {known}"
                        f" (rule preset {preset.name})",
                    )
                )
            if column.name in names:
                problems.append(
                    _problem(
                        document,
                        (*where, "name"),
                        f"duplicate column name {column.name!r} in this site",
                    )
                )
            names.add(column.name)
    if problems:
        raise ConfigError(problems)


def _check_accounts(config: Config, document: YamlDocument) -> None:
    problems: list[str] = []
    first_seen: dict[str, Location] = {
        site.id: ("sites", index) for index, site in enumerate(config.sites)
    }
    for index, account in enumerate(config.accounts):
        where: Location = ("accounts", index)
        if account.id in first_seen:
            line = document.line_of(first_seen[account.id])
            problems.append(
                _problem(
                    document,
                    (*where, "id"),
                    f"duplicate id {account.id!r} (ids are unique across sites "
                    f"and accounts; first used on line {line})",
                )
            )
        first_seen.setdefault(account.id, where)
        if (account.feed is None) == (account.page is None):
            problems.append(
                _problem(
                    document,
                    where,
                    "expected exactly one of 'feed' (a feed URL) or 'page' "
                    "(url, item, date selectors)",
                )
            )
        if account.site is not None and account.site not in {s.id for s in config.sites}:
            problems.append(
                _problem(document, (*where, "site"), f"unknown site id {account.site!r}")
            )
    if problems:
        raise ConfigError(problems)


def _check_notify(config: Config, document: YamlDocument) -> None:
    problems: list[str] = []
    site_ids = {site.id for site in config.sites}
    names: set[str] = set()
    for index, channel in enumerate(config.notify):
        where: Location = ("notify", index)
        if channel.name in names:
            problems.append(
                _problem(document, (*where, "name"), f"duplicate channel name {channel.name!r}")
            )
        names.add(channel.name)
        if channel.type != "email" and not channel.url:
            problems.append(_problem(document, where, f"a {channel.type} channel needs 'url'"))
        if channel.type == "email":
            for needed in ("smtp", "to"):
                if not getattr(channel, needed):
                    problems.append(_problem(document, where, f"an email channel needs {needed!r}"))
            if not channel.sender:
                problems.append(_problem(document, where, "an email channel needs 'from'"))
            if channel.smtp and not re.match(r"^[\w.-]+:\d+$", channel.smtp):
                problems.append(
                    _problem(
                        document, (*where, "smtp"), f"expected host:port, got {channel.smtp!r}"
                    )
                )
        for site_id in channel.sites:
            if site_id not in site_ids:
                problems.append(
                    _problem(document, (*where, "sites"), f"unknown site id {site_id!r}")
                )
    if problems:
        raise ConfigError(problems)


def _validate(model: type[M], data: Any, document: YamlDocument) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            location = tuple(error["loc"])
            problems.append(_problem(document, location, _describe(error, model, location)))
        raise ConfigError(problems) from None


def _describe(error: Any, model: type[BaseModel], location: Location) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        owner = _model_at(model, location[:-1])
        known = ", ".join(owner.model_fields) if owner else ""
        return f"unknown key {location[-1]!r}; expected one of: {known}"
    if kind == "missing":
        return "missing required field"
    message = str(error["msg"])
    message = message.removeprefix("Value error, ")
    if kind not in ("value_error", "assertion_error") and "input" in error:
        message += f" (got {error['input']!r})"
    return message


def _model_at(model: type[BaseModel], location: Location) -> type[BaseModel] | None:
    current: Any = model
    for part in location:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return None
        field = current.model_fields.get(str(part))
        if field is None:
            return None
        current = _inner_model(field.annotation)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


def _inner_model(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()):
        inner = _inner_model(arg)
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            return inner
    return annotation


def _problem(document: YamlDocument, location: Location, message: str) -> str:
    line = document.line_of(location)
    return f"{document.path}:{line}: {_entry_name(document.data, location)}: {message}"


def _entry_name(data: Any, location: Location) -> str:
    """``sites[0] (longnan).columns[1] (政务动态).category``: the entry and the field."""
    parts: list[str] = []
    current = data
    for part in location:
        if isinstance(part, int):
            label = f"{parts.pop() if parts else ''}[{part}]"
            item = current[part] if isinstance(current, list) and part < len(current) else None
            if isinstance(item, dict):
                ident = item.get("id") or item.get("name")
                if isinstance(ident, str | int):
                    label += f" ({ident})"
            parts.append(label)
            current = item
        else:
            parts.append(str(part))
            current = current.get(part) if isinstance(current, dict) else None
    return ".".join(parts) or "(top level)"
