"""How a roster entry is shown, shared by the JSON endpoints and the roster page."""

from __future__ import annotations

from sparkcodes.ad.schemas import from_micros
from sparkcodes.config import Settings
from sparkcodes.models import Creator, RosterEntry
from sparkcodes.roster import rules
from sparkcodes.roster.schemas import CodesHeld, RosterCreator, RosterEntryOut


def entry_out(entry: RosterEntry, creator: Creator, counts: tuple[int, int] | None,
              settings: Settings) -> RosterEntryOut:
    live, expired = counts or (0, 0)
    return RosterEntryOut(
        id=entry.id, business_id=entry.business_id,
        creator=RosterCreator(id=creator.id, handle=creator.handle,
                              display_name=creator.display_name, region=creator.region,
                              region_supported=rules.region_supported(
                                  creator.region, settings.supported_regions),
                              on_sparkcodes=creator.owner_id is not None),
        status=entry.status, rate=from_micros(entry.rate_micros), currency=entry.currency,
        notes=entry.notes, email=entry.email,
        codes=CodesHeld(held=live + expired, live=live, expired=expired),
        created_at=entry.created_at, updated_at=entry.updated_at,
    )
