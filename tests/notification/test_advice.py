"""Each alert names its subject with a link and the one action that fixes it, in the words of
the person reading it: the table covers every kind in the catalog for both readers."""

from __future__ import annotations

from typing import Any

import pytest

from sparkcodes.notification.catalog import EVENTS
from sparkcodes.notification.rules import BRAND, CREATOR, READERS, advice, reader_of

# Everything an alert's data may name, as the services write it.
DATA: dict[str, Any] = {
    "authorization_id": "au1", "code_hint": "SPARK-AB12-…", "days": 30,
    "renewal_request_id": "rr1", "code_request_id": "cr1", "spark_post_id": "sp1",
    "post": {"id": "po1", "caption": "Glow serum in 10 seconds"},
    "creator": {"id": "cr9", "handle": "maya"},
    "ad_account": {"id": "aa1", "name": "Glow US"},
    "business": {"id": "bu1", "name": "Glow Skincare"},
    "ads": [{"ad_id": "ad1", "ad_name": "Serum launch", "ad_account_id": "aa1"},
            {"ad_id": "ad2", "ad_name": "Serum retarget", "ad_account_id": "aa1"}],
    "endpoint_id": "we1", "url": "https://erp.example.com/hooks", "state": "token_revoked",
}
ASK = "/ad-accounts/aa1#ask-au1"
CODE = "/ad-accounts/aa1"
YOUR_CODE = "/posts/po1#code-au1"
REQUESTS = "/ad-accounts/aa1/requests"
AD = "/ads/ad1"

# (kind, reader): (action label, action page, subject page), or None: never told to that reader.
TABLE: dict[tuple[str, str], tuple[str | None, str | None, str | None] | None] = {
    ("authorization.expiring", BRAND): ("Ask @maya to extend", ASK, CODE),
    ("authorization.expiring", CREATOR): ("Extend your code", YOUR_CODE, YOUR_CODE),
    ("authorization.expired", BRAND): ("Ask @maya to extend", ASK, CODE),
    ("authorization.expired", CREATOR): ("Extend your code", YOUR_CODE, YOUR_CODE),
    ("authorization.extended", BRAND): (None, None, CODE),
    ("authorization.extended", CREATOR): None,
    ("authorization.deleted", BRAND): ("Ask @maya for a new code", REQUESTS, CODE),
    ("authorization.deleted", CREATOR): None,
    ("post.edited", BRAND): ("Review the stopped ad", AD, AD),
    ("post.edited", CREATOR): None,
    ("post.privatised", BRAND): ("Review the stopped ad", AD, AD),
    ("post.privatised", CREATOR): None,
    ("post.taken_down", BRAND): ("Review the stopped ad", AD, AD),
    ("post.taken_down", CREATOR): (None, None, "/posts/po1"),
    ("post.deleted", BRAND): ("Review the stopped ad", AD, AD),
    ("post.deleted", CREATOR): None,
    ("creator.ad_settings_off", BRAND): ("Review the stopped ad", AD, AD),
    ("creator.ad_settings_off", CREATOR): None,
    ("ad.stopped", BRAND): ("Review the stopped ad", AD, AD),
    ("ad.stopped", CREATOR): None,
    ("ad.fallback_applied", BRAND): ("Review the ad", AD, AD),
    ("ad.fallback_applied", CREATOR): None,
    ("renewal_request.created", BRAND): None,
    ("renewal_request.created", CREATOR): ("Approve or decline", "/posts/po1#renewal-rr1",
                                           YOUR_CODE),
    ("renewal_request.approved", BRAND): (None, None, CODE),
    ("renewal_request.approved", CREATOR): None,
    ("renewal_request.declined", BRAND): ("Ask @maya for a new code", REQUESTS, CODE),
    ("renewal_request.declined", CREATOR): None,
    ("renewal_request.expired", BRAND): ("Ask @maya again", ASK, CODE),
    ("renewal_request.expired", CREATOR): None,
    ("code_request.created", BRAND): None,
    ("code_request.created", CREATOR): ("Accept or decline", "/creators/cr9#code-request-cr1",
                                        "/posts/po1"),
    ("code_request.accepted", BRAND): ("Run it in an ad", "/ad-accounts/aa1/campaigns",
                                       "/ad-accounts/aa1#spark-sp1"),
    ("code_request.accepted", CREATOR): None,
    ("code_request.declined", BRAND): ("Ask for a code again", REQUESTS,
                                       REQUESTS + "#code-request-cr1"),
    ("code_request.declined", CREATOR): None,
    ("code_request.expired", BRAND): ("Ask for a code again", REQUESTS,
                                      REQUESTS + "#code-request-cr1"),
    ("code_request.expired", CREATOR): None,
    ("code_request.cancelled", BRAND): None,
    ("code_request.cancelled", CREATOR): (None, None, "/posts/po1"),
    ("creator_link.answered", BRAND): ("Run it in an ad", "/ad-accounts/aa1/campaigns",
                                       "/ad-accounts/aa1#spark-sp1"),
    ("creator_link.answered", CREATOR): None,
    ("misuse.reported", BRAND): ("Review the Spark posts", CODE, CODE),
    ("misuse.reported", CREATOR): None,
    ("webhook_endpoint.disabled", BRAND): ("Fix the endpoint", "/webhook-endpoints/we1",
                                           "/webhook-endpoints/we1"),
    ("webhook_endpoint.disabled", CREATOR): None,
    ("connection.broken", BRAND): ("Reconnect TikTok", "/businesses/bu1/tiktok",
                                   "/businesses/bu1/tiktok"),
    ("connection.broken", CREATOR): None,
    ("audit.chain_broken", BRAND): (None, None, "/businesses/bu1"),
    ("audit.chain_broken", CREATOR): None,
    # A test event goes to one webhook endpoint, never to a person.
    ("webhook.test", BRAND): None,
    ("webhook.test", CREATOR): None,
}


def test_the_table_covers_every_kind_for_every_reader() -> None:
    assert set(TABLE) == {(k, r) for k in EVENTS for r in READERS}


@pytest.mark.parametrize(("kind", "reader"), sorted(TABLE), ids=lambda v: str(v))
def test_advice(kind: str, reader: str) -> None:
    told = advice(kind=kind, reader=reader, data=DATA,
                  business_id="bu1" if reader == BRAND else None)
    expected = TABLE[(kind, reader)]
    if expected is None:
        assert told is None
        return
    assert told is not None
    label, page, subject = expected
    assert (told.action.label if told.action else None) == label
    assert (told.action.href if told.action else None) == page
    assert (told.subject.href if told.subject else None) == subject
    assert told.sentence.endswith(".")
    if reader == CREATOR:
        # Never the brand's words: a creator is not told to ask herself.
        assert "@maya" not in told.sentence and "Ask " not in told.sentence
        assert all("@maya" not in x.label for x in (told.action, told.subject) if x)


def test_a_renewal_answered_by_link_asks_nothing_more() -> None:
    told = advice(kind="creator_link.answered", reader=BRAND, data={**DATA, "kind": "renewal"},
                  business_id="bu1")
    assert told is not None and told.action is None
    assert told.sentence == "Nothing to do: @maya extended the code and its ads keep running."
    assert told.subject is not None and told.subject.href == "/ad-accounts/aa1#spark-sp1"


def test_brand_readers_are_told_to_ask_the_creator_and_creators_to_extend() -> None:
    brand = advice(kind="authorization.expiring", reader=BRAND, data=DATA, business_id="bu1")
    mine = advice(kind="authorization.expiring", reader=CREATOR, data=DATA, business_id=None)
    assert brand is not None and mine is not None
    assert brand.sentence.startswith("Ask @maya to extend SPARK-AB12-…")
    assert mine.sentence.startswith("Extend your code") and "Glow US" in mine.sentence


def test_missing_data_gives_no_broken_links() -> None:
    """An alert whose post or ad account is gone names what it can and links nothing it cannot."""
    for kind in EVENTS:
        for reader in READERS:
            told = advice(kind=kind, reader=reader, data={}, business_id=None)
            if told is None:
                continue
            for link in (told.action, told.subject):
                assert link is None or ("None" not in link.href and link.href.startswith("/"))


def test_the_reader_is_the_brand_when_told_as_a_member_of_a_business() -> None:
    assert reader_of("bu1") == BRAND and reader_of(None) == CREATOR


def test_an_unknown_kind_has_no_advice() -> None:
    assert advice(kind="nope.never", reader=BRAND, data=DATA, business_id="bu1") is None
