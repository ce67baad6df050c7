"""Ad accounts, and the business's own creator accounts linked to them (R19)."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.ad_account import repository, rules
from sparkcodes.audit import service as audit
from sparkcodes.business import repository as business_repository
from sparkcodes.business import rules as business_rules
from sparkcodes.creator import rules as creator_rules
from sparkcodes.kit.text import refuse_control
from sparkcodes.models import NATIVE, AdAccount, Business, Creator, LinkedIdentity, User


def create(session: Session, *, user: User, business: Business, name: str,
           region: str | None = None, timezone: str = "UTC",
           currency: str = rules.DEFAULT_CURRENCY) -> AdAccount:
    """A new ad account of the business, its amounts in ``currency``; InvalidInput for an empty
    name, an unknown region or time zone, or a currency that is not three letters."""
    rules.check_timezone(timezone)
    currency = rules.normalize_currency(currency)
    name = refuse_control(name.strip(), name="ad account name")
    if not name:
        raise errors.InvalidInput("Give the ad account a name.", code="invalid_name")
    account = AdAccount(
        business_id=business.id, name=name,
        region=creator_rules.normalize_region(region) if region else None, timezone=timezone,
        currency=currency,
    )
    repository.add(session, account)
    audit.record(session, actor_id=user.id, action="ad_account.created", target_type="ad_account",
                 target_id=account.id, business_id=business.id,
                 after={"name": name, "region": account.region, "currency": currency})
    return account


def access(session: Session, *, user: User, ad_account_id: str | None,
           action: str, tiktok_id: int | None = None,
           through_tiktok: bool = False) -> tuple[AdAccount, Business, str]:
    """The ad account if the user's role in its business allows ``action``; NotFound otherwise.

    Non-members get NotFound, as for the business itself; members whose role is too low get
    Forbidden (``business.rules.check``). One query for account, business and membership. The
    TikTok surface names the account by its ``tiktok_id`` instead. A mirrored account refuses
    every change (MirroredFromTikTok) except those its caller makes on TikTok
    (``through_tiktok``: binds, previews, pauses and unbinds through ``ports.AdActions``).
    """
    found = repository.with_membership(session, ad_account_id, user.id, tiktok_id=tiktok_id)
    if found is None:
        raise errors.NotFound("No such ad account.")
    account, business, role = found
    if business is None or role is None:
        raise errors.NotFound("No such ad account.")
    business_rules.check(role, action)
    if action != "read" and account.source != NATIVE and not through_tiktok:
        raise errors.MirroredFromTikTok(details={"ad_account_id": account.id})
    return account, business, role


def link_identity(session: Session, *, user: User, account: AdAccount,
                  creator: Creator) -> LinkedIdentity:
    """R19: link a creator account the user owns; its posts then run without codes (TT_USER)."""
    existing = repository.linked_identity(session, account.id, creator.id)
    if existing is not None:
        return existing
    link = LinkedIdentity(ad_account_id=account.id, creator_id=creator.id, linked_by_id=user.id)
    try:
        with session.begin_nested():
            repository.add(session, link)
    except IntegrityError:
        found = repository.linked_identity(session, account.id, creator.id)
        if found is None:
            raise
        return found
    audit.record(session, actor_id=user.id, action="identity.linked", target_type="ad_account",
                 target_id=account.id, business_id=account.business_id, creator_id=creator.id,
                 after={"creator_id": creator.id, "handle": creator.handle})
    return link


def identities(session: Session, *, account: AdAccount) -> list[tuple[LinkedIdentity, Creator]]:
    """The creator accounts linked to the ad account (R19), oldest link first."""
    return repository.linked_identities_with_creators(session, account.id)


def business_of(session: Session, *, account: AdAccount) -> Business:
    """The business that owns the ad account."""
    business = business_repository.by_id(session, account.business_id)
    assert business is not None  # business_id is a foreign key; businesses are never removed
    return business
