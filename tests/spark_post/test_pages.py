"""Pages: linking duets and stitches (R3) from the ad account's "Apply for authorization" form.

Before issue 13, item 1, the preview called a duet "Ready to link", Link then refused it for the
missing original-post code, and the form had nowhere to put that code. The form now has the
JSON API's second list (original_post_codes), and the preview checks it as Link will.
"""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from sparkcodes.models import SparkPost
from tests import factories as f
from tests.integration._http import preview, substitute, unknown_code
from tests.integration.test_pages_access import HTML, page_login, page_text


def _text(markup: str) -> str:
    return page_text(markup).replace(" 's ", "'s ")

REQUIRED = ("This post is a {kind}: also paste a code of the post it was made from under "
            "“Codes of the original posts”.")


def _duet_world(client: TestClient, kind: str = "duet") -> dict:  # type: ignore[type-arg]
    """Maya's post with a code, Leo's duet (or stitch) of it with a code, and a brand."""
    w = f.page_world(client)
    leo_h = f.user(client, email="leo@example.com")
    leo = f.creator(client, leo_h, handle="leo_lifts")
    duet = f.post(client, leo_h, leo["id"], kind=kind, original_post_id=w["post"]["id"],
                  caption="Reacting to Maya")
    w.update(leo_h=leo_h, duet=duet, duet_code=f.code(client, leo_h, duet["id"]))
    return w


def _post(client: TestClient, w: dict, path: str, token: str, codes: list[str],  # type: ignore[type-arg]
          originals: list[str] | None = None, **headers: str):  # type: ignore[no-untyped-def]
    data = {"codes": "\n".join(codes), "csrf_token": token}
    if originals is not None:
        data["original_post_codes"] = "\n".join(originals)
    return client.post(f"/ad-accounts/{w['account']['id']}/spark-posts{path}", data=data,
                       headers={**HTML, **headers})


@pytest.mark.parametrize("kind", ["duet", "stitch"])
def test_preview_says_a_duet_needs_its_original_code_before_link(client, kind) -> None:  # type: ignore[no-untyped-def]
    w = _duet_world(client, kind)
    token = page_login(client, "brand@example.com")
    r = _post(client, w, "/preview", token, [w["duet_code"]["code"]])
    assert r.status_code == 200
    text = _text(r.text)
    assert "0 ready to link" in text and "Ready to link" not in text
    assert REQUIRED.format(kind=kind) in text
    assert f"{kind.capitalize()} of @maya.makes's “Morning routine”" in text
    assert "None of these codes can be linked as they are." in text
    # The box for the original's code is there, and open.
    assert re.search(r'<details class="originals" open>', r.text)
    assert 'name="original_post_codes"' in r.text


def test_preview_names_the_line_holding_the_originals_code(client) -> None:  # type: ignore[no-untyped-def]
    w = _duet_world(client)
    token = page_login(client, "brand@example.com")
    r = _post(client, w, "/preview", token, [w["code"]["code"], w["duet_code"]["code"]])
    text = _text(r.text)
    assert "1 ready to link" in text
    assert ("Line 1 is a code of that post: paste it under “Codes of the original posts” too (a "
            "code there is not linked as a post of its own).") in text


def test_a_duet_previews_ready_and_links_with_its_originals_code(client, app) -> None:  # type: ignore[no-untyped-def]
    w = _duet_world(client)
    token = page_login(client, "brand@example.com")
    codes, originals = [w["duet_code"]["code"]], [w["code"]["code"]]
    r = _post(client, w, "/preview", token, codes, originals, **{"hx-request": "true"})
    assert r.status_code == 200
    text = _text(r.text)
    assert "1 ready to link" in text and "Ready to link" in text
    assert f"original-post code {w['code']['code'][:10]}" in text
    # The Link button carries both lists.
    link_form = r.text[r.text.index('class="link-form"'):]
    assert re.search(r'name="original_post_codes" hidden[^>]*>' + re.escape(originals[0]),
                     link_form)
    r = _post(client, w, "", token, codes, originals, **{"hx-request": "true"})
    assert r.status_code == 200, r.text
    text = _text(r.text)
    assert "1 linked" in text and "Not linked" not in text
    # The box is emptied once everything linked.
    assert re.search(r'id="original_post_codes"[^>]*></textarea>', r.text)
    with app.state.db.unit_of_work() as s:
        sp = s.scalars(select(SparkPost).where(SparkPost.post_id == w["duet"]["id"])).one()
        assert sp.original_authorization_id == w["code"]["id"]
        assert sp.authorization_id == w["duet_code"]["id"]


def test_link_without_the_original_says_where_to_paste_it(client) -> None:  # type: ignore[no-untyped-def]
    w = _duet_world(client, "stitch")
    token = page_login(client, "brand@example.com")
    r = _post(client, w, "", token, [w["duet_code"]["code"]])
    assert r.status_code == 200
    text = _text(r.text)
    assert "0 linked" in text and "1 not linked" in text
    assert REQUIRED.format(kind="stitch") in text
    assert "(original_post_codes)" not in text  # the API's field name is not the page's


@pytest.mark.parametrize(("original", "words"), [
    ("mistyped", "The original post's code: the code looks mistyped"),
    ("other_post", "The original-post code given is for a different post than the one this duet "
                   "was made from."),
    ("unknown", "The original post's code: no Spark code matches"),
])
def test_a_wrong_original_code_is_named_in_the_preview(client, original, words) -> None:  # type: ignore[no-untyped-def]
    w = _duet_world(client)
    token = page_login(client, "brand@example.com")
    if original == "mistyped":
        text_code = substitute(w["code"]["code"])
    elif original == "other_post":
        other = f.post(client, w["creator_h"], w["creator"]["id"], caption="Another post")
        text_code = f.code(client, w["creator_h"], other["id"])["code"]
    else:
        text_code = unknown_code()
    r = _post(client, w, "/preview", token, [w["duet_code"]["code"]], [text_code])
    text = _text(r.text)
    assert "0 ready to link" in text
    assert words.lower() in text.lower(), text[text.find("Line 1"):][:600]
    # What was typed is kept in both boxes.
    assert text_code in r.text and w["duet_code"]["code"] in r.text


def test_too_many_original_codes_are_refused_next_to_their_box(client) -> None:  # type: ignore[no-untyped-def]
    w = _duet_world(client)
    token = page_login(client, "brand@example.com")
    r = _post(client, w, "/preview", token, [w["duet_code"]["code"]], [w["code"]["code"]] * 21)
    assert r.status_code == 422
    assert re.search(r'id="originals-error"[^>]*>At most 20 original-post codes at once; you '
                     r"pasted 21.<", r.text)


def test_json_preview_checks_the_original_code_as_bind_does(client) -> None:  # type: ignore[no-untyped-def]
    w = _duet_world(client)
    account, brand_h = w["account"]["id"], w["brand_h"]
    alone = preview(client, brand_h, account, w["duet_code"]["code"]).json()
    assert alone["eligible"] is False and alone["needs_original_post_code"] is True
    assert [p["code"] for p in alone["problems"]] == ["original_post_code_required"]
    both = f._ok(client.post(f"/v1/ad-accounts/{account}/spark-posts/preview", headers=brand_h,
                             json={"code": w["duet_code"]["code"],
                                   "original_post_codes": [w["code"]["code"]]}))
    assert both["eligible"] is True and both["problems"] == []
    r = f.bind(client, brand_h, account, [w["duet_code"]["code"]],
               original_post_codes=[w["code"]["code"]])
    assert r.json()["bound"] == 1


def test_preview_numbers_lines_as_the_box_shows_them_and_flags_a_repeat(client) -> None:  # type: ignore[no-untyped-def]
    """Issue 13: a repeated line counted as ready, and line numbers skipped blank lines."""
    w = f.page_world(client)
    token = page_login(client, "brand@example.com")
    code = w["code"]["code"]
    r = _post(client, w, "/preview", token, [code, "", "hello world", code.lower()])
    assert r.status_code == 200
    text = _text(r.text)
    assert "1 ready to link · 2 with problems (lines 3, 4)" in text
    assert ("Line 4 repeats line 1: a code is linked once, so this line adds nothing."
            in text)
    assert "That is not a Spark code" in text
    # Link numbers its results the same way.
    r = _post(client, w, "", token, ["", "", code])
    assert r.status_code == 200
    assert "<strong>Line 3</strong>" in r.text and "<strong>Line 1</strong>" not in r.text
