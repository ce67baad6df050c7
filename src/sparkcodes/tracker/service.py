"""The tracker (R22): one view of every Spark post a business holds, across its ad accounts.

Status, window and flags are derived at ``now`` by the same rules as everywhere else; nothing here
is stored. Filters that need only the rows run before live ads are computed, and live ads (the
expensive part) are computed only for the rows shown unless the sort needs them for all.
"""

from __future__ import annotations

from bisect import insort
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.ad import repository as ad_repository
from sparkcodes.ad import service as ad_service
from sparkcodes.ad_account import repository as ad_account_repository
from sparkcodes.contract import rules as contract_rules
from sparkcodes.contract import service as contract_service
from sparkcodes.creator import repository as creator_repository
from sparkcodes.creator import rules as creator_rules
from sparkcodes.engagement import repository as engagement_repository
from sparkcodes.models import AdAccount, Authorization, Business, Creator, Post, SparkPost
from sparkcodes.spark_post import rules as spark_rules
from sparkcodes.spark_post import service as spark_post_service
from sparkcodes.tracker import repository, rules

CHUNK = repository.CHUNK


@dataclass(frozen=True)
class Query:
    """What to show; build it with ``query`` so every value is checked."""

    statuses: frozenset[str] | None = None
    within: timedelta | None = None
    ad_account_id: str | None = None
    creator_id: str | None = None
    creator_ids: frozenset[str] | None = None  # posts by any of these creators (for pages)
    creator_handle: str | None = None
    post_id: str | None = None
    include_unbound: bool = False
    sort: str = "expiry"
    descending: bool = False


def query(*, status: Sequence[str] = (), expiring_within: str | None = None,
          ad_account_id: str | None = None, creator_id: str | None = None,
          creator: str | None = None, post_id: str | None = None,
          include_unbound: bool = False, sort: str = "expiry") -> Query:
    """Parse the tracker's filters; raises InvalidInput naming the bad one."""
    sort_name, descending = rules.parse_sort(sort)
    statuses = rules.parse_statuses(status)
    return Query(
        statuses=frozenset(statuses) if statuses else None,
        within=rules.parse_within(expiring_within) if expiring_within else None,
        ad_account_id=ad_account_id or None, creator_id=creator_id or None,
        creator_handle=creator_rules.normalize_handle(creator) if creator else None,
        post_id=post_id or None,
        include_unbound=include_unbound or (statuses is not None and rules.UNBOUND in statuses),
        sort=sort_name, descending=descending,
    )


@dataclass
class Item:
    """One Spark post of the business, as the tracker shows it."""

    spark_post: SparkPost
    post: Post
    creator: Creator
    account: AdAccount
    code: Authorization | None
    status: str
    stop_reasons: list[str]
    window_end: datetime | None
    days_left: int | None
    hours_left: int | None
    contract: contract_rules.ContractTerm | None = None
    live_ads: int = 0
    total_ads: int = 0
    spend_at_risk_micros: int = 0
    flags: list[str] = field(default_factory=list)
    ad_ids: list[str] = field(default_factory=list)  # live ones first, each oldest first

    @property
    def bound(self) -> bool:
        return self.spark_post.unbound_at is None

    def sort_fields(self) -> rules.SortFields:
        return rules.SortFields(window_end=self.window_end, days_left=self.days_left,
                                spend_at_risk_micros=self.spend_at_risk_micros,
                                handle=self.creator.handle, ident=self.spark_post.id)


@dataclass
class Result:
    items: list[Item]
    total: int
    now: datetime
    total_exact: bool = True  # False: at least ``total`` match (counting stopped there)
    next: rules.Cursor | None = None  # where the page after this one starts; None: the last

    @property
    def spend_at_risk_micros(self) -> int:
        return sum(i.spend_at_risk_micros for i in self.items)


# A page counts its matches up to TOTAL_BOUND (or up to its own end, if further); with a status
# filter it examines at most STATUS_EXAMINE rows (a CASE over six joined rows each). Past that
# the total reads "at least".
TOTAL_BOUND = 10_000
STATUS_EXAMINE = 2_000
PRUNE_BATCH = 64  # spending rows whose exact spend at risk is computed at a time


def track(session: Session, *, business: Business, q: Query, now: datetime,
          limit: int | None = None, offset: int = 0,
          after: rules.Cursor | None = None) -> Result:
    """The business's Spark posts matching ``q`` in its order; ``limit`` None means all.
    ``after`` (a cursor of a previous page, in place of ``offset``) continues after its row by
    keyset for the sorts read in SQL alone, and at its offset for the spend sorts.

    An ad account of another business is NotFound, like everywhere else."""
    f = _filters(session, business, q)
    if f is None:
        return Result([], 0, now)
    if limit is None:
        items = [i for chunk in _chunks(session, business, f, q, now) for i in chunk]
        return Result(items, len(items), now)
    if after is not None and after.offset is not None:
        offset, after = after.offset, None
    if after is not None and q.sort not in rules.KEYSET_SORTS:
        raise rules.not_a_cursor()
    total, exact = _total(session, f, now, at_least=offset + limit)
    if q.sort not in SPEND_SORTS:
        if after is not None:
            keys, more = repository.keys_after(session, f, now, sort=q.sort,
                                               descending=q.descending, segment=after.segment,
                                               values=after.values, limit=limit)
        else:
            keys = repository.keys(session, f, now, sort=q.sort, descending=q.descending,
                                   offset=offset, limit=limit)
            more = len(keys) == limit and (not exact or offset + limit < total)
        items = _items(session, business, keys, now)
        total = _at_least(total, items, offset)
        following = None
        if more and keys:
            segment, values = repository.position(keys[-1], sort=q.sort)
            following = rules.Cursor(rules.sort_text(q.sort, q.descending), segment, values)
        return Result(items, total, now, exact, following)
    candidates = repository.spend_candidates(f, now, _yesterdays(session, business, now))
    # The first offset + limit rows of the whole order are among the spending rows and the first
    # offset + limit of the others (whose spend at risk is zero, already in order in SQL).
    others = repository.keys(session, f, now, sort=q.sort, descending=q.descending, offset=0,
                             limit=offset + limit, exclude=candidates.ids)
    spent = _spenders_within(session, business, candidates, others, q, now,
                             wanted=offset + limit)
    fields = _fields(spent, now)
    page = rules.order([*spent, *others], fields, sort=q.sort,
                       descending=q.descending)[offset:offset + limit]
    items = _items(session, business, page, now, known=spent)
    total = _at_least(total, items, offset)
    more = len(items) == limit and (not exact or offset + limit < total)
    following = (rules.Cursor(rules.sort_text(q.sort, q.descending), rules.OFFSET_SEGMENT,
                              (offset + limit,)) if more else None)
    return Result(items, total, now, exact, following)


def parse_after(q: Query, text: str) -> rules.Cursor:
    """The ``after`` of a request: a cursor made for this query's sort, or InvalidInput."""
    return rules.parse_cursor(text, sort=rules.sort_text(q.sort, q.descending))


def _at_least(total: int, items: list[Item], offset: int) -> int:
    """A count that stopped early is still at least the rows up to this page's last one."""
    return max(total, offset + len(items)) if items else total


def _total(session: Session, f: repository.Filters, now: datetime, *,
           at_least: int) -> tuple[int, bool]:
    """How many rows match, and whether that is exact or a lower bound: counting stops past
    TOTAL_BOUND matches (or past ``at_least``, the page's end); with a status filter, it counts
    the matches among the first STATUS_EXAMINE rows of the other filters (the status is a CASE
    over joins, so a rare status would otherwise cost every row held)."""
    if f.statuses is not None:
        examine = max(STATUS_EXAMINE, at_least)
        counted, complete = repository.count_status_among(session, f, now, examine=examine)
        return counted, complete
    bound = max(TOTAL_BOUND, at_least)
    counted = repository.count(session, f, now, up_to=bound)
    return min(counted, bound), counted <= bound


def _spenders_within(session: Session, business: Business,
                     candidates: repository.SpendCandidates, others: list[repository.Key],
                     q: Query, now: datetime, *, wanted: int) -> dict[str, Item]:
    """The spending rows that can be among the first ``wanted`` of the order, as items with
    their exact live ads and spend at risk.

    A spending row's spend at risk lies between 0 and what its ads spent yesterday (live or
    not), so its earliest possible rank is known before its ads' delivery is. Only rows whose
    earliest rank beats the ``wanted``-th rank known exactly so far can make the cut: they are
    built in order of that earliest rank, a batch at a time, and the cut tightens after each
    batch; the rest are never built."""
    def best(c: repository.Candidate) -> tuple[object, ...]:
        days, _ = rules.time_left(c.window_end, now)
        f = rules.SortFields(window_end=c.window_end, days_left=days, spend_at_risk_micros=0,
                             handle=c.handle, ident=c.id)
        return rules.best_rank(f, c.spent_micros, sort=q.sort, descending=q.descending)

    queue = sorted(((best(c), c) for c in repository.candidates(session, candidates)),
                   key=lambda bc: bc[0])
    spent: dict[str, Item] = {}
    zero = _fields({}, now)
    known = sorted(rules.rank(zero(k), sort=q.sort, descending=q.descending) for k in others)
    at = 0
    while at < len(queue):
        cut = known[wanted - 1] if len(known) >= wanted else None
        batch: list[repository.Candidate] = []
        while at < len(queue) and len(batch) < PRUNE_BATCH and (
                cut is None or queue[at][0] < cut):
            batch.append(queue[at][1])
            at += 1
        if not batch:
            break
        for item in _items(session, business, [repository.Key(c.id, None, "") for c in batch],
                           now):
            spent[item.spark_post.id] = item
            insort(known, rules.rank(item.sort_fields(), sort=q.sort, descending=q.descending))
    return spent


def _yesterdays(session: Session, business: Business, now: datetime) -> dict[str, date]:
    """The day before ``now`` in each time zone of the business's ad accounts."""
    return {tz: ad_service.local_day(now, tz) - timedelta(days=1)
            for tz in repository.timezones(session, business.id)}


def stream(session: Session, *, business: Business, q: Query, now: datetime) -> Iterator[Item]:
    """Every matching Spark post in order, read and built a chunk at a time (for exports)."""
    f = _filters(session, business, q)
    if f is None:
        return
    for chunk in _chunks(session, business, f, q, now):
        yield from chunk


def spending(session: Session, *, business: Business, q: Query, now: datetime) -> list[Item]:
    """The Spark posts matching ``q`` whose spend at risk is above zero, largest first: only
    those with an ad that spent yesterday can have any, so only those are built (a total of
    spend at risk costs what spends, not what the business holds)."""
    f = _filters(session, business, q)
    if f is None:
        return []
    _, spent = _spending(session, business, f, now)
    return sorted((i for i in spent.values() if i.spend_at_risk_micros > 0),
                  key=lambda i: (-i.spend_at_risk_micros, i.spark_post.id))


SPEND_SORTS = ("spend_at_risk", "days_left")


def check(session: Session, *, business: Business, q: Query) -> None:
    """Refuse a query naming an ad account of another business (NotFound), before streaming."""
    _filters(session, business, q)


def _filters(session: Session, business: Business, q: Query) -> repository.Filters | None:
    """The query as SQL filters; None when it cannot match anything."""
    if q.ad_account_id is not None:
        account = ad_account_repository.by_id(session, q.ad_account_id)
        if account is None or account.business_id != business.id:
            raise errors.NotFound("No such ad account.")
    creator_id = q.creator_id
    if q.creator_handle is not None:
        found = creator_repository.by_handle(session, q.creator_handle)
        if found is None or (creator_id is not None and found.id != creator_id):
            return None
        creator_id = found.id
    return repository.Filters(business_id=business.id, ad_account_id=q.ad_account_id,
                              creator_id=creator_id, creator_ids=q.creator_ids,
                              post_id=q.post_id,
                              include_unbound=q.include_unbound, statuses=q.statuses,
                              within=q.within)


def _spending(session: Session, business: Business, f: repository.Filters,
              now: datetime) -> tuple[Any, dict[str, Item]]:
    """The matching Spark posts with an ad that spent yesterday (the only ones whose spend at
    risk can be above zero), as a statement and as items with live ads and spend computed."""
    candidates = repository.spend_candidates(f, now, _yesterdays(session, business, now))
    keys = [repository.Key(c.id, None, "") for c in repository.candidates(session, candidates)]
    items = _items(session, business, keys, now)
    return candidates.ids, {i.spark_post.id: i for i in items}


def _fields(spent: dict[str, Item], now: datetime) -> Any:  # noqa: ANN401
    def fields(row: Any) -> rules.SortFields:  # noqa: ANN401
        if isinstance(row, str):
            return spent[row].sort_fields()
        days, _ = rules.time_left(row.window_end, now)
        return rules.SortFields(window_end=row.window_end, days_left=days,
                                spend_at_risk_micros=0, handle=row.handle, ident=row.id)
    return fields


def _chunks(session: Session, business: Business, f: repository.Filters, q: Query,
            now: datetime) -> Iterator[list[Item]]:
    """Every matching row in order as items, a chunk at a time."""
    if q.sort not in SPEND_SORTS:
        for keys in repository.chunks(session, f, now, sort=q.sort, descending=q.descending):
            yield _items(session, business, keys, now)
        return
    # Spend sorts: the spending rows are few and known first; the others stream in SQL order and
    # the two merge by the sort's own order.
    candidates, spent = _spending(session, business, f, now)
    fields = _fields(spent, now)
    pending = rules.order(list(spent), fields, sort=q.sort, descending=q.descending)
    for keys in repository.chunks(session, f, now, sort=q.sort, descending=q.descending,
                                  exclude=candidates):
        merged = rules.order([*pending, *keys], fields, sort=q.sort, descending=q.descending)
        last = keys[-1]
        cut = merged.index(last) + 1
        pending = [r for r in merged[cut:] if isinstance(r, str)]
        yield _items(session, business, merged[:cut], now, known=spent)
    if pending:
        yield _items(session, business, pending, now, known=spent)


def _items(session: Session, business: Business, keys: Sequence[Any], now: datetime,
           known: dict[str, Item] | None = None) -> list[Item]:
    """Items for these rows (keys, or ids of items already built), in this order, with their
    contract, live ads and spend at risk."""
    known = known or {}
    ids = [k if isinstance(k, str) else k.id for k in keys]
    fresh_ids = [i for i in ids if i not in known]
    rows = repository.rows_by_ids(session, fresh_ids)
    originals = spark_post_service.originals_of(session, [r[1] for r in rows.values()])
    fresh = {sid: _item(*row, originals.get(row[1].id), now) for sid, row in rows.items()}
    if fresh:
        new = list(fresh.values())
        _attach_contracts(session, business, new)
        _attach_ads(session, new, now)
    return [known[i] if i in known else fresh[i] for i in ids]


def _item(sp: SparkPost, post: Post, creator: Creator, account: AdAccount,
          code: Authorization | None, original_code: Authorization | None,
          original: tuple[Post, Creator] | None, now: datetime) -> Item:
    """Status and window exactly as the ad account's Spark post list shows them (R17)."""
    state = spark_post_service.state_of(sp, post, creator, code, original_code,
                                        original=original)
    reasons = [r.value for r in spark_rules.stop_reasons(state, now)] if sp.unbound_at is None \
        else []
    if sp.unbound_at is not None:
        status = rules.UNBOUND
    else:
        status = reasons[0] if reasons else spark_rules.AUTHORIZED
    end = spark_rules.window_end(state)
    days, hours = rules.time_left(end, now)
    return Item(spark_post=sp, post=post, creator=creator, account=account, code=code,
                status=status, stop_reasons=reasons, window_end=end, days_left=days,
                hours_left=hours)


def _attach_contracts(session: Session, business: Business, items: list[Item]) -> None:
    terms = contract_service.terms(session, business_id=business.id,
                                   post_ids=[i.post.id for i in items],
                                   creator_ids=[i.creator.id for i in items])
    if not terms:
        return
    for item in items:
        item.contract = contract_rules.governing(terms, creator_id=item.creator.id,
                                                 post_id=item.post.id)


def _attach_ads(session: Session, items: list[Item], now: datetime) -> None:
    """Live and total ads per Spark post, spend at risk (yesterday's spend, in the ad account's
    time zone, of the ads live now) and the contract flags."""
    by_spark = {i.spark_post.id: i for i in items}
    ids = list(by_spark)
    live: dict[str, list[str]] = {}
    for start in range(0, len(ids), CHUNK):
        ads = ad_repository.ads_where(session, spark_post_ids=ids[start:start + CHUNK])
        for view in ad_service.deliveries(session, ads, now):
            item = by_spark[view.ad.spark_post_id]
            item.total_ads += 1
            if view.delivery.delivering:
                item.live_ads += 1
                live.setdefault(item.spark_post.id, []).append(view.ad.id)
                item.ad_ids.insert(item.live_ads - 1, view.ad.id)
            else:
                item.ad_ids.append(view.ad.id)
    yesterdays = {i.account.id: ad_service.local_day(now, i.account.timezone) - timedelta(days=1)
                  for i in items}
    spend = engagement_repository.spend_by_ad_day(
        session, (a for ads in live.values() for a in ads), set(yesterdays.values()))
    for item in items:
        day = yesterdays[item.account.id]
        item.spend_at_risk_micros = sum(spend.get((ad_id, day), 0)
                                        for ad_id in live.get(item.spark_post.id, []))
        item.flags = rules.flags(bound=item.bound, window_end=item.window_end,
                                 contract_end=item.contract.ends_at if item.contract else None,
                                 live_ads=item.live_ads, now=now)


@dataclass
class ContractFlags:
    """A contract's flagged Spark posts: the first ones in the tracker's default order, built as
    items, and how many there are in all."""

    items: list[Item]
    count: int


def contract_flags(session: Session, *, business: Business, creator_ids: set[str],
                   now: datetime, shown: int) -> dict[str, ContractFlags]:
    """R26 for the contracts of these creators: by contract id, its flagged Spark posts (the
    first ``shown`` as items) and their number, for the contracts that have any.

    Whether a code ends before its contract needs only the window end, a column: it is decided
    on plain rows. Whether an ad still runs after the contract needs the ads' delivery, a rule
    with the clock in it: only the rows whose contract has ended and that have an ad at all are
    built to decide it. So the cost follows the contracts' Spark posts as rows, and items are
    built for what is shown and what only delivery can decide."""
    rows = repository.flag_rows(session, business.id, sorted(creator_ids))
    terms = contract_service.terms(session, business_id=business.id,
                                   post_ids=[r.post_id for r in rows],
                                   creator_ids=sorted(creator_ids))
    flagged: dict[str, list[repository.FlagRow]] = {}
    undecided: dict[str, tuple[repository.FlagRow, str]] = {}
    for row in rows:
        term = contract_rules.governing(terms, creator_id=row.creator_id, post_id=row.post_id)
        if term is None:
            continue
        if rules.code_ends_first(row.window_end, term.ends_at):
            flagged.setdefault(term.id, []).append(row)
        elif row.has_ads and rules.contract_ended(term.ends_at, now):
            undecided[row.id] = (row, term.id)  # flagged if one of its ads is live
    built = {i.spark_post.id: i for i in _items(
        session, business, [repository.Key(r.id, r.window_end, r.handle)
                            for r, _ in undecided.values()], now)}
    for row_id, (row, term_id) in undecided.items():
        item = built.get(row_id)  # absent only if it went since the rows were read
        if item is not None and item.flags:
            flagged.setdefault(term_id, []).append(row)
    order = {r.id: n for n, r in enumerate(rows)}
    for found in flagged.values():
        found.sort(key=lambda r: order[r.id])
    wanted = [r for found in flagged.values() for r in found[:shown] if r.id not in built]
    built |= {i.spark_post.id: i for i in _items(
        session, business, [repository.Key(r.id, r.window_end, r.handle) for r in wanted], now)}
    return {term_id: ContractFlags([built[r.id] for r in found[:shown] if r.id in built],
                                   len(found))
            for term_id, found in flagged.items()}


@dataclass(frozen=True)
class Held:
    """A Spark post holding a creator's code on a linked TikTok ad account."""

    spark_post: SparkPost
    post: Post
    account: AdAccount

    @property
    def window_end(self) -> datetime | None:
        return self.spark_post.window_end_at


def held_on_tiktok(session: Session, *, business: Business, creator_ids: set[str],
                   limit: int) -> dict[str, list[Held]]:
    """By creator, the codes of these creators held on the business's linked TikTok ad accounts
    (which can be asked to extend by e-mail), the soonest end first, at most ``limit`` in all:
    read as rows, not built as tracker items (no ads or spend are needed)."""
    out: dict[str, list[Held]] = {}
    if not creator_ids:
        return out
    for sp, post, account in repository.held_on_linked_accounts(
            session, business.id, creator_ids, limit=limit):
        out.setdefault(post.creator_id, []).append(Held(sp, post, account))
    return out


def creators_run(session: Session, *, business: Business, limit: int) -> list[Creator]:
    """The creators whose posts the business runs (bound Spark posts), by handle, at most
    ``limit``: for pickers, at a cost that follows ``limit``, not the business's size."""
    return repository.creators_run(session, business.id, limit=limit)


def posts_run(session: Session, *, business: Business, now: datetime,
              limit: int) -> list[repository.PostRun]:
    """The posts of the business's first ``limit`` bound Spark posts in the tracker's default
    order (the soonest window end first), each post once, with its creator's handle: for
    pickers."""
    keys = repository.keys(session, repository.Filters(business_id=business.id), now,
                           sort="expiry", descending=False, offset=0, limit=limit)
    rows = repository.posts_of(session, [k.id for k in keys])
    out: dict[str, repository.PostRun] = {}
    for key in keys:
        if key.id in rows:  # absent only if it went since the keys were read
            out.setdefault(rows[key.id].post_id, rows[key.id])
    return list(out.values())


def businesses_matching(session: Session, *, name_or_id: str) -> list[Business]:
    """Businesses whose id is this, or whose name is this ignoring case, oldest first."""
    return repository.businesses_matching(session, name_or_id)
