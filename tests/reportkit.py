"""What the report tests build their SQLite file from: one county site and its link checks."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlalchemy import update

from monitor import store
from monitor.config import Config, load_config
from monitor.database import open_database, session_scope
from monitor.models import Run
from monitor.records import ColumnObservation, LinkCheck, LinkOccurrence

HOME = "http://x.gov.cn/index.html"
ZWDT = "http://x.gov.cn/zwdt/"


def county_config(tmp_path: Path) -> Config:
    """某县人民政府 at ``HOME``, with its news column ``ZWDT``."""
    path = tmp_path / "sites.yaml"
    path.write_text(
        f"sites:\n  - id: x\n    name: 某县人民政府\n    home: '{HOME}'\n    columns:\n"
        f"      - {{name: 政务动态, url: '{ZWDT}', category: news}}\n",
        encoding="utf-8",
    )
    return load_config(path)


def check(
    url: str, status: int | None, error: str | None = None, detail: str | None = None
) -> LinkCheck:
    """A GET of ``url`` that got ``status`` (or ``error``, saying ``detail``); internal on
    x.gov.cn."""
    return LinkCheck(
        url_key=url,
        url=url,
        internal=url.startswith("http://x.gov.cn/"),
        method="GET",
        status=status,
        error=error,
        error_detail=detail,
        final_url=url,
    )


def homepage_observation() -> ColumnObservation:
    """The homepage read on 2024-07-19, its newest item of that day."""
    return ColumnObservation(
        column_name="首页",
        url=HOME,
        is_homepage=True,
        status="ok",
        http_status=200,
        error=None,
        item_count=5,
        dated_count=5,
        pages_read=1,
        newest_date=date(2024, 7, 19),
        newest_title="标题",
        newest_url=f"{HOME}a.html",
        newest_date_text="[07-19]",
        newest_date_source="list",
        observed_at=datetime(2024, 7, 19, 18),
    )


def on(page: str, target: str, text: str, tag: str = "a") -> LinkOccurrence:
    """``target`` linked from ``page`` by ``tag`` with anchor text ``text``."""
    return LinkOccurrence(page, target, target, tag, "src" if tag == "img" else "href", text)


def store_crawl(
    db: str,
    started: datetime,
    checks: list[LinkCheck],
    occurrences: list[LinkOccurrence],
    pages: int = 5,
) -> None:
    """A complete crawl of the county site started at ``started`` (UTC) that read ``pages``
    pages, its homepage's observation and these link checks and occurrences."""
    engine = open_database(db)
    with session_scope(engine) as session:
        run = store.start_run(session, "x")
        store.save_observations(
            session, run, checks=checks, occurrences=occurrences, columns=[homepage_observation()]
        )
        store.finish_run(session, run, complete=True, reason="finished", pages=pages, links=20)
        session.execute(update(Run).where(Run.id == run).values(started_at=started))
