"""Education part of the demo county: sessions of every kind in each office, with attendance.

A past group session and a community-service activity per office, attendance decided by staff
from the paper sign-in sheet for some and computed from check-ins for the rest; an intake session
held at the home of a subject whose phone reports from there (so the check-ins say attended); and
upcoming sessions with their subjects enrolled (their reminders are scheduled). Idempotent.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from backend.accounts.models import Office, User
from backend.education.models import AttendanceRule, EducationSession, SessionKind
from backend.education.services import compute_attendance, confirm_attendance, create_session, enroll_subject
from backend.monitoring.models import MonitorState
from backend.supervision.models import Subject

OFFICES = 4


def _session(
    office: Office,
    by: User | None,
    kind: str,
    topic: str,
    start: dt.datetime,
    hours: int,
    **place: Any,
) -> EducationSession:
    found = EducationSession.objects.filter(office=office, kind=kind, topic=topic).first()
    if found is not None:
        return found
    lat, lon = float(place["lat"]), float(place["lon"])
    return create_session(
        by,
        office=office,
        kind=kind,
        topic=topic,
        place_name=str(place.get("name", f"{office.name}教育基地")),
        place_lat=lat,
        place_lon=lon,
        place_radius_m=float(place.get("radius", 150.0)),
        starts_at=start,
        ends_at=start + dt.timedelta(hours=hours),
        capacity=30,
    )


def _office_point(office: Office) -> tuple[float, float]:
    ring = (office.boundary or {}).get("coordinates", [[[121.45, 37.45]]])[0]
    if office.boundary and office.boundary.get("type") == "MultiPolygon":
        ring = office.boundary["coordinates"][0][0]
    lons, lats = [p[0] for p in ring], [p[1] for p in ring]
    return sum(lats) / len(lats), sum(lons) / len(lons)


def load_demo_sessions() -> str:
    AttendanceRule.objects.get_or_create(kind="", defaults={"min_minutes_inside": 45})
    AttendanceRule.objects.get_or_create(kind=SessionKind.INTAKE, defaults={"min_minutes_inside": 60})
    now = timezone.now().replace(second=0, microsecond=0)
    today = timezone.localtime(now).replace(hour=0, minute=0)
    sessions = 0
    for office in Office.objects.filter(kind=Office.Kind.OFFICE).order_by("code")[:OFFICES]:
        officer = office.staff.filter(role="officer").order_by("pk").first()
        subjects = list(
            Subject.objects.filter(office=office, status=Subject.Status.IN_SUPERVISION).order_by("pk")[:8]
        )
        if not subjects:
            continue
        lat, lon = _office_point(office)
        base = {"lat": lat, "lon": lon, "name": f"{office.name}社区矫正教育基地"}
        past_group = _session(
            office,
            officer,
            SessionKind.GROUP,
            "法律法规学习：社区矫正法",
            today - dt.timedelta(days=3, hours=-9),
            2,
            **base,
        )
        service = _session(
            office,
            officer,
            SessionKind.COMMUNITY_SERVICE,
            "敬老院义务劳动",
            today - dt.timedelta(days=2, hours=-14),
            3,
            lat=lat + 0.01,
            lon=lon + 0.01,
            name="镇敬老院",
        )
        upcoming = _session(
            office,
            officer,
            SessionKind.GROUP,
            "心理健康讲座",
            today + dt.timedelta(days=1, hours=9),
            2,
            **base,
        )
        sessions += 3
        # Enrollment is only possible before a session ends: the past ones get theirs by hand.
        # The first subject's outcome is the staff's (a paper sign-in sheet, a sick note); the
        # others' come from their check-ins.
        for past, attended, reason in (
            (past_group, True, "核对纸质签到表（手机未带）"),
            (service, False, "病假，已事先请假"),
        ):
            for subject in subjects[:6]:
                past.enrollments.get_or_create(subject=subject, defaults={"enrolled_by": officer})
            compute_attendance(past, now)
            first = past.enrollments.select_related("session").order_by("pk").first()
            if officer is not None and first is not None and first.source != "staff":
                confirm_attendance(first, attended=attended, reason=reason, by=officer)
        for subject in subjects[:6]:
            enroll_subject(upcoming, subject, officer)
        # An intake session at the home of a subject whose phone has been reporting from there.
        state = (
            MonitorState.objects.filter(
                subject__office=office, last_lat__isnull=False, last_fix_at__isnull=False
            )
            .select_related("subject")
            .order_by("subject_id")
            .first()
        )
        if state is not None and state.last_fix_at is not None:
            start = state.last_fix_at - dt.timedelta(hours=2)
            intake = _session(
                office,
                officer,
                SessionKind.INTAKE,
                f"入矫教育（上门）：{state.subject.name}",
                start,
                2,
                lat=state.last_lat or lat,
                lon=state.last_lon or lon,
                name="对象住所（上门教育）",
                radius=200.0,
            )
            intake.enrollments.get_or_create(subject=state.subject, defaults={"enrolled_by": officer})
            compute_attendance(intake, now)
            sessions += 1
    return f"{sessions} sessions, {EducationSession.objects.count()} in all"
