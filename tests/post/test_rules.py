"""Pure rules of posts (R3 kinds, R4 visibility, R10 caption lock and revisions, R11 delete)."""

from __future__ import annotations

import pytest

from sparkcodes import errors
from sparkcodes.post.rules import EditPlan, check_delete, check_new_post, plan_edit
from sparkcodes.values import LiveAd

ADS = [LiveAd("ad-1", "Ad 1", "acct", "Acme"), LiveAd("ad-2", "Ad 2", "acct", "Acme")]
CURRENT = {"caption": "hello", "sound": "original", "visibility": "public", "cover_url": None,
           "revision": 1}


# --- R3 new posts -----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("kind", "original_kind", "has_original"),
    [
        pytest.param("video", None, False, id="video"),
        pytest.param("story", None, False, id="story"),
        pytest.param("duet", "video", True, id="duet of a video"),
        pytest.param("stitch", "video", True, id="stitch of a video"),
        pytest.param("duet", "duet", True, id="duet of a duet: posted, refused when authorized"),
    ],
)
def test_new_post_allowed(kind: str, original_kind: str | None, has_original: bool) -> None:
    check_new_post(kind=kind, original_kind=original_kind, has_original=has_original)


@pytest.mark.parametrize(
    ("kind", "has_original", "error_code", "fragment"),
    [
        pytest.param("duet", False, "original_post_required",
                     "A duet names the post it was made from (original_post_id)", id="duet alone"),
        pytest.param("stitch", False, "original_post_required",
                     "A stitch names the post it was made from", id="stitch alone"),
        pytest.param("video", True, "original_post_not_allowed",
                     "Only duets and stitches have an original post", id="video with original"),
        pytest.param("story", True, "original_post_not_allowed",
                     "Only duets and stitches have an original post", id="story with original"),
    ],
)
def test_new_post_refused(kind: str, has_original: bool, error_code: str, fragment: str) -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        check_new_post(kind=kind, original_kind="video" if has_original else None,
                       has_original=has_original)
    assert caught.value.code == error_code
    assert caught.value.status == 422
    assert fragment in caught.value.message


# --- R4, R10 edits ----------------------------------------------------------------------------

def plan(changes: dict[str, object], *, locked: bool = False,
         live: list[LiveAd] | None = None, unavailable: bool = False) -> EditPlan:
    return plan_edit(current=dict(CURRENT), changes=changes, caption_locked=locked,
                     live_ads=live or [], unavailable=unavailable)


@pytest.mark.parametrize(
    ("changes", "locked", "live", "expected"),
    [
        pytest.param({}, False, [], (False, False, False), id="nothing"),
        pytest.param({}, True, ADS, (False, False, False), id="nothing, locked, live ads"),
        pytest.param({"caption": "hello", "visibility": "public", "sound": "original",
                      "cover_url": None}, True, ADS, (False, False, False),
                     id="same values are no change"),
        pytest.param({"caption": "new"}, False, [], (True, False, False),
                     id="caption, not locked"),
        pytest.param({"caption": "hello"}, True, [], (False, False, False),
                     id="same caption while locked"),
        pytest.param({"visibility": "private"}, False, [], (False, True, False),
                     id="visibility, no live ad"),
        pytest.param({"visibility": "friends"}, True, [], (False, True, False),
                     id="visibility while locked"),
        pytest.param({"visibility": "public"}, False, ADS, (False, False, False),
                     id="same visibility with live ads"),
        pytest.param({"sound": "licensed"}, False, [], (False, False, True),
                     id="sound: new revision"),
        pytest.param({"cover_url": "https://x.test/c.jpg"}, False, [], (False, False, True),
                     id="cover: new revision"),
        pytest.param({"sound": "licensed"}, True, ADS, (False, False, True),
                     id="sound while locked and live: new revision (ads on it stop)"),
        pytest.param({"caption": "new", "visibility": "private", "sound": "licensed"}, False, [],
                     (True, True, True), id="everything, nothing blocks"),
    ],
)
def test_plan_edit(changes: dict[str, object], locked: bool, live: list[LiveAd],
                   expected: tuple[bool, bool, bool]) -> None:
    result = plan(changes, locked=locked, live=live)
    assert (result.caption_changed, result.visibility_changed, result.new_revision) == expected


@pytest.mark.parametrize(
    ("changes", "locked", "live", "unavailable", "error_type", "error_code", "status", "fragment"),
    [
        pytest.param({"caption": "new"}, True, [], False, errors.Conflict, "caption_locked", 409,
                     "caption cannot be edited once the post has an ad authorization",
                     id="caption locked"),
        pytest.param({"caption": "new", "sound": "licensed"}, True, [], False, errors.Conflict,
                     "caption_locked", 409, "delete its codes first",
                     id="caption locked with a sound change"),
        pytest.param({"caption": "new", "visibility": "private"}, True, ADS, False,
                     errors.Conflict, "caption_locked", 409, "caption cannot be edited",
                     id="caption locked before visibility"),
        pytest.param({"visibility": "private"}, False, ADS, False, errors.Conflict,
                     "post_in_use", 409, "visibility cannot change while it runs as a live ad",
                     id="visibility with live ads"),
        pytest.param({"visibility": "friends", "sound": "licensed"}, True, ADS, False,
                     errors.Conflict, "post_in_use", 409, "visibility cannot change",
                     id="visibility with live ads, caption untouched"),
        pytest.param({}, False, [], True, errors.Gone, "post_unavailable", 410,
                     "deleted or taken down", id="unavailable, no change"),
        pytest.param({"caption": "new"}, True, ADS, True, errors.Gone, "post_unavailable", 410,
                     "deleted or taken down", id="unavailable comes first"),
    ],
)
def test_plan_edit_refusals(changes: dict[str, object], locked: bool, live: list[LiveAd],
                            unavailable: bool, error_type: type[errors.AppError], error_code: str,
                            status: int, fragment: str) -> None:
    with pytest.raises(error_type) as caught:
        plan(changes, locked=locked, live=live, unavailable=unavailable)
    assert caught.value.code == error_code
    assert caught.value.status == status
    assert fragment in caught.value.message
    if error_code == "post_in_use":
        assert caught.value.details == {"live_ads": ["ad-1", "ad-2"]}


# --- R11 delete -------------------------------------------------------------------------------

def test_delete_without_live_ads() -> None:
    check_delete([])


def test_delete_is_refused_while_live_ads_run() -> None:
    with pytest.raises(errors.Conflict) as caught:
        check_delete(ADS)
    assert caught.value.code == "post_in_use"
    assert caught.value.status == 409
    assert "runs in 2 live ads; it can be deleted after they stop" in caught.value.message
    assert caught.value.details == {"live_ads": ["ad-1", "ad-2"]}
