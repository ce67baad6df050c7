from __future__ import annotations

from sparkcodes.code_request import service
from sparkcodes.request_flow.tasks import schedule_expiry_notices

# Tell the brand once that its code request lapsed unanswered.
schedule_expiry_notices("code_request.expire_sweep", service.FLOW, sweep=service.expire_sweep,
                        notify=service.notify_expired)
