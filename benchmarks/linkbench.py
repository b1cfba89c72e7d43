"""Link-checking benchmark on a generated government site with planted faults and ground truth.

    .venv/bin/python -m benchmarks.linkbench --pages 1000

Serves the site on 127.0.0.1 (a second local port plays the external world), runs
`govwatch crawl`, and prints pages/s, links/s, CPU seconds, peak RSS and the precision and recall
of the *definite* dead links against the planted ones. Transient faults (a 503 that recovers, a
slow page) must not be reported definite. Peers (LinkChecker, linkinator) are for a later session.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

from benchmarks.measure import measure_crawl

DEAD = {"/gone/404-{n}.html": 404, "/gone/410-{n}.html": 410, "/private/403-{n}.pdf": 403}


class Site:
    """Pages, their links, and what each planted link really is."""

    def __init__(self, pages: int, external: str, seed: int = 7) -> None:
        rng = random.Random(seed)
        self.pages: dict[str, str] = {}
        self.truth_dead: set[str] = set()  # path or URL of every definitely dead link
        self.flaky: set[str] = set()
        self.external = external
        paths = [f"/news/{i // 100}/p{i}.html" for i in range(pages)]
        for index, path in enumerate(paths):
            links = [paths[(index * 7 + k) % pages] for k in range(1, 9)]
            links += [f"/files/附件{index % 50}.pdf", "/css/site.css", "/js/site.js"]
            if index % 40 == 0:
                dead = rng.choice(list(DEAD)).format(n=index)
                links.append(dead)
                self.truth_dead.add(dead)
            if index % 97 == 0:
                links.append(f"/moved/{index}.html")  # redirects to a 404
                self.truth_dead.add(f"/moved/{index}.html")
            if index % 53 == 0:
                links.append(f"/flaky/{index}.html")  # 503 once, then fine
                self.flaky.add(f"/flaky/{index}.html")
            if index % 61 == 0:
                links.append(f"{external}gone-{index}.html")
                self.truth_dead.add(f"{external}gone-{index}.html")
            body = "".join(
                f"<li><a href='{link}'>链接{n}的标题文字</a></li>" for n, link in enumerate(links)
            )
            self.pages[path] = (
                f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>第{index}页"
                f"</title></head><body><ul>{body}</ul></body></html>"
            )
        home = "".join(
            f"<a href='{p}'>第{i}页</a>" for i, p in enumerate(paths[:: max(1, pages // 50)])
        )
        self.pages["/"] = f"<html><head><meta charset='utf-8'></head><body>{home}</body></html>"
        self.flaky_seen: set[str] = set()
        self.lock = threading.Lock()


def serve(site: Site, external: bool = False) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_HEAD(self) -> None:
            self.answer(send_body=False)

        def do_GET(self) -> None:
            self.answer(send_body=True)

        def answer(self, send_body: bool) -> None:
            path = unquote(urlsplit(self.path).path)
            status, body, headers = 200, b"ok", {"Content-Type": "text/plain"}
            if external:
                status = 404 if path.startswith("/gone-") else 200
            elif path in site.pages:
                body = site.pages[path].encode()
                headers = {"Content-Type": "text/html; charset=utf-8"}
            elif path.startswith(("/files/", "/css/", "/js/")):
                body = b"%PDF-1.4" if path.endswith(".pdf") else b"/* */"
            elif path.startswith("/moved/"):
                status, headers = 301, {"Location": "/gone/after-move.html"}
            elif path.startswith("/flaky/"):
                with site.lock:
                    first = path not in site.flaky_seen
                    site.flaky_seen.add(path)
                status = 503 if first else 200
            elif path.startswith("/private/"):
                status = 403
            elif "/410-" in path:
                status = 410
            else:
                status = 404
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if send_body:
                self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
    server.request_queue_size = 256
    server.daemon_threads = True
    server.server_bind()
    server.server_activate()
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=1000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        outside = serve(Site(0, ""), external=True)
        external = f"http://127.0.0.1:{outside.server_address[1]}/"
        site = Site(args.pages, external)
        server = serve(site)
        home = f"http://127.0.0.1:{server.server_address[1]}/"
        config = Path(tmp) / "bench.yaml"
        config.write_text(
            f"sites:\n  - {{id: bench, name: 基准站, home: '{home}', "
            f"max_pages: {args.pages * 2}}}\n",
            encoding="utf-8",
        )
        db = Path(tmp) / "bench.db"
        cost = measure_crawl(config, db)
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "monitor.cli",
                "findings",
                "-c",
                str(config),
                "--db",
                f"sqlite:///{db}",
                "--format",
                "json",
            ],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        with sqlite3.connect(db) as conn:
            pages, links = conn.execute("select pages, links from runs").fetchone()
        server.shutdown()
        outside.shutdown()
    truth = {home.rstrip("/") + p if p.startswith("/") else p for p in site.truth_dead}
    definite = {f["url"] for f in json.loads(out) if f["kind"] == "dead_link" and f["definite"]}
    flaky = {home.rstrip("/") + p for p in site.flaky}
    hits = len(definite & truth)
    print(
        json.dumps(
            {
                "pages": pages,
                "links_checked": links,
                "wall_s": cost.wall_s,
                "cpu_s": cost.cpu_s,
                "pages_per_s": round(pages / cost.wall_s, 1),
                "links_per_s": round(links / cost.wall_s, 1),
                "peak_rss_mb": cost.peak_rss_mb,
                "planted_dead": len(truth),
                "reported_definite": len(definite),
                "precision": round(hits / len(definite), 4) if definite else 1.0,
                "recall": round(hits / len(truth), 4) if truth else 1.0,
                "flaky_reported_definite": len(definite & flaky),
            },
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
