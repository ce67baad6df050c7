"""The ad pages' refusals that only a form can make, in the words shown next to the field."""

from __future__ import annotations

import re

from tests import factories as f
from tests.integration.test_pages_access import HTML, page_login


def _field_error(html: str, field: str) -> str:
    match = re.search(rf'id="{re.escape(field)}-error"[^>]*>([^<]+)<', html)
    assert match, f"no error next to {field}"
    return match.group(1)


def test_a_schedule_that_is_not_a_date_and_time_is_refused_in_words(client):  # type: ignore[no-untyped-def]
    w = f.page_world(client)
    token = page_login(client, "brand@example.com")
    campaign = f.campaign(client, w["brand_h"], w["account"]["id"])
    r = client.post(f"/campaigns/{campaign['id']}/ad-groups", headers=HTML, data={
        "csrf_token": token, "name": "Launch week", "budget": "50", "bid": "1",
        "schedule_start": "next tuesday", "schedule_end": ""})
    assert r.status_code == 422
    assert _field_error(r.text, "schedule_start") == \
        "Enter a date and time such as 2026-05-01 09:00."
