"""Pure decisions about business membership."""

from __future__ import annotations

from sparkcodes import errors

ROLES = ("analyst", "operator", "admin")  # each may do what the ones before it may
_RANK = {role: i for i, role in enumerate(ROLES)}

ACTIONS = {
    "read": "analyst",     # see ad accounts, Spark posts, history
    "operate": "operator",  # preview, bind, unbind
    "admin": "admin",      # ad accounts, members, linked identities
}


def allows(role: str, action: str) -> bool:
    return _RANK[role] >= _RANK[ACTIONS[action]]


def check(role: str, action: str) -> None:
    if not allows(role, action):
        need = ACTIONS[action]
        raise errors.Forbidden(
            f"Your role in this business is {role}; this needs {need} or higher.",
            code="role_insufficient",
        )


def check_member_change(*, admins_left: int, removing_admin: bool) -> None:
    """A business always keeps one admin."""
    if removing_admin and admins_left <= 1:
        raise errors.Conflict("A business needs at least one admin; name another admin first.",
                              code="last_admin")
