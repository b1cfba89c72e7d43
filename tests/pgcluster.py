"""A throwaway PostgreSQL server for the tests: ``initdb`` into a new temporary folder,
listening only on a unix socket in that folder (no port to find), stopped and removed at the
end of the session.

The server binaries come from the distribution (Debian: ``/usr/lib/postgresql/VERSION/bin``,
installed by ``make test`` through ``tests/setup_postgresql.sh``) or from ``PATH``. PostgreSQL
refuses to run as root, so under root the cluster belongs to the ``postgres`` user (or
``nobody``) and its commands run through ``runuser``.
"""

from __future__ import annotations

import itertools
import os
import pwd
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEBIAN_ROOT = Path("/usr/lib/postgresql")
PREFIX = "govwatch-pg-"  # a cluster's folder, under the system's temporary folder
SESSION_FILE = "session.pid"  # in that folder: the test session's process
PORT = 5432  # names the socket file; nothing listens on TCP
SUPERUSER = "govwatch"
# A test server: nothing to keep if the machine crashes, so no flushing to disk.
SETTINGS = {
    "listen_addresses": "''",
    "port": str(PORT),
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "max_connections": "200",
    "shared_buffers": "32MB",
    "log_min_messages": "warning",
}


class PostgresUnavailableError(Exception):
    """No PostgreSQL server binaries here, or no way to run them."""


def find_bindir() -> Path:
    """The folder of ``initdb``, ``pg_ctl`` and ``postgres``: the newest Debian version, else
    the one on ``PATH``."""
    debian = [path.parent for path in DEBIAN_ROOT.glob("*/bin/initdb") if path.is_file()]
    if debian:
        return max(debian, key=lambda bindir: _version_key(bindir.parent.name))
    initdb = shutil.which("initdb")
    if initdb is not None and shutil.which("pg_ctl") is not None:
        return Path(initdb).resolve().parent
    raise PostgresUnavailableError(
        f"no PostgreSQL server found (no initdb under {DEBIAN_ROOT}/*/bin or on PATH): "
        "`make test` installs it with apt-get when run as root; or `apt-get install postgresql`"
    )


def _version_key(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", name)) or (0,)


@dataclass
class PostgresServer:
    """A running cluster; ``new_database()`` makes an empty database and returns its URL."""

    bindir: Path
    root: Path  # holds the data folder, the socket and the log
    owner: str | None  # the user the server runs as (under root), None: as ourselves
    _numbers: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    def url(self, database: str, driver: str = "psycopg") -> str:
        return f"postgresql+{driver}://{SUPERUSER}@/{database}?host={self.root}&port={PORT}"

    def new_database(self) -> str:
        """A fresh, empty database (``CREATE DATABASE``); its SQLAlchemy URL."""
        name = f"test_{next(self._numbers)}"
        self.admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def admin(self, sql: str, *parameters: object) -> list[tuple[Any, ...]]:
        """One statement as the superuser, outside a transaction; its rows (if it has any)."""
        import psycopg

        with psycopg.connect(
            host=str(self.root), port=PORT, user=SUPERUSER, dbname="postgres", autocommit=True
        ) as connection:
            cursor = connection.execute(sql, parameters or None)
            return cursor.fetchall() if cursor.description else []

    def run(self, *command: str | Path) -> subprocess.CompletedProcess[str]:
        """A server command (initdb, pg_ctl) as the cluster's owner."""
        argv = [str(part) for part in command]
        if self.owner is not None:
            argv = ["runuser", "-u", self.owner, "--", *argv]
        result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)
        if result.returncode != 0:
            log = self.log.read_text(errors="replace") if self.log.exists() else ""
            raise PostgresUnavailableError(
                f"{' '.join(argv)} exited {result.returncode}:\n{result.stdout}{result.stderr}{log}"
            )
        return result

    def start(self) -> None:
        self.run(
            self.bindir / "initdb",
            "--pgdata",
            self.data,
            "--username",
            SUPERUSER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--no-locale",
            "--no-sync",
        )
        with (self.data / "postgresql.conf").open("a", encoding="utf-8") as conf:
            conf.write("\n# tests/pgcluster.py\n")
            conf.write(f"unix_socket_directories = '{self.root}'\n")
            conf.writelines(f"{name} = {value}\n" for name, value in SETTINGS.items())
        # -w: pg_ctl returns once the server accepts connections.
        self.run(self.bindir / "pg_ctl", "--pgdata", self.data, "--log", self.log, "-w", "start")

    def stop(self) -> None:
        self.run(self.bindir / "pg_ctl", "--pgdata", self.data, "-m", "immediate", "-w", "stop")


def _owner_for_root() -> str:
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    raise PostgresUnavailableError("running as root, and there is no postgres or nobody user")


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    """A running throwaway cluster in a new folder under the system's temporary folder (under
    root: owned by the server's user; pytest's folders are private to root), stopped and
    removed afterwards. Clusters of earlier sessions that were killed before they could stop
    theirs are stopped and removed first."""
    bindir = find_bindir()
    owner: str | None = None
    if os.geteuid() == 0:
        owner = _owner_for_root()
        if shutil.which("runuser") is None:
            raise PostgresUnavailableError("running as root, and runuser is missing")
    _remove_leftovers(bindir, owner)
    root = Path(tempfile.mkdtemp(prefix=PREFIX))
    (root / SESSION_FILE).write_text(str(os.getpid()), encoding="ascii")
    if owner is not None:
        entry = pwd.getpwnam(owner)
        os.chown(root, entry.pw_uid, entry.pw_gid)
    server = PostgresServer(bindir, root, owner)
    try:
        server.start()
        try:
            yield server
        finally:
            server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _remove_leftovers(bindir: Path, owner: str | None) -> None:
    """Stop and remove the clusters (of this user) whose test session is gone."""
    for root in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            session = int((root / SESSION_FILE).read_text(encoding="ascii"))
            mine = os.geteuid() == 0 or root.stat().st_uid == os.geteuid()
        except (OSError, ValueError):
            continue
        if not mine or _alive(session):
            continue
        leftover = PostgresServer(bindir, root, owner)
        if (leftover.data / "postmaster.pid").exists():
            with suppress(PostgresUnavailableError):
                leftover.stop()
        shutil.rmtree(root, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
