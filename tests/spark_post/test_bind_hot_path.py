"""The cheap bind path (no savepoint for one fresh code) and read-only previews, on every
database."""

from __future__ import annotations

import sqlite3

from sqlalchemy import event, func, select, update

from sparkcodes.ad_account import repository as ad_account_repository
from sparkcodes.authorization import repository as authorization_repository
from sparkcodes.authorization.rules import has_room
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import AdAccount, AuditEvent, Authorization, SparkPost
from sparkcodes.spark_post import repository as spark_post_repository
from tests import factories as f
from tests.integration._http import bound_item, preview, spark_posts


def _count(app, stmt) -> int:  # type: ignore[no-untyped-def]
    with app.state.db.unit_of_work(write=False) as session:
        return session.scalar(stmt) or 0


def test_a_claim_refused_after_the_insert_leaves_nothing_behind(client, app, monkeypatch):
    """The fresh-code path inserts the Spark post first and claims the code second; when the
    claim loses (as to a concurrent ad account), the row just inserted goes too."""
    w = f.World(client)
    monkeypatch.setattr(authorization_repository, "bind", lambda *a, **k: None)
    r = f.bind(client, w.brand_h, w.account["id"], [w.code["code"]])
    assert r.status_code == 200, r.text
    (item,) = r.json()["results"]
    assert not item["ok"] and item["error"]["code"] == "code_used_elsewhere"
    assert _count(app, select(func.count()).select_from(SparkPost)) == 0
    assert _count(app, select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action.in_(("spark_post.bound", "authorization.bound")))) == 0
    assert _count(app, select(func.count()).select_from(Authorization).where(
        Authorization.ad_account_id.is_not(None))) == 0

    monkeypatch.undo()
    item = f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]).json()["results"][0]
    assert item["ok"] and item["created"], item
    assert len(spark_posts(client, w.brand_h, w.account["id"])) == 1


def test_bind_response_is_built_without_reading_the_rows_again(client, app):
    """One fresh code: no savepoint, no SELECT of posts, creators or ads after the writes."""
    w = f.World(client)
    statements: list[str] = []

    def record(conn, cursor, statement, *_):  # type: ignore[no-untyped-def]
        if " jobs" not in statement:  # an embedded worker's polling is not the request's
            statements.append(statement.split()[0].upper() + " " + statement)

    event.listen(app.state.db.engine, "before_cursor_execute", record)
    try:
        r = f.bind(client, w.brand_h, w.account["id"], [w.code["code"]])
    finally:
        event.remove(app.state.db.engine, "before_cursor_execute", record)
    item = r.json()["results"][0]
    assert item["ok"] and item["created"]
    assert item["spark_post"]["post"]["id"] == w.post["id"]
    assert item["spark_post"]["creator"]["id"] == w.creator["id"]
    assert item["spark_post"]["code_hint"] and item["spark_post"]["ads_text"] == "No ads yet."
    assert not [s for s in statements if "SAVEPOINT" in s]
    last_write = max(i for i, s in enumerate(statements) if s.startswith(("INSERT", "UPDATE")))
    assert not [s for s in statements[last_write:] if s.startswith("SELECT")]


def test_a_preview_takes_no_write_lock_on_sqlite(client, app, backend):
    """A preview only reads: it answers while another connection holds SQLite's write lock."""
    if backend.name != "sqlite":
        return
    w = f.World(client)
    other = sqlite3.connect(app.state.db.engine.url.database, timeout=0.1,
                            isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        r = preview(client, w.brand_h, w.account["id"], w.code["code"])
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert r.status_code == 200, r.text
    assert r.json()["eligible"] is True


def test_insert_active_and_claim_return_the_rows_they_wrote(client, app):
    """INSERT ... ON CONFLICT DO NOTHING on the live-Spark-post index gives the row or None, and
    the claim's RETURNING refreshes the session's object: what the bind response is built from."""
    w = f.World(client)
    session = app.state.db.session(write=True)
    try:
        code = session.get(Authorization, w.code["id"])
        assert code is not None and code.ad_account_id is None
        values = dict(ad_account_id=w.account["id"], post_id=w.post["id"],
                      identity_type="AUTH_CODE", authorization_id=code.id,
                      original_authorization_id=None, bound_by_id=code.created_by_id,
                      bound_at=utc_now())
        first = spark_post_repository.insert_active(session, **values)
        assert first is not None and first.id and first.unbound_at is None
        assert spark_post_repository.insert_active(session, **values) is None
        other = spark_post_repository.insert_active(session, **{**values,
                                                                "ad_account_id": w.account2["id"]})
        assert other is not None and other.id != first.id

        claimed = authorization_repository.bind(
            session, authorization_id=code.id, code_hash=code.code_hash,
            ad_account_id=w.account["id"], user_id=code.created_by_id, now=utc_now())
        assert claimed is code and code.ad_account_id == w.account["id"] and code.bound_at
        assert authorization_repository.bind(
            session, authorization_id=code.id, code_hash=code.code_hash,
            ad_account_id=w.account2["id"], user_id=code.created_by_id, now=utc_now()) is None
    finally:
        session.rollback()
        session.close()


# --- R18 capacity as a counter (migration 0020) ---------------------------------------------------

def _counter(app, ad_account_id: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """The ad account's counter and the count it stands for."""
    with app.state.db.unit_of_work(write=False) as session:
        return (ad_account_repository.places_taken(session, ad_account_id),
                spark_post_repository.count_active(session, ad_account_id))


def test_the_capacity_statement_and_the_rule_agree(client, app):
    """take_place's WHERE clause decides as authorization.rules.has_room, on every count around
    the limit; a refused place changes nothing."""
    w = f.World(client)
    for limit in range(4):
        for held in range(6):
            with app.state.db.unit_of_work(write=True) as session:
                session.execute(update(AdAccount).where(AdAccount.id == w.account["id"])
                                .values(active_spark_posts=held))
                taken = ad_account_repository.take_place(session, w.account["id"], limit=limit)
                assert (taken is not None) == has_room(held, limit), (held, limit)
                assert ad_account_repository.places_taken(session, w.account["id"]) == (
                    held + 1 if taken is not None else held)
                session.rollback()


def test_the_counter_follows_binds_refusals_swaps_and_unbinds(client, app, monkeypatch):
    w = f.World(client)
    codes = [w.code] + [f.code(client, w.creator_h, f.post(client, w.creator_h,
                                                            w.creator["id"])["id"])
                        for _ in range(2)]
    f.bind(client, w.brand_h, w.account["id"], [c["code"] for c in codes])
    assert _counter(app, w.account["id"]) == (3, 3)
    # The same code again, and a new code of a held post: no new place.
    f.bind(client, w.brand_h, w.account["id"], [codes[0]["code"]])
    newer = f.code(client, w.creator_h, w.post["id"])
    assert bound_item(f.bind(client, w.brand_h, w.account["id"], [newer["code"]]))["replaced"]
    assert _counter(app, w.account["id"]) == (3, 3)
    # A claim refused after the place was taken gives the place back.
    fourth = f.code(client, w.creator_h, f.post(client, w.creator_h, w.creator["id"])["id"])
    monkeypatch.setattr(authorization_repository, "bind", lambda *a, **k: None)
    item = f.bind(client, w.brand_h, w.account["id"], [fourth["code"]]).json()["results"][0]
    assert item["error"]["code"] == "code_used_elsewhere"
    monkeypatch.undo()
    assert _counter(app, w.account["id"]) == (3, 3)
    # Unbinding frees a place, once.
    sp = spark_posts(client, w.brand_h, w.account["id"])[0]
    for _ in range(2):
        assert client.delete(f"/v1/ad-accounts/{w.account['id']}/spark-posts/{sp['id']}",
                             headers=w.brand_h).status_code == 200
    assert _counter(app, w.account["id"]) == (2, 2)
    assert _counter(app, w.account2["id"]) == (0, 0)
