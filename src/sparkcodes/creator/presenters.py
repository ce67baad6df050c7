"""What a creator account's page shows: its posts, pending renewal and code requests."""

from __future__ import annotations

from typing import Any

from sparkcodes.code_request import service as code_request_service
from sparkcodes.models import Creator
from sparkcodes.post import service as post_service
from sparkcodes.renewal import service as renewal_service
from sparkcodes.web.kit import Web


def account_context(web: Web, creator: Creator) -> dict[str, Any]:
    posts = post_service.of_creator(web.session, creator=creator, limit=200, offset=0)
    pending = renewal_service.list_for_creator(web.session, user=web.me, creator_id=creator.id,
                                               status="pending", limit=100, offset=0)
    code_requests = code_request_service.list_for_creator(
        web.session, user=web.me, creator_id=creator.id, status="pending", limit=100, offset=0)
    return {"creator": creator, "posts": posts, "renewals": pending,
            "code_requests": code_requests,
            "region_supported": creator.region in web.settings.supported_regions,
            "post_values": {}, "post_errors": {}}
