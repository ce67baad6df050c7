"""Rows to the plain states the pure rules take (a leaf module: models and rules only)."""

from __future__ import annotations

from sparkcodes import values
from sparkcodes.models import Authorization, Creator, Post


def code_state(authorization: Authorization) -> values.CodeState:
    return values.CodeState(
        expires_at=authorization.expires_at,
        deleted_at=authorization.deleted_at,
        ad_account_id=authorization.ad_account_id,
    )


def post_state(post: Post, original: Post | None) -> values.PostState:
    return values.PostState(
        kind=post.kind,
        deleted_at=post.deleted_at,
        taken_down_at=post.taken_down_at,
        original_post_id=post.original_post_id,
        original_kind=original.kind if original else None,
    )


def creator_state(creator: Creator) -> values.CreatorState:
    return values.CreatorState(region=creator.region,
                              ad_settings_enabled_at=creator.ad_settings_enabled_at)
