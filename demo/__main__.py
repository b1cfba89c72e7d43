"""``make demo``: serve the demo site on 127.0.0.1, crawl it, write the reports, stop."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from demo.server import StaticServer
from demo.site import OWNER, SITE_NAME, build_external, build_site, demo_columns
from monitor.assessments import today_local
from monitor.cli import main as govwatch

OUT = Path("demo-out")


def write_config(path: Path, home: str) -> None:
    columns = "".join(
        f"      - name: {c.name}\n        url: {home}{c.slug}/\n        category: {c.category}\n"
        for c in demo_columns()
    )
    path.write_text(
        "# Written by `make demo`: the demo site on this run's ports.\n"
        "sites:\n"
        "  - id: demo\n"
        f"    name: {SITE_NAME}\n"
        f"    owner: {OWNER}\n"
        f"    home: {home}\n"
        "    max_pages: 2000\n"
        "    columns:\n" + columns + "rules: national-2019\n",
        encoding="utf-8",
    )


def main() -> int:
    if OUT.exists():
        shutil.rmtree(OUT)
    site_dir, external_dir = OUT / "site", OUT / "external"
    site_dir.mkdir(parents=True)
    build_external(external_dir)
    config = OUT / "demo.yaml"
    db = f"sqlite:///{(OUT / 'govwatch.db').resolve()}"
    with StaticServer(site_dir) as site, StaticServer(external_dir) as external:
        build_site(site_dir, today_local(), external.url)
        write_config(config, site.url)
        print(f"示例站点 / demo site: {site.url} (external: {external.url})")
        steps = [
            ["check-config", "-c", str(config)],
            ["crawl", "-c", str(config), "--db", db],
            ["findings", "-c", str(config), "--db", db],
            ["report", "-c", str(config), "--db", db, "--out", str(OUT / "reports")],
        ]
        for step in steps:
            print(f"\n$ govwatch {' '.join(step)}", flush=True)
            try:
                govwatch(step, standalone_mode=False)
            except SystemExit as exc:
                if exc.code not in (0, None):
                    return int(exc.code) if isinstance(exc.code, int) else 1
    index = (OUT / "reports" / "index.html").resolve()
    print(f"\n演示完成 / demo done. 打开报告 / open the report: {index.as_uri()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
