from __future__ import annotations

import typer
from rich import box
from rich.table import Table

from sparkcodes import errors
from sparkcodes.authorization import service as authorization_service
from sparkcodes.authorization.schemas import authorization_out
from sparkcodes.cli.common import console, database, fail, run_app_error
from sparkcodes.creator import service as creator_service
from sparkcodes.kit.clock import utc_now
from sparkcodes.notification import watch

_STYLE = {"NOT_USED": "cyan", "IN_USE": "green", "EXPIRED": "yellow", "DELETED": "red"}

posts_app = typer.Typer(help="Posts (platform operations).", no_args_is_help=True)


def list_codes(
    creator: str = typer.Option(None, "--creator", help="A creator handle"),
    ad_account: str = typer.Option(None, "--ad-account", help="An ad account id"),
) -> None:
    """List a creator's or an ad account's codes with status, window and users."""
    if (creator is None) == (ad_account is None):
        fail("Give exactly one of --creator HANDLE or --ad-account ID.", 2)
    db, _ = database()
    with db.unit_of_work(write=False) as session:
        if creator is not None:
            found = creator_service.by_handle(session, handle=creator.removeprefix("@"))
            if found is None:
                fail(f"No creator account @{creator.removeprefix('@')}.")
            rows = authorization_service.of_creator(session, creator=found)
            title = f"Codes of @{found.handle}"
        else:
            rows = authorization_service.of_ad_account(session, ad_account_id=ad_account)
            title = f"Codes bound to ad account {ad_account}"
        users = authorization_service.users_of(session, [a for a, _ in rows], watch=watch)
        now = utc_now()
        table = Table(title=title, box=box.SIMPLE_HEAD)
        table.add_column("code", no_wrap=True, min_width=7)
        table.add_column("post", max_width=24, overflow="ellipsis", no_wrap=True)
        table.add_column("status", no_wrap=True, min_width=8)
        table.add_column("expires (left)", no_wrap=True)
        table.add_column("used by", overflow="fold", min_width=12)
        for a, post in rows:
            out = authorization_out(a, now, users.get(a.id))
            used = (f"{out.used_by.business_name} · {out.used_by.ad_account_name}"
                    if out.used_by else "—")
            table.add_row(out.code_hint.removeprefix("SPARK-"), post.caption,
                          f"[{_STYLE[out.status]}]{out.status}[/]",
                          f"{out.expires_at:%Y-%m-%d} ({out.days_left}d)", used)
    if not rows:
        console.print(f"{title}: none.")
        return
    console.print(table)


@posts_app.command("take-down")
def take_down(post_id: str = typer.Argument(..., help="The post's id"),
              reason: str = typer.Option(...,
                                         help="Why, shown to the creator and the brands")) -> None:
    """Moderation take-down of a post (R11): every ad on it stops."""
    from sparkcodes.post import service as post_service

    db, _ = database()
    try:
        with db.unit_of_work() as session:
            post = post_service.by_id(session, post_id=post_id)
            if post is None:
                raise errors.NotFound(f"No post {post_id}.")
            post_service.take_down(session, actor_id=None, post=post, reason=reason, watch=watch)
    except errors.AppError as exc:
        run_app_error(exc)
    console.print(f"Post {post_id} taken down: {reason}")
