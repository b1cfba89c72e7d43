"""Render view models into self-contained files (HTML with inline CSS, CSV), atomically."""

from __future__ import annotations

import csv
import io
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined

from monitor.config import Preset
from monitor.rules import SiteAssessment
from reports.labels import LABELS
from reports.views import ReportView, build_view

PAGES = (
    ("index.html", "overview.html"),
    ("columns.html", "columns.html"),
    ("links.html", "links.html"),
)


def environment(template_dir: Path | None = None) -> Environment:
    """The one Jinja environment: autoescape on, undefined names are errors; an operator's
    template folder (local branding) is searched before ours."""
    loaders = [FileSystemLoader(str(template_dir))] if template_dir else []
    return Environment(
        loader=ChoiceLoader([*loaders, PackageLoader("reports", "templates")]),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def write_reports(
    assessments: list[SiteAssessment],
    preset: Preset,
    out_dir: Path,
    lang: str = "zh",
    generated_at: datetime | None = None,
    template_dir: Path | None = None,
) -> list[Path]:
    """Write index.html (overview), columns.html, links.html, columns.csv and links.csv."""
    view = build_view(assessments, preset, lang, generated_at or datetime.now(UTC))
    env = environment(template_dir)
    labels = LABELS[lang]
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for filename, template in PAGES:
        html = env.get_template(template).render(view=view, t=labels, page=filename)
        written.append(_write_atomic(out_dir / filename, html.encode("utf-8")))
    written.append(_write_atomic(out_dir / "columns.csv", _columns_csv(view, labels)))
    written.append(_write_atomic(out_dir / "links.csv", _links_csv(view, labels)))
    return written


def _columns_csv(view: ReportView, t: dict[str, str]) -> bytes:
    header = [
        t["site"],
        t["column"],
        t["category"],
        t["state"],
        t["newest_date"],
        t["age"],
        t["window"],
        t["newest"],
        t["url"],
        t["date_source"],
        t["item_count"],
    ]
    return _csv(
        header,
        [
            [
                r.site_name,
                r.column,
                r.category,
                r.state_label,
                r.newest_date,
                r.age_days,
                r.window,
                r.newest_title,
                r.url,
                r.date_source,
                r.item_count,
            ]
            for r in view.columns
        ],
    )


def _links_csv(view: ReportView, t: dict[str, str]) -> bytes:
    header = [
        t["site"],
        t["url"],
        t["outcome"],
        t["certainty"],
        t["scope"],
        t["on_homepage"],
        t["found_on"],
    ]
    rows: list[list[object]] = []
    for r in view.links:
        for o in r.occurrences or ():
            rows.append(
                [
                    r.site_name,
                    r.url,
                    r.outcome,
                    t["definite" if r.definite else "suspected"],
                    t["internal" if r.internal else "external"],
                    t["homepage_yes" if r.on_homepage else "homepage_no"],
                    f"{o.page} ({o.text})",
                ]
            )
    return _csv(header, rows)


def _csv(header: list[str], rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([[_csv_safe(cell) for cell in row] for row in rows])
    return buffer.getvalue().encode("utf-8-sig")  # Excel opens UTF-8 with a BOM correctly


def _csv_safe(cell: object) -> object:
    """Crawled text must not become a spreadsheet formula."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@"):
        return "'" + cell
    return "" if cell is None else cell


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
