"""Creator transparency (R29): per code, who uses it, which ads run on it since when, the paid
engagement they brought the post, and a way to report misuse to the business using it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.ad import repository as ad_repository
from sparkcodes.ad import service as ad_service
from sparkcodes.audit import service as audit
from sparkcodes.authorization import repository as authorization_repository
from sparkcodes.authorization import service as authorization_service
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import (
    AdAccount,
    Authorization,
    Business,
    Creator,
    MisuseReport,
    Post,
    User,
)
from sparkcodes.notification import service as notify
from sparkcodes.transparency import repository, rules
from sparkcodes.values import hint_display


@dataclass
class AdUsage:
    ad_id: str
    name: str
    ad_account_id: str
    delivering: bool
    reasons: list[str]
    live_since: datetime | None


@dataclass
class Usage:
    authorization: Authorization
    post: Post
    creator: Creator
    account: AdAccount | None
    business: Business | None
    ads: list[AdUsage]
    paid: dict[str, int]
    post_paid: dict[str, int]
    reports: list[MisuseReport] = field(default_factory=list)

    @property
    def live_ads(self) -> int:
        return sum(1 for a in self.ads if a.delivering)


def _owned(session: Session, user: User,
           authorization_id: str) -> tuple[Authorization, Post, Creator]:
    if "\x00" in authorization_id:
        raise errors.NotFound("No such authorization.")
    return authorization_service.get_owned(session, user=user, authorization_id=authorization_id)


def _user_of(session: Session,
             authorization: Authorization) -> tuple[AdAccount | None, Business | None]:
    if authorization.ad_account_id is None:
        return None, None
    found = authorization_repository.users(session, {authorization.ad_account_id})
    return found.get(authorization.ad_account_id, (None, None))


def usage(session: Session, *, user: User, authorization_id: str) -> Usage:
    """R29, R12: the code's user, its ads (live ones with since when) and the paid engagement on
    the post, by this code's ads and by every ad. Raises not_found unless the user owns the code."""
    authorization, post, creator = _owned(session, user, authorization_id)
    now = utc_now()
    account, business = _user_of(session, authorization)
    ads = ad_repository.ads_on_authorizations(session, [authorization.id])
    out = []
    for v in ad_service.deliveries(session, ads, now):
        live = v.delivery.delivering
        out.append(AdUsage(
            ad_id=v.ad.id, name=v.ad.name, ad_account_id=v.ad.ad_account_id, delivering=live,
            reasons=[r.value for r in v.delivery.reasons],
            live_since=rules.running_since(ad_created_at=v.ad.created_at,
                                           schedule_start_at=v.group.schedule_start_at,
                                           bound_at=v.spark_post.bound_at) if live else None))
    out.sort(key=lambda a: (not a.delivering, a.name, a.ad_id))
    return Usage(
        authorization=authorization, post=post, creator=creator, account=account,
        business=business, ads=out,
        paid=rules.totals(repository.paid_totals(session, post_id=post.id,
                                                 ad_ids=[a.id for a in ads])),
        post_paid=rules.totals(repository.paid_totals(session, post_id=post.id, ad_ids=None)),
        reports=repository.reports_of(session, authorization.id),
    )


def report_misuse(session: Session, *, user: User, authorization_id: str,
                  reason: str | None) -> tuple[MisuseReport, Business]:
    """R29: the creator reports misuse of a code; the business using it is told. Raises
    not_found, reason_required, code_not_in_use."""
    authorization, post, creator = _owned(session, user, authorization_id)
    text = rules.clean_reason(reason)
    rules.check_report(bound_ad_account_id=authorization.ad_account_id)
    account, business = _user_of(session, authorization)
    assert account is not None and business is not None  # foreign keys
    report = MisuseReport(authorization_id=authorization.id, business_id=business.id,
                          reported_by_id=user.id, reason=text, created_at=utc_now())
    repository.add_report(session, report)
    audit.record(session, actor_id=user.id, action="misuse.reported",
                 target_type="authorization", target_id=authorization.id,
                 creator_id=creator.id, business_id=business.id,
                 after={"misuse_report_id": report.id, "reason": text,
                        "ad_account_id": account.id})
    hint = hint_display(authorization.code_hint)
    notify.emit(
        session, event_type="misuse.reported",
        title=f"@{creator.handle} reported misuse of a code you use",
        body=(f"@{creator.handle} reported misuse of the code {hint} (post "
              f"\"{post.caption[:60]}\") used by {account.name}: {text}"),
        data={"misuse_report_id": report.id, "authorization_id": authorization.id,
              "code_hint": hint, "reason": text,
              "post": {"id": post.id, "caption": post.caption[:120]},
              "creator": {"id": creator.id, "handle": creator.handle},
              "ad_account": {"id": account.id, "name": account.name}},
        business_ids={business.id})
    return report, business
