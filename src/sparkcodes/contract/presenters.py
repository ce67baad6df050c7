"""How contracts are shown, shared by the JSON endpoints and the roster pages."""

from __future__ import annotations

from datetime import datetime

from sparkcodes.ad.schemas import from_micros
from sparkcodes.contract import rules
from sparkcodes.contract.schemas import ContractCreator, ContractOut
from sparkcodes.models import Contract, Creator, Post


def contract_out(c: Contract, creator: Creator, post: Post | None, now: datetime) -> ContractOut:
    visible = post is not None and post.visibility == "public" and post.deleted_at is None
    return ContractOut(
        id=c.id, business_id=c.business_id,
        creator=ContractCreator(id=creator.id, handle=creator.handle),
        post_id=c.post_id, post_caption=post.caption if visible and post else None,
        starts_at=c.starts_at, ends_at=c.ends_at, fee=from_micros(c.fee_micros), notes=c.notes,
        status=rules.status_at(starts_at=c.starts_at, ends_at=c.ends_at,
                               deleted_at=c.deleted_at, now=now),
        created_by_id=c.created_by_id, created_at=c.created_at, deleted_at=c.deleted_at,
    )
