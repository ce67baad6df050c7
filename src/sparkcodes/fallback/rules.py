"""Pure decisions about fallback policies (R27): what a policy may say, when it is due for an ad,
and what applying it does. Nothing here touches the database; time-dependent functions take
``now``.

A policy belongs to an ad group; without one the group gets the default: notify, at the
configured number of hours before a code's window ends.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sparkcodes import errors

NOTIFY, PAUSE, SWAP = "notify", "pause", "swap"
ACTIONS = (NOTIFY, PAUSE, SWAP)
MIN_HOURS, MAX_HOURS = 1, 720


@dataclass(frozen=True)
class Policy:
    action: str
    hours_before: int
    backup_ad_id: str | None = None


def default(hours_before: int) -> Policy:
    return Policy(NOTIFY, hours_before, None)


def check_policy(*, action: str, hours_before: int, backup_ad_id: str | None) -> Policy:
    """A valid policy, or the first thing wrong with it in plain words."""
    action = (action or "").strip().lower()
    if action not in ACTIONS:
        raise errors.InvalidInput("action must be notify, pause or swap.",
                                  code="invalid_fallback_action")
    if not MIN_HOURS <= hours_before <= MAX_HOURS:
        raise errors.InvalidInput(
            f"hours_before must be between {MIN_HOURS} and {MAX_HOURS}; {hours_before} is not.",
            code="invalid_hours_before")
    if action == SWAP and not backup_ad_id:
        raise errors.InvalidInput("A swap needs backup_ad_id: the ad to switch on instead.",
                                  code="backup_ad_required")
    if action != SWAP and backup_ad_id:
        raise errors.InvalidInput("backup_ad_id is used only with the swap action.",
                                  code="backup_ad_not_used")
    return Policy(action, hours_before, backup_ad_id if action == SWAP else None)


@dataclass(frozen=True)
class BackupState:
    """What the rules need to know about a backup ad."""

    ad_id: str
    ad_account_id: str
    deleted: bool
    codes: frozenset[str]  # the codes it runs on (none for an own-post ad)


def check_backup(backup: BackupState | None, *, ad_account_id: str,
                 group_codes: set[str]) -> None:
    """The backup must be a live ad of the same ad account that does not run on a code the ad
    group's ads run on (it would lapse with them)."""
    if backup is None or backup.ad_account_id != ad_account_id:
        raise errors.NotFound("No such ad in this ad account (backup_ad_id).")
    if backup.deleted:
        raise errors.Gone("The backup ad was deleted; choose another one.", code="ad_deleted")
    if backup.codes & group_codes:
        raise errors.Conflict(
            "The backup ad runs on the same code as ads of this ad group, so it would stop with "
            "them; choose an ad on another code or on your own post.",
            code="backup_on_same_code")


def default_notice_needed(hours_before: int, reminder_offsets: list[int]) -> bool:
    """The default policy (notify) is what the reminders (R23) already do at their offsets; the
    sweep adds a notice of its own only when the default falls at another moment, so nobody is
    told the same thing twice."""
    return hours_before not in reminder_offsets


def due(window_end: datetime, now: datetime, hours_before: int) -> bool:
    """Within ``hours_before`` of the window's end, and not past it."""
    return window_end - timedelta(hours=hours_before) <= now < window_end


def awaiting(window_end: datetime | None, queued_end: datetime | None, now: datetime,
             horizon_hours: int) -> bool:
    """Whether the sweep must look at an ad now: its window ends within ``horizon_hours`` (the
    largest ``hours_before`` of any policy) and not yet, and its fallback was not queued for that
    end. fallback.repository.awaiting is this rule in SQL. Past the end there is nothing left to
    prevent: the ad stopped, and the expiry alert (R23) tells so, late if need be."""
    return (window_end is not None and queued_end != window_end
            and due(window_end, now, horizon_hours))


@dataclass(frozen=True)
class Plan:
    pause: bool
    enable_backup: bool
    note: str = ""


def plan(policy: Policy, *, ad_id: str, ad_account_id: str, ad_codes: set[str],
         backup: BackupState | None) -> Plan:
    """What applying the policy to one ad does; a swap whose backup cannot run only pauses."""
    if policy.action == NOTIFY:
        return Plan(pause=False, enable_backup=False)
    if policy.action == PAUSE:
        return Plan(pause=True, enable_backup=False)
    if backup is None or backup.deleted or backup.ad_account_id != ad_account_id:
        return Plan(True, False, "the backup ad no longer exists, so the ad was only paused")
    if backup.ad_id == ad_id or backup.codes & ad_codes:
        return Plan(True, False, "the backup ad runs on the same code, so the ad was only paused")
    return Plan(pause=True, enable_backup=True)
