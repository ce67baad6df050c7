"""TikTok's wire conventions on /open_api/v1.3 (§1 of the reference), checked with raw HTTP and
no SDK: the envelope and its request_id; HTTP 200 for every business error with ``data: {}``;
GET parameters as one JSON-encoded value each (repeated keys refused with "error unmarshaling
parameter"); bad JSON, bad types and out-of-range pages refused as 40002; unknown parameters
ignored; booleans as Python writes them; the query-form ``access_token``; unknown paths 40008,
a missing trailing slash HTTP 404 in the envelope, a wrong method 40002; and never a 5xx for any
of it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests import factories as f
from tests import tiktok_world as tw

P = tw.PREFIX
ENVELOPE_KEYS = {"code", "message", "request_id", "data"}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


@pytest.fixture
def http(live_url) -> Iterator[httpx.Client]:  # type: ignore[no-untyped-def]
    with httpx.Client(base_url=live_url, timeout=30, follow_redirects=False) as c:
        yield c


@pytest.fixture
def w(client) -> tw.SparkWorld:  # type: ignore[no-untyped-def]
    return tw.SparkWorld(client)


def envelope(r: httpx.Response, status: int = 200) -> dict[str, Any]:
    """TikTok's envelope, exactly: four keys, typed; errors carry ``data: {}``."""
    assert r.status_code == status, (r.status_code, r.request.method, str(r.request.url), r.text)
    assert r.headers["content-type"].startswith("application/json"), r.headers
    body = r.json()
    assert set(body) == ENVELOPE_KEYS, body
    assert isinstance(body["code"], int) and not isinstance(body["code"], bool), body
    assert isinstance(body["message"], str) and body["message"], body
    assert isinstance(body["request_id"], str) and body["request_id"].strip(), body
    assert isinstance(body["data"], dict), body
    if body["code"] == 0:
        assert body["message"] == "OK", body
    else:
        assert body["data"] == {}, body
    return body


def ok(r: httpx.Response) -> dict[str, Any]:
    body = envelope(r)
    assert body["code"] == 0, body
    return body["data"]


def refused(r: httpx.Response, code: int, *fragments: str, status: int = 200) -> str:
    body = envelope(r, status)
    assert body["code"] == code, (code, str(r.request.url), body)
    for fragment in fragments:
        assert fragment.lower() in body["message"].lower(), (fragment, body)
    return body["message"]


def get(http: httpx.Client, path: str, token: str | None, params: Any = None) -> httpx.Response:
    headers = {} if token is None else {"Access-Token": token}
    return http.get(P + path, params=params, headers=headers)


def post(http: httpx.Client, path: str, token: str | None, body: Any = None, *,
         content: bytes | str | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/json"}
    if token is not None:
        headers["Access-Token"] = token
    if content is None:
        content = json.dumps(body)
    return http.post(P + path, content=content, headers=headers)


def served(app) -> dict[str, set[str]]:  # type: ignore[no-untyped-def]
    """Every /open_api path the surface serves, with its methods (the catch-all left out)."""
    out: dict[str, set[str]] = {}
    for method, path, _ in f.api_routes(app, tiktok=True):
        if "{" not in path:
            out.setdefault(path, set()).add(method)
    return out


# --- the envelope --------------------------------------------------------------------------------

def test_success_envelope_and_request_ids(http, w):
    ids = set()
    for _ in range(3):
        r = get(http, "/identity/get/", w.token, {"advertiser_id": w.advertiser_id})
        data = ok(r)
        assert data["identity_list"] == []
        ids.add(r.json()["request_id"])
    data = ok(get(http, "/tt_video/list/", w.token, {"advertiser_id": w.advertiser_id}))
    assert data["page_info"] == {"page": 1, "page_size": 20, "total_number": 0, "total_page": 0}
    assert len(ids) == 3  # one per request


def test_errors_are_http_200_with_empty_data(http, w):
    adv = w.advertiser_id
    cases = [
        (get(http, "/tt_video/list/", None, {"advertiser_id": adv}), 40104),
        (get(http, "/tt_video/list/", "nope", {"advertiser_id": adv}), 40105),
        (get(http, "/tt_video/list/", w.token, {"advertiser_id": "42"}), 40001),
        (get(http, "/tt_video/list/", w.token, {}), 40002),
        (get(http, "/tt_video/info/", w.token, {"advertiser_id": adv,
                                                "auth_code": "SPARK-NOPE"}), 40002),
        (post(http, "/tt_video/authorize/", w.token, {"advertiser_id": adv}), 40002),
        (post(http, "/tt_video/unbind/", w.token, {"advertiser_id": adv, "item_id": "1"}), 40007),
        (post(http, "/ad/status/update/", w.token, {"advertiser_id": adv, "ad_ids": ["1"],
                                                    "operation_status": "DISABLE"}), 40007),
    ]
    ids = set()
    for r, code in cases:
        refused(r, code)
        ids.add(r.json()["request_id"])
    assert len(ids) == len(cases)
    refused(get(http, "/tt_video/list/", None, {"advertiser_id": adv}), 40104,
            "Access token is null, you should set it in http header with key Access-Token.")
    assert refused(get(http, "/tt_video/list/", "nope", {"advertiser_id": adv}), 40105) == \
        "Access token is incorrect or has been revoked."
    refused(get(http, "/tt_video/list/", w.token, {}), 40002, "advertiser_id")
    # TikTok reads Access-Token only: a bearer token is no token at all.
    r = http.get(P + "/tt_video/list/", params={"advertiser_id": adv},
                 headers={"Authorization": f"Bearer {w.token}"})
    refused(r, 40104)


# --- GET parameters -------------------------------------------------------------------------------

def test_repeated_query_keys_are_refused(http, w):
    adv = w.advertiser_id
    for path, query in [
        ("/tt_video/list/", [("advertiser_id", adv), ("advertiser_id", adv)]),
        ("/tt_video/list/", [("advertiser_id", adv), ("item_types", "VIDEO"),
                             ("item_types", "CAROUSEL")]),
        ("/ad/get/", [("advertiser_id", adv), ("fields", "ad_id"), ("fields", "ad_name")]),
        ("/identity/get/", [("advertiser_id", adv), ("page", "1"), ("page", "2")]),
    ]:
        refused(get(http, path, w.token, query), 40002, "error unmarshaling parameter")


@pytest.mark.parametrize("path, name, value", [
    ("/ad/get/", "filtering", '{"ad_ids": ["1"'),
    ("/ad/get/", "filtering", "ad_ids=1"),
    ("/ad/get/", "filtering", '["1"]'),
    ("/ad/get/", "filtering", '{"ad_ids": "1"}'),  # the message names ad_ids
    ("/ad/get/", "filtering", '{"ad_ids": [["1"]]}'),
    ("/ad/get/", "fields", '["ad_id",'),
    ("/ad/get/", "fields", "ad_id"),
    ("/ad/get/", "fields", '{"ad_id": 1}'),
    ("/campaign/get/", "filtering", "{"),
    ("/adgroup/get/", "filtering", '{"adgroup_ids": [1, 2'),
    ("/tt_video/list/", "item_types", "VIDEO"),
    ("/tt_video/list/", "item_types", '["VIDEO"'),
    ("/tt_video/list/", "item_types", '"VIDEO"'),
    ("/report/integrated/get/", "dimensions", '["ad_id"'),
    ("/report/integrated/get/", "dimensions", "ad_id"),
    ("/report/integrated/get/", "metrics", '["spend",]'),
    ("/report/integrated/get/", "metrics", '{"spend": 1}'),
])
def test_malformed_json_in_query_parameters(http, w, path, name, value):
    query = {"advertiser_id": w.advertiser_id, name: value}
    if path.startswith("/report/"):
        query |= {"report_type": "BASIC", "data_level": "AUCTION_AD", "start_date": "2026-01-01",
                  "end_date": "2026-01-01"}
        query.setdefault("dimensions", '["ad_id"]')
        query.setdefault("metrics", '["spend"]')
        query[name] = value
    words = "ad_ids" if value.startswith('{"ad_ids": [') and value.endswith("}") or \
        value == '{"ad_ids": "1"}' else name
    refused(get(http, path, w.token, query), 40002, words)


@pytest.mark.parametrize("path", ["/tt_video/list/", "/identity/get/", "/ad/get/",
                                  "/campaign/get/", "/adgroup/get/"])
@pytest.mark.parametrize("name, value", [
    ("advertiser_id", "abc"),
    ("advertiser_id", "-1"),
    ("advertiser_id", "1.5"),
    ("advertiser_id", "1e5"),
    ("advertiser_id", "9" * 40),
    ("page", "x"),
    ("page", "0"),
    ("page", "-1"),
    ("page", "1.5"),
    ("page_size", "0"),
    ("page_size", "100000"),
    ("page_size", "x"),
])
def test_wrong_types_in_query_parameters(http, w, path, name, value):
    query = {"advertiser_id": w.advertiser_id, name: value}
    refused(get(http, path, w.token, query), 40002, name)


@pytest.mark.parametrize("path, largest", [("/tt_video/list/", 50), ("/identity/get/", 100),
                                           ("/ad/get/", 1000)])
def test_page_size_bounds(http, w, path, largest):
    query = {"advertiser_id": w.advertiser_id}
    for size in (1, largest):
        assert ok(get(http, path, w.token, query | {"page_size": str(size)}))[
            "page_info"]["page_size"] == size
    refused(get(http, path, w.token, query | {"page_size": str(largest + 1)}), 40002,
            "page_size")


def test_unknown_parameters_are_ignored(http, w, client):
    adv = w.advertiser_id
    ok(post(http, "/tt_video/authorize/", w.token,
            {"advertiser_id": adv, "auth_code": w.code["code"], "auth_codes": ["x"],
             "foo": {"bar": [1]}, "identity_authorized_bc_id": None}))
    data = ok(get(http, "/tt_video/list/", w.token, {
        "advertiser_id": adv, "filtering": json.dumps({"item_ids": ["1"]}),
        "video_ids": '["1"]', "foo": "bar", "page": "1"}))
    assert [e["item_info"]["item_id"] for e in data["list"]] == [w.item_id]
    ok(get(http, "/identity/get/", w.token, {"advertiser_id": adv, "lang": "en",
                                              "x": "[not json"}))
    ok(get(http, "/ad/get/", w.token, {"advertiser_id": adv,
                                       "exclude_field_types_in_response": '["NULL_FIELD"]',
                                       "whatever": "1"}))


def test_query_form_access_token(http, w):
    data = ok(get(http, "/identity/get/", None, {"advertiser_id": w.advertiser_id,
                                                 "access_token": w.token}))
    assert data["identity_list"] == []
    refused(get(http, "/identity/get/", None, {"advertiser_id": w.advertiser_id,
                                               "access_token": "nope"}), 40105)
    refused(get(http, "/identity/get/", None, {"advertiser_id": w.advertiser_id,
                                               "access_token": ""}), 40104)


def test_python_booleans_in_the_query(http, client, w):
    """The SDK sends enable_total_metrics=True/False (§9.3)."""
    day = tw.clock(client, w.brand.headers).date().isoformat()
    base = {"advertiser_id": w.advertiser_id, "report_type": "BASIC", "data_level": "AUCTION_AD",
            "dimensions": '["ad_id"]', "metrics": '["spend", "impressions"]', "start_date": day,
            "end_date": day}
    for value in ("True", "true", "TRUE", "1"):
        data = ok(get(http, "/report/integrated/get/", w.token,
                      base | {"enable_total_metrics": value}))
        assert isinstance(data.get("total_metrics"), dict), (value, data)
        assert set(data["total_metrics"]) >= {"spend", "impressions"}
    for value in ("False", "false", "0"):
        data = ok(get(http, "/report/integrated/get/", w.token,
                      base | {"enable_total_metrics": value}))
        assert not data.get("total_metrics"), (value, data)
    refused(get(http, "/report/integrated/get/", w.token,
                base | {"enable_total_metrics": "maybe"}), 40002, "enable_total_metrics")


def test_null_from_the_sdk_means_absent(http, w):
    """An explicit None goes out as the literal ``null`` (§9.3)."""
    data = ok(get(http, "/identity/get/", w.token, {"advertiser_id": w.advertiser_id,
                                                    "identity_type": "null", "page": "null"}))
    assert data["page_info"]["page"] == 1


# --- POST bodies --------------------------------------------------------------------------------

@pytest.mark.parametrize("content", [b"{", b'{"advertiser_id": ', b"[1, 2]", b'"text"', b"null",
                                     b"42", b"\xff\xfe", b"advertiser_id=1&auth_code=x"])
def test_malformed_json_body(http, w, content):
    r = post(http, "/tt_video/authorize/", w.token, content=content)
    refused(r, 40002)


def test_empty_body_names_the_missing_fields(http, w):
    refused(post(http, "/tt_video/authorize/", w.token, content=b""), 40002, "advertiser_id")
    refused(post(http, "/tt_video/authorize/", w.token, {"advertiser_id": w.advertiser_id}),
            40002, "auth_code")


@pytest.mark.parametrize("body", [
    {"advertiser_id": True, "auth_code": "x"},
    {"advertiser_id": "abc", "auth_code": "x"},
    {"advertiser_id": ["1"], "auth_code": "x"},
    {"advertiser_id": {"id": 1}, "auth_code": "x"},
    {"advertiser_id": 1.5, "auth_code": "x"},
    {"advertiser_id": "ADV", "auth_code": ["SPARK-1"]},
    {"advertiser_id": "ADV", "auth_code": {"code": "x"}},
    {"advertiser_id": "ADV", "auth_code": True},
])
def test_wrong_types_in_the_body(http, w, body):
    body = {k: (w.advertiser_id if v == "ADV" else v) for k, v in body.items()}
    refused(post(http, "/tt_video/authorize/", w.token, body), 40002)
    assert ok(get(http, "/tt_video/list/", w.token,
                  {"advertiser_id": w.advertiser_id}))["list"] == []


def test_advertiser_id_as_a_json_number_is_accepted(http, w):
    ok(post(http, "/tt_video/authorize/", w.token,
            {"advertiser_id": int(w.advertiser_id), "auth_code": w.code["code"]}))


# --- paths and methods --------------------------------------------------------------------------

@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("path", ["/open_api/v1.3/no/such/path/", "/open_api/v1.3/tt_video/nope/",
                                  "/open_api/v1.3/", "/open_api/v1.2/tt_video/list/",
                                  "/open_api/v1.3/identity/video/list/"])
def test_unknown_path_is_40008(http, w, method, path):
    for token in (w.token, None):
        headers = {"Access-Token": token} if token else {}
        refused(http.request(method, path, headers=headers), 40008)


def test_missing_trailing_slash_is_404_in_the_envelope(http, app, w):
    paths = served(app)
    checked = 0
    for path, methods in paths.items():
        if not path.endswith("/") or path[:-1] in paths:
            continue
        for method in methods:
            r = http.request(method, path[:-1], headers={"Access-Token": w.token},
                             params={"advertiser_id": w.advertiser_id})
            refused(r, 40008, status=404)
            checked += 1
    assert checked >= 20


def test_wrong_method_is_40002(http, app, w):
    checked = 0
    for path, methods in served(app).items():
        for method in METHODS:
            if method in methods:
                continue
            r = http.request(method, path, headers={"Access-Token": w.token})
            refused(r, 40002)
            checked += 1
    assert checked >= 80


# --- never a 5xx --------------------------------------------------------------------------------

# The routes of the reference this surface serves (a test below keeps the list complete).
ROUTES = [
    ("POST", "/tt_video/authorize/"), ("GET", "/tt_video/info/"), ("GET", "/tt_video/list/"),
    ("POST", "/tt_video/unbind/"), ("GET", "/identity/get/"), ("GET", "/identity/video/info/"),
    ("GET", "/identity/video/get/"), ("POST", "/campaign/create/"), ("POST", "/campaign/update/"),
    ("GET", "/campaign/get/"), ("POST", "/campaign/status/update/"),
    ("POST", "/adgroup/create/"), ("POST", "/adgroup/update/"), ("GET", "/adgroup/get/"),
    ("POST", "/adgroup/status/update/"), ("POST", "/ad/create/"), ("POST", "/ad/update/"),
    ("GET", "/ad/get/"), ("POST", "/ad/status/update/"), ("GET", "/report/integrated/get/"),
    ("GET", "/advertiser/info/"), ("POST", "/oauth2/access_token/"),
    ("GET", "/oauth2/advertiser/get/"), ("POST", "/oauth2/revoke_token/"),
    ("GET", "/user/info/"),
]
# Parameter names the surface reads somewhere, and values nobody should send.
NAMES = ["advertiser_id", "advertiser_ids", "auth_code", "original_post_auth_code", "item_id",
         "item_ids", "item_types", "item_type", "keyword", "identity_type", "identity_id",
         "identity_authorized_bc_id", "page", "page_size", "cursor", "count", "filtering",
         "fields", "campaign_id", "campaign_ids", "campaign_name", "objective_type",
         "budget_mode", "budget", "adgroup_id", "adgroup_ids", "adgroup_name", "bid_price",
         "schedule_type", "schedule_start_time", "schedule_end_time", "billing_event",
         "operation_status", "ad_ids", "creatives", "report_type", "data_level", "dimensions",
         "metrics", "start_date", "end_date", "enable_total_metrics", "query_lifetime",
         "order_field", "order_type", "app_id", "secret", "access_token"]
# NUL is left out here: it has a test of its own.
QUERY_VALUES = ["x" * 5000, "9" * 40, "[{}]", '{"a":', "", "null", "-1", "1e309", "NaN", "[]",
                "{}", "[null]", '["' + "1" * 30 + '"]', '{"ad_ids": [null]}',
                "[" + ",".join(['"1"'] * 2000) + "]", "\u0661\u0662\u0663", "9999-99-99",
                "2026-02-30 25:61:61", "\ud7ff\u202e"]
BODY_VALUES: list[Any] = [[{}], 10**40, {"a": {"b": []}}, "x" * 5000, None, True, 1.5, -1, "",
                          [], {}, [None], [[]], "9" * 40, [10**40], "1e309",
                          [{"identity_type": None, "identity_id": 10**40}],
                          "2026-02-30 25:61:61", float("1e308")]
NASTIEST = 4  # each name alone gets the first values of the list


def _sends(method: str, adv: str) -> list[dict[str, Any]]:
    values = QUERY_VALUES if method == "GET" else BODY_VALUES
    sends = [{"advertiser_id": adv} | {n: v for n in NAMES} for v in values
             if not isinstance(v, str) or len(v) < 200]  # a URL has a length limit
    sends += [{"advertiser_id": adv, n: v} for n in NAMES for v in values[:NASTIEST]]
    sends += [{"advertiser_id": v} for v in values]
    return sends


def test_the_hostile_input_matrix_covers_every_route(app):
    assert {(m, p[len(P):]) for p, ms in served(app).items() for m in ms
            if p.endswith("/")} <= set(ROUTES)


@pytest.mark.parametrize("method, path", ROUTES, ids=[p.strip("/") for _, p in ROUTES])
def test_never_a_5xx(client, w, method, path):
    """Every route, every parameter, hostile values: an envelope with HTTP 200, never a fault."""
    faults: dict[tuple[int, str], list[str]] = {}
    for send in _sends(method, w.advertiser_id):
        if method == "GET":
            r = client.get(P + path, params=send, headers={"Access-Token": w.token})
        else:
            r = client.post(P + path, content=json.dumps(send),
                            headers={"Access-Token": w.token,
                                     "Content-Type": "application/json"})
        try:
            body = envelope(r)
            assert body["code"] < 50000, body
        except (AssertionError, ValueError):
            faults.setdefault((r.status_code, r.text[:160]), []).append(repr(send)[:160])
    assert not faults, "\n".join(f"HTTP {status} {text} <- {len(sent)} sends, e.g. {sent[0]}"
                                  for (status, text), sent in faults.items())


@pytest.mark.parametrize("method, path, send", [
    ("GET", "/tt_video/list/", {"keyword": "a\x00b"}),
    ("POST", "/tt_video/authorize/", {"auth_code": "SPARK-\x00"}),
    ("POST", "/campaign/create/", {"campaign_name": "a\x00b", "objective_type": "ENGAGEMENT"}),
])
def test_nul_characters_are_refused_in_the_envelope(client, w, method, path, send):
    """PostgreSQL cannot store NUL: refused alike on both backends, as TikTok refuses a bad
    parameter (40002, HTTP 200), not with the /v1 API's 422."""
    send = {"advertiser_id": w.advertiser_id} | send
    headers = {"Access-Token": w.token}
    if method == "GET":
        r = client.get(P + path, params=send, headers=headers)
    else:
        r = client.post(P + path, content=json.dumps(send),
                        headers=headers | {"Content-Type": "application/json"})
    assert r.status_code == 200, (r.status_code, r.text)
    body = r.json()
    assert set(body) == ENVELOPE_KEYS and body["code"] == 40002 and body["data"] == {}, body


@pytest.mark.parametrize("path, send, message", [
    ("/campaign/create/", {"campaign_name": "Glow\r\nLabs", "objective_type": "ENGAGEMENT"},
     "campaign_name may not contain control characters (line breaks, tabs and the like); "
     "give it on one line."),
    ("/campaign/create/", {"campaign_name": "Glow\tLabs", "objective_type": "ENGAGEMENT"},
     "campaign_name may not contain control characters (line breaks, tabs and the like); "
     "give it on one line."),
])
def test_names_with_control_characters_are_refused_in_the_envelope(client, w, path, send,
                                                                   message):
    """A name is one line here as on /v1: a line break is a parameter error (40002)."""
    send = {"advertiser_id": w.advertiser_id} | send
    r = client.post(P + path, content=json.dumps(send),
                    headers={"Access-Token": w.token, "Content-Type": "application/json"})
    assert r.status_code == 200, (r.status_code, r.text)
    body = r.json()
    assert (body["code"], body["message"]) == (40002, message), body
