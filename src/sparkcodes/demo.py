"""A realistic demo world, loaded through the same services as the API. Loading twice changes nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy.orm import Session

from sparkcodes.ad_account import service as ad_account_service
from sparkcodes.authorization import repository as authorization_repository
from sparkcodes.authorization import service as authorization_service
from sparkcodes.business import service as business_service
from sparkcodes.config import VAR_DIR, Settings
from sparkcodes.creator import service as creator_service
from sparkcodes.kit.clock import utc_now
from sparkcodes.kit.ratelimit import FailureLimiter
from sparkcodes.models import User
from sparkcodes.post import service as post_service
from sparkcodes.spark_post import service as spark_post_service
from sparkcodes.user import repository as user_repository
from sparkcodes.user import service as user_service

PASSWORD = "sparkcodes-demo"
BRAND_EMAIL = "brand@demo.sparkcodes.dev"
ANALYST_EMAIL = "analyst@demo.sparkcodes.dev"
CODES_FILE = VAR_DIR / "demo-codes.txt"

# handle, display name, region, e-mail, ad settings on
CREATORS = [
    ("maya.makes", "Maya Makes", "US", "maya@demo.sparkcodes.dev", True),
    ("leo_lifts", "Leo Lifts", "GB", "leo@demo.sparkcodes.dev", True),
    ("aiko.eats", "Aiko Eats", "JP", "aiko@demo.sparkcodes.dev", True),
    ("pedro.plays", "Pedro Plays", "BR", "pedro@demo.sparkcodes.dev", False),
    ("polar.pete", "Polar Pete", "AQ", "pete@demo.sparkcodes.dev", True),
]


@dataclass
class DemoResult:
    created: bool
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # who, e-mail, password
    free_codes: list[str] = field(default_factory=list)


def _user(session: Session, email: str, name: str) -> User:
    return user_repository.by_email(session, email) or user_service.sign_up(
        session, email=email, password=PASSWORD, name=name)


def load(session: Session, *, settings: Settings, codes_file: Path = CODES_FILE) -> DemoResult:
    """Create the demo world unless it exists; return the logins and the unused demo codes."""
    logins = [("brand admin (Glow Skincare)", BRAND_EMAIL, PASSWORD),
              ("brand analyst (read-only)", ANALYST_EMAIL, PASSWORD)]
    logins += [(f"creator @{h}", e, PASSWORD) for h, _, _, e, _ in CREATORS[:3]]
    if user_repository.by_email(session, BRAND_EMAIL) is not None:
        saved = codes_file.read_text().split() if codes_file.exists() else []
        return DemoResult(created=False, logins=logins, free_codes=saved)

    now = utc_now()
    brand = _user(session, BRAND_EMAIL, "Priya (Glow Skincare)")
    _user(session, ANALYST_EMAIL, "Sam (analyst)")
    business = business_service.create(session, user=brand, name="Glow Skincare")
    business_service.add_member(session, user=brand, business=business, email=ANALYST_EMAIL,
                                role="analyst")
    us = ad_account_service.create(session, user=brand, business=business, name="Glow US",
                                   region="US", timezone="America/New_York")
    eu = ad_account_service.create(session, user=brand, business=business, name="Glow EU",
                                   region="DE", timezone="Europe/Berlin")

    creators = {}
    for handle, name, region, email, enabled in CREATORS:
        owner = _user(session, email, name)
        creator = creator_service.create(session, owner=owner, handle=handle, display_name=name,
                                         region=region)
        creator_service.set_ad_settings(session, user=owner, creator=creator, enabled=True,
                                        accept_terms=True)
        creators[handle] = (owner, creator, enabled)

    def post(handle: str, caption: str, stats: tuple[int, int, int, int], **kw):  # type: ignore[no-untyped-def]
        owner, creator, _ = creators[handle]
        p = post_service.create(session, user=owner, creator=creator, caption=caption,
                                kind=kw.pop("kind", "video"), sound=kw.pop("sound", "original"),
                                visibility=kw.pop("visibility", "public"), **kw)
        p.views, p.likes, p.comments, p.shares = stats
        return p

    def code(handle: str, p, days: int = 30, age_days: int = 0):  # type: ignore[no-untyped-def]
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

    guard = spark_post_service.guard_for(FailureLimiter("1000/minute", None), user=brand,
                                         account=us)

    def bind(account, *codes):  # type: ignore[no-untyped-def]
        results = spark_post_service.bind_many(session, settings=settings, guard=guard,
                                               user=brand, account=account,
                                               codes=[c.code for c in codes])
        failed = [r.error for r in results if r.error]
        assert not failed, failed

    routine = post("maya.makes", "My 5-step morning skincare routine ☀️ #glowup",
                   (184_300, 21_400, 1_312, 2_210))
    serum = post("maya.makes", "Honest review: the vitamin C serum after 30 days",
                 (52_900, 4_100, 388, 190), sound="licensed")
    duet = post("leo_lifts", "Reacting to Maya's routine 😂", (31_800, 2_640, 290, 120),
                kind="duet", original_post_id=routine.id)
    gym = post("leo_lifts", "Post-workout skin care for guys who sweat a lot",
               (23_700, 2_950, 201, 77))
    bento = post("aiko.eats", "Glow-from-within bento 🍱", (61_200, 5_480, 415, 260),
                 visibility="private")
    post("aiko.eats", "Behind the scenes today", (8_900, 1_020, 64, 12), kind="story")
    stitch = post("aiko.eats", "Stitching Leo: the real post-gym routine",
                  (15_600, 1_730, 122, 41), kind="stitch", original_post_id=gym.id)
    post("pedro.plays", "Skincare speedrun any%", (1_200, 140, 3, 0))
    post("polar.pete", "Sunscreen at -40°", (900, 75, 9, 1))

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
                                 creator=leo)
    free = [code("aiko.eats", bento, 30).code, code("maya.makes", routine, 7).code,
            code("leo_lifts", duet, 30).code, code("aiko.eats", stitch, 60).code]
    # Pedro's account-level ad settings go off after he issued nothing: his posts cannot be bound.
    p_owner, pedro, _ = creators["pedro.plays"]
    creator_service.set_ad_settings(session, user=p_owner, creator=pedro, enabled=False,
                                    accept_terms=False)
    authorization_repository.set_window(
        session, authorization_id=gym_eu.authorization.id,
        starts_at=now - timedelta(days=40), expires_at=now - timedelta(days=10))

    codes_file.parent.mkdir(parents=True, exist_ok=True)
    codes_file.write_text("\n".join(free) + "\n")
    codes_file.chmod(0o600)
    return DemoResult(created=True, logins=logins, free_codes=free)
