"""Pages: publishing a duet or stitch from the creator's "Publish a post" form (R3).

Before issue 13, item 1, the form offered Duet and Stitch with no field for the original post,
so neither could be published from the page. It now takes the original post's link or ID (the
JSON API's original_post_id), and the post page shows the ID to give.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests import factories as f
from tests.integration.test_pages_access import HTML, page_login, page_text


def _world(client: TestClient) -> dict:  # type: ignore[type-arg]
    maya_h = f.user(client, email="maya@example.com")
    maya = f.creator(client, maya_h, handle="maya.makes")
    routine = f.post(client, maya_h, maya["id"], caption="Morning routine")
    leo_h = f.user(client, email="leo@example.com")
    leo = f.creator(client, leo_h, handle="leo_lifts")
    return {"maya_h": maya_h, "routine": routine, "leo_h": leo_h, "leo": leo}


def _publish(client: TestClient, w: dict, token: str, **fields: str):  # type: ignore[no-untyped-def,type-arg]
    data = {"caption": "Reacting to Maya", "kind": "duet", "sound": "original",
            "visibility": "public", "cover_url": "", "csrf_token": token, **fields}
    return client.post(f"/creators/{w['leo']['id']}/posts", data=data, headers=HTML,
                       follow_redirects=False)


def _field_error(html: str, field: str) -> str:
    match = re.search(rf'id="{re.escape(field)}-error"[^>]*>([^<]+)<', html)
    assert match, f"no error next to {field}"
    return match.group(1).replace("&#39;", "'")


@pytest.mark.parametrize("how", ["link", "video id", "api id"])
@pytest.mark.parametrize("kind", ["duet", "stitch"])
def test_a_duet_or_stitch_is_published_naming_its_original(client, how, kind) -> None:  # type: ignore[no-untyped-def]
    w = _world(client)
    routine = w["routine"]
    # What the original's creator sees on the post's page: the post ID to give.
    page_login(client, "maya@example.com")
    shown = page_text(client.get(f"/posts/{routine['id']}", headers=HTML).text)
    assert (f"Post ID {routine['tiktok_id']} — creators who duet or stitch this post give this "
            "ID.") in shown
    client.cookies.clear()
    token = page_login(client, "leo@example.com")
    typed = {"link": f"https://www.tiktok.com/@maya.makes/video/{routine['tiktok_id']}?lang=en",
             "video id": f" {routine['tiktok_id']} ", "api id": routine["id"]}[how]
    r = _publish(client, w, token, kind=kind, original_post=typed)
    assert r.status_code == 303, r.text
    post_id = r.headers["location"].rsplit("/", 1)[1]
    made = f._ok(client.get(f"/v1/posts/{post_id}", headers=w["leo_h"]))
    assert made["kind"] == kind and made["original_post_id"] == routine["id"]
    page = page_text(client.get(f"/posts/{post_id}", headers=HTML).text).replace(" 's", "'s")
    assert f"{kind.capitalize()} of @maya.makes's “Morning routine”" in page


@pytest.mark.parametrize(("fields", "message"), [
    ({"kind": "duet", "original_post": ""},
     "A duet names the post it was made from: paste its link or post ID under “Original post”."),
    ({"kind": "stitch", "original_post": "   "},
     "A stitch names the post it was made from: paste its link or post ID under “Original "
     "post”."),
    ({"kind": "video", "original_post": "ROUTINE"},
     "Only a duet or a stitch has an original post: choose Duet or Stitch, or clear it."),
    ({"kind": "duet", "original_post": "1234567890123456789"},
     "No post has that link or ID: copy it again from the original post."),
    ({"kind": "duet", "original_post": "99999999999999999999"},
     "Paste the original post's link (…/@handle/video/7301…) or its post ID."),
    ({"kind": "duet", "original_post": "https://example.com/not-a-video"},
     "Paste the original post's link (…/@handle/video/7301…) or its post ID."),
])
def test_a_missing_or_wrong_original_is_named_next_to_its_field(client, fields, message) -> None:  # type: ignore[no-untyped-def]
    w = _world(client)
    if fields["original_post"] == "ROUTINE":
        fields = {**fields, "original_post": w["routine"]["id"]}
    token = page_login(client, "leo@example.com")
    r = _publish(client, w, token, **fields)
    assert r.status_code == 422
    assert _field_error(r.text, "original_post") == message
    assert ('aria-describedby="original_post-help original_post-limit original_post-error"'
            in r.text)
    # What was typed is kept.
    assert ">Reacting to Maya</textarea>" in r.text
    if fields["original_post"].strip():
        assert f'value="{fields["original_post"]}"' in r.text
    assert f._ok(client.get(f"/v1/creators/{w['leo']['id']}/posts", headers=w["leo_h"])) == []
