"""Reconnecting in place (docs/connector.md): linking the same advertiser again with a new token
after TikTok revoked the old one updates that connection, so the mirror keeps its rows (keyed by
the connection) instead of growing a second copy; two admins reconnecting at once make one."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import select

from sparkcodes import errors
from sparkcodes.connector import service
from sparkcodes.connector.tasks import DONE, STOPPED
from sparkcodes.models import AuditEvent, Business, TikTokConnection, User
from tests import factories as f
from tests.connector.test_connector import Admin, alerts, link
from tests.connector.test_sync import OnTikTok, do_sync, snapshot, tracker
from tests.integration._http import assert_error
from tests.tiktok_world import new_token, revoke


def _revoked(client, standin) -> tuple[OnTikTok, Admin, dict[str, Any]]:  # type: ignore[no-untyped-def]
    """A connection synced once, whose token TikTok then revoked (seen by the next sync)."""
    world = OnTikTok(standin, n=2)
    first = new_token(standin.client, world.brand.email)
    admin = Admin(client)
    made = f._ok(link(client, admin, standin, first["token"], [world.brand.advertiser_id]), 201)
    assert do_sync(client, made, world) == DONE
    revoke(standin.client, world.brand.headers, first["id"])
    assert do_sync(client, made, world) == STOPPED
    shown = f._ok(client.get(f"{admin.base}/{made['id']}", headers=admin.headers))
    assert shown["state"] == "token_revoked"
    return world, admin, made


def _connections(client) -> list[TikTokConnection]:  # type: ignore[no-untyped-def]
    with client.app.state.db.session() as session:
        return list(session.scalars(select(TikTokConnection)))


def test_a_new_token_reconnects_the_revoked_connection_in_place(client, standin):  # type: ignore[no-untyped-def]
    world, admin, made = _revoked(client, standin)
    before = snapshot(client)
    second = new_token(standin.client, world.brand.email)
    again = f._ok(link(client, admin, standin, second["token"], [world.brand.advertiser_id]),
                  201)
    assert again["id"] == made["id"] and again["state"] == "healthy"
    assert again["last_error_code"] is None
    [connection] = _connections(client)
    assert service.sealer(client.app.state.settings).open(
        connection.access_token_sealed) == second["token"]
    assert do_sync(client, made, world) == DONE
    after = snapshot(client)
    assert {t: [r[0] for r in rows] for t, rows in after.items()} == {
        t: [r[0] for r in rows] for t, rows in before.items()}  # the same rows, no new copy
    assert len(tracker(client, admin)) == 2
    with client.app.state.db.session() as session:
        assert session.scalars(select(AuditEvent.action).where(
            AuditEvent.action == "tiktok_connection.reconnected")).all() == [
            "tiktok_connection.reconnected"]
    # Broken again later, the admins are told again (once).
    revoke(standin.client, world.brand.headers, second["id"])
    assert do_sync(client, made, world) == STOPPED
    assert len(alerts(client, admin.business["id"])) == 2


def test_a_live_connection_is_not_reconnected_and_a_refused_token_changes_nothing(  # type: ignore[no-untyped-def]
        client, standin):
    world, admin, made = _revoked(client, standin)
    assert_error(link(client, admin, standin, "sct_not-a-token", [world.brand.advertiser_id]),
                 422, "tiktok_token_refused", "TikTok refused the access token")
    [connection] = _connections(client)
    assert connection.token_revoked_at is not None
    second = new_token(standin.client, world.brand.email)
    f._ok(link(client, admin, standin, second["token"], [world.brand.advertiser_id]), 201)
    third = new_token(standin.client, world.brand.email)
    assert_error(link(client, admin, standin, third["token"], [world.brand.advertiser_id]), 409,
                 "advertiser_already_linked", "already linked by another connection")
    assert len(_connections(client)) == 1


def test_two_admins_reconnecting_at_once_make_one_connection(client, standin):  # type: ignore[no-untyped-def]
    world, admin, made = _revoked(client, standin)
    tokens = [new_token(standin.client, world.brand.email)["token"] for _ in range(2)]
    db, settings = client.app.state.db, client.app.state.settings
    barrier = threading.Barrier(2)
    outcomes: list[Any] = []

    def reconnect(token: str) -> None:
        barrier.wait()
        try:
            with db.unit_of_work() as session:
                user = session.scalars(select(User).where(User.email == admin.email)).one()
                business = session.get(Business, admin.business["id"])
                assert business is not None
                done = service.link_by_token(session, settings=settings, user=user,
                                             business=business, base_url=standin.url,
                                             access_token=token,
                                             advertiser_ids=[world.brand.advertiser_id])
                outcomes.append(("ok", done.connection.id, token))
        except errors.AppError as exc:
            outcomes.append(("refused", exc.code, exc.message))

    threads = [threading.Thread(target=reconnect, args=(t,)) for t in tokens]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    [won] = [o for o in outcomes if o[0] == "ok"]
    [lost] = [o for o in outcomes if o[0] == "refused"]
    assert won[1] == made["id"]
    words = {"advertiser_already_linked": "already linked by another connection",
             "connection_changed_meanwhile": "reconnected or removed a moment ago"}
    assert lost[1] in words and words[lost[1]] in lost[2], lost
    [connection] = _connections(client)
    assert connection.token_revoked_at is None
    assert service.sealer(settings).open(connection.access_token_sealed) == won[2]


def test_a_reconnect_that_read_the_connection_before_another_made_it_changes_nothing(  # type: ignore[no-untyped-def]
        client, standin):
    """The interleaving PostgreSQL allows (both requests read "revoked", then both write): the
    second write finds the connection reconnected and refuses, in words."""
    world, admin, made = _revoked(client, standin)
    first, late = (new_token(standin.client, world.brand.email)["token"] for _ in range(2))
    f._ok(link(client, admin, standin, first, [world.brand.advertiser_id]), 201)
    settings = client.app.state.settings
    try:
        with client.app.state.db.unit_of_work() as session:
            connection = session.get(TikTokConnection, made["id"])
            user = session.scalars(select(User).where(User.email == admin.email)).one()
            service._reconnect(session, settings=settings, user=user, connection=connection,
                               token=late, names={world.brand.advertiser_id: "Glow"})
        raise AssertionError("the second reconnect was not refused")
    except errors.AppError as exc:
        assert (exc.code, exc.status) == ("connection_changed_meanwhile", 409)
        assert "reconnected or removed a moment ago, by someone else" in exc.message
    [connection] = _connections(client)
    assert service.sealer(settings).open(connection.access_token_sealed) == first
