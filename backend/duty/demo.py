"""Duty part of the demo county: this week's roster of every office and of the bureau."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import OFFICE_ROLES, Office, User
from backend.duty.models import DutyShift
from backend.duty.services import BUREAU_DUTY_ROLES

DAYS = 7


@transaction.atomic
def add_roster() -> str:
    """Day shifts (08:00-20:00) and night shifts for a week from today, taking turns. Idempotent:
    the demo roster of the week is replaced."""
    today = timezone.localtime().replace(hour=8, minute=0, second=0, microsecond=0)
    start = today - dt.timedelta(days=1)  # yesterday's night shift covers this morning
    DutyShift.objects.filter(note="demo", ends_at__gt=start).delete()
    shifts = []
    for office in Office.objects.filter(is_active=True).order_by("pk"):
        roles = BUREAU_DUTY_ROLES if office.kind == Office.Kind.BUREAU else OFFICE_ROLES
        staff = list(User.objects.filter(is_active=True, role__in=list(roles), office=office).order_by("pk"))
        if office.kind == Office.Kind.BUREAU and not staff:
            staff = list(User.objects.filter(is_active=True, role__in=list(roles)).order_by("pk"))
        if not staff:
            continue
        for day in range(DAYS + 1):
            day_start = start + dt.timedelta(days=day)
            for half in range(2):
                begins = day_start + dt.timedelta(hours=12 * half)
                shifts.append(
                    DutyShift(
                        office=office,
                        user=staff[(2 * day + half) % len(staff)],
                        starts_at=begins,
                        ends_at=begins + dt.timedelta(hours=12),
                        note="demo",
                    )
                )
    DutyShift.objects.bulk_create(shifts)
    return f"{len(shifts)} shifts over {DAYS} days"
