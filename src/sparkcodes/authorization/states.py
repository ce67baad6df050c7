"""Rows to the plain states the pure rules take (a leaf module: models and rules only)."""

from __future__ import annotations

from sparkcodes.authorization import rules
from sparkcodes.models import Authorization, Creator, Post


def code_state(authorization: Authorization) -> rules.CodeState:
    return rules.CodeState(
        expires_at=authorization.expires_at,
        deleted_at=authorization.deleted_at,
        ad_account_id=authorization.ad_account_id,
    )


def post_state(post: Post, original: Post | None) -> rules.PostState:
    return rules.PostState(
        kind=post.kind,
        deleted_at=post.deleted_at,
        taken_down_at=post.taken_down_at,
        original_post_id=post.original_post_id,
        original_kind=original.kind if original else None,
    )


def creator_state(creator: Creator) -> rules.CreatorState:
    return rules.CreatorState(region=creator.region,
                              ad_settings_enabled_at=creator.ad_settings_enabled_at)
