"""The schema comes from Alembic migrations; an out-of-date database is refused, never guessed.
(The tests that take ``db_url`` run on SQLite and on PostgreSQL.)"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from monitor.database import SCHEMA_HEAD, DatabaseError, head_revision, open_database
from tests.conftest import govwatch


def test_new_database_is_created_at_head(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'sub' / 'g.db'}")
    tables = set(inspect(engine).get_table_names())
    assert {
        "runs",
        "column_observations",
        "link_checks",
        "link_occurrences",
        "alembic_version",
    } <= tables
    with sqlite3.connect(tmp_path / "sub" / "g.db") as db:
        assert db.execute("select version_num from alembic_version").fetchone()[0] == head_revision(
            engine
        )
        assert db.execute("pragma journal_mode").fetchone()[0] == "wal"


def test_a_database_behind_the_code_is_refused_with_the_fix(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.execute("create table runs (id integer primary key)")
        db.execute("insert into runs values (1)")
    with pytest.raises(DatabaseError, match="run `govwatch db upgrade"):
        open_database(f"sqlite:///{path}")
    with sqlite3.connect(path) as db:
        assert db.execute("select count(*) from runs").fetchone()[0] == 1  # nothing lost


def test_db_upgrade_command(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'g.db'}"
    result = govwatch("db", "upgrade", "--db", url)
    assert "schema at" in result.stdout
    again = govwatch("db", "upgrade", "--db", url)
    assert f"(was {head_revision(open_database(url))})" in again.stdout


def test_bad_database_url_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "c.yaml"
    config.write_text("sites: []\n", encoding="utf-8")
    result = govwatch("findings", "-c", str(config), "--db", "nonsense://", check=False)
    assert result.returncode == 1
    assert "nonsense://" in result.stderr


def test_upgrade_from_the_first_schema_keeps_every_row(db_url: str) -> None:
    from alembic import command

    from monitor.database import alembic_config, make_engine

    engine = make_engine(db_url)
    command.upgrade(alembic_config(engine), "0001")
    with engine.begin() as db:
        db.execute(
            text(
                "insert into runs (id, site_id, kind, status, started_at, pages, links) "
                "values (1, 'x', 'crawl', 'complete', :started, 3, 9)"
            ),
            {"started": datetime(2024, 7, 19, 10)},
        )
        db.execute(
            text(
                "insert into link_checks (run_id, url_key, url, internal, method, status, "
                "redirects, checked_at) values (1, 'http://x/a', 'http://x/a', :internal, "
                "'GET', 404, '[]', :checked)"
            ),
            {"internal": True, "checked": datetime(2024, 7, 19, 10, 0, 1)},
        )
    with pytest.raises(DatabaseError, match="govwatch db upgrade"):
        open_database(db_url)
    govwatch("db", "upgrade", "--db", db_url)
    with engine.connect() as db:
        assert db.execute(text("select id, scope, pages from runs")).all() == [(1, "full", 3)]
        assert db.execute(text("select status from link_checks")).all() == [(404,)]
        if engine.dialect.name == "sqlite":
            assert db.execute(text("pragma integrity_check")).scalar() == "ok"
    engine.dispose()
    open_database(db_url).dispose()  # now current


def test_schema_head_constant_is_the_newest_migration(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'g.db'}")
    assert head_revision(engine) == SCHEMA_HEAD


def test_migrations_build_exactly_the_models_schema(db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from monitor.models import Base

    engine = open_database(db_url)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_a_current_database_opens_without_loading_alembic(db_url: str) -> None:
    url = db_url
    open_database(url).dispose()
    probe = (
        "import sys; from monitor.database import open_database; "
        f"open_database({url!r}); print('alembic' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"
