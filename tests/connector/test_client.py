"""The connector's TikTok client: which answers are retried, how often, and what stops it.

The wire is httpx's MockTransport here (the integration tests use a real stand-in server)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sparkcodes.config import Connector
from sparkcodes.connector.client import Budget, TikTokCallError, TikTokClient

FAST = Connector(backoff_initial_seconds=0.001, backoff_max_seconds=0.002, max_attempts=4)


def envelope(code: int, data: dict[str, Any] | None = None) -> httpx.Response:
    return httpx.Response(200, json={"code": code, "message": "OK" if code == 0 else f"e{code}",
                                     "request_id": "r", "data": data or {}})


def client_answering(*answers: Any, budget: Budget | None = None
                     ) -> tuple[TikTokClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(answers)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        answer = queue.pop(0) if len(queue) > 1 else queue[0]
        if isinstance(answer, Exception):
            raise answer
        return answer

    return TikTokClient(base_url="https://tiktok.test", app_key="app:1", settings=FAST,
                        budget=budget or Budget(app_qps=1000, advertiser_qps=1000,
                                                storage_url=None),
                        transport=httpx.MockTransport(handler)), seen


@pytest.mark.parametrize("code", [40100, 40133, 40016, 50002])
def test_throttle_and_transient_codes_are_retried(code):  # type: ignore[no-untyped-def]
    client, seen = client_answering(envelope(code), envelope(code), envelope(0, {"x": 1}))
    assert client.get("advertiser/info/", access_token="t") == {"x": 1}
    assert len(seen) == 3
    assert seen[0].url.path == "/open_api/v1.3/advertiser/info/"
    assert seen[0].headers["Access-Token"] == "t"


@pytest.mark.parametrize("answer", [httpx.ReadTimeout("slow"), httpx.ConnectError("down"),
                                    httpx.Response(502, text="bad gateway")])
def test_timeouts_transport_errors_and_5xx_are_retried_then_said(answer):  # type: ignore[no-untyped-def]
    client, seen = client_answering(answer)
    with pytest.raises(TikTokCallError) as exc:
        client.get("advertiser/info/")
    assert exc.value.kind == "unreachable" and len(seen) == FAST.max_attempts


@pytest.mark.parametrize(("code", "kind"), [(40105, "revoked"), (40102, "revoked"),
                                            (40001, "gone"), (40002, "refused")])
def test_token_and_permission_refusals_stop_at_once(code, kind):  # type: ignore[no-untyped-def]
    client, seen = client_answering(envelope(code))
    with pytest.raises(TikTokCallError) as exc:
        client.post("oauth2/access_token/", body={"app_id": "1"})
    assert (exc.value.kind, exc.value.code, len(seen)) == (kind, code, 1)


def test_attempts_are_bounded():
    client, seen = client_answering(envelope(40100))
    with pytest.raises(TikTokCallError) as exc:
        client.get("advertiser/info/")
    assert exc.value.kind == "retry" and exc.value.code == 40100
    assert len(seen) == FAST.max_attempts


def test_an_answer_that_is_not_tiktoks_envelope_is_refused_without_retrying():
    client, seen = client_answering(httpx.Response(404, text="<html>not found</html>"))
    with pytest.raises(TikTokCallError) as exc:
        client.get("advertiser/info/")
    assert exc.value.kind == "refused" and "JSON envelope" in exc.value.message
    assert len(seen) == 1


def test_the_budget_holds_calls_back_per_app_and_per_advertiser():
    budget = Budget(app_qps=2, advertiser_qps=1, storage_url=None)
    assert budget.take("app:1", "701") and not budget.take("app:1", "701")
    assert budget.take("app:1", "702") and not budget.take("app:1", "703")
    assert budget.take("app:2", None)
    client, seen = client_answering(envelope(0), budget=budget)
    with pytest.raises(TikTokCallError) as exc:  # app:1 spent for this second, every attempt
        client.get("advertiser/info/", advertiser_id="704")
    assert exc.value.kind == "budget" and seen == []
