"""The report's tables for the 台账: one header and rows each, exported as CSV and XLSX."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

from openpyxl import Workbook

from reports.urltext import readable_url
from reports.views import ReportView

Cell = str | int | float | None


@dataclass(frozen=True)
class Table:
    name: str  # file name without extension
    title: str  # sheet title
    header: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


def report_tables(view: ReportView, t: dict[str, str]) -> list[Table]:
    columns = Table(
        "columns",
        t["columns"],
        (
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
        ),
        tuple(
            (
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
            )
            for r in view.columns
        ),
    )
    links = Table(
        "links",
        t["links"],
        (
            t["site"],
            t["url"],
            t["outcome"],
            t["why"],
            t["certainty"],
            t["scope"],
            t["on_homepage"],
            t["found_on"],
            t["tag"],
            t["new_link"],
            t["first_seen"],
            t["last_seen"],
            t["consecutive"],
        ),
        tuple(
            (
                r.site_name,
                r.url,
                r.outcome,
                r.why,
                t[r.certainty],
                t["internal" if r.internal else "external"],
                t["homepage_yes" if r.on_homepage else "homepage_no"],
                f"{readable_url(o.page)} ({o.text})",
                o.tag,
                t["yes" if r.new else "no"],
                r.first_seen,
                r.last_seen,
                r.consecutive,
            )
            for r in view.links
            for o in r.occurrences
        ),
    )
    by_page = Table(
        "links-by-page",
        t["links_by_page"],
        (
            t["site"],
            t["page"],
            t["is_homepage"],
            t["url"],
            t["outcome"],
            t["why"],
            t["certainty"],
            t["scope"],
            t["tag"],
            t["anchor_text"],
            t["new_link"],
            t["first_seen"],
            t["last_seen"],
            t["consecutive"],
        ),
        tuple(
            (
                p.site_name,
                readable_url(p.page),
                t["yes" if p.homepage else "no"],
                e.link.url,
                e.link.outcome,
                e.link.why,
                t[e.link.certainty],
                t["internal" if e.link.internal else "external"],
                e.tag,
                e.text,
                t["yes" if e.link.new else "no"],
                e.link.first_seen,
                e.link.last_seen,
                e.link.consecutive,
            )
            for p in view.link_pages
            for e in p.links
        ),
    )
    accounts = Table(
        "newmedia",
        t["newmedia"],
        (
            t["account"],
            t["platform"],
            t["owner"],
            t["belongs_to"],
            t["state"],
            t["newest_post"],
            t["newest"],
            t["days_silent"],
            t["source"],
            t["outcome"],
        ),
        tuple(
            (
                r.name,
                r.platform,
                r.owner,
                r.site,
                r.state_label,
                r.newest_post,
                r.newest_title,
                r.days_silent,
                r.source_url,
                r.error,
            )
            for r in view.accounts
        ),
    )
    fixes = Table(
        "fixed-links",
        t["fixed_links"],
        (t["site"], t["url"], t["fixed_at"], t["was"], t["fix_how"]),
        tuple((f.site_name, f.url, f.fixed_at, f.was, f.how) for f in view.fixes),
    )
    return [columns, links, by_page, fixes, accounts]


def to_csv(table: Table) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.header)
    writer.writerows([[_safe(cell) for cell in row] for row in table.rows])
    return buffer.getvalue().encode("utf-8-sig")  # Excel opens UTF-8 with a BOM correctly


def to_xlsx(table: Table) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = table.title[:31]
    sheet.append(list(table.header))
    for row in table.rows:
        sheet.append([_safe(_xml_text(cell)) for cell in row])
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _safe(cell: Cell) -> Cell:
    """Crawled text must never become a spreadsheet formula (a tab or carriage return first
    is how one hides behind it)."""
    if isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + cell
    return "" if cell is None else cell


# Control characters XML 1.0 forbids: a page's anchor text can carry them (lxml keeps them),
# and one of them must not stop the XLSX export.
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xml_text(cell: Cell) -> Cell:
    return _NOT_XML.sub("", cell) if isinstance(cell, str) else cell
