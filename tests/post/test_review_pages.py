"""R30 on the pages: the checklist on the creator's post page and on each card of the brand's
code preview, with the numbers behind each line."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from tests import factories as f
from tests.integration.test_pages import _world
from tests.integration.test_pages_access import HTML, page_login, page_text


def event(post_id: str, type_: str) -> dict[str, Any]:
    """An organic event with an id of its own (the shared factory's numbering is left as other
    tests expect it)."""
    return {"event_id": f"review-{uuid.uuid4().hex}", "post_id": post_id, "type": type_}


def _organic_life(client: TestClient, w: dict) -> None:  # type: ignore[type-arg]
    post_id = w["post"]["id"]
    batch = ([event(post_id, "impression") for _ in range(120)]
             + [event(post_id, "view_15s") for _ in range(60)]
             + [{**event(post_id, "comment"), "comment_text": "Love it, great routine!"}
                for _ in range(3)])
    f._ok(f.events(client, w["creator_h"], batch))


def test_the_post_page_shows_the_checklist_with_its_numbers(client) -> None:  # type: ignore[no-untyped-def]
    w = _world(client)
    _organic_life(client, w)
    page_login(client, "creator@example.com")
    text = page_text(client.get(f"/posts/{w['post']['id']}", headers=HTML).text)
    assert "Pre-promotion review Not ready to promote" in text
    assert "✗ Organic age: Live for 0 h only; wait 48 h more to see 48 h of organic life." in text
    assert ("✗ Watched to 15 s: Only 50 % of 120 organic views reached 15 s; 60 % is asked "
            "for.") in text
    assert ("… Comment sentiment: 3 comments with a tone so far; the sentiment is judged from "
            "10 of them.") in text


def test_the_brands_preview_card_shows_the_checklist(client) -> None:  # type: ignore[no-untyped-def]
    w = _world(client)
    _organic_life(client, w)
    f.advance(client, w["brand_h"], "PT48H")
    token = page_login(client, "brand@example.com")
    r = client.post(f"/ad-accounts/{w['account']['id']}/spark-posts/preview",
                    data={"codes": w["code"]["code"], "csrf_token": token}, headers=HTML)
    assert r.status_code == 200, r.text
    text = page_text(r.text)
    assert "1 ready to link" in text  # advice, not a gate
    assert "Pre-promotion review Not ready to promote" in text
    assert "✓ Organic age: Live for 48 h, at least the 48 h asked for." in text
    assert "Only 50 % of 120 organic views reached 15 s" in text
