"""`sparkcodes rotate-keys`: every stored secret sparkcodes reads back, sealed again under the
current secret key."""

from __future__ import annotations

from sparkcodes.cli.common import console, database, fail


def rotate_keys() -> None:
    """Seal every stored secret again under the current secret key: TikTok connections' access
    tokens and app secrets, and webhook endpoints' signing secrets (any still stored in clear
    are sealed too).

    Run it after changing SPARKCODES_SECRET_KEY with the old key listed in
    SPARKCODES_PREVIOUS_SECRET_KEYS; once it has run, no stored secret needs the old key. Keep it
    listed while audit rows chained under it must verify (audit links cannot be re-made).
    All or nothing: if one secret opens under none of the configured keys, nothing changes.
    """
    from sparkcodes.connector import service as connector_service
    from sparkcodes.kit.sealing import SealBroken
    from sparkcodes.webhook import service as webhook_service

    db_, settings = database()
    with db_.session() as session:
        try:
            connections = connector_service.rotate_keys(session, settings=settings)
            endpoints = webhook_service.rotate_keys(session, settings=settings)
        except SealBroken:
            session.rollback()
            fail("A stored secret opens under none of the configured keys: list the key it was "
                 "sealed with in SPARKCODES_PREVIOUS_SECRET_KEYS and run this again. Nothing "
                 "was changed.")
        session.commit()
    console.print(f"Re-sealed the secrets of {connections} TikTok connection(s) and "
                  f"{endpoints} webhook endpoint(s) under the current key.")
