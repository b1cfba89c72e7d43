"""Time one process (and the children it waits for): wall and CPU seconds, peak memory.

``os.wait4`` gives the rusage of exactly that child (its own and its reaped descendants'), so
several tools run from one benchmark each get their own peak RSS, unlike ``RUSAGE_CHILDREN``
whose ``ru_maxrss`` is the maximum over every child ever waited for.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO


@dataclass(frozen=True)
class CrawlCost:
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    returncode: int = 0


def run_measured(
    command: list[str],
    stdout: IO[bytes] | int | None = subprocess.DEVNULL,
    stderr: IO[bytes] | int | None = subprocess.DEVNULL,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> CrawlCost:
    """Run a command to its end; its wall and CPU (user + sys) seconds and peak RSS."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=stdout, stderr=stderr, cwd=cwd, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return CrawlCost(
        round(wall, 2),
        round(usage.ru_utime + usage.ru_stime, 2),
        round(usage.ru_maxrss / 1024, 1),
        process.returncode,
    )


def measure_crawl(config: Path, db: Path, settings: dict[str, str] | None = None) -> CrawlCost:
    """One `govwatch crawl` of the config's sites as a whole process."""
    command = [
        sys.executable,
        "-m",
        "monitor",
        "crawl",
        "-c",
        str(config),
        "--db",
        f"sqlite:///{db}",
    ]
    for name, value in (settings or {}).items():
        command += ["-s", f"{name}={value}"]
    cost = run_measured(command)
    if cost.returncode != 0:
        raise subprocess.CalledProcessError(cost.returncode, command)
    return cost
