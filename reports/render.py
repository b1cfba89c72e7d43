"""Render view models into self-contained files (HTML with inline CSS, CSV), atomically."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

from monitor.config import Preset
from monitor.rules import AccountVerdict, SiteAssessment
from reports.labels import ACCOUNT_STATES, LABELS
from reports.tables import report_tables, to_csv, to_xlsx
from reports.urltext import readable_url
from reports.views import build_view

PAGES = (
    ("index.html", "overview.html"),
    ("columns.html", "columns.html"),
    ("links.html", "links.html"),
    ("links-by-page.html", "links-by-page.html"),
    ("newmedia.html", "newmedia.html"),
)


def environment(template_dir: Path | None = None) -> Environment:
    """The one Jinja environment: autoescape on, undefined names are errors; an operator's
    template folder (local branding) is searched before ours."""
    loaders = [FileSystemLoader(str(template_dir))] if template_dir else []
    env = Environment(
        loader=ChoiceLoader([*loaders, PackageLoader("reports", "templates")]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["href"] = safe_href
    env.filters["readable"] = readable_url
    return env


def safe_href(url: str | None) -> str:
    """Only http(s) addresses become links; anything else a page wrote is neutralised."""
    text = (url or "").strip()
    return text if text.lower().startswith(("http://", "https://")) else "#"


def write_reports(
    assessments: list[SiteAssessment],
    preset: Preset,
    out_dir: Path,
    lang: str = "zh",
    generated_at: datetime | None = None,
    template_dir: Path | None = None,
    accounts: Sequence[AccountVerdict] = (),
    as_of: date | None = None,
) -> list[Path]:
    """Write index.html (overview), columns.html, links.html, links-by-page.html,
    newmedia.html, and each table as CSV and XLSX, judged at ``as_of`` (the assessments'
    date, if not given). Returns the written paths, the overview first."""
    view = build_view(assessments, preset, lang, generated_at or datetime.now(UTC), accounts, as_of)
    env = environment(template_dir)
    labels = LABELS[lang]
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, template in PAGES:
        html = env.get_template(template).render(
            view=view, t=labels, page=filename, states=ACCOUNT_STATES[lang]
        )
        written.append(_write_atomic(out_dir / filename, html.encode("utf-8")))
    for table in report_tables(view, labels):
        written.append(_write_atomic(out_dir / f"{table.name}.csv", to_csv(table)))
        written.append(_write_atomic(out_dir / f"{table.name}.xlsx", to_xlsx(table)))
    return written


def _write_atomic(path: Path, data: bytes) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
