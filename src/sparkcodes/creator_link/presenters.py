"""How an e-mailed request is shown, shared by the JSON endpoints and the pages."""

from __future__ import annotations

from datetime import datetime

from sparkcodes.ad.schemas import from_micros
from sparkcodes.creator_link.schemas import CreatorLinkOut, CreatorRef
from sparkcodes.creator_link.service import LinkView
from sparkcodes.request_flow.schemas import Party


def link_out(v: LinkView, now: datetime) -> CreatorLinkOut:
    link = v.link
    return CreatorLinkOut(
        id=link.id, kind=link.kind, status=v.status(now).value,
        creator=CreatorRef(id=v.creator.id, handle=v.creator.handle), email=link.email,
        ad_account=Party(id=v.account.id, name=v.account.name),
        business=Party(id=v.business.id, name=v.business.name), post_url=link.post_url,
        spark_post_id=link.spark_post_id, days=link.days, fee=from_micros(link.fee_micros),
        currency=link.currency, message=link.message, created_at=link.created_at,
        expires_at=link.expires_at, answered_at=link.answered_at,
        result_spark_post_id=link.result_spark_post_id, end_before=link.end_before,
        end_after=link.end_after, tries=link.attempts, last_refusal=link.last_refusal)
