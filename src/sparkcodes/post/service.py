"""Posts: create, edit (caption lock, revisions), delete, moderation take-down (R3, R4, R10,
R11)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.audit import repository as audit_repository
from sparkcodes.audit import service as audit
from sparkcodes.config import Settings
from sparkcodes.creator import repository as creator_repository
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import AuditEvent, Creator, Post, PostRevision, User
from sparkcodes.ports import AdWatch
from sparkcodes.post import repository, rules


def _snapshot(post: Post) -> dict[str, Any]:
    return {
        "caption": post.caption, "sound": post.sound, "visibility": post.visibility,
        "cover_url": post.cover_url, "revision": post.revision,
    }


def create(session: Session, *, user: User, creator: Creator, kind: str, caption: str, sound: str,
           visibility: str, original_post_id: str | None = None,
           cover_url: str | None = None) -> Post:
    """Publish a post; a duet or stitch names its original (which must exist)."""
    original = None
    if original_post_id is not None:
        original = repository.by_id(session, original_post_id)
        if original is None:
            raise errors.NotFound("The original post does not exist.",
                                  code="original_post_not_found")
    rules.check_new_post(kind=kind, original_kind=original.kind if original else None,
                         has_original=original is not None)
    now = utc_now()
    post = Post(
        creator_id=creator.id, kind=kind, caption=caption, sound=sound, visibility=visibility,
        original_post_id=original_post_id, cover_url=cover_url, revision=1, published_at=now,
    )
    repository.add(session, post)
    repository.add(session, PostRevision(post_id=post.id, number=1, sound=sound,
                                         cover_url=cover_url, caption=caption, created_at=now))
    audit.record(session, actor_id=user.id, action="post.created", target_type="post",
                 target_id=post.id, creator_id=creator.id, after={**_snapshot(post), "kind": kind})
    return post


def find_original(session: Session, *, text: str) -> Post | None:
    """The post a duet or stitch names in a form (its link, video ID or post ID); None when the
    field is empty."""
    ref = rules.original_ref(text)
    if ref is None:
        return None
    post = (repository.by_tiktok_id(session, ref.tiktok_id) if ref.tiktok_id is not None
            else repository.by_id(session, ref.post_id or ""))
    if post is None:
        raise errors.NotFound("No post has that link or ID: copy it again from the original "
                              "post.", code="original_post_not_found")
    return post


def original_of(session: Session, *, post: Post) -> tuple[Post, Creator] | None:
    """The post a duet or stitch was made from, with its creator account."""
    if post.original_post_id is None:
        return None
    original = repository.by_id(session, post.original_post_id)
    creator = creator_repository.by_id(session, original.creator_id) if original else None
    return (original, creator) if original is not None and creator is not None else None


def get_owned(session: Session, *, user: User, post_id: str) -> tuple[Post, Creator]:
    """The post and its creator account if the user owns it; NotFound otherwise."""
    post = repository.by_id(session, post_id)
    if post is None:
        raise errors.NotFound("No such post.")
    creator = creator_repository.by_id(session, post.creator_id)
    if creator is None or creator.owner_id != user.id:
        raise errors.NotFound("No such post.")
    return post, creator


def edit(session: Session, *, user: User, post: Post, changes: dict[str, Any],
         watch: AdWatch) -> Post:
    """R4, R10: caption locked once authorized; sound/cover edits start a new revision."""
    now = utc_now()
    before = _snapshot(post)
    plan = rules.plan_edit(
        current=before,
        changes=changes,
        caption_locked=repository.has_undeleted_authorization(session, post.id),
        live_ads=watch.live_ads_of_post(session, post_id=post.id, now=now)
        if "visibility" in changes else [],
        unavailable=post.deleted_at is not None or post.taken_down_at is not None,
    )
    for key, value in changes.items():
        setattr(post, key, value)
    if plan.new_revision:
        post.revision += 1
        post.revised_at = now
        repository.add(session, PostRevision(post_id=post.id, number=post.revision,
                                             sound=post.sound, cover_url=post.cover_url,
                                             caption=post.caption, created_at=now))
    after = _snapshot(post)
    if before != after:
        action = "post.revised" if plan.new_revision else "post.edited"
        audit.record(session, actor_id=user.id, action=action, target_type="post",
                     target_id=post.id, creator_id=post.creator_id, before=before, after=after)
    session.flush()
    if plan.new_revision:
        watch.post_changed(
            session, posts=[post], event_type="post.edited", now=now,
            title="A post you run was edited: its ads stopped",
            body=f"The creator changed the post \"{post.caption[:60]}\" (now revision "
                 f"{post.revision}). Ads made from the earlier revision no longer deliver; "
                 "ask for the edit to be undone or make new ads.")
    if plan.visibility_changed and post.visibility != "public":
        watch.post_changed(
            session, posts=[post], event_type="post.privatised", now=now,
            title="A post you hold is no longer public",
            body=f"The creator made \"{post.caption[:60]}\" {post.visibility}. Ads on it "
                 "deliver only in ads-only mode.")
    return post


def delete(session: Session, *, user: User, post: Post, watch: AdWatch) -> Post:
    """R11: refused while a live ad runs on the post; deleting twice is harmless."""
    if post.deleted_at is not None:
        return post
    now = utc_now()
    rules.check_delete(watch.live_ads_of_post(session, post_id=post.id, now=now))
    post.deleted_at = now
    post.deleted_by_id = user.id
    audit.record(session, actor_id=user.id, action="post.deleted", target_type="post",
                 target_id=post.id, creator_id=post.creator_id)
    session.flush()
    watch.post_changed(session, posts=[post], event_type="post.deleted", now=now,
                        title="A post you hold was deleted",
                        body=f"The creator deleted \"{post.caption[:60]}\"; it cannot run as an "
                             "ad any more.")
    return post


def take_down(session: Session, *, actor_id: str | None, post: Post, reason: str,
              watch: AdWatch) -> Post:
    """R11: moderation take-down is always possible; every ad on the post stops."""
    if post.taken_down_at is not None:
        return post
    now = utc_now()
    post.taken_down_at = now
    post.take_down_reason = reason
    audit.record(session, actor_id=actor_id, action="post.taken_down", target_type="post",
                 target_id=post.id, creator_id=post.creator_id, reason=reason)
    session.flush()
    watch.post_changed(session, posts=[post], event_type="post.taken_down", now=now,
                        tell_creator=True, title="A post was taken down: its ads stopped",
                        body=f"\"{post.caption[:60]}\" was taken down ({reason}). Every ad on "
                             "it stopped.")
    return post


def by_id(session: Session, *, post_id: str) -> Post | None:
    """The post with this id, whoever owns it, if any."""
    return repository.by_id(session, post_id)


def by_tiktok_id(session: Session, *, tiktok_id: int) -> Post | None:
    """The post with this TikTok id, if any."""
    return repository.by_tiktok_id(session, tiktok_id)


def published_of(session: Session, *, creator: Creator, limit: int,
                 offset: int) -> tuple[list[Post], int]:
    """One page of a creator account's published posts, newest first, and how many there are."""
    return repository.published_of(session, creator.id, limit=limit, offset=offset)


def of_creator(session: Session, *, creator: Creator, limit: int, offset: int) -> list[Post]:
    """The creator account's posts."""
    return repository.of_creator(session, creator.id, limit=limit, offset=offset)


def caption_locked(session: Session, *, post: Post) -> bool:
    """R10: a post with any code not deleted (even an expired one) keeps its caption."""
    return repository.has_undeleted_authorization(session, post.id)


def history(session: Session, *, post: Post, limit: int, offset: int) -> Sequence[AuditEvent]:
    """The post's audit trail, oldest first."""
    return audit_repository.for_target(session, "post", post.id, limit=limit, offset=offset)


def pre_promotion_review(session: Session, *, settings: Settings, post: Post) -> rules.Review:
    """R30: the post's organic age, completion at 15 s and comment sentiment against the
    thresholds in settings, as a checklist."""
    return pre_promotion_reviews(session, settings=settings, posts=[post])[post.id]


def pre_promotion_reviews(session: Session, *, settings: Settings,
                          posts: Sequence[Post]) -> dict[str, rules.Review]:
    """R30 for several posts (a batch of previewed codes) in one statement, by post id."""
    t, now = settings.review, utc_now()
    numbers = repository.organic_numbers(session, [p.id for p in posts], t)
    reviews: dict[str, rules.Review] = {}
    for post in posts:
        views, watched_15s, tones = numbers.get(post.id, (0, 0, rules.Tones()))
        reviews[post.id] = rules.review(
            rules.OrganicNumbers(published_at=post.published_at, views=views,
                                 watched_15s=watched_15s, tones=tones),
            now=now, thresholds=t)
    return reviews
