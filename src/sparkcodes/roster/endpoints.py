from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from sqlalchemy.orm import Session

from sparkcodes.ad.schemas import to_micros
from sparkcodes.business.auth import BusinessOperate, BusinessRead
from sparkcodes.config import Settings
from sparkcodes.deps import SessionDep, SettingsDep, UserDep
from sparkcodes.kit.clock import utc_now
from sparkcodes.kit.pagination import Page, Paged
from sparkcodes.models import RosterEntry
from sparkcodes.roster import service
from sparkcodes.roster.presenters import entry_out
from sparkcodes.roster.schemas import (
    RosterEntryOut,
    RosterIn,
    RosterPatch,
    RosterStatus,
)

router = APIRouter(prefix="/v1", tags=["roster"])


def _one(session: Session, entry: RosterEntry, settings: Settings,
         now: datetime) -> RosterEntryOut:
    one = service.listed(session, entry=entry, now=now)
    return entry_out(one.entry, one.creator, one.codes, settings)


@router.get("/businesses/{business_id}/roster", response_model=Paged[RosterEntryOut])
def list_roster(business_id: str, access: BusinessRead, session: SessionDep, settings: SettingsDep,
                page: Annotated[Page, Depends(Page.dep)],
                status: RosterStatus | None = None) -> Paged[RosterEntryOut]:
    """The brand's creator pipeline by handle: status, region, rate, notes and codes held."""
    business = access.business
    rows, total = service.of_business(session, business=business, status=status,
                                      limit=page.limit, offset=page.offset, now=utc_now())
    return Paged[RosterEntryOut](
        items=[entry_out(r.entry, r.creator, r.codes, settings) for r in rows],
        total=total, limit=page.limit, offset=page.offset)


@router.post("/businesses/{business_id}/roster", response_model=RosterEntryOut, status_code=201)
def add_to_roster(business_id: str, access: BusinessOperate, body: RosterIn, user: UserDep,
                  session: SessionDep,
                  settings: SettingsDep) -> RosterEntryOut:
    """Add a creator (by `handle` or `creator_id`) to the roster. Operators and admins."""
    business = access.business
    entry = service.add(session, user=user, business=business, creator_id=body.creator_id,
                        handle=body.handle, status=body.status, rate_micros=to_micros(body.rate),
                        currency=body.currency, notes=body.notes, email=body.email)
    return _one(session, entry, settings, utc_now())


@router.patch("/roster/{entry_id}", response_model=RosterEntryOut)
def edit_roster_entry(entry_id: str, body: RosterPatch, user: UserDep, session: SessionDep,
                      settings: SettingsDep) -> RosterEntryOut:
    """Change an entry's status, rate (null clears it), currency or notes. Operators and admins."""
    entry, business = service.get(session, user=user, entry_id=entry_id, action="operate")
    sent = body.model_dump(exclude_unset=True)
    changes = {}
    for name in ("status", "currency", "notes"):
        if sent.get(name) is not None:
            changes[name] = sent[name]
    if "email" in sent:
        changes["email"] = sent["email"] or None
    if "rate" in sent:
        changes["rate_micros"] = to_micros(body.rate)
    entry = service.update(session, user=user, business=business, entry=entry, changes=changes)
    return _one(session, entry, settings, utc_now())


@router.delete("/roster/{entry_id}", status_code=204)
def remove_roster_entry(entry_id: str, user: UserDep, session: SessionDep) -> Response:
    """Take a creator off the roster. Operators and admins."""
    entry, business = service.get(session, user=user, entry_id=entry_id, action="operate")
    service.remove(session, user=user, business=business, entry=entry)
    return Response(status_code=204)
