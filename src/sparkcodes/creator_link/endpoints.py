from __future__ import annotations

from fastapi import APIRouter

from sparkcodes import errors
from sparkcodes.ad.schemas import to_micros
from sparkcodes.business import service as business_service
from sparkcodes.business.auth import BusinessRead
from sparkcodes.creator_link import service
from sparkcodes.creator_link.presenters import link_out
from sparkcodes.creator_link.schemas import CreatorLinkIn, CreatorLinkOut
from sparkcodes.deps import SessionDep, SettingsDep, UserDep
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import AdAccount
from sparkcodes.roster import rules as roster_rules
from sparkcodes.roster import service as roster_service

router = APIRouter(prefix="/v1", tags=["roster"])


@router.post("/roster/{entry_id}/creator-links", response_model=CreatorLinkOut,
             status_code=201)
def send_link(entry_id: str, body: CreatorLinkIn, user: UserDep, session: SessionDep,
              settings: SettingsDep) -> CreatorLinkOut:
    """E-mail a creator who is not on sparkcodes a single-use, expiring link: `kind` `code`
    asks for a Spark code for a post (`ad_account_id`: a TikTok-linked ad account; the code
    goes straight to TikTok), `renewal` asks to extend the code of `spark_post_id` and press
    Done. Operators and admins. The link is in the e-mail only, never in an answer."""
    entry, business = roster_service.get(session, user=user, entry_id=entry_id,
                                         action="operate")
    if body.kind == "code":
        account = (session.get(AdAccount, body.ad_account_id)
                   if body.ad_account_id and "\x00" not in body.ad_account_id else None)
        if account is None or account.business_id != business.id:
            raise errors.NotFound("No such ad account.")
        currency = roster_rules.normalize_currency(body.currency or entry.currency)
        view = service.ask_for_code(session, settings=settings, user=user, business=business,
                                    entry=entry, account=account, post_url=body.post_url,
                                    days=body.days, fee_micros=to_micros(body.fee),
                                    currency=currency, message=body.message)
    else:
        if not body.spark_post_id:
            raise errors.InvalidInput("Name the Spark post whose code should be extended "
                                      "(spark_post_id).", code="spark_post_required")
        view = service.ask_to_extend(session, settings=settings, user=user, business=business,
                                     entry=entry, spark_post_id=body.spark_post_id,
                                     days=body.days, message=body.message)
    return link_out(view, utc_now())


@router.get("/businesses/{business_id}/creator-links", response_model=list[CreatorLinkOut])
def list_links(business_id: str, access: BusinessRead, session: SessionDep) -> list[CreatorLinkOut]:
    """The requests e-mailed to creators who are not on sparkcodes, newest first (200 at most),
    with what became of each."""
    now = utc_now()
    return [link_out(v, now) for v in service.of_business(session, business=access.business)]


@router.delete("/creator-links/{link_id}", response_model=CreatorLinkOut)
def withdraw_link(link_id: str, user: UserDep, session: SessionDep) -> CreatorLinkOut:
    """Withdraw an e-mailed request: its link stops working. Operators and admins."""
    view = service.get(session, link_id=link_id)
    if view is None:
        raise errors.NotFound("No such e-mailed request.")
    try:
        business_service.access(session, user=user, business_id=view.business.id,
                                action="operate")
    except errors.NotFound:
        raise errors.NotFound("No such e-mailed request.") from None
    return link_out(service.withdraw(session, user=user, view=view), utc_now())
