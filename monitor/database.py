"""Opening the database: engine settings, schema migrations (Alembic) and the version check."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:
    from alembic.config import Config as AlembicConfig

SQLITE_BUSY_TIMEOUT_MS = 30_000
# The newest migration (monitor/migrations/versions; a test holds the two together). A database
# already there is opened without loading Alembic: every command, and every crawl process,
# starts ~0.5 s sooner.
SCHEMA_HEAD = "0006"
# The PostgreSQL advisory lock held while a schema is made (any constant of our own).
SCHEMA_LOCK_KEY = 0x676F7677617463  # "govwatc" in ASCII


class DatabaseError(Exception):
    """A database problem phrased for the operator."""


def resolve_db_url(option: str | None, default: str) -> str:
    """``--db`` wins, then ``GOVWATCH_DB``, then the config's default."""
    return option or os.environ.get("GOVWATCH_DB") or default


def make_engine(url: str) -> Engine:
    try:
        parsed = make_url(url)
        database_file = _plain_sqlite_file(parsed.get_backend_name(), parsed.database, parsed.query)
        if database_file is not None:
            database_file.resolve().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
    except (ArgumentError, NoSuchModuleError, OSError) as exc:
        raise DatabaseError(f"--db: cannot use database URL {url!r}: {exc}") from exc
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _plain_sqlite_file(backend: str, database: str | None, query: Mapping[str, Any]) -> Path | None:
    """The file of a SQLite database named by a path, whose folder may be made for the operator.

    None for other databases, ``:memory:``, and a SQLite URI (``file:…?mode=ro&uri=true``):
    that names a file which must already exist, and its text is not a path.
    """
    if backend != "sqlite" or not database or database == ":memory:":
        return None
    if str(query.get("uri", "")).lower() in ("true", "1") or database.startswith("file:"):
        return None
    return Path(database)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def alembic_config(engine: Engine) -> AlembicConfig:
    from alembic.config import Config as AlembicConfig  # noqa: PLC0415 - see SCHEMA_HEAD

    config = AlembicConfig()
    config.set_main_option("script_location", "monitor:migrations")
    config.attributes["engine"] = engine
    return config


def head_revision(engine: Engine) -> str | None:
    from alembic.script import ScriptDirectory  # noqa: PLC0415 - see SCHEMA_HEAD

    return ScriptDirectory.from_config(alembic_config(engine)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext  # noqa: PLC0415 - see SCHEMA_HEAD

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> tuple[str | None, str | None]:
    """Bring the schema to the newest revision; returns (before, after)."""
    from alembic import command  # noqa: PLC0415 - see SCHEMA_HEAD

    before = current_revision(engine)
    command.upgrade(alembic_config(engine), "head")
    return before, current_revision(engine)


def open_database(url: str, *, create: bool = True) -> Engine:
    """An engine whose schema is current. A new, empty database is created at the newest schema;
    an older one is refused with the command that upgrades it (and its connections closed)."""
    engine = make_engine(url)
    try:
        _bring_to_head(engine, url, create)
    except BaseException:
        engine.dispose()
        raise
    return engine


def _bring_to_head(engine: Engine, url: str, create: bool) -> None:
    if _recorded_revision(engine) == SCHEMA_HEAD:
        return
    head = head_revision(engine)
    try:
        current = current_revision(engine)
        if current is None:
            # Two commands started at once must not both create the schema.
            with _schema_lock(engine):
                current = current_revision(engine)
                if current is None and not inspect(engine).get_table_names():
                    if not create:
                        raise DatabaseError(f"{_safe(url)}: no govwatch database here yet")
                    upgrade(engine)
                    current = current_revision(engine)
    except OperationalError as exc:
        raise DatabaseError(describe_operational_error(url, exc)) from exc
    if current != head:
        raise DatabaseError(
            f"{_safe(url)}: the database schema is at {current or 'an unknown version'}, "
            f"this govwatch needs {head}: run `govwatch db upgrade --db {_safe(url)}` first"
        )


@contextmanager
def engine_scope(url: str) -> Iterator[Engine]:
    """``open_database`` for a block, its connections closed when the block ends. A process
    that lives on (the scheduler) must not leave them to the garbage collector: on PostgreSQL
    each is a server process, and the server takes only so many (``max_connections``)."""
    engine = open_database(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _recorded_revision(engine: Engine) -> str | None:
    """The revision the database says it is at, by one plain query (None: not known here)."""
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except DBAPIError:
        return None  # no such table (a new database), or a problem Alembic will explain
    return rows[0][0] if len(rows) == 1 else None


@contextmanager
def _schema_lock(engine: Engine) -> Iterator[None]:
    """An exclusive lock while the schema is made: on a file beside a SQLite database, an
    advisory lock on PostgreSQL (of two transactions that create a table of one name, the
    second fails on a duplicate catalog row once the first commits)."""
    if engine.dialect.name == "postgresql":
        with _advisory_lock(engine, SCHEMA_LOCK_KEY):
            yield
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    path = Path(database.removeprefix("file:").split("?", 1)[0])
    with open(f"{path}.schema-lock", "a+b") as handle:  # noqa: PTH123 (fcntl needs a file)
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _advisory_lock(engine: Engine, key: int) -> Iterator[None]:
    """A PostgreSQL session-level advisory lock, held on a connection of its own for the block
    (released by the server if the process dies)."""
    with engine.connect() as connection:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        connection.commit()
        try:
            yield
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            connection.commit()


def describe_operational_error(url: str, exc: OperationalError) -> str:
    """An operator's sentence for the usual ways a database refuses work."""
    text = str(exc.orig).lower()
    if "readonly" in text or "read-only" in text:
        return f"{_safe(url)}: the database is read-only: nothing was written"
    if "locked" in text or "busy" in text:
        return (
            f"{_safe(url)}: the database is locked by another process for longer than "
            f"{SQLITE_BUSY_TIMEOUT_MS // 1000} s: nothing was written"
        )
    if "full" in text:
        return f"{_safe(url)}: the disk or database is full: nothing was written"
    return f"{_safe(url)}: database error: {exc.orig}"


def check_writable(engine: Engine, url: str) -> None:
    """Fail now, with a clear message, if the database cannot take writes."""
    try:
        with engine.connect() as connection:
            if engine.dialect.name == "sqlite":
                # A real write (of the same value) that is rolled back: read-only files,
                # read-only mounts and ?mode=ro all refuse it, a busy database times out.
                version = connection.exec_driver_sql("PRAGMA user_version").scalar()
                connection.exec_driver_sql("BEGIN IMMEDIATE")
                connection.exec_driver_sql(f"PRAGMA user_version = {int(version or 0)}")
                connection.exec_driver_sql("ROLLBACK")
            elif engine.dialect.name == "postgresql":
                # A read-only database (default_transaction_read_only) or a standby server:
                # its transactions are read-only, and its first INSERT would fail.
                with connection.begin():
                    read_only = connection.exec_driver_sql("SHOW transaction_read_only").scalar()
                if read_only == "on":
                    raise DatabaseError(
                        f"{_safe(url)}: the database is read-only: nothing was written"
                    )
            else:
                with connection.begin():
                    connection.exec_driver_sql("SELECT 1")
    except OperationalError as exc:
        raise DatabaseError(describe_operational_error(url, exc)) from exc


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """One transaction: committed when the block ends, rolled back if it raises."""
    factory = sessionmaker(engine, expire_on_commit=False)
    with factory() as session, session.begin():
        yield session


def _safe(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url
