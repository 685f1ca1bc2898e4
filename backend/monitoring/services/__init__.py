"""Domain actions of monitoring: record check-ins and phone status, evaluate them, raise and
handle alerts, detect silent phones. Views, consumers and tasks call these; none of them writes
models directly.

One module per concern, the public functions re-exported here:

- ``ingestion``: a phone's batch of fixes stored once and answered (``record_checkins``);
- ``evaluation``: stored fixes evaluated by the engine, alerts raised (``evaluate_pending``);
- ``alerts``: raising, acknowledging and resolving alerts, waking staff for critical ones;
- ``phone_status``: heartbeats, monitoring states, check-in prompts;
- ``contact``: 防脱管/防漏管, the periodic checks of silent and unwatched people;
- ``expectations``: what is expected of each person (level policy and orders), kept in the state;
- ``commands``: orders to the phone, carried in the check-in and status answers.

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
from backend.monitoring.services.commands import acknowledge_command, pending_commands, send_command
from backend.monitoring.services.contact import (
    detect_app_removed,
    detect_lost_contact,
    detect_offline,
    detect_term_ended,
    detect_unsupervised,
    note_all_contact_resumed,
    note_contact_resumed,
)
from backend.monitoring.services.evaluation import evaluate_pending
from backend.monitoring.services.expectations import recompute_expectations, register_expectation_override
from backend.monitoring.services.ingestion import CheckinOutcome, record_checkins, record_checkins_with_token
from backend.monitoring.services.phone_status import (
    ensure_monitor_state,
    record_status,
    schedule_checkin_prompts,
)

__all__ = [
    "RISK_KINDS",
    "CheckinOutcome",
    "acknowledge_alert",
    "acknowledge_command",
    "alert_payload",
    "detect_app_removed",
    "detect_lost_contact",
    "detect_offline",
    "detect_term_ended",
    "detect_unsupervised",
    "ensure_monitor_state",
    "evaluate_pending",
    "note_all_contact_resumed",
    "note_contact_resumed",
    "notify_staff_of_alert",
    "pending_commands",
    "raise_alert",
    "recompute_expectations",
    "record_checkins",
    "record_checkins_with_token",
    "record_status",
    "register_expectation_override",
    "resolve_alert",
    "schedule_checkin_prompts",
    "send_command",
]
