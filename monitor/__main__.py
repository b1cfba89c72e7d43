"""The ``govwatch`` command (``python -m monitor``): the crawl process a command will need is
started first, so that its imports and the command line's run at once (monitor.warmstart)."""

from __future__ import annotations

import logging
import os
import sys

from monitor import warmstart


def run() -> None:
    if not warmstart.wants_crawl_process(sys.argv[1:]):
        _run_command_line()
        return
    warmstart.start_idle()
    try:
        _run_command_line()
        code: int | str | None = 0
    except SystemExit as done:
        code = done.code
    # A crawl's results are stored and printed by now: end without freeing the heap object by
    # object (0.2 s after a 20k-page site's findings were counted).
    warmstart.release()
    if isinstance(code, str):
        print(code, file=sys.stderr)
        code = 1
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code or 0)


def _run_command_line() -> None:
    from monitor.cli import run as run_command_line  # noqa: PLC0415 - after the crawl process

    run_command_line()


if __name__ == "__main__":
    run()
