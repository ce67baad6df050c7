"""The issue's scenario, end to end over real HTTP against a running server."""

from __future__ import annotations

import httpx

from tests import factories as f


def test_code_lifecycle_over_http(live_url):
    with httpx.Client(base_url=live_url, timeout=30) as http:
        creator_h = f.user(http)
        brand_h = f.user(http)

        # The creator turns on account ad settings, posts a video, generates a 30-day code.
        creator = f.creator(http, creator_h, handle="maya.makes", region="US", enabled=False)
        r = http.put(f"/v1/creators/{creator['id']}/ad-settings", headers=creator_h,
                     json={"enabled": True, "accept_terms": True})
        assert r.status_code == 200 and r.json()["ad_settings_enabled"] is True
        post = f.post(http, creator_h, creator["id"], caption="Morning routine")
        code = f.code(http, creator_h, post["id"])
        assert code["days"] == 30 and code["status"] == "NOT_USED"
        raw = code["code"]

        business = f.business(http, brand_h, "Glow Skincare")
        account = f.ad_account(http, brand_h, business["id"], "Glow US")
        other = f.ad_account(http, brand_h, business["id"], "Glow EU")

        # The brand previews: handle, caption, window; nothing changes.
        r = http.post(f"/v1/ad-accounts/{account['id']}/spark-posts/preview", headers=brand_h,
                      json={"code": raw.lower().replace("-", " ")})
        assert r.status_code == 200, r.text
        preview = r.json()
        assert preview["creator"]["handle"] == "maya.makes"
        assert preview["post"]["caption"] == "Morning routine"
        assert preview["window"]["expires_at"] == code["expires_at"]
        assert preview["eligible"] is True

        # Binds it; a second ad account binding the same code is told it is used elsewhere.
        r = f.bind(http, brand_h, account["id"], [raw])
        assert r.json()["results"][0]["ok"] is True
        r = f.bind(http, brand_h, other["id"], [raw])
        result = r.json()["results"][0]
        assert result["ok"] is False and result["error"]["code"] == "code_used_elsewhere"

        # 31 days later bind and preview say code_expired, and the Spark post stopped.
        f.advance(http, brand_h, "P31D")
        result = f.bind(http, brand_h, account["id"], [raw]).json()["results"][0]
        assert result["error"]["code"] == "code_expired"
        r = http.post(f"/v1/ad-accounts/{account['id']}/spark-posts/preview", headers=brand_h,
                      json={"code": raw})
        assert [p["code"] for p in r.json()["problems"]] == ["code_expired"]
        spark = http.get(f"/v1/ad-accounts/{account['id']}/spark-posts", headers=brand_h).json()
        assert spark[0]["status"] == "AUTHORIZATION_EXPIRED"

        # The creator extends by 7 days: the existing binding is valid again, same code.
        r = http.post(f"/v1/authorizations/{code['id']}/extend", headers=creator_h,
                      json={"days": 7})
        assert r.status_code == 200 and r.json()["status"] == "IN_USE"
        spark = http.get(f"/v1/ad-accounts/{account['id']}/spark-posts", headers=brand_h).json()
        assert spark[0]["status"] == "AUTHORIZED"
        assert f.bind(http, brand_h, account["id"], [raw]).json()["results"][0]["ok"] is True

        # Editing the caption is refused.
        r = http.patch(f"/v1/posts/{post['id']}", headers=creator_h, json={"caption": "new"})
        assert r.status_code == 409 and f.error_code(r) == "caption_locked"

        # A story cannot be authorized.
        story = f.post(http, creator_h, creator["id"], kind="story")
        r = http.post(f"/v1/posts/{story['id']}/authorizations", headers=creator_h, json={})
        assert r.status_code == 409 and f.error_code(r) == "story_not_supported"

        # A creator in an unsupported region cannot generate.
        polar = f.creator(http, creator_h, handle="polar.pete", region="AQ")
        polar_post = f.post(http, creator_h, polar["id"])
        r = http.post(f"/v1/posts/{polar_post['id']}/authorizations", headers=creator_h, json={})
        assert r.status_code == 409 and f.error_code(r) == "region_not_supported"

        # A code from an account whose ad settings were switched off cannot be bound.
        second = f.post(http, creator_h, creator["id"], caption="Evening routine")
        second_code = f.code(http, creator_h, second["id"])
        r = http.put(f"/v1/creators/{creator['id']}/ad-settings", headers=creator_h,
                     json={"enabled": False})
        assert r.status_code == 200
        result = f.bind(http, brand_h, other["id"], [second_code["code"]]).json()["results"][0]
        assert result["error"]["code"] == "ad_settings_off"

        # Deleting a code no live ad uses is allowed; the binding then reports it.
        r = http.delete(f"/v1/authorizations/{code['id']}", headers=creator_h)
        assert r.status_code == 200 and r.json()["status"] == "DELETED"
        spark = http.get(f"/v1/ad-accounts/{account['id']}/spark-posts", headers=brand_h).json()
        assert spark[0]["status"] == "AUTHORIZATION_DELETED"
