from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from sparkcodes import errors
from sparkcodes.business.auth import BusinessRead
from sparkcodes.deps import SessionDep
from sparkcodes.kit.clock import utc_now
from sparkcodes.kit.pagination import Page
from sparkcodes.tracker import export, service
from sparkcodes.tracker.schemas import TrackerOut, tracker_out

router = APIRouter(prefix="/v1", tags=["tracker"])


def _filters(
    status: Annotated[list[str], Query(
        description="AUTHORIZED, AUTHORIZATION_EXPIRED, ..., UNBOUND (which includes unbound "
                    "rows); repeat or comma-separate"
    )] = [],  # noqa: B006 (FastAPI copies defaults)
    expiring_within: Annotated[str | None, Query(
        max_length=20, description='Window ends within this from now: "3d", "72h", "2w"')] = None,
    ad_account_id: Annotated[str | None, Query(max_length=32)] = None,
    creator_id: Annotated[str | None, Query(max_length=32)] = None,
    creator: Annotated[str | None, Query(max_length=40, description="A creator handle")] = None,
    post_id: Annotated[str | None, Query(
        max_length=32, description="One post's codes across all ad accounts")] = None,
    include_unbound: Annotated[bool, Query()] = False,
    sort: Annotated[str, Query(
        max_length=20, description="expiry (soonest first), days_left, spend_at_risk (largest "
        "first) or creator; prefix '-' to reverse")] = "expiry",
) -> service.Query:
    return service.query(status=status, expiring_within=expiring_within,
                         ad_account_id=ad_account_id, creator_id=creator_id, creator=creator,
                         post_id=post_id, include_unbound=include_unbound, sort=sort)


FiltersDep = Annotated[service.Query, Depends(_filters)]


@router.get("/businesses/{business_id}/tracker", response_model=TrackerOut)
def tracker(business_id: str, access: BusinessRead, session: SessionDep, q: FiltersDep,
            page: Annotated[Page, Depends(Page.dep)],
            after: Annotated[str | None, Query(
                max_length=500, description="The `next` of the previous page: the page after it "
                "(in place of offset; with the expiry and creator sorts a page then costs the "
                "same however deep it is)")] = None) -> TrackerOut:
    """Every Spark post the business holds across its ad accounts (R22): creator, post, ad
    account, code, status, window end and time left, live ads, spend at risk, the governing
    contract and its flags (R26). Filter, sort and page; `total` counts the matches, up to 10,000
    or the page's end, among 2,000 rows with a status filter (`total_exact` false: at least that
    many). Page by `offset`, or by passing each page's `next` as `after`."""
    business = access.business
    cursor = None
    if after is not None:
        if page.offset:
            raise errors.InvalidInput("Page by offset or by after, not both.",
                                      code="invalid_cursor")
        cursor = service.parse_after(q, after)
    result = service.track(session, business=business, q=q, now=utc_now(), limit=page.limit,
                           offset=page.offset, after=cursor)
    return tracker_out(result, limit=page.limit, offset=page.offset)


@router.get("/businesses/{business_id}/tracker.csv", response_class=Response,
            responses={200: {"content": {"text/csv": {}}}})
def tracker_csv(business_id: str, request: Request, access: BusinessRead, session: SessionDep,
                q: FiltersDep) -> Response:
    """The tracker as a CSV download: the same filters and order, every matching row, one header
    row."""
    business = access.business
    service.check(session, business=business, q=q)
    now = utc_now()
    filename = export.filename(now)
    return StreamingResponse(
        export.streamed(request.app.state.db, business_id=business.id, q=q, now=now),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'})
