"""Which findings answer an ad hoc scan's question ("is it fixed?"), by the scan's scope."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from monitor.findings import ColumnFinding, DeadLinkFinding, Finding
from monitor.rules import SiteAssessment
from monitor.runner import RunRequest


def scan_findings(assessment: SiteAssessment, request: RunRequest) -> list[Finding]:
    """The findings within what the scan looked at: the named columns, the page and its
    links, the rechecked links, or (a full scan) the whole site."""
    found = list(assessment.findings)
    if request.kind == "recheck":
        return [f for f in found if isinstance(f, DeadLinkFinding)]
    if request.columns:
        return [f for f in found if isinstance(f, ColumnFinding) and f.column in request.columns]
    if request.url:
        page = _normal(request.url)
        return [
            f
            for f in found
            if (
                isinstance(f, DeadLinkFinding)
                and (page in {_normal(s) for s in f.sources} or _normal(f.url) == page)
            )
            or (isinstance(f, ColumnFinding) and _normal(f.url) == page)
        ]
    return found


def _normal(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(
        (parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, "")
    )
