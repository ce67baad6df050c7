"""SQLite admits one writer at a time: inside one process sparkcodes queues its writers and
serves them in arrival order (db.writer_queue, kit/fairlock.py), instead of leaving them to
retry in SQLite's busy handler, where whoever retries just after a commit wins. The turn is
given back however the transaction ends."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from sparkcodes.db import Database, writer_queue

WAIT = 20.0


@pytest.fixture
def database(backend, tmp_path):  # type: ignore[no-untyped-def]
    if backend.name != "sqlite":
        pytest.skip("PostgreSQL writers do not exclude each other: there is no queue to test")
    database = Database(backend.settings(database_url=f"sqlite:///{tmp_path / 'writers.db'}",
                                         db_pool_size=40))
    with database.engine.begin() as conn:
        conn.execute(text("CREATE TABLE served (n INTEGER NOT NULL)"))
    yield database
    database.dispose()


def _until(predicate, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + WAIT
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.002)


def _served(database: Database) -> list[int]:
    with database.unit_of_work(write=False) as s:
        return list(s.scalars(text("SELECT n FROM served ORDER BY rowid")))


def test_waiting_writers_commit_in_the_order_they_came(database: Database) -> None:
    queue = writer_queue(database.engine)
    assert queue is not None
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            with database.unit_of_work() as s:
                s.execute(text("INSERT INTO served (n) VALUES (:n)"), {"n": n})
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)

    holder = database.session()
    holder.execute(text("INSERT INTO served (n) VALUES (-1)"))  # holds the write turn
    threads = []
    for n in range(16):
        t = threading.Thread(target=write, args=(n,))
        t.start()
        threads.append(t)
        _until(lambda k=n + 1: queue.waiting == k, f"writer {n} to queue")
    holder.commit()
    holder.close()
    for t in threads:
        t.join(WAIT)
    assert errors == []
    assert _served(database) == [-1, *range(16)]


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_the_turn_is_given_back_however_the_transaction_ends(database: Database,
                                                             end: str) -> None:
    queue = writer_queue(database.engine)
    assert queue is not None
    session = database.session()
    session.execute(text("INSERT INTO served (n) VALUES (1)"))
    assert not queue.acquire(0)  # held by the open transaction
    if end == "commit":
        session.commit()
    elif end == "rollback":
        session.rollback()
    else:
        session.close()  # the pool rolls the connection back as it takes it in
    session.close()
    assert queue.acquire(0), "the turn was not given back"
    queue.release()
    assert _served(database) == ([1] if end == "commit" else [])


def test_a_unit_of_work_that_raises_gives_the_turn_back(database: Database) -> None:
    queue = writer_queue(database.engine)
    assert queue is not None
    with pytest.raises(ZeroDivisionError), database.unit_of_work() as s:
        s.execute(text("INSERT INTO served (n) VALUES (2)"))
        assert not queue.acquire(0)
        raise ZeroDivisionError
    assert queue.acquire(0), "the turn was not given back"
    queue.release()
    assert _served(database) == []


def test_readers_do_not_queue(database: Database) -> None:
    queue = writer_queue(database.engine)
    assert queue is not None
    writer = database.session()
    writer.execute(text("INSERT INTO served (n) VALUES (1)"))
    assert _served(database) == []  # a reader reads while a writer holds the turn
    writer.commit()
    writer.close()
