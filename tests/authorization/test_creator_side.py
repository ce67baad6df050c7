"""Creator-side lifecycle rules R1–R12, over HTTP, on every configured database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests import factories as f
from tests.integration._http import (
    assert_error,
    assert_item_error,
    bound_item,
     # noqa: F401  (autouse fixture)
    clock_now,
    delivery,
    extend,
    generate,
    get_code,
    live_ad,
    pause,
    preview,
    set_ad_settings,
    spark_posts,
    take_down,
    ts,
)

PERIODS = (7, 30, 60, 365)


# --- R1 account ad settings -----------------------------------------------------------------------

def test_r1_generate_refused_while_ad_settings_off(client):
    h = f.user(client)
    creator = f.creator(client, h, enabled=False)
    assert creator["ad_settings_enabled"] is False and creator["ad_settings_enabled_at"] is None
    post = f.post(client, h, creator["id"])
    r = generate(client, h, post["id"])
    assert_error(r, 409, "ad_settings_off", "ad settings are off")
    assert client.get(f"/v1/posts/{post['id']}/authorizations", headers=h).json() == []


def test_r1_enabling_needs_the_terms_and_records_when_they_were_accepted(client):
    h = f.user(client)
    creator = f.creator(client, h, enabled=False)
    r = set_ad_settings(client, h, creator["id"], enabled=True)
    assert_error(r, 409, "terms_not_accepted", "accept the advertising terms")
    got = client.get(f"/v1/creators/{creator['id']}", headers=h).json()
    assert got["ad_settings_enabled"] is False and got["ad_terms_accepted_at"] is None

    before = datetime.now(UTC)
    r = set_ad_settings(client, h, creator["id"], enabled=True, accept_terms=True)
    after = datetime.now(UTC)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ad_settings_enabled"] is True
    accepted = ts(body["ad_terms_accepted_at"])
    assert before - timedelta(seconds=1) <= accepted <= after + timedelta(seconds=1)
    assert ts(body["ad_settings_enabled_at"]) == accepted
    assert client.get(f"/v1/creators/{creator['id']}", headers=h).json()[
        "ad_terms_accepted_at"] == body["ad_terms_accepted_at"]


def test_r1_terms_are_accepted_once_switching_back_on_needs_no_new_acceptance(client):
    h = f.user(client)
    creator = f.creator(client, h)  # on, terms accepted
    accepted = creator["ad_terms_accepted_at"]
    off = set_ad_settings(client, h, creator["id"], enabled=False)
    assert off.status_code == 200 and off.json()["ad_settings_enabled"] is False
    assert off.json()["ad_terms_accepted_at"] == accepted
    on = set_ad_settings(client, h, creator["id"], enabled=True)
    assert on.status_code == 200, on.text
    assert on.json()["ad_settings_enabled"] is True
    assert on.json()["ad_terms_accepted_at"] == accepted


def test_r1_bind_and_preview_refused_after_the_creator_switches_settings_off(client):
    w = f.World(client)
    assert set_ad_settings(client, w.creator_h, w.creator["id"], enabled=False).status_code == 200
    r = f.bind(client, w.brand_h, w.account["id"], [w.code["code"]])
    assert_item_error(r, "ad_settings_off", "ad settings are off")
    assert spark_posts(client, w.brand_h, w.account["id"]) == []
    p = preview(client, w.brand_h, w.account["id"], w.code["code"])
    assert p.status_code == 200, p.text
    assert p.json()["eligible"] is False
    assert [x["code"] for x in p.json()["problems"]] == ["ad_settings_off"]
    assert get_code(client, w.creator_h, w.code["id"])["status"] == "NOT_USED"
    # Generating is refused too while the setting is off.
    assert_error(generate(client, w.creator_h, w.post["id"]), 409, "ad_settings_off",
                 "Creator tools")


def test_r1_switching_off_stops_an_already_bound_spark_post_and_on_resumes_it(client):
    w = f.World(client)
    bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))
    assert set_ad_settings(client, w.creator_h, w.creator["id"], enabled=False).status_code == 200
    [sp] = spark_posts(client, w.brand_h, w.account["id"])
    assert sp["status"] == "ACCOUNT_AD_SETTINGS_OFF"
    assert sp["stop_reasons"] == ["ACCOUNT_AD_SETTINGS_OFF"]
    assert "ad settings off" in sp["status_text"]
    assert set_ad_settings(client, w.creator_h, w.creator["id"], enabled=True).status_code == 200
    assert spark_posts(client, w.brand_h, w.account["id"])[0]["status"] == "AUTHORIZED"


# --- R2 region and handle -------------------------------------------------------------------------

def test_r2_creator_in_unsupported_region_cannot_generate(client):
    h = f.user(client)
    creator = f.creator(client, h, region="AQ")
    assert creator["region"] == "AQ" and creator["region_supported"] is False
    post = f.post(client, h, creator["id"])
    r = generate(client, h, post["id"])
    assert_error(r, 409, "region_not_supported", "not offered to creator accounts in AQ")


def test_r2_supported_region_is_normalized_and_flagged(client):
    h = f.user(client)
    us = f.creator(client, h, region="us")
    assert us["region"] == "US" and us["region_supported"] is True
    f.code(client, h, f.post(client, h, us["id"])["id"])


@pytest.mark.parametrize("region", ["USA", "U", "1A", ""])
def test_r2_region_is_a_two_letter_country_code(client, region):
    h = f.user(client)
    r = client.post("/v1/creators", headers=h,
                    json={"handle": "someone", "display_name": "S", "region": region})
    assert_error(r, 422, "invalid_region", "two-letter country code")


@pytest.mark.parametrize("handle, stored", [
    ("ab", "ab"),
    ("maya.makes", "maya.makes"),
    ("Under_Score_9", "Under_Score_9"),
    ("@maya_makes", "maya_makes"),  # a leading @ is forgiven
    ("x" * 24, "x" * 24),
])
def test_r2_valid_handles(client, handle, stored):
    h = f.user(client)
    r = client.post("/v1/creators", headers=h,
                    json={"handle": handle, "display_name": "", "region": "US"})
    assert r.status_code == 201, r.text
    assert r.json()["handle"] == stored
    assert r.json()["display_name"] == stored  # an empty display name falls back to the handle


@pytest.mark.parametrize("handle", ["a", "x" * 25, "has space", "dash-name", "émile", "semi;colon",
                                    "", "@"])
def test_r2_invalid_handles(client, handle):
    h = f.user(client)
    r = client.post("/v1/creators", headers=h,
                    json={"handle": handle, "display_name": "X", "region": "US"})
    assert_error(r, 422, "invalid_handle", "2 to 24 characters")


def test_r2_handles_are_unique_ignoring_case(client):
    h = f.user(client)
    f.creator(client, h, handle="maya.makes")
    other = f.user(client)
    r = client.post("/v1/creators", headers=other,
                    json={"handle": "Maya.Makes", "display_name": "X", "region": "US"})
    assert_error(r, 409, "handle_taken", "@Maya.Makes is taken")


# --- R3 post eligibility --------------------------------------------------------------------------

def test_r3_stories_cannot_be_authorized(client):
    h = f.user(client)
    creator = f.creator(client, h)
    story = f.post(client, h, creator["id"], kind="story")
    assert_error(generate(client, h, story["id"]), 409, "story_not_supported",
                 "Stories cannot be run as Spark Ads")


@pytest.mark.parametrize("kind", ["duet", "stitch"])
def test_r3_duet_or_stitch_names_its_original_post(client, kind):
    h = f.user(client)
    creator = f.creator(client, h)
    r = client.post(f"/v1/creators/{creator['id']}/posts", headers=h,
                    json={"caption": "x", "kind": kind})
    assert_error(r, 422, "original_post_required", "original_post_id")
    r = client.post(f"/v1/creators/{creator['id']}/posts", headers=h,
                    json={"caption": "x", "kind": kind, "original_post_id": "0" * 32})
    assert_error(r, 404, "original_post_not_found", "original post does not exist")
    original = f.post(client, h, creator["id"])
    r = client.post(f"/v1/creators/{creator['id']}/posts", headers=h,
                    json={"caption": "x", "kind": "video", "original_post_id": original["id"]})
    assert_error(r, 422, "original_post_not_allowed", "Only duets and stitches")


def _duet_world(client, kind: str = "duet"):  # type: ignore[no-untyped-def]
    """An original video by one creator, a duet (or stitch) of it by another, codes for both."""
    w = f.World(client)
    duet_h = f.user(client)
    duet_creator = f.creator(client, duet_h)
    duet = f.post(client, duet_h, duet_creator["id"], kind=kind,
                  original_post_id=w.post["id"], caption="My duet")
    duet_code = f.code(client, duet_h, duet["id"])
    return w, duet_h, duet, duet_code


@pytest.mark.parametrize("kind", ["duet", "stitch"])
def test_r3_duet_needs_a_code_of_the_original_post(client, kind):
    w, _, duet, duet_code = _duet_world(client, kind)
    r = f.bind(client, w.brand_h, w.account["id"], [duet_code["code"]])
    assert_item_error(r, "original_post_code_required", "original_post_codes")
    assert f"this post is a {kind}" in r.json()["results"][0]["error"]["message"].lower()
    p = preview(client, w.brand_h, w.account["id"], duet_code["code"]).json()
    assert p["needs_original_post_code"] is True and p["post"]["original_post_id"] == w.post["id"]


@pytest.mark.parametrize("kind", ["duet", "stitch"])
def test_r3_duet_binds_with_a_valid_original_code(client, kind):
    w, duet_h, duet, duet_code = _duet_world(client, kind)
    r = f.bind(client, w.brand_h, w.account["id"], [duet_code["code"]],
               original_post_codes=[w.code["code"]])
    item = bound_item(r)
    sp = item["spark_post"]
    assert sp["post"]["id"] == duet["id"] and sp["post"]["kind"] == kind
    assert sp["authorization_id"] == duet_code["id"] and sp["status"] == "AUTHORIZED"
    # The original's code is claimed by the same ad account alongside the duet's.
    original = get_code(client, w.creator_h, w.code["id"])
    assert original["status"] == "IN_USE"
    assert original["used_by"]["ad_account_id"] == w.account["id"]
    assert get_code(client, duet_h, duet_code["id"])["status"] == "IN_USE"
    # Another ad account cannot use the original's code for its own duet binding.
    other_duet_code = f.code(client, duet_h, duet["id"])
    r = f.bind(client, w.brand_h, w.account2["id"], [other_duet_code["code"]],
               original_post_codes=[w.code["code"]])
    assert_item_error(r, "original_post_code_used_elsewhere", "already used by another ad account")


def test_r3_duet_runs_only_while_the_original_code_is_valid(client):
    w, _, duet, duet_code = _duet_world(client)
    short = f.code(client, w.creator_h, w.post["id"], days=7)
    bound_item(f.bind(client, w.brand_h, w.account["id"], [duet_code["code"]],
                      original_post_codes=[short["code"]]))
    [sp] = spark_posts(client, w.brand_h, w.account["id"])
    assert sp["window"]["expires_at"] == short["expires_at"]  # the earlier of the two ends
    f.advance(client, w.brand_h, "P8D")
    [sp] = spark_posts(client, w.brand_h, w.account["id"])
    assert sp["status"] == "AUTHORIZATION_EXPIRED"
    assert get_code(client, w.creator_h, short["id"])["status"] == "EXPIRED"


def test_r3_duet_with_expired_original_code_is_refused(client):
    w, duet_h, duet, duet_code = _duet_world(client)
    short = f.code(client, w.creator_h, w.post["id"], days=7)
    f.advance(client, w.brand_h, "P8D")
    r = f.bind(client, w.brand_h, w.account["id"], [duet_code["code"]],
               original_post_codes=[short["code"]])
    assert_item_error(r, "original_post_code_invalid", "expired or was deleted")


def test_r3_duet_with_an_original_code_of_another_post_is_a_mismatch(client):
    w, _, duet, duet_code = _duet_world(client)
    unrelated = f.post(client, w.creator_h, w.creator["id"], caption="unrelated")
    unrelated_code = f.code(client, w.creator_h, unrelated["id"])
    r = f.bind(client, w.brand_h, w.account["id"], [duet_code["code"]],
               original_post_codes=[unrelated_code["code"]])
    assert_item_error(r, "original_post_code_mismatch", "different post")


@pytest.mark.parametrize("outer", ["duet", "stitch"])
def test_r3_duet_of_a_duet_is_refused(client, outer):
    w, duet_h, duet, _ = _duet_world(client)
    nested = f.post(client, duet_h, f.creator(client, duet_h)["id"], kind=outer,
                    original_post_id=duet["id"])
    r = generate(client, duet_h, nested["id"])
    assert_error(r, 409, "nested_duet_not_supported", "multi-level")


def test_r3_licensed_sound_warns_on_generate_preview_and_bind(client):
    w = f.World(client)
    post = f.post(client, w.creator_h, w.creator["id"], sound="licensed")
    r = generate(client, w.creator_h, post["id"])
    assert r.status_code == 201, r.text
    [warning] = r.json()["warnings"]
    assert warning["code"] == "sound_will_be_muted" and "muted" in warning["message"]
    raw = r.json()["code"]
    p = preview(client, w.brand_h, w.account["id"], raw).json()
    assert p["eligible"] is True and p["problems"] == []
    assert [x["code"] for x in p["warnings"]] == ["sound_will_be_muted"]
    item = bound_item(f.bind(client, w.brand_h, w.account["id"], [raw]))
    assert [x["code"] for x in item["warnings"]] == ["sound_will_be_muted"]


@pytest.mark.parametrize("sound", ["original", "commercial_library"])
def test_r3_original_and_library_sounds_do_not_warn(client, sound):
    w = f.World(client)
    post = f.post(client, w.creator_h, w.creator["id"], sound=sound)
    new = f.code(client, w.creator_h, post["id"])
    assert new["warnings"] == []
    assert preview(client, w.brand_h, w.account["id"], new["code"]).json()["warnings"] == []


def test_r3_deleted_or_taken_down_post_cannot_get_a_code(client):
    h = f.user(client)
    creator = f.creator(client, h)
    deleted = f.post(client, h, creator["id"])
    assert client.delete(f"/v1/posts/{deleted['id']}", headers=h).status_code == 200
    assert_error(generate(client, h, deleted["id"]), 410, "post_unavailable",
                 "deleted by the creator")
    gone = f.post(client, h, creator["id"])
    take_down(client, h, gone["id"])
    assert_error(generate(client, h, gone["id"]), 410, "post_unavailable", "taken down")


def test_r3_original_code_from_an_account_with_ad_settings_off_is_refused(client):
    w, _, _, duet_code = _duet_world(client)
    assert set_ad_settings(client, w.creator_h, w.creator["id"], enabled=False).status_code == 200
    r = f.bind(client, w.brand_h, w.account["id"], [duet_code["code"]],
               original_post_codes=[w.code["code"]])
    item = r.json()["results"][0]
    assert item["ok"] is False, item
    assert item["error"]["code"] in ("ad_settings_off", "original_post_code_invalid"), item
    assert "ad settings" in item["error"]["message"], item
    assert get_code(client, w.creator_h, w.code["id"])["status"] == "NOT_USED"


def test_r3_original_code_of_a_taken_down_post_is_refused(client):
    w, _, _, duet_code = _duet_world(client)
    take_down(client, w.creator_h, w.post["id"])
    r = f.bind(client, w.brand_h, w.account["id"], [duet_code["code"]],
               original_post_codes=[w.code["code"]])
    item = r.json()["results"][0]
    assert item["ok"] is False, item
    assert item["error"]["code"] in ("post_unavailable", "original_post_code_invalid"), item
    assert get_code(client, w.creator_h, w.code["id"])["status"] == "NOT_USED"


# --- R4 visibility --------------------------------------------------------------------------------

@pytest.mark.parametrize("visibility", ["private", "friends"])
def test_r4_a_non_public_post_can_be_authorized_and_bound(client, visibility):
    w = f.World(client)
    post = f.post(client, w.creator_h, w.creator["id"], visibility=visibility)
    new = f.code(client, w.creator_h, post["id"])
    assert new["status"] == "NOT_USED"
    p = preview(client, w.brand_h, w.account["id"], new["code"]).json()
    assert p["eligible"] is True and p["post"]["visibility"] == visibility
    item = bound_item(f.bind(client, w.brand_h, w.account["id"], [new["code"]]))
    assert item["spark_post"]["status"] == "AUTHORIZED"


def test_r4_visibility_can_change_while_no_live_ad_runs(client):
    w = f.World(client)
    bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))
    r = client.patch(f"/v1/posts/{w.post['id']}", headers=w.creator_h,
                     json={"visibility": "private"})
    assert r.status_code == 200, r.text
    assert r.json()["visibility"] == "private" and r.json()["revision"] == 1


# --- R5 periods -----------------------------------------------------------------------------------

def test_r5_default_period_is_30_days_starting_at_generation(client):
    h = f.user(client)
    post = f.post(client, h, f.creator(client, h)["id"])
    before = datetime.now(UTC)
    new = f.code(client, h, post["id"])
    after = datetime.now(UTC)
    assert new["days"] == 30 and new["status"] == "NOT_USED" and new["days_left"] == 30
    starts, expires = ts(new["starts_at"]), ts(new["expires_at"])
    assert before - timedelta(seconds=1) <= starts <= after + timedelta(seconds=1)
    assert expires - starts == timedelta(days=30)
    explicit_null = generate(client, h, post["id"], days=None)
    assert explicit_null.status_code == 201 and explicit_null.json()["days"] == 30


@pytest.mark.parametrize("days", PERIODS)
def test_r5_offered_periods_are_accepted(client, days):
    h = f.user(client)
    post = f.post(client, h, f.creator(client, h)["id"])
    new = f.code(client, h, post["id"], days=days)
    assert new["days"] == days and new["days_left"] == days
    assert ts(new["expires_at"]) - ts(new["starts_at"]) == timedelta(days=days)


@pytest.mark.parametrize("days", [0, 1, 14, 31, 90, 364, 366, -30])
def test_r5_other_periods_are_refused(client, days):
    h = f.user(client)
    post = f.post(client, h, f.creator(client, h)["id"])
    r = generate(client, h, post["id"], days=days)
    error = assert_error(r, 422, "invalid_period", f"{days} is not one of them")
    assert "7, 30, 60, 365" in error["message"]
    assert client.get(f"/v1/posts/{post['id']}/authorizations", headers=h).json() == []


def test_r5_a_non_number_period_is_a_validation_error(client):
    h = f.user(client)
    post = f.post(client, h, f.creator(client, h)["id"])
    assert_error(generate(client, h, post["id"], days="a month"), 422, "validation_error", "days")


# --- R6 several codes per post, one ad account per code -------------------------------------------

def test_r6_one_post_several_codes_each_binds_exactly_one_ad_account(client):
    w = f.World(client)
    second = f.code(client, w.creator_h, w.post["id"], days=60)
    assert second["id"] != w.code["id"] and second["code"] != w.code["code"]
    first_bind = bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))
    second_bind = bound_item(f.bind(client, w.brand_h, w.account2["id"], [second["code"]]))
    assert first_bind["spark_post"]["post"]["id"] == second_bind["spark_post"]["post"]["id"]
    assert first_bind["spark_post"]["id"] != second_bind["spark_post"]["id"]
    # Each code stays with its own ad account.
    r = f.bind(client, w.brand_h, w.account2["id"], [w.code["code"]])
    assert_item_error(r, "code_used_elsewhere", "already used by another ad account")
    r = f.bind(client, w.brand_h, w.account["id"], [second["code"]])
    # (the same post again for account 1, but this code belongs to account 2)
    assert_item_error(r, "code_used_elsewhere", "authorizes one ad account")
    listing = client.get(f"/v1/posts/{w.post['id']}/authorizations", headers=w.creator_h).json()
    users = {c["id"]: c["used_by"]["ad_account_id"] for c in listing}
    assert users == {w.code["id"]: w.account["id"], second["id"]: w.account2["id"]}


# --- R7 format and storage ------------------------------------------------------------------------

def test_r7_code_format_and_it_is_shown_only_once(client):
    w = f.World(client)
    raw = w.code["code"]
    groups = raw.split("-")
    assert groups[0] == "SPARK" and len(groups) == 8 and all(len(g) == 4 for g in groups[1:])
    assert w.code["code_hint"] == f"SPARK-{groups[1]}-…"
    body = "".join(groups[1:])
    got = client.get(f"/v1/authorizations/{w.code['id']}", headers=w.creator_h)
    assert "code" not in got.json() and got.json()["code_hint"] == w.code["code_hint"]
    listing = client.get(f"/v1/posts/{w.post['id']}/authorizations", headers=w.creator_h)
    assert all("code" not in c for c in listing.json())
    for text in (got.text, listing.text):
        assert body not in text and raw not in text


def test_r7_input_is_forgiving_case_spaces_prefix_and_look_alikes(client):
    w = f.World(client)
    code = w.code
    for _ in range(40):  # look-alikes need a 0 or 1 in the code; regenerate until there is one
        if any(ch in "01" for ch in code["code"][6:]):
            break
        r = client.post(f"/v1/authorizations/{code['id']}/regenerate", headers=w.creator_h)
        assert r.status_code == 200, r.text
        code = r.json()
    raw = code["code"]
    without_prefix = raw.removeprefix("SPARK-")
    look_alike = "SPARK-" + without_prefix.replace("0", "o").replace("1", "l")
    for text in (raw.lower(), raw.replace("-", " "), "  " + raw + "  ", without_prefix,
                 "".join(raw.split("-")), look_alike):
        p = preview(client, w.brand_h, w.account["id"], text)
        assert p.status_code == 200, (text, p.text)
        assert p.json()["code_hint"] == code["code_hint"]
    bound_item(f.bind(client, w.brand_h, w.account["id"], [look_alike.lower()]))


def test_r7_regenerating_an_unused_code_kills_the_old_string(client):
    w = f.World(client)
    old = w.code["code"]
    r = client.post(f"/v1/authorizations/{w.code['id']}/regenerate", headers=w.creator_h)
    assert r.status_code == 200, r.text
    new = r.json()
    assert new["id"] == w.code["id"] and new["code"] != old and new["code"].startswith("SPARK-")
    assert new["status"] == "NOT_USED" and new["regenerated_at"] is not None
    assert new["expires_at"] == w.code["expires_at"]  # same window
    assert new["code_hint"] == f"SPARK-{new['code'][6:10]}-…"
    assert_error(preview(client, w.brand_h, w.account["id"], old), 404, "code_not_found",
                 "No Spark code matches")
    assert_item_error(f.bind(client, w.brand_h, w.account["id"], [old]), "code_not_found",
                      "No Spark code matches")
    bound_item(f.bind(client, w.brand_h, w.account["id"], [new["code"]]))
    assert "code" not in get_code(client, w.creator_h, w.code["id"])


def test_r7_regenerating_an_in_use_code_is_refused(client):
    w = f.World(client)
    bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))
    r = client.post(f"/v1/authorizations/{w.code['id']}/regenerate", headers=w.creator_h)
    assert_error(r, 409, "code_in_use", "already bound to an ad account")
    # The bound code still works for its ad account.
    assert preview(client, w.brand_h, w.account["id"], w.code["code"]).json()[
        "already_bound_here"] is True


def test_r7_regenerating_an_expired_or_deleted_code_is_refused(client):
    w = f.World(client)
    deleted = f.code(client, w.creator_h, w.post["id"])
    assert client.delete(f"/v1/authorizations/{deleted['id']}",
                         headers=w.creator_h).status_code == 200
    r = client.post(f"/v1/authorizations/{deleted['id']}/regenerate", headers=w.creator_h)
    assert_error(r, 410, "code_deleted", "deleted")
    f.advance(client, w.creator_h, "P31D")
    r = client.post(f"/v1/authorizations/{w.code['id']}/regenerate", headers=w.creator_h)
    assert_error(r, 410, "code_expired", "extend it or generate a new one")


def test_r7_the_raw_code_never_appears_in_history_or_audit(client):
    w = f.World(client)
    raws = [w.code["code"]]
    bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))
    second = f.code(client, w.creator_h, w.post["id"])
    raws.append(second["code"])
    regen = client.post(f"/v1/authorizations/{second['id']}/regenerate", headers=w.creator_h)
    raws.append(regen.json()["code"])
    assert extend(client, w.creator_h, w.code["id"], 7).status_code == 200
    bound_item(f.bind(client, w.brand_h, w.account["id"], [regen.json()["code"]]))  # replaces
    assert client.delete(f"/v1/authorizations/{w.code['id']}",
                         headers=w.creator_h).status_code == 200
    [sp] = spark_posts(client, w.brand_h, w.account["id"])
    urls = [
        (w.creator_h, f"/v1/authorizations/{w.code['id']}/history"),
        (w.creator_h, f"/v1/authorizations/{second['id']}/history"),
        (w.creator_h, f"/v1/posts/{w.post['id']}/history"),
        (w.creator_h, f"/v1/creators/{w.creator['id']}/history"),
        (w.creator_h, f"/v1/posts/{w.post['id']}/authorizations"),
        (w.brand_h, f"/v1/businesses/{w.business['id']}/history"),
        (w.brand_h, f"/v1/ad-accounts/{w.account['id']}/spark-posts/{sp['id']}/history"),
        (w.brand_h, f"/v1/ad-accounts/{w.account['id']}/spark-posts?include_unbound=true"),
    ]
    seen_actions = set()
    for headers, url in urls:
        r = client.get(url, headers=headers)
        assert r.status_code == 200, (url, r.text)
        for raw in raws:
            body = raw.removeprefix("SPARK-").replace("-", "")
            assert raw not in r.text and body not in r.text, url
            assert body.lower() not in r.text.lower(), url
        if url.endswith("history"):
            seen_actions |= {e["action"] for e in r.json()}
    assert {"authorization.created", "authorization.bound", "authorization.regenerated",
            "authorization.extended", "authorization.deleted", "spark_post.bound",
            "spark_post.code_replaced"} <= seen_actions


# --- R8 extend ------------------------------------------------------------------------------------

def test_r8_extend_before_expiry_adds_to_the_current_end(client):
    w = f.World(client)
    r = extend(client, w.creator_h, w.code["id"], 7)
    assert r.status_code == 200, r.text
    assert ts(r.json()["expires_at"]) == ts(w.code["expires_at"]) + timedelta(days=7)
    assert r.json()["status"] == "NOT_USED" and r.json()["days_left"] == 37
    assert r.json()["starts_at"] == w.code["starts_at"]
    r = extend(client, w.creator_h, w.code["id"], 30)
    assert ts(r.json()["expires_at"]) == ts(w.code["expires_at"]) + timedelta(days=37)
    # The same string still works.
    assert preview(client, w.brand_h, w.account["id"], w.code["code"]).json()["window"][
        "expires_at"] == r.json()["expires_at"]


def test_r8_extend_after_expiry_revives_the_same_code_and_its_spark_post(client):
    w = f.World(client)
    bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))
    f.advance(client, w.brand_h, "P31D")
    assert get_code(client, w.creator_h, w.code["id"])["status"] == "EXPIRED"
    [sp] = spark_posts(client, w.brand_h, w.account["id"])
    assert sp["status"] == "AUTHORIZATION_EXPIRED" and sp["window"]["days_left"] == 0
    assert_item_error(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]),
                      "code_expired", "ask the creator to extend it")

    r = extend(client, w.creator_h, w.code["id"], 30)
    assert r.status_code == 200, r.text
    now = clock_now(client, w.creator_h)
    new_end = ts(r.json()["expires_at"])
    # Extended from now (the old end has passed), not from the old end.
    assert now + timedelta(days=30) - timedelta(seconds=30) <= new_end <= now + timedelta(days=30)
    assert r.json()["status"] == "IN_USE"
    assert r.json()["used_by"]["ad_account_id"] == w.account["id"]

    [sp2] = spark_posts(client, w.brand_h, w.account["id"])
    assert sp2["id"] == sp["id"] and sp2["status"] == "AUTHORIZED"
    assert sp2["window"]["expires_at"] == r.json()["expires_at"]
    p = preview(client, w.brand_h, w.account["id"], w.code["code"]).json()
    assert p["eligible"] is True and p["already_bound_here"] is True
    again = bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))
    assert again["created"] is False and again["spark_post"]["id"] == sp["id"]
    history = client.get(f"/v1/authorizations/{w.code['id']}/history",
                         headers=w.creator_h).json()
    extended = [e for e in history if e["action"] == "authorization.extended"]
    assert len(extended) == 1 and extended[0]["details"]["was_expired"] is True


def test_r8_an_expired_code_can_be_extended_by_a_full_year(client):
    w = f.World(client)
    f.advance(client, w.creator_h, "P40D")
    r = extend(client, w.creator_h, w.code["id"], 365)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "NOT_USED" and r.json()["days_left"] == 365
    now = clock_now(client, w.creator_h)
    assert ts(r.json()["expires_at"]) <= now + timedelta(days=365)


def test_r8_a_window_never_ends_more_than_365_days_ahead(client):
    w = f.World(client)
    year = f.code(client, w.creator_h, w.post["id"], days=365)
    r = extend(client, w.creator_h, year["id"], 7)
    assert_error(r, 409, "window_too_long", "at most 365 days from now")
    assert "cannot be extended further now" in r.json()["error"]["message"]
    assert get_code(client, w.creator_h, year["id"])["expires_at"] == year["expires_at"]

    r = extend(client, w.creator_h, w.code["id"], 365)  # 30 + 365 > 365
    assert_error(r, 409, "window_too_long", "at most 335 more days can be added now")

    f.advance(client, w.creator_h, "P8D")
    r = extend(client, w.creator_h, year["id"], 7)
    assert r.status_code == 200, r.text
    assert ts(r.json()["expires_at"]) == ts(year["expires_at"]) + timedelta(days=7)


def test_r8_extend_a_deleted_code_is_refused(client):
    w = f.World(client)
    assert client.delete(f"/v1/authorizations/{w.code['id']}",
                         headers=w.creator_h).status_code == 200
    r = extend(client, w.creator_h, w.code["id"], 7)
    assert_error(r, 410, "code_deleted", "generate a new one")


@pytest.mark.parametrize("days", [1, 14, 100])
def test_r8_extend_only_by_offered_periods(client, days):
    w = f.World(client)
    assert_error(extend(client, w.creator_h, w.code["id"], days), 422, "invalid_period",
                 f"{days} is not one of them")


def test_r8_only_the_owner_extends(client):
    w = f.World(client)
    r = extend(client, w.brand_h, w.code["id"], 7)
    assert_error(r, 404, "not_found", "No such authorization")
    assert get_code(client, w.creator_h, w.code["id"])["expires_at"] == w.code["expires_at"]


# --- R9 delete ------------------------------------------------------------------------------------

def test_r9_delete_an_unused_code_twice_is_harmless(client):
    w = f.World(client)
    r = client.delete(f"/v1/authorizations/{w.code['id']}", headers=w.creator_h)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "DELETED" and r.json()["deleted_at"] is not None
    assert r.json()["days_left"] == 0
    again = client.delete(f"/v1/authorizations/{w.code['id']}", headers=w.creator_h)
    assert again.status_code == 200 and again.json()["deleted_at"] == r.json()["deleted_at"]
    history = client.get(f"/v1/authorizations/{w.code['id']}/history",
                         headers=w.creator_h).json()
    assert [e["action"] for e in history].count("authorization.deleted") == 1
    r = f.bind(client, w.brand_h, w.account["id"], [w.code["code"]])
    assert_item_error(r, "code_deleted", "creator deleted this code")


def test_r9_delete_a_bound_code_with_no_live_ad_stops_its_spark_post(client):
    w = f.World(client)
    bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))
    r = client.delete(f"/v1/authorizations/{w.code['id']}", headers=w.creator_h)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "DELETED"
    [sp] = spark_posts(client, w.brand_h, w.account["id"])
    assert sp["status"] == "AUTHORIZATION_DELETED"
    assert "deleted the authorization code" in sp["status_text"]
    # The brand sees it in its own history.
    events = client.get(f"/v1/businesses/{w.business['id']}/history", headers=w.brand_h).json()
    assert any(e["action"] == "authorization.deleted" and e["target_id"] == w.code["id"]
               for e in events)
    assert_item_error(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]),
                      "code_deleted", "deleted")


def test_r9_only_the_owner_deletes(client):
    w = f.World(client)
    r = client.delete(f"/v1/authorizations/{w.code['id']}", headers=w.brand_h)
    assert_error(r, 404, "not_found", "No such authorization")
    assert get_code(client, w.creator_h, w.code["id"])["status"] == "NOT_USED"


# --- R10 caption locked, revisions ----------------------------------------------------------------

def test_r10_caption_is_editable_until_the_post_has_a_code(client):
    h = f.user(client)
    post = f.post(client, h, f.creator(client, h)["id"])
    r = client.patch(f"/v1/posts/{post['id']}", headers=h, json={"caption": "New caption"})
    assert r.status_code == 200, r.text
    assert r.json()["caption"] == "New caption" and r.json()["caption_locked"] is False
    assert r.json()["revision"] == 1
    code = f.code(client, h, post["id"])
    assert client.get(f"/v1/posts/{post['id']}", headers=h).json()["caption_locked"] is True
    r = client.patch(f"/v1/posts/{post['id']}", headers=h, json={"caption": "Sneaky change"})
    assert_error(r, 409, "caption_locked", "caption cannot be edited")
    assert client.get(f"/v1/posts/{post['id']}", headers=h).json()["caption"] == "New caption"
    # Sending the same caption is not a change.
    same = client.patch(f"/v1/posts/{post['id']}", headers=h, json={"caption": "New caption"})
    assert same.status_code == 200, same.text
    # An expired code still locks the caption (it can be extended) ...
    f.advance(client, h, "P31D")
    r = client.patch(f"/v1/posts/{post['id']}", headers=h, json={"caption": "After expiry"})
    assert_error(r, 409, "caption_locked", "delete its codes first")
    # ... a deleted one no longer does.
    assert client.delete(f"/v1/authorizations/{code['id']}", headers=h).status_code == 200
    r = client.patch(f"/v1/posts/{post['id']}", headers=h, json={"caption": "Free again"})
    assert r.status_code == 200 and r.json()["caption_locked"] is False


def test_r10_sound_or_cover_edit_creates_a_new_revision(client):
    w = f.World(client)
    r = client.patch(f"/v1/posts/{w.post['id']}", headers=w.creator_h,
                     json={"sound": "commercial_library"})
    assert r.status_code == 200, r.text
    assert r.json()["revision"] == 2 and r.json()["sound"] == "commercial_library"
    r = client.patch(f"/v1/posts/{w.post['id']}", headers=w.creator_h,
                     json={"cover_url": "https://cdn.example.com/cover2.jpg"})
    assert r.json()["revision"] == 3
    got = client.get(f"/v1/posts/{w.post['id']}", headers=w.creator_h).json()
    assert got["revision"] == 3 and got["cover_url"] == "https://cdn.example.com/cover2.jpg"
    assert got["caption_locked"] is True
    # A visibility change or a no-op is not a new revision.
    r = client.patch(f"/v1/posts/{w.post['id']}", headers=w.creator_h,
                     json={"visibility": "friends", "sound": "commercial_library"})
    assert r.json()["revision"] == 3 and r.json()["visibility"] == "friends"
    history = client.get(f"/v1/posts/{w.post['id']}/history", headers=w.creator_h).json()
    assert [e["action"] for e in history] == ["post.created", "post.revised", "post.revised",
                                              "post.edited"]
    assert history[1]["details"]["before"]["revision"] == 1
    assert history[1]["details"]["after"]["revision"] == 2
    # The brand previews the current revision.
    p = preview(client, w.brand_h, w.account["id"], w.code["code"]).json()
    assert p["post"]["revision"] == 3


# --- R11 delete and take-down ---------------------------------------------------------------------

def test_r11_deleted_post_stops_its_spark_post_and_cannot_be_bound(client):
    w = f.World(client)
    bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))
    other_code = f.code(client, w.creator_h, w.post["id"])
    r = client.delete(f"/v1/posts/{w.post['id']}", headers=w.creator_h)
    assert r.status_code == 200, r.text
    assert r.json()["deleted_at"] is not None
    again = client.delete(f"/v1/posts/{w.post['id']}", headers=w.creator_h)
    assert again.status_code == 200 and again.json()["deleted_at"] == r.json()["deleted_at"]
    history = client.get(f"/v1/posts/{w.post['id']}/history", headers=w.creator_h).json()
    assert [e["action"] for e in history].count("post.deleted") == 1

    [sp] = spark_posts(client, w.brand_h, w.account["id"])
    assert sp["status"] == "POST_UNAVAILABLE"
    assert "deleted or taken down" in sp["status_text"]
    assert_item_error(f.bind(client, w.brand_h, w.account2["id"], [other_code["code"]]),
                      "post_unavailable", "deleted by the creator")
    p = preview(client, w.brand_h, w.account2["id"], other_code["code"]).json()
    assert p["eligible"] is False
    assert [(x["code"], x["message"]) for x in p["problems"]] == [
        ("post_unavailable", "The post was deleted by the creator.")]
    r = client.patch(f"/v1/posts/{w.post['id']}", headers=w.creator_h, json={"sound": "licensed"})
    assert_error(r, 410, "post_unavailable", "deleted or taken down")


def test_r11_take_down_stops_spark_posts_and_binding(client):
    w = f.World(client)
    bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))
    other_code = f.code(client, w.creator_h, w.post["id"])
    # The owner rehearses a moderation take-down in the sandbox; nobody else may.
    r = client.post(f"/v1/sandbox/posts/{w.post['id']}/take-down", headers=w.brand_h,
                    json={"reason": "Copyright"})
    assert_error(r, 404, "not_found", "No such post")
    body = take_down(client, w.creator_h, w.post["id"], reason="Copyright")
    assert body["id"] == w.post["id"] and body["reason"] == "Copyright"
    got = client.get(f"/v1/posts/{w.post['id']}", headers=w.creator_h).json()
    assert got["taken_down_at"] is not None and got["take_down_reason"] == "Copyright"

    [sp] = spark_posts(client, w.brand_h, w.account["id"])
    assert sp["status"] == "POST_UNAVAILABLE" and sp["stop_reasons"] == ["POST_UNAVAILABLE"]
    assert_item_error(f.bind(client, w.brand_h, w.account2["id"], [other_code["code"]]),
                      "post_unavailable", "taken down")
    p = preview(client, w.brand_h, w.account2["id"], other_code["code"])
    assert p.status_code == 200
    assert [x["code"] for x in p.json()["problems"]] == ["post_unavailable"]
    assert "taken down" in p.json()["problems"][0]["message"]
    # Taking down twice is harmless; unknown posts are 404.
    assert take_down(client, w.creator_h, w.post["id"])["taken_down_at"] == body["taken_down_at"]
    r = client.post("/v1/sandbox/posts/" + "0" * 32 + "/take-down", headers=w.creator_h,
                    json={})
    assert_error(r, 404, "not_found", "No such post")


# --- R12 owner-side status ------------------------------------------------------------------------

def test_r12_statuses_and_who_uses_each_code(client):
    w = f.World(client)
    assert get_code(client, w.creator_h, w.code["id"])["status"] == "NOT_USED"
    assert get_code(client, w.creator_h, w.code["id"])["used_by"] is None

    item = bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))
    got = get_code(client, w.creator_h, w.code["id"])
    assert got["status"] == "IN_USE"
    used_by = got["used_by"]
    assert used_by["business_id"] == w.business["id"]
    assert used_by["business_name"] == w.business["name"] == "Acme"
    assert used_by["ad_account_id"] == w.account["id"]
    assert used_by["ad_account_name"] == w.account["name"]
    assert ts(used_by["since"]) == ts(item["spark_post"]["bound_at"])
    assert used_by["live_ads"] == []
    [listed] = client.get(f"/v1/posts/{w.post['id']}/authorizations",
                          headers=w.creator_h).json()
    assert listed["status"] == "IN_USE" and listed["used_by"] == used_by

    f.advance(client, w.creator_h, "P30DT1M")
    got = get_code(client, w.creator_h, w.code["id"])
    assert got["status"] == "EXPIRED" and got["days_left"] == 0
    assert got["used_by"]["ad_account_id"] == w.account["id"]

    assert client.delete(f"/v1/authorizations/{w.code['id']}",
                         headers=w.creator_h).status_code == 200
    assert get_code(client, w.creator_h, w.code["id"])["status"] == "DELETED"


def test_r12_expiry_fails_closed_at_the_end_instant(client):
    w = f.World(client)
    end = ts(w.code["expires_at"])
    r = client.post("/v1/sandbox/clock", headers=w.creator_h,
                    json={"set": (end - timedelta(minutes=5)).isoformat()})
    assert r.status_code == 200, r.text
    assert get_code(client, w.creator_h, w.code["id"])["status"] == "NOT_USED"
    assert get_code(client, w.creator_h, w.code["id"])["days_left"] == 1
    r = client.post("/v1/sandbox/clock", headers=w.creator_h, json={"set": end.isoformat()})
    assert r.status_code == 200, r.text
    assert get_code(client, w.creator_h, w.code["id"])["status"] == "EXPIRED"
    assert_item_error(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]),
                      "code_expired", f"expired on {end:%Y-%m-%d %H:%M} UTC")


def test_r12_codes_of_others_are_invisible(client):
    w = f.World(client)
    for url in (f"/v1/authorizations/{w.code['id']}", f"/v1/posts/{w.post['id']}/authorizations",
                f"/v1/authorizations/{w.code['id']}/history"):
        r = client.get(url, headers=w.brand_h)
        assert r.status_code == 404, (url, r.text)
        assert r.json()["error"]["code"] == "not_found"


# --- "in use by a live ad" (R1, R4, R8–R12 with Spark Ads from R20) -------------------------------

def _live(client):  # type: ignore[no-untyped-def]
    """The usual cast, the code bound, and one delivering Spark Ad on it."""
    w = f.World(client)
    sp = bound_item(f.bind(client, w.brand_h, w.account["id"], [w.code["code"]]))["spark_post"]
    ad = live_ad(client, w.brand_h, w.account["id"], sp["id"], name="Summer launch")
    assert ad["delivery"]["status"] == "DELIVERING", ad["delivery"]
    return w, sp, ad


def _duet_live(client):  # type: ignore[no-untyped-def]
    """A delivering Spark Ad on a duet, bound with the original post's code."""
    w, duet_h, duet, duet_code = _duet_world(client)
    sp = bound_item(f.bind(client, w.brand_h, w.account["id"], [duet_code["code"]],
                           original_post_codes=[w.code["code"]]))["spark_post"]
    ad = live_ad(client, w.brand_h, w.account["id"], sp["id"], name="Duet ad")
    assert ad["delivery"]["status"] == "DELIVERING", ad["delivery"]
    return w, duet_h, duet, ad


def test_r1_switching_off_is_refused_while_a_live_ad_runs_on_a_code(client):
    w, _, ad = _live(client)
    r = set_ad_settings(client, w.creator_h, w.creator["id"], enabled=False)
    error = assert_error(r, 409, "code_in_use", "1 live ad runs on this account's codes")
    assert error["details"]["live_ads"] == [ad["id"]]
    assert client.get(f"/v1/creators/{w.creator['id']}", headers=w.creator_h).json()[
        "ad_settings_enabled"] is True
    pause(client, w.brand_h, ad["id"])
    assert set_ad_settings(client, w.creator_h, w.creator["id"], enabled=False).status_code == 200
    assert delivery(client, w.brand_h, ad["id"])["reasons"] == ["PAUSED",
                                                                "ACCOUNT_AD_SETTINGS_OFF"]


def test_r1_the_original_creator_cannot_switch_off_under_a_live_duet_ad(client):
    w, _, _, ad = _duet_live(client)
    r = set_ad_settings(client, w.creator_h, w.creator["id"], enabled=False)
    assert_error(r, 409, "code_in_use", "1 live ad runs on this account's codes")
    assert delivery(client, w.brand_h, ad["id"])["status"] == "DELIVERING"


def test_r4_a_private_post_becomes_public_when_its_ad_starts(client):
    w = f.World(client)
    post = f.post(client, w.creator_h, w.creator["id"], visibility="private")
    code = f.code(client, w.creator_h, post["id"])
    sp = bound_item(f.bind(client, w.brand_h, w.account["id"], [code["code"]]))["spark_post"]
    assert sp["post"]["visibility"] == "private"
    ad = live_ad(client, w.brand_h, w.account["id"], sp["id"])
    assert ad["delivery"]["status"] == "DELIVERING"
    assert client.get(f"/v1/posts/{post['id']}", headers=w.creator_h).json()[
        "visibility"] == "public"
    events = client.get(f"/v1/posts/{post['id']}/history", headers=w.creator_h).json()
    made_public = [e for e in events if e["action"] == "post.made_public"]
    assert len(made_public) == 1
    assert made_public[0]["details"]["before"] == {"visibility": "private"}


def test_r4_an_ads_only_ad_keeps_the_post_private(client):
    w = f.World(client)
    post = f.post(client, w.creator_h, w.creator["id"], visibility="private")
    code = f.code(client, w.creator_h, post["id"])
    sp = bound_item(f.bind(client, w.brand_h, w.account["id"], [code["code"]]))["spark_post"]
    ad = live_ad(client, w.brand_h, w.account["id"], sp["id"], ads_only=True)
    assert ad["ads_only"] is True and ad["delivery"]["status"] == "DELIVERING"
    assert client.get(f"/v1/posts/{post['id']}", headers=w.creator_h).json()[
        "visibility"] == "private"


def test_r4_visibility_cannot_change_while_a_live_ad_runs(client):
    w, _, ad = _live(client)
    r = client.patch(f"/v1/posts/{w.post['id']}", headers=w.creator_h,
                     json={"visibility": "private"})
    error = assert_error(r, 409, "post_in_use", "visibility cannot change while it runs")
    assert error["details"]["live_ads"] == [ad["id"]]
    assert client.get(f"/v1/posts/{w.post['id']}", headers=w.creator_h).json()[
        "visibility"] == "public"
    # Other edits are not blocked by the live ad.
    assert client.patch(f"/v1/posts/{w.post['id']}", headers=w.creator_h,
                        json={"visibility": "public"}).status_code == 200
    pause(client, w.brand_h, ad["id"])
    r = client.patch(f"/v1/posts/{w.post['id']}", headers=w.creator_h,
                     json={"visibility": "private"})
    assert r.status_code == 200 and r.json()["visibility"] == "private"
    assert delivery(client, w.brand_h, ad["id"])["reasons"] == ["PAUSED", "POST_PRIVATE"]


def test_r8_an_extended_code_resumes_its_stopped_ads(client):
    w, _, ad = _live(client)
    f.advance(client, w.brand_h, "P31D")
    stopped = delivery(client, w.brand_h, ad["id"])
    assert stopped["status"] == "NOT_DELIVERING"
    assert stopped["reasons"] == ["AUTHORIZATION_EXPIRED"]
    assert "ask to extend" in stopped["text"]
    assert extend(client, w.creator_h, w.code["id"], 7).status_code == 200
    assert delivery(client, w.brand_h, ad["id"]) == {"status": "DELIVERING", "reasons": [],
                                                     "text": "Delivering."}


def test_r9_deleting_a_code_under_a_live_ad_is_refused_naming_business_and_ads(client):
    w, _, ad = _live(client)
    r = client.delete(f"/v1/authorizations/{w.code['id']}", headers=w.creator_h)
    error = assert_error(r, 409, "code_in_use", "in use by live ads of Acme (ads: Summer launch)")
    assert "only after those ads are paused or deleted" in error["message"]
    assert error["details"]["live_ads"] == [ad["id"]]
    assert get_code(client, w.creator_h, w.code["id"])["status"] == "IN_USE"
    pause(client, w.brand_h, ad["id"])
    r = client.delete(f"/v1/authorizations/{w.code['id']}", headers=w.creator_h)
    assert r.status_code == 200 and r.json()["status"] == "DELETED"
    assert "AUTHORIZATION_DELETED" in delivery(client, w.brand_h, ad["id"])["reasons"]


def test_r9_an_original_post_code_under_a_live_duet_ad_cannot_be_deleted(client):
    w, _, _, ad = _duet_live(client)
    r = client.delete(f"/v1/authorizations/{w.code['id']}", headers=w.creator_h)
    error = assert_error(r, 409, "code_in_use", "in use by live ads of Acme (ads: Duet ad)")
    assert error["details"]["live_ads"] == [ad["id"]]


def test_r10_editing_the_video_stops_ads_on_the_old_revision(client):
    w, sp, ad = _live(client)
    assert ad["post_revision"] == 1
    r = client.patch(f"/v1/posts/{w.post['id']}", headers=w.creator_h,
                     json={"cover_url": "https://cdn.example.com/new.jpg"})
    assert r.status_code == 200 and r.json()["revision"] == 2
    stopped = delivery(client, w.brand_h, ad["id"])
    assert stopped["status"] == "NOT_DELIVERING" and stopped["reasons"] == ["POST_EDITED"]
    assert "edited the post" in stopped["text"]
    # A new ad on the new revision delivers.
    fresh = live_ad(client, w.brand_h, w.account["id"], sp["id"], name="Second cut")
    assert fresh["post_revision"] == 2 and fresh["delivery"]["status"] == "DELIVERING"
    # The caption stays locked all along.
    r = client.patch(f"/v1/posts/{w.post['id']}", headers=w.creator_h, json={"caption": "New"})
    assert_error(r, 409, "caption_locked", "caption cannot be edited")


def test_r11_a_post_under_a_live_ad_cannot_be_deleted_but_can_be_taken_down(client):
    w, _, ad = _live(client)
    r = client.delete(f"/v1/posts/{w.post['id']}", headers=w.creator_h)
    error = assert_error(r, 409, "post_in_use", "runs in 1 live ad;")
    assert error["details"]["live_ads"] == [ad["id"]]
    assert client.get(f"/v1/posts/{w.post['id']}", headers=w.creator_h).json()[
        "deleted_at"] is None
    take_down(client, w.creator_h, w.post["id"])
    stopped = delivery(client, w.brand_h, ad["id"])
    assert stopped["status"] == "NOT_DELIVERING" and stopped["reasons"] == ["POST_UNAVAILABLE"]
    # No live ad any more: now it can be deleted.
    r = client.delete(f"/v1/posts/{w.post['id']}", headers=w.creator_h)
    assert r.status_code == 200 and r.json()["deleted_at"] is not None


def test_r11_the_original_of_a_live_duet_ad_cannot_be_deleted(client):
    w, _, _, ad = _duet_live(client)
    r = client.delete(f"/v1/posts/{w.post['id']}", headers=w.creator_h)
    assert_error(r, 409, "post_in_use", "live ad")
    assert delivery(client, w.brand_h, ad["id"])["status"] == "DELIVERING"


def test_r12_used_by_lists_the_live_ads(client):
    w, sp, ad = _live(client)
    used_by = get_code(client, w.creator_h, w.code["id"])["used_by"]
    assert used_by["business_name"] == "Acme"
    assert used_by["live_ads"] == [{"ad_id": ad["id"], "ad_name": "Summer launch",
                                    "ad_account_id": w.account["id"]}]
    pause(client, w.brand_h, ad["id"])
    got = get_code(client, w.creator_h, w.code["id"])
    assert got["status"] == "IN_USE" and got["used_by"]["live_ads"] == []
