"""Domain actions of resettlement: records opened at the end of supervision, must-receive-must-
deliver steps and their alerts, assistance teams and visits, screenings, rates and the ledger.

One module per concern: ``handover`` (records, steps, deadlines, alerts, rates), ``assistance``
(teams, members, visits, screenings, the ledger's rows, the screening factors).
"""

from backend.resettlement.services.assistance import (
    add_member,
    create_team,
    key_person_rows,
    recent_incidents,
    recent_visits,
    record_screening,
    record_visit,
)
from backend.resettlement.services.handover import (
    OfficeRates,
    check_deadlines,
    office_rates,
    open_handover,
    open_missing_handovers,
    open_released_person,
    record_step,
    resolve_alert,
)

__all__ = [
    "OfficeRates",
    "add_member",
    "check_deadlines",
    "create_team",
    "key_person_rows",
    "office_rates",
    "open_handover",
    "open_missing_handovers",
    "open_released_person",
    "recent_incidents",
    "recent_visits",
    "record_screening",
    "record_step",
    "record_visit",
    "resolve_alert",
]
