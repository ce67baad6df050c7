"""Every /v1 operation checked against the app's own OpenAPI document with Schemathesis.

A world is seeded first (a creator with posts and codes, a business with ad accounts, a bound
code, a campaign, an ad group and an ad, a webhook endpoint, a calendar feed, a developer app),
all owned by one user whose token every case sends, and the generated path parameters are
replaced by those real ids most of the time: so the cases reach the routes' logic instead of
stopping at 404. Each answer must not be a server error, its status must be one the document
lists for the operation, and its body must match the schema documented for that status.

Bounded: a few examples per operation (EXAMPLES), so the run takes a couple of minutes on a
busy machine. It runs on SQLite; the same checks on PostgreSQL when it is configured.
"""

from __future__ import annotations

import time
import zlib
from collections import Counter
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests import factories as f

EXAMPLES = 6
# What the seeded ids replace, one case in four keeps the generated value (an unknown id).
REAL_ID_SHARE = 4


def seed(client: Any) -> tuple[dict[str, str], dict[str, str]]:
    """One user who owns everything; the ids the /v1 paths name, by parameter name."""
    headers = f.user(client)
    creator = f.creator(client, headers)
    post = f.post(client, headers, creator["id"])
    bound = f.code(client, headers, post["id"])
    other_post = f.post(client, headers, creator["id"])
    code = f.code(client, headers, other_post["id"])
    business = f.business(client, headers)
    account = f.ad_account(client, headers, business["id"])
    spark_post_id = f.spark_post_id(client, headers, account["id"], bound["code"])
    campaign = f.campaign(client, headers, account["id"])
    ad_group = f.ad_group(client, headers, campaign["id"])
    ad = f.ad(client, headers, ad_group["id"], spark_post_id)
    endpoint = client.post(f"/v1/businesses/{business['id']}/webhook-endpoints",
                           headers=headers, json={"url": "http://127.0.0.1:9/hook"})
    assert endpoint.status_code == 201, endpoint.text
    feed = client.post(f"/v1/businesses/{business['id']}/calendar-feeds", headers=headers,
                       json={})
    assert feed.status_code == 201, feed.text
    me = client.get("/v1/me", headers=headers).json()
    third_post = f.post(client, headers, creator["id"])
    created = {
        "developer_app_id": client.post("/v1/developer-apps", headers=headers, json={
            "name": "Schedule tool", "redirect_url": "https://tool.example.com/back"}),
        "code_request_id": client.post(f"/v1/ad-accounts/{account['id']}/code-requests",
                                       headers=headers,
                                       json={"post_id": third_post["id"], "days": 30}),
        "renewal_request_id": client.post(f"/v1/ad-accounts/{account['id']}/renewal-requests",
                                          headers=headers,
                                          json={"authorization_id": bound["id"], "days": 30}),
        "contract_id": client.post(f"/v1/businesses/{business['id']}/contracts", headers=headers,
                                   json={"creator_id": creator["id"],
                                         "starts_at": "2026-01-01T00:00:00Z",
                                         "ends_at": "2027-12-31T00:00:00Z"}),
        "entry_id": client.post(f"/v1/businesses/{business['id']}/roster", headers=headers,
                                json={"creator_id": creator["id"]}),
    }
    for name, response in created.items():
        assert response.status_code == 201, (name, response.text)
    ids = {
        "creator_id": creator["id"], "post_id": other_post["id"],
        "authorization_id": code["id"], "business_id": business["id"],
        "ad_account_id": account["id"], "spark_post_id": spark_post_id,
        "campaign_id": campaign["id"], "ad_group_id": ad_group["id"], "ad_id": ad["id"],
        "endpoint_id": endpoint.json()["id"], "feed_id": feed.json()["id"],
        "user_id": me["id"],
        **{name: response.json()["id"] for name, response in created.items()},
    }
    return headers, ids


@pytest.fixture
def world(client) -> tuple[dict[str, str], dict[str, str]]:  # type: ignore[no-untyped-def]
    return seed(client)


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]


def _real_ids(case: Any, ids: dict[str, str]) -> None:
    for name, generated in list((case.path_parameters or {}).items()):
        if name in ids and zlib.crc32(repr(generated).encode()) % REAL_ID_SHARE:
            case.path_parameters[name] = ids[name]


def test_v1_answers_as_documented(app, world):  # type: ignore[no-untyped-def]
    headers, ids = world
    schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex="^/v1/")
    started = time.monotonic()
    operations = cases = 0
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    # Deletions last, so the seeded world is there for every other operation.
    every = sorted((result.ok() for result in schema.get_all_operations()),
                   key=lambda op: op.method.lower() == "delete")
    for operation in every:
        operations += 1

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        def run(case: Any) -> None:
            nonlocal cases
            _real_ids(case, ids)
            response = case.call(headers=headers)
            cases += 1
            statuses[response.status_code] += 1
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - report every one
            failures.append(f"{operation.label}: {exc}")
    took = time.monotonic() - started
    print(f"schemathesis: {operations} operations, {cases} cases in {took:.0f} s; "
          f"statuses {dict(sorted(statuses.items()))}")
    assert operations >= 100 and cases >= operations
    assert not failures, f"{len(failures)} of {operations} operations failed:\n" + "\n\n".join(
        failures)
