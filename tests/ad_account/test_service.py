"""Ad accounts on the real database: creating one, who may act on it (by id and by TikTok id),
and linking the business's own creator accounts (R19) once."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from sparkcodes import errors
from sparkcodes.ad_account import repository, service
from sparkcodes.business import service as business_service
from sparkcodes.creator import repository as creator_repository
from sparkcodes.models import AdAccount, AuditEvent, Business, User
from sparkcodes.user import repository as user_repository
from tests import factories as f

ROLES = ("analyst", "operator", "admin")
ACTIONS = ("read", "operate", "admin")
NEEDS = {"read": "analyst", "operate": "operator", "admin": "admin"}


class Brand:
    """A business with one ad account, its admin, and a member in each other role."""

    def __init__(self, app: FastAPI, client: TestClient) -> None:
        self.app = app
        emails = {role: f"{role}{id(self)}@example.com" for role in ROLES}
        emails["stranger"] = f"stranger{id(self)}@example.com"
        self.headers = {who: f.user(client, email=email) for who, email in emails.items()}
        with app.state.db.unit_of_work() as session:
            users = {who: user_repository.by_email(session, email)
                     for who, email in emails.items()}
            admin = users["admin"]
            assert admin is not None
            business = business_service.create(session, user=admin, name="Acme")
            for role in ("analyst", "operator"):
                business_service.add_member(session, user=admin, business=business,
                                            email=emails[role], role=role)
            account = service.create(session, user=admin, business=business, name="Main")
            self.user_ids = {who: u.id for who, u in users.items() if u is not None}
            self.business_id, self.account_id = business.id, account.id
            self.tiktok_id = account.tiktok_id

    def user(self, session, who: str) -> User:  # type: ignore[no-untyped-def]
        found = session.get(User, self.user_ids[who])
        assert found is not None
        return found

    def business(self, session) -> Business:  # type: ignore[no-untyped-def]
        found = session.get(Business, self.business_id)
        assert found is not None
        return found


# --- creating ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "region", "stored_name", "stored_region"), [
    ("Main", None, "Main", None),
    ("  Spring launch  ", "us", "Spring launch", "US"),
    ("EU", " gb ", "EU", "GB"),
])
def test_an_ad_account_is_created_with_a_clean_name_and_region(
        app: FastAPI, client: TestClient, name: str, region: str | None, stored_name: str,
        stored_region: str | None) -> None:
    brand = Brand(app, client)
    with app.state.db.unit_of_work() as session:
        account = service.create(session, user=brand.user(session, "admin"),
                                 business=brand.business(session), name=name, region=region,
                                 timezone="Europe/London")
        account_id = account.id
    with app.state.db.unit_of_work(write=False) as session:
        stored = session.get(AdAccount, account_id)
        assert stored is not None
        assert (stored.name, stored.region, stored.timezone) == (
            stored_name, stored_region, "Europe/London")
        assert stored.business_id == brand.business_id
        (event,) = session.scalars(select(AuditEvent).where(
            AuditEvent.target_id == account_id)).all()
        assert (event.action, event.actor_id, event.business_id) == (
            "ad_account.created", brand.user_ids["admin"], brand.business_id)
        assert event.details == {"after": {"name": stored_name, "region": stored_region,
                                           "currency": "USD"}}


@pytest.mark.parametrize(("name", "region", "code", "message"), [
    ("", None, "invalid_name", "Give the ad account a name."),
    ("   ", None, "invalid_name", "Give the ad account a name."),
    ("\t\n", "US", "invalid_name", "Give the ad account a name."),
    ("Main", "USA", "invalid_region", "A region is a two-letter country code such as US or GB."),
    ("Main", "U1", "invalid_region", "A region is a two-letter country code such as US or GB."),
    ("Main", " ", "invalid_region", "A region is a two-letter country code such as US or GB."),
])
def test_a_nameless_account_or_a_bad_region_is_refused_and_nothing_is_written(
        app: FastAPI, client: TestClient, name: str, region: str | None, code: str,
        message: str) -> None:
    brand = Brand(app, client)
    with pytest.raises(errors.InvalidInput) as exc, app.state.db.unit_of_work() as session:
        service.create(session, user=brand.user(session, "admin"),
                       business=brand.business(session), name=name, region=region)
    assert (exc.value.code, exc.value.status, exc.value.message) == (code, 422, message)
    with app.state.db.unit_of_work(write=False) as session:
        names = session.scalars(select(AdAccount.name).where(
            AdAccount.business_id == brand.business_id)).all()
        assert names == ["Main"]


# --- who may act on it -------------------------------------------------------------------------

@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("by", ["id", "tiktok_id"])
def test_each_role_may_do_what_its_rank_allows(app: FastAPI, client: TestClient, role: str,
                                               action: str, by: str) -> None:
    brand = Brand(app, client)
    allowed = ROLES.index(role) >= ROLES.index(NEEDS[action])
    where = ({"ad_account_id": brand.account_id} if by == "id"
             else {"ad_account_id": None, "tiktok_id": brand.tiktok_id})
    with app.state.db.unit_of_work(write=False) as session:
        user = brand.user(session, role)
        if allowed:
            account, business, found_role = service.access(session, user=user, action=action,
                                                           **where)
            assert (account.id, business.id, found_role) == (
                brand.account_id, brand.business_id, role)
        else:
            with pytest.raises(errors.Forbidden) as exc:
                service.access(session, user=user, action=action, **where)
            assert (exc.value.code, exc.value.status) == ("role_insufficient", 403)
            assert exc.value.message == (f"Your role in this business is {role}; this needs "
                                         f"{NEEDS[action]} or higher.")


@pytest.mark.parametrize("where", ["stranger", "unknown id", "unknown tiktok id"])
@pytest.mark.parametrize("action", ACTIONS)
def test_an_account_outside_your_businesses_does_not_exist_for_you(
        app: FastAPI, client: TestClient, where: str, action: str) -> None:
    brand = Brand(app, client)
    who, ids = {
        "stranger": ("stranger", {"ad_account_id": brand.account_id}),
        "unknown id": ("admin", {"ad_account_id": "0" * 32}),
        "unknown tiktok id": ("admin", {"ad_account_id": None, "tiktok_id": 1}),
    }[where]
    with app.state.db.unit_of_work(write=False) as session, \
            pytest.raises(errors.NotFound) as exc:
        service.access(session, user=brand.user(session, who), action=action, **ids)
    assert (exc.value.code, exc.value.status, exc.value.message) == (
        "not_found", 404, "No such ad account.")


def test_a_member_of_another_business_is_a_stranger_here(app: FastAPI,
                                                           client: TestClient) -> None:
    mine, theirs = Brand(app, client), Brand(app, client)
    with app.state.db.unit_of_work(write=False) as session:
        with pytest.raises(errors.NotFound):
            service.access(session, user=mine.user(session, "admin"),
                           ad_account_id=theirs.account_id, action="read")
        account, _, _ = service.access(session, user=theirs.user(session, "admin"),
                                       ad_account_id=theirs.account_id, action="admin")
        assert account.id == theirs.account_id


# --- linking own creator accounts (R19) --------------------------------------------------------

def test_linking_a_creator_account_twice_keeps_one_link_and_one_audit_row(
        app: FastAPI, client: TestClient) -> None:
    brand = Brand(app, client)
    handle = "acme_own"
    creator_id = f.creator(client, brand.headers["admin"], handle=handle)["id"]
    link_ids = []
    for _ in range(2):
        with app.state.db.unit_of_work() as session:
            account = session.get(AdAccount, brand.account_id)
            creator = creator_repository.by_id(session, creator_id)
            assert account is not None and creator is not None
            link = service.link_identity(session, user=brand.user(session, "admin"),
                                         account=account, creator=creator)
            link_ids.append(link.id)
    assert link_ids[0] == link_ids[1]
    with app.state.db.unit_of_work(write=False) as session:
        links = repository.linked_identities(session, brand.account_id)
        assert [(x.creator_id, x.linked_by_id) for x in links] == [
            (creator_id, brand.user_ids["admin"])]
        events = session.scalars(select(AuditEvent).where(
            AuditEvent.action == "identity.linked")).all()
        assert [(e.target_id, e.creator_id, e.details) for e in events] == [
            (brand.account_id, creator_id,
             {"after": {"creator_id": creator_id, "handle": handle}})]
