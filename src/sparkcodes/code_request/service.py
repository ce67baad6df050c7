"""Code requests (R25): a brand asks a creator for a code on a post; accepting generates the code
and binds it to the requesting ad account in one transaction, so the code never travels through
anyone's hands: it is not returned, stored, logged, audited, mailed or sent to a webhook."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.ad_account import repository as ad_account_repository
from sparkcodes.audit import service as audit
from sparkcodes.authorization import rules as code_rules
from sparkcodes.authorization import service as authorization_service
from sparkcodes.authorization.states import creator_state, post_state
from sparkcodes.code_request import repository, rules
from sparkcodes.config import Settings
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import (
    AdAccount,
    Authorization,
    Business,
    CodeRequest,
    Creator,
    Post,
    User,
)
from sparkcodes.notification import service as notify
from sparkcodes.post import repository as post_repository
from sparkcodes.request_flow import repository as flow_repository
from sparkcodes.request_flow import service as flow
from sparkcodes.spark_post import service as spark_post_service
from sparkcodes.throttle.service import Limiter
from sparkcodes.values import hint_display

NOT_FOUND = "No such code request."
NOTIFY_EXPIRED = "code_request.notify_expired"


@dataclass
class CodeRequestView:
    """A request with the post, creator account and brand it concerns, and its code if accepted."""

    request: CodeRequest
    post: Post
    creator: Creator
    account: AdAccount
    business: Business
    authorization: Authorization | None
    spark_post_id: str | None = None

    def status(self, now: datetime) -> rules.CodeRequestStatus:
        return rules.status_at(state_of(self.request), now)


def state_of(request: CodeRequest) -> rules.CodeRequestState:
    return rules.CodeRequestState(expires_at=request.expires_at, accepted_at=request.accepted_at,
                                  declined_at=request.declined_at,
                                  cancelled_at=request.cancelled_at)


FLOW = flow.Flow(table=repository.TABLE, ladder=rules.LADDER,
                 timeline=lambda request: state_of(request).timeline,
                 check_open=lambda request, now: rules.check_open(state_of(request), now),
                 not_found=NOT_FOUND, notify_job=NOTIFY_EXPIRED, payload_key="code_request_id")


def _views(session: Session, rows: list[repository.Row]) -> list[CodeRequestView]:
    views = [CodeRequestView(*row) for row in rows]
    pairs = {(v.account.id, v.authorization.id) for v in views if v.authorization is not None}
    sparks = repository.spark_posts_of(session, pairs)
    for v in views:
        if v.authorization is not None:
            v.spark_post_id = sparks.get((v.account.id, v.authorization.id))
    return views


def _load(session: Session, request_id: str) -> CodeRequestView | None:
    row = flow.load(session, FLOW, request_id)
    return _views(session, [row])[0] if row else None


def _scope(v: CodeRequestView) -> dict[str, Any]:
    return flow.audit_scope(FLOW, v)


def _money(micros: int | None, currency: str) -> str:
    return "no fee" if micros is None else f"{micros / 1_000_000:,.2f} {currency}"


def _data(v: CodeRequestView, now: datetime) -> dict[str, Any]:
    r, a = v.request, v.authorization
    return {"code_request_id": r.id, "status": v.status(now).value, "days": r.days,
            "fee_micros": r.fee_micros, "currency": r.currency, "terms": r.terms[:500],
            "expires_at": r.expires_at, "decline_reason": r.decline_reason,
            "authorization_id": a.id if a else None,
            "code_hint": hint_display(a.code_hint) if a else None,
            "window_end": a.expires_at if a else None, "spark_post_id": v.spark_post_id,
            "post": {"id": v.post.id, "caption": (rules.public_caption(v.post) or "")[:120]},
            "creator": {"id": v.creator.id, "handle": v.creator.handle},
            "ad_account": {"id": v.account.id, "name": v.account.name},
            "business": {"id": v.business.id, "name": v.business.name}}


def create(session: Session, *, settings: Settings, user: User, account: AdAccount, post_id: str,
           days: int, fee_micros: int | None, currency: str | None, terms: str | None,
           expires_in_days: int | None) -> CodeRequestView:
    """R25: ask a creator for a code on a post, with period, fee and terms; one open request per
    ad account and post. Raises not_found, invalid_period, code_request_already_pending, the
    generation refusals (region_not_supported, ad_settings_off, post_unavailable,
    story_not_supported, ...), original_post_code_required."""
    post = post_repository.by_id(session, post_id) if "\x00" not in post_id else None
    creator = session.get(Creator, post.creator_id) if post is not None else None
    if post is None or creator is None:
        raise errors.NotFound("No such post.")
    code_rules.check_period(days, settings.codes.allowed_periods)
    cur = rules.clean_currency(currency)
    text = rules.clean_terms(terms)
    now = utc_now()
    expires_at = rules.expiry(now, expires_in_days)
    # Requests of one ad account are serialized (row lock on PostgreSQL; on SQLite every writer
    # holds the database's write lock from BEGIN IMMEDIATE), so this check and the insert below
    # cannot interleave with a concurrent create: two clicks make one request.
    ad_account_repository.lock(session, account.id)
    pending = repository.pending_for(session, ad_account_id=account.id, post_id=post.id, now=now)
    rules.check_not_pending(pending.expires_at if pending is not None else None)
    original = session.get(Post, post.original_post_id) if post.original_post_id else None
    problems = rules.request_problems(creator=creator_state(creator),
                                      post=post_state(post, original),
                                      supported_regions=settings.supported_regions)
    if problems:
        raise problems[0].as_error()
    request = CodeRequest(post_id=post.id, ad_account_id=account.id, days=days,
                          fee_micros=fee_micros, currency=cur, terms=text,
                          requested_by_id=user.id, created_at=now, expires_at=expires_at)
    flow_repository.add(session, request)
    view = _load(session, request.id)
    assert view is not None
    audit.record(session, actor_id=user.id, action="code_request.created", **_scope(view),
                 after={"post_id": post.id, "ad_account_id": account.id, "days": days,
                        "fee_micros": fee_micros, "currency": cur, "expires_at": expires_at})
    brand = view.business.name
    body = (f"{brand} ({account.name}) asks you for a {days}-day Spark Ads code on your post "
            f"\"{post.caption[:60]}\" ({_money(fee_micros, cur)}).")
    if text:
        body += f" Terms: {text[:300]}"
    body += (f" Answer by {expires_at:%Y-%m-%d %H:%M} UTC: accepting binds the code to their ad "
             "account directly; you never have to send it.")
    notify.emit(session, event_type="code_request.created",
                title=f"{brand} asks you for a code on a post (@{creator.handle})", body=body,
                data=_data(view, now), creator_id=creator.id)
    return view


def get_for_creator(session: Session, *, user: User, request_id: str) -> CodeRequestView:
    """The request if the user owns the creator account of the post; NotFound otherwise."""
    return flow.for_creator(_load(session, request_id), user=user, flow=FLOW)


def get_for_brand(session: Session, *, user: User, request_id: str,
                  action: str) -> CodeRequestView:
    """The request if the user's role on the requesting ad account allows ``action``; NotFound
    for everyone else (a stranger cannot tell the request exists), role_insufficient for a
    member whose role is too low."""
    return flow.for_brand(session, _load(session, request_id), user=user, action=action,
                          flow=FLOW)


def accept(session: Session, *, settings: Settings, limiter: Limiter, user: User,
           view: CodeRequestView) -> CodeRequestView:
    """R25: generate the code and bind it to the requesting ad account, in one transaction; any
    refusal (code_request_expired, code_request_answered, the generation and binding refusals)
    leaves nothing behind. The raw code lives only in this function's locals."""
    now = utc_now()
    flow.answer(session, FLOW, view.request, now, lambda: repository.accept(
        session, request_id=view.request.id, user_id=user.id, now=now))
    generated = authorization_service.generate(session, settings=settings, user=user,
                                               creator=view.creator, post=view.post,
                                               days=view.request.days)
    authorization = generated.authorization
    # No look-up can fail for a code made a moment ago, so nothing counts against brute-force
    # limits, and the brand's own failed look-ups cannot block the creator's answer.
    trusted = spark_post_service.Guard(limiter, ())
    (result,) = spark_post_service.bind_many(session, settings=settings, guard=trusted, user=user,
                                             account=view.account, codes=[generated.code])
    del generated
    if result.error is not None:
        raise result.error
    repository.set_authorization(session, request_id=view.request.id,
                                 authorization_id=authorization.id)
    fresh = _load(session, view.request.id)
    assert fresh is not None
    audit.record(session, actor_id=user.id, action="code_request.accepted", **_scope(fresh),
                 after={"authorization_id": authorization.id,
                        "code_hint": authorization.code_hint,
                        "spark_post_id": result.spark_post.id if result.spark_post else None})
    handle = fresh.creator.handle
    notify.emit(session, event_type="code_request.accepted",
                title=f"@{handle} accepted your code request",
                body=(f"@{handle} accepted: a {fresh.request.days}-day code "
                      f"({hint_display(authorization.code_hint)}) was bound to "
                      f"{fresh.account.name} directly, running until "
                      f"{authorization.expires_at:%Y-%m-%d %H:%M} UTC. The post is ready to run "
                      "as a Spark Ad; nobody needs to copy a code."),
                data=_data(fresh, now), business_ids={fresh.account.business_id})
    return fresh


def decline(session: Session, *, user: User, view: CodeRequestView,
            reason: str | None) -> CodeRequestView:
    """R25: decline with a reason. Raises reason_required, code_request_answered,
    code_request_expired."""
    text = rules.clean_reason(reason)
    now = utc_now()
    flow.answer(session, FLOW, view.request, now, lambda: repository.decline(
        session, request_id=view.request.id, user_id=user.id, reason=text, now=now))
    audit.record(session, actor_id=user.id, action="code_request.declined", **_scope(view),
                 after={"reason": text})
    notify.emit(session, event_type="code_request.declined",
                title=f"@{view.creator.handle} declined your code request",
                body=(f"@{view.creator.handle} declined your request for a code on the post "
                      f"\"{(rules.public_caption(view.post) or 'a private post')[:60]}\": {text}"),
                data=_data(view, now), business_ids={view.account.business_id})
    return view


def cancel(session: Session, *, user: User, view: CodeRequestView) -> CodeRequestView:
    """R25: the brand withdraws a pending request; the creator is told and can no longer accept
    it. Raises code_request_answered, code_request_cancelled, code_request_expired."""
    now = utc_now()
    flow.answer(session, FLOW, view.request, now, lambda: repository.cancel(
        session, request_id=view.request.id, user_id=user.id, now=now))
    audit.record(session, actor_id=user.id, action="code_request.cancelled", **_scope(view),
                 after={"cancelled_at": now})
    brand = view.business.name
    caption = (view.post.caption or "(no caption)")[:60]
    notify.emit(session, event_type="code_request.cancelled",
                title=f"{brand} withdrew its code request (@{view.creator.handle})",
                body=(f"{brand} ({view.account.name}) withdrew its request for a "
                      f"{view.request.days}-day code on your post \"{caption}\". There is "
                      "nothing to answer; no code was made."),
                data=_data(view, now), creator_id=view.creator.id)
    return view


def list_for_creator(session: Session, *, user: User, creator_id: str, status: str | None,
                     limit: int, offset: int) -> list[CodeRequestView]:
    """Requests for codes on this creator account's posts, newest first."""
    rows = flow.of_creator(session, FLOW, user=user, creator_id=creator_id, status=status,
                           now=utc_now(), limit=limit, offset=offset)
    return _views(session, rows)


def list_for_ad_account(session: Session, *, account: AdAccount, status: str | None, limit: int,
                        offset: int) -> list[CodeRequestView]:
    rows = flow.of_ad_account(session, FLOW, account=account, status=status, now=utc_now(),
                              limit=limit, offset=offset)
    return _views(session, rows)


def list_for_ad_accounts(session: Session, *, accounts: list[AdAccount], status: str | None,
                         limit: int, offset: int) -> list[CodeRequestView]:
    """Requests any of these ad accounts sent, newest first, in one statement."""
    rows = flow.of_ad_accounts(session, FLOW, accounts=accounts, status=status, now=utc_now(),
                               limit=limit, offset=offset)
    return _views(session, rows)


# --- expiry -------------------------------------------------------------------------------------

def expire_sweep(session: Session, *, now: datetime) -> int:
    """Queue one expiry notice per lapsed, unanswered request; the job's unique key makes it once.
    Status never depends on this sweep: it only notifies."""
    return flow.expire_sweep(session, FLOW, now=now)


def notify_expired(session: Session, *, request_id: str, now: datetime) -> bool:
    """Tell the brand (and record, which marks it noticed) that a request lapsed unanswered; a
    rerun, even a concurrent one, does nothing."""
    view = _load(session, request_id)
    if not flow.notice_due(session, FLOW, view.request if view else None, now):
        return False
    assert view is not None
    audit.record(session, actor_id=None, action=repository.EXPIRED_ACTION, **_scope(view),
                 after={"expires_at": view.request.expires_at})
    late = flow.notice_late(FLOW, view.request, now)
    when = f"{view.request.expires_at:%Y-%m-%d %H:%M} UTC"
    title = f"Your code request to @{view.creator.handle} expired"
    body = (f"@{view.creator.handle} did not answer your request for a code on the post "
            f"\"{(rules.public_caption(view.post) or 'a private post')[:60]}\" by {when}. "
            "Send a new request, or reach out to the creator.")
    if late:
        title += f" (notice {late} late)"
        body = (f"This notice is {late} late: the request expired at {when} and no expiry "
                f"sweep ran since. {body}")
    notify.emit(session, event_type="code_request.expired", title=title, body=body,
                data={**_data(view, now), "late_by": late},
                business_ids={view.account.business_id})
    return True
