"""The ``AdWatch`` every adapter hands to the creator, post and authorization services.

Live ads come from the ad layer, the telling from notification alerts; see ``sparkcodes.ports``.
"""

from __future__ import annotations

from sparkcodes.ad.usage import live_ads_by_authorization, live_ads_of_creator, live_ads_of_post
from sparkcodes.notification.alerts import code_changed, post_changed

__all__ = ["code_changed", "live_ads_by_authorization", "live_ads_of_creator",
           "live_ads_of_post", "post_changed"]
