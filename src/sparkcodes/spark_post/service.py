"""Codes, advertiser side: preview, bind (one to twenty), list, unbind, own posts (R13–R19)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from sparkcodes import errors, values
from sparkcodes.ad_account import repository as ad_account_repository
from sparkcodes.audit import repository as audit_repository
from sparkcodes.audit import service as audit
from sparkcodes.authorization import repository as authorization_repository
from sparkcodes.authorization import rules as code_rules
from sparkcodes.authorization.states import code_state, creator_state, post_state
from sparkcodes.config import Settings
from sparkcodes.creator import repository as creator_repository
from sparkcodes.kit import crypto, metrics
from sparkcodes.kit.clock import utc_now
from sparkcodes.kit.text import counted
from sparkcodes.models import (
    NATIVE,
    AdAccount,
    AuditEvent,
    Authorization,
    Creator,
    Post,
    SparkPost,
    User,
)
from sparkcodes.ports import AdActions
from sparkcodes.post import repository as post_repository
from sparkcodes.post import rules as post_rules
from sparkcodes.post import service as post_service
from sparkcodes.spark_post import repository, rules
from sparkcodes.throttle.rules import Tier
from sparkcodes.throttle.service import Limiter, Reservation


@dataclass
class Resolved:
    """A code matched to its rows."""

    parsed: crypto.ParsedCode
    authorization: Authorization
    post: Post
    creator: Creator
    original_post: Post | None


@dataclass
class Guard:
    """Brute-force accounting for one request (R15): failed look-ups count per ad account, per
    user, per client address and across the service (throttle.service.Limiter.lookups)."""

    limiter: Limiter
    tiers: tuple[Tier, ...]
    granted: int = 0  # look-ups this request was allowed to make

    def check(self) -> None:
        """RateLimited (429) if a tier is spent; Unavailable (503) if its store is down."""
        if self.tiers:
            self.limiter.check(self.tiers)

    def reserve(self) -> Reservation:
        """Count one look-up as failed before it is made (atomic; see throttle.service)."""
        reservation = self.limiter.reserve(self.tiers)
        self.granted += 1
        return reservation


def guard_for(limiter: Limiter, *, user: User, account: AdAccount, ip: str | None) -> Guard:
    return Guard(limiter, limiter.lookups(ad_account_id=account.id, user_id=user.id, ip=ip))


def resolve(session: Session, *, settings: Settings, guard: Guard, text: str) -> Resolved:
    """Find the code's rows; mistyped and unknown codes count against the brute-force limits,
    counted before the look-up so racing requests cannot look up more than the limit."""
    reservation = guard.reserve()
    try:
        parsed = crypto.parse_code(text)
    except crypto.CodeShapeError as exc:
        raise errors.InvalidInput(str(exc), code="code_mistyped") from None
    found = authorization_repository.with_post_by_code_hash(
        session, crypto.hash_code(settings.secret_key, parsed)
    )
    if found is None:
        raise errors.NotFound(
            "No Spark code matches: check it with the creator, or ask for a new one.",
            code="code_not_found",
        )
    reservation.release()  # a code that exists is no guess
    authorization, post, creator, original = found
    if post is None or creator is None:  # foreign keys make this unreachable; fail closed
        raise errors.NotFound("No Spark code matches.", code="code_not_found")
    return Resolved(parsed, authorization, post, creator, original)


def _problems(r: Resolved, *, settings: Settings, account: AdAccount,
              now: datetime) -> list[code_rules.Problem]:
    return code_rules.bind_problems(
        code=code_state(r.authorization), post=post_state(r.post, r.original_post),
        creator=creator_state(r.creator), ad_account_id=account.id, now=now,
        supported_regions=settings.supported_regions,
    )


@dataclass
class Preview:
    resolved: Resolved
    problems: list[code_rules.Problem]
    warnings: list[code_rules.Problem]
    bound_here: bool
    needs_original: bool
    # For a duet or stitch: the post it was made from with its creator, and the original-post
    # code given for it (None when none of the codes given is for that post).
    original_post: tuple[Post, Creator] | None = None
    original: Resolved | None = None
    review: post_rules.Review | None = None


def preview(session: Session, *, settings: Settings, guard: Guard, account: AdAccount,
            text: str, originals: Originals | None = None, review: bool = True) -> Preview:
    """R13: what binding would attach, and every problem in plain words; changes nothing.

    For a duet or stitch, the original-post codes given (``originals``, as a bind would get them)
    are checked as the bind would check them (R3): a missing one is a problem here already.
    ``review=False`` leaves the post's review (R30) to ``add_reviews``, which makes it for a
    whole batch of previews at once."""
    r = resolve(session, settings=settings, guard=guard, text=text)
    now = utc_now()
    problems = _problems(r, settings=settings, account=account, now=now)
    needs_original = r.post.kind in ("duet", "stitch") and r.post.original_post_id is not None
    original_post = originals_of(session, [r.post]).get(r.post.id) if needs_original else None
    original = None
    if needs_original and r.post.original_post_id:
        try:
            original = (originals or Originals([])).for_post(session, settings, guard,
                                                            r.post.original_post_id)
        except errors.RateLimited:
            raise
        except errors.AppError as exc:
            problems.append(code_rules.Problem(exc.code, exc.message, exc.status))
        else:
            problems += _original_problems(r, original, settings=settings, account=account,
                                           now=now)
            if original is not None and original.post.id != r.post.original_post_id:
                original = None
    return Preview(
        resolved=r, problems=problems, warnings=code_rules.sound_warnings(r.post.sound),
        bound_here=r.authorization.ad_account_id == account.id,
        needs_original=needs_original, original_post=original_post, original=original,
        review=(post_service.pre_promotion_review(session, settings=settings, post=r.post)
                if review else None),
    )


def add_reviews(session: Session, *, settings: Settings, previews: Sequence[Preview]) -> None:
    """R30: the review of every previewed post, made in one statement for the whole batch."""
    reviews = post_service.pre_promotion_reviews(
        session, settings=settings, posts=[p.resolved.post for p in previews])
    for p in previews:
        p.review = reviews[p.resolved.post.id]


def _original_problems(r: Resolved, original: Resolved | None, *, settings: Settings,
                       account: AdAccount, now: datetime) -> list[code_rules.Problem]:
    """R3: what is wrong with the original-post code given for a duet or stitch (or its
    absence)."""
    return code_rules.original_code_problems(
        post=post_state(r.post, r.original_post),
        original_code=code_state(original.authorization) if original else None,
        original_code_post_id=original.post.id if original else None,
        ad_account_id=account.id, now=now,
        original_post=post_state(original.post, original.original_post) if original else None,
        original_creator=creator_state(original.creator) if original else None,
        supported_regions=settings.supported_regions,
    )


@dataclass
class BindResult:
    index: int
    code_hint: str | None = None
    spark_post: SparkPost | None = None
    created: bool = False
    replaced: bool = False
    error: errors.AppError | None = None
    warnings: list[code_rules.Problem] = field(default_factory=list)
    # The rows the bind loaded, kept so the response needs no second read of them.
    resolved: Resolved | None = None
    original: Resolved | None = None


@dataclass
class Originals:
    """The original-post codes of one request, resolved lazily and once."""

    texts: list[str]
    found: dict[str, Resolved] = field(default_factory=dict)  # post_id -> resolved
    failures: list[errors.AppError] = field(default_factory=list)
    done: bool = False

    def for_post(self, session: Session, settings: Settings, guard: Guard,
                 post_id: str) -> Resolved | None:
        """The code given for ``post_id``; failing that, any code given (so the rules can say it
        is for another post); None when no original-post code was given at all. A pasted code
        that is mistyped or unknown is reported as such, not as missing."""
        if not self.done:
            self.done = True
            for text in self.texts:
                try:
                    r = resolve(session, settings=settings, guard=guard, text=text)
                except (errors.RateLimited, errors.Unavailable):
                    raise
                except errors.AppError as exc:
                    self.failures.append(exc)
                    continue
                self.found.setdefault(r.post.id, r)
        if post_id in self.found:
            return self.found[post_id]
        if self.found:
            return next(iter(self.found.values()))
        if self.failures:
            first = self.failures[0]
            raise errors.AppError("The original post's code: " + first.message[0].lower()
                                  + first.message[1:], code=first.code, status=first.status)
        return None


def bind_many(session: Session, *, settings: Settings, guard: Guard, user: User,
              account: AdAccount, codes: list[str],
              original_codes: list[str] | None = None,
              actions: AdActions | None = None) -> list[BindResult]:
    """R14–R16: bind up to the batch size of codes; each succeeds or fails on its own. On an ad
    account mirrored from TikTok the codes are applied there (``actions``; without one, the
    account refuses with MirroredFromTikTok)."""
    limit = settings.codes.batch_size
    refusal = rules.batch_refusal(len(codes), limit)
    if refusal is rules.BatchRefusal.EMPTY:
        raise errors.InvalidInput("Paste at least one code.", code=refusal.value)
    if refusal is rules.BatchRefusal.TOO_LARGE:
        raise errors.InvalidInput(
            f"At most {limit} codes can be bound in one request; {len(codes)} were sent.",
            code=refusal.value,
        )
    if account.source != NATIVE:
        guard.check()
        return _bind_remote(session, settings=settings, user=user, account=account,
                            codes=codes, original_codes=list(original_codes or []),
                            actions=actions)
    originals = Originals(list(original_codes or []))
    results = []
    for index, text in enumerate(codes):
        result = BindResult(index=index)
        try:
            _bind_one(session, settings=settings, guard=guard, user=user, account=account,
                      text=text, originals=originals, result=result)
        except errors.Unavailable:
            raise  # the limiter's store is down: the whole request is refused (503)
        except errors.RateLimited as exc:
            if not guard.granted:
                # The request's first look-up was refused: a tier was spent before it came, so
                # the whole request is refused (429). The reservation is that check, exact and
                # in the same round trip, so none is sent ahead of it.
                raise
            result.error = exc
        except errors.AppError as exc:
            result.error = exc
        metrics.count_bind(result.error.code if result.error is not None else None)
        results.append(result)
    return results


def _remote_actions(account: AdAccount, actions: AdActions | None) -> AdActions:
    if actions is None:
        raise errors.MirroredFromTikTok(details={"ad_account_id": account.id})
    return actions


def _bind_remote(session: Session, *, settings: Settings, user: User, account: AdAccount,
                 codes: list[str], original_codes: list[str],
                 actions: AdActions | None) -> list[BindResult]:
    """The codes applied on the TikTok the account is mirrored from, as per-code results."""
    bound = _remote_actions(account, actions).bind_codes(
        session, settings=settings, user=user, account=account, codes=codes,
        original_codes=original_codes)
    results = []
    for b in bound:
        error = b.error
        if error is not None and not isinstance(error, errors.AppError):
            raise error
        warnings = []
        if error is None and b.spark_post_id is None:
            warnings.append(code_rules.Problem(
                "bound_sync_pending", "TikTok applied the code; the post shows here after the "
                "next sync, in a minute or two."))
        results.append(BindResult(
            index=b.index, code_hint=b.code_hint, created=b.created, error=error,
            warnings=warnings,
            spark_post=repository.by_id(session, b.spark_post_id) if b.spark_post_id else None))
    return results


def preview_remote(session: Session, *, settings: Settings, guard: Guard, account: AdAccount,
                   text: str, actions: AdActions | None) -> values.RemoteCode:
    """R13 on a mirrored ad account: what TikTok shows of the code (tt_video/info)."""
    guard.check()
    return _remote_actions(account, actions).preview_code(session, settings=settings,
                                                          account=account, text=text)


def unbind_remote(session: Session, *, settings: Settings, user: User, account: AdAccount,
                  spark_post: SparkPost, live_ads: list[values.LiveAd],
                  actions: AdActions | None) -> SparkPost:
    """R17 on a mirrored ad account: the post is unbound on TikTok (tt_video/unbind), then
    the sync shows it unbound here. Refused while a live ad runs on it, as natively."""
    _refuse_in_use(live_ads)
    if spark_post.unbound_at is None:
        _remote_actions(account, actions).unbind(session, settings=settings, user=user,
                                                 account=account, spark_post=spark_post)
        session.refresh(spark_post)
    return spark_post


def _refuse_in_use(live_ads: list[values.LiveAd]) -> None:
    if live_ads:
        raise errors.Conflict(
            f"{counted(len(live_ads), 'live ad')} {'runs' if len(live_ads) == 1 else 'run'} "
            f"on this post; pause or delete {'it' if len(live_ads) == 1 else 'them'} first.",
            code="spark_post_in_use", details={"live_ads": [a.ad_id for a in live_ads]},
        )


def _bind_one(session: Session, *, settings: Settings, guard: Guard, user: User,
              account: AdAccount, text: str, originals: Originals, result: BindResult) -> None:
    """Bind one code, or raise; a refusal leaves none of this code's writes behind."""
    r = resolve(session, settings=settings, guard=guard, text=text)
    result.code_hint = r.parsed.hint
    now = utc_now()
    problems = _problems(r, settings=settings, account=account, now=now)
    if problems:
        raise problems[0].as_error()
    original = None
    if r.post.kind in ("duet", "stitch") and r.post.original_post_id:
        original = originals.for_post(session, settings, guard, r.post.original_post_id)
        problems = _original_problems(r, original, settings=settings, account=account, now=now)
        if problems:
            raise problems[0].as_error()
    result.warnings = code_rules.sound_warnings(r.post.sound)
    result.resolved, result.original = r, original

    # The common case first, a plain post with no live Spark post here: its insert is the test
    # (it does nothing when one is live, bound before or by a concurrent request).
    if original is None and _bind_new(session, r, account=account, user=user, now=now,
                                      settings=settings, result=result):
        return
    existing = repository.active_for_post(session, account.id, r.post.id)
    # Several writes that can each be refused: a savepoint undoes the earlier ones.
    with session.begin_nested():
        _bind_existing_or_original(session, r, original, existing, account=account, user=user,
                                   now=now, settings=settings, result=result)


def _bind_new(session: Session, r: Resolved, *, account: AdAccount, user: User, now: datetime,
              settings: Settings, result: BindResult) -> bool:
    """The common case, a plain post with no live Spark post here, without a savepoint: insert
    the Spark post (nothing to refuse but a concurrent bind of the same post: False), then claim
    the code; a refused claim deletes the row just inserted, which no one else can have seen."""
    spark_post = repository.insert_active(
        session, ad_account_id=account.id, post_id=r.post.id, identity_type="AUTH_CODE",
        authorization_id=r.authorization.id, original_authorization_id=None,
        bound_by_id=user.id, bound_at=now,
    )
    if spark_post is None:
        return False
    try:
        _take_place(session, settings=settings, account=account)
    except errors.AppError:
        repository.discard(session, spark_post)
        raise
    try:
        _claim(session, r, account=account, user=user, now=now, settings=settings)
    except errors.AppError:
        repository.discard(session, spark_post)
        ad_account_repository.free_places(session, account.id)
        raise
    result.spark_post, result.created = spark_post, True
    _audit_bound(session, user, account, r, spark_post, action="spark_post.bound")
    return True


def _bind_existing_or_original(session: Session, r: Resolved, original: Resolved | None,
                               existing: SparkPost | None, *, account: AdAccount, user: User,
                               now: datetime, settings: Settings, result: BindResult) -> None:
    if existing is None:  # a place first, so a full ad account refuses before any claim
        _take_place(session, settings=settings, account=account)
    _claim(session, r, account=account, user=user, now=now, settings=settings)
    original_id = None
    if original is not None:
        _claim(session, original, account=account, user=user, now=now, settings=settings)
        original_id = original.authorization.id

    if existing is None:
        spark_post = repository.insert_active(
            session, ad_account_id=account.id, post_id=r.post.id, identity_type="AUTH_CODE",
            authorization_id=r.authorization.id, original_authorization_id=original_id,
            bound_by_id=user.id, bound_at=now,
        )
        if spark_post is not None:
            result.spark_post, result.created = spark_post, True
            _audit_bound(session, user, account, r, spark_post, action="spark_post.bound")
            return
        # A concurrent request of this ad account bound the same post first.
        ad_account_repository.free_places(session, account.id)
        existing = repository.active_for_post(session, account.id, r.post.id)
        if existing is None:
            raise errors.Conflict("The Spark post changed meanwhile; try again.",
                                  code="concurrent_update")
    if existing.authorization_id == r.authorization.id:
        result.spark_post = existing  # the same code again: nothing to do (idempotent)
        return
    old = existing.authorization_id
    replaced = repository.replace_code(session, spark_post_id=existing.id,
                                       old_authorization_id=old,
                                       authorization_id=r.authorization.id,
                                       original_authorization_id=original_id, now=now)
    if replaced is None:
        raise errors.Conflict("The Spark post changed meanwhile; try again.",
                              code="concurrent_update")
    result.spark_post, result.replaced = replaced, True
    _audit_bound(session, user, account, r, replaced, action="spark_post.code_replaced",
                 replaced_authorization_id=old)


def _claim(session: Session, r: Resolved, *, account: AdAccount, user: User, now: datetime,
           settings: Settings) -> None:
    """The conditional write that makes one ad account the code's owner (exactly one wins)."""
    pasted_hash = r.authorization.code_hash
    assert pasted_hash is not None  # found by its hash: a code issued in sparkcodes
    if authorization_repository.bind(session, authorization_id=r.authorization.id,
                                     code_hash=pasted_hash, ad_account_id=account.id,
                                     user_id=user.id, now=now) is not None:
        return  # r.authorization now holds the bound row (RETURNING)
    session.refresh(r.authorization)
    if r.authorization.code_hash != pasted_hash:
        raise errors.NotFound("No Spark code matches: it was just replaced by a new one.",
                              code="code_not_found")
    problems = _problems(r, settings=settings, account=account, now=now)
    raise (problems[0].as_error() if problems else errors.Conflict(
        "This code is already used by another ad account.", code="code_used_elsewhere"))


def _take_place(session: Session, *, settings: Settings, account: AdAccount) -> None:
    """R18: one more live Spark post in the ad account, or Conflict capacity_reached."""
    limit = settings.codes.spark_posts_per_ad_account
    if ad_account_repository.take_place(session, account.id, limit=limit) is None:
        code_rules.check_capacity(ad_account_repository.places_taken(session, account.id), limit)
        raise errors.Conflict("The ad account changed meanwhile; try again.",
                              code="concurrent_update")


def _audit_bound(session: Session, user: User, account: AdAccount, r: Resolved,
                 spark_post: SparkPost, *, action: str, **extra: Any) -> None:
    audit.record(session, actor_id=user.id, action=action, target_type="spark_post",
                 target_id=spark_post.id, business_id=account.business_id,
                 creator_id=r.creator.id,
                 after={"ad_account_id": account.id, "post_id": r.post.id,
                        "authorization_id": r.authorization.id, "code_hint": r.parsed.hint},
                 **extra)
    audit.record(session, actor_id=user.id, action="authorization.bound",
                 target_type="authorization", target_id=r.authorization.id,
                 business_id=account.business_id, creator_id=r.creator.id,
                 after={"ad_account_id": account.id, "spark_post_id": spark_post.id})


def get_in_account(session: Session, *, account: AdAccount, spark_post_id: str) -> SparkPost:
    spark_post = repository.by_id(session, spark_post_id)
    if spark_post is None or spark_post.ad_account_id != account.id:
        raise errors.NotFound("No such Spark post in this ad account.")
    return spark_post


def unbind(session: Session, *, user: User, account: AdAccount, spark_post: SparkPost,
           live_ads: list[values.LiveAd]) -> SparkPost:
    """R17: unbind a Spark post no live ad uses; unbinding twice is harmless."""
    _refuse_in_use(live_ads)
    if repository.unbind(session, spark_post_id=spark_post.id, user_id=user.id, now=utc_now()):
        ad_account_repository.free_places(session, spark_post.ad_account_id)
        session.refresh(spark_post)
        post = post_repository.by_id(session, spark_post.post_id)
        audit.record(session, actor_id=user.id, action="spark_post.unbound",
                     target_type="spark_post", target_id=spark_post.id,
                     business_id=account.business_id,
                     creator_id=post.creator_id if post else None)
    else:
        session.refresh(spark_post)
    return spark_post


def bind_own_post(session: Session, *, settings: Settings, user: User, account: AdAccount,
                  post: Post, creator: Creator) -> tuple[SparkPost, bool]:
    """R19: a post of a creator account linked to this ad account runs without a code (TT_USER)."""
    link = ad_account_repository.linked_identity(session, account.id, creator.id)
    if link is None:
        raise errors.Conflict(
            f"@{creator.handle} is not linked to this ad account; link it first.",
            code="identity_not_linked",
        )
    for problem in code_rules.post_problems(post_state(post, None)):
        raise problem.as_error()
    existing = repository.active_for_post(session, account.id, post.id)
    if existing is not None:
        return existing, False
    spark_post = SparkPost(ad_account_id=account.id, post_id=post.id, identity_type="TT_USER",
                           linked_identity_id=link.id, bound_by_id=user.id, bound_at=utc_now())
    try:
        with session.begin_nested():
            repository.add(session, spark_post)
            _take_place(session, settings=settings, account=account)
    except IntegrityError:
        existing = repository.active_for_post(session, account.id, post.id)
        if existing is None:
            raise
        return existing, False
    audit.record(session, actor_id=user.id, action="spark_post.bound", target_type="spark_post",
                 target_id=spark_post.id, business_id=account.business_id, creator_id=creator.id,
                 after={"ad_account_id": account.id, "post_id": post.id,
                        "identity_type": "TT_USER"})
    return spark_post, True


def state_of(spark_post: SparkPost, post: Post, creator: Creator, code: Authorization | None,
             original_code: Authorization | None, identity_linked: bool = True,
             original: tuple[Post, Creator] | None = None) -> rules.SparkPostState:
    return rules.SparkPostState(
        identity_type=spark_post.identity_type,
        code=code_state(code) if code else None,
        original_code=code_state(original_code) if original_code else None,
        post=post_state(post, None),
        creator=creator_state(creator),
        identity_linked=identity_linked,
        original_post=post_state(original[0], None) if original else None,
        original_creator=creator_state(original[1]) if original else None,
    )


def originals_of(session: Session, posts: list[Post]) -> dict[str, tuple[Post, Creator]]:
    """For duets and stitches among ``posts``: their original post and its creator, by post id."""
    originals = post_repository.by_ids(session, [p.original_post_id for p in posts
                                                  if p.original_post_id])
    creators = creator_repository.by_ids(session, [o.creator_id for o in originals.values()])
    out = {}
    for post in posts:
        original = originals.get(post.original_post_id) if post.original_post_id else None
        creator = creators.get(original.creator_id) if original is not None else None
        if original is not None and creator is not None:
            out[post.id] = (original, creator)
    return out


def active_for_post(session: Session, *, account: AdAccount, post: Post) -> SparkPost | None:
    """The ad account's bound (not unbound) Spark post of a post, if any."""
    return repository.active_for_post(session, account.id, post.id)


def authorized(session: Session, *, account: AdAccount, keyword: str | None = None,
               item_tiktok_id: int | None = None, creator_id: str | None = None, limit: int,
               offset: int) -> tuple[list[repository.Row], int]:
    """One page of the ad account's live code-bound Spark posts, newest first, and the total."""
    return repository.authorized(session, account.id, keyword=keyword,
                                 item_tiktok_id=item_tiktok_id, creator_id=creator_id,
                                 limit=limit, offset=offset)


def identities(session: Session, *, account: AdAccount) -> list[tuple[Creator, str]]:
    """The creator identities the ad account can run Spark Ads from, with their type."""
    return repository.identities(session, account.id)


def listing(session: Session, *, account: AdAccount, include_unbound: bool = False,
            limit: int, offset: int) -> list[repository.Row]:
    """The ad account's Spark posts, newest first, each with its post, creator and codes."""
    return repository.listing(session, account.id, include_unbound=include_unbound, limit=limit,
                              offset=offset)


def row_of(session: Session, spark_post: SparkPost) -> repository.Row:
    """One Spark post with its post, creator and codes, as ``listing`` gives them."""
    post = post_repository.by_id(session, spark_post.post_id)
    assert post is not None  # spark_posts.post_id is a foreign key
    creator = creator_repository.by_id(session, post.creator_id)
    assert creator is not None  # posts.creator_id is a foreign key
    return (spark_post, post, creator, code_by_id(session, spark_post.authorization_id),
            code_by_id(session, spark_post.original_authorization_id))


def code_by_id(session: Session, authorization_id: str | None) -> Authorization | None:
    """A code a Spark post refers to (None when it refers to none)."""
    if not authorization_id:
        return None
    return authorization_repository.by_id(session, authorization_id)


def history(session: Session, *, spark_post: SparkPost, limit: int,
            offset: int) -> Sequence[AuditEvent]:
    """The Spark post's audit trail, oldest first."""
    return audit_repository.for_target(session, "spark_post", spark_post.id, limit=limit,
                                       offset=offset)
