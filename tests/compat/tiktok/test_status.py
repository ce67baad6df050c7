"""sparkcodes' delivery reasons in TikTok's status names: every reason has a secondary status,
and pauses and deletions name the level that caused them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest

from sparkcodes.ad import rules as ad_rules
from sparkcodes.compat.tiktok import status

NOW = datetime(2026, 12, 5, 12, tzinfo=UTC)
R = ad_rules.Reason


def _obj(**kw):  # type: ignore[no-untyped-def]
    values = {"disabled_at": None, "deleted_at": None, "created_at": NOW - timedelta(days=3),
              "schedule_start_at": NOW - timedelta(days=1), "schedule_end_at": None}
    values.update(kw)
    return SimpleNamespace(**values)


@dataclass
class _View:
    ad: object
    group: object
    campaign: object
    delivery: object


def _view(reasons, ad=None, group=None, campaign=None):  # type: ignore[no-untyped-def]
    return _View(ad or _obj(), group or _obj(), campaign or _obj(),
                 SimpleNamespace(reasons=list(reasons)))


def test_every_reason_has_a_secondary_status() -> None:
    assert set(status.AD_SECONDARY) | {R.PAUSED, R.DELETED} == set(R)


@pytest.mark.parametrize(("reason", "expected"), sorted(status.AD_SECONDARY.items()))
def test_each_reason(reason, expected) -> None:  # type: ignore[no-untyped-def]
    assert status.ad_secondary(_view([reason])) == expected


def test_delivering() -> None:
    assert status.ad_secondary(_view([])) == "AD_STATUS_DELIVERY_OK"


@pytest.mark.parametrize(("level", "expected"), [
    ("ad", "AD_STATUS_DISABLE"), ("group", "AD_STATUS_ADGROUP_DISABLE"),
    ("campaign", "AD_STATUS_CAMPAIGN_DISABLE"),
])
def test_a_pause_names_its_level(level, expected) -> None:  # type: ignore[no-untyped-def]
    view = _view([R.PAUSED], **{level: _obj(disabled_at=NOW)})
    assert status.ad_secondary(view) == expected


@pytest.mark.parametrize(("level", "expected"), [
    ("ad", "AD_STATUS_DELETE"), ("group", "AD_STATUS_ADGROUP_DELETE"),
    ("campaign", "AD_STATUS_CAMPAIGN_DELETE"),
])
def test_a_deletion_names_its_level(level, expected) -> None:  # type: ignore[no-untyped-def]
    view = _view([R.DELETED, R.PAUSED], **{level: _obj(deleted_at=NOW)})
    assert status.ad_secondary(view) == expected


def test_the_first_reason_decides() -> None:
    assert status.ad_secondary(_view([R.AUTHORIZATION_EXPIRED, R.BUDGET_EXHAUSTED])) == \
        "AD_STATUS_ASSET_AUTHORIZATION_LOST"


@pytest.mark.parametrize(("group", "campaign", "expected"), [
    ({}, {}, "ADGROUP_STATUS_DELIVERY_OK"),
    ({"deleted_at": NOW}, {"deleted_at": NOW}, "ADGROUP_STATUS_DELETE"),
    ({}, {"deleted_at": NOW}, "ADGROUP_STATUS_CAMPAIGN_DELETE"),
    ({"disabled_at": NOW}, {"disabled_at": NOW}, "ADGROUP_STATUS_DISABLE"),
    ({}, {"disabled_at": NOW}, "ADGROUP_STATUS_CAMPAIGN_DISABLE"),
    ({"schedule_start_at": NOW + timedelta(hours=1)}, {}, "ADGROUP_STATUS_NOT_START"),
    ({"schedule_end_at": NOW}, {}, "ADGROUP_STATUS_TIME_DONE"),
    ({"schedule_end_at": NOW + timedelta(seconds=1)}, {}, "ADGROUP_STATUS_DELIVERY_OK"),
])
def test_ad_group_statuses(group, campaign, expected) -> None:  # type: ignore[no-untyped-def]
    assert status.ad_group_secondary(_obj(**group), _obj(**campaign), NOW) == expected


@pytest.mark.parametrize(("campaign", "expected"), [
    ({}, "CAMPAIGN_STATUS_ENABLE"), ({"disabled_at": NOW}, "CAMPAIGN_STATUS_DISABLE"),
    ({"disabled_at": NOW, "deleted_at": NOW}, "CAMPAIGN_STATUS_DELETE"),
])
def test_campaign_statuses(campaign, expected) -> None:  # type: ignore[no-untyped-def]
    assert status.campaign_secondary(_obj(**campaign)) == expected


@pytest.mark.parametrize(("fields", "expected"), [
    ({}, "ENABLE"), ({"disabled_at": NOW}, "DISABLE"), ({"deleted_at": NOW}, "DISABLE"),
])
def test_operation_status(fields, expected) -> None:  # type: ignore[no-untyped-def]
    assert status.operation_status(_obj(**fields)) == expected


def test_modify_time_is_the_latest_change() -> None:
    assert status.modify_time(_obj(disabled_at=NOW)) == NOW
    assert status.modify_time(_obj()) == NOW - timedelta(days=3)
