"""Fallback policies (R27): per ad group, what happens to a delivering ad when its code is about
to lapse unrenewed: tell the brand (the default), pause the ad, or pause it and switch on a backup
ad. Each action happens once per ad and window end; an extension moves the end and re-arms it.

Without a policy an ad group gets the default, notify: the reminders (R23) already tell the brand
at their offsets, so the sweep adds a notice only when the default falls at another moment."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.ad import repository as ad_repository
from sparkcodes.ad import service as ad_service
from sparkcodes.ad_account import repository as ad_account_repository
from sparkcodes.ad_account import service as ad_account_service
from sparkcodes.audit import service as audit
from sparkcodes.authorization import repository as authorization_repository
from sparkcodes.config import Settings
from sparkcodes.creator import repository as creator_repository
from sparkcodes.fallback import repository, rules
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import (
    NATIVE,
    Ad,
    AdAccount,
    AdGroup,
    Authorization,
    Campaign,
    FallbackPolicy,
    User,
)
from sparkcodes.notification import service as notify
from sparkcodes.ports import AdActions
from sparkcodes.spark_post import rules as spark_rules
from sparkcodes.values import hint_display
from sparkcodes.worker import service as jobs

APPLY = "fallback.apply"


@dataclass
class PolicyView:
    group: AdGroup
    policy: rules.Policy
    row: FallbackPolicy | None
    backup: Ad | None

    @property
    def is_default(self) -> bool:
        return self.row is None


def _ad(session: Session, ad_id: str) -> Ad | None:
    found = ad_repository.get(session, Ad, ad_id)
    return found if isinstance(found, Ad) else None  # get(Ad, ...) finds an ad or nothing


def _policy(row: FallbackPolicy | None, default_hours: int) -> rules.Policy:
    if row is None:
        return rules.default(default_hours)
    return rules.Policy(row.action, row.hours_before, row.backup_ad_id)


def load_group(session: Session, *, user: User, ad_group_id: str,
               action: str) -> tuple[AdGroup, AdAccount]:
    """The ad group if the user's role in its business allows ``action``; NotFound otherwise."""
    group = (ad_repository.get(session, AdGroup, ad_group_id)
             if "\x00" not in ad_group_id else None)
    if not isinstance(group, AdGroup):  # None: get(AdGroup, ...) finds an ad group or nothing
        raise errors.NotFound("No such ad group.")
    try:
        # The policy is sparkcodes' own row, on a mirrored ad group too: what it does to the
        # ads is done on TikTok (ports.AdActions).
        account, _, _ = ad_account_service.access(session, user=user,
                                                  ad_account_id=group.ad_account_id,
                                                  action=action, through_tiktok=True)
    except errors.NotFound:
        raise errors.NotFound("No such ad group.") from None
    return group, account


def get_policy(session: Session, *, settings: Settings, group: AdGroup) -> PolicyView:
    """The ad group's policy, or the default (notify) when none was set."""
    row = repository.get(session, group.id)
    policy = _policy(row, settings.reminders.fallback_hours)
    backup = _ad(session, policy.backup_ad_id) if policy.backup_ad_id else None
    return PolicyView(group, policy, row, backup)


def _backup_state(session: Session, ad_id: str) -> rules.BackupState | None:
    ad = _ad(session, ad_id) if "\x00" not in ad_id else None
    if ad is None:
        return None
    codes = repository.codes_of_ads(session, [ad.id]).get(ad.id, set())
    return rules.BackupState(ad_id=ad.id, ad_account_id=ad.ad_account_id,
                             deleted=ad.deleted_at is not None, codes=frozenset(codes))


def set_policy(session: Session, *, settings: Settings, user: User, account: AdAccount,
               group: AdGroup, action: str, hours_before: int | None,
               backup_ad_id: str | None) -> PolicyView:
    """R27: set the ad group's policy. Raises ad_group_deleted, invalid_fallback_action,
    invalid_hours_before, backup_ad_required, backup_ad_not_used, not_found (backup),
    ad_deleted, backup_on_same_code."""
    if group.deleted_at is not None:
        raise errors.Gone("That ad group was deleted.", code="ad_group_deleted")
    hours = settings.reminders.fallback_hours if hours_before is None else hours_before
    policy = rules.check_policy(action=action, hours_before=hours, backup_ad_id=backup_ad_id)
    if policy.backup_ad_id:
        others = [a.id for a in ad_repository.ads_where(session, ad_group_id=group.id)
                  if a.id != policy.backup_ad_id]
        group_codes = set().union(*repository.codes_of_ads(session, others).values())
        rules.check_backup(_backup_state(session, policy.backup_ad_id),
                           ad_account_id=account.id, group_codes=group_codes)
    current = get_policy(session, settings=settings, group=group)
    repository.upsert(session, ad_group_id=group.id, action=policy.action,
                      hours_before=policy.hours_before, backup_ad_id=policy.backup_ad_id,
                      user_id=user.id, now=utc_now())
    after = get_policy(session, settings=settings, group=group)
    audit.record(session, actor_id=user.id, action="fallback_policy.updated",
                 target_type="ad_group", target_id=group.id, business_id=account.business_id,
                 before={"action": current.policy.action,
                         "hours_before": current.policy.hours_before,
                         "backup_ad_id": current.policy.backup_ad_id,
                         "is_default": current.is_default},
                 after={"action": policy.action, "hours_before": policy.hours_before,
                        "backup_ad_id": policy.backup_ad_id})
    return after


@dataclass
class GroupPolicy:
    """One ad group of a business with its policy and the ads of its ad account (a backup is
    one of them; the rules refuse one on the same code)."""

    account: AdAccount
    campaign: Campaign
    view: PolicyView
    backups: list[Ad]


def policies_of(session: Session, *, settings: Settings,
                accounts: list[AdAccount]) -> list[GroupPolicy]:
    """Every live ad group of these ad accounts with its policy (the default when none was set),
    by ad account, then campaign and ad group, oldest first."""
    found: list[tuple[AdAccount, Campaign, AdGroup]] = [
        (account, campaign, group)
        for account in accounts
        for campaign in ad_service.campaigns_of(session, account=account)
        for group in ad_service.ad_groups_of(session, campaign=campaign)]
    rows = repository.of_groups(session, {g.id for _, _, g in found})
    default_hours = settings.reminders.fallback_hours
    ads = {a.id: ad_service.ads_of(session, account=a) for a in accounts}
    out = []
    for account, campaign, group in found:
        row = rows.get(group.id)
        policy = _policy(row, default_hours)
        by_id = {ad.id: ad for ad in ads[account.id]}
        backup = by_id.get(policy.backup_ad_id) if policy.backup_ad_id else None
        if policy.backup_ad_id and backup is None:
            backup = _ad(session, policy.backup_ad_id)  # deleted since: still named
        out.append(GroupPolicy(account, campaign, PolicyView(group, policy, row, backup),
                               ads[account.id]))
    return out


# --- the sweep ---------------------------------------------------------------------------------

def sweep(session: Session, *, settings: Settings, now: datetime) -> int:
    """Queue the fallback of every delivering ad whose code ends within its ad group's
    ``hours_before``: one job per (ad, window end), however often the sweep runs. A queued ad is
    marked (``fallback_end``), so later passes read only the ads still to decide."""
    default_hours = settings.reminders.fallback_hours
    hours = max(repository.max_hours(session) or 0, default_hours)
    ads = repository.candidates(session, now=now, horizon=now + timedelta(hours=hours))
    if not ads:
        return 0
    policies = repository.of_groups(session, {a.ad_group_id for a in ads})
    default_acts = rules.default_notice_needed(default_hours, settings.reminders.offsets_hours)
    todo: list[tuple[dict[str, str], str]] = []
    marks: dict[str, datetime] = {}
    for view in ad_service.deliveries(session, ads, now):
        if not view.delivery.delivering:
            continue
        if view.ad.ad_group_id not in policies and not default_acts:
            continue  # the reminders are the default's notice
        end = spark_rules.window_end(view.input.spark_post)
        policy = _policy(policies.get(view.ad.ad_group_id), default_hours)
        if end is None or not rules.due(end, now, policy.hours_before):
            continue
        window = end.isoformat()
        todo.append(({"ad_id": view.ad.id, "window_end": window},
                     f"{APPLY}:{view.ad.id}:{window}"))
        marks[view.ad.id] = end
    queued = jobs.enqueue_many(session, APPLY, todo, max_attempts=5)
    # Queued now or by an earlier pass (the dedupe key): these ends need no further look.
    repository.mark_queued(session, marks)
    return queued


def apply(session: Session, *, settings: Settings, ad_id: str, window_end: str,
          now: datetime, actions: AdActions | None = None) -> str | None:
    """Apply the ad group's policy to one ad for one window end, if still due; returns the action
    taken, or None when nothing was left to do (extended, paused, stopped, already applied).
    A mirrored ad is paused (and its backup enabled) on TikTok through ``actions``."""
    ad = _ad(session, ad_id)
    if ad is None or ad.deleted_at is not None:
        return None
    (view,) = ad_service.deliveries(session, [ad], now)
    end = spark_rules.window_end(view.input.spark_post)
    if not view.delivery.delivering or end is None or end.isoformat() != window_end:
        return None
    row = repository.get(session, ad.ad_group_id)
    policy = _policy(row, settings.reminders.fallback_hours)
    if row is None and not rules.default_notice_needed(policy.hours_before,
                                                       settings.reminders.offsets_hours):
        return None
    if not rules.due(end, now, policy.hours_before):
        return None
    if window_end in repository.applied_windows(session, ad.id):
        return None
    account = ad_account_repository.by_id(session, ad.ad_account_id)
    assert account is not None
    backup = _backup_state(session, policy.backup_ad_id) if policy.backup_ad_id else None
    plan = rules.plan(policy, ad_id=ad.id, ad_account_id=ad.ad_account_id,
                      ad_codes=repository.codes_of_ads(session, [ad.id])[ad.id], backup=backup)
    backup_ad = None
    if plan.pause:
        _switch(session, settings=settings, account=account, ad=ad, enable=False,
                actions=actions)
    if plan.enable_backup:
        assert policy.backup_ad_id is not None  # rules.plan enables a backup that exists
        backup_ad = _ad(session, policy.backup_ad_id)
        assert backup_ad is not None
        _switch(session, settings=settings, account=account, ad=backup_ad, enable=True,
                actions=actions)
    spark = view.spark_post
    ending = [a for a in (authorization_repository.by_id(session, i) for i in
                          (spark.authorization_id, spark.original_authorization_id) if i)
              if a is not None and a.expires_at == end]
    code = ending[0] if ending else None
    creator = creator_repository.by_id(session, view.post.creator_id)
    audit.record(session, actor_id=None, action=repository.APPLIED_ACTION, target_type="ad",
                 target_id=ad.id, business_id=account.business_id,
                 creator_id=creator.id if creator else None,
                 after={"action": policy.action, "window_end": window_end,
                        "hours_before": policy.hours_before,
                        "authorization_id": code.id if code else None,
                        "backup_ad_id": backup_ad.id if backup_ad else None, "note": plan.note})
    _tell(session, ad=ad, group=view.group, account=account, policy=policy, plan=plan,
          backup_ad=backup_ad, code=code, handle=creator.handle if creator else "?", end=end,
          now=now)
    return policy.action


def _switch(session: Session, *, settings: Settings, account: AdAccount, ad: Ad, enable: bool,
            actions: AdActions | None) -> None:
    """Pause or enable an ad where it lives: here, or on the TikTok it is mirrored from (then
    synced back)."""
    if account.source == NATIVE:
        ad_service.set_operation(session, user=None, account=account, obj=ad,
                                 operation="ENABLE" if enable else "DISABLE")
        return
    if actions is None:
        raise errors.MirroredFromTikTok(details={"ad_account_id": account.id})
    actions.set_ad_status(session, settings=settings, user=None, account=account, ad=ad,
                          enable=enable)


def _tell(session: Session, *, ad: Ad, group: AdGroup, account: AdAccount, policy: rules.Policy,
          plan: rules.Plan, backup_ad: Ad | None, code: Authorization | None, handle: str,
          end: datetime, now: datetime) -> None:
    hint = hint_display(code.code_hint) if code else "the code"
    hours = max(1, math.ceil((end - now).total_seconds() / 3600))
    when = f"{end:%Y-%m-%d %H:%M} UTC"
    if policy.action == rules.NOTIFY:
        title = f"'{ad.name}' stops in {hours} h: @{handle}'s code ends"
        body = (f"The code {hint} that '{ad.name}' runs on ends at {when}; the ad stops then. "
                f"Ask @{handle} to extend it (a renewal request is one click), or swap in "
                f"another creative. Ad group '{group.name}' only notifies.")
    elif backup_ad is not None:
        title = f"Swapped '{ad.name}' for '{backup_ad.name}' before @{handle}'s code ends"
        body = (f"The code {hint} ends at {when}. The fallback policy of ad group "
                f"'{group.name}' paused '{ad.name}' and switched on the backup "
                f"'{backup_ad.name}'. When @{handle} extends the code, switch '{ad.name}' back on.")
    else:
        title = f"Paused '{ad.name}' before @{handle}'s code ends"
        body = (f"The code {hint} ends at {when}. The fallback policy of ad group "
                f"'{group.name}' paused '{ad.name}' {hours} h before. When @{handle} extends "
                "the code, switch it back on.")
    if plan.note:
        body += f" Note: {plan.note}."
    notify.emit(session, event_type="ad.fallback_applied", title=title, body=body,
                data={"action": policy.action, "hours_before": policy.hours_before,
                      "window_end": end, "note": plan.note,
                      "ad": {"id": ad.id, "name": ad.name, "paused": plan.pause},
                      "ad_group": {"id": group.id, "name": group.name},
                      "ad_account": {"id": account.id, "name": account.name},
                      "backup_ad": {"id": backup_ad.id, "name": backup_ad.name}
                      if backup_ad else None,
                      "authorization_id": code.id if code else None,
                      "code_hint": hint if code else None,
                      "creator": {"handle": handle}},
                business_ids={account.business_id})
