"""Realistic organic and paid traffic over past days, sent through the engagement ingest service.

Deterministic: the same seed and days produce the same event ids, so running it again changes
nothing (duplicates are ignored by ingestion). Paid events of ads that were not delivering at
their instant are refused by ingestion like any other, and counted as such.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sparkcodes.ad import repository as ad_repository
from sparkcodes.config import Settings
from sparkcodes.db import Database
from sparkcodes.engagement import service as engagement
from sparkcodes.engagement.rules import PAID_ONLY
from sparkcodes.kit.clock import utc_now

# Share of impressions that go on to each event, organic and paid.
FUNNEL = {
    "view_2s": (0.62, 0.55), "view_6s": (0.38, 0.30), "view_15s": (0.21, 0.14),
    "completion": (0.13, 0.08), "like": (0.075, 0.035), "comment": (0.006, 0.003),
    "share": (0.008, 0.004), "follow": (0.004, 0.003), "profile_visit": (0.015, 0.012),
    "music_click": (0.003, 0.002), "click": (0.0, 0.009),
}


# What simulated comments say: mostly warm, some mixed, a few cold, as real comment sections.
COMMENTS = (
    "Love this, so helpful!", "Omg my skin needs this 😍", "Great video, thanks for sharing",
    "Where did you get it?", "This actually works, amazing results", "Best routine I've seen",
    "Not sure about this one", "Looks fake honestly", "So good, trying it tonight!",
    "Ok but the price though", "Wow, beautiful", "Terrible, broke me out",
)


# The warm ones: what a post whose audience loves it hears.
WARM_COMMENTS = tuple(c for c in COMMENTS if c not in (
    "Not sure about this one", "Looks fake honestly", "Ok but the price though",
    "Terrible, broke me out", "Where did you get it?"))


@dataclass(frozen=True)
class Audience:
    """How a post's organic viewers behave: the share of impressions watched to 15 s, the share
    that leave a comment, and whether the comments are mostly warm (else mixed, as COMMENTS)."""

    watched_15s: float = FUNNEL["view_15s"][0]
    comments: float = FUNNEL["comment"][0]
    warm: bool = False


@dataclass
class Outcome:
    sent: int = 0
    accepted: int = 0
    duplicates: int = 0
    refused: Counter[str] = field(default_factory=Counter)


def _events_for(rng: random.Random, *, key: str, post_id: str, ad_id: str | None,
                impressions: int, day_start: datetime, now: datetime,
                audience: Audience = Audience()) -> Iterator[engagement.EventIn]:
    organic = ad_id is None
    rates = {kind: organic_rate if organic else paid_rate
             for kind, (organic_rate, paid_rate) in FUNNEL.items()}
    if organic:
        rates.update(view_15s=audience.watched_15s, comment=audience.comments)
        # Organic views have no call to action to click: no draw at all, so the organic events
        # stay what they were before clicks were simulated.
        for kind in PAID_ONLY:
            del rates[kind]
    said = WARM_COMMENTS if audience.warm else COMMENTS
    span = min(timedelta(days=1), now - day_start)
    if span <= timedelta(0):
        return
    for n in range(impressions):
        at = day_start + span * rng.random()
        yield engagement.EventIn(f"sim-{key}-{day_start:%Y%m%d}-{n}-i", post_id, "impression",
                                 at, ad_id)
        for kind, rate in rates.items():
            if rng.random() < rate:
                # Picked by position, not drawn: the other events stay what they were.
                text = said[(n + day_start.day) % len(said)] if kind == "comment" else None
                yield engagement.EventIn(f"sim-{key}-{day_start:%Y%m%d}-{n}-{kind}", post_id,
                                         kind, at + timedelta(seconds=rng.randint(1, 40)), ad_id,
                                         comment_text=text)


def plan(db: Database, *, days: int, seed: int, paid_per_day: int, organic_per_day: int,
         audiences: Mapping[str, Audience] | None = None) -> list[engagement.EventIn]:
    """Every event of the simulation, in time order; ``audiences`` by post id (else the usual
    one). A post has organic traffic only from its publication on."""
    now = utc_now()
    with db.unit_of_work(write=False) as session:
        posts, ads = ad_repository.live_posts_and_ads(session)
        sources: list[tuple[str, str, str | None, int]] = [
            (f"p{p.id[:8]}", p.id, None, organic_per_day) for p in posts]
        sources += [(f"a{a.id[:8]}", a.post_id, a.id, paid_per_day) for a in ads]
        published = {p.id: p.published_at for p in posts}
    events: list[engagement.EventIn] = []
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for back in range(days, -1, -1):
        day_start = today - timedelta(days=back)
        for key, post_id, ad_id, per_day in sources:
            rng = random.Random(f"{seed}-{key}-{day_start:%Y%m%d}")
            count = max(0, int(rng.gauss(per_day, per_day * 0.25)))
            start = max(day_start, published.get(post_id, day_start))
            if start >= day_start + timedelta(days=1):
                continue
            events.extend(_events_for(rng, key=key, post_id=post_id, ad_id=ad_id,
                                      impressions=count, day_start=start, now=now,
                                      audience=(audiences or {}).get(post_id, Audience())))
    events.sort(key=lambda e: e.occurred_at or now)
    return events


def run(db: Database, settings: Settings, events: list[engagement.EventIn],
        progress: Callable[[int], None] | None = None) -> Outcome:
    """Ingest the events in batches, one transaction each, as the platform (no user)."""
    outcome = Outcome()
    size = settings.engagement.batch_size
    for start in range(0, len(events), size):
        batch = events[start:start + size]
        with db.unit_of_work() as session:
            results = engagement.ingest(session, settings=settings, user=None, events=batch)
        for r in results:
            if r.status == "accepted":
                outcome.accepted += 1
            elif r.status == "duplicate":
                outcome.duplicates += 1
            else:
                reasons = (r.error.details.get("reasons") if r.error else None) or [
                    r.error.code if r.error else "refused"]
                outcome.refused[reasons[0]] += 1
        outcome.sent += len(batch)
        if progress:
            progress(len(batch))
    return outcome
