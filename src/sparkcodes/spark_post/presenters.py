"""How Spark posts are shown: the cards, the status in words and the ads on each, shared by the
JSON endpoints and the pages."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from sparkcodes.ad import rules as ad_rules
from sparkcodes.ad import service as ad_service
from sparkcodes.authorization.rules import Problem
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import AdAccount, Authorization, Creator, Post, SparkPost
from sparkcodes.post.schemas import review_out
from sparkcodes.renewal import service as renewal_service
from sparkcodes.spark_post import repository, rules, service
from sparkcodes.spark_post.schemas import (
    BindItemOut,
    BindOut,
    CreatorCard,
    PostCard,
    PreviewOut,
    SparkPostOut,
    Window,
)
from sparkcodes.values import Message, RemoteCode, days_left, hint_display


def creator_card(c: Creator) -> CreatorCard:
    return CreatorCard(id=c.id, handle=c.handle, display_name=c.display_name,
                       avatar_url=c.avatar_url, region=c.region)


def post_card(p: Post) -> PostCard:
    return PostCard(id=p.id, kind=p.kind, caption=p.caption, cover_url=p.cover_url, sound=p.sound,
                    visibility=p.visibility, revision=p.revision, published_at=p.published_at,
                    original_post_id=p.original_post_id, views=p.views, likes=p.likes,
                    comments=p.comments, shares=p.shares)


def _messages(problems: Iterable[Problem]) -> list[Message]:
    return [Message(code=p.code, message=p.message) for p in problems]


def ads_summaries(session: Session, spark_post_ids: list[str],
                  now: datetime) -> dict[str, tuple[int, int, str]]:
    """Per Spark post: live ads, all ads, and a sentence ("2 live ads, 1 stopped: ...")."""
    ads = ad_service.ads_of(session, spark_post_ids=spark_post_ids) if spark_post_ids else []
    grouped: dict[str, list[ad_rules.Delivery]] = {}
    for view in ad_service.deliveries(session, ads, now):
        grouped.setdefault(view.ad.spark_post_id, []).append(view.delivery)
    out = {}
    for sp_id, deliveries in grouped.items():
        live = sum(1 for d in deliveries if d.delivering)
        stopped = [d for d in deliveries if not d.delivering]
        parts = [f"{live} live ad{'s' * (live != 1)}"] if live else []
        if stopped:
            _, counts = ad_rules.summarize(stopped)
            top = max(counts, key=lambda reason: counts[reason])
            parts.append(f"{len(stopped)} stopped: "
                         f"{ad_rules.REASON_TEXT[ad_rules.Reason(top)].split(' — ')[0]}")
        out[sp_id] = (live, len(deliveries), ", ".join(parts))
    return out


def spark_post_out(sp: SparkPost, post: Post, creator: Creator, code: Authorization | None,
                   original: Authorization | None, *, now: datetime,
                   ads: tuple[int, int, str] | None = None,
                   original_post: tuple[Post, Creator] | None = None) -> SparkPostOut:
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
    return _outs(session, [service.row_of(session, sp)], now)[0]


def _outs(session: Session, rows: list[repository.Row], now: datetime) -> list[SparkPostOut]:
    """Cards for listing rows, with their ads and originals in one read each."""
    summaries = ads_summaries(session, [row[0].id for row in rows], now)
    originals = service.originals_of(session, [row[1] for row in rows])
    return [spark_post_out(sp, post, creator, code, original, now=now,
                           ads=summaries.get(sp.id), original_post=originals.get(post.id))
            for sp, post, creator, code, original in rows]


def bound_out(session: Session, res: service.BindResult, now: datetime) -> SparkPostOut:
    """A bind result's Spark post, from the rows the bind already holds (no second read); a
    Spark post created by this very bind has no ads yet, so only older ones look for them."""
    sp, r = res.spark_post, res.resolved
    assert sp is not None and r is not None
    code = (r.authorization if sp.authorization_id == r.authorization.id
            else service.code_by_id(session, sp.authorization_id))
    original = None
    if sp.original_authorization_id:
        known = res.original.authorization if res.original else None
        original = (known if known is not None and known.id == sp.original_authorization_id
                    else service.code_by_id(session, sp.original_authorization_id))
    ads = None if res.created else ads_summaries(session, [sp.id], now).get(sp.id)
    return spark_post_out(sp, r.post, r.creator, code, original, now=now, ads=ads,
                          original_post=service.originals_of(session, [r.post]).get(r.post.id))


# A code ending within this many hours gets an "ask to extend" button (R23's first reminder).
ENDS_SOON_HOURS = 72


def spark_posts(session: Session, account: AdAccount, *, include_unbound: bool = False,
                limit: int = 500, offset: int = 0) -> list[SparkPostOut]:
    """The ad account's Spark posts as cards, newest first (pages show the first 500)."""
    rows = service.listing(session, account=account, include_unbound=include_unbound,
                           limit=limit, offset=offset)
    return _outs(session, rows, utc_now())


def preview_out(p: service.Preview, now: datetime) -> PreviewOut:
    """What a code would attach, for the JSON preview."""
    r = p.resolved
    return PreviewOut(
        code_hint=hint_display(r.parsed.hint), eligible=not p.problems,
        already_bound_here=p.bound_here, needs_original_post_code=p.needs_original,
        creator=creator_card(r.creator), post=post_card(r.post),
        window=Window(starts_at=r.authorization.starts_at, expires_at=r.authorization.expires_at,
                      days_left=days_left(r.authorization.expires_at, now)),
        problems=_messages(p.problems), warnings=_messages(p.warnings),
        review=review_out(p.review) if p.review is not None else None,
    )


def remote_preview_out(remote: RemoteCode, now: datetime) -> PreviewOut:
    """What a code would attach on the TikTok a mirrored ad account comes from: TikTok's card
    of the post and creator (ids are the mirror's when a sync has seen them, TikTok's item and
    handle otherwise; counts TikTok does not give read zero)."""
    return PreviewOut(
        code_hint=hint_display(remote.code_hint), eligible=not remote.problems,
        already_bound_here=remote.bound_here,
        needs_original_post_code=remote.kind in ("duet", "stitch"),
        creator=CreatorCard(id=remote.creator_id or remote.handle, handle=remote.handle,
                            display_name=remote.display_name, avatar_url=remote.avatar_url,
                            region=""),
        post=PostCard(id=remote.post_id or remote.item_id, kind=remote.kind,
                      caption=remote.caption, cover_url=None, sound="unknown",
                      visibility="public", revision=1, published_at=remote.starts_at,
                      original_post_id=None, views=0, likes=0, comments=0, shares=0),
        window=Window(starts_at=remote.starts_at, expires_at=remote.expires_at,
                      days_left=days_left(remote.expires_at, now)),
        problems=remote.problems, warnings=[],
    )


def bind_out(session: Session, results: list[service.BindResult], now: datetime) -> BindOut:
    """Each code's result of one bind, for the JSON API."""
    items = [BindItemOut(
        index=res.index, ok=res.error is None,
        code_hint=hint_display(res.code_hint) if res.code_hint else None,
        created=res.created, replaced=res.replaced,
        spark_post=(bound_out(session, res, now) if res.resolved else
                    load_out(session, res.spark_post, now)) if res.spark_post else None,
        error=Message(code=res.error.code, message=res.error.message) if res.error else None,
        warnings=_messages(res.warnings),
    ) for res in results]
    bound = sum(1 for i in items if i.ok)
    return BindOut(bound=bound, failed=len(items) - bound, results=items)


class Shown(Protocol):
    """A row a page shows: a Spark post's ad account and its code (None for an own post)."""

    @property
    def account(self) -> AdAccount: ...

    @property
    def code(self) -> Authorization | None: ...


def pending_renewals_of(session: Session, shown: Iterable[Shown]) -> dict[str, Any]:
    """Pending renewal requests the shown rows' ad accounts sent about the shown rows' codes,
    by code, in one statement."""
    rows = list(shown)
    return _pending(session, list({r.account.id: r.account for r in rows}.values()),
                    (r.code.id for r in rows if r.code is not None))


def pending_renewals(session: Session, account: AdAccount,
                     codes: Iterable[str | None]) -> dict[str, Any]:
    """Pending renewal requests this ad account sent about these codes (a page's), by code."""
    return _pending(session, [account], codes)


def _pending(session: Session, accounts: list[AdAccount],
             codes: Iterable[str | None]) -> dict[str, Any]:
    views = renewal_service.pending_for_codes(session, accounts=accounts,
                                              authorization_ids=sorted(set(filter(None, codes))))
    return {v.authorization.id: v for v in views}
