"""Pages: reports with paid and organic engagement over time — for an ad account (its Spark Ads
against the organic engagement of the posts it runs), for a creator (all their posts) and for
one post."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query
from fastapi.responses import Response

from sparkcodes import errors
from sparkcodes.ad_account.auth import AdAccountRead
from sparkcodes.creator import service as creator_service
from sparkcodes.post import service as post_service
from sparkcodes.report import service
from sparkcodes.web.kit import Web, WebPage

router = APIRouter(tags=["pages"])

DEFAULT_DAYS = 30


# The service's refusal of a range (its details' reason) -> the field and the words.
_PAGE_WORDS = {
    service.START_AFTER_END: ("start", "The first day is after the last day."),
    service.END_TOO_EARLY: ("end", "The last day is too early; pick a later one."),
    service.SPAN_TOO_LONG: (
        "start", f"A report spans at most {service.MAX_DAYS} days; pick a later first day."),
}


class Period:
    """The days a report page shows, from ``?days=`` or ``?start=&end=``, and what was wrong."""

    def __init__(self, days: str, start: str, end: str) -> None:
        self.days: int | None = None
        self.start_text, self.end_text = start.strip(), end.strip()
        self.start: date | None = None
        self.end: date | None = None
        self.errors: dict[str, str] = {}
        self.custom = bool(self.start_text or self.end_text)
        if self.custom:
            self.start = self._parse("start", self.start_text, "first")
            self.end = self._parse("end", self.end_text, "last")
            return
        days = days.strip() or str(DEFAULT_DAYS)
        if days not in {str(d) for d in service.PERIODS}:
            self.errors["days"] = "Choose the last 7, 30 or 90 days."
            return
        self.days = int(days)
        self.start, self.end = service.last_days(self.days)

    def _parse(self, name: str, text: str, which: str) -> date | None:
        if not text:
            return None
        if len(text) == 10:  # YYYY-MM-DD, as a date input sends it
            try:
                return date.fromisoformat(text)
            except ValueError:
                pass
        self.errors[name] = f"Enter the {which} day as a date such as 2026-03-01."
        return None

    def refused(self, error: errors.AppError) -> None:
        """The service's refusal next to the date it is about, in the form's words (the service
        speaks of the API's start_date and end_date)."""
        field, words = _PAGE_WORDS.get(str(error.details.get("reason")),
                                   ("start", error.message))
        self.errors[field] = words

    @property
    def status(self) -> int:
        return 422 if self.errors else 200

    @property
    def query(self) -> str:
        """The period as a query string, for links to other reports over the same days."""
        if self.custom:
            return urlencode({k: v for k, v in (("start", self.start_text),
                                                ("end", self.end_text)) if v})
        return urlencode({"days": self.days or DEFAULT_DAYS})


def _split(period: Period, fn: Any, /, **kwargs: Any) -> Any:
    """The service's split over the period, or None with the refusal next to the date."""
    if period.errors:
        return None
    try:
        return fn(start=period.start, end=period.end, **kwargs)
    except errors.InvalidInput as exc:
        period.refused(exc)
        return None


def _render(web: Web, name: str, period: Period, ctx: dict[str, Any]) -> Response:
    return web.render(name, {"period": period, "periods": service.PERIODS,
                             "labels": service.LABELS, "rates": service.RATES,
                             "engagement": service.engagement, **ctx}, status=period.status)


@router.get("/ad-accounts/{ad_account_id}/reports")
def account_reports(ad_account_id: str, web: WebPage, access: AdAccountRead, days: str = Query(""),
                    start: str = Query(""),
                    end: str = Query("")) -> Response:
    """The ad account's Spark Ads: totals, paid vs organic engagement per day, each ad."""
    account, business = access.account, access.business
    period = Period(days, start, end)
    split = _split(period, service.account_split, session=web.session, user=web.me,
                   ad_account_id=account.id)
    return _render(web, "report/account.html", period, {
        "account": account, "business": business, "split": split, "tab": "reports"})


@router.get("/creators/{creator_id}/reports")
def creator_reports(creator_id: str, web: WebPage, days: str = Query(""), start: str = Query(""),
                    end: str = Query("")) -> Response:
    """Paid vs organic engagement on all of the creator's posts, and on each post."""
    creator = creator_service.get_owned(web.session, user=web.me, creator_id=creator_id)
    period = Period(days, start, end)
    split = _split(period, service.creator_split, session=web.session, user=web.me,
                   creator_id=creator.id)
    return _render(web, "report/creator.html", period, {"creator": creator, "split": split})


@router.get("/posts/{post_id}/report")
def post_report(post_id: str, web: WebPage, days: str = Query(""), start: str = Query(""),
                end: str = Query("")) -> Response:
    """One post's paid vs organic engagement per day."""
    post, creator = post_service.get_owned(web.session, user=web.me, post_id=post_id)
    period = Period(days, start, end)
    split = _split(period, service.post_split, session=web.session, user=web.me,
                   post_id=post.id)
    return _render(web, "report/post.html", period, {"post": post, "creator": creator,
                                                     "split": split})
