from __future__ import annotations

from fastapi import APIRouter, Depends

from sparkcodes.audit.schemas import AuditEventOut
from sparkcodes.config import Settings
from sparkcodes.creator import service
from sparkcodes.creator.schemas import AdSettingsIn, CreatorIn, CreatorOut
from sparkcodes.deps import SessionDep, SettingsDep, UserDep
from sparkcodes.kit.pagination import Page
from sparkcodes.models import Creator
from sparkcodes.notification import watch

router = APIRouter(prefix="/v1", tags=["creators"])


def creator_out(creator: Creator, settings: Settings) -> CreatorOut:
    out = CreatorOut.model_validate(creator)
    out.ad_settings_enabled = creator.ad_settings_enabled_at is not None
    out.region_supported = creator.region in settings.supported_regions
    return out


@router.post("/creators", response_model=CreatorOut, status_code=201)
def create_creator(body: CreatorIn, user: UserDep, session: SessionDep,
                   settings: SettingsDep) -> CreatorOut:
    """Create a creator account you own."""
    creator = service.create(session, owner=user, handle=body.handle,
                             display_name=body.display_name, region=body.region,
                             avatar_url=body.avatar_url)
    return creator_out(creator, settings)


@router.get("/creators", response_model=list[CreatorOut])
def list_creators(user: UserDep, session: SessionDep, settings: SettingsDep) -> list[CreatorOut]:
    """The creator accounts you own."""
    return [creator_out(c, settings) for c in service.owned_by(session, user=user)]


@router.get("/creators/{creator_id}", response_model=CreatorOut)
def get_creator(creator_id: str, user: UserDep, session: SessionDep,
                settings: SettingsDep) -> CreatorOut:
    """One of your creator accounts."""
    return creator_out(service.get_owned(session, user=user, creator_id=creator_id), settings)


@router.put("/creators/{creator_id}/ad-settings", response_model=CreatorOut)
def put_ad_settings(creator_id: str, body: AdSettingsIn, user: UserDep, session: SessionDep,
                    settings: SettingsDep) -> CreatorOut:
    """Account-level ad authorization (R1). Turning it on needs `accept_terms` once."""
    creator = service.get_owned(session, user=user, creator_id=creator_id)
    creator = service.set_ad_settings(session, user=user, creator=creator, enabled=body.enabled,
                                      accept_terms=body.accept_terms, watch=watch)
    return creator_out(creator, settings)


@router.get("/creators/{creator_id}/history", response_model=list[AuditEventOut])
def creator_history(creator_id: str, user: UserDep, session: SessionDep,
                    page: Page = Depends(Page.dep)) -> list[AuditEventOut]:
    """Everything that happened to this account, its posts and its codes, newest first."""
    creator = service.get_owned(session, user=user, creator_id=creator_id)
    events = service.history(session, creator=creator, limit=page.limit, offset=page.offset)
    return [AuditEventOut.model_validate(e) for e in events]
