"""Domain actions of casework. Views, tasks, the admin and the demo call these.

- ``leave``: leave requests, their routing and decisions, the zones while a leave runs, the return;
- ``orders``: positioning orders and the sampling regime they allow;
- ``curfew``: the curfew check of a quiet phone;
- ``home_zones``: home and curfew zones from the home position and the level's curfew;
- ``phone``: commands and pushes to the person's phone; ``geocoding``: the optional geocoder.
"""

from backend.casework.services.curfew import check_curfews, settle_curfew_answers
from backend.casework.services.home_zones import set_home, sync_home_zones, sync_level_zones
from backend.casework.services.leave import (
    approve_leave,
    check_leave_returns,
    leave_suspensions,
    reject_leave,
    report_back,
    request_leave,
    retire_old_destination_zones,
)
from backend.casework.services.orders import (
    approve_order,
    end_order,
    expire_orders,
    extend_order,
    order_in_force,
    positioning_override,
    regime_periods,
    request_order,
)

__all__ = [
    "approve_leave",
    "approve_order",
    "check_curfews",
    "check_leave_returns",
    "end_order",
    "expire_orders",
    "extend_order",
    "leave_suspensions",
    "order_in_force",
    "positioning_override",
    "regime_periods",
    "reject_leave",
    "report_back",
    "request_leave",
    "request_order",
    "retire_old_destination_zones",
    "set_home",
    "settle_curfew_answers",
    "sync_home_zones",
    "sync_level_zones",
]
