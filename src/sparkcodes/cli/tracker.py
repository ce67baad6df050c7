"""`sparkcodes tracker`: the R22 tracker of one business in the terminal, or as CSV."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.table import Table
from rich.text import Text

from sparkcodes import errors
from sparkcodes.cli.common import console, database, fail, run_app_error
from sparkcodes.kit.clock import utc_now
from sparkcodes.tracker import export, rules, service
from sparkcodes.tracker.schemas import TrackerItemOut, at_risk_by_currency, item_out
from sparkcodes.values import amounts_text, money_text, with_currency

# Statuses are long (AUTHORIZATION_EXPIRED): the table shows a word, the CSV the full value.
_SHORT = {
    "AUTHORIZED": ("ok", "green"), "AUTHORIZATION_EXPIRED": ("expired", "yellow"),
    "AUTHORIZATION_DELETED": ("deleted", "red"), "POST_UNAVAILABLE": ("gone", "red"),
    "ACCOUNT_AD_SETTINGS_OFF": ("ads off", "red"), "IDENTITY_UNLINKED": ("unlinked", "red"),
    "UNBOUND": ("unbound", "dim"),
}
# Contract flags as one-character marks after the contract's end date, explained below the table.
_MARKS = {rules.CODE_SHORTER_THAN_CONTRACT: ("*", "yellow"),
          rules.RUNNING_PAST_CONTRACT: ("!", "bold red")}
_LEGEND = "* code ends before its contract   ! ads running after the contract ended"
_GAP = 2  # between columns: the box's blank separator and one space of padding
NARROW = 90  # below this many columns the table leaves out the end date
_HEADERS = ("creator", "post", "ad account", "status", "ends", "left", "live", "at risk",
            "contract")


def _left(item: TrackerItemOut) -> Text:
    if item.days_left is None or item.hours_left is None:
        return Text("—", style="dim")
    if item.hours_left == 0:
        return Text("ended", style="yellow")
    text = f"{item.hours_left}h" if item.hours_left < 48 else f"{item.days_left}d"
    style = "bold red" if item.hours_left <= 24 else "yellow" if item.hours_left <= 72 else ""
    return Text(text, style=style)


def _contract(item: TrackerItemOut) -> Text:
    if item.contract is None:
        return Text("—", style="dim")
    out = Text(f"{item.contract.ends_at:%Y-%m-%d}")
    for flag in item.flags:
        mark, style = _MARKS[flag]
        out.append(mark, style=style)
    return out


def _cells(i: TrackerItemOut) -> list[str | Text]:
    word, style = _SHORT.get(i.status, (i.status.lower(), ""))
    return [
        f"@{i.creator.handle}", " ".join(i.post.caption.split()) or i.post.id,
        i.ad_account.name, Text(word, style=style),
        f"{i.window_end:%Y-%m-%d}" if i.window_end else "—", _left(i),
        f"{i.live_ads}/{i.total_ads}",
        with_currency(money_text(i.spend_at_risk), i.ad_account.currency),
        _contract(i),
    ]


def _widths(rows: list[list[str | Text]], headers: tuple[str, ...], width: int) -> list[int]:
    """Fixed columns as wide as their widest cell; creator, post and ad account share the rest
    (post first), so a row stays on one line however long its caption."""
    natural = [max([len(h)] + [len(str(r[c])) for r in rows]) for c, h in enumerate(headers)]
    fixed = sum(natural[3:]) + _GAP * (len(headers) - 1)
    room = max(width - fixed, 18)
    creator = min(natural[0], max(6, room * 3 // 10))
    account = min(natural[2], max(6, room // 4))
    post = max(6, room - creator - account)
    spare = post - natural[1]
    if spare > 0:  # short captions: give the room back to the names
        post = natural[1]
        extra = min(spare, natural[0] - creator)
        creator += extra
        account = min(natural[2], account + spare - extra)
    return [creator, post, account, *natural[3:]]


def _table(items: list[TrackerItemOut], title: str, width: int) -> Table:
    rows = [_cells(i) for i in items]
    headers: tuple[str, ...] = _HEADERS
    if width < NARROW:  # the end date goes; "left" still says when
        keep = [c for c, h in enumerate(headers) if h != "ends"]
        headers = tuple(headers[c] for c in keep)
        rows = [[r[c] for c in keep] for r in rows]
    table = Table(title=title, box=box.SIMPLE_HEAD, title_justify="left", show_edge=False,
                  pad_edge=False, padding=(0, _GAP - 1, 0, 0))
    right = {"left", "live", "at risk"}
    for header, w in zip(headers, _widths(rows, headers, width), strict=True):
        table.add_column(header, width=w, no_wrap=True, overflow="ellipsis",
                         justify="right" if header in right else "left")
    for row in rows:
        table.add_row(*row)
    return table


def tracker(
    business: str = typer.Option(..., "--business", "-b", help="Business name or id"),
    expiring_within: str = typer.Option(None, "--expiring-within",
                                        help='Only windows ending within this: "3d", "72h"'),
    ad_account: str = typer.Option(None, "--ad-account", help="An ad account id"),
    creator: str = typer.Option(None, "--creator", help="A creator handle"),
    post: str = typer.Option(None, "--post", help="One post's codes across all ad accounts"),
    status: list[str] = typer.Option([], "--status",  # noqa: B008
                                     help="AUTHORIZED, AUTHORIZATION_EXPIRED, ... (repeatable)"),
    sort: str = typer.Option("expiry", help="expiry, days_left, spend_at_risk or creator "
                                            "('-' reverses)"),
    include_unbound: bool = typer.Option(False, "--include-unbound", help="Show unbound too"),
    limit: int = typer.Option(100, min=1, help="Rows in the table (the CSV has every row)"),
    csv_file: Annotated[Path | None, typer.Option(
        "--csv", dir_okay=False,
        help="Write every matching row as CSV to this file ('-': standard output)")] = None,
) -> None:
    """Every Spark post a business holds: status, window, live ads, spend at risk, contract."""
    db, _ = database()
    try:
        with db.unit_of_work(write=False) as session:
            found = service.businesses_matching(session, name_or_id=business)
            if not found:
                fail(f"No business named or with id {business!r}.")
            if len(found) > 1:
                ids = ", ".join(b.id for b in found)
                fail(f"{len(found)} businesses are named {business!r}; give the id ({ids}).")
            q = service.query(status=status, expiring_within=expiring_within,
                              ad_account_id=ad_account, creator=creator, post_id=post,
                              include_unbound=include_unbound, sort=sort)
            result = service.track(session, business=found[0], q=q, now=utc_now(),
                                   limit=None if csv_file else limit)
            items = [item_out(i) for i in result.items]
            at_risk = at_risk_by_currency(result.items)  # per currency: never added together
            name = found[0].name
    except errors.AppError as exc:
        run_app_error(exc)
    if csv_file is not None:
        if str(csv_file) == "-":
            sys.stdout.write(export.text(items))
            return
        with csv_file.open("w", newline="", encoding="utf-8") as out:
            for chunk in export.lines(items):
                out.write(chunk)
        console.print(f"Wrote {len(items)} row(s) to {csv_file}.")
        return
    if not items:
        console.print(f"{name}: no Spark posts match.")
        return
    flagged = sum(1 for i in items if i.flags)
    more = "" if result.total_exact else "+"
    shown = f"{len(items)} of {result.total:,}{more}" if result.total > len(items) \
        else f"{len(items)}"
    console.print(_table(items, f"{name}: {shown} Spark post(s)", console.width))
    amounts = amounts_text(at_risk)
    console.print(f"Spend at risk {amounts} a day · {flagged} flagged against a contract")
    if flagged:
        console.print(_LEGEND, style="dim")
