"""The connector's pure decisions (connector.rules) and its sealing of secrets (kit.sealing)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from sparkcodes.connector import rules
from sparkcodes.kit.sealing import SealBroken, Sealer

NOW = datetime(2026, 12, 20, 9, 0, tzinfo=UTC)
PROD = rules.PRODUCTION_HOST


@pytest.mark.parametrize(("url", "loopback", "expected"), [
    (None, False, PROD),
    ("", False, PROD),
    ("https://business-api.tiktok.com", False, PROD),
    ("https://business-api.tiktok.com/", False, PROD),
    ("https://business-api.tiktok.com/open_api/v1.3/", False, PROD),
    ("  https://sandbox-ads.tiktok.com  ", False, "https://sandbox-ads.tiktok.com"),
    ("https://tiktok.example.com:8443", False, "https://tiktok.example.com:8443"),
    ("http://127.0.0.1:8000", True, "http://127.0.0.1:8000"),
    ("http://localhost:8000/", True, "http://localhost:8000"),
    ("http://[::1]:9000", True, "http://[::1]:9000"),
])
def test_base_urls_accepted(url, loopback, expected):  # type: ignore[no-untyped-def]
    assert rules.check_base_url(url, default=PROD, allow_loopback_http=loopback) == expected


@pytest.mark.parametrize(("url", "loopback", "fragment"), [
    ("http://business-api.tiktok.com", True, "Use https"),
    ("http://127.0.0.1:8000", False, "switched off"),
    ("ftp://business-api.tiktok.com", False, "absolute https://"),
    ("business-api.tiktok.com", False, "absolute https://"),
    ("https://user:pw@business-api.tiktok.com", False, "Leave credentials out"),
    ("https://business-api.tiktok.com/open_api/v1.2/", False, "Give the host only"),
    ("https://business-api.tiktok.com?x=1", False, "no query string"),
    ("https://business-api.tiktok.com#top", False, "no query string"),
    ("https://business-api.tiktok.com:99999", False, "not a valid URL"),
    ("https://business api.tiktok.com", False, "spaces"),
    ("https://" + "a" * 2001, False, "longer than"),
])
def test_base_urls_refused(url, loopback, fragment):  # type: ignore[no-untyped-def]
    with pytest.raises(rules.InvalidBaseUrl) as exc:
        rules.check_base_url(url, default=PROD, allow_loopback_http=loopback)
    assert exc.value.code == "invalid_base_url" and exc.value.status == 422
    assert fragment in exc.value.message


@pytest.mark.parametrize(("code", "verdict"), [
    (0, "ok"), (40100, "retry"), (40133, "retry"), (40016, "retry"), (50002, "retry"),
    (40102, "revoked"), (40105, "revoked"), (40001, "gone"), (40007, "gone"), (40300, "gone"),
    (40002, "refused"), (40101, "refused"), (40110, "refused"), (50000, "refused"),
])
def test_what_each_tiktok_code_means(code, verdict):  # type: ignore[no-untyped-def]
    assert rules.verdict(code) == verdict


@pytest.mark.parametrize(("status", "retry"), [
    (200, False), (404, False), (400, False), (429, True), (500, True), (502, True), (503, True),
])
def test_which_http_statuses_are_retried(status, retry):  # type: ignore[no-untyped-def]
    assert rules.retryable_http(status) is retry


def facts(**changes) -> rules.ConnectionFacts:  # type: ignore[no-untyped-def]
    base = dict(has_token=True, authorize_expires_at=None, checked_at=NOW, failed=False,
                throttled_until=None, token_revoked_at=None, deleted_at=None, advertisers=2,
                advertisers_gone=0)
    base.update(changes)
    return rules.ConnectionFacts(**base)  # type: ignore[arg-type]


LATER = NOW + timedelta(minutes=5)
EARLIER = NOW - timedelta(minutes=5)


@pytest.mark.parametrize(("changes", "state"), [
    ({}, "healthy"),
    ({"checked_at": None}, "unchecked"),
    ({"failed": True}, "unreachable"),
    ({"throttled_until": LATER}, "throttled"),
    ({"throttled_until": EARLIER}, "healthy"),
    ({"throttled_until": EARLIER, "failed": True}, "unreachable"),
    ({"advertisers_gone": 1}, "advertiser_gone"),
    ({"advertisers_gone": 1, "throttled_until": LATER}, "advertiser_gone"),
    ({"token_revoked_at": EARLIER}, "token_revoked"),
    ({"token_revoked_at": EARLIER, "advertisers_gone": 2}, "token_revoked"),
    ({"has_token": False, "authorize_expires_at": LATER}, "awaiting_authorization"),
    ({"has_token": False, "authorize_expires_at": NOW}, "authorization_expired"),
    ({"has_token": False, "authorize_expires_at": None}, "authorization_expired"),
    ({"deleted_at": EARLIER, "token_revoked_at": EARLIER}, "removed"),
])
def test_state_of_a_connection(changes, state):  # type: ignore[no-untyped-def]
    assert rules.state_of(facts(**changes), NOW) == state


@pytest.mark.parametrize(("state", "alerted", "tell"), [
    ("healthy", None, False),
    ("throttled", None, False),
    ("unreachable", None, False),
    ("token_revoked", None, True),
    ("token_revoked", "token_revoked", False),
    ("token_revoked", "advertiser_gone", True),
    ("advertiser_gone", None, True),
    ("advertiser_gone", "advertiser_gone", False),
])
def test_a_broken_state_is_told_once(state, alerted, tell):  # type: ignore[no-untyped-def]
    assert rules.should_alert(state=state, alerted_state=alerted) is tell


@pytest.mark.parametrize(("state", "fragment"), [
    ("healthy", "Healthy: checked 2026-12-20 09:00 UTC — 2 advertisers reachable."),
    ("token_revoked", "Reconnect"),
    ("advertiser_gone", "Glow US (701)"),
    ("throttled", "until 09:05:00 UTC"),
    ("unreachable", "did not answer"),
    ("awaiting_authorization", "Waiting"),
])
def test_states_in_words(state, fragment):  # type: ignore[no-untyped-def]
    words = rules.state_words(state, checked_at=NOW, summary="2 advertisers reachable",
                              throttled_until=LATER, gone=["Glow US (701)"])
    assert fragment in words


@pytest.mark.parametrize(("state", "note"), [
    ("healthy", "Checked 2026-12-20 09:00 UTC — 2 advertisers reachable."),
    ("token_revoked", "TikTok no longer accepts this connection's access token. Reconnect to "
                      "link it again."),
    ("advertiser_gone", "TikTok no longer lets this token reach Glow US (701). Grant it again "
                        "in TikTok, or remove the connection."),
    ("unreachable", "TikTok did not answer at the last check (2026-12-20 09:00 UTC); sparkcodes "
                    "keeps trying. Check now to try again."),
])
def test_after_its_badge_a_state_is_not_named_twice(state, note):  # type: ignore[no-untyped-def]
    words = rules.state_words(state, checked_at=NOW, summary="2 advertisers reachable",
                              throttled_until=LATER, gone=["Glow US (701)"])
    assert rules.state_note(state, words) == note


@pytest.mark.parametrize(("given", "expected"), [
    (["701", " 702 ", "701", ""], ["701", "702"]),
    (["7012345678901234567"], ["7012345678901234567"]),
])
def test_advertiser_ids_accepted(given, expected):  # type: ignore[no-untyped-def]
    assert rules.check_advertiser_ids(given) == expected


@pytest.mark.parametrize(("given", "fragment"), [
    ([], "at least one"),
    (["  "], "at least one"),
    (["acme"], "is not an advertiser id"),
    (["-1"], "is not an advertiser id"),
    (["١٢٣"], "is not an advertiser id"),  # non-ASCII digits
    ([str(i) for i in range(101)], "at most 100"),
])
def test_advertiser_ids_refused(given, fragment):  # type: ignore[no-untyped-def]
    with pytest.raises(rules.InvalidAdvertiserIds) as exc:
        rules.check_advertiser_ids(given)
    assert exc.value.code == "invalid_advertiser_ids" and fragment in exc.value.message


def test_ids_typed_in_a_form():
    assert rules.split_ids("701, 702\n703  704") == ["701", "702", "703", "704"]


@pytest.mark.parametrize(("app_id", "secret", "fragment"), [
    ("", "s", "app_id"), ("abc", "s", "app_id"), ("1" * 41, "s", "app_id"),
    ("123", "", "secret"), ("123", "a b", "secret"), ("123", "s" * 201, "secret"),
])
def test_app_credentials_refused(app_id, secret, fragment):  # type: ignore[no-untyped-def]
    with pytest.raises(rules.InvalidAppCredentials) as exc:
        rules.check_app_credentials(app_id, secret)
    assert exc.value.code == "invalid_app_credentials" and fragment in exc.value.message


@pytest.mark.parametrize("token", ["", "   ", "a b", "x" * 1001])
def test_access_tokens_refused(token):  # type: ignore[no-untyped-def]
    with pytest.raises(rules.InvalidAccessToken) as exc:
        rules.check_access_token(token)
    assert exc.value.code == "invalid_access_token"
    assert exc.value.message == "Paste the long-lived access token TikTok gave you."


@pytest.mark.parametrize("token", ["\ufeff", "\ufeffsct_abc", "sct_\u200babc", "tökén",
                                   "tok\u00e9n", "a\x7fb", "a\x00b"])
def test_access_tokens_with_characters_no_header_can_carry_are_refused(token):  # type: ignore[no-untyped-def]
    """Regression: a token with a byte-order mark (or any non-ASCII character) reached httpx,
    which could not put it in the Access-Token header: UnicodeEncodeError, a 500."""
    with pytest.raises(rules.InvalidAccessToken) as exc:
        rules.check_access_token(token)
    assert exc.value.code == "invalid_access_token" and exc.value.status == 422
    assert "paste it again exactly as TikTok shows it" in exc.value.message


def test_an_access_token_is_trimmed_and_kept_as_pasted():
    assert rules.check_access_token("  sct_AbC-123_x.y~  ") == "sct_AbC-123_x.y~"


# --- sealing ------------------------------------------------------------------------------------

def test_a_sealed_value_opens_and_hides_the_value():
    box = Sealer("key-one")
    sealed = box.seal("act.secret-token")
    assert "secret-token" not in sealed and box.open(sealed) == "act.secret-token"
    assert box.seal("x") != box.seal("x")  # a fresh IV each time


def test_rotation_reads_old_values_and_reseals_them_under_the_new_key():
    old = Sealer("key-one").seal("tok")
    rotating = Sealer("key-two", ["key-one"])
    assert rotating.open(old) == "tok" and not rotating.is_current(old)
    new = rotating.reseal(old)
    assert rotating.is_current(new) and Sealer("key-two").open(new) == "tok"
    with pytest.raises(SealBroken):
        Sealer("key-two").open(old)
    with pytest.raises(SealBroken):
        Sealer("key-three").reseal(old)


def test_keys_are_derived_per_purpose():
    assert Sealer("k").open(Sealer("k").seal("v")) == "v"
    with pytest.raises(SealBroken):
        Sealer("k", info=b"another purpose").open(Sealer("k").seal("v"))


# --- the mirror ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "want"), [
    ("2026-03-01 10:00:00", datetime(2026, 3, 1, 10, tzinfo=UTC)),
    ("2026-03-01T10:00:00Z", datetime(2026, 3, 1, 10, tzinfo=UTC)),
    ("2026-03-01T12:00:00+02:00", datetime(2026, 3, 1, 10, tzinfo=UTC)),
    ("", None), (None, None), ("yesterday", None), (17, None),
])
def test_tiktok_times_are_read_as_utc(text, want):  # type: ignore[no-untyped-def]
    assert rules.parse_time(text) == want


SYNCED = datetime(2026, 3, 1, 10, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(("text", "want"), [
    ("2026-03-01 09:00:00", datetime(2026, 3, 1, 9, tzinfo=UTC)),
    ("2026-03-01 10:00:30", SYNCED),
    # TikTok's clock a second ahead of ours: what it says happened has happened.
    ("2026-03-01 10:00:31", SYNCED), ("2026-03-02T00:00:00Z", SYNCED),
    ("", SYNCED), (None, SYNCED), ("soon", SYNCED),
])
def test_what_tiktok_says_happened_is_never_after_now(text, want):  # type: ignore[no-untyped-def]
    assert rules.happened_at(text, SYNCED) == want


@pytest.mark.parametrize(("auth_code", "hint"), [
    ("SPARK-ABCD-…", "ABCD"), ("spark-wxyz-efgh", "WXYZ"), ("#Xy1+abc/def=", "XY1A"),
    ("", ""), (None, ""),
])
def test_the_mirror_keeps_only_a_codes_first_symbols(auth_code, hint):  # type: ignore[no-untyped-def]
    assert rules.code_hint(auth_code) == hint


@pytest.mark.parametrize(("info", "kind"), [
    ({}, "video"), ({"stitch_original_item_id": "7"}, "stitch"),
    ({"duet_original_item_id": "7"}, "duet"), ({"stitch_original_item_id": None}, "video"),
])
def test_post_kinds(info, kind):  # type: ignore[no-untyped-def]
    assert rules.post_kind(info) == kind


@pytest.mark.parametrize(("status", "visibility"), [
    ("HESITATE_RECOMMEND", "public"), ("ONLY_FRIEND_SEE", "friends"),
    ("ONLY_AUTHOR_SEE", "private"), ("ITEM_STATUS_ONLY_AUTHOR_SEE", "private"),
    ("AUDIT_DELETE", "public"), (None, "public"),
])
def test_visibility_of_tiktok_statuses(status, visibility):  # type: ignore[no-untyped-def]
    assert rules.visibility_of(status) == visibility


T0 = datetime(2026, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize(("ends", "days"), [
    (T0 + timedelta(days=30), 30), (T0 + timedelta(days=29, hours=1), 30),
    (T0 + timedelta(minutes=1), 1), (T0, 1),
])
def test_window_days_round_up(ends, days):  # type: ignore[no-untyped-def]
    assert rules.window_days(T0, ends) == days


def test_schedules_are_due_after_their_period():  # type: ignore[no-untyped-def]
    assert rules.sync_due(last_started_at=None, now=T0, minutes=15)
    assert not rules.sync_due(last_started_at=T0 - timedelta(minutes=14), now=T0, minutes=15)
    assert rules.sync_due(last_started_at=T0 - timedelta(minutes=15), now=T0, minutes=15)
    assert rules.check_due(checked_at=None, now=T0, minutes=60)
    assert not rules.check_due(checked_at=T0 - timedelta(minutes=59), now=T0, minutes=60)


def test_stages_run_in_order_and_stop_at_done():  # type: ignore[no-untyped-def]
    assert [rules.next_stage(s) for s in rules.SYNC_STAGES] == [
        "posts", "ads", "spend", "reconcile", "done", "done"]


@pytest.mark.parametrize(("value", "micros"), [
    ("12.34", 12_340_000), (0.5, 500_000), (3, 3_000_000), ("0.0000015", 2), (None, 0),
    ("", 0), ("n/a", 0), ("-1", 0), ("NaN", 0), (True, 0)])
def test_tiktok_money_in_micros(value, micros):  # type: ignore[no-untyped-def]
    assert rules.micros_of(value) == micros


@pytest.mark.parametrize(("value", "count"), [("42", 42), (7, 7), (None, 0), ("x", 0),
                                              ("-3", 0)])
def test_report_counts(value, count):  # type: ignore[no-untyped-def]
    assert rules.count_of(value) == count


def test_deleted_and_paused_as_tiktok_says():  # type: ignore[no-untyped-def]
    assert rules.is_deleted({"secondary_status": "AD_STATUS_DELETE"})
    assert rules.is_deleted({"secondary_status": "ADGROUP_STATUS_DELETE"})
    # An ad whose campaign is deleted is not itself deleted: the campaign's row says it.
    assert not rules.is_deleted({"secondary_status": "AD_STATUS_CAMPAIGN_DELETE"})
    assert rules.is_paused({"operation_status": "DISABLE"})
    assert not rules.is_paused({"operation_status": "ENABLE"}) and not rules.is_paused({})


def test_advertiser_time_zone_and_the_days_a_sync_reads():  # type: ignore[no-untyped-def]
    assert rules.zone_or("America/Los_Angeles", "UTC") == "America/Los_Angeles"
    assert rules.zone_or("Mars/Olympus", "UTC") == "UTC"
    assert rules.zone_or(None, "Europe/Paris") == "Europe/Paris"
    at = datetime(2026, 3, 2, 5, 0, tzinfo=UTC)  # still 1 March in Los Angeles
    assert rules.report_days(at, "America/Los_Angeles") == (date(2026, 2, 28), date(2026, 3, 1))
    assert rules.report_days(at, "UTC") == (date(2026, 3, 1), date(2026, 3, 2))
    assert rules.chunks(["a", "b", "c"], 2) == [["a", "b"], ["c"]]
    assert rules.chunks([], 2) == []


def test_sync_words():  # type: ignore[no-untyped-def]
    words = rules.sync_words(finished_at=T0, started_at=T0, stage="done",
                             counts={"spark_posts": 3, "unbound": 1}, error=None)
    assert words == "Synced 2026-03-01 00:00 UTC: 3 Spark posts, 1 no longer on TikTok."
    assert rules.sync_words(finished_at=None, started_at=T0, stage="posts",
                            counts={"spark_posts": 1}, error="TikTok: down.").startswith(
        "Sync paused at posts (1 Spark post so far): TikTok: down. It resumes")
    assert rules.sync_words(finished_at=T0, started_at=T0, stage="identities", counts={},
                            error="TikTok: “revoked” (40105)").startswith("Sync stopped")
    assert rules.sync_words(finished_at=None, started_at=T0, stage="posts", counts={},
                            error=None) == "Syncing since 00:00 UTC (posts, 0 Spark posts so far)."


@pytest.mark.parametrize(("kind", "code", "message", "words"), [
    ("budget", None, "This connection's call budget is spent for this second.",
     "Not sent to TikTok: This connection's call budget is spent for this second."),
    ("budget", None, "", "Not sent to TikTok: the call budget was spent."),
    ("retry", 40100, "Too many requests", "TikTok: “Too many requests” (40100)."),
    ("revoked", 40105, "Access token is revoked", "TikTok: “Access token is revoked” (40105)."),
    ("refused", 40002, "", "TikTok answered code 40002."),
    ("refused", None, "The base URL did not answer as TikTok's API does.",
     "TikTok: The base URL did not answer as TikTok's API does."),
    ("refused", None, "", "TikTok refused the call."),
    ("unreachable", None, "TikTok did not answer in time.", "TikTok did not answer in time."),
    ("unreachable", None, "", "TikTok did not answer."),
])
def test_failure_words(kind, code, message, words):  # type: ignore[no-untyped-def]
    assert rules.failure_words(kind, code, message) == words
    assert "None" not in words


@pytest.mark.parametrize("removed", [False, True])
@pytest.mark.parametrize("has_token", [False, True])
@pytest.mark.parametrize("token_revoked", [False, True])
@pytest.mark.parametrize("advertiser_gone", [False, True])
def test_can_act_on_only_a_whole_connection(removed, has_token, token_revoked, advertiser_gone):  # type: ignore[no-untyped-def]
    usable = has_token and not (removed or token_revoked or advertiser_gone)
    assert rules.can_act_on(has_token=has_token, removed=removed, token_revoked=token_revoked,
                            advertiser_gone=advertiser_gone) is usable
