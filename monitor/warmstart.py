"""A crawl process started before it is needed, so that its imports overlap the command's.

A crawl process (``python -m crawler.main``) spends its first second or more importing Scrapy,
Twisted, SQLAlchemy and pydantic; the command line spends most of a second on its own imports
before it knows which run to start. ``govwatch crawl`` and ``govwatch scan`` therefore start
one crawl process first, idle: it imports, then waits for one line on its standard input, the
JSON list of its arguments. The runner hands that line to it instead of starting a new
process. An idle process that is never given work reads end of file and exits, or is ended
when the command exits.

This module must stay light: it is imported before anything else of govwatch.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import subprocess
import sys
import threading
from collections.abc import Sequence
from typing import TextIO

WAIT_FLAG = "--wait-for-arguments"
CRAWL_COMMANDS = ("crawl", "scan")

_idle: list[subprocess.Popen[str]] = []
_idle_lock = threading.Lock()  # sites run from several threads (monitor.runner.run_sites)


def crawl_process_command(arguments: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "crawler.main", *arguments]


def wants_crawl_process(argv: Sequence[str]) -> bool:
    """Whether a command line will start a crawl process (help and version do not)."""
    if not argv or argv[0] not in CRAWL_COMMANDS:
        return False
    return not any(a in ("-h", "--help") for a in argv[1:])


def start_idle() -> subprocess.Popen[str]:
    """Start an idle crawl process; at most one is kept."""
    with _idle_lock:
        if not _idle:
            _idle.append(_spawn([WAIT_FLAG], stdin=subprocess.PIPE))
            atexit.register(release)
        return _idle[0]


def start(arguments: Sequence[str]) -> subprocess.Popen[str]:
    """A crawl process running ``arguments``: the idle one if there is one, else a new one.

    Either way its standard output is a pipe for the runner to read.
    """
    while (child := _take_idle()) is not None:
        if _hand_over(child, arguments):
            return child
    return _spawn(arguments, stdin=subprocess.DEVNULL)


def _spawn(arguments: Sequence[str], stdin: int) -> subprocess.Popen[str]:
    """A crawl process in its own session (a stop signals it by PID), its output a pipe."""
    return subprocess.Popen(
        crawl_process_command(arguments),
        stdin=stdin,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        start_new_session=True,
    )


def release() -> None:
    """End an idle process nobody used (it may still be importing)."""
    while (child := _take_idle()) is not None:
        if child.stdin is not None:
            with contextlib.suppress(OSError):
                child.stdin.close()  # end of file: "no work", if it is already waiting
        if child.poll() is None:
            child.terminate()
        child.wait()
        _close(child)


def read_arguments(source: TextIO) -> list[str] | None:
    """In the idle process: its arguments, or None when the command had no work for it."""
    line = source.readline()
    if not line.strip():
        return None
    arguments = json.loads(line)
    if not isinstance(arguments, list) or not all(isinstance(a, str) for a in arguments):
        raise ValueError(f"{WAIT_FLAG}: expected a JSON list of strings, got {line[:200]!r}")
    return arguments


def _take_idle() -> subprocess.Popen[str] | None:
    with _idle_lock:
        return _idle.pop() if _idle else None


def _hand_over(child: subprocess.Popen[str], arguments: Sequence[str]) -> bool:
    """Give the idle process its arguments; False if it has already gone."""
    if child.poll() is not None or child.stdin is None:
        _close(child)
        return False
    try:
        child.stdin.write(json.dumps(list(arguments), ensure_ascii=False) + "\n")
        child.stdin.close()
    except OSError:  # it died between the check and the write
        child.wait()
        _close(child)
        return False
    return True


def _close(child: subprocess.Popen[str]) -> None:
    for stream in (child.stdin, child.stdout):
        if stream is not None:
            with contextlib.suppress(OSError):  # a pipe to a dead process may not flush
                stream.close()
