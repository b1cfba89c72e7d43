"""Per-site locks in the database: one crawl, freshness pass or scan of a site at a time.

A lock names its holder (command, PID, host, start time) and is kept alive by a heartbeat;
a lock whose process is gone is taken over automatically, never cleared by hand.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from monitor import store
from monitor.database import session_scope
from monitor.records import LockHolder

log = logging.getLogger(__name__)
HEARTBEAT_SECONDS = 15.0
POLL_SECONDS = 0.2


class SiteLockedError(Exception):
    def __init__(self, holder: LockHolder) -> None:
        self.holder = holder
        super().__init__(describe_holder(holder))


def describe_holder(holder: LockHolder) -> str:
    return (
        f"site {holder.site_id} is locked by `{holder.command}` (PID {holder.pid} on "
        f"{holder.host}, since {holder.acquired_at:%Y-%m-%d %H:%M:%S} UTC)"
    )


def acquire(
    engine: Engine,
    site_id: str,
    command: str,
    wait: float = 0.0,
    on_wait: Callable[[LockHolder], None] | None = None,
) -> None:
    """Take the site's lock, waiting up to ``wait`` seconds; raise SiteLockedError otherwise.
    ``on_wait`` is told once, when the wait begins, who holds the lock."""
    told = False
    deadline = time.monotonic() + max(0.0, wait)
    host, pid = socket.gethostname(), os.getpid()
    while True:
        holder: LockHolder | None = None
        try:
            with session_scope(engine) as session:
                holder = store.get_lock(session, site_id)
                if holder is not None and store.lock_is_stale(holder):
                    log.warning(
                        "taking over the lock of site %s from a process that is gone: %s",
                        site_id,
                        describe_holder(holder),
                    )
                    store.delete_lock(session, site_id, holder.pid, holder.host)
                    holder = None
                if holder is None:
                    store.insert_lock(session, site_id, command, pid, host)
                    return
        except IntegrityError:
            holder = None  # another process took it between our read and our insert
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            if holder is None:
                with session_scope(engine) as session:
                    holder = store.get_lock(session, site_id)
            if holder is not None:
                raise SiteLockedError(holder)
            continue
        if holder is not None and on_wait is not None and not told:
            on_wait(holder)
            told = True
        time.sleep(min(POLL_SECONDS, remaining))


def release(engine: Engine, site_id: str) -> None:
    with session_scope(engine) as session:
        store.delete_lock(session, site_id, os.getpid(), socket.gethostname())


@contextmanager
def site_lock(
    engine: Engine,
    site_id: str,
    command: str,
    wait: float = 0.0,
    heartbeat: float = HEARTBEAT_SECONDS,
    on_wait: Callable[[LockHolder], None] | None = None,
) -> Iterator[None]:
    """Hold the site's lock for the block, with a heartbeat thread."""
    acquire(engine, site_id, command, wait, on_wait)
    stop = threading.Event()

    def beat() -> None:
        host, pid = socket.gethostname(), os.getpid()
        while not stop.wait(heartbeat):
            with session_scope(engine) as session:
                store.heartbeat_lock(session, site_id, pid, host)

    thread = threading.Thread(target=beat, name=f"lock-{site_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=5)
        release(engine, site_id)
