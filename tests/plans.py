"""What the database plans for a statement: the sweeps' tests assert that a pass reads the partial
index of what is due, not the table of what is held."""

from __future__ import annotations

from sqlalchemy import ClauseElement, Connection, text


def plan(conn: Connection, stmt: ClauseElement, *, begin: bool = True) -> str:
    """The query plan of ``stmt`` as text. On PostgreSQL with sequential scans priced out, so that
    a test on a near-empty table sees the index the planner would take on a large one (in a
    transaction of its own unless ``begin`` is False: the caller's is open)."""
    sql = str(stmt.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "postgresql":
        if begin:
            with conn.begin():
                return plan(conn, stmt, begin=False)
        conn.execute(text("SET LOCAL enable_seqscan = off"))
        return "\n".join(r[0] for r in conn.exec_driver_sql(f"EXPLAIN {sql}"))
    return "\n".join(str(r[-1]) for r in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
