"""The tracker's filter refusals, each with its code and the words a person reads."""

from __future__ import annotations

import pytest

from tests import factories as f
from tests.integration._http import assert_error


@pytest.mark.parametrize("params, code, words", [
    ({"expiring_within": "soon"}, "invalid_expiring_within",
     "expiring_within reads like 3d, 72h, 2w or 1d12h; 'soon' does not."),
    ({"expiring_within": "0d"}, "invalid_expiring_within",
     "expiring_within must be longer than zero."),
    ({"sort": "random"}, "invalid_sort", "(prefix '-' to reverse); 'random' is not."),
])
def test_bad_filters_say_what_is_expected(client, params, code, words) -> None:  # type: ignore[no-untyped-def]
    h = f.user(client)
    business = f.business(client, h)
    for suffix in ("tracker", "tracker.csv"):
        assert_error(client.get(f"/v1/businesses/{business['id']}/{suffix}", headers=h,
                                params=params), 422, code, words)
