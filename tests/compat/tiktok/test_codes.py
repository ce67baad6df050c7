"""The one table that maps sparkcodes' errors to TikTok's return codes: a test per row, and the
fallback by HTTP status for codes the table does not name."""

from __future__ import annotations

import pytest

from sparkcodes import errors
from sparkcodes.compat.tiktok import codes

EXPECTED = {
    "code_not_found": 40002, "code_mistyped": 40002, "code_expired": 40002,
    "code_deleted": 40002, "ad_settings_off": 40002, "region_not_supported": 40002,
    "story_not_supported": 40002, "nested_duet_not_supported": 40002,
    "original_post_code_required": 40002, "original_post_code_mismatch": 40002,
    "original_post_code_invalid": 40002, "batch_empty": 40002, "caption_not_editable": 40002,
    "caption_locked": 40002, "invalid_call_to_action": 40002,
    "invalid_landing_page_url": 40002, "invalid_utm_parameter": 40002,
    "invalid_operation_status": 40002, "invalid_objective": 40002,
    "invalid_budget_mode": 40002, "invalid_budget": 40002, "invalid_schedule": 40002,
    "invalid_name": 40002, "invalid_date_range": 40002, "validation_error": 40002,
    "invalid_characters": 40002, "invalid_value": 40002, "spark_post_in_use": 40002,
    "spark_post_unbound": 40002, "identity_not_linked": 40002, "ad_group_deleted": 40002,
    "ad_deleted": 40002,
    "code_used_elsewhere": 40001, "original_post_code_used_elsewhere": 40001,
    "forbidden": 40001, "role_insufficient": 40001,
    "post_unavailable": 40007, "post_not_found": 40007, "not_found": 40007,
    "ad_not_found": 40007,
    "batch_too_large": 40011, "capacity_reached": 40502, "identity_capacity_reached": 40502,
    "rate_limited": 40016, "limiter_unavailable": 50002, "unauthorized": 40105,
    "concurrent_update": 40202,
}


def test_the_table_is_the_one_tested_here() -> None:
    assert {k: v[0] for k, v in codes.TABLE.items()} == EXPECTED


@pytest.mark.parametrize("code", sorted(EXPECTED))
def test_each_row(code: str) -> None:
    exc = errors.AppError("The precise reason.", code=code, status=409)
    out = codes.translate(exc)
    assert out.code == EXPECTED[code]
    assert out.message.endswith("The precise reason."), out.message


@pytest.mark.parametrize("code", ["code_not_found", "code_mistyped"])
def test_unknown_and_mistyped_codes_say_post_code_is_incorrect(code: str) -> None:
    out = codes.translate(errors.AppError("Check it with the creator.", code=code, status=404))
    assert out.message == "Post code is incorrect. Check it with the creator."


def test_a_bad_token_keeps_tiktoks_words() -> None:
    out = codes.translate(errors.Unauthorized("That token was revoked; log in again."))
    assert out.code == 40105
    assert out.message.startswith("Access token is incorrect or has been revoked.")


@pytest.mark.parametrize(("status", "expected"), [
    (401, 40105), (403, 40001), (404, 40007), (409, 40002), (410, 40002), (413, 40002),
    (422, 40002), (429, 40016), (503, 50002), (400, 40002), (418, 40002),
])
def test_codes_not_in_the_table_fall_back_on_their_http_status(status: int,
                                                               expected: int) -> None:
    exc = errors.AppError("Something.", code="a_code_nobody_mapped", status=status)
    assert codes.translate(exc).code == expected
