"""What every migration test does: a fresh empty database (a SQLite file, or a PostgreSQL database
of its own, dropped afterwards), the app's Alembic configuration on it, upgrades and downgrades to
named revisions, and the check that the schema at head is the one the models describe."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from alembic import command, op
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import Column, Connection, Engine, Integer, create_engine, inspect, text
from sqlalchemy.engine import make_url

from sparkcodes.migrations import alembic_config
from sparkcodes.migrations.batch import batch_alter_table_keeping_triggers
from sparkcodes.models import Base
from tests.conftest import PG_ENV, _pg_admin_url

# The backends a migration test runs on, as its `kind` parameter.
KINDS = ["sqlite", "postgres"]


def without_parents(conn: Connection) -> None:
    """Let this transaction seed rows without their parents: on PostgreSQL, foreign keys are
    not checked until it ends (SQLite's migration connections do not check them)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SET LOCAL session_replication_role = replica"))


def fresh_database(kind: str, tmp_path: Path) -> tuple[str, Callable[[], None] | None]:
    """An empty database's URL and what drops it (None for a SQLite file under ``tmp_path``).
    Skips the test on PostgreSQL when none is configured."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / 'migrations.db'}", None
    if not os.environ.get(PG_ENV):
        pytest.skip(f"PostgreSQL not configured: set {PG_ENV} to run this test on it")
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    name = f"sparkcodes_mig_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    url = make_url(_pg_admin_url()).set(database=name).render_as_string(hide_password=False)
    return url, drop


def drift(conn: Connection) -> list[Any]:
    """What differs between the schema ``conn`` sees and the models (types compared too)."""
    return list(compare_metadata(MigrationContext.configure(
        conn, opts={"compare_type": True}), Base.metadata))


class Migrated:
    """A fresh database and the Alembic configuration that migrates it. ``engine`` is disposed
    after each migration, so what a test reads next sees the new schema."""

    def __init__(self, url: str, config: Config) -> None:
        self.url = url
        self.config = config
        self.engine: Engine = create_engine(url)

    def upgrade(self, revision: str) -> None:
        command.upgrade(self.config, revision)
        self.engine.dispose()

    def downgrade(self, revision: str) -> None:
        command.downgrade(self.config, revision)
        self.engine.dispose()

    def tables(self) -> set[str]:
        return set(inspect(self.engine).get_table_names())

    def columns(self, table: str) -> set[str]:
        return {c["name"] for c in inspect(self.engine).get_columns(table)}

    def assert_matches_models(self, conn: Connection | None = None) -> None:
        """The schema equals the models', read on ``conn`` (inside a test's open transaction)
        or on a connection of its own."""
        if conn is not None:
            found = drift(conn)
        else:
            with self.engine.connect() as own:
                found = drift(own)
        assert found == [], found


@contextmanager
def migrating(kind: str, tmp_path: Path, *, secret_key: str | None = None) -> Iterator[Migrated]:
    """A fresh ``kind`` database, not migrated yet, dropped when the block ends.
    ``secret_key``: what data migrations key the audit chain with and seal secrets under."""
    url, drop = fresh_database(kind, tmp_path)
    db = Migrated(url, alembic_config(url, secret_key=secret_key))
    try:
        yield db
    finally:
        db.engine.dispose()
        if drop is not None:
            drop()


def triggers(engine: Engine) -> list[tuple[str, str]]:
    """Every trigger of the schema as (name, definition), by name."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            sql = "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"
        else:
            sql = ("SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger WHERE NOT tgisinternal "
                   "ORDER BY tgname")
        return [(r[0], r[1]) for r in conn.execute(text(sql))]


def rebuild(engine: Engine, table: str, *, keeping_triggers: bool = True) -> None:
    """A later migration's batch change to ``table`` that leaves its columns as they were: a
    column added, then dropped. On SQLite each batch copies the table into a new one (as a
    constraint change would); ``keeping_triggers`` runs them through the migrations' helper,
    otherwise through plain ``op.batch_alter_table``."""
    with engine.begin() as conn, Operations.context(MigrationContext.configure(conn)):
        batch = batch_alter_table_keeping_triggers if keeping_triggers else op.batch_alter_table
        recreate = "always" if conn.dialect.name == "sqlite" else "auto"
        with batch(table, recreate=recreate) as batch_op:
            batch_op.add_column(Column("probe", Integer, nullable=True))
        with batch(table, recreate=recreate) as batch_op:
            batch_op.drop_column("probe")
