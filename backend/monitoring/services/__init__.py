"""Domain actions of monitoring: record check-ins and phone status, evaluate them, raise and
handle alerts, detect silent phones. Views, consumers and tasks call these; none of them writes
models directly.

One module per concern, the public functions re-exported here:

- ``ingestion``: a phone's batch of fixes stored once and answered (``record_checkins``);
- ``evaluation``: stored fixes evaluated by the engine, alerts raised (``evaluate_pending``);
- ``alerts``: raising, acknowledging and resolving alerts, waking staff for critical ones;
- ``phone_status``: heartbeats, offline phones, monitoring states, check-in prompts.

The SQL they run is in ``backend.monitoring.sql``.
"""

from backend.monitoring.services.alerts import (
    RISK_KINDS,
    acknowledge_alert,
    alert_payload,
    notify_staff_of_alert,
    raise_alert,
    resolve_alert,
)
from backend.monitoring.services.evaluation import evaluate_pending
from backend.monitoring.services.ingestion import CheckinOutcome, record_checkins, record_checkins_with_token
from backend.monitoring.services.phone_status import (
    detect_offline,
    ensure_monitor_state,
    record_status,
    schedule_checkin_prompts,
)

__all__ = [
    "RISK_KINDS",
    "CheckinOutcome",
    "acknowledge_alert",
    "alert_payload",
    "detect_offline",
    "ensure_monitor_state",
    "evaluate_pending",
    "notify_staff_of_alert",
    "raise_alert",
    "record_checkins",
    "record_checkins_with_token",
    "record_status",
    "resolve_alert",
    "schedule_checkin_prompts",
]
