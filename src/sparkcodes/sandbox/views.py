"""Page control for the sandbox clock (sandbox mode only): move time forward from the footer."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Form
from fastapi.responses import Response

from sparkcodes.sandbox import service
from sparkcodes.web.kit import WebForm, back

router = APIRouter(tags=["pages"])

STEPS = (1, 7, 31)


@router.post("/sandbox/clock")
def move_clock(web: WebForm, days: str = Form("", max_length=4)) -> Response:
    """Advance the service clock by 1, 7 or 31 days, then show the same page again."""
    if days.isdigit() and int(days) in STEPS:
        service.move(web.session, actor_id=web.me.id, advance=timedelta(days=int(days)),
                     set_to=None)
    return web.redirect(back(web, "/"))
