from __future__ import annotations

from fastapi import APIRouter, Depends

from sparkcodes.audit.schemas import AuditEventOut
from sparkcodes.creator import service as creator_service
from sparkcodes.deps import SessionDep, SettingsDep, UserDep
from sparkcodes.kit.pagination import Page
from sparkcodes.models import Post
from sparkcodes.notification import watch
from sparkcodes.post import service
from sparkcodes.post.schemas import (
    OrganicStats,
    PostIn,
    PostOut,
    PostPatch,
    ReviewOut,
    review_out,
)

router = APIRouter(prefix="/v1", tags=["posts"])


def post_out(post: Post, *, caption_locked: bool = False) -> PostOut:
    out = PostOut.model_validate(post)
    out.stats = OrganicStats(views=post.views, likes=post.likes, comments=post.comments,
                             shares=post.shares)
    out.caption_locked = caption_locked
    return out


@router.post("/creators/{creator_id}/posts", response_model=PostOut, status_code=201)
def create_post(creator_id: str, body: PostIn, user: UserDep, session: SessionDep) -> PostOut:
    """Publish a post on one of your creator accounts."""
    creator = creator_service.get_owned(session, user=user, creator_id=creator_id)
    post = service.create(session, user=user, creator=creator, **body.model_dump())
    return post_out(post)


@router.get("/creators/{creator_id}/posts", response_model=list[PostOut])
def list_posts(creator_id: str, user: UserDep, session: SessionDep,
               page: Page = Depends(Page.dep)) -> list[PostOut]:
    """The posts of one of your creator accounts, newest first."""
    creator = creator_service.get_owned(session, user=user, creator_id=creator_id)
    posts = service.of_creator(session, creator=creator, limit=page.limit, offset=page.offset)
    return [post_out(p) for p in posts]


@router.get("/posts/{post_id}", response_model=PostOut)
def get_post(post_id: str, user: UserDep, session: SessionDep) -> PostOut:
    """One of your posts."""
    post, _ = service.get_owned(session, user=user, post_id=post_id)
    return post_out(post, caption_locked=service.caption_locked(session, post=post))


@router.patch("/posts/{post_id}", response_model=PostOut)
def edit_post(post_id: str, body: PostPatch, user: UserDep, session: SessionDep) -> PostOut:
    """Edit a post. The caption is locked once the post has a code (`caption_locked`); a new sound
    or cover starts a new revision, which stops ads on the old one."""
    post, _ = service.get_owned(session, user=user, post_id=post_id)
    changes = body.model_dump(exclude_unset=True, exclude_none=True)
    post = service.edit(session, user=user, post=post, changes=changes, watch=watch)
    return post_out(post, caption_locked=service.caption_locked(session, post=post))


@router.delete("/posts/{post_id}", response_model=PostOut)
def delete_post(post_id: str, user: UserDep, session: SessionDep) -> PostOut:
    """Delete a post; refused while a live ad runs on it."""
    post, _ = service.get_owned(session, user=user, post_id=post_id)
    return post_out(service.delete(session, user=user, post=post, watch=watch))


@router.get("/posts/{post_id}/history", response_model=list[AuditEventOut])
def post_history(post_id: str, user: UserDep, session: SessionDep,
                 page: Page = Depends(Page.dep)) -> list[AuditEventOut]:
    """The post's audit trail, oldest first."""
    post, _ = service.get_owned(session, user=user, post_id=post_id)
    events = service.history(session, post=post, limit=page.limit, offset=page.offset)
    return [AuditEventOut.model_validate(e) for e in events]


@router.get("/posts/{post_id}/review", response_model=ReviewOut)
def post_review(post_id: str, user: UserDep, session: SessionDep,
                settings: SettingsDep) -> ReviewOut:
    """The pre-promotion review of one of your posts: organic age, completion at 15 s and comment
    sentiment, each line with the numbers behind it. Advice, not a gate: a code can still be
    generated and linked."""
    post, _ = service.get_owned(session, user=user, post_id=post_id)
    return review_out(service.pre_promotion_review(session, settings=settings, post=post))
