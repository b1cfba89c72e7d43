"""Crawl a generated demo site of about N pages and print speed and memory figures.

    .venv/bin/python -m benchmarks.crawl_demo_site --pages 1000

Everything is served on 127.0.0.1; nothing leaves the machine. Figures are for the whole
`govwatch crawl` (process start-up, crawl, link checks, column dating, storing every occurrence).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import tempfile
from pathlib import Path

from benchmarks.measure import measure_crawl
from demo.__main__ import write_config
from demo.server import StaticServer
from demo.site import build_external, build_site
from monitor.assessments import today_local

PAGES_PER_SCALE = 25  # each scale step adds 25 news items: 25 detail pages and a list page


def run(pages: int) -> dict[str, float]:
    scale = max(1, pages // PAGES_PER_SCALE)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        (base / "site").mkdir()
        build_external(base / "external")
        with StaticServer(base / "site") as site, StaticServer(base / "external") as ext:
            build_site(base / "site", today_local(), ext.url, scale=scale)
            config = base / "bench.yaml"
            write_config(config, site.url)
            text = config.read_text(encoding="utf-8")
            config.write_text(
                text.replace("max_pages: 2000", "max_pages: 100000"), encoding="utf-8"
            )
            db = base / "bench.db"
            cost = measure_crawl(config, db)
        with sqlite3.connect(db) as conn:
            crawled, links = conn.execute("select pages, links from runs").fetchone()
            occurrences = conn.execute("select count(*) from link_occurrences").fetchone()[0]
    return {
        "pages": crawled,
        "links_checked": links,
        "occurrences": occurrences,
        "wall_s": cost.wall_s,
        "cpu_s": cost.cpu_s,
        "pages_per_s": round(crawled / cost.wall_s, 1),
        "peak_rss_mb": cost.peak_rss_mb,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pages", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    results = [run(args.pages) for _ in range(args.repeat)]
    for result in results:
        print(json.dumps(result))
    walls = sorted(r["wall_s"] for r in results)
    print(f"median wall: {walls[len(walls) // 2]} s for {results[0]['pages']} pages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
