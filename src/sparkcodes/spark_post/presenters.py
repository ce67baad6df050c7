"""How Spark posts are shown: the cards, the status in words and the ads on each, shared by the
JSON endpoints and the pages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sparkcodes.ad import repository as ad_repository
from sparkcodes.ad import rules as ad_rules
from sparkcodes.ad import service as ad_service
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import AdAccount, Authorization, Creator, Post, SparkPost
from sparkcodes.renewal import service as renewal_service
from sparkcodes.spark_post import repository, rules, service
from sparkcodes.spark_post.schemas import CreatorCard, PostCard, SparkPostOut, Window
from sparkcodes.values import Message, days_left, hint_display


def creator_card(c: Creator) -> CreatorCard:
    return CreatorCard(id=c.id, handle=c.handle, display_name=c.display_name,
                       avatar_url=c.avatar_url, region=c.region)


def post_card(p: Post) -> PostCard:
    return PostCard(id=p.id, kind=p.kind, caption=p.caption, cover_url=p.cover_url, sound=p.sound,
                    visibility=p.visibility, revision=p.revision, published_at=p.published_at,
                    original_post_id=p.original_post_id, views=p.views, likes=p.likes,
                    comments=p.comments, shares=p.shares)


def _messages(problems) -> list[Message]:  # type: ignore[no-untyped-def]
    return [Message(code=p.code, message=p.message) for p in problems]


def ads_summaries(session, spark_post_ids: list[str], now) -> dict[str, tuple[int, int, str]]:  # type: ignore[no-untyped-def]
    """Per Spark post: live ads, all ads, and a sentence ("2 live ads, 1 stopped: ...")."""
    ads = ad_repository.ads_where(session, spark_post_ids=spark_post_ids) if spark_post_ids else []
    grouped: dict[str, list] = {}
    for view in ad_service.deliveries(session, ads, now):
        grouped.setdefault(view.ad.spark_post_id, []).append(view.delivery)
    out = {}
    for sp_id, deliveries in grouped.items():
        live = sum(1 for d in deliveries if d.delivering)
        stopped = [d for d in deliveries if not d.delivering]
        parts = [f"{live} live ad{'s' * (live != 1)}"] if live else []
        if stopped:
            _, counts = ad_rules.summarize(stopped)
            top = max(counts, key=counts.get)
            parts.append(f"{len(stopped)} stopped: "
                         f"{ad_rules.REASON_TEXT[ad_rules.Reason(top)].split(' — ')[0]}")
        out[sp_id] = (live, len(deliveries), ", ".join(parts))
    return out


def spark_post_out(sp: SparkPost, post: Post, creator: Creator, code: Authorization | None,
                   original: Authorization | None, *, now,
                   ads: tuple[int, int, str] | None = None,
                   original_post: tuple[Post, Creator] | None = None) -> SparkPostOut:  # type: ignore[no-untyped-def]
    state = service.state_of(sp, post, creator, code, original, original=original_post)
    reasons = rules.stop_reasons(state, now) if sp.unbound_at is None else []
    end = rules.window_end(state)
    window = None
    if code is not None and end is not None:
        window = Window(starts_at=code.starts_at, expires_at=end, days_left=days_left(end, now))
    if sp.unbound_at is not None:
        status, text = "UNBOUND", "Unbound from this ad account."
    elif reasons:
        status = reasons[0].value
        text = "Ads cannot deliver: " + "; ".join(rules.REASON_TEXT[r] for r in reasons) + "."
    else:
        status, text = rules.AUTHORIZED, "Authorized: ads can run on this post."
    return SparkPostOut(
        id=sp.id, ad_account_id=sp.ad_account_id, identity_type=sp.identity_type, status=status,
        stop_reasons=[r.value for r in reasons], status_text=text, post=post_card(post),
        creator=creator_card(creator), authorization_id=sp.authorization_id,
        code_hint=hint_display(code.code_hint) if code else None, window=window,
        bound_at=sp.bound_at, code_replaced_at=sp.code_replaced_at, unbound_at=sp.unbound_at,
        live_ads=ads[0] if ads else 0, total_ads=ads[1] if ads else 0,
        ads_text=ads[2] if ads else "No ads yet.",
    )


def load_out(session: Session, sp: SparkPost, now: datetime) -> SparkPostOut:
    """One Spark post's card, read from the database."""
    post = session.get(Post, sp.post_id)
    assert post is not None
    creator = session.get(Creator, post.creator_id)
    assert creator is not None
    code = session.get(Authorization, sp.authorization_id) if sp.authorization_id else None
    original = (session.get(Authorization, sp.original_authorization_id)
                if sp.original_authorization_id else None)
    return spark_post_out(sp, post, creator, code, original, now=now,
                          ads=ads_summaries(session, [sp.id], now).get(sp.id),
                          original_post=service.originals_of(session, [post]).get(post.id))


def bound_out(session: Session, res: service.BindResult, now: datetime) -> SparkPostOut:
    """A bind result's Spark post, from the rows the bind already holds (no second read); a
    Spark post created by this very bind has no ads yet, so only older ones look for them."""
    sp, r = res.spark_post, res.resolved
    assert sp is not None and r is not None
    code = r.authorization if sp.authorization_id == r.authorization.id else (
        session.get(Authorization, sp.authorization_id) if sp.authorization_id else None)
    original = None
    if sp.original_authorization_id:
        known = res.original.authorization if res.original else None
        original = (known if known is not None and known.id == sp.original_authorization_id
                    else session.get(Authorization, sp.original_authorization_id))
    ads = None if res.created else ads_summaries(session, [sp.id], now).get(sp.id)
    return spark_post_out(sp, r.post, r.creator, code, original, now=now, ads=ads,
                          original_post=service.originals_of(session, [r.post]).get(r.post.id))


# A code ending within this many hours gets an "ask to extend" button (R23's first reminder).
ENDS_SOON_HOURS = 72


def spark_posts(session: Session, account: AdAccount) -> list[SparkPostOut]:
    rows = repository.listing(session, account.id, include_unbound=False, limit=500,
                              offset=0)
    now = utc_now()
    summaries = ads_summaries(session, [row[0].id for row in rows], now)
    originals = service.originals_of(session, [row[1] for row in rows])
    return [spark_post_out(sp, post, creator, code, original, now=now,
                           ads=summaries.get(sp.id), original_post=originals.get(post.id))
            for sp, post, creator, code, original in rows]


def pending_renewals(session: Session, account: AdAccount) -> dict[str, Any]:
    """Pending renewal requests of this ad account, by code."""
    views = renewal_service.list_for_ad_account(session, account=account, status="pending",
                                                limit=500, offset=0)
    return {v.authorization.id: v for v in views}
