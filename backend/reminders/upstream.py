"""What reminders learns from, and tells, the layers above it (monitoring).

Reminders is below monitoring and never imports it. Two things still cross the floor:

- ``phone_unreachable``, a signal: pushes no longer reach a person's phone; monitoring's
  receiver turns it into a risk warning and answers with the alert (``check_unreachable``
  returns it).
- ``last_upload``, one registered function: when the person's phone last uploaded, which
  supersedes the check-in prompts created before it. Monitoring registers it at start-up
  (``MonitoringConfig.ready``); without it no prompt is superseded.
- ``monthly_report_in``, one registered function: has this person's monthly report (思想汇报) of
  a period (``"2026-11"``) arrived? The archives register it; no reminder is scheduled for a
  report that is in (and the archives end a pending one when the report arrives).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.dispatch import Signal

# Sent with ``subject``, ``at`` (when it was found), ``day`` (its local day, ISO: one warning a
# day) and ``evidence`` (a JSON dict); a receiver returns the risk warning it raised (or None).
phone_unreachable = Signal()

LastUpload = Callable[[int], "dt.datetime | None"]
_last_upload: LastUpload | None = None


def register_last_upload(lookup: LastUpload) -> None:
    """Tell reminders how to find when a person's phone last uploaded (by the person's id)."""
    global _last_upload
    _last_upload = lookup


def last_upload(subject_id: int) -> dt.datetime | None:
    return _last_upload(subject_id) if _last_upload is not None else None


# Whom to wake for an office's critical alert: the ids of the staff on duty at that time, or None
# when the office has nobody on its roster then (every officer and the head are woken, as without
# a roster). The duty module registers it at start-up (``DutyConfig.ready``).
StaffOnDuty = Callable[[int, "dt.datetime"], "list[int] | None"]
_staff_on_duty: StaffOnDuty | None = None


def register_staff_on_duty(lookup: StaffOnDuty) -> None:
    """Tell reminders who is on duty for an office (by the office's id and a time)."""
    global _staff_on_duty
    _staff_on_duty = lookup


def staff_on_duty(office_id: int, at: dt.datetime) -> list[int] | None:
    return _staff_on_duty(office_id, at) if _staff_on_duty is not None else None


MonthlyReportIn = Callable[[int, str], bool]
_monthly_report_in: MonthlyReportIn | None = None


def register_monthly_report_in(lookup: MonthlyReportIn) -> None:
    """Tell reminders how to find whether a person's monthly report of a period has arrived."""
    global _monthly_report_in
    _monthly_report_in = lookup


def monthly_report_in(subject_id: int, period: str) -> bool:
    return _monthly_report_in(subject_id, period) if _monthly_report_in is not None else False
