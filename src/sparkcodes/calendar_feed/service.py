"""Calendar feeds (R28): create and revoke a secret feed URL; build the feed a calendar app reads.

Only a keyed hash of the URL's token is stored; the URL is shown once. A business feed keeps
working only while the member who made it is still a member.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.ad import usage
from sparkcodes.audit import service as audit
from sparkcodes.business import repository as business_repository
from sparkcodes.business import service as business_service
from sparkcodes.calendar_feed import ics, repository, rules
from sparkcodes.config import Settings
from sparkcodes.creator import repository as creator_repository
from sparkcodes.kit import crypto
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import Authorization, Business, CalendarFeed, Creator, User
from sparkcodes.values import LiveAd, hint_display

MAX_TOKEN_CHARS = 100


def _hash(settings: Settings, token: str) -> str:
    return crypto.keyed_hash(settings.secret_key, token, purpose=rules.TOKEN_PURPOSE)


def url(settings: Settings, token: str) -> str:
    return f"{settings.public_url.rstrip('/')}/v1/calendar/{token}.ics"


def _create(session: Session, *, settings: Settings, user: User, business_id: str | None,
            creator_id: str | None) -> tuple[CalendarFeed, str]:
    token = crypto.new_url_secret()
    feed = CalendarFeed(token_hash=_hash(settings, token), business_id=business_id,
                        creator_id=creator_id, created_by_id=user.id)
    repository.add(session, feed)
    audit.record(session, actor_id=user.id, action="calendar_feed.created",
                 target_type="calendar_feed", target_id=feed.id, business_id=business_id,
                 creator_id=creator_id)
    return feed, token


def create_for_business(session: Session, *, settings: Settings, user: User,
                        business: Business) -> tuple[CalendarFeed, str]:
    """A new feed of the business's code ends; returns the raw token (shown once)."""
    return _create(session, settings=settings, user=user, business_id=business.id,
                   creator_id=None)


def create_for_creator(session: Session, *, settings: Settings, user: User,
                       creator: Creator) -> tuple[CalendarFeed, str]:
    """A new feed of the creator account's code ends; returns the raw token (shown once)."""
    return _create(session, settings=settings, user=user, business_id=None,
                   creator_id=creator.id)


def get_for_revoke(session: Session, *, user: User, feed_id: str) -> CalendarFeed:
    """The feed if the user may revoke it: whoever made it, a business admin, the creator account's
    owner. Others of the business get Forbidden; everyone else NotFound."""
    feed = repository.by_id(session, feed_id)
    if feed is None:
        raise errors.NotFound("No such calendar feed.")
    if feed.business_id is not None:
        try:
            _, role = business_service.access(session, user=user, business_id=feed.business_id,
                                              action="read")
        except errors.NotFound:
            raise errors.NotFound("No such calendar feed.") from None
        if role != "admin" and feed.created_by_id != user.id:
            raise errors.Forbidden("Only the member who made this feed, or an admin, can "
                                   "revoke it.", code="not_feed_owner")
        return feed
    creator = creator_repository.by_id(session, feed.creator_id or "")
    if creator is None or creator.owner_id != user.id:
        raise errors.NotFound("No such calendar feed.")
    return feed


def of_business(session: Session, *, business: Business) -> list[CalendarFeed]:
    """The business's feeds, newest first, revoked ones included."""
    return repository.of_business(session, business.id)


def of_creator(session: Session, *, creator: Creator) -> list[CalendarFeed]:
    """The creator account's feeds, newest first, revoked ones included."""
    return repository.of_creator(session, creator.id)


def member_emails(session: Session, *, business: Business) -> dict[str, str]:
    """The e-mail of each member of the business, by user id (who made which feed)."""
    return {user.id: user.email for _, user in business_repository.members(session, business.id)}


def business_of(session: Session, *, user: User, feed_id: str) -> tuple[Business, str]:
    """The business a feed belongs to and the user's role there, for a member whom
    get_for_revoke refused (Forbidden); NotFound for any other feed."""
    feed = repository.by_id(session, feed_id)
    if feed is None or feed.business_id is None:
        raise errors.NotFound("No such calendar feed.")
    return business_service.access(session, user=user, business_id=feed.business_id,
                                   action="read")


def revoke(session: Session, *, user: User, feed: CalendarFeed) -> CalendarFeed:
    """The URL stops working at once; revoking twice is harmless (one audit row)."""
    if repository.revoke(session, feed_id=feed.id, now=utc_now()):
        audit.record(session, actor_id=user.id, action="calendar_feed.revoked",
                     target_type="calendar_feed", target_id=feed.id,
                     business_id=feed.business_id, creator_id=feed.creator_id)
    session.refresh(feed)
    return feed


def open_feed(session: Session, *, settings: Settings, token: str) -> CalendarFeed:
    """The live feed behind a URL token; unknown, revoked or orphaned feeds are NotFound."""
    missing = errors.NotFound("No such calendar feed; it may have been revoked.")
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise missing
    feed = repository.by_token_hash(session, _hash(settings, token))
    if feed is None or feed.revoked_at is not None:
        raise missing
    if feed.business_id is not None:
        if business_repository.membership(session, feed.business_id, feed.created_by_id) is None:
            raise missing
    else:
        creator = creator_repository.by_id(session, feed.creator_id or "")
        if creator is None or creator.owner_id != feed.created_by_id:
            raise missing
    return feed


def render(session: Session, *, settings: Settings, feed: CalendarFeed, now: datetime) -> bytes:
    """The feed as iCalendar text: one event per shown code, alarms at the reminder offsets."""
    if feed.business_id is not None:
        business = business_repository.by_id(session, feed.business_id)
        assert business is not None
        events = _business_events(session, settings, business, now)
        name = f"{business.name}: Spark code ends"
        description = f"When the Spark codes bound to {business.name}'s ad accounts end."
    else:
        creator = creator_repository.by_id(session, feed.creator_id or "")
        assert creator is not None
        events = _creator_events(session, settings, creator, now)
        name = f"@{creator.handle}: Spark code ends"
        description = f"When @{creator.handle}'s Spark codes end, and who uses them."
    return ics.render(name=name, description=description, events=events, now=now)


def _when(end: datetime, now: datetime) -> str:
    stamp = f"{end:%Y-%m-%d %H:%M} UTC"
    return f"ended {stamp}" if end <= now else f"ends {stamp}"


def _ads_line(live: list[LiveAd]) -> str:
    if not live:
        return "Live ads: none."
    names = ", ".join(a.ad_name for a in live[:5])
    more = f" and {len(live) - 5} more" if len(live) > 5 else ""
    return f"Live ads: {len(live)} ({names}{more})."


def _business_events(session: Session, settings: Settings, business: Business,
                     now: datetime) -> list[rules.Event]:
    rows = repository.business_codes(session, business.id, ends_after=rules.shown_since(now))
    ids = [a.id for a, *_ in rows]
    live = usage.live_ads_by_authorization(session, authorization_ids=ids, now=now)
    history = repository.history(session, ids)
    accounts = {acc.id for *_, acc in rows}
    base = settings.public_url.rstrip("/")
    out = []
    for a, post, creator, account in rows:
        ads = [ad for ad in live.get(a.id, []) if ad.ad_account_id in accounts]
        ended = a.expires_at <= now
        title = rules.summary(handle=creator.handle, caption=post.caption, where=account.name,
                              ended=ended)
        link = f"{base}/businesses/{business.id}/tracker?post_id={post.id}"
        description = "\n".join([
            f"Spark code {hint_display(a.code_hint)} of @{creator.handle}: "
            f"\"{rules.short(post.caption, 120)}\".",
            f"Ad account: {account.name}. Window {_when(a.expires_at, now)}.",
            _ads_line(ads),
            "Ads on it stop when it ends: ask the creator to extend it, or swap the creative.",
            f"Tracker: {link}",
        ])
        out.append(_event(a, title, description, link, history, settings))
    return out


def _creator_events(session: Session, settings: Settings, creator: Creator,
                    now: datetime) -> list[rules.Event]:
    rows = repository.creator_codes(session, creator.id, ends_after=rules.shown_since(now))
    ids = [a.id for a, *_ in rows]
    live = usage.live_ads_by_authorization(session, authorization_ids=ids, now=now)
    history = repository.history(session, ids)
    base = settings.public_url.rstrip("/")
    out = []
    for a, post, account, business in rows:
        ads = live.get(a.id, [])
        users = sorted(({business.name} if business else set())
                       | {ad.business_name for ad in ads if ad.business_name})
        where = ", ".join(users) if users else "not bound yet"
        title = rules.summary(handle=creator.handle, caption=post.caption, where=where,
                              ended=a.expires_at <= now)
        link = f"{base}/posts/{post.id}#code-{a.id}"
        used = (f"Used by {business.name} (ad account {account.name}) since "
                f"{a.bound_at:%Y-%m-%d}." if business and account and a.bound_at
                else "Not bound to any ad account yet.")
        description = "\n".join([
            f"Your Spark code {hint_display(a.code_hint)} on "
            f"\"{rules.short(post.caption, 120)}\".",
            f"Window {_when(a.expires_at, now)}. {used}",
            _ads_line(ads),
            "Extend it to keep the ads running (the code stays the same).",
            f"Code: {link}",
        ])
        out.append(_event(a, title, description, link, history, settings))
    return out


def _event(a: Authorization, title: str, description: str, link: str,
           history: dict[str, tuple[datetime, int]], settings: Settings) -> rules.Event:
    changed_at, extensions = history.get(a.id, (a.created_at, 0))
    return rules.Event(
        uid=rules.uid(a.id), ends_at=rules.to_second(a.expires_at), summary=title,
        description=description, url=link, sequence=extensions,
        last_modified=rules.to_second(max(changed_at, a.created_at)),
        alarms=rules.alarms_for(title, settings.reminders.offsets_hours),
    )


# --- the month view of the pages: the same codes and live ads as the feeds --------------------

@dataclass(frozen=True)
class Expiry:
    """One code's window end, as a month view shows it."""

    authorization_id: str
    ends_at: datetime
    handle: str
    caption: str
    post_id: str
    where: str
    live_ads: int


def _month(first: date) -> tuple[datetime, datetime]:
    start, end = rules.month_bounds(first)
    # The query's lower bound is exclusive; a code ending on the stroke of midnight belongs here.
    return start - timedelta(microseconds=1), end


def business_month(session: Session, *, business: Business, first: date,
                   now: datetime) -> list[Expiry]:
    """The ends, in the month starting ``first``, of the codes the business feed shows."""
    ends_after, ends_before = _month(first)
    rows = repository.business_codes(session, business.id, ends_after=ends_after,
                                     ends_before=ends_before)
    live = usage.live_ads_by_authorization(session, authorization_ids=[a.id for a, *_ in rows],
                                           now=now)
    accounts = {acc.id for *_, acc in rows}
    return [Expiry(authorization_id=a.id, ends_at=a.expires_at, handle=creator.handle,
                   caption=post.caption, post_id=post.id, where=account.name,
                   live_ads=sum(1 for ad in live.get(a.id, []) if ad.ad_account_id in accounts))
            for a, post, creator, account in rows]


def creator_month(session: Session, *, creator: Creator, first: date,
                  now: datetime) -> list[Expiry]:
    """The ends, in the month starting ``first``, of the codes the creator feed shows."""
    ends_after, ends_before = _month(first)
    rows = repository.creator_codes(session, creator.id, ends_after=ends_after,
                                    ends_before=ends_before)
    live = usage.live_ads_by_authorization(session, authorization_ids=[a.id for a, *_ in rows],
                                           now=now)
    out = []
    for a, post, _account, business in rows:
        ads = live.get(a.id, [])
        users = sorted(({business.name} if business else set())
                       | {ad.business_name for ad in ads if ad.business_name})
        out.append(Expiry(authorization_id=a.id, ends_at=a.expires_at, handle=creator.handle,
                          caption=post.caption, post_id=post.id,
                          where=", ".join(users) if users else "not bound yet",
                          live_ads=len(ads)))
    return out
