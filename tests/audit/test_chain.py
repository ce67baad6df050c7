"""The audit chain on the real database: every committed row is linked in commit order, a
rolled-back one never is, UPDATE and DELETE are refused, and every kind of tampering in SQL is
named at its first broken link (content changed, backdated, row missing, inserted, reordered,
an unknown key); concurrent appenders never fork the chain."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
from fastapi import FastAPI
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from sparkcodes.audit import rules, service
from sparkcodes.kit import chain
from sparkcodes.models import AuditChainHead, AuditEvent
from tests.audit.chaintools import append, broken_on_purpose, links, tamper, verify


def test_an_untouched_chain_verifies_and_links_rows_in_commit_order(app: FastAPI) -> None:
    ids = append(app, 5, business_id="b1")
    result = verify(app)
    assert result.intact and result.checked == 5 and result.head_seq == 5
    chained = links(app)
    assert [link.event_id for link in chained] == ids
    assert [link.seq for link in chained] == [1, 2, 3, 4, 5]
    assert chained[0].prev_hash == chain.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(chained, chained[1:], strict=False))
    assert result.head_hash == chained[-1].hash
    assert {link.business_id for link in chained} == {"b1"}


def test_an_empty_log_verifies(app: FastAPI) -> None:
    result = verify(app)
    assert result.intact and result.checked == 0


def test_rows_of_one_transaction_are_linked_in_the_order_recorded(app: FastAPI) -> None:
    with app.state.db.unit_of_work() as session:
        ids = [service.record(session, actor_id=None, action=f"thing.step{i}",
                              target_type="thing", target_id="t").id for i in range(3)]
    assert [link.event_id for link in links(app)] == ids
    assert verify(app).intact


@pytest.mark.parametrize("at_once", [1, 2, 64])
def test_a_transaction_of_many_rows_is_linked_in_one_or_two_statements(
        app: FastAPI, monkeypatch: pytest.MonkeyPatch, at_once: int) -> None:
    """On PostgreSQL the links and the head's new hash are one statement for up to
    APPEND_AT_ONCE links, two past it (SQLite always takes two): both chain the same way."""
    from sparkcodes.audit import repository

    monkeypatch.setattr(repository, "APPEND_AT_ONCE", at_once)
    first = append(app, 1)
    with app.state.db.unit_of_work() as session:
        ids = [service.record(session, actor_id=None, action=f"thing.step{i}",
                              target_type="thing", target_id="t", business_id=f"b{i % 2}").id
               for i in range(5)]
    chained = links(app)
    assert [link.event_id for link in chained] == [*first, *ids]
    assert [link.business_id for link in chained[1:]] == ["b0", "b1", "b0", "b1", "b0"]
    result = verify(app)
    assert result.intact and result.head_seq == 6 and result.head_hash == chained[-1].hash


@pytest.mark.parametrize("count", [1, 3, 70])
def test_links_are_refused_when_the_head_moved_meanwhile(app: FastAPI, count: int) -> None:
    """The head's seq guard: links made for a head another appender has moved are refused
    whole, on the one-statement path and the two-statement one."""
    from sparkcodes.audit import repository

    first = append(app, 1)
    with app.state.db.unit_of_work() as session:
        rows = [service.record(session, actor_id=None, action="thing.late", target_type="thing",
                               target_id="t") for _ in range(count)]
        session.flush()
        seq, prev = repository.advance_head(session, 0)
        stale = [{"seq": seq + 1 + i, "event_id": row.id, "prev_hash": prev,
                  "hash": f"{i:064x}", "key_id": "k", "business_id": None}
                 for i, row in enumerate(rows)]
        with pytest.raises(RuntimeError, match="the audit chain head moved while this "
                                               "transaction held it"):
            repository.append_links(session, stale, seq=seq + 1, hash_="0" * 64)
        session.rollback()
    assert [link.event_id for link in links(app)] == first
    assert verify(app).intact


def test_a_row_undone_by_a_savepoint_or_a_rollback_is_never_linked(app: FastAPI) -> None:
    with app.state.db.unit_of_work() as session:
        kept = service.record(session, actor_id=None, action="thing.kept", target_type="thing",
                              target_id="t").id
        with pytest.raises(RuntimeError), session.begin_nested():
            service.record(session, actor_id=None, action="thing.undone", target_type="thing",
                           target_id="t")
            raise RuntimeError("refused")
        with pytest.raises(RuntimeError), session.begin_nested():
            service.record(session, actor_id=None, action="thing.written_then_undone",
                           target_type="thing", target_id="t")
            session.flush()  # in the database, then undone with the savepoint
            raise RuntimeError("refused")
        with session.begin_nested():
            released = service.record(session, actor_id=None, action="thing.released",
                                      target_type="thing", target_id="t",
                                      after={"n": 1.5, "at": "x"}).id
            session.flush()
    with pytest.raises(RuntimeError), app.state.db.unit_of_work() as session:
        service.record(session, actor_id=None, action="thing.rolled_back", target_type="thing",
                       target_id="t")
        raise RuntimeError("refused")
    assert [link.event_id for link in links(app)] == [kept, released]
    later = append(app)
    assert [link.event_id for link in links(app)] == [kept, released, *later]
    assert verify(app).intact


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET action = 'thing.forged'",
    "UPDATE audit_events SET occurred_at = occurred_at",
    "DELETE FROM audit_events",
    "UPDATE audit_links SET hash = prev_hash",
    "DELETE FROM audit_links",
])
def test_update_and_delete_of_audit_rows_are_refused_in_sql(app: FastAPI,
                                                            statement: str) -> None:
    append(app, 2)
    with pytest.raises(DBAPIError) as refused, app.state.db.engine.begin() as conn:
        conn.execute(text(statement))
    assert "append-only" in str(refused.value)
    if app.state.db.engine.dialect.name == "postgresql":
        assert refused.value.orig.sqlstate == "42501"  # insufficient_privilege
    assert verify(app).intact and verify(app).checked == 2


def test_truncate_of_audit_rows_is_refused_on_postgresql(app: FastAPI) -> None:
    if app.state.db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no TRUNCATE (a DELETE is refused above)")
    append(app, 1)
    for table in ("audit_links", "audit_events"):
        with pytest.raises(DBAPIError, match="append-only"), app.state.db.engine.begin() as c:
            c.execute(text(f"TRUNCATE {table} CASCADE"))
    assert verify(app).checked == 1


def _broken(app: FastAPI) -> rules.Break:
    result = verify(app)
    assert result.broken is not None, "the tampering went unnoticed"
    return result.broken


def test_changed_content_is_named_at_its_row(app: FastAPI) -> None:
    ids = append(app, 5, business_id="b1")
    tamper(app, ("UPDATE audit_events SET details = :d WHERE id = :id",
                 {"d": '{"after": {"n": 99}}', "id": ids[2]}))
    broken = _broken(app)
    assert (broken.kind, broken.event_id, broken.seq) == (rules.CONTENT_CHANGED, ids[2], 3)
    assert broken.business_ids == {"b1"}
    assert broken.message == (f"content changed at row {ids[2]}, position 3: its content no "
                              "longer matches its hash (changed, or backdated, after it was "
                              "written)")
    assert verify(app).checked == 2


@pytest.mark.parametrize("column", ["action", "actor_id", "target_id", "business_id",
                                    "creator_id", "request_id"])
def test_each_column_is_covered(app: FastAPI, column: str) -> None:
    ids = append(app, 2)
    tamper(app, (f"UPDATE audit_events SET {column} = 'x' WHERE id = :id", {"id": ids[1]}))
    assert (_broken(app).kind, _broken(app).event_id) == (rules.CONTENT_CHANGED, ids[1])


def test_a_backdated_row_is_named(app: FastAPI) -> None:
    ids = append(app, 3)
    tamper(app, ("UPDATE audit_events SET occurred_at = :when WHERE id = :id",
                 {"when": datetime(2020, 1, 1, tzinfo=UTC) if _pg(app) else "2020-01-01 00:00:00",
                  "id": ids[1]}))
    broken = _broken(app)
    assert (broken.kind, broken.event_id, broken.seq) == (rules.CONTENT_CHANGED, ids[1], 2)


def test_a_deleted_row_is_named_by_the_row_after_it(app: FastAPI) -> None:
    ids = append(app, 4, business_id="b1")
    tamper(app, ("DELETE FROM audit_links WHERE event_id = :id", {"id": ids[1]}),
           ("DELETE FROM audit_events WHERE id = :id", {"id": ids[1]}))
    broken = _broken(app)
    assert (broken.kind, broken.event_id, broken.seq) == (rules.ROW_MISSING, ids[2], 3)
    assert broken.detail == "position 2 is gone from the chain just before this row"


def test_a_deleted_row_whose_link_stays_is_named(app: FastAPI) -> None:
    ids = append(app, 3, business_id="b1")
    tamper(app, ("DELETE FROM audit_events WHERE id = :id", {"id": ids[1]}))
    broken = _broken(app)
    assert (broken.kind, broken.event_id, broken.seq) == (rules.ROW_MISSING, ids[1], 2)
    assert broken.detail == "the audit row this link seals is gone"
    assert broken.business_ids == {"b1"}  # told from the link, though the row is gone


def test_a_deleted_row_with_the_chain_renumbered_is_named(app: FastAPI) -> None:
    ids = append(app, 4)
    tamper(app, ("DELETE FROM audit_links WHERE event_id = :id", {"id": ids[1]}),
           ("DELETE FROM audit_events WHERE id = :id", {"id": ids[1]}),
           "UPDATE audit_links SET seq = seq - 1 WHERE seq = 3",
           "UPDATE audit_links SET seq = seq - 1 WHERE seq = 4",
           "UPDATE audit_chain SET seq = 3")
    broken = _broken(app)
    assert (broken.kind, broken.event_id, broken.seq) == (rules.ROW_MISSING, ids[2], 2)
    assert broken.detail == "the row it was chained after is gone"


def test_the_last_rows_deleted_are_found_from_the_head(app: FastAPI) -> None:
    ids = append(app, 3)
    tamper(app, ("DELETE FROM audit_links WHERE event_id = :id", {"id": ids[2]}),
           ("DELETE FROM audit_events WHERE id = :id", {"id": ids[2]}))
    broken = _broken(app)
    assert (broken.kind, broken.event_id, broken.seq) == (rules.ROW_MISSING, None, 3)
    assert "the last 1 row(s) are gone" in broken.detail


def test_the_last_rows_deleted_with_the_head_rewound_go_unnoticed(app: FastAPI) -> None:
    """The limit of a chain kept in the same database (docs/security.md): whoever can rewrite the
    head can cut the tail. Only a head recorded elsewhere would show it."""
    ids = append(app, 3)
    second = links(app)[1]
    tamper(app, ("DELETE FROM audit_links WHERE event_id = :id", {"id": ids[2]}),
           ("DELETE FROM audit_events WHERE id = :id", {"id": ids[2]}),
           ("UPDATE audit_chain SET seq = 2, hash = :h", {"h": second.hash}))
    assert verify(app).intact


def _forged_event(event_id: str, business_id: str = "b2") -> tuple[str, dict[str, object]]:
    return ("INSERT INTO audit_events (id, occurred_at, action, target_type, target_id, "
            "business_id, details) VALUES (:id, CURRENT_TIMESTAMP, 'thing.forged', 'thing', 't', "
            ":b, '{}')", {"id": event_id, "b": business_id})


def test_a_row_written_around_the_chain_is_named(app: FastAPI) -> None:
    append(app, 2)
    tamper(app, _forged_event("f" * 32))
    broken = _broken(app)
    assert (broken.kind, broken.event_id, broken.seq) == (rules.ROW_INSERTED, "f" * 32, None)
    assert broken.business_ids == {"b2"}


def test_a_forged_link_past_the_head_is_named(app: FastAPI) -> None:
    append(app, 2)
    last = links(app)[-1]
    tamper(app, _forged_event("f" * 32),
           ("INSERT INTO audit_links (seq, event_id, prev_hash, hash, key_id) VALUES "
            "(3, :e, :p, :h, :k)", {"e": "f" * 32, "p": last.hash, "h": "a" * 64,
                                    "k": last.key_id}))
    broken = _broken(app)
    assert (broken.kind, broken.event_id, broken.seq) == (rules.ROW_INSERTED, "f" * 32, 3)


def test_a_forged_link_appended_with_the_head_moved_is_named(app: FastAPI) -> None:
    append(app, 2)
    last = links(app)[-1]
    tamper(app, _forged_event("f" * 32),
           ("INSERT INTO audit_links (seq, event_id, prev_hash, hash, key_id) VALUES "
            "(3, :e, :p, :h, :k)", {"e": "f" * 32, "p": last.hash, "h": "a" * 64,
                                    "k": last.key_id}),
           ("UPDATE audit_chain SET seq = 3, hash = :h", {"h": "a" * 64}))
    broken = _broken(app)
    # Nothing follows it and the head names it: it cannot be told from a changed last row.
    assert (broken.kind, broken.event_id, broken.seq) == (rules.CONTENT_CHANGED, "f" * 32, 3)


def test_a_row_put_in_the_middle_is_named(app: FastAPI) -> None:
    ids = append(app, 3)
    first = links(app)[0]
    tamper(app, "UPDATE audit_links SET seq = 4 WHERE seq = 3",
           "UPDATE audit_links SET seq = 3 WHERE seq = 2",
           _forged_event("f" * 32),
           ("INSERT INTO audit_links (seq, event_id, prev_hash, hash, key_id) VALUES "
            "(2, :e, :p, :h, :k)", {"e": "f" * 32, "p": first.hash, "h": "b" * 64,
                                    "k": first.key_id}),
           "UPDATE audit_chain SET seq = 4")
    broken = _broken(app)
    assert (broken.kind, broken.event_id, broken.seq) == (rules.ROW_INSERTED, "f" * 32, 2)
    assert ids[1] not in broken.message


def test_rows_swapped_are_named_as_reordered(app: FastAPI) -> None:
    ids = append(app, 4)
    tamper(app, "UPDATE audit_links SET seq = 99 WHERE seq = 2",
           "UPDATE audit_links SET seq = 2 WHERE seq = 3",
           "UPDATE audit_links SET seq = 3 WHERE seq = 99")
    broken = _broken(app)
    assert (broken.kind, broken.event_id, broken.seq) == (rules.ORDER_CHANGED, ids[2], 2)
    assert broken.detail == (f"it was chained after row {ids[1]} (position 3), not after the "
                             "row now before it: rows were reordered")


def test_a_changed_head_is_named(app: FastAPI) -> None:
    append(app, 2)
    tamper(app, ("UPDATE audit_chain SET hash = :h", {"h": "c" * 64}))
    broken = _broken(app)
    assert (broken.kind, broken.seq) == (rules.HEAD_CHANGED, 2)


def test_a_removed_head_is_named(app: FastAPI) -> None:
    ids = append(app, 2)
    tamper(app, "DELETE FROM audit_chain")
    broken = _broken(app)
    assert (broken.kind, broken.event_id, broken.seq) == (rules.HEAD_CHANGED, ids[0], 1)


def test_old_links_verify_under_a_previous_key_and_not_without_it(app: FastAPI) -> None:
    settings = app.state.settings
    broken_on_purpose(app)  # links under a key the harness's settings do not list
    old_ids = append(app, 2)
    rotated = settings.model_copy(update={"secret_key": "rotated-key",
                                          "previous_secret_keys": [settings.secret_key]})
    app.state.db.settings = rotated
    for maker in (app.state.db._writer, app.state.db._reader):
        maker.kw["info"] = {"settings": rotated}
    try:
        new_ids = append(app, 2)
    finally:
        app.state.db.settings = settings
        for maker in (app.state.db._writer, app.state.db._reader):
            maker.kw["info"] = {"settings": settings}
    chained = links(app)
    assert [link.event_id for link in chained] == old_ids + new_ids
    assert chained[0].key_id == chained[1].key_id != chained[2].key_id == chained[3].key_id
    assert chained[2].key_id == chain.derive("rotated-key").key_id
    assert verify(app, secret_key="rotated-key",
                  previous_keys=[settings.secret_key]).intact
    broken = verify(app, secret_key="rotated-key").broken
    assert broken is not None
    assert (broken.kind, broken.event_id, broken.seq) == (rules.UNKNOWN_KEY, old_ids[0], 1)
    assert "SPARKCODES_PREVIOUS_SECRET_KEYS" in broken.detail


def test_a_wrong_key_cannot_vouch_for_the_chain(app: FastAPI) -> None:
    append(app, 1)
    broken = verify(app, secret_key="someone-else").broken
    assert broken is not None and broken.kind == rules.UNKNOWN_KEY


def test_concurrent_appenders_never_fork_the_chain(app: FastAPI) -> None:
    writers, each = 12, 5
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(each):
                with app.state.db.unit_of_work() as session:
                    for j in range(2):  # two rows per transaction: they stay adjacent
                        service.record(session, actor_id=None, action=f"race.w{n}",
                                       target_type="thing", target_id=f"{n}-{i}-{j}")
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    result = verify(app)
    assert result.intact, result.broken
    assert result.checked == result.head_seq == writers * each * 2
    chained = links(app)
    assert [link.seq for link in chained] == list(range(1, writers * each * 2 + 1))
    with app.state.db.unit_of_work(write=False) as session:
        targets = dict(session.execute(select(AuditEvent.id, AuditEvent.target_id)).all())
        head = session.scalars(select(AuditChainHead)).one()
    assert head.seq == len(chained) and head.hash == chained[-1].hash
    pairs = [targets[link.event_id] for link in chained]
    assert all(a[:-1] == b[:-1] for a, b in zip(pairs[::2], pairs[1::2], strict=True))


def test_concurrent_appenders_from_deferred_transactions_never_fork_the_chain(
        app: FastAPI) -> None:
    """Sessions opened for reading that write anyway (BEGIN, not BEGIN IMMEDIATE, on SQLite):
    a stale one fails rather than forks; whatever commits is chained."""
    writers = 8
    barrier = threading.Barrier(writers)
    committed: list[str] = []
    lock = threading.Lock()

    def write(n: int) -> None:
        barrier.wait()
        for i in range(4):
            try:
                with app.state.db.unit_of_work(write=False) as session:
                    session.execute(select(AuditEvent.id).limit(1)).all()  # snapshot taken
                    event_id = service.record(session, actor_id=None, action="race.read",
                                              target_type="thing", target_id=f"{n}-{i}").id
            except DBAPIError:
                continue
            with lock:
                committed.append(event_id)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = verify(app)
    assert result.intact, result.broken
    assert committed and sorted(link.event_id for link in links(app)) == sorted(committed)


def _pg(app: FastAPI) -> bool:
    return bool(app.state.db.engine.dialect.name == "postgresql")


def test_progress_is_reported_after_each_batch(app: FastAPI) -> None:
    append(app, 5)
    seen: list[tuple[int, int]] = []
    with app.state.db.unit_of_work(write=False) as session:
        result = service.verify(session, service.keyring(app.state.settings), batch=2,
                                on_progress=lambda done, total: seen.append((done, total)))
    assert result.intact
    assert seen == [(2, 5), (4, 5), (5, 5)]
