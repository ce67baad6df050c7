from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response

from sparkcodes.ad.schemas import to_micros
from sparkcodes.business.auth import BusinessOperate, BusinessRead
from sparkcodes.config import Settings
from sparkcodes.creator import repository as creator_repository
from sparkcodes.deps import SessionDep, SettingsDep, UserDep
from sparkcodes.kit.clock import utc_now
from sparkcodes.kit.pagination import Page, Paged
from sparkcodes.models import RosterEntry
from sparkcodes.roster import repository, service
from sparkcodes.roster.presenters import entry_out
from sparkcodes.roster.schemas import (
    RosterEntryOut,
    RosterIn,
    RosterPatch,
    RosterStatus,
)

router = APIRouter(prefix="/v1", tags=["roster"])


def _one(session, entry: RosterEntry, settings: Settings, now: datetime) -> RosterEntryOut:  # type: ignore[no-untyped-def]
    creator = creator_repository.by_id(session, entry.creator_id)
    assert creator is not None  # a foreign key
    counts = repository.code_counts(session, business_id=entry.business_id,
                                    creator_ids=[creator.id], now=now)
    return entry_out(entry, creator, counts.get(creator.id), settings)


@router.get("/businesses/{business_id}/roster", response_model=Paged[RosterEntryOut])
def list_roster(business_id: str, access: BusinessRead, session: SessionDep, settings: SettingsDep,
                page: Annotated[Page, Depends(Page.dep)],
                status: RosterStatus | None = None) -> Paged[RosterEntryOut]:
    """The brand's creator pipeline by handle: status, region, rate, notes and codes held."""
    business = access.business
    rows, total = repository.of_business(session, business.id, status=status,
                                         limit=page.limit, offset=page.offset)
    counts = repository.code_counts(session, business_id=business.id,
                                    creator_ids=[c.id for _, c in rows], now=utc_now())
    return Paged[RosterEntryOut](
        items=[entry_out(e, c, counts.get(c.id), settings) for e, c in rows],
        total=total, limit=page.limit, offset=page.offset)


@router.post("/businesses/{business_id}/roster", response_model=RosterEntryOut, status_code=201)
def add_to_roster(business_id: str, access: BusinessOperate, body: RosterIn, user: UserDep,
                  session: SessionDep,
                  settings: SettingsDep) -> RosterEntryOut:
    """Add a creator (by `handle` or `creator_id`) to the roster. Operators and admins."""
    business = access.business
    entry = service.add(session, user=user, business=business, creator_id=body.creator_id,
                        handle=body.handle, status=body.status, rate_micros=to_micros(body.rate),
                        currency=body.currency, notes=body.notes)
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
