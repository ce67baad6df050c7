"""Reports: engagement and spend from the daily rollups, and paid vs organic over time.

The JSON API (``report``) and the report pages call these same functions. Paid days are in the ad
account's time zone; organic days in UTC (organic engagement has no ad account).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal, TypedDict
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.ad import repository as ad_repository
from sparkcodes.ad import service as ad_service
from sparkcodes.ad_account import service as ad_account_service
from sparkcodes.creator import repository as creator_repository
from sparkcodes.creator import service as creator_service
from sparkcodes.engagement import repository as engagement_repository
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import Ad, AdAccount, AdGroup, Campaign, Creator, EngagementDaily, Post, User
from sparkcodes.post import service as post_service
from sparkcodes.report import repository as report_repository
from sparkcodes.report import rules

Level = Literal["ad", "ad_group", "campaign", "ad_account", "post"]
MAX_DAYS = 366
PERIODS = (7, 30, 90)  # the report pages' "last N days" choices

# TikTok's metric names in plain words, in the order the pages list them.
LABELS: dict[str, str] = {
    "impressions": "Views",
    "clicks": "Clicks",
    "likes": "Likes",
    "comments": "Comments",
    "shares": "Shares",
    "follows": "Follows",
    "profile_visits": "Profile visits",
    "clicks_on_music_disc": "Sound clicks",
    "video_watched_2s": "Watched 2 seconds",
    "video_watched_6s": "Watched 6 seconds",
    "engaged_view_15s": "Watched 15 seconds",
    "video_views_p100": "Watched to the end",
    "spend": "Spend",
    "cpm": "Cost per 1,000 views",
    "cpc": "Cost per click",
    "ctr": "Click-through rate",
    "engagement_rate": "Engagement rate",
    "completion_rate": "Completion rate",
    "profile_visits_rate": "Profile visit rate",
}
RATES = ("ctr", "engagement_rate", "completion_rate", "profile_visits_rate")


class ReportRow(BaseModel):
    stat_time_day: date | None = None
    source: Literal["paid", "organic", "all"] = "paid"
    metrics: dict[str, Any]


class ReportOut(BaseModel):
    level: str
    id: str
    start_date: date
    end_date: date
    granularity: str
    currency: str | None = Field(None, description="ISO 4217 code of spend and cpm: the ad "
                                 "account's currency (a post report has no spend: null)")
    rows: list[ReportRow]
    total: dict[str, Any]
    paid: dict[str, Any] | None = None
    organic: dict[str, Any] | None = None


# --- the days a report covers ------------------------------------------------------------------

# Why a range is refused, in the refusal's details (``reason``, and ``field``: the date to
# change), so a page puts its own words next to the right field without reading the message.
END_TOO_EARLY, START_AFTER_END, SPAN_TOO_LONG = "end_too_early", "start_after_end", "span_too_long"


def _bad_range(message: str, reason: str, field: str) -> errors.InvalidInput:
    return errors.InvalidInput(message, code="invalid_date_range",
                               details={"reason": reason, "field": field})


def date_range(start: date | None, end: date | None) -> tuple[date, date]:
    """The report's first and last day (defaults: the seven days up to today, UTC); raises
    InvalidInput (invalid_date_range, with a reason among END_TOO_EARLY, START_AFTER_END and
    SPAN_TOO_LONG) for a range that is backwards or longer than MAX_DAYS."""
    end = end or utc_now().date()
    try:
        start = start or end - timedelta(days=6)
    except OverflowError:
        raise _bad_range("end_date is too early.", END_TOO_EARLY, "end_date") from None
    if start > end:
        raise _bad_range("start_date is after end_date.", START_AFTER_END, "start_date")
    if (end - start).days + 1 > MAX_DAYS:
        raise _bad_range(f"A report spans at most {MAX_DAYS} days.", SPAN_TOO_LONG,
                         "start_date")
    return start, end


def last_days(days: int, today: date | None = None) -> tuple[date, date]:
    """The ``days`` days up to today (UTC), today included."""
    end = today or utc_now().date()
    return end - timedelta(days=days - 1), end


# --- the JSON report ---------------------------------------------------------------------------

_LIFECYCLE: dict[str, type[Ad] | type[AdGroup] | type[Campaign]] = {
    "ad": Ad, "ad_group": AdGroup, "campaign": Campaign}


def _filters(session: Session, user: User, level: str,
             obj_id: str) -> tuple[list[ColumnElement[bool]], str | None]:
    """The rollup filter for the object, once the user is known to be allowed to read it, and
    the currency of its ad account (None for a post)."""
    if level == "post":
        post_service.get_owned(session, user=user, post_id=obj_id)
        return [EngagementDaily.post_id == obj_id], None
    if level == "ad_account":
        account, _, _ = ad_account_service.access(session, user=user, ad_account_id=obj_id,
                                                  action="read")
        return [EngagementDaily.ad_account_id == obj_id], account.currency
    obj = ad_repository.get(session, _LIFECYCLE[level], obj_id)
    noun = level.replace("_", " ")
    if obj is None:
        raise errors.NotFound(f"No such {noun}.")
    try:
        account, _, _ = ad_account_service.access(session, user=user,
                                                  ad_account_id=obj.ad_account_id, action="read")
    except errors.NotFound:
        raise errors.NotFound(f"No such {noun}.") from None
    column = {"ad": EngagementDaily.ad_key, "ad_group": EngagementDaily.ad_group_id,
              "campaign": EngagementDaily.campaign_id}[level]
    return [column == obj_id], account.currency


def report(session: Session, *, user: User, level: str, obj_id: str, start: date | None,
           end: date | None, granularity: str) -> ReportOut:
    """Engagement and spend per day or in total: paid for ads, ad groups, campaigns and ad
    accounts; split paid/organic for a post (its creator only). Raises InvalidInput for a bad
    range, NotFound for an object the user may not read."""
    start, end = date_range(start, end)
    filters, currency = _filters(session, user, level, obj_id)
    by_day = granularity == "day"
    out = ReportOut(level=level, id=obj_id, start_date=start, end_date=end,
                    granularity=granularity, currency=currency, rows=[], total={})
    if level == "post":
        rows = engagement_repository.sums(session, filters=filters, start=start, end=end,
                                          by_day=by_day, group_by_source=True)
        for row in rows:
            if row.get("organic") is None:
                continue
            out.rows.append(ReportRow(stat_time_day=row.get("day"),
                                      source="organic" if row["organic"] else "paid",
                                      metrics=rules.metrics(row)))
        totals = engagement_repository.sums(session, filters=filters, start=start, end=end,
                                            by_day=False, group_by_source=True)
        split = {bool(r["organic"]): r for r in totals if r.get("organic") is not None}
        out.paid = rules.metrics(split.get(False, {}))
        out.organic = rules.metrics(split.get(True, {}))
        all_rows = engagement_repository.sums(session, filters=filters, start=start, end=end,
                                              by_day=False)
        out.total = rules.metrics(all_rows[0] if all_rows else {})
        return out
    rows = engagement_repository.sums(session, filters=[*filters, EngagementDaily.ad_key != ""],
                                      start=start, end=end, by_day=by_day)
    if by_day:
        out.rows = [ReportRow(stat_time_day=r["day"], metrics=rules.metrics(r)) for r in rows]
    total = engagement_repository.sums(session, filters=[*filters, EngagementDaily.ad_key != ""],
                                       start=start, end=end, by_day=False)
    out.total = rules.metrics(total[0] if total else {})
    if not by_day:
        out.rows = [ReportRow(metrics=out.total)]
    return out


# --- paid vs organic over time -----------------------------------------------------------------

def engagement(metrics: dict[str, Any]) -> int:
    """Likes, comments, shares, follows, profile visits and sound clicks together: the social
    engagement the pages compare paid with organic by (an organic view has no ad to click)."""
    return sum(int(metrics.get(name) or 0) for name in rules.SOCIAL)


def fill_days(by_day: dict[date, dict[str, Any]], start: date, end: date) -> list[dict[str, Any]]:
    """Metrics for every day from start to end inclusive, in order; a day without rows is zeros."""
    zero = rules.metrics({})
    return [by_day.get(start + timedelta(days=i), zero) for i in range((end - start).days + 1)]


@dataclass
class Split:
    """Paid and organic engagement over the same days, totals and one entry per day."""

    start: date
    end: date
    paid_by_day: list[dict[str, Any]]
    organic_by_day: list[dict[str, Any]]
    paid: dict[str, Any]
    organic: dict[str, Any]

    @property
    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    @property
    def empty(self) -> bool:
        """Nothing at all in the period, paid or organic."""
        return not any(self.paid[n] or self.organic[n] for n in rules.COUNTERS)

    def series(self, metric: str) -> dict[str, Any]:
        """One chart's data: the days and the paid and organic value of each."""
        def value(m: dict[str, Any]) -> int:
            return engagement(m) if metric == "engagement" else int(m.get(metric) or 0)
        return {"metric": metric, "days": [d.isoformat() for d in self.days],
                "labels": [f"{d:%b} {d.day}" for d in self.days],
                "paid": [value(m) for m in self.paid_by_day],
                "organic": [value(m) for m in self.organic_by_day]}


def build_split(start: date, end: date, paid_rows: list[dict[str, Any]],
                organic_rows: list[dict[str, Any]]) -> Split:
    """A Split from summed rollup rows per day (each with a ``day``), zeros on missing days;
    totals are the sums of the days."""
    return Split(start, end, _by_day(paid_rows, start, end), _by_day(organic_rows, start, end),
                 _total(paid_rows), _total(organic_rows))


def _by_day(rows: list[dict[str, Any]], start: date, end: date) -> list[dict[str, Any]]:
    return fill_days({r["day"]: rules.metrics(r) for r in rows if r.get("day")}, start, end)


def _total(rows: list[dict[str, Any]]) -> dict[str, Any]:
    summed: dict[str, int] = {}
    for row in rows:
        for name, value in row.items():
            if name not in ("day", "organic", "post_id", "ad_key"):
                summed[name] = summed.get(name, 0) + int(value or 0)
    return rules.metrics(summed)


@dataclass
class AdRow:
    ad: Ad
    delivering: bool
    metrics: dict[str, Any]


@dataclass
class AccountSplit(Split):
    account: AdAccount | None = None
    ads: list[AdRow] = field(default_factory=list)


def account_split(session: Session, *, user: User, ad_account_id: str, start: date | None,
                  end: date | None) -> AccountSplit:
    """An ad account's paid engagement (its ads: its JSON report) against the organic
    engagement of the posts it holds Spark posts for, per day; and each ad's totals. Raises
    NotFound for an account the user may not read, InvalidInput for a bad range."""
    account, _, _ = ad_account_service.access(session, user=user, ad_account_id=ad_account_id,
                                              action="read")
    paid = report(session, user=user, level="ad_account", obj_id=account.id, start=start,
                  end=end, granularity="day")
    start, end = paid.start_date, paid.end_date
    organic = engagement_repository.organic_sums_of_spark_posts(
        session, ad_account_id=account.id, start=start, end=end, by_day=True)
    base = Split(start, end,
                 fill_days({r.stat_time_day: r.metrics for r in paid.rows if r.stat_time_day},
                           start, end),
                 _by_day(organic, start, end), paid.total, _total(organic))
    per_ad = engagement_repository.paid_sums_by_ad(session, ad_account_id=account.id,
                                                   start=start, end=end)
    # Every live ad, and a deleted one only if it counted something in the period.
    ads = [a for a in ad_repository.ads_where(session, ad_account_id=account.id,
                                              include_deleted=True)
           if a.deleted_at is None or a.id in per_ad]
    live = [a for a in ads if a.deleted_at is None]
    views = {v.ad.id: v for v in ad_service.deliveries(session, live, utc_now())}
    rows = [AdRow(ad, ad.id in views and views[ad.id].delivery.delivering,
                  rules.metrics(per_ad.get(ad.id, {}))) for ad in ads]
    return AccountSplit(**vars(base), account=account, ads=rows)


@dataclass
class PostRow:
    post: Post
    paid: dict[str, Any]
    organic: dict[str, Any]


@dataclass
class CreatorSplit(Split):
    creator: Creator | None = None
    posts: list[PostRow] = field(default_factory=list)


def creator_split(session: Session, *, user: User, creator_id: str, start: date | None,
                  end: date | None) -> CreatorSplit:
    """Paid and organic engagement on all of a creator's posts together per day, and each post's
    totals; the creator's owner only (NotFound otherwise). InvalidInput for a bad range."""
    creator = creator_service.get_owned(session, user=user, creator_id=creator_id)
    start, end = date_range(start, end)
    by_day = engagement_repository.creator_sums(session, creator_id=creator.id, start=start,
                                                end=end, by_day=True, by_post=False)
    base = build_split(start, end, [r for r in by_day if not r["organic"]],
                       [r for r in by_day if r["organic"]])
    by_post = engagement_repository.creator_sums(session, creator_id=creator.id, start=start,
                                                 end=end, by_day=False, by_post=True)
    counted = {(r["post_id"], bool(r["organic"])): rules.metrics(r) for r in by_post}
    zero = rules.metrics({})
    rows = [PostRow(p, counted.get((p.id, False), zero), counted.get((p.id, True), zero))
            for p in creator_repository.posts_of(session, creator.id)
            if p.deleted_at is None or (p.id, False) in counted or (p.id, True) in counted]
    return CreatorSplit(**vars(base), creator=creator, posts=rows)


@dataclass
class PostSplit(Split):
    post: Post | None = None
    creator: Creator | None = None


def post_split(session: Session, *, user: User, post_id: str, start: date | None,
               end: date | None) -> PostSplit:
    """One post's paid and organic engagement per day, from its JSON report; its creator's
    owner only (NotFound otherwise). InvalidInput for a bad range."""
    post, creator = post_service.get_owned(session, user=user, post_id=post_id)
    out = report(session, user=user, level="post", obj_id=post.id, start=start, end=end,
                 granularity="day")
    paid = {r.stat_time_day: r.metrics for r in out.rows
            if r.source == "paid" and r.stat_time_day}
    organic = {r.stat_time_day: r.metrics for r in out.rows
               if r.source == "organic" and r.stat_time_day}
    assert out.paid is not None and out.organic is not None
    return PostSplit(out.start_date, out.end_date,
                     fill_days(paid, out.start_date, out.end_date),
                     fill_days(organic, out.start_date, out.end_date),
                     out.paid, out.organic, post=post, creator=creator)


# --- the integrated report: paid rollups per object, paged in SQL --------------------------------

INTEGRATED_LEVELS = ("ad", "ad_group", "campaign", "ad_account")
# What an integrated report can be ordered by: every name of rules.metrics and "engagements".
ORDERABLE = (*rules.COUNTERS, "engaged_view_15s", "spend", "cpm", "cpc", "ctr",
             "completion_rate", "engagement_rate", "profile_visits_rate", "engagements")


@dataclass
class IntegratedRow:
    """One object's (and, by day, one day's) paid engagement: ``key`` is the object's id and
    ``tiktok_id`` its TikTok id (None when not grouped by object)."""

    key: str | None
    tiktok_id: int | None
    day: date | None
    metrics: dict[str, Any]


@dataclass
class IntegratedReport:
    rows: list[IntegratedRow]
    total_number: int
    total: dict[str, Any] | None


def integrated_metrics(row: dict[str, Any]) -> dict[str, Any]:
    """rules.metrics of a summed row, plus ``engagements`` (what engagement_rate counts)."""
    out = rules.metrics(row)
    out["engagements"] = sum(out[name] for name in rules.ENGAGEMENTS)
    return out


class _Scope(TypedDict):
    """The rows an integrated report sums: the filters grouped_sums and total_sums share."""

    ad_account_ids: list[str]
    start: date | None
    end: date | None
    ad_ids: list[str] | None
    ad_group_ids: list[str] | None
    campaign_ids: list[str] | None
    deleted: dict[str, bool] | None


def integrated(session: Session, *, accounts: list[AdAccount], group: str | None, by_day: bool,
               start: date | None, end: date | None, ad_ids: list[str] | None = None,
               ad_group_ids: list[str] | None = None, campaign_ids: list[str] | None = None,
               deleted: dict[str, bool] | None = None, order_by: str | None = None,
               descending: bool = True, limit: int, offset: int,
               with_total: bool) -> IntegratedReport:
    """Paid engagement and spend of ad accounts the caller may read (deleted objects included
    unless ``deleted`` says otherwise), one row per ad, ad group, campaign or account
    (``group``) and/or per day in the account's time zone, only rows with data: the rollups and
    arithmetic of report(). start and end both None: all days. Raises InvalidInput
    (invalid_date_range, invalid_value) for a bad range, level or order."""
    if start is not None or end is not None:
        start, end = date_range(start, end)
    if group is not None and group not in INTEGRATED_LEVELS:
        raise errors.InvalidInput(f"No report level {group!r}.", code="invalid_value")
    if group is None and not by_day:
        raise errors.InvalidInput("Group the report by an object, by day, or both.",
                                  code="invalid_value")
    if order_by is not None and order_by not in ORDERABLE:
        raise errors.InvalidInput(f"A report cannot be ordered by {order_by!r}.",
                                  code="invalid_value")
    scope = _Scope(ad_account_ids=[a.id for a in accounts], start=start, end=end, ad_ids=ad_ids,
                   ad_group_ids=ad_group_ids, campaign_ids=campaign_ids, deleted=deleted)
    rows, total_number = report_repository.grouped_sums(
        session, group=group, by_day=by_day, order=order_by, descending=descending,
        limit=limit, offset=offset, **scope)
    total = None
    if with_total:
        total = integrated_metrics(report_repository.total_sums(session, **scope))
    return IntegratedReport(
        rows=[IntegratedRow(key=r.get("key"), tiktok_id=r.get("tiktok_id"), day=r.get("day"),
                            metrics=integrated_metrics(r)) for r in rows],
        total_number=total_number, total=total)


@dataclass
class ReportObject:
    """An integrated report row's object and those above it (None below its level)."""

    account: AdAccount
    campaign: Campaign | None = None
    ad_group: AdGroup | None = None
    ad: Ad | None = None
    post: Post | None = None


def integrated_objects(session: Session, *, group: str,
                       keys: list[str]) -> dict[str, ReportObject]:
    """The objects behind a page of integrated rows, by key, in one query per table."""
    get = report_repository.by_ids
    if group == "ad_account":
        accounts = get(session, AdAccount, keys)
        return {key: ReportObject(account=accounts[key]) for key in keys if key in accounts}
    ads = get(session, Ad, keys) if group == "ad" else {}
    groups = get(session, AdGroup, [a.ad_group_id for a in ads.values()] if group == "ad"
                 else keys if group == "ad_group" else [])
    campaigns = get(session, Campaign, keys if group == "campaign"
                    else [g.campaign_id for g in groups.values()])
    posts = get(session, Post, [a.post_id for a in ads.values()])
    by_level: dict[str, Mapping[str, Ad | AdGroup | Campaign]] = {
        "ad": ads, "ad_group": groups, "campaign": campaigns}
    own = by_level[group]
    accounts = get(session, AdAccount, [o.ad_account_id for o in own.values()])
    out: dict[str, ReportObject] = {}
    for key, obj in own.items():
        account = accounts[obj.ad_account_id]
        if isinstance(obj, Campaign):
            out[key] = ReportObject(account=account, campaign=obj)
        elif isinstance(obj, AdGroup):
            out[key] = ReportObject(account=account, campaign=campaigns.get(obj.campaign_id),
                                    ad_group=obj)
        else:
            out[key] = ReportObject(account=account, campaign=campaigns.get(obj.campaign_id),
                                    ad_group=groups.get(obj.ad_group_id), ad=obj,
                                    post=posts.get(obj.post_id))
    return out


# --- the numbers on campaign, ad group and ad pages ----------------------------------------------

NumbersLevel = Literal["campaign", "ad_group", "ad"]
_CHILD: dict[str, str] = {"campaign": "ad_group", "ad_group": "ad"}
_PAGE = 500  # rows per query while reading every child's sums


@dataclass
class Numbers:
    """Spend and paid engagement of a campaign, ad group or ad over its account's days: per child
    (ad group, ad) by id or, for an ad, per day (every day, zeros included); and in total."""

    start: date
    end: date
    currency: str
    total: dict[str, Any]
    by_key: dict[str, dict[str, Any]] = field(default_factory=dict)
    days: list[tuple[date, dict[str, Any]]] = field(default_factory=list)

    def of(self, key: str) -> dict[str, Any]:
        """A child's figures; zeros (and no CPM) for a child with no rows in the range."""
        return self.by_key.get(key) or rules.figures({})


def account_today(account: AdAccount) -> date:
    """Today in the ad account's time zone, the zone its rollup days are counted in."""
    return utc_now().astimezone(ZoneInfo(account.timezone)).date()


def numbers(session: Session, *, account: AdAccount, level: NumbersLevel, obj_id: str,
            start: date, end: date) -> Numbers:
    """The figures of one object the caller may read, summed in SQL per child (or per day) and
    in total, deleted children included. Raises InvalidInput (invalid_date_range) for a range
    that is backwards or longer than MAX_DAYS."""
    start, end = date_range(start, end)
    ids = [obj_id]
    scope = _Scope(ad_account_ids=[account.id], start=start, end=end,
                   ad_ids=ids if level == "ad" else None,
                   ad_group_ids=ids if level == "ad_group" else None,
                   campaign_ids=ids if level == "campaign" else None, deleted=None)
    out = Numbers(start, end, account.currency,
                  rules.figures(report_repository.total_sums(session, **scope)))
    group = _CHILD.get(level)
    offset = 0
    while True:
        rows, count = report_repository.grouped_sums(
            session, group=group, by_day=group is None, limit=_PAGE, offset=offset, **scope)
        for row in rows:
            if group is None:
                out.days.append((row["day"], rules.figures(row)))
            else:
                out.by_key[row["key"]] = rules.figures(row)
        offset += len(rows)
        if not rows or offset >= count:
            break
    if group is None:
        counted = dict(out.days)
        out.days = [(day, counted.get(day) or rules.figures({}))
                    for day in (start + timedelta(days=i) for i in range((end - start).days + 1))]
    return out
