"""Pages: the business's creator roster and contracts."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query
from fastapi.responses import Response

from sparkcodes import errors
from sparkcodes.ad.schemas import to_micros
from sparkcodes.business import rules as business_rules
from sparkcodes.business import service as business_service
from sparkcodes.business.auth import BusinessOperate, BusinessRead
from sparkcodes.contract import service as contract_service
from sparkcodes.contract.presenters import contract_out
from sparkcodes.creator_link import service as link_service
from sparkcodes.kit import limits
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import AdAccount, Business
from sparkcodes.roster import rules, service
from sparkcodes.roster.presenters import entry_out
from sparkcodes.spark_post import presenters as spark_presenters
from sparkcodes.tracker import rules as tracker_rules
from sparkcodes.tracker import service as tracker_service
from sparkcodes.web.kit import Web, WebForm, WebPage, back, form_amount, too_long

router = APIRouter(tags=["pages"])

PAGE_SIZE = 50
CONTRACTS_SHOWN = 500
# Creators and posts offered in the forms' pickers; any other is typed (handle, post id).
PICKER_SIZE = 500
HELD_SHOWN = 500  # codes on linked TikTok accounts offered to extend by e-mail, on one page
FLAGS_SHOWN = 5  # flagged Spark posts shown on a contract's card; the tracker lists the rest
MAX_RATE = 100_000_000
# What the roster's entry form takes; the handle is checked as typed ("@maya.makes ").
_ENTRY_LIMITS = {"handle": limits.HANDLE_INPUT, "currency": limits.CURRENCY,
                 "notes": limits.NOTES, "email": limits.EMAIL}
STATUS_LABELS = {"prospect": "Prospect", "active": "Active", "paused": "Paused"}
CONTRACT_BADGE = {"upcoming": "neutral", "active": "ok", "ended": "muted"}
FLAG_TEXT = {
    tracker_rules.CODE_SHORTER_THAN_CONTRACT: "the code ends before the contract does; ask the "
                                              "creator to extend it",
    tracker_rules.RUNNING_PAST_CONTRACT: "an ad still runs after the contract ended; pause it "
                                         "or agree a new contract",
}
# The services speak to API clients ("creator_id or handle"); say it in the form's words.
_PLAIN = {"creator_required": "Type the creator's handle or pick one from the list — one of "
                              "the two, not both."}
_ADD_FIELD = {"invalid_roster_status": "status", "invalid_currency": "currency",
              "invalid_handle": "handle", "invalid_email": "email"}
_MAIL_FIELD = {"invalid_period": "days", "invalid_post_url": "post_url", "not_found": "account",
               "link_needs_tiktok_account": "account", "invalid_currency": "fee",
               "spark_post_not_theirs": "spark_post"}
_CONTRACT_FIELD = {"post_not_found": "contract_post", "post_not_of_creator": "contract_post",
                   "invalid_contract_window": "contract_ends"}


def _day(value: str, *, what: str) -> datetime:
    """A date input (YYYY-MM-DD) as the aware UTC datetime of that day's start."""
    text = value.strip()
    if not text:
        raise errors.InvalidInput(f"Choose the day the contract {what}.", code="date_required")
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise errors.InvalidInput("Enter a date such as 2026-01-31.",
                                  code="invalid_date") from None
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _offset(value: str) -> int:
    return int(value) if value.isdigit() and len(value) <= 9 else 0


def _page(web: Web, business: Business, role: str, *, status_filter: str = "", offset: int = 0,
          values: dict[str, str] | None = None, errs: dict[str, str] | None = None,
          open_entry: str | None = None, status: int = 200) -> Response:
    now = utc_now()
    wanted = status_filter if status_filter in rules.STATUSES else None
    rows, total = service.of_business(web.session, business=business, status=wanted,
                                      limit=PAGE_SIZE, offset=offset, now=now)
    entries = [entry_out(r.entry, r.creator, r.codes, web.settings) for r in rows]
    contract_rows, contract_total = contract_service.of_business(
        web.session, business=business, limit=CONTRACTS_SHOWN, offset=0)
    contracts = [contract_out(c, cr, p, now) for c, cr, p in contract_rows]
    by_creator: dict[str, list[Any]] = {}
    for c in contracts:
        by_creator.setdefault(c.creator.id, []).append(c)
    ran = {c.id: c for c in tracker_service.creators_run(web.session, business=business,
                                                         limit=PICKER_SIZE)}
    tiktok_accounts = link_service.tiktok_accounts(web.session, business=business)
    # Codes held on a linked TikTok account can be asked to extend by e-mail: with none linked,
    # the entries' creators need no reading.
    their_posts = tracker_service.held_on_tiktok(
        web.session, business=business, limit=HELD_SHOWN,
        creator_ids={r.creator.id for r in rows} if tiktok_accounts else set())
    flags = tracker_service.contract_flags(web.session, business=business, now=now,
                                           creator_ids={c.creator.id for c in contracts},
                                           shown=FLAGS_SHOWN)
    flagged = {contract_id: found.items for contract_id, found in flags.items()}
    known_posts = tracker_service.posts_run(web.session, business=business, now=now,
                                            limit=PICKER_SIZE)
    on_roster = {c.id: c for c in service.creators_on_roster(web.session, business=business,
                                                             limit=500)}
    pickable = sorted((c for cid, c in ran.items() if cid not in on_roster),
                      key=lambda c: c.handle_key)
    parties = sorted({**ran, **on_roster}.values(), key=lambda c: c.handle_key)

    def link(new_offset: int) -> str:
        query = {"status": wanted} if wanted else {}
        if new_offset:
            query["offset"] = str(new_offset)
        return f"/businesses/{business.id}/roster" + (f"?{urlencode(query)}" if query else "")

    # Creators who are not on sparkcodes: asked by e-mail, the requests sent and their state.
    links: dict[str, list[Any]] = {}
    for view in link_service.of_business(web.session, business=business):
        if view.link.roster_entry_id:
            links.setdefault(view.link.roster_entry_id, []).append(view)
    # A flagged code can be asked to extend right here (R24, at any time): on the cards' shown
    # flags.
    pending = spark_presenters.pending_renewals_of(
        web.session, (i for items in flagged.values() for i in items))
    return web.render("roster/page.html", {
        "business": business, "role": role, "can_operate": business_rules.allows(role, "operate"),
        "entries": entries, "total": total, "offset": offset, "page_size": PAGE_SIZE,
        "status_filter": wanted, "statuses": STATUS_LABELS,
        "prev_url": link(max(0, offset - PAGE_SIZE)) if offset > 0 else None,
        "next_url": link(offset + PAGE_SIZE) if offset + PAGE_SIZE < total else None,
        "contracts": contracts, "contract_total": contract_total, "by_creator": by_creator,
        "flagged": flagged, "flag_counts": {cid: found.count for cid, found in flags.items()},
        "flag_text": FLAG_TEXT,
        "contract_badge": CONTRACT_BADGE,
        "pickable": pickable, "parties": parties, "known_posts": known_posts,
        "values": values or {}, "errors": errs or {}, "open_entry": open_entry,
        "max_rate": MAX_RATE, "pending": pending, "periods": web.settings.codes.allowed_periods,
        "default_period": web.settings.codes.default_period,
        "links": links, "their_posts": their_posts, "now": now,
        "link_days": web.settings.connector.link_days,
        "mail_open": open_entry if any(k.startswith(("mail-", "extend-"))
                                       for k in (errs or {})) else None,
        "tiktok_accounts": tiktok_accounts,
    }, status=status)


# --- roster ----------------------------------------------------------------------------------

@router.get("/businesses/{business_id}/roster")
def roster(business_id: str, web: WebPage, access: BusinessRead, status: str = Query("",
           max_length=10),
           offset: str = Query("0", max_length=10)) -> Response:
    """The creators the brand works with: status, rate, notes, codes held and contracts."""
    business, role = access.business, access.role
    return _page(web, business, role, status_filter=status, offset=_offset(offset))


@router.post("/businesses/{business_id}/roster")
def add_to_roster(business_id: str, web: WebForm, access: BusinessOperate,
                  handle: str = Form(""), creator_id: str = Form("", max_length=32),
                  status: str = Form("prospect", max_length=10),
                  rate: str = Form(""), currency: str = Form("USD"),
                  notes: str = Form(""), email: str = Form("")) -> Response:
    """R31: put a creator on the roster, by handle or picked from the creators you run; a
    creator who is not on sparkcodes by handle and e-mail."""
    business, role = access.business, access.role
    values = {"handle": handle, "creator_id": creator_id, "status": status, "rate": rate,
              "currency": currency, "notes": notes, "email": email}
    errs = too_long(values, _ENTRY_LIMITS)
    if errs:
        return _page(web, business, role, values=values, errs=errs, status=422)
    try:
        amount = form_amount(rate, what="rate", high=MAX_RATE)
    except errors.AppError as exc:
        return _page(web, business, role, values=values, errs={"rate": exc.message},
                     status=exc.status)
    entry, error = web.attempt(service.add, web.session, user=web.me, business=business,
                               creator_id=creator_id.strip() or None,
                               handle=handle.strip() or None, status=status,
                               rate_micros=to_micros(amount), currency=currency, notes=notes,
                               email=email)
    if error is not None:
        field = _ADD_FIELD.get(error.code, "handle")
        if error.code == "creator_not_found" and creator_id.strip() and not handle.strip():
            field = "creator_id"
        return _page(web, business, role, values=values, status=error.status,
                     errs={field: _PLAIN.get(error.code, error.message)})
    assert entry is not None
    return web.redirect(f"/businesses/{business.id}/roster")


class _CardForm:
    """A form on one roster entry's card: the entry, its business, the caller's role and what
    was typed, kept under the card's field names (``<prefix>-<entry id>-<field>``), so that a
    refusal shows the roster again with the card open and the words next to the field."""

    def __init__(self, web: Web, entry_id: str, prefix: str, typed: dict[str, str]) -> None:
        self.web = web
        self.entry, self.business = service.get(web.session, user=web.me, entry_id=entry_id,
                                                action="operate")
        _, self.role = business_service.access(web.session, user=web.me,
                                               business_id=self.business.id, action="operate")
        self.key = f"{prefix}-{self.entry.id}-"
        self.typed = typed
        self.values = {self.key + name: value for name, value in typed.items()}

    def refused(self, errs: dict[str, str], status: int = 422) -> Response:
        """The roster again, with ``errs`` (by field name, without the card's prefix)."""
        return _page(self.web, self.business, self.role, values=self.values,
                     errs={self.key + name: words for name, words in errs.items()},
                     open_entry=self.entry.id, status=status)

    def too_long(self, limits_by_field: dict[str, int]) -> Response | None:
        """The roster with every over-long field's message, or None when all fit."""
        errs = too_long(self.typed, limits_by_field)
        return self.refused(errs) if errs else None

    def amount(self, typed: str, *, field: str) -> tuple[Decimal | None, Response | None]:
        """The typed amount of ``field`` (None when empty), or the roster with why it cannot
        be one."""
        try:
            return form_amount(typed, what=field, high=MAX_RATE), None
        except errors.AppError as exc:
            return None, self.refused({field: exc.message}, exc.status)

    def done(self) -> Response:
        return self.web.redirect(f"/businesses/{self.business.id}/roster#entry-{self.entry.id}")


@router.post("/roster/{entry_id}")
def edit_entry(entry_id: str, web: WebForm, status: str = Form("", max_length=10),
               rate: str = Form(""), currency: str = Form(""),
               notes: str = Form(""), email: str = Form("")) -> Response:
    """Change an entry's status, rate (empty clears it), currency, notes or e-mail."""
    form = _CardForm(web, entry_id, "edit", {"status": status, "rate": rate,
                                             "currency": currency, "notes": notes,
                                             "email": email})
    refusal = form.too_long(_ENTRY_LIMITS)
    if refusal is not None:
        return refusal
    amount, refusal = form.amount(rate, field="rate")
    if refusal is not None:
        return refusal
    changes: dict[str, Any] = {"status": status, "rate_micros": to_micros(amount),
                               "notes": notes, "email": email}
    if currency.strip():
        changes["currency"] = currency
    _, error = web.attempt(service.update, web.session, user=web.me, business=form.business,
                           entry=form.entry, changes=changes)
    if error is not None:
        web.session.refresh(form.entry)
        field = {"invalid_roster_status": "status", "invalid_currency": "currency",
                 "invalid_email": "email"}.get(error.code, "notes")
        return form.refused({field: error.message}, error.status)
    return web.redirect(back(web, f"/businesses/{form.business.id}/roster"))


@router.post("/roster/{entry_id}/delete")
def remove_entry(entry_id: str, web: WebForm) -> Response:
    """Take a creator off the roster; their contracts and codes stay."""
    entry, business = service.get(web.session, user=web.me, entry_id=entry_id,
                                  action="operate")
    service.remove(web.session, user=web.me, business=business, entry=entry)
    return web.redirect(f"/businesses/{business.id}/roster")


# --- creators who are not on sparkcodes: requests by e-mail -----------------------------------

@router.post("/roster/{entry_id}/email-code")
def email_code_request(entry_id: str, web: WebForm, ad_account_id: str = Form("", max_length=32),
                       post_url: str = Form(""), days: str = Form("", max_length=4),
                       fee: str = Form(""), message: str = Form("")) -> Response:
    """E-mail a creator who is not on sparkcodes a link to paste a code for a post."""
    form = _CardForm(web, entry_id, "mail", {"account": ad_account_id, "post_url": post_url,
                                             "days": days, "fee": fee, "message": message})
    refusal = form.too_long({"post_url": 300, "message": limits.TERMS})
    if refusal is not None:
        return refusal
    amount, refusal = form.amount(fee, field="fee")
    if refusal is not None:
        return refusal
    account = web.session.get(AdAccount, ad_account_id) if ad_account_id else None
    if account is None or account.business_id != form.business.id:
        return form.refused({"account": "Choose the TikTok ad account the code is for."})
    _, error = web.attempt(link_service.ask_for_code, web.session, settings=web.settings,
                           user=web.me, business=form.business, entry=form.entry,
                           account=account, post_url=post_url,
                           days=int(days) if days.isdigit() else 0,
                           fee_micros=to_micros(amount), currency=form.entry.currency,
                           message=message)
    if error is not None:
        return form.refused({_MAIL_FIELD.get(error.code, "form"): error.message}, error.status)
    return form.done()


@router.post("/roster/{entry_id}/email-extend")
def email_renewal_request(entry_id: str, web: WebForm,
                          spark_post_id: str = Form("", max_length=32),
                          days: str = Form("", max_length=4),
                          message: str = Form("")) -> Response:
    """E-mail a creator who is not on sparkcodes a link to extend a code and press Done."""
    form = _CardForm(web, entry_id, "extend", {"spark_post": spark_post_id, "days": days,
                                               "message": message})
    refusal = form.too_long({"message": limits.TERMS})
    if refusal is not None:
        return refusal
    _, error = web.attempt(link_service.ask_to_extend, web.session, settings=web.settings,
                           user=web.me, business=form.business, entry=form.entry,
                           spark_post_id=spark_post_id,
                           days=int(days) if days.isdigit() else 0, message=message)
    if error is not None:
        field = "spark_post" if error.code in ("not_found", "spark_post_not_theirs") else \
            _MAIL_FIELD.get(error.code, "form")
        return form.refused({field: error.message}, error.status)
    return form.done()


@router.post("/creator-links/{link_id}/withdraw")
def withdraw_link(link_id: str, web: WebForm) -> Response:
    """Withdraw an e-mailed request: its link stops working."""
    view = link_service.get(web.session, link_id=link_id)
    if view is None:
        raise errors.NotFound("No such e-mailed request.")
    try:
        business_service.access(web.session, user=web.me, business_id=view.business.id,
                                action="operate")
    except errors.NotFound:
        raise errors.NotFound("No such e-mailed request.") from None
    link_service.withdraw(web.session, user=web.me, view=view)
    anchor = f"#entry-{view.link.roster_entry_id}" if view.link.roster_entry_id else ""
    return web.redirect(f"/businesses/{view.business.id}/roster{anchor}")


# --- contracts -------------------------------------------------------------------------------

@router.post("/businesses/{business_id}/contracts")
def create_contract(business_id: str, web: WebForm, access: BusinessOperate,
                    creator_id: str = Form("", max_length=32),
                    handle: str = Form(""), post_id: str = Form(""),
                    starts_on: str = Form(""), ends_on: str = Form(""), fee: str = Form(""),
                    notes: str = Form("")) -> Response:
    """R26: record an agreed usage window for one post or every post of a creator."""
    business, role = access.business, access.role
    values = {"contract_creator": creator_id, "contract_handle": handle,
              "contract_post": post_id, "contract_starts": starts_on,
              "contract_ends": ends_on, "contract_fee": fee, "contract_notes": notes}
    errs = too_long(values, {"contract_handle": limits.HANDLE_INPUT,
                             "contract_post": limits.POST_ID, "contract_notes": limits.NOTES})
    parsed: dict[str, Any] = {}
    for name, parse in (("contract_starts", lambda: _day(starts_on, what="starts")),
                        ("contract_ends", lambda: _day(ends_on, what="ends")),
                        ("contract_fee", lambda: form_amount(fee, what="fee", high=MAX_RATE))):
        try:
            parsed[name] = parse()
        except errors.AppError as exc:
            errs[name] = exc.message
    chosen = creator_id.strip()
    if not errs and bool(chosen) == bool(handle.strip()):
        errs["contract_creator"] = ("Pick the creator from the list or type their handle — one "
                                    "of the two, not both.")
    if errs:
        return _page(web, business, role, values=values, errs=errs, status=422)
    if not chosen:
        found, error = web.attempt(service.find_creator, web.session, creator_id=None,
                                   handle=handle)
        if error is not None:
            return _page(web, business, role, values=values, status=error.status,
                         errs={"contract_handle": error.message})
        assert found is not None
        chosen = found.id
    result, error = web.attempt(contract_service.create, web.session, user=web.me,
                                business=business, creator_id=chosen,
                                post_id=post_id.strip() or None,
                                starts_at=parsed["contract_starts"],
                                ends_at=parsed["contract_ends"],
                                fee_micros=to_micros(parsed["contract_fee"]), notes=notes)
    if error is not None:
        field = _CONTRACT_FIELD.get(error.code, "contract_creator")
        return _page(web, business, role, values=values, errs={field: error.message},
                     status=error.status)
    assert result is not None
    return web.redirect(f"/businesses/{business.id}/roster#contracts")


@router.post("/contracts/{contract_id}/delete")
def delete_contract(contract_id: str, web: WebForm) -> Response:
    """End a contract early by deleting it (kept for the record); twice is harmless."""
    contract, business = contract_service.get(web.session, user=web.me, contract_id=contract_id,
                                              action="operate")
    contract_service.delete(web.session, user=web.me, business=business, contract=contract)
    return web.redirect(f"/businesses/{business.id}/roster#contracts")
