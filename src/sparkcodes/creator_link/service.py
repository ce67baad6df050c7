"""Creators who are not on sparkcodes (docs/connector.md, step 5): a brand e-mails a roster
creator a single-use, expiring link; on a page that needs no login the creator pastes a code,
which goes straight to ``tt_video/authorize/`` on the brand's advertiser and is never stored, or
presses "Done" after extending a code in the TikTok app, and sparkcodes re-reads TikTok to see
whether the end moved."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from sparkcodes import errors
from sparkcodes.audit import service as audit
from sparkcodes.authorization import rules as code_rules
from sparkcodes.config import Settings
from sparkcodes.creator_link import repository, rules
from sparkcodes.kit import crypto
from sparkcodes.kit.clock import utc_now
from sparkcodes.mail import service as mail_service
from sparkcodes.models import (
    TIKTOK,
    AdAccount,
    Business,
    Creator,
    CreatorLink,
    EmailMessage,
    RosterEntry,
    User,
    new_id,
)
from sparkcodes.notification import service as notify
from sparkcodes.ports import AdActions
from sparkcodes.worker import service as jobs

PATH = "/answer/"


@dataclass
class LinkView:
    """A link with the brand, ad account and creator it is about."""

    link: CreatorLink
    business: Business
    account: AdAccount
    creator: Creator

    def status(self, now: datetime) -> rules.LinkStatus:
        return rules.status_at(state_of(self.link), now)


def state_of(link: CreatorLink) -> rules.LinkState:
    return rules.LinkState(expires_at=link.expires_at, answered_at=link.answered_at,
                           cancelled_at=link.cancelled_at, attempts=link.attempts)


def _view(session: Session, link: CreatorLink) -> LinkView:
    return LinkView(link, *repository.context(session, link))


def _hash(settings: Settings, token: str) -> str:
    return crypto.keyed_hash(settings.secret_key, token, purpose=rules.TOKEN_PURPOSE)


def money(micros: int | None, currency: str) -> str:
    return "no fee named" if micros is None else f"{micros / 1_000_000:,.2f} {currency}"


def _check_reachable(session: Session, *, entry: RosterEntry, business: Business,
                     account: AdAccount) -> Creator:
    creator = session.get(Creator, entry.creator_id)
    assert creator is not None  # a foreign key
    if creator.owner_id is not None:
        raise errors.Conflict(f"@{creator.handle} is on sparkcodes: ask them in the app (Request "
                              "a code, Ask to extend) instead of by e-mail.",
                              code="creator_on_sparkcodes")
    if not entry.email:
        raise errors.InvalidInput(f"Add @{creator.handle}'s e-mail to the roster entry first.",
                                  code="creator_email_required")
    if account.business_id != business.id:
        raise errors.NotFound("No such ad account.", code="not_found")
    if account.source != TIKTOK:
        raise errors.InvalidInput("An e-mailed link works with an ad account linked from "
                                  "TikTok: the creator's code goes straight to TikTok.",
                                  code="link_needs_tiktok_account")
    return creator


def _send(session: Session, *, settings: Settings, link: CreatorLink, subject: str,
          lines: list[str]) -> str:
    """Queue the e-mail; its link's token is derived when it is sent, never kept. Returns the
    token (the caller keeps only its hash)."""
    nonce = crypto.new_url_secret()
    token = crypto.link_token(settings.secret_key, nonce)
    url = f"{mail_service.SITE}{PATH}{mail_service.token_slot(nonce)}"
    body = "\n".join([*lines, "", url,
                      "", f"The link works once and expires on {link.expires_at:%d %b %Y}. No "
                      "sparkcodes account is needed.", "",
                      "Not expecting this? Ignore this e-mail; nothing happens without you."])
    email = EmailMessage(id=new_id(), to_address=link.email, subject=subject[:200], body=body,
                         created_at=utc_now())
    session.add(email)
    session.flush()
    jobs.enqueue(session, mail_service.SEND_JOB, {"email_id": email.id},
                 dedupe_key=f"{mail_service.SEND_JOB}:{email.id}",
                 max_attempts=mail_service.SEND_MAX_ATTEMPTS)
    return token


def _audit(session: Session, user: User, link: CreatorLink, action: str,
           extra: dict[str, Any] | None = None) -> None:
    audit.record(session, actor_id=user.id, action=action, target_type="creator_link",
                 target_id=link.id, business_id=link.business_id, creator_id=link.creator_id,
                 after={"kind": link.kind, "ad_account_id": link.ad_account_id,
                        "days": link.days, "expires_at": link.expires_at.isoformat(),
                        **(extra or {})})


def ask_for_code(session: Session, *, settings: Settings, user: User, business: Business,
                 entry: RosterEntry, account: AdAccount, post_url: str | None, days: int,
                 fee_micros: int | None, currency: str, message: str) -> LinkView:
    """E-mail a creator who is not on sparkcodes a link to paste a code for the brand's TikTok
    advertiser. Raises creator_on_sparkcodes, creator_email_required,
    link_needs_tiktok_account, invalid_period, invalid_post_url, creator_link_pending."""
    creator = _check_reachable(session, entry=entry, business=business, account=account)
    code_rules.check_period(days, settings.codes.allowed_periods)
    post = rules.clean_post_url(post_url)
    now = utc_now()
    if repository.open_for(session, roster_entry_id=entry.id, ad_account_id=account.id,
                           kind=rules.CODE, spark_post_id=None, now=now) is not None:
        raise errors.Conflict(f"@{creator.handle} already has an open link for a code for "
                              f"{account.name}: withdraw it to send a new one.",
                              code="creator_link_pending")
    assert entry.email is not None
    link = CreatorLink(id=new_id(), kind=rules.CODE, token_hash="", business_id=business.id,
                       roster_entry_id=entry.id, creator_id=creator.id, ad_account_id=account.id,
                       email=entry.email, post_url=post, days=days, fee_micros=fee_micros,
                       currency=currency, message=message.strip(), created_by_id=user.id,
                       created_at=now,
                       expires_at=now + timedelta(days=settings.connector.link_days))
    lines = [f"Hello @{creator.handle},", "",
             f"{business.name} would like to run your TikTok post as a Spark Ad from your "
             "account, and asks you for a Spark code.", "",
             f"Post: {post or 'one of your posts (the brand will tell you which)'}",
             f"Period: {days} days", f"Fee: {money(fee_micros, currency)}"]
    if link.message:
        lines += ["", f"{business.name} says: {link.message}"]
    lines += ["", "Open this page for the steps in the TikTok app and one box to paste the code "
              f"into; it goes straight to {business.name}'s TikTok ad account:"]
    token = _send(session, settings=settings, link=link,
                  subject=f"{business.name} asks for a Spark code for your TikTok post",
                  lines=lines)
    link.token_hash = _hash(settings, token)
    repository.add(session, link)
    _audit(session, user, link, "creator_link.sent", {"post": post})
    return _view(session, link)


def ask_to_extend(session: Session, *, settings: Settings, user: User, business: Business,
                  entry: RosterEntry, spark_post_id: str, days: int,
                  message: str) -> LinkView:
    """E-mail a creator who is not on sparkcodes a link to extend the code of a Spark post the
    brand holds on TikTok, and to press "Done". Raises not_found, spark_post_not_theirs,
    creator_on_sparkcodes, creator_email_required, link_needs_tiktok_account, invalid_period,
    creator_link_pending."""
    found = repository.spark_post_with(session, spark_post_id) if "\x00" not in spark_post_id \
        else None
    account = session.get(AdAccount, found[0].ad_account_id) if found is not None else None
    if found is None or account is None or account.business_id != business.id:
        raise errors.NotFound("No such Spark post.")
    spark_post, _, post_creator, authorization = found
    creator = _check_reachable(session, entry=entry, business=business, account=account)
    if post_creator.id != creator.id and post_creator.handle_key != creator.handle_key:
        raise errors.InvalidInput(f"That Spark post is @{post_creator.handle}'s, not "
                                  f"@{creator.handle}'s.", code="spark_post_not_theirs")
    code_rules.check_period(days, settings.codes.allowed_periods)
    now = utc_now()
    if repository.open_for(session, roster_entry_id=entry.id, ad_account_id=account.id,
                           kind=rules.RENEWAL, spark_post_id=spark_post.id,
                           now=now) is not None:
        raise errors.Conflict(f"@{creator.handle} already has an open link to extend this "
                              "code: withdraw it to send a new one.",
                              code="creator_link_pending")
    assert entry.email is not None
    link = CreatorLink(id=new_id(), kind=rules.RENEWAL, token_hash="", business_id=business.id,
                       roster_entry_id=entry.id, creator_id=creator.id, ad_account_id=account.id,
                       email=entry.email, post_url="", days=days, fee_micros=None,
                       currency="USD", message=message.strip(), spark_post_id=spark_post.id,
                       end_before=authorization.expires_at, created_by_id=user.id,
                       created_at=now,
                       expires_at=now + timedelta(days=settings.connector.link_days))
    lines = [f"Hello @{creator.handle},", "",
             f"{business.name} runs your TikTok post as a Spark Ad; the code you gave ends on "
             f"{authorization.expires_at:%d %b %Y %H:%M} UTC, and its ads stop then. "
             f"{business.name} asks you to extend it by {days} days."]
    if link.message:
        lines += ["", f"{business.name} says: {link.message}"]
    lines += ["", "Open this page for the steps in the TikTok app, then press Done there:"]
    token = _send(session, settings=settings, link=link,
                  subject=f"{business.name} asks you to extend a Spark code", lines=lines)
    link.token_hash = _hash(settings, token)
    repository.add(session, link)
    _audit(session, user, link, "creator_link.sent", {"spark_post_id": spark_post.id})
    return _view(session, link)


def by_token(session: Session, *, settings: Settings, token: str) -> LinkView:
    """The link a token opens; NotFound link_not_found for anything else."""
    link = (repository.by_token_hash(session, _hash(settings, token))
            if rules.token_ok(token) else None)
    if link is None:
        raise errors.NotFound("This link is not valid. Open the whole link from the e-mail, or "
                              "ask the brand for a new one.", code="link_not_found")
    return _view(session, link)


def of_business(session: Session, *, business: Business, limit: int = 200) -> list[LinkView]:
    return [_view(session, link) for link in repository.of_business(session, business.id,
                                                                   limit=limit)]


def tiktok_accounts(session: Session, *, business: Business) -> list[AdAccount]:
    return repository.tiktok_accounts(session, business.id)


def get(session: Session, *, link_id: str) -> LinkView | None:
    link = repository.by_id(session, link_id) if "\x00" not in link_id else None
    return _view(session, link) if link is not None else None


def withdraw(session: Session, *, user: User, view: LinkView) -> LinkView:
    """The brand takes the request back: the link stops working. Answered already:
    creator_link_answered; withdrawn already: nothing changes."""
    if not repository.cancel(session, link_id=view.link.id, now=utc_now()):
        now_seen = get(session, link_id=view.link.id)
        assert now_seen is not None
        if now_seen.link.answered_at is not None:
            raise errors.Conflict("The creator already answered this link.",
                                  code="creator_link_answered")
        return now_seen
    _audit(session, user, view.link, "creator_link.withdrawn")
    fresh = get(session, link_id=view.link.id)
    assert fresh is not None
    return fresh


def _claim(session: Session, view: LinkView) -> None:
    now = utc_now()
    rules.check_open(state_of(view.link), now, brand=view.business.name)
    if not repository.claim(session, link_id=view.link.id, now=now,
                            until=now + timedelta(seconds=rules.BUSY_SECONDS)):
        raise errors.Conflict("Another answer on this link is being checked right now; wait "
                              "a moment and reload the page.", code="link_busy")


def _told(session: Session, view: LinkView, *, title: str, body: str,
          data: dict[str, Any]) -> None:
    notify.emit(session, event_type="creator_link.answered", title=title, body=body,
                data={"creator_link_id": view.link.id, "kind": view.link.kind,
                      "creator": {"id": view.creator.id, "handle": view.creator.handle},
                      "ad_account": {"id": view.account.id, "name": view.account.name},
                      **data},
                business_ids={view.business.id})


def answer_with_code(session: Session, *, settings: Settings, actions: AdActions,
                     view: LinkView, code: str, original_code: str | None) -> LinkView:
    """Apply the pasted code on the brand's advertiser (and the original post's code, for a
    duet or stitch); the code is never stored. Raises the link's state (link_used,
    link_expired, link_cancelled, link_locked, link_busy) and TikTok's refusals in plain words
    (code_mistyped, code_not_found, code_expired, original_post_code_required, ...)."""
    if view.link.kind != rules.CODE:
        raise errors.InvalidInput("This link asks you to extend a code, not for a new one.",
                                  code="invalid_link_kind")
    if not code.strip():
        raise errors.InvalidInput("Paste the code you copied in the TikTok app.",
                                  code="code_mistyped")
    _claim(session, view)
    link_id, account = view.link.id, view.account
    try:
        result = actions.bind_codes(session, settings=settings, user=None, account=account,
                                    codes=[code],
                                    original_codes=[original_code] if original_code else [])[0]
        refusal = result.error
    except errors.AppError as exc:  # the connection cannot call TikTok
        refusal = exc
    if refusal is not None:
        repository.release(session, link_id=link_id,
                           refusal=getattr(refusal, "code", "refused"))
        raise refusal
    fresh = get(session, link_id=link_id)
    assert fresh is not None
    if not repository.mark_answered(session, link_id=link_id, now=utc_now(),
                                    result_spark_post_id=result.spark_post_id, end_after=None):
        return fresh  # answered a moment ago by the same code: nothing more to do
    _follow_mirror(session, fresh, result.spark_post_id)
    audit.record(session, actor_id=None, action="creator_link.answered",
                 target_type="creator_link", target_id=link_id,
                 business_id=fresh.business.id, creator_id=fresh.creator.id,
                 after={"spark_post_id": result.spark_post_id, "code_hint": result.code_hint})
    handle = fresh.creator.handle
    _told(session, fresh, title=f"@{handle} sent a code through your e-mailed link",
          body=(f"@{handle} pasted a {fresh.link.days}-day code on the link you e-mailed: it is "
                f"bound to {fresh.account.name} on TikTok and the post is tracked. Nobody needed "
                "to copy a code."),
          data={"spark_post_id": result.spark_post_id})
    final = get(session, link_id=link_id)
    assert final is not None
    return final


def _follow_mirror(session: Session, view: LinkView, spark_post_id: str | None) -> None:
    """Once TikTok names the creator (the mirrored identity), the roster entry follows it, so
    its codes and flags count what the brand now holds."""
    found = repository.spark_post_with(session, spark_post_id) if spark_post_id else None
    entry_id = view.link.roster_entry_id
    if found is None or entry_id is None:
        return
    mirrored = found[2]
    if mirrored.id == view.creator.id or repository.entry_of(
            session, business_id=view.business.id, creator_id=mirrored.id) is not None:
        return
    repository.repoint_entry(session, entry_id=entry_id, creator_id=mirrored.id)


def answer_done(session: Session, *, settings: Settings, actions: AdActions,
                view: LinkView) -> LinkView:
    """The creator says the code is extended: re-read TikTok (a sync of the advertiser) and
    answer the link only if the end moved. Raises the link's state, end_not_moved,
    tiktok_check_deferred."""
    if view.link.kind != rules.RENEWAL or view.link.spark_post_id is None:
        raise errors.InvalidInput("This link asks for a code, not to extend one.",
                                  code="invalid_link_kind")
    _claim(session, view)
    link_id, spark_post_id, before = view.link.id, view.link.spark_post_id, view.link.end_before
    try:
        synced = actions.resync(session, settings=settings, account=view.account)
    except errors.AppError as exc:  # the connection cannot call TikTok
        repository.release(session, link_id=link_id, refusal=exc.code)
        raise
    after = repository.window_end(session, spark_post_id)
    if not rules.end_moved(before, after):
        if not synced:
            repository.release(session, link_id=link_id, refusal="tiktok_check_deferred")
            raise errors.Unavailable("TikTok could not be asked just now. Press Done again in "
                                     "a minute.", retry_after=60, code="tiktok_check_deferred")
        repository.release(session, link_id=link_id, refusal="end_not_moved")
        when = f"{after:%d %b %Y %H:%M} UTC" if after else "the same day"
        raise errors.Conflict(f"TikTok still shows this code ending on {when}. Extend it in the "
                              "app (the steps above), then press Done again.",
                              code="end_not_moved")
    fresh = get(session, link_id=link_id)
    assert fresh is not None
    if not repository.mark_answered(session, link_id=link_id, now=utc_now(),
                                    result_spark_post_id=spark_post_id, end_after=after):
        return fresh
    assert after is not None
    audit.record(session, actor_id=None, action="creator_link.answered",
                 target_type="creator_link", target_id=link_id, business_id=fresh.business.id,
                 creator_id=fresh.creator.id,
                 after={"spark_post_id": spark_post_id, "end_after": after.isoformat()})
    handle = fresh.creator.handle
    _told(session, fresh, title=f"@{handle} extended a code through your e-mailed link",
          body=(f"@{handle} extended the code of a Spark post in {fresh.account.name}: TikTok "
                f"now shows it ending on {after:%Y-%m-%d %H:%M} UTC."),
          data={"spark_post_id": spark_post_id, "window_end": after})
    final = get(session, link_id=link_id)
    assert final is not None
    return final
