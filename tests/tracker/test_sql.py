"""The tracker's SQL against its pure rules: the status CASE and the window end evaluated by the
database on generated states must equal spark_post.rules, and the window end the database keeps
on spark_posts must follow binds and extensions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, String, literal, select, text

from sparkcodes.authorization.rules import CodeState, CreatorState, PostState
from sparkcodes.kit.types import UTCDateTime
from sparkcodes.spark_post import rules as spark_rules
from sparkcodes.tracker import repository
from sparkcodes.tracker import rules as tracker_rules
from tests import factories as f
from tests.sql_rules import assert_sql_matches_rule, when

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)

# Instants around now, including now itself: the rules compare with <= now.
instants = st.sampled_from([NOW - timedelta(days=2), NOW - timedelta(microseconds=1), NOW,
                            NOW + timedelta(microseconds=1), NOW + timedelta(hours=5),
                            NOW + timedelta(days=40)])
maybe = st.none() | instants
codes = st.none() | st.builds(CodeState, expires_at=instants, deleted_at=maybe)
posts = st.builds(PostState, deleted_at=maybe, taken_down_at=maybe)
creators = st.builds(CreatorState, region=st.just("US"), ad_settings_enabled_at=maybe)


@st.composite
def states(draw: Any) -> tuple[spark_rules.SparkPostState, bool]:  # noqa: ANN401
    original = draw(st.booleans())
    state = spark_rules.SparkPostState(
        identity_type=draw(st.sampled_from(["AUTH_CODE", "TT_USER"])),
        code=draw(codes), original_code=draw(codes), post=draw(posts), creator=draw(creators),
        identity_linked=draw(st.booleans()),
        original_post=draw(posts) if original else None,
        original_creator=draw(creators) if original else None)
    return state, draw(st.booleans())


def _columns(state: spark_rules.SparkPostState, unbound: bool) -> repository.StateColumns:
    code, original_code = state.code, state.original_code
    return repository.StateColumns(
        unbound_at=when(NOW - timedelta(days=1) if unbound else None),
        identity_type=literal(state.identity_type),
        code_id=literal("c1" if code else None, String()),
        code_expires_at=when(code.expires_at if code else None),
        code_deleted_at=when(code.deleted_at if code else None),
        original_code_expires_at=when(original_code.expires_at if original_code else None),
        original_code_deleted_at=when(original_code.deleted_at if original_code else None),
        post_deleted_at=when(state.post.deleted_at),
        post_taken_down_at=when(state.post.taken_down_at),
        original_post_id=literal("p0" if state.original_post else None, String()),
        original_post_deleted_at=when(state.original_post.deleted_at
                                       if state.original_post else None),
        original_post_taken_down_at=when(state.original_post.taken_down_at
                                          if state.original_post else None),
        creator_ad_settings_enabled_at=when(state.creator.ad_settings_enabled_at),
        original_creator_ad_settings_enabled_at=when(
            state.original_creator.ad_settings_enabled_at if state.original_creator else None),
        identity_linked=literal(state.identity_linked),
    )


def test_status_and_window_end_in_sql_match_the_pure_rules(engine) -> None:  # type: ignore[no-untyped-def]
    def check(conn: Connection, case: tuple[spark_rules.SparkPostState, bool]) -> None:
        state, unbound = case
        cols = _columns(state, unbound)
        status, end = conn.execute(select(
            repository.status_sql(cols, NOW),
            repository.window_end_sql(cols.code_expires_at,
                                      cols.original_code_expires_at))).one()
        expected = tracker_rules.UNBOUND if unbound else spark_rules.status_at(state, NOW)
        assert status == expected, (state, unbound)
        assert end == spark_rules.window_end(state), state

    assert_sql_matches_rule(engine, check, case=states())


def _window_end_at(engine, spark_post_id: str) -> datetime | None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(text("SELECT window_end_at FROM spark_posts WHERE id = :i")
                            .columns(window_end_at=UTCDateTime()), {"i": spark_post_id}).scalar()


def _ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def test_the_kept_window_end_follows_binds_and_extensions(client, engine):  # type: ignore[no-untyped-def]
    w = f.World(client)
    spark_post_id = f.spark_post_id(client, w.brand_h, w.account["id"], w.code["code"])
    assert _window_end_at(engine, spark_post_id) == _ts(w.code["expires_at"])
    r = client.post(f"/v1/authorizations/{w.code['id']}/extend", headers=w.creator_h,
                    json={"days": 7})
    assert r.status_code == 200, r.text
    assert _window_end_at(engine, spark_post_id) == _ts(r.json()["expires_at"])
    with engine.connect() as conn:
        business_id = conn.execute(text("SELECT business_id FROM spark_posts WHERE id = :i"),
                                   {"i": spark_post_id}).scalar()
    assert business_id == w.business["id"]


def _handle_key(engine, spark_post_id: str) -> str | None:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return conn.execute(text("SELECT creator_handle_key FROM spark_posts WHERE id = :i"),
                            {"i": spark_post_id}).scalar()


def test_the_kept_handle_follows_binds_renames_and_moved_posts(client, engine):  # type: ignore[no-untyped-def]
    """spark_posts.creator_handle_key (the creator sort's index) is the post's creator's
    handle_key after a bind, a rename (as the TikTok mirror's sync writes it) and a post moved
    to another creator."""
    w = f.World(client)
    spark_post_id = f.spark_post_id(client, w.brand_h, w.account["id"], w.code["code"])
    assert _handle_key(engine, spark_post_id) == w.creator["handle"].lower()
    other_h = f.user(client)
    other = f.creator(client, other_h, handle="Zoe.Makes")
    with engine.begin() as conn:
        conn.execute(text("UPDATE creators SET handle = 'Maya.Renamed', "
                          "handle_key = 'maya.renamed' WHERE id = :i"), {"i": w.creator["id"]})
    assert _handle_key(engine, spark_post_id) == "maya.renamed"
    with engine.begin() as conn:
        conn.execute(text("UPDATE posts SET creator_id = :c WHERE id = :p"),
                     {"c": other["id"], "p": w.post["id"]})
    assert _handle_key(engine, spark_post_id) == "zoe.makes"


@given(states())
@settings(max_examples=500, deadline=None)
def test_the_window_a_status_implies_holds_for_every_state(case: tuple[
        spark_rules.SparkPostState, bool]) -> None:
    """tracker.rules.window_implied lets a status filter read only an index range of window ends:
    every bound Spark post with one of the RUNNING_WINDOW statuses has a running window (or
    none), and every AUTHORIZATION_EXPIRED one a window that ended. An own post (TT_USER) holds
    no code."""
    state, _ = case
    assume(state.identity_type == "AUTH_CODE" or (state.code is None
                                                  and state.original_code is None))
    status, end = spark_rules.status_at(state, NOW), spark_rules.window_end(state)
    implied = tracker_rules.window_implied(frozenset({status}))
    if implied == tracker_rules.RUNNING:
        assert end is None or end > NOW, (state, status, end)
    elif implied == tracker_rules.ENDED:
        assert end is not None and end <= NOW, (state, status, end)


@pytest.mark.parametrize(("statuses", "implied"), [
    (None, None),
    (frozenset({"AUTHORIZED"}), tracker_rules.RUNNING),
    (frozenset({"AUTHORIZED", "POST_UNAVAILABLE", "ACCOUNT_AD_SETTINGS_OFF",
                "IDENTITY_UNLINKED"}), tracker_rules.RUNNING),
    (frozenset({"AUTHORIZATION_EXPIRED"}), tracker_rules.ENDED),
    (frozenset({"AUTHORIZATION_EXPIRED", "AUTHORIZED"}), None),
    (frozenset({"AUTHORIZATION_DELETED"}), None),
    (frozenset({"UNBOUND"}), None),
    (frozenset({"AUTHORIZED", "UNBOUND"}), None),
])
def test_window_implied(statuses: frozenset[str] | None, implied: str | None) -> None:
    assert tracker_rules.window_implied(statuses) == implied
