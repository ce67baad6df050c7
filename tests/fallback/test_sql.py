"""The fallback sweep's SQL against its pure rule: the WHERE the sweep reads must pick exactly the
ads rules.awaiting picks, on generated cases, and a pass must read the index of live Spark posts
by window end, not every ad held."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st
from sqlalchemy import Connection, and_, select, text

from sparkcodes.fallback import repository, rules, service
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import Ad, Authorization, SparkPost
from tests import factories as f
from tests.plans import plan
from tests.sql_rules import assert_sql_matches_rule, when

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
H = timedelta(hours=1)
TICK = timedelta(microseconds=1)

ends = st.sampled_from([NOW - 800 * 24 * H, NOW - TICK, NOW, NOW + TICK, NOW + 24 * H,
                        NOW + 48 * H - TICK, NOW + 48 * H, NOW + 48 * H + TICK,
                        NOW + 720 * H, NOW + 721 * H])
hours = st.sampled_from([1, 24, 48, 720])


def test_the_sweeps_where_matches_the_pure_rule(engine) -> None:  # type: ignore[no-untyped-def]
    def check(conn: Connection, end: datetime | None, queued: datetime | None,
              horizon_hours: int) -> None:
        where = repository.awaiting(window_end=when(end), queued_end=when(queued), now=NOW,
                                    horizon=NOW + horizon_hours * H)
        picked = conn.execute(select(and_(*where))).scalar()
        assert bool(picked) is rules.awaiting(end, queued, NOW, horizon_hours), (
            end, queued, horizon_hours)

    assert_sql_matches_rule(engine, check, end=st.none() | ends, queued=st.none() | ends,
                            horizon_hours=hours)


def test_a_pass_reads_the_index_of_live_windows_by_end(engine) -> None:  # type: ignore[no-untyped-def]
    stmt = (select(Ad.id).join(SparkPost, SparkPost.id == Ad.spark_post_id)
            .where(SparkPost.unbound_at.is_(None),
                   *repository.awaiting(window_end=SparkPost.window_end_at,
                                        queued_end=Ad.fallback_end, now=NOW,
                                        horizon=NOW + 48 * H)))
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # On a near-empty table PostgreSQL prices every index of live Spark posts alike;
            # give it the shape of a real one (ends spread over two years), then roll it back.
            with conn.begin() as tx:
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                conn.execute(text(
                    "INSERT INTO spark_posts (id, ad_account_id, post_id, identity_type, "
                    "bound_at, source, window_end_at) SELECT 'bench' || g, 'a' || g, 'p' || g, "
                    "'AUTH_CODE', now(), 'local', now() + (g - 5000) * interval '3 hours' "
                    "FROM generate_series(1, 10000) g"))
                conn.execute(text("ANALYZE spark_posts"))
                found = plan(conn, stmt, begin=False)
                tx.rollback()
        else:
            found = plan(conn, stmt)
        assert "ix_spark_posts_live_window_end" in found, found


def test_a_queued_ad_leaves_the_sweep_until_its_window_end_moves(client, app):  # type: ignore[no-untyped-def]
    run = f.Running(client)
    r = client.put(f"/v1/ad-groups/{run.ad_group['id']}/fallback-policy", headers=run.brand_h,
                   json={"action": "pause", "hours_before": 48})
    assert r.status_code == 200, r.text

    def candidates() -> list[str]:
        with app.state.db.unit_of_work() as s:
            now = utc_now()
            return [a.id for a in repository.candidates(s, now=now, horizon=now + 48 * H)]

    with app.state.db.unit_of_work() as s:
        a = s.get(Authorization, run.code["id"])
        assert a is not None
        a.expires_at = utc_now() + 30 * H
    assert candidates() == [run.ad["id"]]
    with app.state.db.unit_of_work() as s:
        assert service.sweep(s, settings=app.state.settings, now=utc_now()) == 1
    with app.state.db.unit_of_work(write=False) as s:
        ad, code = s.get(Ad, run.ad["id"]), s.get(Authorization, run.code["id"])
        assert ad is not None and code is not None and ad.fallback_end == code.expires_at
    assert candidates() == []  # queued: later passes do not read it
    with app.state.db.unit_of_work() as s:
        a = s.get(Authorization, run.code["id"])
        assert a is not None
        a.expires_at = utc_now() + 40 * H  # extended: the new end re-arms it
    assert candidates() == [run.ad["id"]]
