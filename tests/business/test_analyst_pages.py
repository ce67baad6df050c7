"""Pages: a read-only analyst is not offered what the role cannot do (link, unbind, ask to
extend, create a campaign); each shows disabled, with the reason on hover, and is still refused
if sent anyway."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests import factories as f
from tests.integration.test_pages_access import HTML, page_login
from tests.integration.test_pages_access import page_text as _text


def _world(client: TestClient) -> dict:  # type: ignore[type-arg]
    """The pages' world with Maya's code bound to Glow US, and an analyst of the business."""
    w = f.page_world(client)
    sp = f.spark_post_id(client, w["brand_h"], w["account"]["id"], w["code"]["code"])
    f.user(client, email="analyst@example.com")
    client.put(f"/v1/businesses/{w['business']['id']}/members", headers=w["brand_h"],
               json={"email": "analyst@example.com", "role": "analyst"})
    return {"account": w["account"], "spark_post_id": sp, "code": w["code"]}


def _disabled(html: str, name: str, reason: str) -> bool:
    return re.search(rf'<button type="button"[^>]*disabled[^>]*title="{re.escape(reason)}"'
                     rf'[^>]*>{re.escape(name)}</button>', html) is not None


def test_the_analyst_sees_disabled_actions_with_the_reason(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    token = page_login(client, "analyst@example.com")
    account = w["account"]["id"]
    page = client.get(f"/ad-accounts/{account}", headers=HTML).text
    assert "Your role is analyst: you can see the Spark Ad posts; operators and admins link " \
           "codes." in _text(page)
    assert 'name="codes"' not in page  # no form to fill only to be refused
    assert _disabled(page, "Link codes", "Your role can read only; operators and admins link "
                                         "codes.")
    assert _disabled(page, "Unbind", "Your role can read only; operators and admins unbind "
                                     "posts.")
    assert _disabled(page, "Ask to extend", "Your role can read only; operators and admins ask "
                                            "creators to extend.")
    assert "/unbind" not in page and "/renewal-requests" not in page
    page = client.get(f"/ad-accounts/{account}/campaigns", headers=HTML).text
    assert _disabled(page, "Create campaign", "Your role can read only; operators and admins "
                                              "create campaigns.")
    assert f'action="/ad-accounts/{account}/campaigns"' not in page
    # Sent anyway, each is refused with the role's reason.
    for url, data in ((f"/ad-accounts/{account}/campaigns", {"name": "x"}),
                      (f"/ad-accounts/{account}/spark-posts/{w['spark_post_id']}/unbind", {}),
                      (f"/ad-accounts/{account}/renewal-requests",
                       {"authorization_id": w["code"]["id"], "days": "30"})):
        r = client.post(url, headers=HTML, data={"csrf_token": token, **data})
        assert r.status_code == 403, url
        assert "Your role in this business is analyst; this needs operator or higher." in \
            _text(r.text)


def test_an_operator_keeps_the_forms(client):  # type: ignore[no-untyped-def]
    w = _world(client)
    page_login(client, "brand@example.com")
    account = w["account"]["id"]
    page = client.get(f"/ad-accounts/{account}", headers=HTML).text
    assert 'name="codes"' in page and "/unbind" in page
    assert "<summary>Ask to extend</summary>" in page
    page = client.get(f"/ad-accounts/{account}/campaigns", headers=HTML).text
    assert f'action="/ad-accounts/{account}/campaigns"' in page
