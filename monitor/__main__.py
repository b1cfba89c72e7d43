"""The ``govwatch`` command (``python -m monitor``): the crawl process a command will need is
started first, so that its imports and the command line's run at once (monitor.warmstart)."""

from __future__ import annotations

import sys

from monitor import warmstart


def run() -> None:
    if warmstart.wants_crawl_process(sys.argv[1:]):
        warmstart.start_idle()
    from monitor.cli import run as run_command_line  # noqa: PLC0415 - after the crawl process

    run_command_line()


if __name__ == "__main__":
    run()
