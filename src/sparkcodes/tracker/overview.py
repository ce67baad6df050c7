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
# The open requests read, newest first, across the business's ad accounts (a brand with more has
# a backlog the requests pages page through).
REQUESTS_SHOWN = 500


@dataclass
class Overview:
    now: datetime
    ending: list[Item]  # the bound Spark posts whose window ends within the week, soonest first,
    # at most SHOWN
    ending_total: int  # how many end within the week (at least that many if not ending_exact)
    ending_exact: bool
    at_risk: list[Item]  # those ending within the week whose ads spent yesterday and still run
    stopped: list[Item]  # the most recently ended first, at most SHOWN
    stopped_total: int  # at least that many if not stopped_exact (counting is bounded)
    stopped_exact: bool
    code_requests: list[CodeRequestView]
    renewals: list[RenewalView]

    @property
    def open_requests(self) -> int:
        return len(self.code_requests) + len(self.renewals)


def overview(session: Session, *, business: Business, accounts: list[AdAccount],
             now: datetime) -> Overview:
    """The business at ``now``: ending this week, stopped, spend at risk and open requests."""
    week = service.Query(within=WEEK, sort="expiry")
    ending = service.track(session, business=business, now=now, q=week, limit=SHOWN)
    # Spend at risk is yesterday's spend of live ads: only Spark posts whose ads spent yesterday
    # can have any, so those alone are built, not every code that ends this week.
    at_risk = service.spending(session, business=business, q=week, now=now)
    stopped = service.track(session, business=business, now=now, limit=SHOWN,
                            q=service.Query(statuses=frozenset(STOPPED), sort="expiry",
                                            descending=True))
    code_requests = code_request_service.list_for_ad_accounts(
        session, accounts=accounts, status="pending", limit=REQUESTS_SHOWN, offset=0)
    renewals = renewal_service.list_for_ad_accounts(
        session, accounts=accounts, status="pending", limit=REQUESTS_SHOWN, offset=0)
    code_requests.sort(key=lambda v: v.request.expires_at)
    renewals.sort(key=lambda v: v.expires_at)
    return Overview(now=now, ending=ending.items, ending_total=ending.total,
                    ending_exact=ending.total_exact, at_risk=at_risk, stopped=stopped.items,
                    stopped_total=stopped.total, stopped_exact=stopped.total_exact,
                    code_requests=code_requests,
                    renewals=renewals)
