from __future__ import annotations

from fastapi import APIRouter, Depends
from sqlalchemy.orm import Session

from sparkcodes.audit.schemas import AuditEventOut
from sparkcodes.authorization import service
from sparkcodes.authorization.schemas import (
    AuthorizationOut,
    ExtendIn,
    GenerateIn,
    NewAuthorizationOut,
    authorization_out,
)
from sparkcodes.deps import SessionDep, SettingsDep, UserDep
from sparkcodes.kit.clock import utc_now
from sparkcodes.kit.pagination import Page
from sparkcodes.models import Authorization
from sparkcodes.notification import watch
from sparkcodes.post import service as post_service
from sparkcodes.values import Message

router = APIRouter(prefix="/v1", tags=["authorizations"])


def _one(session: Session, authorization: Authorization) -> AuthorizationOut:
    users = service.users_of(session, [authorization], watch=watch)
    return authorization_out(authorization, utc_now(), users.get(authorization.id))


@router.post("/posts/{post_id}/authorizations", response_model=NewAuthorizationOut,
             status_code=201)
def generate_code(post_id: str, body: GenerateIn, user: UserDep, session: SessionDep,
                  settings: SettingsDep) -> NewAuthorizationOut:
    """Generate a Spark code for your post (R1–R7). The `code` is in this response only."""
    post, creator = post_service.get_owned(session, user=user, post_id=post_id)
    result = service.generate(session, settings=settings, user=user, creator=creator, post=post,
                              days=body.days)
    out = authorization_out(result.authorization, utc_now())
    return NewAuthorizationOut(
        **out.model_dump(), code=result.code,
        warnings=[Message(code=w.code, message=w.message) for w in result.warnings],
    )


@router.get("/posts/{post_id}/authorizations", response_model=list[AuthorizationOut])
def list_codes(post_id: str, user: UserDep, session: SessionDep) -> list[AuthorizationOut]:
    """A post's codes with their status and who uses each (R12)."""
    post, _ = post_service.get_owned(session, user=user, post_id=post_id)
    authorizations = service.of_post(session, post=post)
    users = service.users_of(session, authorizations, watch=watch)
    now = utc_now()
    return [authorization_out(a, now, users.get(a.id)) for a in authorizations]


@router.get("/authorizations/{authorization_id}", response_model=AuthorizationOut)
def get_code(authorization_id: str, user: UserDep, session: SessionDep) -> AuthorizationOut:
    """One of your codes (never its value)."""
    authorization, _, _ = service.get_owned(session, user=user, authorization_id=authorization_id)
    return _one(session, authorization)


@router.post("/authorizations/{authorization_id}/extend", response_model=AuthorizationOut)
def extend_code(authorization_id: str, body: ExtendIn, user: UserDep, session: SessionDep,
                settings: SettingsDep) -> AuthorizationOut:
    """Extend a code (R8), also after it expired; the code string stays the same."""
    authorization, _, creator = service.get_owned(session, user=user,
                                                  authorization_id=authorization_id)
    service.extend(session, settings=settings, user=user, authorization=authorization,
                   creator=creator, days=body.days, watch=watch)
    return _one(session, authorization)


@router.delete("/authorizations/{authorization_id}", response_model=AuthorizationOut)
def delete_code(authorization_id: str, user: UserDep, session: SessionDep) -> AuthorizationOut:
    """Delete a code (R9); refused while live ads use it, naming who."""
    authorization, _, creator = service.get_owned(session, user=user,
                                                  authorization_id=authorization_id)
    service.delete(session, user=user, authorization=authorization, creator=creator, watch=watch)
    return _one(session, authorization)


@router.post("/authorizations/{authorization_id}/regenerate", response_model=NewAuthorizationOut)
def regenerate_code(authorization_id: str, user: UserDep, session: SessionDep,
                    settings: SettingsDep) -> NewAuthorizationOut:
    """Replace an unused code's string; the old string stops working (R7)."""
    authorization, _, creator = service.get_owned(session, user=user,
                                                  authorization_id=authorization_id)
    authorization, raw = service.regenerate(session, settings=settings, user=user,
                                            authorization=authorization, creator=creator)
    return NewAuthorizationOut(**authorization_out(authorization, utc_now()).model_dump(), code=raw)


@router.get("/authorizations/{authorization_id}/history", response_model=list[AuditEventOut])
def code_history(authorization_id: str, user: UserDep, session: SessionDep,
                 page: Page = Depends(Page.dep)) -> list[AuditEventOut]:
    """A code's audit trail, oldest first (codes themselves never appear)."""
    authorization, _, _ = service.get_owned(session, user=user, authorization_id=authorization_id)
    events = service.history(session, authorization=authorization, limit=page.limit,
                             offset=page.offset)
    return [AuditEventOut.model_validate(e) for e in events]
