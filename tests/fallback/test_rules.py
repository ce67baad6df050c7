"""Fallback policies (R27): valid policies, backups, when a policy is due, what it does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sparkcodes import errors
from sparkcodes.fallback.rules import (
    BackupState,
    Plan,
    Policy,
    awaiting,
    check_backup,
    check_policy,
    default,
    default_notice_needed,
    due,
    plan,
)

END = datetime(2026, 3, 1, 12, tzinfo=UTC)
H = timedelta(hours=1)
TICK = timedelta(microseconds=1)


def test_the_default_is_notify() -> None:
    assert default(24) == Policy("notify", 24, None)


@pytest.mark.parametrize(("action", "hours", "backup", "expected"), [
    ("notify", 24, None, Policy("notify", 24)),
    ("PAUSE", 1, None, Policy("pause", 1)),
    (" swap ", 720, "ad2", Policy("swap", 720, "ad2")),
])
def test_check_policy(action: str, hours: int, backup: str | None, expected: Policy) -> None:
    assert check_policy(action=action, hours_before=hours, backup_ad_id=backup) == expected


@pytest.mark.parametrize(("action", "hours", "backup", "code", "fragment"), [
    ("delete", 24, None, "invalid_fallback_action", "notify, pause or swap"),
    ("", 24, None, "invalid_fallback_action", "notify, pause or swap"),
    ("pause", 0, None, "invalid_hours_before", "between 1 and 720; 0 is not"),
    ("pause", 721, None, "invalid_hours_before", "721 is not"),
    ("swap", 24, None, "backup_ad_required", "needs backup_ad_id"),
    ("swap", 24, "", "backup_ad_required", "needs backup_ad_id"),
    ("pause", 24, "ad2", "backup_ad_not_used", "only with the swap action"),
])
def test_check_policy_refusals(action, hours, backup, code, fragment) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(errors.InvalidInput) as exc:
        check_policy(action=action, hours_before=hours, backup_ad_id=backup)
    assert exc.value.code == code and fragment in exc.value.message


def _backup(**kw) -> BackupState:  # type: ignore[no-untyped-def]
    values = {"ad_id": "b", "ad_account_id": "acc", "deleted": False,
              "codes": frozenset({"other"})}
    values.update(kw)
    return BackupState(**values)


def test_a_good_backup() -> None:
    check_backup(_backup(), ad_account_id="acc", group_codes={"c1"})
    check_backup(_backup(codes=frozenset()), ad_account_id="acc", group_codes={"c1"})


@pytest.mark.parametrize(("backup", "error", "code"), [
    pytest.param(None, errors.NotFound, "not_found", id="unknown"),
    pytest.param(_backup(ad_account_id="elsewhere"), errors.NotFound, "not_found",
                 id="another ad account"),
    pytest.param(_backup(deleted=True), errors.Gone, "ad_deleted", id="deleted"),
    pytest.param(_backup(codes=frozenset({"c1", "x"})), errors.Conflict, "backup_on_same_code",
                 id="same code"),
])
def test_check_backup_refusals(backup, error, code) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error) as exc:
        check_backup(backup, ad_account_id="acc", group_codes={"c1"})
    assert exc.value.code == code and len(exc.value.message.split()) > 3


@pytest.mark.parametrize(("now", "hours", "expected"), [
    pytest.param(END - 24 * H - TICK, 24, False, id="just before the window"),
    pytest.param(END - 24 * H, 24, True, id="exactly hours_before"),
    pytest.param(END - TICK, 24, True, id="just before the end"),
    pytest.param(END, 24, False, id="at the end: too late, the code lapsed"),
    pytest.param(END - 47 * H, 48, True, id="a wider window"),
])
def test_due(now: datetime, hours: int, expected: bool) -> None:
    assert due(END, now, hours) is expected


@pytest.mark.parametrize(("policy", "backup", "expected"), [
    pytest.param(Policy("notify", 24), None, Plan(False, False), id="notify"),
    pytest.param(Policy("pause", 24), None, Plan(True, False), id="pause"),
    pytest.param(Policy("swap", 24, "b"), _backup(), Plan(True, True), id="swap"),
    pytest.param(Policy("swap", 24, "b"), _backup(codes=frozenset()), Plan(True, True),
                 id="swap to an own-post ad"),
    pytest.param(Policy("swap", 24, "b"), None,
                 Plan(True, False, "the backup ad no longer exists, so the ad was only paused"),
                 id="backup gone"),
    pytest.param(Policy("swap", 24, "b"), _backup(deleted=True),
                 Plan(True, False, "the backup ad no longer exists, so the ad was only paused"),
                 id="backup deleted"),
    pytest.param(Policy("swap", 24, "b"), _backup(codes=frozenset({"c1"})),
                 Plan(True, False, "the backup ad runs on the same code, so the ad was only "
                      "paused"), id="backup moved onto the same code"),
    pytest.param(Policy("swap", 24, "a"), _backup(ad_id="a"),
                 Plan(True, False, "the backup ad runs on the same code, so the ad was only "
                      "paused"), id="the ad is its own backup"),
])
def test_plan(policy: Policy, backup: BackupState | None, expected: Plan) -> None:
    assert plan(policy, ad_id="a", ad_account_id="acc", ad_codes={"c1"}, backup=backup) == expected


@pytest.mark.parametrize(("hours", "offsets", "needed"), [
    pytest.param(24, [72, 24], False, id="the T-24h reminder is the notice"),
    pytest.param(72, [72, 24], False, id="the T-72h reminder is the notice"),
    pytest.param(36, [72, 24], True, id="another moment: the sweep tells"),
    pytest.param(24, [], True, id="no reminders at all"),
])
def test_default_notice_needed(hours: int, offsets: list[int], needed: bool) -> None:
    assert default_notice_needed(hours, offsets) is needed


@pytest.mark.parametrize(("now", "queued", "expected"), [
    pytest.param(END - 49 * H, None, False, id="beyond the horizon"),
    pytest.param(END - 48 * H, None, True, id="at the horizon"),
    pytest.param(END - H, None, True, id="an hour before"),
    pytest.param(END - H, END, False, id="queued for this end"),
    pytest.param(END - H, END - 24 * H, True, id="queued for an earlier end: re-armed"),
    pytest.param(END, None, False, id="the end: nothing left to prevent"),
])
def test_awaiting(now: datetime, queued: datetime | None, expected: bool) -> None:
    assert awaiting(END, queued, now, 48) is expected
    assert awaiting(None, queued, now, 48) is False
