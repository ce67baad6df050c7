"""Renewal requests (R24): the brand asks in one click, the creator approves (the same code is
extended, R8) or declines in one click. Each request is answered once, by a conditional write, and
only within RENEWAL_TTL of its creation; unanswered, it expires and the brand is told once."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.audit import service as audit
from sparkcodes.authorization import repository as authorization_repository
from sparkcodes.authorization import service as authorization_service
from sparkcodes.authorization.states import code_state
from sparkcodes.config import Settings
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import (
    AdAccount,
    Authorization,
    Business,
    Creator,
    Post,
    RenewalRequest,
    User,
)
from sparkcodes.notification import service as notify
from sparkcodes.notification import watch
from sparkcodes.renewal import repository, rules
from sparkcodes.request_flow import repository as flow_repository
from sparkcodes.request_flow import service as flow
from sparkcodes.values import hint_display

NOT_FOUND = "No such renewal request."
NOTIFY_EXPIRED = "renewal_request.notify_expired"


@dataclass
class RenewalView:
    """A request with the code, post, creator account and brand it concerns, as seen at ``now``
    (its status depends on time)."""

    request: RenewalRequest
    authorization: Authorization
    post: Post
    creator: Creator
    account: AdAccount
    business: Business
    now: datetime = field(default_factory=utc_now)

    @property
    def status(self) -> rules.RenewalStatus:
        return rules.status_at(state_of(self.request), self.now)

    @property
    def expires_at(self) -> datetime:
        return rules.expiry(self.request.created_at)


def state_of(request: RenewalRequest) -> rules.RenewalState:
    return rules.RenewalState(created_at=request.created_at, approved_at=request.approved_at,
                              declined_at=request.declined_at, cancelled_at=request.cancelled_at)


FLOW = flow.Flow(table=repository.TABLE, ladder=rules.LADDER,
                 timeline=lambda request: state_of(request).timeline,
                 check_open=lambda request, now: rules.check_open(state_of(request), now),
                 not_found=NOT_FOUND, notify_job=NOTIFY_EXPIRED, payload_key="renewal_request_id")


def _load(session: Session, request_id: str, now: datetime | None = None) -> RenewalView | None:
    row = flow.load(session, FLOW, request_id)
    return RenewalView(*row, now=now or utc_now()) if row else None


def _scope(v: RenewalView) -> dict[str, Any]:
    return flow.audit_scope(FLOW, v)


def _data(v: RenewalView) -> dict[str, Any]:
    a, r = v.authorization, v.request
    return {"renewal_request_id": r.id, "status": v.status.value, "authorization_id": a.id,
            "code_hint": hint_display(a.code_hint), "days": r.days, "window_end": a.expires_at,
            "expires_at": v.expires_at, "message": r.message, "decline_reason": r.decline_reason,
            "post": {"id": v.post.id, "caption": v.post.caption[:120]},
            "creator": {"id": v.creator.id, "handle": v.creator.handle},
            "ad_account": {"id": v.account.id, "name": v.account.name},
            "business": {"id": v.business.id, "name": v.business.name}}


def create(session: Session, *, settings: Settings, user: User, account: AdAccount,
           authorization_id: str, days: int, message: str | None) -> RenewalView:
    """R24: ask the creator to extend a code bound to this ad account; the creator has
    RENEWAL_TTL to answer. Raises not_found (the code is not bound here), code_deleted,
    invalid_period, renewal_already_pending (an expired request does not count),
    window_too_long."""
    text = rules.clean_message(message)
    authorization = (authorization_repository.by_id(session, authorization_id)
                     if "\x00" not in authorization_id else None)
    if authorization is None or authorization.ad_account_id != account.id:
        raise errors.NotFound("No code with that id is bound to this ad account.")
    repository.lock_code(session, authorization.id)
    authorization_repository.refresh(session, authorization)
    now = utc_now()
    rules.check_request(
        code=code_state(authorization), days=days,
        allowed_periods=settings.codes.allowed_periods,
        max_window_days=settings.codes.max_window_days,
        pending=repository.pending_for_code(session, authorization.id, now) is not None, now=now)
    request = RenewalRequest(authorization_id=authorization.id, ad_account_id=account.id,
                             days=days, message=text, requested_by_id=user.id, created_at=now)
    flow_repository.add(session, request)
    view = _load(session, request.id, now)
    assert view is not None
    audit.record(session, actor_id=user.id, action="renewal_request.created", **_scope(view),
                 after={"authorization_id": authorization.id, "days": days,
                        "code_hint": authorization.code_hint, "message": text})
    handle, brand = view.creator.handle, view.business.name
    end = authorization.expires_at
    body = (f"{brand} ({account.name}) asks you to extend the code "
            f"{hint_display(authorization.code_hint)} for your post \"{view.post.caption[:60]}\" "
            f"by {days} days; it ends at {end:%Y-%m-%d %H:%M} UTC now.")
    if text:
        body += f" Their message: {text}"
    body += (" Approve in one click: the code stays the same and the ads keep running. The "
             f"request stays open until {view.expires_at:%Y-%m-%d %H:%M} UTC.")
    notify.emit(session, event_type="renewal_request.created",
                title=f"{brand} asks you to extend a code by {days} days (@{handle})",
                body=body, data=_data(view), creator_id=view.creator.id)
    return view


def get_for_creator(session: Session, *, user: User, request_id: str) -> RenewalView:
    """The request if the user owns the creator account whose code it asks to extend."""
    return flow.for_creator(_load(session, request_id), user=user, flow=FLOW)


def get_for_brand(session: Session, *, user: User, request_id: str, action: str) -> RenewalView:
    """The request if the user's role in the requesting business allows ``action``."""
    return flow.for_brand(session, _load(session, request_id), user=user, action=action,
                          flow=FLOW)


def approve(session: Session, *, settings: Settings, user: User, view: RenewalView) -> RenewalView:
    """R24, R8: one click extends the same code by the requested days. Raises
    renewal_request_answered, renewal_request_expired, and extend's refusals (code_deleted,
    window_too_long)."""
    now = view.now = utc_now()
    old_end = view.authorization.expires_at
    flow.answer(session, FLOW, view.request, now, lambda: repository.approve(
        session, request_id=view.request.id, user_id=user.id, now=now))
    authorization_service.extend(session, settings=settings, user=user,
                                 authorization=view.authorization, creator=view.creator,
                                 days=view.request.days, watch=watch, tell_people=False)
    audit.record(session, actor_id=user.id, action="renewal_request.approved", **_scope(view),
                 before={"expires_at": old_end},
                 after={"expires_at": view.authorization.expires_at, "days": view.request.days})
    a = view.authorization
    notify.emit(session, event_type="renewal_request.approved",
                title=f"@{view.creator.handle} extended the code by {view.request.days} days",
                body=(f"@{view.creator.handle} approved your renewal request: the code "
                      f"{hint_display(a.code_hint)} now ends at {a.expires_at:%Y-%m-%d %H:%M} UTC. "
                      "It is the same code, so the ads on it keep running."),
                data=_data(view), business_ids={view.account.business_id})
    return view


def decline(session: Session, *, user: User, view: RenewalView, reason: str | None) -> RenewalView:
    """R24: one click with a reason; the code is unchanged. Raises reason_required,
    renewal_request_answered, renewal_request_expired."""
    text = rules.clean_reason(reason)
    now = view.now = utc_now()
    flow.answer(session, FLOW, view.request, now, lambda: repository.decline(
        session, request_id=view.request.id, user_id=user.id, reason=text, now=now))
    audit.record(session, actor_id=user.id, action="renewal_request.declined", **_scope(view),
                 after={"reason": text})
    a = view.authorization
    notify.emit(session, event_type="renewal_request.declined",
                title=f"@{view.creator.handle} declined your renewal request",
                body=(f"@{view.creator.handle} declined extending the code "
                      f"{hint_display(a.code_hint)} (it ends at "
                      f"{a.expires_at:%Y-%m-%d %H:%M} UTC): {text}"),
                data=_data(view), business_ids={view.account.business_id})
    return view


def cancel(session: Session, *, user: User, view: RenewalView) -> RenewalView:
    """The brand withdraws a pending request. Raises renewal_request_answered,
    renewal_request_expired."""
    now = view.now = utc_now()
    flow.answer(session, FLOW, view.request, now, lambda: repository.cancel(
        session, request_id=view.request.id, now=now))
    audit.record(session, actor_id=user.id, action="renewal_request.cancelled", **_scope(view))
    return view


def list_for_creator(session: Session, *, user: User, creator_id: str, status: str | None,
                     limit: int, offset: int) -> list[RenewalView]:
    """Requests for the codes of one of the user's creator accounts, newest first."""
    now = utc_now()
    return [RenewalView(*row, now=now) for row in flow.of_creator(
        session, FLOW, user=user, creator_id=creator_id, status=status, now=now, limit=limit,
        offset=offset)]


def list_for_ad_account(session: Session, *, account: AdAccount, status: str | None, limit: int,
                        offset: int) -> list[RenewalView]:
    now = utc_now()
    return [RenewalView(*row, now=now) for row in flow.of_ad_account(
        session, FLOW, account=account, status=status, now=now, limit=limit, offset=offset)]


def list_for_ad_accounts(session: Session, *, accounts: list[AdAccount], status: str | None,
                         limit: int, offset: int) -> list[RenewalView]:
    """Requests any of these ad accounts sent, newest first, in one statement."""
    now = utc_now()
    return [RenewalView(*row, now=now) for row in flow.of_ad_accounts(
        session, FLOW, accounts=accounts, status=status, now=now, limit=limit, offset=offset)]


def pending_for_codes(session: Session, *, accounts: list[AdAccount],
                      authorization_ids: list[str]) -> list[RenewalView]:
    """The pending requests these ad accounts sent about these codes, in one statement: what a
    page of codes shows beside each. A code has one pending request at most."""
    if not accounts or not authorization_ids:
        return []
    now = utc_now()
    return [RenewalView(*row, now=now) for row in flow.of_ad_accounts(
        session, FLOW, accounts=accounts, status="pending", now=now,
        limit=len(authorization_ids), offset=0,
        where=[repository.of_codes(session, authorization_ids)])]


# --- expiry -------------------------------------------------------------------------------------

def expire_sweep(session: Session, *, now: datetime) -> int:
    """Queue one expiry notice per lapsed, unanswered request; the job's unique dedupe key makes
    it once. Status never depends on this sweep: it only notifies."""
    return flow.expire_sweep(session, FLOW, now=now)


def notify_expired(session: Session, *, request_id: str, now: datetime) -> bool:
    """Tell the brand (and record, which marks it noticed) that a request lapsed unanswered; a
    rerun, even a concurrent one, does nothing."""
    view = _load(session, request_id, now)
    if not flow.notice_due(session, FLOW, view.request if view else None, now):
        return False
    assert view is not None
    audit.record(session, actor_id=None, action=repository.EXPIRED_ACTION, **_scope(view),
                 after={"expires_at": view.expires_at})
    a, handle = view.authorization, view.creator.handle
    late = flow.notice_late(FLOW, view.request, now)
    when = f"{view.expires_at:%Y-%m-%d %H:%M} UTC"
    title = f"Your renewal request to @{handle} expired unanswered"
    body = (f"@{handle} did not answer your request to extend the code "
            f"{hint_display(a.code_hint)} by {view.request.days} days before {when}. The code "
            f"ends at {a.expires_at:%Y-%m-%d %H:%M} UTC; ask again, or reach out to the creator.")
    if late:
        title += f" (notice {late} late)"
        body = (f"This notice is {late} late: the request expired at {when} and no expiry "
                f"sweep ran since. {body}")
    notify.emit(session, event_type="renewal_request.expired", title=title, body=body,
                data={**_data(view), "late_by": late}, business_ids={view.account.business_id})
    return True
