"""Live progress on a terminal (rich), plain log lines otherwise."""

from __future__ import annotations

import sys
import threading
import time
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

PLAIN_EVERY_SECONDS = 10.0


class RunProgress:
    """Receives the children's progress reports (one per site) and shows them."""

    def __init__(self, interactive: bool | None = None) -> None:
        self.interactive = sys.stderr.isatty() if interactive is None else interactive
        self.lock = threading.Lock()
        self.tasks: dict[str, TaskID] = {}
        self.last_plain: dict[str, float] = {}
        self.progress: Progress | None = None
        if self.interactive:
            self.progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                TextColumn(
                    "页面 {task.fields[pages]}  链接 {task.fields[links]}  "
                    "失败 {task.fields[failed]}  {task.fields[rate]} 链接/秒"
                ),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )

    def __enter__(self) -> RunProgress:
        if self.progress is not None:
            self.progress.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.progress is not None:
            self.progress.stop()

    def update(self, site_id: str, data: dict[str, Any]) -> None:
        with self.lock:
            elapsed = max(float(data.get("elapsed", 0)), 0.1)
            rate = f"{data['links'] / elapsed:.0f}"
            total = data["requested"] if data.get("total_known") else None
            if self.progress is not None:
                if site_id not in self.tasks:
                    self.tasks[site_id] = self.progress.add_task(
                        site_id, total=total, pages=0, links=0, failed=0, rate="0"
                    )
                self.progress.update(
                    self.tasks[site_id],
                    completed=data["links"],
                    total=total if total is not None else None,
                    pages=data["pages"],
                    links=data["links"],
                    failed=data["failed"],
                    rate=rate,
                )
                return
            now = time.monotonic()
            if data.get("final") or now - self.last_plain.get(site_id, 0) >= PLAIN_EVERY_SECONDS:
                self.last_plain[site_id] = now
                print(
                    f"{site_id}: 页面 {data['pages']}, 链接 {data['links']}, "
                    f"失败 {data['failed']}, {rate} 链接/秒, {elapsed:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
