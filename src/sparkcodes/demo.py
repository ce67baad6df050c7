"""A realistic demo world, loaded through the same services as the API; loading twice is a no-op."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Protocol, TypeVar

from sqlalchemy.orm import Session

from sparkcodes import simulate as sim
from sparkcodes.ad import repository as ad_repository
from sparkcodes.ad import service as ad_service
from sparkcodes.ad_account import service as ad_account_service
from sparkcodes.authorization import repository as authorization_repository
from sparkcodes.authorization import service as authorization_service
from sparkcodes.business import repository as business_repository
from sparkcodes.business import service as business_service
from sparkcodes.code_request import service as code_request_service
from sparkcodes.config import VAR_DIR, Settings
from sparkcodes.connector import service as connector_service
from sparkcodes.contract import service as contract_service
from sparkcodes.creator import service as creator_service
from sparkcodes.db import Database
from sparkcodes.kit.clock import utc_now
from sparkcodes.models import (
    Ad,
    AdAccount,
    AdGroup,
    Authorization,
    Base,
    Business,
    Campaign,
    Creator,
    Post,
    SparkPost,
    User,
)
from sparkcodes.notification import watch
from sparkcodes.post import service as post_service
from sparkcodes.reminder import service as reminder_service
from sparkcodes.renewal import service as renewal_service
from sparkcodes.roster import service as roster_service
from sparkcodes.spark_post import repository as spark_post_repository
from sparkcodes.spark_post import service as spark_post_service
from sparkcodes.throttle.service import Limiter
from sparkcodes.user import repository as user_repository
from sparkcodes.user import service as user_service
from sparkcodes.webhook import service as webhook_service

PASSWORD = "sparkcodes-demo"
BRAND_EMAIL = "brand@demo.sparkcodes.dev"
ANALYST_EMAIL = "analyst@demo.sparkcodes.dev"
# The rehearsal "TikTok": an advertiser served by this same server's /open_api/v1.3, owned by an
# account of its own (TikTok's side), which Glow Skincare links with a long-lived token.
TIKTOK_EMAIL = "ads@tiktok.demo.sparkcodes.dev"
TIKTOK_ADVERTISER = "Glow Skincare (TikTok Ads Manager)"
CODES_FILE = VAR_DIR / "demo-codes.txt"
# Codes of the posts the demo's duet and stitch were made from: what a brand pastes under
# "Codes of the original posts" to link them (R3). One "code<TAB>what it is for" a line.
ORIGINAL_CODES_FILE = VAR_DIR / "demo-original-codes.txt"

# handle, display name, region, e-mail
CREATORS = [
    ("maya.makes", "Maya Makes", "US", "maya@demo.sparkcodes.dev"),
    ("leo_lifts", "Leo Lifts", "GB", "leo@demo.sparkcodes.dev"),
    ("aiko.eats", "Aiko Eats", "JP", "aiko@demo.sparkcodes.dev"),
    ("pedro.plays", "Pedro Plays", "BR", "pedro@demo.sparkcodes.dev"),
    ("polar.pete", "Polar Pete", "AQ", "pete@demo.sparkcodes.dev"),
]


HISTORY_DAYS = 7
# Paid impressions per ad per day: now that the posts are live all of today, this much spends
# the flash sale's lifetime budget but leaves the daily budgets, so always-on ads deliver.
PAID_PER_DAY = 70
# How long ago a demo post went up, unless it says: older than any of its codes.
POST_AGE = timedelta(days=45)
# An audience that watches to 15 s, comments and loves it: such a post passes the review (R30).
LOVED = sim.Audience(watched_15s=0.68, comments=0.03, warm=True)

# handle -> (owner, creator account, ads enabled)
Creators = dict[str, tuple[User, Creator, bool]]
M = TypeVar("M", bound=Base)


class NewPost(Protocol):
    def __call__(self, handle: str, caption: str, stats: tuple[int, int, int, int], *,
                 kind: str = ..., sound: str = ..., visibility: str = ...,
                 original_post_id: str | None = ..., age: timedelta = ...,
                 audience: sim.Audience | None = ...) -> Post: ...


class NewCode(Protocol):
    def __call__(self, handle: str, p: Post, days: int = ...,
                 age_days: int = ...) -> authorization_service.Generated: ...


class Bind(Protocol):
    def __call__(self, account: AdAccount, *codes: authorization_service.Generated) -> None: ...


@dataclass
class DemoResult:
    created: bool
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # who, e-mail, password
    free_codes: list[str] = field(default_factory=list)
    # (code, what it is for): codes of the original posts of the duet and stitch among the
    # free codes, to paste under "Codes of the original posts".
    original_codes: list[tuple[str, str]] = field(default_factory=list)
    # The brand's ad accounts as the TikTok surface names them: (name, advertiser_id).
    advertisers: list[tuple[str, str]] = field(default_factory=list)
    # The linked "TikTok" advertiser of the rehearsal: (name, advertiser_id, base URL).
    rehearsal: tuple[str, str, str] | None = None
    # What happens after the simulated traffic, so that ads stop for every reason.
    stops: dict[str, str] = field(default_factory=dict)
    # How each post's organic viewers behave in the simulated traffic, by post id.
    audiences: dict[str, sim.Audience] = field(default_factory=dict)


def _user(session: Session, email: str, name: str) -> User:
    return user_repository.by_email(session, email) or user_service.sign_up(
        session, email=email, password=PASSWORD, name=name)


def _read_originals(path: Path) -> list[tuple[str, str]]:
    if not path.exists():
        return []
    return [(code, label) for code, _, label in
            (line.partition("\t") for line in path.read_text().splitlines() if line.strip())]


def load(session: Session, *, settings: Settings, codes_file: Path = CODES_FILE,
         originals_file: Path = ORIGINAL_CODES_FILE) -> DemoResult:
    """Create the demo world unless it exists; return the logins and the unused demo codes."""
    logins = [("brand admin (Glow Skincare)", BRAND_EMAIL, PASSWORD),
              ("brand analyst (read-only)", ANALYST_EMAIL, PASSWORD)]
    logins += [(f"creator @{h}", e, PASSWORD) for h, _, _, e in CREATORS[:3]]
    existing = user_repository.by_email(session, BRAND_EMAIL)
    if existing is not None:
        saved = codes_file.read_text().split() if codes_file.exists() else []
        return DemoResult(created=False, logins=logins, free_codes=saved,
                          original_codes=_read_originals(originals_file),
                          advertisers=_advertisers(session, existing),
                          rehearsal=_rehearsal_of(session, settings))

    now = utc_now()
    brand = _user(session, BRAND_EMAIL, "Priya (Glow Skincare)")
    _user(session, ANALYST_EMAIL, "Sam (analyst)")
    business = business_service.create(session, user=brand, name="Glow Skincare")
    business_service.add_member(session, user=brand, business=business, email=ANALYST_EMAIL,
                                role="analyst")
    us = ad_account_service.create(session, user=brand, business=business, name="Glow US",
                                   region="US", timezone="America/New_York")
    eu = ad_account_service.create(session, user=brand, business=business, name="Glow EU",
                                   region="DE", timezone="Europe/Berlin", currency="EUR")

    creators: Creators = {}
    audiences: dict[str, sim.Audience] = {}
    for handle, name, region, email in CREATORS:
        owner = _user(session, email, name)
        creator = creator_service.create(session, owner=owner, handle=handle, display_name=name,
                                         region=region)
        creator_service.set_ad_settings(session, user=owner, creator=creator, enabled=True,
                                        accept_terms=True, watch=watch)
        creators[handle] = (owner, creator, True)

    def post(handle: str, caption: str, stats: tuple[int, int, int, int], *, kind: str = "video",
             sound: str = "original", visibility: str = "public",
             original_post_id: str | None = None, age: timedelta = POST_AGE,
             audience: sim.Audience | None = None) -> Post:
        owner, creator, _ = creators[handle]
        p = post_service.create(session, user=owner, creator=creator, caption=caption,
                                kind=kind, sound=sound, visibility=visibility,
                                original_post_id=original_post_id)
        p.views, p.likes, p.comments, p.shares = stats
        p.published_at = now - age
        if audience is not None:
            audiences[p.id] = audience
        return p

    def code(handle: str, p: Post, days: int = 30,
             age_days: int = 0) -> authorization_service.Generated:
        owner, creator, _ = creators[handle]
        g = authorization_service.generate(session, settings=settings, user=owner,
                                           creator=creator, post=p, days=days)
        if age_days:
            start = now - timedelta(days=age_days)
            authorization_repository.set_window(session, authorization_id=g.authorization.id,
                                                starts_at=start,
                                                expires_at=start + timedelta(days=days))
            session.refresh(g.authorization)
        return g

    # The demo's own binds never fail a look-up; an in-process store keeps them off the real one.
    guard = spark_post_service.guard_for(Limiter(settings, url="memory://"), user=brand,
                                         account=us, ip=None)

    def bind(account: AdAccount, *codes: authorization_service.Generated) -> None:
        results = spark_post_service.bind_many(session, settings=settings, guard=guard,
                                               user=brand, account=account,
                                               codes=[c.code for c in codes])
        failed = [r.error for r in results if r.error]
        assert not failed, failed

    # The pre-promotion review (R30) passes the routine, and fails the serum review on its
    # completion at 15 s and the newest posts on their age.
    routine = post("maya.makes", "My 5-step morning skincare routine ☀️ #glowup",
                   (184_300, 21_400, 1_312, 2_210), audience=LOVED)
    serum = post("maya.makes", "Honest review: the vitamin C serum after 30 days",
                 (52_900, 4_100, 388, 190), sound="licensed",
                 audience=sim.Audience(comments=LOVED.comments, warm=True))
    duet = post("leo_lifts", "Reacting to Maya's routine 😂", (31_800, 2_640, 290, 120),
                kind="duet", original_post_id=routine.id)
    gym = post("leo_lifts", "Post-workout skin care for guys who sweat a lot",
               (23_700, 2_950, 201, 77),
               audience=sim.Audience(watched_15s=LOVED.watched_15s, comments=LOVED.comments))
    bento = post("aiko.eats", "Glow-from-within bento 🍱", (61_200, 5_480, 415, 260),
                 visibility="private")
    post("aiko.eats", "Behind the scenes today", (8_900, 1_020, 64, 12), kind="story")
    stitch = post("aiko.eats", "Stitching Leo: the real post-gym routine",
                  (15_600, 1_730, 122, 41), kind="stitch", original_post_id=gym.id)
    post("pedro.plays", "Skincare speedrun any%", (1_200, 140, 3, 0), age=timedelta(hours=20),
         audience=LOVED)
    post("polar.pete", "Sunscreen at -40°", (900, 75, 9, 1), age=timedelta(hours=6))

    routine_us = code("maya.makes", routine, 30, age_days=12)        # in use, 18 days left
    bind(us, routine_us)
    routine_eu = code("maya.makes", routine, 30, age_days=28)        # in use, expiring in 2 days
    bind(eu, routine_eu)
    code("maya.makes", serum, 7, age_days=10)                         # expired, never used
    gym_us = code("leo_lifts", gym, 60, age_days=5)                   # in use
    bind(us, gym_us)
    gym_eu = code("leo_lifts", gym, 30)                               # ran in EU, then lapsed
    bind(eu, gym_eu)
    deleted = code("leo_lifts", duet, 30)
    owner, leo, _ = creators["leo_lifts"]
    authorization_service.delete(session, user=owner, authorization=deleted.authorization,
                                 creator=leo, watch=watch)
    free = [code("aiko.eats", bento, 30).code, code("maya.makes", routine, 7).code,
            code("leo_lifts", duet, 30).code, code("aiko.eats", stitch, 60).code]
    # The duet and the stitch link only with a code of the post each was made from (R3).
    originals = [
        (code("maya.makes", routine, 30).code,
         "@maya.makes's morning routine: the original of @leo_lifts's duet"),
        (code("leo_lifts", gym, 30).code,
         "@leo_lifts's post-workout post: the original of @aiko.eats's stitch"),
    ]
    authorization_repository.set_window(
        session, authorization_id=gym_eu.authorization.id,
        starts_at=now - timedelta(days=40), expires_at=now - timedelta(days=10))

    stops = _campaigns(session, settings=settings, brand=brand, us=us, eu=eu, now=now,
                       creators=creators, post=post, code=code, bind=bind,
                       routine_us=routine_us, routine_eu=routine_eu, gym_us=gym_us,
                       gym_eu=gym_eu, bento=bento)

    _relationships(session, settings=settings, brand=brand, business=business, us=us, eu=eu,
                   now=now, creators=creators, routine=routine, serum=serum,
                   routine_eu=routine_eu)

    rehearsal = _tiktok_rehearsal(session, settings=settings, brand=brand, business=business,
                                  creators=creators, post=post, code=code)

    # The world is written with its past behind it: the code that "lapsed ten days ago" was never
    # due an alert from this install, so the first worker tick must not send it as a late one.
    reminder_service.settle_past(session, settings=settings, now=now)

    codes_file.parent.mkdir(parents=True, exist_ok=True)
    codes_file.write_text("\n".join(free) + "\n")
    codes_file.chmod(0o600)
    originals_file.parent.mkdir(parents=True, exist_ok=True)
    originals_file.write_text("".join(f"{c}\t{label}\n" for c, label in originals))
    originals_file.chmod(0o600)
    return DemoResult(created=True, logins=logins, free_codes=free, original_codes=originals,
                      stops=stops, advertisers=_advertisers(session, brand),
                      rehearsal=rehearsal, audiences=audiences)


def _tiktok_rehearsal(session: Session, *, settings: Settings, brand: User, business: Business,
                      creators: Creators, post: NewPost, code: NewCode
                      ) -> tuple[str, str, str]:
    """A "TikTok" advertiser on this server's own /open_api/v1.3, with three Spark posts and an
    ad, and Glow Skincare's connection to it by token. The sync is queued: the worker runs it
    once the server answers at ``public_url`` (docs/connector.md, "Rehearsal")."""
    tiktok = _user(session, TIKTOK_EMAIL, "TikTok Ads Manager (rehearsal)")
    owner_business = business_service.create(session, user=tiktok,
                                              name="Glow Skincare on TikTok")
    account = ad_account_service.create(session, user=tiktok, business=owner_business,
                                        name=TIKTOK_ADVERTISER, region="US",
                                        timezone="America/New_York")
    guard = spark_post_service.guard_for(Limiter(settings, url="memory://"), user=tiktok,
                                         account=account, ip=None)
    glow = post("maya.makes", "3 SPF myths, busted ☀️ #ad", (41_200, 3_900, 310, 205))
    lifts = post("leo_lifts", "Skin care in 60 seconds after the gym #ad", (18_400, 1_610, 96, 40))
    plays = post("pedro.plays", "Sunscreen speedrun, glitchless #ad", (7_300, 690, 52, 11))
    windows = [code("maya.makes", glow, 30, age_days=4),      # 26 days left
               code("leo_lifts", lifts, 30, age_days=28),     # ends in 2 days
               code("pedro.plays", plays, 60, age_days=10)]   # 50 days left
    results = spark_post_service.bind_many(session, settings=settings, guard=guard, user=tiktok,
                                           account=account, codes=[g.code for g in windows])
    failed = [r.error for r in results if r.error]
    assert not failed, failed
    campaign = ad_service.create_campaign(session, user=tiktok, account=account,
                                          name="Summer SPF — Spark Ads", objective="ENGAGEMENT",
                                          budget_mode="BUDGET_MODE_INFINITE", budget_micros=None)
    group = ad_service.create_ad_group(session, user=tiktok, account=account, campaign=campaign,
                                       name="SPF creators", budget_micros=5_000_000,
                                       bid_micros=6_000_000,
                                       schedule_start_at=utc_now() - timedelta(days=3),
                                       schedule_end_at=None)
    sp = spark_post_repository.active_for_authorization(session, account.id,
                                                        windows[0].authorization.id)
    assert sp is not None
    ad_service.create_ad(session, settings=settings, user=tiktok, account=account, group=group,
                         spark_post_id=sp.id, name="Maya — SPF myths", call_to_action="SHOP_NOW",
                         landing_page_url="https://glow.example/spf", ads_only=False)
    _, token = user_service.issue_token(session, settings=settings, user=tiktok,
                                        name="Glow Skincare's sparkcodes connection")
    base_url = settings.public_url.rstrip("/")
    connector_service.link_for_rehearsal(session, settings=settings, user=brand,
                                         business=business, base_url=base_url,
                                         access_token=token,
                                         advertisers={str(account.tiktok_id): account.name})
    return account.name, str(account.tiktok_id), base_url


def _advertisers(session: Session, brand: User) -> list[tuple[str, str]]:
    return [(account.name, str(account.tiktok_id))
            for business, _ in business_repository.of_user(session, brand.id)
            for account in business_repository.ad_accounts(session, business.id)
            if account.source == "native"]


def _rehearsal_of(session: Session, settings: Settings) -> tuple[str, str, str] | None:
    tiktok = user_repository.by_email(session, TIKTOK_EMAIL)
    if tiktok is None:
        return None
    accounts = [a for business, _ in business_repository.of_user(session, tiktok.id)
                for a in business_repository.ad_accounts(session, business.id)]
    return ((accounts[0].name, str(accounts[0].tiktok_id), settings.public_url.rstrip("/"))
            if accounts else None)


def install(db: Database, settings: Settings, *,
            on_progress: Callable[[int, int], None] | None = None
            ) -> tuple[DemoResult, sim.Outcome | None]:
    """The whole demo: the world, a week of simulated traffic, then the stops that make ads stop
    for every reason. ``on_progress(done, total)`` follows the traffic. Idempotent."""
    with db.unit_of_work() as session:
        result = load(session, settings=settings)
    if not result.created:
        return result, None
    events = sim.plan(db, days=HISTORY_DAYS, seed=7, paid_per_day=PAID_PER_DAY,
                      organic_per_day=90, audiences=result.audiences)
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if on_progress is not None:
            on_progress(done, len(events))

    outcome = sim.run(db, settings, events, advance)
    with db.unit_of_work() as session:
        apply_stops(session, stops=result.stops)
    return result, outcome


def _relationships(session: Session, *, settings: Settings, brand: User, business: Business,
                   us: AdAccount, eu: AdAccount, now: datetime, creators: Creators,
                   routine: Post, serum: Post,
                   routine_eu: authorization_service.Generated) -> None:
    """The brand's side of working with creators: roster, contracts, open requests, a webhook."""
    for handle, status, rate, notes in (
        ("maya.makes", "active", 450_000_000, "Skincare routines; replies within a day."),
        ("leo_lifts", "active", 300_000_000, "Fitness audience, UK-heavy."),
        ("aiko.eats", "active", 280_000_000, "Food and wellness; prefers 60-day codes."),
        ("pedro.plays", "prospect", None, "Gaming crossover: pitch the speedrun idea."),
    ):
        roster_service.add(session, user=brand, business=business,
                           creator_id=creators[handle][1].id, handle=None, status=status,
                           rate_micros=rate, currency="USD", notes=notes)
    # A creator who is not on sparkcodes: code and renewal requests reach her by e-mail.
    roster_service.add(session, user=brand, business=business, creator_id=None,
                       handle="nina.glows", status="prospect", rate_micros=200_000_000,
                       currency="USD", notes="Not on sparkcodes: ask her by e-mail from here.",
                       email="nina.glows@example.com")
    contract_service.create(session, user=brand, business=business,
                            creator_id=creators["maya.makes"][1].id, post_id=routine.id,
                            starts_at=now - timedelta(days=30), ends_at=now + timedelta(days=10),
                            fee_micros=900_000_000, notes="Morning routine: 40 days of usage.")
    contract_service.create(session, user=brand, business=business,
                            creator_id=creators["leo_lifts"][1].id, post_id=None,
                            starts_at=now - timedelta(days=45), ends_at=now + timedelta(days=45),
                            fee_micros=1_500_000_000, notes="Every post, one quarter.")
    # Maya's EU code ends in two days: the brand has asked her to extend it.
    renewal_service.create(session, settings=settings, user=brand, account=eu,
                           authorization_id=routine_eu.authorization.id, days=30,
                           message="The EU launch runs through December; could you extend?")
    code_request_service.create(session, settings=settings, user=brand, account=us,
                                post_id=serum.id, days=30, fee_micros=250_000_000,
                                currency="USD", terms="30 days of paid usage in the US.",
                                expires_in_days=7)
    # Paused, so the demo does not retry deliveries to an address that does not exist; point it
    # at a real receiver and tick "Enabled" to see alerts arrive signed.
    endpoint, _ = webhook_service.create(session, settings=settings, user=brand,
                                         business=business,
                                         url="https://hooks.glow.example/sparkcodes",
                                         description="Ops alerts (demo: paused until you point "
                                                     "it at your own receiver)")
    webhook_service.update(session, user=brand, endpoint=endpoint, changes={"enabled": False})


def _campaigns(session: Session, *, settings: Settings, brand: User, us: AdAccount,
               eu: AdAccount, now: datetime, creators: Creators, post: NewPost, code: NewCode,
               bind: Bind, routine_us: authorization_service.Generated,
               routine_eu: authorization_service.Generated,
               gym_us: authorization_service.Generated, gym_eu: authorization_service.Generated,
               bento: Post) -> dict[str, str]:
    """Campaigns, ad groups and ads with a week of history; returns what to stop afterwards."""
    start = now - timedelta(days=HISTORY_DAYS, hours=1)

    def spark(account: AdAccount, g: authorization_service.Generated) -> SparkPost:
        sp = spark_post_repository.active_for_authorization(session, account.id,
                                                            g.authorization.id)
        assert sp is not None  # every code passed here was bound to this account above
        return sp

    def campaign(account: AdAccount, name: str, mode: str = "BUDGET_MODE_INFINITE",
                 budget: int | None = None) -> Campaign:
        c = ad_service.create_campaign(session, user=brand, account=account, name=name,
                                       objective="ENGAGEMENT", budget_mode=mode,
                                       budget_micros=budget)
        ad_repository.backdate(session, Campaign, c.id, start)
        return c

    def group(account: AdAccount, c: Campaign, name: str, *, begins: datetime = start,
              ends: datetime | None = None, budget: int = 4_000_000) -> AdGroup:
        g = ad_service.create_ad_group(session, user=brand, account=account, campaign=c,
                                       name=name, budget_micros=budget, bid_micros=6_000_000,
                                       schedule_start_at=begins, schedule_end_at=ends)
        ad_repository.backdate(session, AdGroup, g.id, start)
        return g

    def ad(account: AdAccount, g: AdGroup, sp: SparkPost, name: str,
           url: str = "https://glow.example/holiday?utm_source=tiktok"
           "&utm_medium=spark&utm_campaign=holiday") -> Ad:
        a = ad_service.create_ad(session, settings=settings, user=brand, account=account,
                                 group=g, spark_post_id=sp.id, name=name,
                                 call_to_action="SHOP_NOW", landing_page_url=url, ads_only=False)
        ad_repository.backdate(session, Ad, a.id, start)
        return a

    night = post("maya.makes", "Night routine for dry winter skin 🌙", (27_400, 2_310, 140, 96))
    leg = post("leo_lifts", "Leg day, then skin day", (12_900, 1_020, 77, 30))
    matcha = post("aiko.eats", "Matcha morning ritual 🍵", (33_100, 3_870, 260, 144),
                  audience=LOVED)
    p_owner, pedro, _ = creators["pedro.plays"]
    speedrun = post("pedro.plays", "Skincare speedrun any% (WR attempt)", (9_800, 880, 61, 17))
    night_us = code("maya.makes", night, 60, age_days=HISTORY_DAYS + 1)
    leg_eu = code("leo_lifts", leg, 30, age_days=HISTORY_DAYS + 1)
    matcha_eu = code("aiko.eats", matcha, 60, age_days=HISTORY_DAYS + 1)
    speedrun_eu = code("pedro.plays", speedrun, 30, age_days=HISTORY_DAYS + 1)
    bento_us = code("aiko.eats", bento, 30, age_days=HISTORY_DAYS + 1)
    bind(us, night_us, bento_us)
    bind(eu, leg_eu, matcha_eu, speedrun_eu)

    holiday = campaign(us, "Holiday Glow — Spark Ads")
    always = group(us, holiday, "Always-on creators")
    ad(us, always, spark(us, routine_us), "Maya — morning routine")
    ad(us, always, spark(us, gym_us), "Leo — post-gym care")
    bento_ad = ad(us, always, spark(us, bento_us), "Aiko — bento")
    night_ad = ad(us, always, spark(us, night_us), "Maya — night routine")
    flash = campaign(us, "Flash sale (lifetime budget)", "BUDGET_MODE_TOTAL", 3_000_000)
    ad(us, group(us, flash, "Flash sale creators"), spark(us, routine_us), "Maya — flash sale")
    friday = campaign(us, "Black Friday teaser")
    ad(us, group(us, friday, "Teaser creators"), spark(us, gym_us), "Leo — Black Friday")
    later = group(us, holiday, "Next week's push", begins=now + timedelta(days=7))
    ad(us, later, spark(us, routine_us), "Maya — next week")

    launch = campaign(eu, "EU launch")
    eu_group = group(eu, launch, "EU creators")
    ad(eu, eu_group, spark(eu, routine_eu), "Maya — routine (EU)")
    ad(eu, eu_group, spark(eu, gym_eu), "Leo — post-gym (EU)")
    leg_ad = ad(eu, eu_group, spark(eu, leg_eu), "Leo — leg day (EU)")
    matcha_ad = ad(eu, eu_group, spark(eu, matcha_eu), "Aiko — matcha (EU)")
    speed_ad = ad(eu, eu_group, spark(eu, speedrun_eu), "Pedro — speedrun (EU)")
    teaser = group(eu, launch, "Pre-launch teaser", ends=now - timedelta(days=3))
    ad(eu, teaser, spark(eu, routine_eu), "Maya — teaser (EU)")
    return {"pause_campaign": friday.id, "revise_post": bento.id, "take_down_post": night.id,
            "delete_code_ad": matcha_ad.id, "delete_code": matcha_eu.authorization.id,
            "privatise_ad": leg_ad.id, "privatise_post": leg.id,
            "settings_off_ad": speed_ad.id, "settings_off_creator": pedro.id,
            "edited_ad": bento_ad.id, "taken_down_ad": night_ad.id}


def _row(session: Session, model: type[M], row_id: str) -> M:
    """A row the demo created itself, so it is there."""
    row = session.get(model, row_id)
    assert row is not None, (model.__name__, row_id)
    return row


def apply_stops(session: Session, *, stops: dict[str, str]) -> None:
    """After the traffic: the things creators and moderators do that stop ads, each once."""
    brand = user_repository.by_email(session, BRAND_EMAIL)
    assert brand is not None
    us_or_eu: dict[str, AdAccount] = {}

    def account_of(obj: Campaign | Ad) -> AdAccount:
        return us_or_eu.setdefault(obj.ad_account_id,
                                   _row(session, AdAccount, obj.ad_account_id))

    def owner_of(post_id: str) -> tuple[Post, Creator, User]:
        p = _row(session, Post, post_id)
        c = _row(session, Creator, p.creator_id)
        assert c.owner_id is not None  # the demo's creators are its own users'
        return p, c, _row(session, User, c.owner_id)

    friday = _row(session, Campaign, stops["pause_campaign"])
    ad_service.set_operation(session, user=brand, account=account_of(friday), obj=friday,
                             operation="DISABLE")
    bento, _, aiko = owner_of(stops["revise_post"])
    post_service.edit(session, user=aiko, post=bento, changes={"sound": "commercial_library"},
                      watch=watch)
    night = _row(session, Post, stops["take_down_post"])
    post_service.take_down(session, actor_id=None, post=night,
                           reason="Reported for a misleading health claim", watch=watch)
    # A creator can only delete a code, privatise a post or switch settings off while no live ad
    # runs on it: the brand pauses the ad, the creator acts, the brand resumes it.
    for ad_key, act in (("delete_code_ad", "delete_code"), ("privatise_ad", "privatise"),
                        ("settings_off_ad", "settings_off")):
        the_ad = _row(session, Ad, stops[ad_key])
        account = account_of(the_ad)
        ad_service.set_operation(session, user=brand, account=account, obj=the_ad,
                                 operation="DISABLE")
        if act == "delete_code":
            auth = _row(session, Authorization, stops["delete_code"])
            p, c, owner = owner_of(auth.post_id)
            authorization_service.delete(session, user=owner, authorization=auth, creator=c,
                                         watch=watch)
        elif act == "privatise":
            p, _, owner = owner_of(stops["privatise_post"])
            post_service.edit(session, user=owner, post=p, changes={"visibility": "private"},
                              watch=watch)
        else:
            creator = _row(session, Creator, stops["settings_off_creator"])
            assert creator.owner_id is not None
            creator_service.set_ad_settings(session, user=_row(session, User, creator.owner_id),
                                            creator=creator, enabled=False, accept_terms=False,
                                            watch=watch)
        ad_service.set_operation(session, user=brand, account=account, obj=the_ad,
                                 operation="ENABLE")
