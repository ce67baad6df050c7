from __future__ import annotations

from fastapi import APIRouter

from sparkcodes.deps import SessionDep, UserDep
from sparkcodes.kit.clock import utc_now
from sparkcodes.transparency import service
from sparkcodes.transparency.schemas import (
    MisuseIn,
    MisuseReportOut,
    UsageOut,
    report_out,
    usage_out,
)

router = APIRouter(prefix="/v1", tags=["creator transparency"])


@router.get("/authorizations/{authorization_id}/usage", response_model=UsageOut)
def code_usage(authorization_id: str, user: UserDep, session: SessionDep) -> UsageOut:
    """Who uses your code (business, ad account, since when), its ads (live ones since when) and
    the paid engagement they brought your post (R29)."""
    return usage_out(service.usage(session, user=user, authorization_id=authorization_id),
                     utc_now())


@router.post("/authorizations/{authorization_id}/report-misuse", response_model=MisuseReportOut,
             status_code=201)
def report_misuse(authorization_id: str, body: MisuseIn, user: UserDep,
                  session: SessionDep) -> MisuseReportOut:
    """Report misuse of your code; the business using it is told at once (R29)."""
    report, business = service.report_misuse(session, user=user,
                                             authorization_id=authorization_id,
                                             reason=body.reason)
    return report_out(report, business)
