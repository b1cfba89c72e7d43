"""Clean HEAD answers are settled by the small client; everything else by the crawl, in full."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.conftest import fast_with, govwatch
from tests.httpkit import Route, RouteServer
from tests.test_operations import html
from tests.test_stuck import _max_in_flight

PDF = {"Content-Type": "application/pdf"}
ERROR_PAGE = "<html><head><title>页面不存在</title></head><body>您访问的页面不存在</body></html>"


def _site() -> dict[str, Route]:
    files = {f"/files/ok{n}.pdf": Route(200, b"%PDF-1.4", PDF, delay=0.05) for n in range(12)}
    odd = {
        "/files/gone.pdf": Route(404, b"", PDF),
        "/files/moved.pdf": Route(301, b"", {"Location": "/files/ok0.pdf"}),
        "/files/busy.pdf": Route(503, b"", PDF, times=1, then=Route(200, b"%PDF-1.4", PDF)),
        "/files/nohead.pdf": Route(200, b"%PDF-1.4", PDF, head_status=405),
        # A file answered by the site's "页面不存在" page with 200: a soft-404, asked by GET.
        "/files/missing.pdf": Route(200, ERROR_PAGE.encode(), {}),
    }
    links = "".join(f"<a href='{path}'>附件{n}</a>" for n, path in enumerate([*files, *odd]))
    return {"/": Route(200, html(links)), **files, **odd}


def _outcomes(db: Path) -> dict[str, tuple[object, ...]]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "select url, method, status, error, final_url, redirects from link_checks"
        ).fetchall()
    return {row[0].split("/", 3)[3]: row[1:] for row in rows}  # by path


Asked = tuple[list[tuple[str, str]], list[tuple[str, float, float]]]  # requests, their spans


def _crawl(tmp_path: Path, name: str, quick: bool) -> tuple[dict[str, tuple[str, ...]], Asked]:
    settings = fast_with(
        GOVWATCH_QUICK_CHECKS=quick,
        GOVWATCH_WORKERS=1,
        CONCURRENT_REQUESTS_PER_DOMAIN=2,
        AUTOTHROTTLE_ENABLED=False,
    )
    with RouteServer(_site()) as server:
        config = tmp_path / f"{name}.yaml"
        config.write_text(
            f"sites:\n  - id: q\n    name: 附件站\n    home: {server.url}\n", encoding="utf-8"
        )
        db = tmp_path / f"{name}.db"
        govwatch("crawl", "-c", str(config), "--db", f"sqlite:///{db}", *settings)
        outcomes = {
            path: tuple(str(v).replace(server.url, "/") for v in outcome)
            for path, outcome in _outcomes(db).items()
        }
        return outcomes, (list(server.requests), list(server.spans))


def test_quick_checks_settle_only_clean_answers_and_change_no_outcome(tmp_path: Path) -> None:
    quick, asked_quick = _crawl(tmp_path, "quick", quick=True)
    full, asked_full = _crawl(tmp_path, "full", quick=False)
    # Every link's outcome is what the crawl alone decides: status, error, redirect chain (the
    # method may differ for the flaky file: its one 503 went to the quick HEAD, not the crawl's).
    assert {k: v[1:] for k, v in quick.items()} == {k: v[1:] for k, v in full.items()}
    assert quick["files/gone.pdf"][1] == "404"
    assert quick["files/moved.pdf"][1] == "200" and "files/moved.pdf" in quick["files/moved.pdf"][4]
    assert quick["files/busy.pdf"][1] == "200"  # retried by the crawl, with its backoff
    assert quick["files/nohead.pdf"][:2] == ("GET", "200")
    assert quick["files/missing.pdf"][2] == "soft_404"

    def methods(asked: Asked, path: str) -> list[str]:
        return [method for method, p in asked[0] if p == path]

    # A clean answer is asked once. An answer that would send the crawl's HEAD to a GET goes to
    # that GET at once (no more requests than without quick checks); any other is handed back
    # and asked again in full (the crawl follows the redirect).
    assert all(methods(asked_quick, f"/files/ok{n}.pdf") == ["HEAD"] for n in range(1, 12))
    assert methods(asked_quick, "/files/gone.pdf") == methods(asked_full, "/files/gone.pdf")
    assert methods(asked_quick, "/files/gone.pdf") == ["HEAD", "GET"]
    assert methods(asked_quick, "/files/moved.pdf") == ["HEAD", "HEAD"]
    assert methods(asked_full, "/files/moved.pdf") == ["HEAD"]
    # The small client and the crawl together keep to the server's two connections.
    most, _ = _max_in_flight(asked_quick[1], set())
    assert most <= 2
