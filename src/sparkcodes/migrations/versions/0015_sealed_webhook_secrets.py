"""Webhook signing secrets sealed at rest: every endpoint's secret and previous secret, stored in
clear until now, is sealed (Fernet, kit/sealing.py) under the secret key; down opens them again.

The secret key is the one ``sparkcodes db upgrade`` runs with (``alembic_config(...,
secret_key=...)``), else the configured settings' key; it is only read when a row needs it.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 02:00:00
"""
from collections.abc import Callable

import sqlalchemy as sa
from alembic import context, op

from sparkcodes.kit.sealing import WEBHOOK_INFO, Sealer

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

CLEAR_PREFIX = "whsec_"  # a Standard Webhooks secret; no sealed value starts with it

endpoints = sa.table('webhook_endpoints', sa.column('id', sa.String),
                     sa.column('secret', sa.String), sa.column('previous_secret', sa.String))


def _sealer() -> Sealer:
    attributes = context.config.attributes
    key = attributes.get("secret_key")
    previous = attributes.get("previous_secret_keys") or []
    if key is None:
        from sparkcodes.config import get_settings

        settings = get_settings()
        key, previous = settings.secret_key, settings.previous_secret_keys
    return Sealer(key, previous, info=WEBHOOK_INFO)


def _rewrite(change: Callable[[Sealer, str], str]) -> None:
    conn = op.get_bind()
    rows = conn.execute(sa.select(endpoints.c.id, endpoints.c.secret,
                                  endpoints.c.previous_secret)).all()
    box = None
    for endpoint_id, secret, previous in rows:
        values = {}
        for name, stored in (("secret", secret), ("previous_secret", previous)):
            if stored is None:
                continue
            if box is None:
                box = _sealer()
            new = change(box, stored)
            if new != stored:
                values[name] = new
        if values:
            conn.execute(sa.update(endpoints).where(endpoints.c.id == endpoint_id)
                         .values(**values))


def upgrade() -> None:
    _rewrite(lambda box, stored: box.seal(stored) if stored.startswith(CLEAR_PREFIX)
             else stored)


def downgrade() -> None:
    _rewrite(lambda box, stored: stored if stored.startswith(CLEAR_PREFIX)
             else box.open(stored))
