"""The tracker's queries: a business's Spark posts with their rows, and yesterday's spend per ad."""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    Subquery,
    and_,
    case,
    false,
    func,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.orm import Session

from sparkcodes.kit.sql import among, shared_alias
from sparkcodes.kit.types import UTCDateTime
from sparkcodes.models import (
    NATIVE,
    Ad,
    AdAccount,
    Authorization,
    Business,
    Creator,
    EngagementDaily,
    Post,
    SparkPost,
)
from sparkcodes.spark_post.rules import AUTHORIZED, StopReason
from sparkcodes.tracker import rules

CHUNK = 500  # ids per IN list: far below SQLite's and PostgreSQL's bound-parameter limits
STATUS_BATCH = 500  # rows read in order at a time when a status filter picks among them
# The first batch: the rows still wanted and a few more, so a common status's page reads about
# its own size (50 AUTHORIZED rows need ~55, not 500); each next batch is GROWTH times larger,
# up to STATUS_BATCH, so a rare status reaches full batches after two round trips.
STATUS_SLACK, GROWTH = 10, 4

OriginalAuth = shared_alias(Authorization)

# The code and the original code are NULL when the Spark post holds none (outer joins).
Row = tuple[SparkPost, Post, Creator, AdAccount, Authorization | None, Authorization | None]
RowSelect = Select[SparkPost, Post, Creator, AdAccount, Authorization | None, Authorization | None]


def _rows() -> RowSelect:
    """Spark posts with post, creator, account and codes."""
    return (
        select(SparkPost, Post, Creator, AdAccount, Authorization, OriginalAuth)
        .join(AdAccount, AdAccount.id == SparkPost.ad_account_id)
        .join(Post, Post.id == SparkPost.post_id)
        .join(Creator, Creator.id == Post.creator_id)
        .outerjoin(Authorization, Authorization.id == SparkPost.authorization_id)
        .outerjoin(OriginalAuth, OriginalAuth.id == SparkPost.original_authorization_id)
    )


def spark_posts(session: Session, business_id: str, *, ad_account_id: str | None = None,
                creator_id: str | None = None, post_id: str | None = None,
                include_unbound: bool = False) -> list[Row]:
    """Every Spark post across the business's ad accounts, with post, creator, account and codes."""
    stmt = _rows().where(AdAccount.business_id == business_id)
    if ad_account_id is not None:
        stmt = stmt.where(SparkPost.ad_account_id == ad_account_id)
    if creator_id is not None:
        stmt = stmt.where(Post.creator_id == creator_id)
    if post_id is not None:
        stmt = stmt.where(SparkPost.post_id == post_id)
    if not include_unbound:
        stmt = stmt.where(SparkPost.unbound_at.is_(None))
    stmt = stmt.order_by(SparkPost.bound_at, SparkPost.id)
    return list(session.execute(stmt).all())  # each Row is a tuple of RowSelect's types


def businesses_matching(session: Session, name_or_id: str) -> list[Business]:
    """Businesses whose id is this, or whose name is this (ignoring case): for the CLI."""
    value = name_or_id.strip()
    return list(session.scalars(
        select(Business).where(or_(Business.id == value,
                                   func.lower(Business.name) == value.lower()))
        .order_by(Business.created_at, Business.id)))


# --- the tracker in SQL (docs/tracker.md) ------------------------------------------------------

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)  # rules.order reads a missing window end as 0


@dataclass(frozen=True)
class StateColumns:
    """The SQL values spark_post.rules.stop_reasons reads, one per field of SparkPostState:
    the Spark post's kept columns (KEPT_COLUMNS), the joined rows' columns (the tests that hold
    the kept columns to them), or literals (the test that holds the CASE to the pure rule). A
    value is NULL where there is no such row (no code, no original post)."""

    unbound_at: SQLColumnExpression[datetime | None]
    identity_type: SQLColumnExpression[str]
    code_id: SQLColumnExpression[str | None]
    code_expires_at: SQLColumnExpression[datetime | None]
    code_deleted_at: SQLColumnExpression[datetime | None]
    original_code_expires_at: SQLColumnExpression[datetime | None]
    original_code_deleted_at: SQLColumnExpression[datetime | None]
    post_deleted_at: SQLColumnExpression[datetime | None]
    post_taken_down_at: SQLColumnExpression[datetime | None]
    original_post_id: SQLColumnExpression[str | None]
    original_post_deleted_at: SQLColumnExpression[datetime | None]
    original_post_taken_down_at: SQLColumnExpression[datetime | None]
    creator_ad_settings_enabled_at: SQLColumnExpression[datetime | None]
    original_creator_ad_settings_enabled_at: SQLColumnExpression[datetime | None]
    # None: linked (the tracker's reading)
    identity_linked: SQLColumnExpression[bool] | None = None


# status_sql over the Spark post's own columns, kept by the database (migrations 0009, 0028):
# the same CASE without a join. The code's and the original's ends are one (window_end_at, the
# earlier), so are their deletions (codes_deleted_at), the post's and its original's deletions
# and take-downs (posts_unavailable_at), and both creators' ad settings (ad_settings_enabled_at,
# NULL when either is off); a Spark post without a code has no authorization_id. Held to the
# CASE over the joined rows in tests/tracker/test_kept_state.py.
KEPT_COLUMNS = StateColumns(
    unbound_at=SparkPost.unbound_at, identity_type=SparkPost.identity_type,
    code_id=SparkPost.authorization_id, code_expires_at=SparkPost.window_end_at,
    code_deleted_at=SparkPost.codes_deleted_at, original_code_expires_at=null(),
    original_code_deleted_at=null(), post_deleted_at=SparkPost.posts_unavailable_at,
    post_taken_down_at=null(), original_post_id=null(), original_post_deleted_at=null(),
    original_post_taken_down_at=null(),
    creator_ad_settings_enabled_at=SparkPost.ad_settings_enabled_at,
    original_creator_ad_settings_enabled_at=null(),
)


def window_end_sql(code_expires_at: SQLColumnExpression[datetime | None],
                   original_expires_at: SQLColumnExpression[datetime | None]
                   ) -> ColumnElement[datetime | None]:
    """spark_post.rules.window_end: the earlier code end, NULL when there is no code."""
    return case((or_(original_expires_at.is_(None), code_expires_at <= original_expires_at),
                 code_expires_at), else_=original_expires_at)


def status_sql(c: StateColumns, now: datetime) -> ColumnElement[str]:
    """The tracker's status (rules.UNBOUND, or the first of spark_post.rules.stop_reasons, or
    AUTHORIZED) as one SQL CASE, evaluated at ``now``; tested against the pure rule."""
    at = literal(now, UTCDateTime())

    def by(instant: SQLColumnExpression[datetime | None]) -> ColumnElement[bool]:
        return and_(instant.is_not(None), instant <= at)

    auth = c.identity_type == "AUTH_CODE"
    whens: list[tuple[ColumnElement[bool], str]] = [
        (c.unbound_at.is_not(None), rules.UNBOUND),
        (and_(auth, or_(c.code_id.is_(None), by(c.code_deleted_at),
                        by(c.original_code_deleted_at))),
         StopReason.AUTHORIZATION_DELETED.value),
        (and_(auth, or_(by(c.code_expires_at), by(c.original_code_expires_at))),
         StopReason.AUTHORIZATION_EXPIRED.value),
    ]
    if c.identity_linked is not None:
        whens.append((and_(~auth, c.identity_linked == false()),
                      StopReason.IDENTITY_UNLINKED.value))
    whens += [
        (or_(by(c.post_deleted_at), by(c.post_taken_down_at), by(c.original_post_deleted_at),
             by(c.original_post_taken_down_at)), StopReason.POST_UNAVAILABLE.value),
        (and_(auth, or_(c.creator_ad_settings_enabled_at.is_(None),
                        and_(c.original_post_id.is_not(None),
                             c.original_creator_ad_settings_enabled_at.is_(None)))),
         StopReason.ACCOUNT_AD_SETTINGS_OFF.value),
    ]
    return case(*whens, else_=AUTHORIZED)


@dataclass(frozen=True)
class Filters:
    """Which Spark posts of one business the tracker shows (already checked by the service:
    an ad account named here is one of the business's)."""

    business_id: str
    ad_account_id: str | None = None
    creator_id: str | None = None
    creator_ids: frozenset[str] | None = None  # posts by any of these creators
    post_id: str | None = None
    include_unbound: bool = False
    statuses: frozenset[str] | None = None
    within: timedelta | None = None


@dataclass(frozen=True)
class Key:
    """What ordering needs of one row: its id, window end and creator handle (lower case)."""

    id: str
    window_end: datetime | None
    handle: str


def _matching(columns: Sequence[Any], f: Filters, now: datetime, *,
              joined: bool = True, ids: Subquery | None = None) -> Select[Any]:
    """The matching rows; ``joined`` False joins posts and creators only if a filter needs them
    (for counting); ``ids``: only the rows whose ids it holds, read from it first."""
    stmt = select(*columns)
    if ids is not None:
        stmt = stmt.select_from(ids).join(SparkPost, SparkPost.id == ids.c.id)
    else:
        stmt = stmt.select_from(SparkPost)
    if f.ad_account_id is None:
        stmt = stmt.where(SparkPost.business_id == f.business_id)
    else:  # the service checked the account is the business's: its index alone is the cheap one
        stmt = stmt.where(SparkPost.ad_account_id == f.ad_account_id)
    by_creator = f.creator_id is not None or f.creator_ids is not None
    if joined or by_creator:
        stmt = stmt.join(Post, Post.id == SparkPost.post_id)
    if joined:
        stmt = stmt.join(Creator, Creator.id == Post.creator_id)
    if f.statuses is not None:
        stmt = stmt.where(status_sql(KEPT_COLUMNS, now).in_(sorted(f.statuses)))
        implied = _window_range(f.statuses, now)  # by the CASE; lets the index skip other rows
        if implied is not None:
            stmt = stmt.where(implied)
    if f.creator_id is not None:
        stmt = stmt.where(Post.creator_id == f.creator_id)
    if f.creator_ids is not None:
        stmt = stmt.where(Post.creator_id.in_(sorted(f.creator_ids)))
    if f.post_id is not None:
        stmt = stmt.where(SparkPost.post_id == f.post_id)
    if not f.include_unbound:
        stmt = stmt.where(SparkPost.unbound_at.is_(None))
    if f.within is not None:
        stmt = stmt.where(SparkPost.window_end_at > literal(now, UTCDateTime()),
                          SparkPost.window_end_at <= literal(now + f.within, UTCDateTime()))
    return stmt


def _window_range(statuses: frozenset[str] | None, now: datetime) -> ColumnElement[bool] | None:
    """The range of window ends a status filter implies (rules.window_implied), as a condition
    an index reads; None when it implies none."""
    end, at = SparkPost.window_end_at, literal(now, UTCDateTime())
    window = rules.window_implied(statuses)
    if window == rules.RUNNING:
        return or_(end > at, end.is_(None))
    if window == rules.ENDED:
        return end <= at
    return None


def count(session: Session, f: Filters, now: datetime, *, up_to: int | None = None) -> int:
    """How many Spark posts match; with ``up_to``, counting stops after ``up_to + 1`` rows (a
    count past the bound costs what the bound costs, not what the business holds)."""
    if up_to is None:
        return session.execute(_matching([func.count()], f, now, joined=False)).scalar_one()
    bounded = _matching([SparkPost.id], f, now, joined=False).limit(up_to + 1).subquery()
    return session.execute(select(func.count()).select_from(bounded)).scalar_one()


def count_status_among(session: Session, f: Filters, now: datetime, *,
                       examine: int) -> tuple[int, bool]:
    """How many of the first ``examine`` Spark posts matching the filters other than status
    have the status asked, in one statement; returns the count and whether every row was
    examined. A row past ``examine`` (read to know whether there are more) is counted if it
    matches: a lower bound all the same, since the count is exact only when there is none.

    The status is read from each row's kept columns; the bound keeps a count of a rare status
    from costing every row the business holds."""
    assert f.statuses is not None
    examined = _matching([status_sql(KEPT_COLUMNS, now).label("status")],
                         replace(f, statuses=None), now, joined=False
                         ).limit(examine + 1).subquery()
    seen, counted = session.execute(
        select(func.count(), func.count().filter(examined.c.status.in_(sorted(f.statuses))))
        .select_from(examined)).one()
    return int(counted), int(seen) <= examine


Order = list[tuple[Any, bool]]  # (expression, descending)


def _segments(f: Filters, now: datetime, *, sort: str, descending: bool,
              exclude: Select[Any] | None, implied: frozenset[str] | None = None
              ) -> list[tuple[Select[Any], Order]]:
    """The matching rows as statements read one after the other, each with its order, in
    rules.order's order for rows whose spend at risk is zero: a timed sort puts rows without a
    window last by handle; otherwise a missing window end counts as the smallest."""
    handle = SparkPost.creator_handle_key  # the creator's handle_key, kept by the database
    base = _matching([SparkPost.id, SparkPost.window_end_at, handle], f, now, joined=False)
    if exclude is not None:
        base = base.where(SparkPost.id.not_in(exclude))
    end, ident = SparkPost.window_end_at, SparkPost.id
    timed = base.where(end.is_not(None))
    untimed = base.where(end.is_(None))
    at = literal(now, UTCDateTime())
    window = rules.window_implied(implied)  # as in _matching, as each segment's index range
    ranged = _window_range(implied, now)
    if ranged is not None:
        base = base.where(ranged)
    if window == rules.RUNNING:
        timed = timed.where(end > at)
    elif window == rules.ENDED:
        timed = timed.where(end <= at)
        untimed = untimed.where(false())
    if sort in ("expiry", "days_left"):
        return [(timed, [(end, descending), (ident, descending)]),
                (untimed, [(handle, False), (ident, False)])]
    if sort == "spend_at_risk":  # zero spend: window end ascending, ties by id reversed
        return [(untimed, [(ident, descending)]), (timed, [(end, False), (ident, descending)])]
    end_or_epoch = func.coalesce(end, literal(EPOCH, UTCDateTime()))
    return [(base, [(handle, descending), (end_or_epoch, False), (ident, descending)])]


def _ordered(stmt: Select[Any], order: Order) -> Select[Any]:
    return stmt.order_by(*(col.desc() if desc else col for col, desc in order))


def keys(session: Session, f: Filters, now: datetime, *, sort: str, descending: bool,
         offset: int, limit: int, exclude: Select[Any] | None = None) -> list[Key]:
    """Rows ``offset`` to ``offset + limit`` of the matching rows in order (without those of
    ``exclude``), each segment read with LIMIT/OFFSET in its index order."""
    if f.statuses is not None:
        return _picked(session, f, now, sort=sort, descending=descending, exclude=exclude,
                       start=None, skip=offset, want=limit)
    out: list[Key] = []
    for stmt, order in _segments(f, now, sort=sort, descending=descending, exclude=exclude):
        want = limit - len(out)
        if want <= 0:
            break
        rows = session.execute(_ordered(stmt, order).offset(offset).limit(want)).all()
        out += [Key(r[0], r[1], r[2]) for r in rows]
        if rows or offset == 0:
            offset = 0
        else:  # this segment ends before the offset: skip what it holds
            offset = max(0, offset - session.execute(
                select(func.count()).select_from(stmt.subquery())).scalar_one())
    return out


def keys_after(session: Session, f: Filters, now: datetime, *, sort: str, descending: bool,
               segment: int, values: tuple[Any, ...] | None, limit: int
               ) -> tuple[list[Key], bool]:
    """Up to ``limit`` rows in order after the row whose order values in ``segment`` are
    ``values`` (None: from the start), by keyset: a page costs its rows wherever it is, not
    what lies before it. Returns the rows and whether any row follows them."""
    if f.statuses is not None:
        picked = _picked(session, f, now, sort=sort, descending=descending, exclude=None,
                         start=(segment, values) if values is not None else None, skip=0,
                         want=limit + 1)
        return picked[:limit], len(picked) > limit
    out: list[Key] = []
    for index, (stmt, order) in enumerate(_segments(f, now, sort=sort, descending=descending,
                                                    exclude=None)):
        if values is not None and index < segment:
            continue
        page = stmt.where(_after(order, values)) if values is not None and index == segment \
            else stmt
        rows = session.execute(_ordered(page, order).limit(limit + 1 - len(out))).all()
        out += [Key(r[0], r[1], r[2]) for r in rows]
        if len(out) > limit:
            return out[:limit], True
    return out, False


def _picked(session: Session, f: Filters, now: datetime, *, sort: str, descending: bool,
            exclude: Select[Any] | None, start: tuple[int, tuple[Any, ...]] | None, skip: int,
            want: int) -> list[Key]:
    """The rows with one of ``f.statuses``, in order (after ``start``, a segment and a row's
    order values), skipping the first ``skip`` of them, at most ``want``.

    The rows matching the other filters are read in their index order by keyset, in batches
    that start at the rows wanted and grow to STATUS_BATCH, each row with its status (selected
    from its kept columns, not filtered on). A statement filtered by the status leaves the plan
    to the database's guess of how rare the status is, which it cannot know: with the CASE over
    joined tables PostgreSQL guessed "rare" for every status and joined every row of the
    business and sorted them (1.5 s a page at 1,000,000 rows). Selected, it leaves the index
    order and the LIMIT to drive the plan."""
    assert f.statuses is not None
    plain = replace(f, statuses=None)
    status = status_sql(KEPT_COLUMNS, now)
    out: list[Key] = []
    for index, (stmt, order) in enumerate(_segments(plain, now, sort=sort, descending=descending,
                                                    exclude=exclude, implied=f.statuses)):
        if start is not None and index < start[0]:
            continue
        after = start[1] if start is not None and index == start[0] else None
        batch = min(STATUS_BATCH, skip + want - len(out) + STATUS_SLACK)
        while len(out) < want:
            page = stmt if after is None else stmt.where(_after(order, after))
            rows = session.execute(_ordered(page, order)
                                   .add_columns(status, *(col for col, _ in order))
                                   .limit(batch)).all()
            for r in rows:
                if r[3] not in f.statuses:
                    continue
                if skip:
                    skip -= 1
                else:
                    out.append(Key(r[0], r[1], r[2]))
            if len(rows) < batch:
                break
            after = tuple(rows[-1][4:])
            batch = min(STATUS_BATCH, batch * GROWTH)
        if len(out) >= want:
            break
    return out[:want]


def position(key: Key, *, sort: str) -> tuple[int, tuple[Any, ...]]:
    """The segment of ``_segments`` a row is read in and its values of that segment's order,
    for the sorts read in SQL alone (rules.KEYSET_SORTS)."""
    if sort == "creator":
        return 0, (key.handle, key.window_end or EPOCH, key.id)
    if sort == "expiry":
        return (0, (key.window_end, key.id)) if key.window_end is not None \
            else (1, (key.handle, key.id))
    raise ValueError(f"{sort} pages by offset")


def chunks(session: Session, f: Filters, now: datetime, *, sort: str, descending: bool,
           exclude: Select[Any] | None = None, size: int = CHUNK) -> Iterator[list[Key]]:
    """Every matching row in order, ``size`` at a time, each chunk one keyset query (no
    OFFSET: the cost of a chunk does not grow with how far in it is)."""
    for stmt, order in _segments(f, now, sort=sort, descending=descending, exclude=exclude):
        after: tuple[Any, ...] | None = None
        while True:
            page = stmt if after is None else stmt.where(_after(order, after))
            rows = session.execute(
                _ordered(page, order).add_columns(*(col for col, _ in order)).limit(size)).all()
            if rows:
                yield [Key(r[0], r[1], r[2]) for r in rows]
            if len(rows) < size:
                break
            after = tuple(rows[-1][3:])


def _after(order: Order, values: tuple[Any, ...]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in ``order`` (the order's columns are never NULL here).
    The leading bound on the first column is implied by the terms; it is what lets the index
    start at the cursor instead of reading every row before it."""
    terms = []
    for i, (col, desc) in enumerate(order):
        same = [order[j][0] == values[j] for j in range(i)]
        terms.append(and_(*same, col < values[i] if desc else col > values[i]))
    first, desc = order[0]
    return and_(first <= values[0] if desc else first >= values[0], or_(*terms))


@dataclass(frozen=True)
class SpendCandidates:
    """The matching Spark posts with an ad that spent yesterday. ``ids`` selects the ids of the
    business's Spark posts with such an ad, matching or not: as an exclusion beside matching rows
    it excludes exactly the matching ones, and it is read from the few spending ads alone."""

    ids: Select[Any]
    spent: Select[str, int]  # (id, what its ads spent yesterday) of those Spark posts
    filters: Filters
    now: datetime


@dataclass(frozen=True)
class Candidate:
    """A spending Spark post: what ordering needs, and what its ads spent yesterday, live or
    not (its spend at risk is at most that)."""

    id: str
    window_end: datetime | None
    handle: str
    spent_micros: int


def spend_candidates(f: Filters, now: datetime, days: dict[str, date]) -> SpendCandidates:
    """Matching Spark posts with an ad that spent on the day before ``now`` in the time zone of
    its ad account (``days``: time zone -> that day; an ad runs in its Spark post's account),
    the day its spend at risk is read for: only these can have any, and what their ads spent
    that day bounds it."""
    day_of = [and_(AdAccount.timezone == tz, EngagementDaily.day == day)
              for tz, day in days.items()]
    spent = (select(Ad.spark_post_id.label("id"),
                    func.sum(EngagementDaily.spend_micros).label("spent"))
             .join(EngagementDaily, EngagementDaily.ad_key == Ad.id)
             .join(AdAccount, AdAccount.id == Ad.ad_account_id)
             .where(AdAccount.business_id == f.business_id, EngagementDaily.spend_micros > 0,
                    or_(*day_of) if day_of else false())
             .group_by(Ad.spark_post_id))
    return SpendCandidates(select(spent.subquery().c.id), spent, f, now)


def candidates(session: Session, c: SpendCandidates) -> list[Candidate]:
    """The spending Spark posts with their window end, handle and an upper bound of their spend
    at risk, in one statement read from the few spending ads."""
    spent = c.spent.subquery()
    stmt = _matching([SparkPost.id, SparkPost.window_end_at, SparkPost.creator_handle_key,
                      spent.c.spent], c.filters, c.now, joined=False, ids=spent)
    return [Candidate(row[0], row[1], row[2], int(row[3])) for row in session.execute(stmt)]


@dataclass(frozen=True)
class FlagRow:
    """What the contract flags read of a Spark post before its ads' delivery: its post and
    creator (which contract governs it), its window end, and whether it has any ad at all."""

    id: str
    post_id: str
    creator_id: str
    window_end: datetime | None
    handle: str
    has_ads: bool


def flag_rows(session: Session, business_id: str, creator_ids: Sequence[str]) -> list[FlagRow]:
    """The business's bound Spark posts of these creators, as plain rows in the tracker's default
    order (window end, then the rows without one by handle)."""
    rows: list[FlagRow] = []
    wanted = sorted(set(creator_ids))
    has_ads = select(Ad.id).where(Ad.spark_post_id == SparkPost.id).exists()
    for start in range(0, len(wanted), CHUNK):
        rows += [FlagRow(r[0], r[1], r[2], r[3], r[4] or "", r[5]) for r in session.execute(
            select(SparkPost.id, SparkPost.post_id, Post.creator_id, SparkPost.window_end_at,
                   SparkPost.creator_handle_key, has_ads)
            .join(Post, Post.id == SparkPost.post_id)
            .where(SparkPost.business_id == business_id, SparkPost.unbound_at.is_(None),
                   Post.creator_id.in_(wanted[start:start + CHUNK])))]
    return sorted(rows, key=lambda r: (r.window_end is None, r.window_end or EPOCH,
                                       r.handle if r.window_end is None else "", r.id))


@dataclass(frozen=True)
class PostRun:
    """A post the business runs, as a picker offers it."""

    post_id: str
    handle: str
    caption: str


def posts_of(session: Session, spark_post_ids: Sequence[str]) -> dict[str, PostRun]:
    """The post of each of these Spark posts, with its creator's handle, by Spark post id."""
    out: dict[str, PostRun] = {}
    for start in range(0, len(spark_post_ids), CHUNK):
        out.update({r[0]: PostRun(r[1], r[2], r[3]) for r in session.execute(
            select(SparkPost.id, Post.id, Creator.handle, Post.caption)
            .join(Post, Post.id == SparkPost.post_id)
            .join(Creator, Creator.id == Post.creator_id)
            .where(SparkPost.id.in_(spark_post_ids[start:start + CHUNK])))})
    return out


def held_on_linked_accounts(session: Session, business_id: str,
                            creator_ids: Collection[str], *,
                            limit: int) -> list[tuple[SparkPost, Post, AdAccount]]:
    """The bound Spark posts holding a code of these creators on the business's linked TikTok ad
    accounts, the soonest window end first, at most ``limit``."""
    return [(sp, post, account) for sp, post, account in session.execute(
        select(SparkPost, Post, AdAccount)
        .join(Post, Post.id == SparkPost.post_id)
        .join(AdAccount, AdAccount.id == SparkPost.ad_account_id)
        .where(SparkPost.business_id == business_id, SparkPost.unbound_at.is_(None),
               SparkPost.authorization_id.is_not(None), AdAccount.source != NATIVE,
               Post.creator_id.in_(sorted(creator_ids)))
        .order_by(SparkPost.window_end_at, SparkPost.id).limit(limit))]


def creators_run(session: Session, business_id: str, *, limit: int) -> list[Creator]:
    """The creators of the business's bound Spark posts, by handle, at most ``limit``: the
    handles are read in order from the index of (business, creator handle) and it stops at the
    ``limit``-th one, so the cost follows what is shown, not what the business holds."""
    bound = and_(SparkPost.business_id == business_id, SparkPost.unbound_at.is_(None))
    handles = (select(SparkPost.creator_handle_key).where(bound).distinct()
               .order_by(SparkPost.creator_handle_key).limit(limit))
    # Mirrors of one TikTok account share a handle: keep the creators whose posts run here.
    ids = (select(Post.creator_id).join(SparkPost, SparkPost.post_id == Post.id)
           .where(bound, SparkPost.creator_handle_key.in_(handles)))
    return list(session.scalars(select(Creator).where(Creator.id.in_(ids))
                                .order_by(Creator.handle_key, Creator.id).limit(limit)))


def timezones(session: Session, business_id: str) -> list[str]:
    """The time zones of the business's ad accounts."""
    return list(session.scalars(select(AdAccount.timezone).distinct()
                                .where(AdAccount.business_id == business_id)))


def rows_by_ids(session: Session, ids: Sequence[str]) -> dict[str, Row]:
    """The Spark posts with these ids, with post, creator, account and codes, by id."""
    out: dict[str, Row] = {}
    for start in range(0, len(ids), CHUNK):
        stmt = _rows().where(among(session, SparkPost.id, ids[start:start + CHUNK]))
        out.update({row[0].id: row for row in session.execute(stmt)})
    return out
