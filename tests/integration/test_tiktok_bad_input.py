"""Bad input to /open_api/v1.3 is refused in TikTok's envelope, never with a 5xx or a traceback.

Every route of the surface (enumerated from the app: one without a valid request in ``SPECS``
fails ``test_every_tiktok_route_has_a_bad_input_spec`` with its name) is first called with a valid
request while the parameters it reads are recorded (``Params`` is wrapped, so nothing is listed
by hand that the code does not read, and a parameter without a kind in ``KINDS`` fails with its
name). Then each parameter it read, top-level or nested (``filtering``, ``creatives[0]``), gets the
bad values of its kind: malformed JSON in every JSON-encoded query parameter, ids that are not
ids ("abc", "-1", "1e3", 20+ digits, objects), pages that are not pages, huge strings, NaN and
Infinity budgets, wrong JSON types. Each answer must be HTTP 200 with ``{code, message,
request_id, data}``, code 40002, ``data == {}``, a message that names the parameter, nothing
logged as an exception, and no row of the database changed.

Then, for every route: repeated query keys, malformed and non-object JSON bodies, NUL bytes,
missing and bad tokens, the path without its trailing slash (HTTP 404, 40008: the one case that
is not HTTP 200) and the wrong method. Last, refusals found after a first write (the second
creative, the second id) must leave no partial write behind.

The valid requests are the access matrix's (tests/integration/test_tiktok_access_matrix.py), so
the two files cannot drift apart.
"""

from __future__ import annotations

import contextlib
import json
import logging
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from unittest import mock
from urllib.parse import urlencode

import pytest

from tests.integration.test_tiktok_access_matrix import (
    NO_ADVERTISER,
    PREFIX,
    ROUTES,
    Tenant,
    changed_tables,
    db_fingerprint,
    exchange,
    grant,
    register_app,
    tiktok_routes,
)

PARAM_ERROR, NOT_SUPPORTED, TOO_MANY_IDS, TOKEN_EMPTY, TOKEN_INVALID = (40002, 40008, 40011,
                                                                       40104, 40105)
HUGE = "x" * 100_000  # 100 kB
DEEP = "[" * 100_000  # deeper than any JSON parser's recursion limit


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch):  # type: ignore[no-untyped-def]
    from argon2 import PasswordHasher

    from sparkcodes.kit import crypto

    monkeypatch.setattr(crypto, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024,
                                                          parallelism=1))


# ------------------------------------------------------------------------------------- requests

class Raw:
    """A JSON literal Python's json module does not write (1e309, a 5000-digit number)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"Raw({self.text[:40]!r})"


def dumps(value: Any) -> bytes:
    """JSON as Python writes it (NaN, Infinity included), with Raw literals spliced in."""
    raws: dict[str, str] = {}

    def default(obj: Any) -> Any:
        if isinstance(obj, Raw):
            key = f"@@raw{len(raws)}@@"
            raws[key] = obj.text
            return key
        raise TypeError(repr(obj))

    text = json.dumps(value, default=default)
    for key, literal in raws.items():
        text = text.replace(json.dumps(key), literal)
    return text.encode()


def wire(value: Any) -> str:
    """A query value as TikTok clients send it: arrays and objects JSON-encoded (§1)."""
    if isinstance(value, str):
        return value
    return dumps(value).decode() if isinstance(value, list | dict | Raw) else str(value)


@dataclass
class RawResponse:
    """What an ASGI call answered, shaped like the httpx responses the checks read."""

    status_code: int
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


def asgi_get(client, path: str, query: bytes, headers: dict[str, str]) -> RawResponse:  # type: ignore[no-untyped-def]
    """A GET straight to the app: httpx refuses URLs over 64 kB, and the 100 kB values must
    reach the surface (a front server may cut such URLs earlier; the app must not fail)."""
    async def run() -> tuple[int, bytes]:
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
                 "query_string": query, "root_path": "", "client": ("testclient", 50000),
                 "server": ("testserver", 80),
                 "headers": [(b"host", b"testserver")]
                 + [(k.lower().encode(), v.encode("latin-1")) for k, v in headers.items()]}
        done = False
        status, chunks = 0, []

        async def receive() -> dict[str, Any]:
            nonlocal done
            if not done:
                done = True
                return {"type": "http.request", "body": b"", "more_body": False}
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        with contextlib.suppress(Exception):  # a 500 was already sent; the status says so
            await client.app(scope, receive, send)
        return status or 500, b"".join(chunks)

    status, content = client.portal.call(run)
    return RawResponse(status, content)


def call(client, method: str, path: str, token: str | None, payload: Any, *,  # type: ignore[no-untyped-def]
         query: list[tuple[str, str]] | None = None, raw: bytes | None = None,
         content_type: str = "application/json"):
    """``path`` relative to /open_api/v1.3. GET: the payload (a dict) as the query string, or
    ``query`` as given (repeated keys allowed); otherwise the payload as the JSON body, or
    ``raw`` bytes."""
    headers = {} if token is None else {"Access-Token": token}
    if method == "GET":
        items = query if query is not None else [(k, wire(v)) for k, v in payload.items()]
        encoded = urlencode(items)
        if len(encoded) > 60_000:
            return asgi_get(client, PREFIX + path, encoded.encode(), headers)
        return client.get(PREFIX + path, headers=headers, params=items)
    body = raw if raw is not None else dumps(payload)
    return client.request(method, PREFIX + path, headers={**headers,
                                                           "content-type": content_type},
                          content=body)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}…({len(text)} chars)"


def refusal_problem(response, *, code: int | None = PARAM_ERROR, status: int = 200,  # type: ignore[no-untyped-def]
                    names: tuple[str, ...] = ()) -> str | None:
    """Why the answer is not a TikTok refusal (HTTP ``status``, the envelope, a non-zero code,
    ``code`` when given, data {}, a message naming one of ``names``), or None."""
    if response.status_code >= 500:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    if response.status_code != status:
        return f"HTTP {response.status_code} (expected {status}): {response.text[:300]}"
    try:
        body = response.json()
    except ValueError:
        return f"not JSON: {response.text[:300]}"
    if not isinstance(body, dict) or set(body) != {"code", "message", "request_id", "data"}:
        return f"not TikTok's envelope: {response.text[:300]}"
    if not isinstance(body["code"], int) or body["code"] == 0:
        return f"accepted (code {body['code']!r}): {response.text[:300]}"
    if code is not None and body["code"] != code:
        return f"code {body['code']} (expected {code}): {body['message']!r}"[:400]
    if body["data"] != {}:
        return f"data is not {{}}: {response.text[:300]}"
    if not isinstance(body["request_id"], str) or not body["request_id"]:
        return "no request_id"
    message = body["message"]
    if not isinstance(message, str) or len(message.split()) < 2 or "Traceback" in message \
            or "File \"" in message:
        return f"unreadable message: {message!r}"[:400]
    if names and not any(n.lower() in message.lower() for n in names):
        return f"message {message[:300]!r} does not name {' or '.join(names)}"
    return None


def envelope_problem(response) -> str | None:  # type: ignore[no-untyped-def]
    """Why the answer is not TikTok's envelope with HTTP 200 (any code), or None."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    try:
        body = response.json()
    except ValueError:
        return f"not JSON: {response.text[:300]}"
    if not isinstance(body, dict) or set(body) != {"code", "message", "request_id", "data"}:
        return f"not TikTok's envelope: {response.text[:300]}"
    if body["code"] != 0:
        return refusal_problem(response, code=None)
    return None


def ok_problem(response) -> str | None:  # type: ignore[no-untyped-def]
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:300]}"
    body = response.json()
    if body.get("code") != 0:
        return f"code {body.get('code')}: {body.get('message')!r}"
    return None


def crash_of(caplog) -> str | None:  # type: ignore[no-untyped-def]
    """The exception the app logged (e.g. "database refused a value"), with its innermost
    sparkcodes frame; None if it logged none. The answer may look fine while a traceback went
    to the log: a value the surface should have refused reached a query."""
    for record in caplog.records:
        if record.levelno < logging.ERROR and not record.exc_info:
            continue
        where, causes = "?", [record.getMessage()]
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            frames = [fr for fr in traceback.extract_tb(exc.__traceback__)
                      if "/sparkcodes/" in fr.filename]
            if frames:
                where = f"{frames[-1].filename.split('/src/')[-1]}:{frames[-1].lineno}"
            while exc is not None:
                first = str(exc).splitlines()[0] if str(exc) else ""
                causes.append(f"{type(exc).__name__}: {first[:200]}")
                exc = exc.__cause__ or exc.__context__
        return f"logged {' <- '.join(causes)} at {where}"
    return None


# --------------------------------------------------------------------------------- the world

class World:
    """One tenant (tests/integration/test_tiktok_access_matrix.py's Tenant) and a developer app
    it authorized: an app token, a spare one to revoke, and an auth_code not yet exchanged."""

    def __init__(self, client) -> None:  # type: ignore[no-untyped-def]
        self.client = client
        self.t = Tenant(client, "owner")
        self.app = register_app(client, self.t.h)
        self.app_token = exchange(client, self.app, grant(client, self.t.h, self.app,
                                                          [self.t.account["id"]]))["access_token"]
        self.spare_app_token = exchange(client, self.app, grant(
            client, self.t.h, self.app, [self.t.account["id"]]))["access_token"]
        self.auth_code = grant(client, self.t.h, self.app, [self.t.account["id"]])


@dataclass
class Spec:
    token: Callable[[World], str | None]
    payload: Callable[[World], dict[str, Any]]


def _advertiser_spec(key: tuple[str, str]) -> Spec:
    return Spec(lambda w: w.t.token, lambda w: ROUTES[key].request(w.t.advertiser_id, w.t))


SPECS: dict[tuple[str, str], Spec] = {key: _advertiser_spec(key) for key in ROUTES}
SPECS.update({
    ("GET", "/user/info/"): Spec(lambda w: w.t.token, lambda w: {}),
    ("GET", "/user/info"): Spec(lambda w: w.t.token, lambda w: {}),
    ("POST", "/oauth2/access_token/"): Spec(
        lambda w: None, lambda w: {"app_id": w.app.app_id, "secret": w.app.secret,
                                   "auth_code": w.auth_code}),
    ("GET", "/oauth2/advertiser/get/"): Spec(
        lambda w: w.app_token, lambda w: {"app_id": w.app.app_id, "secret": w.app.secret}),
    ("POST", "/oauth2/revoke_token/"): Spec(
        lambda w: None, lambda w: {"app_id": w.app.app_id, "secret": w.app.secret,
                                   "access_token": w.spare_app_token}),
})
assert set(NO_ADVERTISER) <= set(SPECS)


def _served(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return sorted((m, p.removeprefix(PREFIX)) for m, p in tiktok_routes(app))


def test_every_tiktok_route_has_a_bad_input_spec(app) -> None:  # type: ignore[no-untyped-def]
    served = set(_served(app))
    missing = sorted(served - set(SPECS))
    assert not missing, (
        "/open_api routes without a valid request in SPECS of "
        "tests/integration/test_tiktok_bad_input.py (so nobody checks they survive bad input): "
        + ", ".join(f"{m} {PREFIX}{p}" for m, p in missing))
    stale = sorted(set(SPECS) - served)
    assert not stale, "SPECS lists routes the app does not serve: " + ", ".join(
        f"{m} {PREFIX}{p}" for m, p in stale)


def _route_ids(key: tuple[str, str]) -> str:
    return f"{key[0]} {key[1]}"


# ------------------------------------------------------------- which parameters a route reads

@dataclass
class Reads:
    """The parameters one request read: top-level names, and names read inside a container
    (``filtering``, or ``creatives`` for each creative)."""

    top: set[str] = field(default_factory=set)
    nested: dict[str, set[str]] = field(default_factory=dict)


@contextlib.contextmanager
def recording() -> Iterator[Reads]:
    """Wrap ``Params`` so every parameter a route reads is recorded (its reads all go through
    raw() or has())."""
    from sparkcodes.compat.tiktok.params import Params

    reads = Reads()
    state: dict[str, Any] = {"top": None}
    originals = {"from_query_items": Params.from_query_items.__func__,  # type: ignore[attr-defined]
                 "from_body": Params.from_body.__func__,  # type: ignore[attr-defined]
                 "object": Params.object, "raw": Params.raw, "has": Params.has}

    def top_of(name: str) -> Callable[..., Params]:
        def make(cls: type[Params], *args: Any, **kwargs: Any) -> Params:
            params = originals[name](cls, *args, **kwargs)
            params._recorded_top = True  # type: ignore[attr-defined]
            state["top"] = params
            return params
        return make

    def obj(self: Params, name: str) -> Params:
        out = originals["object"](self, name)
        out._recorded_in = name  # type: ignore[attr-defined]
        return out

    def note(self: Params, name: str) -> None:
        if getattr(self, "_recorded_top", False):
            reads.top.add(name)
            return
        container = getattr(self, "_recorded_in", None)
        top = state["top"]
        if container is None and top is not None:
            for key, value in top.values.items():
                if isinstance(value, list) and any(item is self.values for item in value):
                    container = key
        reads.nested.setdefault(container or "?", set()).add(name)

    def raw(self: Params, name: str) -> Any:
        note(self, name)
        return originals["raw"](self, name)

    def has(self: Params, name: str) -> bool:
        note(self, name)
        return originals["has"](self, name)

    with mock.patch.object(Params, "from_query_items", classmethod(top_of("from_query_items"))), \
            mock.patch.object(Params, "from_body", classmethod(top_of("from_body"))), \
            mock.patch.object(Params, "object", obj), mock.patch.object(Params, "raw", raw), \
            mock.patch.object(Params, "has", has):
        yield reads


# ----------------------------------------------------------------------- bad values by kind

@dataclass
class Bad:
    label: str
    value: Any
    names: tuple[str, ...] = ()  # what the message must name, when not the parameter itself
    code: int = PARAM_ERROR  # 40011 where TikTok says "too many ids in one request"
    # Text that is odd rather than wrong: it may be accepted (TikTok's Go server reads a lone
    # surrogate as U+FFFD), but never with a 5xx or outside the envelope.
    may_pass: bool = False


MALFORMED_JSON = [
    Bad("unclosed array", "["), Bad("unclosed string", '["VIDEO'), Bad("single quotes", "['a']"),
    Bad("trailing comma", '["a",]'), Bad("unclosed object", '{"a":'), Bad("bare word", "VIDEO"),
    Bad("two documents", '["a"]["b"]'), Bad("extra bracket", '["a"]]'),
    Bad("python repr", "{'ad_ids': ['1']}"), Bad("url-encoded twice", "%5B%22a%22%5D"),
    Bad("100 kB of garbage", HUGE), Bad("nested 100000 deep", DEEP),
    Bad("nested 100000 deep, closed", DEEP + "]" * 100_000),
]
NOT_AN_ARRAY = [Bad("object", '{"a": 1}'), Bad("string", '"VIDEO"'), Bad("number", "1"),
                Bad("true", "true"), Bad("NaN", "NaN"), Bad("Infinity", "Infinity")]
NOT_STRINGS = [Bad("array of objects", '[{"a": 1}]'), Bad("array of booleans", "[true]"),
               Bad("array of arrays", "[[1]]"), Bad("array of floats", "[1.5]"),
               Bad("array of nulls", "[null]")]
NOT_AN_OBJECT = [Bad("array", "[1]"), Bad("string", '"x"'), Bad("number", "1"),
                 Bad("true", "true"), Bad("NaN", "NaN")]
NOT_IDS = [Bad("letters", '["abc"]'), Bad("negative", '["-1"]'), Bad("exponent", '["1e3"]'),
           Bad("25 digits", json.dumps(["9" * 25])), Bad("past 2^63", f'["{2**63}"]'),
           Bad("float", "[1.5]"), Bad("object", '[{"a": 1}]'), Bad("100 kB", f'["{HUGE}"]')]

# Query-string values (GET): everything arrives as text.
QUERY_ID = [Bad("letters", "abc"), Bad("negative", "-1"), Bad("exponent", "1e3"),
            Bad("decimal", "1.5"), Bad("20 digits", "9" * 20), Bad("25 digits", "9" * 25),
            Bad("past 2^63", str(2**63)), Bad("JSON object", '{"advertiser_id": "1"}'),
            Bad("JSON array", '["1"]'), Bad("hex", "0x1F"), Bad("fullwidth digits", "１２３"),
            Bad("inner space", "12 34"), Bad("100 kB", HUGE),
            Bad("100 kB of digits", "9" * 100_000)]
QUERY_INTEGER = [Bad("letters", "x"), Bad("decimal", "1.5"), Bad("exponent", "1e3"),
                 Bad("10**30", str(10**30)), Bad("JSON object", '{"a": 1}'), Bad("NaN", "NaN"),
                 Bad("100 kB of digits", "9" * 100_000), Bad("100 kB", HUGE)]
QUERY_POSITIVE = [Bad("zero", "0"), Bad("negative", "-1")]


def _filter(value: Any, **extra: Any) -> str:
    return json.dumps([{"field_name": "ad_ids", "filter_type": "IN", "filter_value": value,
                        **extra}])


# report/integrated/get's filtering: each element an object, each filter_value an array of ids
# (or its JSON-encoded string).
REPORT_FILTERS = [
    Bad("array of numbers", "[1]"), Bad("array of strings", '["ad_ids"]'),
    Bad("array of arrays", "[[1]]"),
    Bad("no field_name", "[{}]", names=("field_name",)),
    Bad("unknown field_name", '[{"field_name": "nope", "filter_value": "[]"}]',
        names=("field_name",)),
    Bad("field_name an object", '[{"field_name": {"a": 1}}]', names=("field_name",)),
    Bad("filter_type not IN", _filter('["1"]', filter_type="GT"), names=("filter_type",)),
    Bad("filter_value letters", _filter('["abc"]'), names=("filter_value",)),
    Bad("filter_value malformed", _filter("["), names=("filter_value",)),
    Bad("filter_value an object", _filter({"a": 1}), names=("filter_value",)),
    Bad("filter_value a number", _filter(5), names=("filter_value",)),
    Bad("filter_value 25 digits", _filter(["9" * 25]), names=("filter_value",)),
    Bad("filter_value nested 100000 deep", _filter(DEEP), names=("filter_value",)),
    Bad("filter_value 101 ids", _filter([str(i) for i in range(1, 102)]),
        names=("filter_value",), code=TOO_MANY_IDS),
    Bad("21 filters", json.dumps([{"field_name": "ad_ids", "filter_value": "[]"}] * 21)),
    Bad("status filter unknown",
        json.dumps([{"field_name": "ad_status", "filter_value": '["NOPE"]'}]),
        names=("filter_value",)),
]
QUERY_STRING = [Bad("100 kB", HUGE)]
QUERY_CHOICE = [Bad("not one of them", "NOT_ONE_OF_THEM"), Bad("100 kB", HUGE),
                Bad("JSON object", '{"a": 1}')]
QUERY_DATE = [Bad("month 13", "2026-13-45"), Bad("February 30", "2026-02-30"),
              Bad("words", "yesterday"), Bad("100 kB", HUGE)]
QUERY_BOOL = [Bad("maybe", "maybe"), Bad("2", "2"), Bad("100 kB", HUGE)]

# JSON body values (POST, and inside filtering and creatives).
BODY_ID = [Bad("letters", "abc"), Bad("negative string", "-1"), Bad("negative", -1),
           Bad("exponent string", "1e3"), Bad("float", 1e3), Bad("decimal", 1.5),
           Bad("25 digits", "9" * 25), Bad("10**25", 10**25), Bad("past 2^63", str(2**63)),
           Bad("object", {"a": 1}), Bad("array", [1]), Bad("true", True),
           Bad("1e309", Raw("1e309")), Bad("NaN", float("nan")), Bad("100 kB", HUGE)]
BODY_ID_ARRAY = [Bad("string", "1"), Bad("object", {"a": 1}), Bad("number", 5),
                 Bad("true", True), Bad("objects", [{"a": 1}]), Bad("booleans", [True]),
                 Bad("letters", ["abc"]), Bad("arrays", [[1]]), Bad("25 digits", ["9" * 25]),
                 Bad("negative", [-1]), Bad("NaN", [float("nan")]), Bad("100 kB", [HUGE])]
BODY_STRING = [Bad("object", {"a": 1}), Bad("array", [1]), Bad("float", 1.5),
               Bad("true", True), Bad("100 kB", HUGE),
               Bad("lone surrogate", Raw('"\\ud800 x"'), may_pass=True)]
BODY_CHOICE = BODY_STRING + [Bad("not one of them", "NOT_ONE_OF_THEM"), Bad("number", 1)]
BODY_AMOUNT = [Bad("NaN string", "NaN"), Bad("Infinity string", "Infinity"),
               Bad("-Infinity string", "-Infinity"), Bad("NaN", float("nan")),
               Bad("Infinity", float("inf")), Bad("-Infinity", float("-inf")),
               Bad("1e309", Raw("1e309")), Bad("true", True), Bad("false", False),
               Bad("letters", "abc"), Bad("negative", -1), Bad("object", {"a": 1}),
               Bad("array", [1]), Bad("1e999999 string", "1e999999"), Bad("10**30", 10**30),
               Bad("5000 digits", Raw("9" * 5000 + ".5")), Bad("100 kB", HUGE)]
BODY_INSTANT = [Bad("words", "yesterday"), Bad("month 13", "2026-13-45 00:00:00"),
                Bad("number", 5), Bad("object", {"a": 1}), Bad("array", [1]),
                Bad("true", True), Bad("100 kB", HUGE)]
BODY_CREATIVES = [Bad("string", "creative"), Bad("object", {"a": 1}), Bad("number", 5),
                  Bad("true", True), Bad("empty", []), Bad("strings", ["x"]),
                  Bad("numbers", [1]), Bad("arrays", [[1]]), Bad("nulls", [None]),
                  Bad("an empty creative", [{}], names=("Missing required field",)),
                  Bad("21 creatives", [{}] * 21, code=TOO_MANY_IDS)]
BODY_PRESENT = [Bad("a string", "x"), Bad("a number", 1)]


def query_bad(kind: str) -> list[Bad]:
    return {
        "id": QUERY_ID,
        "json_id_array": MALFORMED_JSON + NOT_AN_ARRAY + NOT_IDS,
        "json_str_array": MALFORMED_JSON + NOT_AN_ARRAY + NOT_STRINGS,
        "json_enum_array": MALFORMED_JSON + NOT_AN_ARRAY + NOT_STRINGS
        + [Bad("unknown value", '["NOT_ONE_OF_THEM"]'), Bad("100 kB value", f'["{HUGE}"]')],
        "json_object": MALFORMED_JSON + NOT_AN_OBJECT,
        "json": MALFORMED_JSON,
        "json_filter_array": MALFORMED_JSON + NOT_AN_ARRAY + REPORT_FILTERS,
        "page": QUERY_INTEGER + QUERY_POSITIVE,
        "page_size": QUERY_INTEGER + QUERY_POSITIVE + [Bad("100000", "100000")],
        "cursor": QUERY_INTEGER + [Bad("negative", "-1")],
        "string": QUERY_STRING,
        "choice": QUERY_CHOICE,
        "date": QUERY_DATE,
        "bool": QUERY_BOOL,
    }[kind]


def body_bad(kind: str) -> list[Bad]:
    return {
        "id": BODY_ID,
        "id_array": BODY_ID_ARRAY,
        "json_id_array": BODY_ID_ARRAY,
        "json_str_array": BODY_ID_ARRAY[:5],
        "json_enum_array": BODY_ID_ARRAY[:5] + [Bad("unknown value", ["NOT_ONE_OF_THEM"])],
        "json_object": [Bad("array", [1]), Bad("string", "x"), Bad("number", 1),
                        Bad("true", True)],
        "page": [Bad("letters", "x"), Bad("zero", 0), Bad("negative", -1), Bad("10**30", 10**30),
                 Bad("1e309", Raw("1e309")), Bad("object", {"a": 1})],
        "string": BODY_STRING,
        "choice": BODY_CHOICE,
        "amount": BODY_AMOUNT,
        "instant": BODY_INSTANT,
        "creatives": BODY_CREATIVES,
        "present": BODY_PRESENT,
        "date": BODY_INSTANT,
        "bool": [Bad("maybe", "maybe"), Bad("object", {"a": 1})],
    }[kind]


# Every parameter the surface reads, by kind. A route that reads one not listed here fails
# test_bad_values_on_every_parameter with its name (add it, with its kind).
KINDS: dict[str, str] = {
    **dict.fromkeys(("advertiser_id", "campaign_id", "adgroup_id", "ad_id", "item_id",
                     "identity_id", "tiktok_item_id", "identity_authorized_bc_id", "bc_id"), "id"),
    **dict.fromkeys(("campaign_ids", "adgroup_ids", "ad_ids"), "id_array"),
    **dict.fromkeys(("advertiser_ids", "item_ids"), "json_id_array"),
    **dict.fromkeys(("fields", "metrics", "image_ids"), "json_str_array"),
    **dict.fromkeys(("item_types", "dimensions"), "json_enum_array"),
    "filtering": "json_object",
    "page": "page",
    **dict.fromkeys(("page_size", "count"), "page_size"),
    "cursor": "cursor",
    **dict.fromkeys(("auth_code", "original_post_auth_code", "keyword", "campaign_name",
                     "adgroup_name", "ad_name", "objective_type", "budget_mode", "billing_event",
                     "call_to_action", "landing_page_url", "app_id", "secret", "access_token",
                     "ad_format", "order_field"), "string"),
    **dict.fromkeys(("identity_type", "item_type", "operation_status", "schedule_type",
                     "dark_post_status", "primary_status", "report_type", "data_level",
                     "service_type", "order_type", "query_mode"), "choice"),
    **dict.fromkeys(("budget", "bid_price"), "amount"),
    **dict.fromkeys(("schedule_start_time", "schedule_end_time"), "instant"),
    **dict.fromkeys(("start_date", "end_date"), "date"),
    "creatives": "creatives",
    **dict.fromkeys(("video_id", "ad_text", "call_to_action_id"), "present"),
    **dict.fromkeys(("query_lifetime", "enable_total_metrics", "multi_adv_report_in_utc_time"),
                    "bool"),
}
# Where a route gives a name another shape: TikTok's report filtering is a JSON array of
# {field_name, filter_type, filter_value}, not an object.
ROUTE_KINDS: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/report/integrated/get/"): {"filtering": "json_filter_array"},
}
# Some refusals name the rule rather than the parameter.
NAMES: dict[str, tuple[str, ...]] = {"ad_text": ("caption",)}


def kind_of(key: tuple[str, str], name: str) -> str | None:
    return ROUTE_KINDS.get(key, {}).get(name, KINDS.get(name))


# ----------------------------------------------------------------------- the per-route sweep

def _mutations(key: tuple[str, str], reads: Reads, payload: dict[str, Any],
               problems: list[str]) -> Iterator[tuple[str, Any, Bad, tuple[str, ...]]]:
    """(where, mutated payload, bad value, names the message may use) for every parameter the
    route read and every bad value of its kind."""
    method = key[0]
    for name in sorted(reads.top):
        kind = kind_of(key, name)
        if kind is None:
            problems.append(f"{key[0]} {key[1]} reads {name!r}, which has no kind in KINDS")
            continue
        bads = query_bad(kind) if method == "GET" else body_bad(kind)
        for bad in bads:
            yield name, {**payload, name: bad.value}, bad, bad.names or NAMES.get(name, (name,))
    for container, names in sorted(reads.nested.items()):
        for name in sorted(names):
            kind = kind_of(key, name)
            if kind is None or container == "?":
                problems.append(f"{key[0]} {key[1]} reads {container}.{name!r}, which has no "
                                "kind in KINDS (or an unknown container)")
                continue
            for bad in body_bad(kind):
                mutated = json.loads(json.dumps(payload))  # a deep copy
                if container == "creatives":
                    mutated["creatives"][0][name] = bad.value
                else:
                    inner = mutated.get(container)
                    inner = json.loads(inner) if isinstance(inner, str) else dict(inner or {})
                    inner[name] = bad.value
                    mutated[container] = inner
                yield (f"{container}.{name}", mutated, bad,
                       bad.names or NAMES.get(name, (name,)))


@pytest.mark.parametrize("key", sorted(SPECS), ids=_route_ids)
def test_bad_values_on_every_parameter(client, caplog, key) -> None:  # type: ignore[no-untyped-def]
    """Every parameter the route reads, with every bad value of its kind: 40002 naming it."""
    method, path = key
    w = World(client)
    spec = SPECS[key]
    token, payload = spec.token(w), spec.payload(w)
    with recording() as reads:
        r = call(client, method, path, token, payload)
    problems: list[str] = []
    baseline = ok_problem(r)
    assert baseline is None, f"the valid request is refused, so the sweep would prove nothing: " \
                             f"{baseline}"
    if key not in NO_ADVERTISER:
        assert "advertiser_id" in reads.top or "advertiser_ids" in reads.top, reads
    before = db_fingerprint(client.app)
    tried = 0
    for where, mutated, bad, names in list(_mutations(key, reads, payload, problems)):
        caplog.clear()
        r = call(client, method, path, token, mutated)
        tried += 1
        problem = (envelope_problem(r) if bad.may_pass
                   else refusal_problem(r, code=bad.code, names=names)) or crash_of(caplog)
        if problem:
            problems.append(f"{method} {PREFIX}{path} {where}={_short(bad.value)} [{bad.label}]: "
                            f"{problem}")
    after = db_fingerprint(client.app)
    if after != before:
        problems.append(f"{method} {PREFIX}{path}: refused requests changed the database "
                        f"({', '.join(changed_tables(before, after))})")
    assert tried or not (reads.top or reads.nested), reads
    assert not problems, f"{len(problems)} of {tried} bad values were not refused properly:\n" \
        + "\n".join(problems[:40])


def test_the_sweep_reads_what_the_brief_names(client) -> None:  # type: ignore[no-untyped-def]
    """The recorder sees the JSON-encoded query parameters the routes read (so the sweep does
    send malformed JSON to each of them)."""
    w = World(client)
    seen: dict[str, set[str]] = {}
    for key in _served(client.app):
        spec = SPECS[key]
        with recording() as reads:
            call(client, key[0], key[1], spec.token(w), spec.payload(w))
        for name in reads.top:
            seen.setdefault(name, set()).add(key[1])
    for name, paths in {"fields": {"/campaign/get/", "/adgroup/get/", "/ad/get/"},
                        "filtering": {"/campaign/get/", "/adgroup/get/", "/ad/get/",
                                      "/identity/get/"},
                        "item_types": {"/tt_video/list/"}, "advertiser_ids": {"/advertiser/info/"},
                        "item_ids": {"/identity/video/info/"}}.items():
        assert paths <= seen.get(name, set()), (name, seen.get(name))
    if ("GET", "/report/integrated/get/") in set(_served(client.app)):
        assert {"dimensions", "metrics"} <= {n for n, p in seen.items()
                                             if "/report/integrated/get/" in p}


# ---------------------------------------------------------------------------- query strings

@pytest.mark.parametrize("key", [k for k in sorted(SPECS) if k[0] == "GET"], ids=_route_ids)
def test_repeated_query_keys(client, caplog, key) -> None:  # type: ignore[no-untyped-def]
    """?x=a&x=b is TikTok's "error unmarshaling parameter" (40002), for every parameter read,
    even when both values are the same and valid."""
    method, path = key
    w = World(client)
    spec = SPECS[key]
    token, payload = spec.token(w), spec.payload(w)
    with recording() as reads:
        assert ok_problem(call(client, method, path, token, payload)) is None
    items = [(k, wire(v)) for k, v in payload.items()]
    problems = []
    for name in sorted(reads.top | {k for k, _ in items}):
        value = dict(items).get(name, "1")
        rest = [(k, v) for k, v in items if k != name]
        for label, query in (("twice, same value", rest + [(name, value)] * 2),
                             ("twice, other value", rest + [(name, value), (name, "2")]),
                             ("three times", rest + [(name, value)] * 3),
                             ("apart", [(name, value)] + rest + [(name, value)])):
            caplog.clear()
            r = call(client, method, path, token, None, query=query)
            problem = refusal_problem(r, names=(name, "unmarshaling")) or crash_of(caplog)
            if problem:
                problems.append(f"{method} {PREFIX}{path} {name} {label}: {problem}")
    assert not problems, "\n".join(problems)


# ----------------------------------------------------------------------------------- bodies

MALFORMED_BODIES: list[tuple[str, bytes, str]] = [
    ("truncated", b'{"advertiser_id": ', "application/json"),
    ("trailing comma", b'{"a": 1,}', "application/json"),
    ("single quotes", b"{'a': 1}", "application/json"),
    ("bare word", b"hello", "application/json"),
    ("two documents", b"{}{}", "application/json"),
    ("not utf-8", b'{"advertiser_id": "\xff\xfe"}', "application/json"),
    ("latin-1 text", '{"campaign_name": "café"}'.encode("latin-1"), "application/json"),
    ("nested 100000 deep", b"[" * 100_000 + b"]" * 100_000, "application/json"),
    ("object nested 100000 deep", b'{"a":' * 100_000 + b"1" + b"}" * 100_000,
     "application/json"),
    ("unclosed 100000 deep", b"[" * 100_000, "application/json"),
    ("5000-digit number", b'{"advertiser_id": ' + b"9" * 5000 + b"}", "application/json"),
    ("form encoded", b"advertiser_id=1&a=2", "application/x-www-form-urlencoded"),
    ("100 kB of garbage", HUGE.encode(), "application/json"),
]
NOT_OBJECT_BODIES: list[tuple[str, Any]] = [
    ("array", []), ("array of an object", [{}]), ("string", "text"), ("number", 42),
    ("float", 4.2), ("true", True), ("null", None), ("NaN", float("nan")),
    ("array 100000 long", [0] * 100_000),
]


@pytest.mark.parametrize("key", [k for k in sorted(SPECS) if k[0] == "POST"], ids=_route_ids)
def test_malformed_and_non_object_bodies(client, caplog, key) -> None:  # type: ignore[no-untyped-def]
    method, path = key
    w = World(client)
    token = SPECS[key].token(w)
    before = db_fingerprint(client.app)
    problems = []
    for label, raw, content_type in MALFORMED_BODIES:
        caplog.clear()
        r = call(client, method, path, token, None, raw=raw, content_type=content_type)
        problem = refusal_problem(r, names=("JSON", "body")) or crash_of(caplog)
        if problem:
            problems.append(f"{method} {PREFIX}{path} body [{label}]: {problem}")
    for label, value in NOT_OBJECT_BODIES:
        caplog.clear()
        r = call(client, method, path, token, value)
        problem = refusal_problem(r, names=("JSON object",)) or crash_of(caplog)
        if problem:
            problems.append(f"{method} {PREFIX}{path} body [{label}]: {problem}")
    # An empty body, or an empty object: the required fields are missing.
    for label, raw in (("empty", b""), ("empty object", b"{}"), ("whitespace", b" \n\t ")):
        caplog.clear()
        r = call(client, method, path, token, None, raw=raw)
        problem = refusal_problem(r, names=("Missing required field",)) or crash_of(caplog)
        if problem:
            problems.append(f"{method} {PREFIX}{path} body [{label}]: {problem}")
    after = db_fingerprint(client.app)
    if after != before:
        problems.append(f"{method} {PREFIX}{path}: refused bodies changed the database "
                        f"({', '.join(changed_tables(before, after))})")
    assert not problems, "\n".join(problems)


def test_a_json_body_sent_as_text_plain_is_still_json(client) -> None:  # type: ignore[no-untyped-def]
    """Clients that forget the content type are not punished (the SDK always sends it); the
    body is read as JSON whatever the header says, and a UTF-8 BOM is tolerated."""
    w = World(client)
    payload = ROUTES[("POST", "/campaign/create/")].request(w.t.advertiser_id, w.t)
    for content_type, raw in (("text/plain", dumps(payload)),
                              ("application/json", b"\xef\xbb\xbf" + dumps(payload))):
        r = call(client, "POST", "/campaign/create/", w.t.token, None, raw=raw,
                 content_type=content_type)
        assert ok_problem(r) is None, (content_type, r.text)


# -------------------------------------------------------------------------------- NUL bytes

@pytest.mark.parametrize("key", sorted(SPECS), ids=_route_ids)
def test_nul_bytes_are_refused_in_the_envelope(client, caplog, key) -> None:  # type: ignore[no-untyped-def]
    """A NUL (raw, %00 or \\u0000) anywhere in the query or the body: 40002 in the envelope,
    HTTP 200, like every other bad value on this surface."""
    method, path = key
    w = World(client)
    spec = SPECS[key]
    token, payload = spec.token(w), spec.payload(w)
    with recording() as reads:
        assert ok_problem(call(client, method, path, token, payload)) is None
    before = db_fingerprint(client.app)
    problems = []
    names = sorted(reads.top) or ["advertiser_id"]
    for name in names:
        # In a query value, \u0000 inside a JSON-encoded parameter is a NUL once decoded; in a
        # JSON body that same text is only a backslash and five characters.
        cases = [("inside", "12\x0034"), ("alone", "\x00")]
        if method == "GET":
            cases.append(("JSON-escaped", '["a\\u0000b"]'))
        for label, value in cases:
            caplog.clear()
            r = call(client, method, path, token, {**payload, name: value})
            # \u0000 inside a JSON-encoded query value is text that some parameters ignore
            # (unknown field names): accepted or refused, never stored, never a 5xx.
            problem = (envelope_problem(r) if label == "JSON-escaped"
                       else refusal_problem(r)) or crash_of(caplog)
            if problem:
                problems.append(f"{method} {PREFIX}{path} {name} NUL {label}: {problem}")
    if method == "POST":
        caplog.clear()
        r = call(client, method, path, token, None,
                 raw=dumps(payload)[:-1] + b', "x": "\x00"}')
        problem = refusal_problem(r) or crash_of(caplog)
        if problem:
            problems.append(f"{method} {PREFIX}{path} raw NUL byte in the body: {problem}")
    after = db_fingerprint(client.app)
    if after != before:
        problems.append(f"{method} {PREFIX}{path}: NUL requests changed the database "
                        f"({', '.join(changed_tables(before, after))})")
    assert not problems, "\n".join(problems)


# ------------------------------------------------------------------------ tokens, paths, verbs

TOKEN_CASES: list[tuple[str, dict[str, str], int]] = [
    ("no header", {}, TOKEN_EMPTY),
    ("empty", {"Access-Token": ""}, TOKEN_EMPTY),
    ("blank", {"Access-Token": "   "}, TOKEN_EMPTY),
    ("garbage", {"Access-Token": "not-a-token"}, TOKEN_INVALID),
    ("well-formed unknown", {"Access-Token": "sct_" + "A" * 43}, TOKEN_INVALID),
    ("100 kB", {"Access-Token": HUGE}, TOKEN_INVALID),
    ("latin-1 bytes", {"Access-Token": "caf\xe9".encode("latin-1")}, TOKEN_INVALID),  # type: ignore[dict-item]
]


def test_missing_and_bad_tokens_on_every_route(client, caplog) -> None:  # type: ignore[no-untyped-def]
    """Every route that takes an Access-Token: 40104 without one, 40105 for a bad one (the
    /v1 Bearer header is not TikTok's and does not count), and nothing changes."""
    w = World(client)
    problems = []
    before = db_fingerprint(client.app)
    bearer = {"Authorization": w.t.h["Authorization"]}
    cases = TOKEN_CASES + [("Bearer header only", bearer, TOKEN_EMPTY),
                           ("Bearer scheme in Access-Token",
                            {"Access-Token": w.t.h["Authorization"]}, TOKEN_INVALID)]
    for key in _served(client.app):
        method, path = key
        spec = SPECS[key]
        if spec.token(w) is None:  # oauth2 access_token and revoke_token: app credentials
            continue
        payload = spec.payload(w)
        for label, headers, code in cases:
            caplog.clear()
            if method == "GET":
                r = client.get(PREFIX + path, headers=headers,
                               params={k: wire(v) for k, v in payload.items()})
            else:
                r = client.request(method, PREFIX + path, headers=headers,
                                   content=dumps(payload))
            problem = refusal_problem(r, code=code) or crash_of(caplog)
            if problem:
                problems.append(f"{method} {PREFIX}{path} token [{label}]: {problem}")
    if db_fingerprint(client.app) != before:
        problems.append("requests with bad tokens changed the database")
    assert not problems, "\n".join(problems)


def test_paths_without_the_trailing_slash_and_wrong_methods(client, caplog) -> None:  # type: ignore[no-untyped-def]
    """Without its trailing slash a path is HTTP 404 with 40008 in the envelope, as TikTok (§1)
    (GET user/info is served both ways on purpose); the wrong method is 40002, HTTP 200."""
    w = World(client)
    served = set(_served(client.app))
    problems = []
    for method, path in sorted(served):
        spec = SPECS[(method, path)]
        token, payload = spec.token(w), spec.payload(w)
        if path.endswith("/") and (method, path.rstrip("/")) not in served:
            caplog.clear()
            r = call(client, method, path.rstrip("/"), token, payload)
            problem = refusal_problem(r, code=NOT_SUPPORTED, status=404,
                                      names=(path.rstrip("/"),)) or crash_of(caplog)
            if problem:
                problems.append(f"{method} {PREFIX}{path.rstrip('/')}: {problem}")
        for other in ("GET", "POST", "PUT", "PATCH", "DELETE"):
            if (other, path) in served:
                continue
            caplog.clear()
            r = client.request(other, PREFIX + path, headers={"Access-Token": token or ""})
            problem = refusal_problem(r, names=(method,)) or crash_of(caplog)
            if problem:
                problems.append(f"{other} {PREFIX}{path}: {problem}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------- all or none on refusal

def test_a_refused_request_leaves_no_partial_writes(client) -> None:  # type: ignore[no-untyped-def]
    """A refusal found after the first write (the second creative of a batch, the second id of a
    status update, a parameter read after the insert) must undo the first write: the docstrings
    promise "all are created or none" and "all or none change"."""
    from tests import factories as f

    w = World(client)
    t = w.t
    doomed = f.campaign(client, t.h, t.account["id"])
    r = f.set_status(client, t.h, "campaign", doomed["id"], "DELETE")
    assert r.status_code == 200, r.text
    good = {"identity_type": "AUTH_CODE", "identity_id": t.identity_id,
            "tiktok_item_id": t.item_id, "call_to_action": "SHOP_NOW",
            "landing_page_url": "https://shop.example.com/"}
    cases: list[tuple[str, str, dict[str, Any]]] = [
        ("ad/create: a good creative, then one without identity_id", "/ad/create/",
         {"advertiser_id": t.advertiser_id, "adgroup_id": t.adgroup_id,
          "creatives": [good, {**good, "identity_id": None}]}),
        ("ad/update: the owner's ad renamed, then an unknown ad", "/ad/update/",
         {"advertiser_id": t.advertiser_id,
          "creatives": [{"ad_id": t.ad_id, "ad_name": "Renamed"}, {"ad_id": "123"}]}),
        ("adgroup/create: operation_status not ENABLE or DISABLE", "/adgroup/create/",
         {"advertiser_id": t.advertiser_id, "campaign_id": t.campaign_id,
          "adgroup_name": "Half made", "budget": 50, "bid_price": 5,
          "operation_status": "NOPE"}),
        ("campaign/status/update: a live campaign, then a deleted one",
         "/campaign/status/update/",
         {"advertiser_id": t.advertiser_id,
          "campaign_ids": [t.campaign_id, str(doomed["tiktok_id"])],
          "operation_status": "DISABLE"}),
    ]
    problems = []
    for label, path, payload in cases:
        before = db_fingerprint(client.app)
        r = call(client, "POST", path, t.token, payload)
        problem = refusal_problem(r, code=None)
        if problem:
            problems.append(f"{label}: {problem}")
        after = db_fingerprint(client.app)
        if after != before:
            problems.append(f"{label}: refused ({r.json().get('code')}), but changed "
                            f"{', '.join(changed_tables(before, after))}")
    assert not problems, "\n".join(problems)
