"""The expiry-notice sweeps' SQL against the pure rule: the WHERE the sweep reads must pick
exactly the requests rules.awaits_notice picks, on generated cases (however long ago they
lapsed), and a pass of each kind must read its partial index of unnoticed requests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import strategies as st
from sqlalchemy import Connection, and_, select

from sparkcodes.code_request import repository as code_request_repository
from sparkcodes.renewal import repository as renewal_repository
from sparkcodes.request_flow import repository, rules
from tests.plans import plan
from tests.sql_rules import assert_sql_matches_rule, when

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TICK = timedelta(microseconds=1)
D = timedelta(days=1)

instants = st.sampled_from([NOW - 800 * D, NOW - 8 * D, NOW - TICK, NOW, NOW + TICK, NOW + 3 * D])
maybe = st.none() | instants
ttls = st.sampled_from([timedelta(0), 14 * D])


def test_the_sweeps_where_matches_the_pure_rule(engine) -> None:  # type: ignore[no-untyped-def]
    def check(conn: Connection, deadline: datetime, ttl: timedelta, answer: str | None,
              noticed: datetime | None) -> None:
        answered = {a: (NOW - D if a == answer else None)
                    for a in ("agreed", "declined", "withdrawn")}
        where = repository.notice_where(
            agreed_at=when(answered["agreed"]), declined_at=when(answered["declined"]),
            withdrawn_at=when(answered["withdrawn"]), noticed_at=when(noticed),
            deadline=when(deadline), ttl=ttl, now=NOW)
        picked = conn.execute(select(and_(*where))).scalar()
        timeline = rules.Timeline(deadline + ttl, agreed_at=answered["agreed"],
                                  declined_at=answered["declined"],
                                  withdrawn_at=answered["withdrawn"])
        assert bool(picked) is rules.awaits_notice(timeline, noticed, NOW), (
            deadline, ttl, answer, noticed)

    assert_sql_matches_rule(
        engine, check, deadline=instants, ttl=ttls,
        answer=st.sampled_from([None, "agreed", "declined", "withdrawn"]), noticed=maybe)


@pytest.mark.parametrize(("table", "index"), [
    pytest.param(code_request_repository.TABLE, "ix_code_requests_notice_due", id="code"),
    pytest.param(renewal_repository.TABLE, "ix_renewal_requests_notice_due", id="renewal"),
])
def test_a_pass_reads_the_index_of_unnoticed_requests(engine, table, index) -> None:  # type: ignore[no-untyped-def]
    stmt = (select(table.id).where(*repository.awaiting_notice(table, NOW))
            .order_by(table.deadline, table.id).limit(500))
    with engine.connect() as conn:
        assert index in plan(conn, stmt)
