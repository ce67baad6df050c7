"""Pure rules of codes (R1–R3, R5–R9, R12–R15, R18): tables, fixed instants, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sparkcodes import errors
from sparkcodes.authorization.rules import (
    BindCheck,
    CodeStatus,
    Problem,
    bind_problems,
    check_capacity,
    check_delete,
    check_period,
    check_regenerate,
    first_window,
    generation_problems,
    is_valid,
    new_expiry,
    original_code_problems,
    post_problems,
    sound_warnings,
    status_at,
)
from sparkcodes.values import CodeState, CreatorState, LiveAd, PostState

NOW = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)
PERIODS = [7, 30, 60, 365]
REGIONS = ["GB", "US"]  # as the settings hold them: upper case
HERE, ELSEWHERE = "acct-here", "acct-elsewhere"

FUTURE = NOW + 10 * DAY
PAST = NOW - 10 * DAY

ON = CreatorState(region="US", ad_settings_enabled_at=PAST)
VIDEO = PostState()


def code(expires_at: datetime = FUTURE, *, deleted: bool = False,
         bound_to: str | None = None) -> CodeState:
    return CodeState(expires_at=expires_at, deleted_at=PAST if deleted else None,
                     ad_account_id=bound_to)


def creator(region: str = "US", *, settings_on: bool = True) -> CreatorState:
    return CreatorState(region=region, ad_settings_enabled_at=PAST if settings_on else None)


def post(kind: str = "video", *, deleted: bool = False, taken_down: bool = False,
         original_kind: str | None = None) -> PostState:
    return PostState(
        kind=kind,
        deleted_at=PAST if deleted else None,
        taken_down_at=PAST if taken_down else None,
        original_post_id="orig-post" if kind in ("duet", "stitch") else None,
        original_kind=original_kind,
    )


def live_ad(n: int, business: str = "Acme") -> LiveAd:
    return LiveAd(ad_id=f"ad-{n}", ad_name=f"Ad {n}", ad_account_id=HERE, business_name=business)


def codes_of(problems: list[Problem]) -> list[str]:
    return [p.code for p in problems]


# --- R12 owner-side status ----------------------------------------------------------------------

STATUS_CASES = [
    pytest.param(code(NOW + TICK), CodeStatus.NOT_USED, id="unbound, ends 1us after now"),
    pytest.param(code(FUTURE), CodeStatus.NOT_USED, id="unbound, ends in 10 days"),
    pytest.param(code(NOW), CodeStatus.EXPIRED, id="unbound, ends exactly now (fails closed)"),
    pytest.param(code(NOW - TICK), CodeStatus.EXPIRED, id="unbound, ended 1us ago"),
    pytest.param(code(PAST), CodeStatus.EXPIRED, id="unbound, ended 10 days ago"),
    pytest.param(code(NOW + TICK, bound_to=HERE), CodeStatus.IN_USE, id="bound, ends 1us after"),
    pytest.param(code(NOW, bound_to=HERE), CodeStatus.EXPIRED, id="bound, ends exactly now"),
    pytest.param(code(PAST, bound_to=HERE), CodeStatus.EXPIRED, id="bound, ended"),
    pytest.param(code(FUTURE, deleted=True), CodeStatus.DELETED, id="deleted, window open"),
    pytest.param(code(NOW, deleted=True), CodeStatus.DELETED, id="deleted, ends now"),
    pytest.param(code(PAST, deleted=True), CodeStatus.DELETED, id="deleted and expired"),
    pytest.param(code(FUTURE, deleted=True, bound_to=HERE), CodeStatus.DELETED,
                 id="deleted while bound"),
    pytest.param(code(PAST, deleted=True, bound_to=HERE), CodeStatus.DELETED,
                 id="deleted, bound and expired"),
]


@pytest.mark.parametrize(("state", "expected"), STATUS_CASES)
def test_status_at(state: CodeState, expected: CodeStatus) -> None:
    assert status_at(state, NOW) is expected


@pytest.mark.parametrize(("state", "status"), STATUS_CASES)
def test_is_valid_agrees_with_status(state: CodeState, status: CodeStatus) -> None:
    assert is_valid(state, NOW) is (status in (CodeStatus.NOT_USED, CodeStatus.IN_USE))


def test_every_status_is_reachable() -> None:
    assert {case.values[1] for case in STATUS_CASES} == set(CodeStatus)


# --- R5 periods and the first window ------------------------------------------------------------

@pytest.mark.parametrize("days", PERIODS, ids=[f"{d} days" for d in PERIODS])
def test_offered_periods_are_accepted(days: int) -> None:
    check_period(days, PERIODS)


@pytest.mark.parametrize("days", [0, 1, 6, 8, 14, 29, 31, 90, 364, 366, -7],
                         ids=lambda d: f"{d} days")
def test_other_periods_are_refused(days: int) -> None:
    with pytest.raises(errors.InvalidInput) as caught:
        check_period(days, PERIODS)
    assert caught.value.code == "invalid_period"
    assert caught.value.status == 422
    assert "7, 30, 60, 365 days" in caught.value.message
    assert f"{days} is not one of them" in caught.value.message


def test_periods_follow_the_setting() -> None:
    check_period(14, [14])
    with pytest.raises(errors.InvalidInput) as caught:
        check_period(30, [14])
    assert "14 days; 30 is not one of them" in caught.value.message


@pytest.mark.parametrize("days", PERIODS, ids=[f"{d} days" for d in PERIODS])
def test_first_window_starts_at_generation(days: int) -> None:
    assert first_window(NOW, days) == (NOW, NOW + days * DAY)


# --- R8 extend --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("expires_at", "days", "expected"),
    [
        pytest.param(NOW + 10 * DAY, 30, NOW + 40 * DAY, id="before expiry: from the current end"),
        pytest.param(NOW + TICK, 7, NOW + 7 * DAY + TICK, id="1us before expiry: from the end"),
        pytest.param(NOW, 7, NOW + 7 * DAY, id="at expiry: from now"),
        pytest.param(NOW - TICK, 7, NOW + 7 * DAY, id="1us after expiry: from now"),
        pytest.param(NOW - 100 * DAY, 30, NOW + 30 * DAY, id="long expired: from now"),
        pytest.param(NOW - DAY, 365, NOW + 365 * DAY, id="expired, 365 days: exactly the cap"),
        pytest.param(NOW + 305 * DAY, 60, NOW + 365 * DAY, id="ends exactly at the cap"),
        pytest.param(NOW + 358 * DAY, 7, NOW + 365 * DAY, id="7 more days up to the cap"),
    ],
)
def test_new_expiry(expires_at: datetime, days: int, expected: datetime) -> None:
    assert new_expiry(code(expires_at), days, NOW, 365) == expected


@pytest.mark.parametrize("bound_to", [None, HERE], ids=["unused", "in use"])
def test_extending_keeps_working_for_bound_codes(bound_to: str | None) -> None:
    assert new_expiry(code(NOW + DAY, bound_to=bound_to), 30, NOW, 365) == NOW + 31 * DAY


@pytest.mark.parametrize(
    ("expires_at", "days", "hint"),
    [
        pytest.param(NOW + 305 * DAY + TICK, 60, "at most 59 more days can be added now",
                     id="1us past the cap"),
        pytest.param(NOW + 300 * DAY, 365, "at most 65 more days can be added now",
                     id="300 days left, 365 more"),
        pytest.param(NOW + 30 * DAY, 365, "at most 335 more days can be added now",
                     id="30 days left, 365 more"),
        pytest.param(NOW + 364 * DAY, 7, "at most 1 more", id="one day of room"),
        pytest.param(NOW + 364 * DAY + 12 * timedelta(hours=1), 7,
                     "it cannot be extended further now", id="half a day of room"),
        pytest.param(NOW + 365 * DAY, 7, "it cannot be extended further now",
                     id="fresh 365-day code"),
        pytest.param(NOW + 400 * DAY, 7, "it cannot be extended further now",
                     id="already beyond the cap"),
    ],
)
def test_extension_past_the_cap_is_refused(expires_at: datetime, days: int, hint: str) -> None:
    with pytest.raises(errors.Conflict) as caught:
        new_expiry(code(expires_at), days, NOW, 365)
    assert caught.value.code == "window_too_long"
    assert caught.value.status == 409
    assert "at most 365 days from now" in caught.value.message
    assert hint in caught.value.message


def test_cap_follows_the_setting() -> None:
    assert new_expiry(code(PAST), 60, NOW, 60) == NOW + 60 * DAY
    with pytest.raises(errors.Conflict) as caught:
        new_expiry(code(PAST), 365, NOW, 60)
    assert caught.value.code == "window_too_long"
    assert "at most 60 days from now; at most 60 more days" in caught.value.message


@pytest.mark.parametrize(
    ("expires_at", "days"),
    [
        pytest.param(FUTURE, 7, id="window open"),
        pytest.param(PAST, 7, id="expired"),
        pytest.param(NOW + 365 * DAY, 365, id="also past the cap: deleted wins"),
    ],
)
def test_a_deleted_code_cannot_be_extended(expires_at: datetime, days: int) -> None:
    with pytest.raises(errors.Gone) as caught:
        new_expiry(code(expires_at, deleted=True), days, NOW, 365)
    assert caught.value.code == "code_deleted"
    assert caught.value.status == 410
    assert "deleted" in caught.value.message
    assert "generate a new one" in caught.value.message


# --- R9 delete --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "state",
    [
        pytest.param(code(FUTURE), id="unused"),
        pytest.param(code(FUTURE, bound_to=HERE), id="in use, no live ad"),
        pytest.param(code(PAST, bound_to=HERE), id="expired"),
        pytest.param(code(FUTURE, deleted=True), id="already deleted: harmless"),
    ],
)
def test_delete_without_live_ads_is_allowed(state: CodeState) -> None:
    check_delete(state, [])


@pytest.mark.parametrize(
    ("ads", "fragments", "absent"),
    [
        pytest.param([live_ad(1)], ["live ads of Acme (ads: Ad 1)"], ["more"], id="one ad"),
        pytest.param([live_ad(1), live_ad(2, "Brandco"), live_ad(3)],
                     ["Acme and Brandco (ads: Ad 1, Ad 2, Ad 3)"], ["more"],
                     id="two businesses, sorted, named once"),
        pytest.param([live_ad(n) for n in range(1, 6)], ["(ads: Ad 1, Ad 2, Ad 3, Ad 4, Ad 5)"],
                     ["more", "Ad 6"], id="five ads: all named"),
        pytest.param([live_ad(n) for n in range(1, 8)],
                     ["(ads: Ad 1, Ad 2, Ad 3, Ad 4, Ad 5 and 2 more)"], ["Ad 6", "Ad 7"],
                     id="seven ads: five named and 2 more"),
    ],
)
def test_delete_is_refused_while_live_ads_run(
    ads: list[LiveAd], fragments: list[str], absent: list[str]
) -> None:
    with pytest.raises(errors.Conflict) as caught:
        check_delete(code(FUTURE, bound_to=HERE), ads)
    error = caught.value
    assert error.code == "code_in_use"
    assert error.status == 409
    assert "can be deleted only after those ads are paused or deleted" in error.message
    for fragment in fragments:
        assert fragment in error.message
    for fragment in absent:
        assert fragment not in error.message
    assert error.details == {"live_ads": [ad.ad_id for ad in ads]}


# --- R7 regenerate ----------------------------------------------------------------------------

def test_an_unused_live_code_can_be_regenerated() -> None:
    check_regenerate(code(NOW + TICK), NOW)


@pytest.mark.parametrize(
    ("state", "error_type", "error_code", "status", "fragment"),
    [
        pytest.param(code(FUTURE, deleted=True), errors.Gone, "code_deleted", 410,
                     "was deleted", id="deleted"),
        pytest.param(code(PAST, deleted=True, bound_to=HERE), errors.Gone, "code_deleted", 410,
                     "was deleted", id="deleted, bound and expired: deleted wins"),
        pytest.param(code(NOW), errors.Gone, "code_expired", 410,
                     "has expired; extend it or generate a new one", id="expires exactly now"),
        pytest.param(code(PAST), errors.Gone, "code_expired", 410, "has expired",
                     id="expired"),
        pytest.param(code(PAST, bound_to=HERE), errors.Gone, "code_expired", 410, "has expired",
                     id="bound and expired: expired wins"),
        pytest.param(code(FUTURE, bound_to=HERE), errors.Conflict, "code_in_use", 409,
                     "already bound to an ad account", id="in use"),
    ],
)
def test_regenerate_refusals(state: CodeState, error_type: type[errors.AppError],
                             error_code: str, status: int, fragment: str) -> None:
    with pytest.raises(error_type) as caught:
        check_regenerate(state, NOW)
    assert caught.value.code == error_code
    assert caught.value.status == status
    assert fragment in caught.value.message


# --- R1–R3 generation ---------------------------------------------------------------------------

NESTED = [(k, o) for k in ("duet", "stitch") for o in ("duet", "stitch")]

GENERATION_CASES = [
    pytest.param(creator(), post(), [], id="all fine"),
    pytest.param(creator("us"), post(), [], id="region lower case"),
    pytest.param(creator("Gb"), post(), [], id="region mixed case"),
    pytest.param(creator("AQ"), post(), ["region_not_supported"], id="region not offered"),
    pytest.param(creator("aq"), post(), ["region_not_supported"], id="region not offered, lower"),
    pytest.param(creator(settings_on=False), post(), ["ad_settings_off"], id="ad settings off"),
    pytest.param(creator("AQ", settings_on=False), post(),
                 ["region_not_supported", "ad_settings_off"], id="region and ad settings"),
    pytest.param(creator(), post(deleted=True), ["post_unavailable"], id="post deleted"),
    pytest.param(creator(), post(taken_down=True), ["post_unavailable"], id="post taken down"),
    pytest.param(creator(), post(deleted=True, taken_down=True), ["post_unavailable"],
                 id="deleted and taken down: one problem"),
    pytest.param(creator(), post("story"), ["story_not_supported"], id="story"),
    pytest.param(creator(), post("story", taken_down=True),
                 ["post_unavailable", "story_not_supported"], id="taken-down story"),
    pytest.param(creator(), post("duet", original_kind="video"), [], id="duet of a video"),
    pytest.param(creator(), post("stitch", original_kind="video"), [], id="stitch of a video"),
    *[
        pytest.param(creator(), post(k, original_kind=o), ["nested_duet_not_supported"],
                     id=f"{k} of a {o}")
        for k, o in NESTED
    ],
    pytest.param(creator(), PostState(kind="video", original_kind="duet"), [],
                 id="only duets and stitches can nest"),
    pytest.param(creator("AQ", settings_on=False), post("story", deleted=True),
                 ["region_not_supported", "ad_settings_off", "post_unavailable",
                  "story_not_supported"], id="everything wrong with a story, in order"),
    pytest.param(creator("AQ", settings_on=False), post("duet", taken_down=True,
                                                        original_kind="stitch"),
                 ["region_not_supported", "ad_settings_off", "post_unavailable",
                  "nested_duet_not_supported"], id="everything wrong with a duet, in order"),
]


@pytest.mark.parametrize(("who", "what", "expected"), GENERATION_CASES)
def test_generation_problems(who: CreatorState, what: PostState, expected: list[str]) -> None:
    problems = generation_problems(creator=who, post=what, supported_regions=REGIONS)
    assert codes_of(problems) == expected


@pytest.mark.parametrize(
    ("who", "what", "problem_code", "status", "fragment"),
    [
        pytest.param(creator("AQ"), VIDEO, "region_not_supported", 409,
                     "not offered to creator accounts in AQ", id="region"),
        pytest.param(creator(settings_on=False), VIDEO, "ad_settings_off", 409,
                     "Creator tools → Ad settings", id="ad settings"),
        pytest.param(creator(), post(deleted=True), "post_unavailable", 410,
                     "The post was deleted by the creator.", id="deleted"),
        pytest.param(creator(), post(deleted=True, taken_down=True), "post_unavailable", 410,
                     "The post was deleted by the creator.", id="deleted and taken down"),
        pytest.param(creator(), post(taken_down=True), "post_unavailable", 410,
                     "The post was taken down.", id="taken down"),
        pytest.param(creator(), post("story"), "story_not_supported", 409,
                     "Stories cannot be run as Spark Ads", id="story"),
        pytest.param(creator(), post("duet", original_kind="stitch"), "nested_duet_not_supported",
                     409, "This duet is of another stitch; multi-level", id="duet of a stitch"),
        pytest.param(creator(), post("stitch", original_kind="duet"), "nested_duet_not_supported",
                     409, "This stitch is of another duet", id="stitch of a duet"),
    ],
)
def test_generation_problem_messages(who: CreatorState, what: PostState, problem_code: str,
                                     status: int, fragment: str) -> None:
    (problem,) = generation_problems(creator=who, post=what, supported_regions=REGIONS)
    assert problem.code == problem_code
    assert problem.status == status
    assert fragment in problem.message
    error = problem.as_error()
    assert isinstance(error, errors.AppError)
    assert (error.code, error.status, error.message) == (problem_code, status, problem.message)


def test_regions_follow_the_setting() -> None:
    problems = generation_problems(creator=creator("US"), post=VIDEO, supported_regions=["GB"])
    assert codes_of(problems) == ["region_not_supported"]
    assert generation_problems(creator=creator("AQ"), post=VIDEO, supported_regions=["AQ"]) == []


@pytest.mark.parametrize(("what", "expected"), [
    pytest.param(post(), [], id="video"),
    pytest.param(post("story", deleted=True), ["post_unavailable", "story_not_supported"],
                 id="deleted story"),
    pytest.param(post("stitch", original_kind="stitch"), ["nested_duet_not_supported"],
                 id="stitch of a stitch"),
])
def test_post_problems_ignore_the_creator(what: PostState, expected: list[str]) -> None:
    assert codes_of(post_problems(what)) == expected


# --- R13–R15 bind -----------------------------------------------------------------------------

BIND_CASES = [
    pytest.param(code(), creator(), post(), [], id="fresh code"),
    pytest.param(code(NOW + TICK), creator(), post(), [], id="ends 1us after now"),
    pytest.param(code(bound_to=HERE), creator(), post(), [], id="bound here: idempotent"),
    pytest.param(code(bound_to=ELSEWHERE), creator(), post(), ["code_used_elsewhere"],
                 id="used elsewhere"),
    pytest.param(code(deleted=True), creator(), post(), ["code_deleted"], id="deleted"),
    pytest.param(code(deleted=True, bound_to=ELSEWHERE), creator(), post(), ["code_deleted"],
                 id="deleted and used elsewhere: deleted only"),
    pytest.param(code(deleted=True, bound_to=HERE), creator(), post(), ["code_deleted"],
                 id="deleted, was bound here"),
    pytest.param(code(PAST, deleted=True), creator(), post(), ["code_deleted"],
                 id="deleted and expired: deleted only"),
    pytest.param(code(NOW), creator(), post(), ["code_expired"], id="expires exactly now"),
    pytest.param(code(PAST), creator(), post(), ["code_expired"], id="expired"),
    pytest.param(code(PAST, bound_to=HERE), creator(), post(), ["code_expired"],
                 id="expired, bound here"),
    pytest.param(code(PAST, bound_to=ELSEWHERE), creator(), post(),
                 ["code_used_elsewhere", "code_expired"], id="expired and used elsewhere"),
    pytest.param(code(), creator("AQ"), post(), ["region_not_supported"], id="region"),
    pytest.param(code(), creator("gb"), post(), [], id="region lower case"),
    pytest.param(code(), creator(settings_on=False), post(), ["ad_settings_off"],
                 id="ad settings off"),
    pytest.param(code(), creator(), post(deleted=True), ["post_unavailable"], id="post deleted"),
    pytest.param(code(), creator(), post(taken_down=True), ["post_unavailable"],
                 id="post taken down"),
    pytest.param(code(), creator(), post("story"), ["story_not_supported"], id="story"),
    pytest.param(code(), creator(), post("duet", original_kind="video"), [],
                 id="duet of a video (original code checked apart)"),
    *[
        pytest.param(code(), creator(), post(k, original_kind=o), ["nested_duet_not_supported"],
                     id=f"{k} of a {o}")
        for k, o in NESTED
    ],
    pytest.param(code(PAST, bound_to=ELSEWHERE), creator("AQ", settings_on=False),
                 post("story", deleted=True),
                 ["code_used_elsewhere", "code_expired", "region_not_supported",
                  "ad_settings_off", "post_unavailable", "story_not_supported"],
                 id="everything wrong, most precise first"),
    pytest.param(code(PAST, deleted=True), creator("AQ", settings_on=False),
                 post("duet", taken_down=True, original_kind="duet"),
                 ["code_deleted", "region_not_supported", "ad_settings_off", "post_unavailable",
                  "nested_duet_not_supported"], id="deleted code and everything else"),
]


@pytest.mark.parametrize(("state", "who", "what", "expected"), BIND_CASES)
def test_bind_problems(state: CodeState, who: CreatorState, what: PostState,
                       expected: list[str]) -> None:
    problems = bind_problems(code=state, post=what, creator=who, ad_account_id=HERE, now=NOW,
                             supported_regions=REGIONS)
    assert codes_of(problems) == expected
    assert BindCheck(problems=problems).ok is (expected == [])


@pytest.mark.parametrize(
    ("state", "problem_code", "status", "fragments"),
    [
        pytest.param(code(deleted=True), "code_deleted", 410,
                     ["The creator deleted this code."], id="deleted"),
        pytest.param(code(bound_to=ELSEWHERE), "code_used_elsewhere", 409,
                     ["already used by another ad account", "ask the creator for a new code"],
                     id="used elsewhere"),
        pytest.param(code(NOW), "code_expired", 410,
                     ["expired on 2026-01-01 00:00 UTC", "ask the creator to extend it"],
                     id="expired now"),
        pytest.param(code(datetime(2025, 12, 24, 17, 5, tzinfo=UTC)), "code_expired", 410,
                     ["expired on 2025-12-24 17:05 UTC"], id="expired last week"),
    ],
)
def test_bind_problem_messages(state: CodeState, problem_code: str, status: int,
                               fragments: list[str]) -> None:
    (problem,) = bind_problems(code=state, post=VIDEO, creator=ON, ad_account_id=HERE, now=NOW,
                               supported_regions=REGIONS)
    error = problem.as_error()
    assert (error.code, error.status) == (problem_code, status)
    for fragment in fragments:
        assert fragment in error.message


def test_bind_check_defaults() -> None:
    assert BindCheck().ok
    assert not BindCheck().needs_original
    assert not BindCheck(problems=[Problem("x", "y")]).ok


def test_problem_status_defaults_to_conflict() -> None:
    assert Problem("x", "y").status == 409
    assert Problem("x", "y").as_error().status == 409


# --- R3 original-post codes of duets and stitches -----------------------------------------------

DUET, STITCH = post("duet", original_kind="video"), post("stitch", original_kind="video")


@pytest.mark.parametrize(
    ("what", "original", "original_post_id", "expected"),
    [
        pytest.param(VIDEO, None, None, [], id="video needs none"),
        pytest.param(post("story"), None, None, [], id="story needs none"),
        pytest.param(PostState(kind="duet"), None, None, [], id="duet without original id"),
        pytest.param(DUET, None, None, ["original_post_code_required"], id="duet, no code"),
        pytest.param(STITCH, None, None, ["original_post_code_required"], id="stitch, no code"),
        pytest.param(DUET, code(), "another-post", ["original_post_code_mismatch"],
                     id="code of another post"),
        pytest.param(DUET, code(), None, ["original_post_code_mismatch"],
                     id="code of unknown post"),
        pytest.param(DUET, code(), "orig-post", [], id="valid unbound original code"),
        pytest.param(STITCH, code(NOW + TICK), "orig-post", [], id="ends 1us after now"),
        pytest.param(DUET, code(bound_to=HERE), "orig-post", [], id="original bound here"),
        pytest.param(DUET, code(bound_to=ELSEWHERE), "orig-post",
                     ["original_post_code_used_elsewhere"], id="original used elsewhere"),
        pytest.param(DUET, code(NOW), "orig-post", ["original_post_code_invalid"],
                     id="original expires exactly now"),
        pytest.param(DUET, code(PAST), "orig-post", ["original_post_code_invalid"],
                     id="original expired"),
        pytest.param(STITCH, code(deleted=True), "orig-post", ["original_post_code_invalid"],
                     id="original deleted"),
        pytest.param(DUET, code(PAST, bound_to=ELSEWHERE), "orig-post",
                     ["original_post_code_invalid"], id="expired and used elsewhere: invalid"),
    ],
)
def test_original_code_problems(what: PostState, original: CodeState | None,
                                original_post_id: str | None, expected: list[str]) -> None:
    problems = original_code_problems(post=what, original_code=original,
                                      original_code_post_id=original_post_id,
                                      ad_account_id=HERE, now=NOW)
    assert codes_of(problems) == expected


@pytest.mark.parametrize(
    ("what", "original", "original_post_id", "problem_code", "status", "fragments"),
    [
        pytest.param(DUET, None, None, "original_post_code_required", 409,
                     ["This post is a duet", "original_post_codes"], id="duet required"),
        pytest.param(STITCH, None, None, "original_post_code_required", 409,
                     ["This post is a stitch"], id="stitch required"),
        pytest.param(STITCH, code(), "other", "original_post_code_mismatch", 409,
                     ["different post than the one this stitch was made from"], id="mismatch"),
        pytest.param(DUET, code(PAST), "orig-post", "original_post_code_invalid", 410,
                     ["original post's code has expired or was deleted"], id="invalid"),
        pytest.param(DUET, code(bound_to=ELSEWHERE), "orig-post",
                     "original_post_code_used_elsewhere", 409,
                     ["original post's code is already used by another ad account"],
                     id="used elsewhere"),
    ],
)
def test_original_code_problem_messages(what: PostState, original: CodeState | None,
                                        original_post_id: str | None, problem_code: str,
                                        status: int, fragments: list[str]) -> None:
    (problem,) = original_code_problems(post=what, original_code=original,
                                        original_code_post_id=original_post_id,
                                        ad_account_id=HERE, now=NOW)
    error = problem.as_error()
    assert (error.code, error.status) == (problem_code, status)
    for fragment in fragments:
        assert fragment in error.message


# --- R18 capacity -----------------------------------------------------------------------------

@pytest.mark.parametrize(("active", "limit"), [
    pytest.param(0, 10_000, id="empty"),
    pytest.param(9_999, 10_000, id="one below the limit"),
    pytest.param(0, 1, id="limit 1, empty"),
])
def test_capacity_left(active: int, limit: int) -> None:
    check_capacity(active, limit)


@pytest.mark.parametrize(("active", "limit", "shown"), [
    pytest.param(10_000, 10_000, "10,000", id="at the limit"),
    pytest.param(10_001, 10_000, "10,000", id="over the limit"),
    pytest.param(1, 1, "holds 1 Spark", id="limit 1, full"),
])
def test_capacity_reached(active: int, limit: int, shown: str) -> None:
    with pytest.raises(errors.Conflict) as caught:
        check_capacity(active, limit)
    assert caught.value.code == "capacity_reached"
    assert caught.value.status == 409
    assert shown in caught.value.message
    assert "unbind posts no ad uses" in caught.value.message


# --- R3 sound -----------------------------------------------------------------------------------

@pytest.mark.parametrize("sound", ["original", "commercial_library"])
def test_sounds_that_keep_playing(sound: str) -> None:
    assert sound_warnings(sound) == []


def test_a_licensed_sound_is_muted() -> None:
    (warning,) = sound_warnings("licensed")
    assert warning.code == "sound_will_be_muted"
    assert warning.status == 200  # a warning, not a refusal
    assert "muted when run as an ad" in warning.message
    assert "Commercial Music Library" in warning.message
