"""Pure rules of Spark Ad posts: why ads on a post could not deliver now (R1, R11, R14, R19)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sparkcodes.spark_post.rules import (
    AUTHORIZED,
    REASON_TEXT,
    SparkPostState,
    StopReason,
    status_at,
    stop_reasons,
    window_end,
)
from sparkcodes.values import CodeState, CreatorState, PostState

NOW = datetime(2026, 1, 1, tzinfo=UTC)
DAY = timedelta(days=1)
TICK = timedelta(microseconds=1)
PAST = NOW - 10 * DAY

E = StopReason.AUTHORIZATION_EXPIRED
D = StopReason.AUTHORIZATION_DELETED
U = StopReason.POST_UNAVAILABLE
S = StopReason.ACCOUNT_AD_SETTINGS_OFF
L = StopReason.IDENTITY_UNLINKED

OK = CodeState(NOW + 10 * DAY, ad_account_id="acct")
AT_NOW = CodeState(NOW, ad_account_id="acct")
SOON = CodeState(NOW + TICK, ad_account_id="acct")
EXPIRED = CodeState(PAST, ad_account_id="acct")
DELETED = CodeState(NOW + 10 * DAY, deleted_at=PAST, ad_account_id="acct")
DELETED_EXPIRED = CodeState(PAST, deleted_at=PAST, ad_account_id="acct")


def state(identity: str = "AUTH_CODE", *, code: CodeState | None = OK,
          original: CodeState | None = None, post_deleted: bool = False,
          taken_down: bool = False, settings_on: bool = True,
          linked: bool = True) -> SparkPostState:
    return SparkPostState(
        identity_type=identity,
        code=code,
        original_code=original,
        post=PostState(deleted_at=PAST if post_deleted else None,
                       taken_down_at=PAST if taken_down else None),
        creator=CreatorState("US", PAST if settings_on else None),
        identity_linked=linked,
    )


CASES = [
    pytest.param(state(), [], id="code valid"),
    pytest.param(state(code=SOON), [], id="code ends 1us after now"),
    pytest.param(state(code=AT_NOW), [E], id="code ends exactly now (fails closed)"),
    pytest.param(state(code=EXPIRED), [E], id="code expired"),
    pytest.param(state(code=DELETED), [D], id="code deleted"),
    pytest.param(state(code=DELETED_EXPIRED), [D], id="deleted and expired: deleted only"),
    pytest.param(state(original=OK), [], id="duet, both codes valid"),
    pytest.param(state(original=AT_NOW), [E], id="original code ends now"),
    pytest.param(state(original=EXPIRED), [E], id="original code expired"),
    pytest.param(state(original=DELETED), [D], id="original code deleted"),
    pytest.param(state(code=EXPIRED, original=DELETED), [D], id="expired and original deleted"),
    pytest.param(state(code=DELETED, original=EXPIRED), [D], id="deleted and original expired"),
    pytest.param(state(code=EXPIRED, original=EXPIRED), [E], id="both expired: one reason"),
    pytest.param(state(post_deleted=True), [U], id="post deleted"),
    pytest.param(state(taken_down=True), [U], id="post taken down"),
    pytest.param(state(post_deleted=True, taken_down=True), [U], id="deleted and taken down"),
    pytest.param(state(settings_on=False), [S], id="ad settings off"),
    pytest.param(state(linked=False), [], id="AUTH_CODE ignores identity links"),
    pytest.param(state(code=EXPIRED, taken_down=True), [E, U], id="expired and taken down"),
    pytest.param(state(code=DELETED, settings_on=False), [D, S], id="deleted, settings off"),
    pytest.param(state(post_deleted=True, settings_on=False), [U, S],
                 id="post deleted, settings off"),
    pytest.param(state(code=EXPIRED, post_deleted=True, settings_on=False), [E, U, S],
                 id="expired, post deleted, settings off"),
    pytest.param(state(code=DELETED_EXPIRED, original=EXPIRED, taken_down=True,
                       settings_on=False), [D, U, S], id="deleted, everything else too"),
    pytest.param(state("TT_USER", code=None), [], id="own post, linked"),
    pytest.param(state("TT_USER", code=None, linked=False), [L], id="own post, unlinked"),
    pytest.param(state("TT_USER", code=None, settings_on=False), [],
                 id="own post: account ad settings not needed"),
    pytest.param(state("TT_USER", code=EXPIRED, original=DELETED), [],
                 id="own post: codes do not matter"),
    pytest.param(state("TT_USER", code=None, taken_down=True), [U], id="own post taken down"),
    pytest.param(state("TT_USER", code=None, linked=False, post_deleted=True), [L, U],
                 id="own post unlinked and deleted"),
]


@pytest.mark.parametrize(("spark_post", "expected"), CASES)
def test_stop_reasons(spark_post: SparkPostState, expected: list[StopReason]) -> None:
    assert stop_reasons(spark_post, NOW) == expected


@pytest.mark.parametrize(("spark_post", "expected"), CASES)
def test_status_is_the_first_reason(spark_post: SparkPostState,
                                    expected: list[StopReason]) -> None:
    assert status_at(spark_post, NOW) == (expected[0].value if expected else AUTHORIZED)


def test_every_stop_reason_is_reachable_and_explained() -> None:
    reached = {reason for case in CASES for reason in case.values[1]}
    assert reached == set(StopReason)
    assert set(REASON_TEXT) == set(StopReason)
    assert all(REASON_TEXT[reason] for reason in StopReason)


def test_expiry_stops_ads_without_any_sweep() -> None:
    spark_post = state(code=CodeState(NOW + DAY, ad_account_id="acct"))
    assert stop_reasons(spark_post, NOW + DAY - TICK) == []
    assert stop_reasons(spark_post, NOW + DAY) == [E]


@pytest.mark.parametrize(
    ("spark_post", "expected"),
    [
        pytest.param(state("TT_USER", code=None), None, id="own post: no end"),
        pytest.param(state(code=OK), OK.expires_at, id="one code"),
        pytest.param(state(code=OK, original=EXPIRED), PAST, id="original ends first"),
        pytest.param(state(code=SOON, original=OK), SOON.expires_at, id="code ends first"),
        pytest.param(state(code=None, original=AT_NOW), NOW, id="only an original code"),
    ],
)
def test_window_end(spark_post: SparkPostState, expected: datetime | None) -> None:
    assert window_end(spark_post) == expected


# --- failing closed, and duets/stitches depending on their original ---------------------------

def _duet(*, code: CodeState | None = OK, original_code: CodeState | None = OK,
          original_gone: str | None = None, original_settings_on: bool = True,
          identity: str = "AUTH_CODE") -> SparkPostState:
    return SparkPostState(
        identity_type=identity,
        code=code,
        original_code=original_code,
        post=PostState(kind="duet", original_post_id="orig"),
        creator=CreatorState("US", PAST),
        original_post=PostState(
            deleted_at=PAST if original_gone == "deleted" else None,
            taken_down_at=PAST if original_gone == "taken_down" else None,
        ),
        original_creator=CreatorState("GB", PAST if original_settings_on else None),
    )


@pytest.mark.parametrize(
    ("spark", "expected"),
    [
        pytest.param(_duet(), [], id="duet with both codes valid runs"),
        pytest.param(_duet(code=None), [D], id="AUTH_CODE without a code fails closed"),
        pytest.param(_duet(original_gone="deleted"), [U], id="original post deleted"),
        pytest.param(_duet(original_gone="taken_down"), [U], id="original post taken down"),
        pytest.param(_duet(original_settings_on=False), [S],
                     id="original creator switched ad settings off"),
        pytest.param(_duet(original_code=EXPIRED), [E], id="original post's code expired"),
        pytest.param(_duet(original_code=DELETED), [D], id="original post's code deleted"),
        pytest.param(_duet(original_gone="deleted", original_settings_on=False,
                           original_code=EXPIRED), [E, U, S], id="everything about the original"),
        pytest.param(_duet(identity="TT_USER", code=None, original_code=None,
                           original_settings_on=False), [],
                     id="own account: no code needed, settings do not matter"),
    ],
)
def test_duets_depend_on_their_original(spark: SparkPostState, expected: list[StopReason]) -> None:
    assert stop_reasons(spark, NOW) == expected
