"""R30 on the pages: the checklist on the creator's post page and on each card of the brand's
code preview, with the numbers behind each line."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import event as sql_event

from tests import factories as f
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
    w = f.page_world(client)
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
    w = f.page_world(client)
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


def test_a_batch_preview_reviews_every_code_in_one_statement(client, app) -> None:  # type: ignore[no-untyped-def]
    """Three codes of three posts: one statement reads the engagement of all three (two per code
    before), and each card shows its own post's numbers."""
    w = f.page_world(client)
    _organic_life(client, w)
    codes = [w["code"]["code"]]
    for caption in ("Evening routine", "Night routine"):
        post = f.post(client, w["creator_h"], w["creator"]["id"], caption=caption)
        codes.append(f.code(client, w["creator_h"], post["id"])["code"])
    token = page_login(client, "brand@example.com")
    statements: list[str] = []

    def record(conn, cursor, statement, *_):  # type: ignore[no-untyped-def]
        if "engagement_" in statement:
            statements.append(statement)

    sql_event.listen(app.state.db.engine, "before_cursor_execute", record)
    try:
        r = client.post(f"/ad-accounts/{w['account']['id']}/spark-posts/preview",
                        data={"codes": "\n".join(codes), "csrf_token": token}, headers=HTML)
    finally:
        sql_event.remove(app.state.db.engine, "before_cursor_execute", record)
    assert r.status_code == 200, r.text
    assert len(statements) == 1, statements
    text = page_text(r.text)
    assert text.count("Pre-promotion review Not ready to promote") == 3
    assert text.count("Only 50 % of 120 organic views reached 15 s") == 1
    assert text.count("0 organic views so far") == 2
    assert text.count("3 comments with a tone so far") == 1
