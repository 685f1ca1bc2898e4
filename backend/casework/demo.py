"""Casework part of the demo county: home and curfew zones, leave requests in each state, a
positioning order in force. Everything goes through the services; idempotent."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from backend.accounts.models import Role, User
from backend.casework import services
from backend.casework.models import LeaveRequest, PositioningOrder
from backend.supervision.models import Device, Subject


def _offset(subject: Subject, north_km: float) -> tuple[float, float]:
    assert subject.home_lat is not None and subject.home_lon is not None
    return subject.home_lat + north_km / 111.32, subject.home_lon


def load_demo_casework() -> str:
    zoned = 0
    for subject in Subject.objects.filter(status=Subject.Status.IN_SUPERVISION).exclude(home_lat=None):
        services.sync_home_zones(subject)
        zoned += 1
    devices = list(
        Device.objects.filter(revoked_at__isnull=True, subject__status=Subject.Status.IN_SUPERVISION)
        .exclude(subject__home_lat=None)
        .select_related("subject__office")
        .order_by("subject__office__code", "pk")
    )
    head = User.objects.filter(role=Role.BUREAU_HEAD, is_active=True).order_by("pk").first()
    if not devices or head is None:
        return f"{zoned} people's home and curfew zones; no phones for leave"
    now = timezone.now().replace(second=0, microsecond=0)
    leaves = 0
    if not LeaveRequest.objects.exists():
        plans = [
            (
                "烟台市芝罘区（探望父母）",
                "探望生病的父亲",
                now + dt.timedelta(days=2),
                dt.timedelta(days=3),
                None,
            ),
            (
                "青岛市市南区（就医）",
                "到青岛市立医院复查",
                now - dt.timedelta(hours=20),
                dt.timedelta(days=2),
                "approve",
            ),
            (
                "济南市历下区（务工）",
                "随施工队外出务工",
                now + dt.timedelta(days=5),
                dt.timedelta(days=15),
                None,
            ),
        ]
        for device, (where, why, start, length, decision) in zip(devices[1::3], plans, strict=False):
            leave = services.request_leave(
                device,
                destination=where,
                reason=why,
                starts_at=start,
                ends_at=start + length,
                point=_offset(device.subject, 60.0),
            )
            if decision == "approve":
                decider = (
                    User.objects.filter(office=device.subject.office, role=Role.OFFICE_HEAD).first() or head
                )
                services.approve_leave(leave, decider, note="按时销假")
            leaves += 1
    orders = 0
    if not PositioningOrder.objects.exists():
        subject = devices[0].subject
        order = services.request_order(
            subject,
            head,
            ground=PositioningOrder.Ground.LEFT_COUNTY,
            reason="未经批准擅自离开所居住的县，经警告后拟采取电子定位",
            ends_on=(now + dt.timedelta(days=60)).date(),
        )
        services.approve_order(order, head)
        orders = 1
    return f"{zoned} people's home and curfew zones, {leaves} leave requests, {orders} positioning order"
