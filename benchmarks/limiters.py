"""Crawl a small site behind a server that limits us, two nights, and print how long each took.

    .venv/bin/python -m benchmarks.limiters --pages 400 --kinds req429,req403,conn403
    .venv/bin/python -m benchmarks.limiters --kinds req403 --forbidden 20

Government servers often sit behind nginx limits or a firewall's CC protection. A crawl must
finish its night there without a false dead link, and at about the rate the server allows, not
at the pace of its first refusals all night. The kinds (tests/httpkit.py's RouteServer):

- ``req429``: nginx ``limit_req`` (``--rate`` a second) answering 429 with ``Retry-After: 1``;
  refused requests do not use the rate up.
- ``req403``: the same limit answering 403 (``limit_req_status 403``, a CC firewall's way), and
  every request counts, refused ones too: asking over the limit keeps it refusing.
- ``conn403``: nginx ``limit_conn`` (2 requests in flight) answering 403.

The site: a homepage, ``pages // 20`` columns of 20 articles each, a PDF per article; every
answer takes 20 ms. With ``--forbidden N``, N of the PDFs (spread over the columns) are
forbidden files that answer 403 every time, as a limiter's refusals do: they must be found as
definite dead links, and nothing else, and the limiter's pace must not stall on them. Printed
for each kind and night: seconds, requests, refusals, the rate achieved against the limit, and
the findings (none but the forbidden files: every other URL works).
Everything is served on 127.0.0.1; nothing leaves the machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.httpkit import Route, RouteServer

ROOT = Path(__file__).resolve().parent.parent
LATENCY = 0.02  # seconds each answer takes


def _html(body: str) -> bytes:
    head = "<!DOCTYPE html><html><head><meta charset='utf-8'></head>"
    return f"{head}<body>{body}</body></html>".encode()


def site(pages: int, forbidden: int = 0) -> dict[str, Route]:
    routes: dict[str, Route] = {}
    columns = max(1, pages // 20)
    menu = "".join(f"<li><a href='/col{c}/'>栏目{c}</a></li>" for c in range(columns))
    routes["/"] = Route(200, _html(f"<ul>{menu}</ul>"))
    for c in range(columns):
        items = "".join(
            f"<li><a href='/col{c}/{i}.html'>关于第{c}栏目第{i}条信息的公告</a>"
            f"<span>2026-11-{1 + i % 20:02d}</span></li>"
            for i in range(20)
        )
        routes[f"/col{c}/"] = Route(200, _html(f"<ul>{items}</ul>"))
        for i in range(20):
            article = f"<h1>标题{i}</h1><p>发布时间：2026-11-{1 + i % 20:02d}</p>"
            routes[f"/col{c}/{i}.html"] = Route(
                200, _html(f"{article}<a href='/files/{c}_{i}.pdf'>附件</a>")
            )
            routes[f"/files/{c}_{i}.pdf"] = Route(
                200, b"%PDF-1.4", {"Content-Type": "application/pdf"}
            )
    files = sorted(path for path in routes if path.startswith("/files/"))
    for path in files[:: max(1, len(files) // forbidden)][:forbidden] if forbidden else ():
        routes[path] = Route(403, b"Forbidden", {"Content-Type": "text/plain"})
    for route in routes.values():
        route.delay = LATENCY
    return routes


def limits(kind: str, rate: int) -> dict[str, int]:
    if kind == "req429":
        return {"rate_limit": rate, "limit_status": 429}
    if kind == "req403":
        return {"rate_limit": rate}
    if kind == "conn403":
        return {"connection_limit": 2}
    raise SystemExit(f"unknown kind {kind!r}: req429, req403 or conn403")


def nights(
    kind: str, pages: int, rate: int, count: int, work: Path, forbidden: int = 0
) -> list[dict[str, object]]:
    results = []
    routes = site(pages, forbidden)
    planted = {path for path, route in routes.items() if route.status == 403}
    with RouteServer(routes, etags=True, **limits(kind, rate)) as server:  # type: ignore[arg-type]
        config = work / "site.yaml"
        config.write_text(
            f"sites:\n  - {{id: lim, name: 限流站, home: '{server.url}'}}\n", encoding="utf-8"
        )
        db = f"sqlite:///{work / 'g.db'}"
        for night in range(1, count + 1):
            asked, refused = len(server.requests), len(server.refused)
            started = time.monotonic()
            with (work / f"night{night}.log").open("wb") as log:
                subprocess.run(
                    [sys.executable, "-m", "monitor", "crawl", "-c", str(config), "--db", db],
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    check=False,
                )
            seconds = time.monotonic() - started
            report = ["findings", "-c", str(config), "--db", db, "--format", "json"]
            findings = json.loads(
                subprocess.run(
                    [sys.executable, "-m", "monitor", *report],
                    cwd=ROOT,
                    capture_output=True,
                    text=True,
                    check=True,
                ).stdout
            )
            requests = len(server.requests) - asked
            found = {
                f["url"].removeprefix(server.url.rstrip("/"))
                for f in findings
                if f["kind"] == "dead_link" and f["definite"] and f["status"] == 403
            }
            others = [
                f"{f['kind']} {f.get('url', '')}"
                for f in findings
                if f.get("url", "").removeprefix(server.url.rstrip("/")) not in found
            ]
            results.append(
                {
                    "kind": kind,
                    "night": night,
                    "seconds": round(seconds, 1),
                    "requests": requests,
                    "refused": len(server.refused) - refused,
                    "per_second": round(requests / seconds, 2),
                    "forbidden_found": f"{len(found & planted)}/{len(planted)}",
                    "findings": [*others, *(f"403 {u}" for u in sorted(found - planted))],
                }
            )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--pages", type=int, default=400, help="articles of the site")
    parser.add_argument("--kinds", default="req429,req403,conn403")
    parser.add_argument("--rate", type=int, default=10, help="requests a second, for req*")
    parser.add_argument("--nights", type=int, default=2)
    parser.add_argument("--forbidden", type=int, default=0, help="PDFs that always say 403")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    for kind in args.kinds.split(","):
        with tempfile.TemporaryDirectory() as tmp:
            results += nights(kind, args.pages, args.rate, args.nights, Path(tmp), args.forbidden)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
        return 0
    print(
        f"{'kind':8} {'night':>5} {'seconds':>8} {'requests':>8} {'refused':>7} {'req/s':>6} "
        f"{'403s':>7}  other findings"
    )
    for r in results:
        found = ", ".join(r["findings"]) or "none"  # type: ignore[arg-type]
        print(
            f"{r['kind']:8} {r['night']:>5} {r['seconds']:>8} {r['requests']:>8} "
            f"{r['refused']:>7} {r['per_second']:>6} {r['forbidden_found']:>7}  {found}"
        )
    print(
        f"(req429/req403: at most {args.rate} requests/s; conn403: 2 in flight, {LATENCY * 1000:g} ms each)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
