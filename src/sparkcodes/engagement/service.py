"""Engagement ingestion (R21): idempotent, refused for ads that were not delivering, rolled up."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal

from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.ad import repository as ad_repository
from sparkcodes.ad import rules as ad_rules
from sparkcodes.ad import service as ad_service
from sparkcodes.ad_account import service as ad_account_service
from sparkcodes.config import Settings
from sparkcodes.creator import repository as creator_repository
from sparkcodes.engagement import repository, rules
from sparkcodes.kit.clock import utc_now
from sparkcodes.kit.sentiment import compound
from sparkcodes.models import Ad, Post, User
from sparkcodes.post import repository as post_repository

EventStatus = Literal["accepted", "duplicate", "refused"]
# A rollup row's key: post id, ad id ("" organic), day, then the ad's group, campaign and account.
RollupKey = tuple[str, str, date, str | None, str | None, str | None]
# What spend is summed by: ("ad_group_id" or "campaign_id", its id, the day or None for all days).
SpendKey = tuple[str, str, date | None]


@dataclass(frozen=True)
class EventIn:
    event_id: str
    post_id: str
    type: str
    occurred_at: datetime | None = None
    ad_id: str | None = None
    comment_text: str | None = None


@dataclass
class EventResult:
    event_id: str
    status: EventStatus
    error: errors.AppError | None = None


@dataclass
class _Batch:
    """Per-request caches and the deltas applied once at the end."""

    posts: dict[str, Post | None] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)  # post id -> owner user id
    ads: dict[str, Ad | None] = field(default_factory=dict)
    # ad id -> ad_repository.load_related([ad]): the rows its delivery status depends on.
    related: dict[str, Any] = field(default_factory=dict)
    timezones: dict[str, str] = field(default_factory=dict)
    allowed_accounts: dict[str, bool] = field(default_factory=dict)
    spend_base: dict[SpendKey, int] = field(default_factory=dict)
    spend_new: dict[SpendKey, int] = field(default_factory=lambda: defaultdict(int))
    rollups: dict[RollupKey, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    post_counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(int)))


def ingest(session: Session, *, settings: Settings, user: User | None,
           events: list[EventIn]) -> list[EventResult]:
    """Store each event once. Organic events come from the post's owner; paid ones from the post's
    owner or an operator of the ad's account, and only while that ad delivered (user=None: the
    platform itself, as the simulator). Raises only for a malformed batch."""
    rules.check_batch(len(events), settings.engagement.batch_size)
    now = utc_now()
    batch = _Batch()
    # Every batch takes its locks in one global order, so concurrent batches queue instead of
    # deadlocking: budget rows (campaigns, then ad groups), event rows, rollups, post counters.
    _lock_budgets(session, batch, events)
    order = sorted(range(len(events)), key=lambda i: (events[i].post_id, events[i].event_id))
    results: list[EventResult | None] = [None] * len(events)
    seen = repository.existing(session, [(e.post_id, e.event_id) for e in events])
    planned: list[tuple[int, _Planned]] = []
    for i in order:
        event = events[i]
        try:
            plan = _plan(session, settings, user, event, now, batch)
        except errors.AppError as exc:
            results[i] = EventResult(event.event_id, "refused", exc)
            continue
        if (plan.post_id, event.event_id) in seen:
            results[i] = EventResult(event.event_id, "duplicate")
            continue
        seen.add((plan.post_id, event.event_id))
        _count_spend(batch, plan)
        planned.append((i, plan))
    stored = repository.insert_events(session, [p.row for _, p in planned])
    for i, plan in planned:
        if (plan.post_id, plan.row["event_id"]) not in stored:  # a concurrent twin stored it
            results[i] = EventResult(plan.row["event_id"], "duplicate")
            continue
        results[i] = EventResult(plan.row["event_id"], "accepted")
        batch.rollups[plan.key][plan.metric] += 1
        if plan.spend:
            batch.rollups[plan.key]["spend_micros"] += plan.spend
        if plan.counter:
            batch.post_counts[plan.post_id][plan.counter] += 1
    repository.add_to_rollups(session, [
        ({"post_id": key[0], "ad_key": key[1], "day": key[2], "ad_group_id": key[3],
          "campaign_id": key[4], "ad_account_id": key[5]}, dict(batch.rollups[key]))
        for key in sorted(batch.rollups, key=lambda k: (k[0], k[1], k[2]))])
    for post_id in sorted(batch.post_counts):
        repository.add_to_post(session, post_id, dict(batch.post_counts[post_id]))
    return [r for r in results if r is not None]


def _lock_budgets(session: Session, batch: _Batch, events: list[EventIn]) -> None:
    """Lock the campaigns and ad groups whose budgets this batch spends, before reading spend, so
    concurrent batches cannot both spend the last of a budget (PostgreSQL; SQLite writers are
    serial already)."""
    ad_ids = sorted({e.ad_id for e in events if e.ad_id})
    ads = [a for a in (_ad(session, batch, ad_id) for ad_id in ad_ids) if a is not None]
    ad_repository.lock_budgets(session, campaign_ids=sorted({a.campaign_id for a in ads}),
                               ad_group_ids=sorted({a.ad_group_id for a in ads}))


@dataclass
class _Planned:
    """An event that passed every check, with what it will count if it is stored."""

    post_id: str
    row: repository.EventRow
    key: RollupKey
    metric: str
    counter: str | None
    spend: int


def _plan(session: Session, settings: Settings, user: User | None, event: EventIn,
          now: datetime, batch: _Batch) -> _Planned:
    """Check one event (who may send it, its instant, its ad's delivery then); raises if refused."""
    if event.type not in rules.EVENT_TYPES:
        raise errors.InvalidInput(f"Unknown event type {event.type!r}.", code="invalid_event_type")
    rules.check_source(event.type, event.ad_id)
    text = rules.comment_text(event.type, event.comment_text)
    at = rules.check_time(event.occurred_at or now, now,
                          timedelta(seconds=settings.engagement.max_future_skew_seconds))
    post = _post(session, batch, event.post_id)
    is_owner = user is None or batch.owners.get(post.id) == user.id
    metric, counter = rules.EVENT_TYPES[event.type]
    spend = 0
    if event.ad_id is None:
        if not is_owner:
            raise errors.NotFound("No such post.", code="post_not_found")
        key: RollupKey = (post.id, "", at.date(), None, None, None)
    else:
        ad = _ad(session, batch, event.ad_id)
        allowed = is_owner or (ad is not None
                               and _may_operate(session, batch, user, ad.ad_account_id))
        if not allowed:
            # The same answer as for a post that does not exist: reveal nothing to strangers.
            raise errors.NotFound("No such post.", code="post_not_found")
        if ad is None or ad.post_id != post.id:
            raise errors.NotFound("No such ad on this post.", code="ad_not_found")
        day = ad_service.local_day(at, batch.timezones[ad.ad_account_id])
        delivery = _delivery(session, batch, ad, at, day)
        if not delivery.delivering:
            raise errors.Conflict(
                f"The ad was not delivering at {at:%Y-%m-%d %H:%M} UTC: "
                + ", ".join(r.value for r in delivery.reasons) + ".",
                code="ad_not_delivering",
                details={"reasons": [r.value for r in delivery.reasons]})
        if metric == "impressions":
            spend = ad_rules.spend_per_impression(batch.related[ad.id]["groups"][ad.ad_group_id]
                                                  .bid_micros)
        key = (post.id, ad.id, day, ad.ad_group_id, ad.campaign_id, ad.ad_account_id)
    row = repository.EventRow(event_id=event.event_id, post_id=post.id, ad_id=event.ad_id,
                              type=event.type, occurred_at=at, spend_micros=spend,
                              comment_text=text,
                              sentiment=compound(text) if text is not None else None)
    return _Planned(post.id, row, key, metric, counter, spend)


def _count_spend(batch: _Batch, plan: _Planned) -> None:
    """Later events of the batch see the spend of earlier ones, so a budget holds within it."""
    if plan.spend:
        _, _, day, group_id, campaign_id, _ = plan.key
        assert group_id is not None and campaign_id is not None  # spend comes from an ad
        batch.spend_new[("ad_group_id", group_id, day)] += plan.spend
        batch.spend_new[("campaign_id", campaign_id, day)] += plan.spend
        batch.spend_new[("campaign_id", campaign_id, None)] += plan.spend


def _post(session: Session, batch: _Batch, post_id: str) -> Post:
    if post_id not in batch.posts:
        post = post_repository.by_id(session, post_id)
        batch.posts[post_id] = post
        if post is not None:
            creator = creator_repository.by_id(session, post.creator_id)
            batch.owners[post_id] = (creator.owner_id or "") if creator else ""
    post = batch.posts[post_id]
    if post is None:
        raise errors.NotFound("No such post.", code="post_not_found")
    return post


def _ad(session: Session, batch: _Batch, ad_id: str) -> Ad | None:
    if ad_id not in batch.ads:
        found = ad_repository.get(session, Ad, ad_id)
        ad = found if isinstance(found, Ad) else None  # get(Ad, ...) finds an ad or nothing
        batch.ads[ad_id] = ad
        if ad is not None:
            batch.related[ad.id] = ad_repository.load_related(session, [ad])
            batch.timezones[ad.ad_account_id] = (
                batch.related[ad.id]["accounts"][ad.ad_account_id].timezone)
    return batch.ads[ad_id]


def _may_operate(session: Session, batch: _Batch, user: User | None, account_id: str) -> bool:
    if user is None:
        return True
    if account_id not in batch.allowed_accounts:
        try:
            ad_account_service.access(session, user=user, ad_account_id=account_id,
                                      action="operate")
            batch.allowed_accounts[account_id] = True
        except errors.AppError:
            batch.allowed_accounts[account_id] = False
    return batch.allowed_accounts[account_id]


def _spent(session: Session, batch: _Batch, column: str, obj_id: str, day: date | None) -> int:
    key = (column, obj_id, day)
    if key not in batch.spend_base:
        found = ad_repository.spend_by(session, column, {obj_id}, None if day is None else {day})
        batch.spend_base[key] = found.get((obj_id, day), 0)
    return batch.spend_base[key] + batch.spend_new.get(key, 0)


def _delivery(session: Session, batch: _Batch, ad: Ad, at: datetime,
              day: date) -> ad_rules.Delivery:
    rel = batch.related[ad.id]
    campaign = rel["campaigns"][ad.campaign_id]
    campaign_day = day if campaign.budget_mode == "BUDGET_MODE_DAY" else None
    view = ad_service.build_view(
        ad, rel, now=at,
        spent_today=_spent(session, batch, "ad_group_id", ad.ad_group_id, day),
        spent_campaign=_spent(session, batch, "campaign_id", ad.campaign_id, campaign_day),
    )
    return view.delivery


def last_paid_days(session: Session, ad_ids: list[str]) -> dict[str, date]:
    """The last day each ad had a paid impression counted; ads that never had one are absent."""
    return repository.last_paid_days(session, ad_ids)

