"""The business overview: what a brand checks each morning (R22–R25, R27 at a glance).

Codes that end within the week, Spark posts that stopped delivering, the daily spend that stops
with the codes ending this week, and the code and renewal requests still waiting for a creator.
Everything is read through the tracker and the request services; nothing is stored here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sparkcodes.code_request import service as code_request_service
from sparkcodes.code_request.service import CodeRequestView
from sparkcodes.models import AdAccount, Business
from sparkcodes.renewal import service as renewal_service
from sparkcodes.renewal.service import RenewalView
from sparkcodes.spark_post.rules import StopReason
from sparkcodes.tracker import service
from sparkcodes.tracker.service import Item

WEEK = timedelta(days=7)
SHOWN = 10  # rows per list; the tracker has the rest
STOPPED = tuple(r.value for r in StopReason)
# The open requests of one ad account read at most this many (a brand with more has a backlog the
# requests page pages through).
REQUESTS_PER_ACCOUNT = 100


@dataclass
class Overview:
    now: datetime
    ending: list[Item]  # every bound Spark post whose window ends within the week, soonest first
    stopped: list[Item]  # the most recently ended first, at most SHOWN
    stopped_total: int
    code_requests: list[CodeRequestView]
    renewals: list[RenewalView]

    @property
    def open_requests(self) -> int:
        return len(self.code_requests) + len(self.renewals)

    def pending_by_code(self) -> dict[str, RenewalView]:
        return {v.authorization.id: v for v in self.renewals}


def overview(session: Session, *, business: Business, accounts: list[AdAccount],
             now: datetime) -> Overview:
    """The business at ``now``: ending this week, stopped, spend at risk and open requests."""
    ending = service.track(session, business=business, now=now,
                           q=service.Query(within=WEEK, sort="expiry"))
    stopped = service.track(session, business=business, now=now, limit=SHOWN,
                            q=service.Query(statuses=frozenset(STOPPED), sort="expiry",
                                            descending=True))
    code_requests = [v for a in accounts for v in code_request_service.list_for_ad_account(
        session, account=a, status="pending", limit=REQUESTS_PER_ACCOUNT, offset=0)]
    renewals = [v for a in accounts for v in renewal_service.list_for_ad_account(
        session, account=a, status="pending", limit=REQUESTS_PER_ACCOUNT, offset=0)]
    code_requests.sort(key=lambda v: v.request.expires_at)
    renewals.sort(key=lambda v: v.expires_at)
    return Overview(now=now, ending=ending.items, stopped=stopped.items,
                    stopped_total=stopped.total, code_requests=code_requests,
                    renewals=renewals)
