"""Pure rules of business membership: the role matrix and the last admin."""

from __future__ import annotations

import pytest

from sparkcodes import errors
from sparkcodes.business.rules import ACTIONS, ROLES, allows, check, check_member_change

MATRIX = {
    ("analyst", "read"): True,
    ("analyst", "operate"): False,
    ("analyst", "admin"): False,
    ("operator", "read"): True,
    ("operator", "operate"): True,
    ("operator", "admin"): False,
    ("admin", "read"): True,
    ("admin", "operate"): True,
    ("admin", "admin"): True,
}
CELLS = [
    pytest.param(role, action, allowed, id=f"{role} {'may' if allowed else 'may not'} {action}")
    for (role, action), allowed in MATRIX.items()
]


def test_the_matrix_covers_every_role_and_action() -> None:
    assert set(MATRIX) == {(role, action) for role in ROLES for action in ACTIONS}


@pytest.mark.parametrize(("role", "action", "allowed"), CELLS)
def test_allows(role: str, action: str, allowed: bool) -> None:
    assert allows(role, action) is allowed


@pytest.mark.parametrize(("role", "action", "allowed"), CELLS)
def test_check(role: str, action: str, allowed: bool) -> None:
    if allowed:
        check(role, action)
        return
    with pytest.raises(errors.Forbidden) as caught:
        check(role, action)
    assert caught.value.code == "role_insufficient"
    assert caught.value.status == 403
    need = ACTIONS[action]
    assert f"Your role in this business is {role}; this needs {need} or higher." == (
        caught.value.message
    )


@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_role_may_do_what_the_ones_before_it_may(action: str) -> None:
    allowed = [allows(role, action) for role in ROLES]
    assert allowed == sorted(allowed)  # False... then True...
    assert allowed[-1]  # the admin may do everything


@pytest.mark.parametrize(
    ("admins_left", "removing_admin"),
    [
        pytest.param(2, True, id="removing one of two admins"),
        pytest.param(1, False, id="removing an operator, one admin"),
        pytest.param(0, False, id="not an admin change"),
    ],
)
def test_member_change_allowed(admins_left: int, removing_admin: bool) -> None:
    check_member_change(admins_left=admins_left, removing_admin=removing_admin)


@pytest.mark.parametrize("admins_left", [1, 0], ids=["the last admin", "no admin counted"])
def test_the_last_admin_stays(admins_left: int) -> None:
    with pytest.raises(errors.Conflict) as caught:
        check_member_change(admins_left=admins_left, removing_admin=True)
    assert caught.value.code == "last_admin"
    assert caught.value.status == 409
    assert "at least one admin" in caught.value.message
