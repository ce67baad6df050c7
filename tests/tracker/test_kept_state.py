"""The status inputs the database keeps on spark_posts (migration 0028) against the rows they
are kept from: after any sequence of writes to the codes, posts and creators a Spark post runs
on (deletions, take-downs, extensions, ad settings, a post moved to another creator, an unbind),
the status CASE over the kept columns equals the CASE over the joined rows, at instants before,
at and after every value written. tests/tracker/test_sql.py holds that CASE to the pure rule."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, select, update
from sqlalchemy.orm import aliased

from sparkcodes.models import Authorization, Creator, Post, SparkPost
from sparkcodes.tracker import repository
from tests import factories as f

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
INSTANTS = [NOW - timedelta(days=2), NOW - timedelta(microseconds=1), NOW,
            NOW + timedelta(microseconds=1), NOW + timedelta(days=40)]

Code = aliased(Authorization, name="code")
OriginalCode = aliased(Authorization, name="original_code")
OriginalPost = aliased(Post, name="original_post")
OriginalCreator = aliased(Creator, name="original_creator")

# What the kept columns stand for: the codes, the post, its original and their creators, joined.
JOINED = repository.StateColumns(
    unbound_at=SparkPost.unbound_at, identity_type=SparkPost.identity_type, code_id=Code.id,
    code_expires_at=Code.expires_at, code_deleted_at=Code.deleted_at,
    original_code_expires_at=OriginalCode.expires_at,
    original_code_deleted_at=OriginalCode.deleted_at,
    post_deleted_at=Post.deleted_at, post_taken_down_at=Post.taken_down_at,
    original_post_id=OriginalPost.id, original_post_deleted_at=OriginalPost.deleted_at,
    original_post_taken_down_at=OriginalPost.taken_down_at,
    creator_ad_settings_enabled_at=Creator.ad_settings_enabled_at,
    original_creator_ad_settings_enabled_at=OriginalCreator.ad_settings_enabled_at,
)


def _statuses(conn: Connection, at: datetime) -> tuple[dict[str, str], dict[str, str]]:
    """Every Spark post's status at ``at``: from its kept columns, and from the joined rows."""
    kept = dict(conn.execute(select(SparkPost.id,
                                    repository.status_sql(repository.KEPT_COLUMNS, at))).all())
    joined = dict(conn.execute(
        select(SparkPost.id, repository.status_sql(JOINED, at)).select_from(SparkPost)
        .join(Post, Post.id == SparkPost.post_id).join(Creator, Creator.id == Post.creator_id)
        .outerjoin(Code, Code.id == SparkPost.authorization_id)
        .outerjoin(OriginalCode, OriginalCode.id == SparkPost.original_authorization_id)
        .outerjoin(OriginalPost, OriginalPost.id == Post.original_post_id)
        .outerjoin(OriginalCreator, OriginalCreator.id == OriginalPost.creator_id)).all())
    return kept, joined


def _world(client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """A code's Spark post, a duet's (with the original's code) and a brand's own post's, the
    codes, posts and creators each runs on, by role."""
    w = f.World(client)
    d = f.duet(client, w)
    plain = f.spark_post_id(client, w.brand_h, w.account["id"], w.code["code"])
    item = f._ok(f.bind(client, w.brand_h, w.account["id"], [d.duet_code["code"]],
                        original_post_codes=[d.original_code["code"]]))["results"][0]
    assert item["ok"], item
    own = f.creator(client, w.brand_h, handle=f"glow_official_{next(f._seq)}")
    f._ok(client.post(f"/v1/ad-accounts/{w.account['id']}/identities", headers=w.brand_h,
                      json={"creator_id": own["id"]}), 201)
    own_post = f.post(client, w.brand_h, own["id"], caption="Our own")
    mine = f._ok(client.post(f"/v1/ad-accounts/{w.account['id']}/spark-posts/own",
                             headers=w.brand_h, json={"post_id": own_post["id"]}), 201)["id"]
    return {
        "authorizations": [w.code["id"], d.original_code["id"], d.duet_code["id"]],
        "posts": [w.post["id"], d.original["id"], d.duet["id"], own_post["id"]],
        "creators": [w.creator["id"], d.original_creator["id"], own["id"]],
        "spark_posts": [plain, item["spark_post"]["id"], mine],
    }


# (table, column, whether NULL may be written): each write sets one row's column to an instant.
COLUMNS = [("authorizations", "deleted_at", True), ("authorizations", "expires_at", False),
           ("posts", "deleted_at", True), ("posts", "taken_down_at", True),
           ("creators", "ad_settings_enabled_at", True), ("spark_posts", "unbound_at", True)]
MODELS: dict[str, Any] = {"authorizations": Authorization, "posts": Post, "creators": Creator,
                          "spark_posts": SparkPost}

Write = tuple[str, str, int, Any]  # table, column, which row, value


@st.composite
def writes(draw: Any) -> list[Write]:  # noqa: ANN401
    out: list[Write] = []
    for _ in range(draw(st.integers(1, 6))):
        if draw(st.integers(0, 6)) == 0:
            # A post moved to another creator (as the TikTok mirror may write it) carries that
            # creator's ad settings with it: the value is which creator.
            out.append(("posts", "creator_id", draw(st.integers(0, 3)), draw(st.integers(0, 2))))
            continue
        table, column, nullable = draw(st.sampled_from(COLUMNS))
        value = draw(st.sampled_from([*INSTANTS, *([None] if nullable else [])]))
        out.append((table, column, draw(st.integers(0, 3)), value))
    return out


def _set(conn: Connection, model: Any, row_id: str, **values: Any) -> None:  # noqa: ANN401
    """One row's columns written as the application's types write them."""
    conn.execute(update(model).where(model.id == row_id).values(**values))


def test_the_kept_status_equals_the_joined_status_after_any_writes(client, engine) -> None:  # type: ignore[no-untyped-def]
    world = _world(client)
    with engine.connect() as conn:
        owners = dict(conn.execute(select(Post.id, Post.creator_id)
                                   .where(Post.id.in_(world["posts"]))).all())

    def baseline(conn: Connection) -> None:
        """Every row as bound: codes running, posts up, ad settings on, nothing unbound."""
        for code in world["authorizations"]:
            _set(conn, Authorization, code, expires_at=INSTANTS[-1], deleted_at=None)
        for post in world["posts"]:
            _set(conn, Post, post, deleted_at=None, taken_down_at=None, creator_id=owners[post])
        for creator in world["creators"]:
            _set(conn, Creator, creator, ad_settings_enabled_at=INSTANTS[0])
        for spark_post in world["spark_posts"]:
            _set(conn, SparkPost, spark_post, unbound_at=None)

    @settings(max_examples=150, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(writes())
    def run(done: list[Write]) -> None:
        with engine.begin() as conn:
            baseline(conn)
            assert set(_statuses(conn, NOW)[1].values()) == {"AUTHORIZED"}
            for n, (table, column, index, value) in enumerate(done):
                rows = world[table]
                if column == "creator_id":
                    value = world["creators"][value]
                _set(conn, MODELS[table], rows[index % len(rows)], **{column: value})
                for at in INSTANTS:  # after each write: a later one may rewrite every column
                    kept, joined = _statuses(conn, at)
                    assert kept == joined, (done[:n + 1], at)

    run()


def test_a_new_spark_post_and_a_swapped_code_keep_the_state_of_their_rows(client, engine):  # type: ignore[no-untyped-def]
    """The kept columns are written when a Spark post is inserted and when its code changes, not
    only when the rows they come from do."""
    w = f.World(client)
    with engine.begin() as conn:
        _set(conn, Authorization, w.code["id"], deleted_at=NOW)
        _set(conn, Creator, w.creator["id"], ad_settings_enabled_at=None)
        _set(conn, Authorization, w.code["id"], deleted_at=None)
        _set(conn, Creator, w.creator["id"], ad_settings_enabled_at=NOW)
    spark_post_id = f.spark_post_id(client, w.brand_h, w.account["id"], w.code["code"])
    other = f.code(client, w.creator_h, w.post["id"])
    with engine.begin() as conn:
        kept = conn.execute(select(SparkPost.codes_deleted_at, SparkPost.posts_unavailable_at,
                                   SparkPost.ad_settings_enabled_at)
                            .where(SparkPost.id == spark_post_id)).one()
        assert tuple(kept) == (None, None, NOW)
        # The code swapped for another (R18 keeps the Spark post): its deletion follows the new
        # code, not the old one.
        _set(conn, Authorization, other["id"], deleted_at=NOW)
        _set(conn, SparkPost, spark_post_id, authorization_id=other["id"])
        kept_now, joined_now = _statuses(conn, NOW)
        assert kept_now[spark_post_id] == joined_now[spark_post_id] == "AUTHORIZATION_DELETED"
