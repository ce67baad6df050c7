"""Names and URLs are one line: a CR/LF, tab or other control character in any free-text name
field is refused at the edge with 422 invalid_characters naming the field, on /v1, on the pages
(next to the field) and on TikTok's surface (40002). Nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from sparkcodes.kit.text import has_control, refuse_control
from sparkcodes.models import Business
from tests import factories as f
from tests.integration.test_pages_access import HTML, page_login
from tests.webhook.test_pages import _field_error

MESSAGE = ("may not contain control characters (line breaks, tabs and the like); give it on "
           "one line.")
BAD = ["Glow\r\nBcc: victim@example.com", "Glow\nLabs", "Glow\tLabs", "Glow\x1b[31m",
       "Glow\x7f", "Glow\x85Labs", "Glow\u2028Labs"]


@pytest.mark.parametrize("value", BAD)
def test_control_characters_are_found(value: str) -> None:
    assert has_control(value)


@pytest.mark.parametrize("value", ["Glow Labs", "Glöw — Läbs ✨", "株式会社グロウ",
                                   "O'Brien & Co."])
def test_ordinary_names_pass(value: str) -> None:
    assert not has_control(value)
    assert refuse_control(value, name="business name") == value


def _assert_refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_characters", error
    assert error["message"] == f"{field}: {MESSAGE}", error


@pytest.mark.parametrize("value", BAD)
def test_business_name_with_control_characters_is_refused(client: TestClient,
                                                          value: str) -> None:
    h = f.user(client)
    _assert_refused(client.post("/v1/businesses", headers=h, json={"name": value}), "name")
    with client.app.state.db.unit_of_work(write=False) as session:  # type: ignore[attr-defined]
        assert session.scalar(select(func.count()).select_from(Business)) == 0


def test_every_name_and_url_field_refuses_line_breaks(client: TestClient) -> None:
    h = f.user(client)
    biz = f.business(client, h, "Glow Labs")
    account = f.ad_account(client, h, biz["id"])
    creator = f.creator(client, h)
    post = f.post(client, h, creator["id"])
    campaign = f.campaign(client, h, account["id"])
    group = f.ad_group(client, h, campaign["id"])
    crlf = "x\r\ny"
    calls: list[tuple[str, str, str, dict[str, Any]]] = [
        ("post", "/v1/users", "name",
         {"email": "new@example.com", "password": "correct horse", "name": crlf}),
        ("post", "/v1/tokens", "name",
         {"email": "new@example.com", "password": "correct horse", "name": crlf}),
        ("post", f"/v1/businesses/{biz['id']}/ad-accounts", "name", {"name": crlf}),
        ("post", "/v1/creators", "display_name",
         {"handle": "crlf_maker", "region": "US", "display_name": crlf}),
        ("post", "/v1/creators", "avatar_url",
         {"handle": "crlf_maker", "region": "US", "avatar_url": "https://a.example/\r\nx"}),
        ("post", f"/v1/creators/{creator['id']}/posts", "cover_url",
         {"cover_url": "https://a.example/\nx"}),
        ("post", f"/v1/ad-accounts/{account['id']}/campaigns", "name", {"name": crlf}),
        ("patch", f"/v1/campaigns/{campaign['id']}", "name", {"name": crlf}),
        ("post", f"/v1/campaigns/{campaign['id']}/ad-groups", "name",
         {"name": crlf, "budget": "50", "bid": "2"}),
        ("patch", f"/v1/ad-groups/{group['id']}", "name", {"name": crlf}),
        ("post", f"/v1/businesses/{biz['id']}/webhook-endpoints", "url",
         {"url": "https://hooks.example/in\r\nX-Injected: 1"}),
        ("post", "/v1/developer-apps", "name",
         {"name": crlf, "redirect_url": "https://app.example/cb"}),
        ("post", "/v1/developer-apps", "redirect_url",
         {"name": "App", "redirect_url": "https://app.example/cb\n"}),
    ]
    for method, path, field, body in calls:
        response = getattr(client, method)(path, headers=h, json=body)
        assert response.status_code == 422, (path, response.text)
        error = response.json()["error"]
        assert (error["code"], error["message"]) == ("invalid_characters",
                                                     f"{field}: {MESSAGE}"), (path, error)
    assert post["id"]


def test_the_business_form_shows_the_refusal_next_to_the_name(client: TestClient) -> None:
    f.user(client, email="brand@example.com")
    token = page_login(client, "brand@example.com")
    r = client.post("/businesses", headers=HTML,
                    data={"csrf_token": token, "name": "Glow\r\nLabs"}, follow_redirects=False)
    assert r.status_code == 422, r.text
    assert _field_error(r.text, "name") == f"The business name {MESSAGE}"


def test_the_ad_account_service_refuses_what_the_page_sends(client: TestClient) -> None:
    f.user(client, email="brand@example.com")
    h = f.user(client, email="brand2@example.com")
    biz = f.business(client, h, "Glow Labs")
    token = page_login(client, "brand2@example.com")
    r = client.post(f"/businesses/{biz['id']}/ad-accounts", headers=HTML,
                    data={"csrf_token": token, "name": "US\nProspecting", "region": "US",
                          "timezone": "UTC"}, follow_redirects=False)
    assert r.status_code == 422, r.text
    assert _field_error(r.text, "name") == f"The ad account name {MESSAGE}"
