"""The reminder sweep's SQL against its pure rule: the WHERE the sweep reads (on the columns of
its partial index) must pick exactly the codes rules.awaiting picks, on generated cases; a pass
must read that index; and a told code must leave it, an extension bring it back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st
from sqlalchemy import Connection, String, and_, literal, select

from sparkcodes.kit.clock import utc_now
from sparkcodes.models import Authorization
from sparkcodes.reminder import repository, rules
from sparkcodes.reminder import service as reminder_service
from tests import factories as f
from tests.plans import plan
from tests.sql_rules import assert_sql_matches_rule, when

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
TICK = timedelta(microseconds=1)

# Window ends around every boundary of the default offsets, and far in the past (never dropped).
ends = st.sampled_from([NOW - 800 * 24 * H, NOW - 8 * 24 * H, NOW - TICK, NOW, NOW + TICK,
                        NOW + 24 * H - TICK, NOW + 24 * H, NOW + 24 * H + TICK, NOW + 72 * H,
                        NOW + 72 * H + TICK, NOW + 40 * 24 * H])
offsets = st.sampled_from([[72, 24], [24], [], [48, 12, 1]])


def test_the_sweeps_where_matches_the_pure_rule(engine) -> None:  # type: ignore[no-untyped-def]
    def check(conn: Connection, end: datetime, told: datetime | None, bound: bool, deleted: bool,
              hours: list[int]) -> None:
        where = repository.awaiting(
            ad_account_id=literal("aa1" if bound else None, String()),
            deleted_at=when(NOW - H if deleted else None), reminded_end=when(told),
            expires_at=when(end), horizon=rules.horizon(NOW, hours))
        picked = conn.execute(select(and_(*where))).scalar()
        expected = rules.awaiting(end, told, bound=bound, deleted=deleted, now=NOW,
                                  offsets_hours=hours)
        assert bool(picked) is expected, (end, told, bound, deleted, hours)

    assert_sql_matches_rule(engine, check, end=ends, told=st.none() | ends, bound=st.booleans(),
                            deleted=st.booleans(), hours=offsets)


def test_a_pass_reads_the_index_of_what_is_due(engine) -> None:  # type: ignore[no-untyped-def]
    stmt = select(Authorization.id).where(*repository.awaiting(
        ad_account_id=Authorization.ad_account_id, deleted_at=Authorization.deleted_at,
        reminded_end=Authorization.reminded_end, expires_at=Authorization.expires_at,
        horizon=NOW))
    with engine.connect() as conn:
        assert "ix_authorizations_reminder_due" in plan(conn, stmt)


def test_a_told_code_leaves_the_sweep_until_an_extension_moves_its_end(client, app):  # type: ignore[no-untyped-def]
    run = f.Running(client)
    settings_ = app.state.settings

    def candidates() -> list[str]:
        with app.state.db.unit_of_work() as s:
            return [auth_id for auth_id, _ in repository.candidates(
                s, horizon=rules.horizon(utc_now(), settings_.reminders.offsets_hours))]

    with app.state.db.unit_of_work() as s:
        a = s.get(Authorization, run.code["id"])
        assert a is not None
        a.expires_at = utc_now() - 30 * 24 * H  # a month ago: late, never dropped
    assert candidates() == [run.code["id"]]
    with app.state.db.unit_of_work() as s:
        assert reminder_service.sweep(s, settings=settings_, now=utc_now()) == 1
    with app.state.db.unit_of_work(write=False) as s:
        a = s.get(Authorization, run.code["id"])
        assert a is not None and a.reminded_end == a.expires_at
    assert candidates() == []  # told: no longer read by any pass
    with app.state.db.unit_of_work() as s:
        a = s.get(Authorization, run.code["id"])
        assert a is not None
        a.expires_at = utc_now() + 10 * H  # extended: the new end's reminders are due
    assert candidates() == [run.code["id"]]
