"""Batch-mode table changes that keep the table's triggers on SQLite.

SQLite cannot alter most of a table in place, so Alembic's batch mode rebuilds it: a new table,
the rows copied, the old one dropped, the new one renamed. Dropping the old table drops every
trigger defined on it (0009's window-end triggers on spark_posts and authorizations, 0012's
append-only triggers on audit_events and audit_links), and the rename fails while a trigger on
another table names the dropped one. A migration written before this module (0011) re-creates
the triggers from a frozen copy of their SQL; a new one uses::

    from sparkcodes.migrations.batch import batch_alter_table_keeping_triggers

    with batch_alter_table_keeping_triggers('spark_posts') as batch_op:
        batch_op.alter_column(...)

which reads the triggers from ``sqlite_master`` first and creates them again, with the same SQL,
once the batch is done. On PostgreSQL it is ``op.batch_alter_table``: ALTER TABLE keeps triggers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from alembic import op
from alembic.operations import BatchOperations
from sqlalchemy import Connection, text


def triggers_touching(conn: Connection, table_name: str) -> list[tuple[str, str]]:
    """(name, SQL) of every SQLite trigger defined on ``table_name`` or whose body names it, in
    the order they were created."""
    rows = conn.execute(text(
        "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' "
        "ORDER BY rowid")).all()
    named = re.compile(rf"(?<![\w$]){re.escape(table_name)}(?![\w$])", re.IGNORECASE)
    return [(name, sql) for name, table, sql in rows
            if table.lower() == table_name.lower() or named.search(sql)]


@contextmanager
def batch_alter_table_keeping_triggers(table_name: str,
                                       **kwargs: Any) -> Iterator[BatchOperations]:  # noqa: ANN401
    """``op.batch_alter_table(table_name, **kwargs)``; on SQLite the triggers on the table, and
    those elsewhere that name it, are dropped before the rebuild and created again after it from
    the SQL SQLite kept for them, so the schema ends with the same triggers it started with."""
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        with op.batch_alter_table(table_name, **kwargs) as batch_op:
            yield batch_op
        return
    triggers = triggers_touching(conn, table_name)
    # As the driver's SQL, not text(): a trigger's body may hold a colon.
    for name, _ in reversed(triggers):
        conn.exec_driver_sql(f'DROP TRIGGER IF EXISTS "{name}"')
    with op.batch_alter_table(table_name, **kwargs) as batch_op:
        yield batch_op
    for _, sql in triggers:
        conn.exec_driver_sql(sql)
