"""Codes, owner side: generate, list with their users, extend, delete, regenerate (R5–R12)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypedDict

from sqlalchemy.orm import Session

from sparkcodes import errors, values
from sparkcodes.ad_account import repository as ad_account_repository
from sparkcodes.audit import repository as audit_repository
from sparkcodes.audit import service as audit
from sparkcodes.authorization import repository, rules
from sparkcodes.authorization.states import code_state, creator_state, post_state
from sparkcodes.config import Settings
from sparkcodes.creator import repository as creator_repository
from sparkcodes.kit import crypto
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import AdAccount, AuditEvent, Authorization, Business, Creator, Post, User
from sparkcodes.ports import AdWatch
from sparkcodes.post import repository as post_repository

EXTEND_ATTEMPTS = 5


class _Scope(TypedDict):
    target_type: str
    target_id: str
    creator_id: str
    business_id: str | None


def _scope(authorization: Authorization, creator_id: str,
           business_id: str | None = None) -> _Scope:
    return {"target_type": "authorization", "target_id": authorization.id,
            "creator_id": creator_id, "business_id": business_id}


@dataclass
class Generated:
    authorization: Authorization
    code: str
    warnings: list[rules.Problem] = field(default_factory=list)


def generate(session: Session, *, settings: Settings, user: User, creator: Creator, post: Post,
             days: int | None) -> Generated:
    """R1–R7: a new code for the post; the raw code is in the result once and stored only hashed."""
    days = settings.codes.default_period if days is None else days
    rules.check_period(days, settings.codes.allowed_periods)
    original = (post_repository.by_id(session, post.original_post_id) if post.original_post_id
                else None)
    problems = rules.generation_problems(creator=creator_state(creator),
                                         post=post_state(post, original),
                                         supported_regions=settings.supported_regions)
    if problems:
        raise problems[0].as_error()
    now = utc_now()
    starts_at, expires_at = rules.first_window(now, days)
    raw = crypto.new_code()
    parsed = crypto.parse_code(raw)
    authorization = Authorization(
        post_id=post.id,
        code_hash=crypto.hash_code(settings.secret_key, parsed),
        code_hint=parsed.hint,
        days=days,
        created_by_id=user.id,
        starts_at=starts_at,
        expires_at=expires_at,
    )
    repository.add(session, authorization)
    audit.record(session, actor_id=user.id, action="authorization.created",
                 **_scope(authorization, creator.id),
                 after={"post_id": post.id, "days": days, "code_hint": parsed.hint,
                        "expires_at": expires_at})
    return Generated(authorization, raw, rules.sound_warnings(post.sound))


@dataclass
class CodeUser:
    business: Business
    ad_account: AdAccount
    since: object
    live_ads: list[values.LiveAd]


def users_of(session: Session, authorizations: list[Authorization], *,
             watch: AdWatch) -> dict[str, CodeUser]:
    """R12: who uses each code (business, ad account, since when, live ads)."""
    accounts = repository.users(session, {a.ad_account_id for a in authorizations
                                          if a.ad_account_id})
    live = watch.live_ads_by_authorization(
        session, authorization_ids=[a.id for a in authorizations], now=utc_now()
    )
    out: dict[str, CodeUser] = {}
    for a in authorizations:
        if a.ad_account_id and a.ad_account_id in accounts:
            account, business = accounts[a.ad_account_id]
            out[a.id] = CodeUser(business, account, a.bound_at, live.get(a.id, []))
    return out


def get_owned(session: Session, *, user: User,
              authorization_id: str) -> tuple[Authorization, Post, Creator]:
    """The code with its post and creator if the user owns the creator; NotFound otherwise."""
    authorization = repository.by_id(session, authorization_id)
    if authorization is not None:
        post = post_repository.by_id(session, authorization.post_id)
        creator = creator_repository.by_id(session, post.creator_id) if post else None
        if post is not None and creator is not None and creator.owner_id == user.id:
            return authorization, post, creator
    raise errors.NotFound("No such authorization.")


def extend(session: Session, *, settings: Settings, user: User, authorization: Authorization,
           creator: Creator, days: int, watch: AdWatch,
           tell_people: bool = True) -> Authorization:
    """R8: same code, later end (also after expiry), never past the cap; bound ads resume.
    ``tell_people`` False: the caller's own alert tells the business (one extension, one
    alert); the "authorization.extended" webhook goes out all the same."""
    rules.check_period(days, settings.codes.allowed_periods)
    for _ in range(EXTEND_ATTEMPTS):
        now = utc_now()
        old = authorization.expires_at
        new = rules.new_expiry(code_state(authorization), days, now,
                               settings.codes.max_window_days)
        if repository.extend(session, authorization_id=authorization.id, old_expiry=old,
                             new_expiry=new):
            repository.refresh(session, authorization)
            audit.record(session, actor_id=user.id, action="authorization.extended",
                         **_scope(authorization, creator.id), before={"expires_at": old},
                         after={"expires_at": new, "days": days},
                         was_expired=old <= now)
            watch.code_changed(session, authorization=authorization,
                                event_type="authorization.extended", now=now,
                                tell_people=tell_people)
            return authorization
        repository.refresh(session, authorization)  # changed meanwhile: decide again
    raise errors.Conflict("The code changed while extending; try again.", code="concurrent_update")


def delete(session: Session, *, user: User, authorization: Authorization,
           creator: Creator, watch: AdWatch) -> Authorization:
    """R9: refused while a live ad uses the code (naming who); deleting twice is harmless."""
    if authorization.deleted_at is not None:
        return authorization
    now = utc_now()
    live = watch.live_ads_by_authorization(session, authorization_ids=[authorization.id], now=now)
    rules.check_delete(code_state(authorization), live.get(authorization.id, []))
    if repository.delete(session, authorization_id=authorization.id, user_id=user.id, now=now):
        repository.refresh(session, authorization)
        business_id = None
        if authorization.ad_account_id:
            account = ad_account_repository.by_id(session, authorization.ad_account_id)
            business_id = account.business_id if account else None
        audit.record(session, actor_id=user.id, action="authorization.deleted",
                     **_scope(authorization, creator.id, business_id))
        watch.code_changed(session, authorization=authorization,
                            event_type="authorization.deleted", now=now)
    else:
        repository.refresh(session, authorization)
    return authorization


def regenerate(session: Session, *, settings: Settings, user: User, authorization: Authorization,
               creator: Creator) -> tuple[Authorization, str]:
    """R7: a fresh string for an unused code; the old string dies. Raises code_in_use and kin."""
    now = utc_now()
    rules.check_regenerate(code_state(authorization), now)
    raw = crypto.new_code()
    parsed = crypto.parse_code(raw)
    if not repository.regenerate(session, authorization_id=authorization.id,
                                 code_hash=crypto.hash_code(settings.secret_key, parsed),
                                 code_hint=parsed.hint, now=now):
        repository.refresh(session, authorization)
        rules.check_regenerate(code_state(authorization), now)
        raise errors.Conflict("The code changed meanwhile; try again.", code="concurrent_update")
    old_hint = authorization.code_hint
    repository.refresh(session, authorization)
    audit.record(session, actor_id=user.id, action="authorization.regenerated",
                 **_scope(authorization, creator.id),
                 before={"code_hint": old_hint}, after={"code_hint": parsed.hint})
    return authorization, raw


def of_creator(session: Session, *, creator: Creator) -> list[tuple[Authorization, Post]]:
    """Every code of a creator account's posts with its post, soonest expiry first."""
    return repository.of_creator(session, creator.id)


def of_ad_account(session: Session, *, ad_account_id: str) -> list[tuple[Authorization, Post]]:
    """Every code bound to an ad account with its post, soonest expiry first."""
    return repository.of_ad_account(session, ad_account_id)


def of_post(session: Session, *, post: Post) -> list[Authorization]:
    """The post's codes."""
    return repository.of_post(session, post.id)


def history(session: Session, *, authorization: Authorization, limit: int,
            offset: int) -> Sequence[AuditEvent]:
    """The code's audit trail, oldest first (codes themselves never appear)."""
    return audit_repository.for_target(session, "authorization", authorization.id, limit=limit,
                                       offset=offset)
