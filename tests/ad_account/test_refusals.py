"""Ad account refusals, each with its code and the words a person reads."""

from __future__ import annotations

from tests import factories as f
from tests.integration._http import assert_error
from tests.integration.test_pages_access import HTML, page_login, page_text


def test_an_unknown_time_zone_is_named_with_an_example(client) -> None:  # type: ignore[no-untyped-def]
    h = f.user(client)
    biz = f.business(client, h)["id"]
    r = client.post(f"/v1/businesses/{biz}/ad-accounts", headers=h,
                    json={"name": "A", "timezone": "Mars/Olympus"})
    assert_error(r, 422, "invalid_timezone",
                 "Unknown time zone 'Mars/Olympus'; use an IANA name such as Europe/Berlin.")


def test_a_currency_is_three_letters_and_kept_upper_case(client) -> None:  # type: ignore[no-untyped-def]
    h = f.user(client)
    biz = f.business(client, h)["id"]
    for bad in ("U$D", "12A", "  "):
        r = client.post(f"/v1/businesses/{biz}/ad-accounts", headers=h,
                        json={"name": "A", "currency": bad})
        assert_error(r, 422, "invalid_currency",
                     "currency is a three-letter code such as USD or EUR.")
    made = f.ad_account(client, h, biz, currency="gbp")
    assert made["currency"] == "GBP"
    assert f.ad_account(client, h, biz)["currency"] == "USD"  # the default


def test_the_add_ad_account_form_says_what_a_currency_is(client) -> None:  # type: ignore[no-untyped-def]
    h = f.user(client, email="currency.admin@example.com")
    biz = f.business(client, h)["id"]
    csrf = page_login(client, "currency.admin@example.com")
    form = {"name": "Glow EU", "region": "", "timezone": "Europe/Berlin", "csrf_token": csrf}
    r = client.post(f"/businesses/{biz}/ad-accounts", headers=HTML,
                    data={**form, "currency": "E1R"})
    assert r.status_code == 422
    assert "Enter the currency as three letters, such as USD or EUR." in page_text(r.text)
    assert 'value="E1R"' in r.text  # what was typed stays
    r = client.post(f"/businesses/{biz}/ad-accounts", headers=HTML,
                    data={**form, "currency": "EURO"})
    assert r.status_code == 422
    assert "Too long: at most 3 characters, and this has 4." in page_text(r.text)
    r = client.post(f"/businesses/{biz}/ad-accounts", headers=HTML,
                    data={**form, "currency": "eur"}, follow_redirects=False)
    assert r.status_code == 303
    page = client.get(f"/businesses/{biz}", headers=HTML)
    assert "time zone Europe/Berlin · amounts in EUR" in page_text(page.text)
