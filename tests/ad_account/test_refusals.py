"""Ad account refusals, each with its code and the words a person reads."""

from __future__ import annotations

from tests import factories as f
from tests.integration._http import assert_error


def test_an_unknown_time_zone_is_named_with_an_example(client) -> None:  # type: ignore[no-untyped-def]
    h = f.user(client)
    biz = f.business(client, h)["id"]
    r = client.post(f"/v1/businesses/{biz}/ad-accounts", headers=h,
                    json={"name": "A", "timezone": "Mars/Olympus"})
    assert_error(r, 422, "invalid_timezone",
                 "Unknown time zone 'Mars/Olympus'; use an IANA name such as Europe/Berlin.")
