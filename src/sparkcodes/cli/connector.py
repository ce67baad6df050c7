"""`sparkcodes connector`: the TikTok connector's housekeeping."""

from __future__ import annotations

import typer

from sparkcodes.cli.common import console, database, fail

app = typer.Typer(help="TikTok connections.", no_args_is_help=True)


@app.command("rotate-keys")
def rotate_keys() -> None:
    """Seal every stored access token and app secret again under the current secret key.

    Run it after changing SPARKCODES_SECRET_KEY with the old key listed in
    SPARKCODES_PREVIOUS_SECRET_KEYS; once it has run, the old key can be dropped from that list.
    """
    from sparkcodes.connector import service
    from sparkcodes.kit.sealing import SealBroken

    db_, settings = database()
    with db_.session() as session:
        try:
            changed = service.rotate_keys(session, settings=settings)
        except SealBroken:
            session.rollback()
            fail("A stored secret opens under none of the configured keys: list the key it was "
                 "sealed with in SPARKCODES_PREVIOUS_SECRET_KEYS and run this again. Nothing "
                 "was changed.")
        session.commit()
    console.print(f"Re-sealed the secrets of {changed} connection(s) under the current key.")
