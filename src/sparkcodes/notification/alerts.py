"""What to tell whom when something happens to a code, a post or a creator account (R23).

Each alert names the ads affected and the spend at risk (yesterday's spend of those ads), and is
emitted in the transaction of the change, so it exists exactly when the change does.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from sparkcodes.ad import repository as ad_repository
from sparkcodes.ad import service as ad_service
from sparkcodes.ad_account import repository as ad_account_repository
from sparkcodes.creator import repository as creator_repository
from sparkcodes.kit.text import counted
from sparkcodes.models import Ad, AdAccount, Authorization, Post
from sparkcodes.notification import repository, rules, service
from sparkcodes.post import repository as post_repository
from sparkcodes.values import with_currency


def _money(micros: int) -> str:
    return f"{micros / 1_000_000:,.2f}"


def _with_currency(amount: str, account: dict[str, Any] | None) -> str:
    """An amount of one ad account as its alert says it: "0.25 USD"."""
    return with_currency(amount, account["currency"]) if account else amount


def _ads_context(session: Session, ads: list[Ad], now: datetime) -> dict[str, Any]:
    """The ads concerned with their delivery and yesterday's spend (the spend at risk)."""
    views = ad_service.deliveries(session, ads, now)
    spend = repository.spend_yesterday(session, [a.id for a in ads], now)
    items = [{"ad_id": v.ad.id, "ad_name": v.ad.name, "ad_account_id": v.ad.ad_account_id,
              "delivery": v.delivery.status,
              "reasons": [r.value for r in v.delivery.reasons],
              "spend_yesterday": _money(spend.get(v.ad.id, 0))} for v in views]
    return {"ads": items, "spend_at_risk": _money(sum(spend.values()))}


def _account(session: Session, ad_account_id: str | None) -> AdAccount | None:
    return ad_account_repository.by_id(session, ad_account_id) if ad_account_id else None


def _code_data(session: Session, a: Authorization) -> dict[str, Any]:
    post = post_repository.by_id(session, a.post_id)
    creator = creator_repository.by_id(session, post.creator_id) if post else None
    account = _account(session, a.ad_account_id)
    return {"authorization_id": a.id, "code_hint": f"SPARK-{a.code_hint}-…",
            "window_end": a.expires_at,
            "post": {"id": post.id, "caption": post.caption[:120]} if post else None,
            "creator": {"id": creator.id, "handle": creator.handle} if creator else None,
            "ad_account": {"id": account.id, "name": account.name,
                           "currency": account.currency} if account else None}


def code_reminder(session: Session, *, authorization: Authorization, kind: str,
                  now: datetime, late_by: timedelta | None = None) -> None:
    """T−72 h / T−24 h ("ask the creator to extend" / "extend or swap now") and expiry; a late
    one (``late_by``: the sweep ran that long after it was due) says how late."""
    data = _code_data(session, authorization)
    ads = ad_repository.ads_on_authorizations(session, [authorization.id])
    expired = kind == rules.EXPIRED
    # At expiry, the ads concerned are those the expiry stopped: live a moment before.
    at = authorization.expires_at - timedelta(seconds=1) if expired else now
    context = _ads_context(session, ads, at)
    live = [x for x in context["ads"] if x["delivery"] == "DELIVERING"]
    words = {"kind": kind, "handle": (data["creator"] or {}).get("handle", "?"),
             "code_hint": data["code_hint"],
             "account": (data["ad_account"] or {}).get("name", "?"),
             "window_end": authorization.expires_at, "now": now, "live_ads": len(live),
             "spend_at_risk": _with_currency(context["spend_at_risk"], data["ad_account"]),
             "late_by": late_by}
    told = rules.code_reminder(**words, reader=rules.BRAND)
    to_creator = rules.code_reminder(**words, reader=rules.CREATOR)
    data.update(context, kind=kind, live_ads=len(live), late_by=told.late_by)
    event = "authorization.expired" if expired else "authorization.expiring"
    account_row = _account(session, authorization.ad_account_id)
    creator_id = (data["creator"] or {}).get("id")
    service.emit(session, event_type=event, title=told.title, body=told.body, data=data,
                 business_ids={account_row.business_id} if account_row else set(),
                 creator_id=creator_id, creator_words=(to_creator.title, to_creator.body))


def code_changed(session: Session, *, authorization: Authorization, event_type: str,
                 now: datetime, tell_people: bool = True) -> None:
    """A creator deleted or extended a code a business uses (``tell_people`` False: webhooks
    only, when the caller's own alert tells the people of the same change)."""
    account = _account(session, authorization.ad_account_id)
    if account is None:
        return
    data = _code_data(session, authorization)
    ads = ad_repository.ads_on_authorizations(session, [authorization.id])
    data.update(_ads_context(session, ads, now))
    handle = (data["creator"] or {}).get("handle", "?")
    if event_type == "authorization.deleted":
        title = f"@{handle} deleted a code you use"
        body = (f"The code {data['code_hint']} was deleted. Ads on it cannot deliver "
                f"({counted(len(ads), 'ad')} in {account.name}). Ask @{handle} for a new code.")
    else:
        title = f"@{handle} extended a code you use"
        body = (f"The code {data['code_hint']} now ends at "
                f"{authorization.expires_at:%Y-%m-%d %H:%M} UTC.")
    service.emit(session, event_type=event_type, title=title, body=body, data=data,
                 business_ids={account.business_id}, tell_people=tell_people)


def post_changed(session: Session, *, posts: list[Post], event_type: str, title: str,
                 body: str, now: datetime, tell_creator: bool = False) -> None:
    """A post (or a creator's posts) changed in a way that stops ads: tell the businesses that
    hold them, naming the ads affected."""
    post_ids = [p.id for p in posts]
    businesses = repository.businesses_holding(session, post_ids)
    if not businesses and not tell_creator:
        return
    ads = ad_repository.ads_depending_on_posts(session, post_ids)
    data: dict[str, Any] = {"posts": [{"id": p.id, "caption": p.caption[:120],
                                       "revision": p.revision} for p in posts]}
    data.update(_ads_context(session, ads, now))
    service.emit(session, event_type=event_type, title=title, body=body, data=data,
                 business_ids=businesses,
                 creator_id=posts[0].creator_id if tell_creator and posts else None)
