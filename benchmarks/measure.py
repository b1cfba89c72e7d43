"""Time one `govwatch crawl` as a whole process: wall and CPU seconds, peak memory."""

from __future__ import annotations

import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class CrawlCost:
    wall_s: float
    cpu_s: float
    peak_rss_mb: float


def measure_crawl(config: Path, db: Path) -> CrawlCost:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "monitor.cli",
            "crawl",
            "-c",
            str(config),
            "--db",
            f"sqlite:///{db}",
        ],
        check=True,
        capture_output=True,
    )
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return CrawlCost(round(wall, 2), round(cpu, 2), round(after.ru_maxrss / 1024, 1))
