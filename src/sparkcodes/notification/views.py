"""Pages: your notifications (alerts, reminders, renewal answers), and marking them read."""

from __future__ import annotations

from fastapi import APIRouter, Form
from fastapi.responses import Response

from sparkcodes.notification import service
from sparkcodes.web.kit import WebForm, WebPage

router = APIRouter(tags=["pages"])


@router.get("/notifications")
def notifications(web: WebPage) -> Response:
    """Newest first; unread ones stand out."""
    found = service.inbox(web.session, user=web.me, unread_only=False, limit=200, offset=0)
    return web.render("notification/list.html", {"items": found.items})


@router.post("/notifications/read")
def mark_read(web: WebForm, id: str = Form("", max_length=32)) -> Response:
    """Mark one notification (id) or all of them read; marking twice is harmless."""
    service.mark_read(web.session, user=web.me, ids=[id] if id else None)
    if web.htmx and id:
        found = service.inbox(web.session, user=web.me, unread_only=False, limit=200, offset=0)
        item = next((n for n in found.items if n.id == id), None)
        if item is not None:
            return web.render("notification/_item.html", {"n": item, "oob_badge": True})
    return web.redirect("/notifications")
