"""Creator accounts: region and account-level ad settings (R1, R2)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.audit import repository as audit_repository
from sparkcodes.audit import service as audit
from sparkcodes.creator import repository, rules
from sparkcodes.kit.clock import utc_now
from sparkcodes.kit.text import refuse_control
from sparkcodes.models import AuditEvent, Creator, User
from sparkcodes.ports import AdWatch


def create(session: Session, *, owner: User, handle: str, display_name: str, region: str,
           avatar_url: str | None = None) -> Creator:
    """Create a creator account; raises HandleTaken (409) or InvalidInput."""
    handle = rules.normalize_handle(handle)
    creator = Creator(
        owner_id=owner.id,
        handle=handle,
        handle_key=handle.lower(),
        display_name=refuse_control(display_name.strip(), name="display name") or handle,
        region=rules.normalize_region(region),
        avatar_url=avatar_url,
    )
    taken = errors.Conflict(f"The handle @{handle} is taken.", code="handle_taken")
    if repository.by_handle(session, handle) is not None:
        raise taken
    try:
        with session.begin_nested():
            repository.add(session, creator)
    except IntegrityError as exc:
        raise taken from exc
    audit.record(session, actor_id=owner.id, action="creator.created", target_type="creator",
                 target_id=creator.id, creator_id=creator.id,
                 after={"handle": handle, "region": creator.region})
    return creator


def get_owned(session: Session, *, user: User, creator_id: str) -> Creator:
    """The creator account if the user owns it; NotFound otherwise (never reveals others')."""
    creator = repository.by_id(session, creator_id)
    if creator is None or creator.owner_id != user.id:
        raise errors.NotFound("No such creator account.")
    return creator


def set_ad_settings(session: Session, *, user: User, creator: Creator, enabled: bool,
                    accept_terms: bool, watch: AdWatch) -> Creator:
    """R1: switch account-level ad authorization; off is refused while a live ad runs on a code."""
    now = utc_now()
    before = {"enabled": creator.ad_settings_enabled_at is not None}
    if enabled:
        rules.check_enable(accept_terms=accept_terms,
                           terms_accepted=creator.ad_terms_accepted_at is not None)
        if accept_terms and creator.ad_terms_accepted_at is None:
            creator.ad_terms_accepted_at = now
        if creator.ad_settings_enabled_at is None:
            creator.ad_settings_enabled_at = now
    else:
        rules.check_disable(watch.live_ads_of_creator(session, creator_id=creator.id, now=now))
        creator.ad_settings_enabled_at = None
    after = {"enabled": creator.ad_settings_enabled_at is not None}
    if before != after:
        audit.record(session, actor_id=user.id, action="creator.ad_settings_changed",
                     target_type="creator", target_id=creator.id, creator_id=creator.id,
                     before=before, after={**after,
                                           "terms_accepted_at": creator.ad_terms_accepted_at})
    session.flush()
    if before["enabled"] and not after["enabled"]:
        watch.post_changed(
            session, posts=repository.posts_of(session, creator.id), now=now,
            event_type="creator.ad_settings_off",
            title=f"@{creator.handle} switched ad settings off",
            body=f"@{creator.handle} turned off account-level ad authorization: none of their "
                 "posts can run as Spark Ads until it is back on.")
    return creator


def by_id(session: Session, *, creator_id: str) -> Creator | None:
    """The creator account with this id, if any."""
    return repository.by_id(session, creator_id)


def by_ids(session: Session, *, ids: set[str]) -> dict[str, Creator]:
    """Creator accounts by id; unknown ids are left out."""
    return repository.by_ids(session, ids)


def by_tiktok_id(session: Session, *, tiktok_id: int) -> Creator | None:
    """The creator account with this TikTok id, if any."""
    return repository.by_tiktok_id(session, tiktok_id)


def by_handle(session: Session, *, handle: str) -> Creator | None:
    """The creator account with this handle (ignoring case), if any."""
    return repository.by_handle(session, handle)


def owned_by(session: Session, *, user: User) -> list[Creator]:
    """The creator accounts the user owns."""
    return repository.owned_by(session, user.id)


def history(session: Session, *, creator: Creator, limit: int,
            offset: int) -> Sequence[AuditEvent]:
    """Everything that happened to the creator account and its posts and codes."""
    return audit_repository.for_scope(session, creator_id=creator.id, limit=limit, offset=offset)
