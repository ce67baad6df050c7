"""What the roster's forms and flags read through the tracker, at a cost that follows what a page
shows: the creators and posts the business runs (bounded, in order) and the Spark posts of a set
of creators."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sparkcodes.models import Business
from sparkcodes.tracker import service as tracker_service
from tests import factories as f
from tests.tracker.test_tracker import Brand, bind_code


def _business(session, brand: Brand) -> Business:  # type: ignore[no-untyped-def]
    business = session.get(Business, brand.business["id"])
    assert business is not None
    return business


def test_creators_run_by_handle_bound_only_within_the_limit(app, client) -> None:  # type: ignore[no-untyped-def]
    brand = Brand(client)
    # Another business runs a third creator's post: not this business's.
    zoe_h = f.user(client)
    zoe = f.creator(client, zoe_h, handle=f"aaa_zoe_{next(f._seq)}")
    zoe_code = f.code(client, zoe_h, f.post(client, zoe_h, zoe["id"])["id"], days=30)
    other_h = f.user(client)
    other = f.business(client, other_h, name="Other brand")
    bind_code(client, other_h, f.ad_account(client, other_h, other["id"])["id"], zoe_code["code"])
    session = app.state.db.session(write=False)
    try:
        business = _business(session, brand)
        ran = tracker_service.creators_run(session, business=business, limit=10)
        assert [c.id for c in ran] == [brand.leo["id"], brand.maya["id"]]  # by handle
        one = tracker_service.creators_run(session, business=business, limit=1)
        assert [c.id for c in one] == [brand.leo["id"]]
    finally:
        session.close()
    # A creator whose only Spark post was unbound is no longer one the business runs.
    f._ok(client.delete(f"/v1/ad-accounts/{brand.b['id']}/spark-posts/{brand.sp3}",
                        headers=brand.h))
    session = app.state.db.session(write=False)
    try:
        ran = tracker_service.creators_run(session, business=_business(session, brand), limit=10)
        assert [c.id for c in ran] == [brand.maya["id"]]
    finally:
        session.close()


def test_posts_run_soonest_end_first_each_post_once(app, client) -> None:  # type: ignore[no-untyped-def]
    brand = Brand(client)  # post1 ends in 7 days; post2 in 30 (account A) and 60 (B); post3 365
    session = app.state.db.session(write=False)
    try:
        business = _business(session, brand)
        now = datetime.now(UTC)

        def posts(limit: int) -> list[str]:
            return [p.post_id for p in tracker_service.posts_run(session, business=business,
                                                                 now=now, limit=limit)]

        everything = [brand.post1["id"], brand.post2["id"], brand.post3["id"]]
        assert posts(10) == everything
        assert posts(2) == everything[:2]
        assert posts(3) == everything[:2]  # post2's two Spark posts are one post
        pairs = tracker_service.posts_run(session, business=business, now=now, limit=1)
        assert [(p.caption, p.handle) for p in pairs] == [("Morning glow routine",
                                                           brand.maya["handle"])]
    finally:
        session.close()


def test_a_query_of_several_creators_reads_only_their_spark_posts(app, client) -> None:  # type: ignore[no-untyped-def]
    brand = Brand(client)
    session = app.state.db.session(write=False)
    try:
        business = _business(session, brand)
        now = datetime.now(UTC)

        def ids(*creators: str) -> list[str]:
            q = tracker_service.Query(creator_ids=frozenset(creators))
            return [i.spark_post.id for i in tracker_service.stream(session, business=business,
                                                                    q=q, now=now)]

        assert ids(brand.leo["id"]) == [brand.sp3]
        assert ids(brand.maya["id"]) == [brand.sp1, brand.sp2a, brand.sp2b]
        assert ids(brand.maya["id"], brand.leo["id"]) == [brand.sp1, brand.sp2a, brand.sp2b,
                                                          brand.sp3]
        assert ids("0" * 32) == []
        assert ids() == []
    finally:
        session.close()


def test_spending_builds_only_what_spends_and_agrees_with_every_row(app, client) -> None:  # type: ignore[no-untyped-def]
    from tests.tracker.test_tracker import now_of, run_ad

    brand = Brand(client)  # ad1 runs on sp1 (a 7-day code)
    ad3 = run_ad(client, brand.h, brand.b["id"], brand.sp3)
    batch = ([f.event(brand.post1["id"], ad_id=brand.ad1["id"]) for _ in range(30)]
             + [f.event(brand.post3["id"], ad_id=ad3["id"]) for _ in range(70)])
    assert f._ok(f.events(client, brand.h, batch))["accepted"] == 100
    f.advance(client, brand.h, "P1D")
    f._ok(f.set_status(client, brand.h, "ad", ad3["id"], "DISABLE"))  # spent, no longer live
    now = now_of(client, brand.h)
    session = app.state.db.session(write=False)
    try:
        business = _business(session, brand)

        def spending(**q: object) -> list[tuple[str, int]]:
            query = tracker_service.Query(**q)  # type: ignore[arg-type]
            return [(i.spark_post.id, i.spend_at_risk_micros) for i in
                    tracker_service.spending(session, business=business, q=query, now=now)]

        every = tracker_service.track(session, business=business, q=tracker_service.Query(),
                                      now=now).items
        assert spending() == [(i.spark_post.id, i.spend_at_risk_micros) for i in every
                              if i.spend_at_risk_micros > 0] == [(brand.sp1, 300_000)]
        assert spending(within=timedelta(days=7)) == [(brand.sp1, 300_000)]
        assert spending(within=timedelta(hours=1)) == []
        assert spending(ad_account_id=brand.b["id"]) == []  # sp3 spent, but its ad is paused
    finally:
        session.close()


def _flags_by_building_every_row(session, business, creators, now):  # type: ignore[no-untyped-def]
    """What the flags are when every Spark post of these creators is built as an item."""
    q = tracker_service.Query(creator_ids=frozenset(creators))
    out: dict[str, list[str]] = {}
    for item in tracker_service.stream(session, business=business, q=q, now=now):
        if item.contract is not None and item.flags:
            out.setdefault(item.contract.id, []).append(item.spark_post.id)
    return out


def test_contract_flags_agree_with_every_row_built(app, client) -> None:  # type: ignore[no-untyped-def]
    from tests.tracker.test_tracker import contract, now_of, run_ad

    brand = Brand(client)
    biz = brand.business["id"]
    now = now_of(client, brand.h)

    def window(start_days: float, end_days: float) -> dict[str, str]:
        return {"starts_at": (now + timedelta(days=start_days)).isoformat(),
                "ends_at": (now + timedelta(days=end_days)).isoformat()}

    # Maya: a creator-wide contract longer than her three codes (7, 30, 60 days): all flagged,
    # and a longer one for one post that was deleted (it governs nothing).
    maya = contract(client, brand.h, biz, creator_id=brand.maya["id"], **window(-1, 90))
    gone = contract(client, brand.h, biz, creator_id=brand.maya["id"],
                    post_id=brand.post2["id"], **window(-1, 500))
    f._ok(client.delete(f"/v1/contracts/{gone['id']}", headers=brand.h))
    # Leo: a contract for his post that ended yesterday; flagged only while an ad is live on it.
    leo = contract(client, brand.h, biz, creator_id=brand.leo["id"], post_id=brand.post3["id"],
                   **window(-30, -1))
    ad = run_ad(client, brand.h, brand.b["id"], brand.sp3)
    f.advance(client, brand.h, "PT3H")  # past the new ad's review: it delivers
    now = now_of(client, brand.h)
    creators = {brand.maya["id"], brand.leo["id"]}
    session = app.state.db.session(write=False)
    try:
        business = _business(session, brand)
        every = _flags_by_building_every_row(session, business, creators, now)
        assert every == {maya["id"]: [brand.sp1, brand.sp2a, brand.sp2b],
                         leo["id"]: [brand.sp3]}
        for shown in (1, 2, 10):
            got = tracker_service.contract_flags(session, business=business, now=now,
                                                 creator_ids=creators, shown=shown)
            assert {cid: ([i.spark_post.id for i in found.items], found.count)
                    for cid, found in got.items()} == {
                cid: (ids[:shown], len(ids)) for cid, ids in every.items()}
            assert all(i.flags for found in got.values() for i in found.items)
        only_leo = tracker_service.contract_flags(session, business=business, now=now,
                                                  creator_ids={brand.leo["id"]}, shown=5)
        assert set(only_leo) == {leo["id"]}
    finally:
        session.close()
    # The ad paused, Leo's ended contract flags nothing; neither way builds it as flagged.
    f._ok(f.set_status(client, brand.h, "ad", ad["id"], "DISABLE"))
    now = now_of(client, brand.h)
    session = app.state.db.session(write=False)
    try:
        business = _business(session, brand)
        every = _flags_by_building_every_row(session, business, creators, now)
        got = tracker_service.contract_flags(session, business=business, now=now,
                                             creator_ids=creators, shown=5)
        assert set(every) == set(got) == {maya["id"]}
        assert tracker_service.contract_flags(session, business=business, now=now,
                                              creator_ids=set(), shown=5) == {}
    finally:
        session.close()
