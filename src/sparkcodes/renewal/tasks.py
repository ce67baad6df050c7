from __future__ import annotations

from sparkcodes.renewal import service
from sparkcodes.request_flow.tasks import schedule_expiry_notices

# Tell the brand once that its renewal request lapsed unanswered.
schedule_expiry_notices("renewal_request.expire_sweep", service.FLOW, sweep=service.expire_sweep,
                        notify=service.notify_expired)
