"""Monitoring part of the demo county: fences, enrolled phones and a few hours of check-ins.

Everything goes through the real services (enrollment, ``record_checkins``), so the demo console
shows alerts the engine really raised: a person entering a victim's home zone, one leaving the
county, one whose phone reports a mock location.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone

from backend.accounts.models import Office
from backend.monitoring.models import CheckIn, Zone
from backend.monitoring.services import record_checkins
from backend.supervision.models import Device, Subject
from backend.supervision.services import enroll_device, issue_enrollment_code

CURFEW = {"tz": "Asia/Shanghai", "weekly": [{"days": [0, 1, 2, 3, 4, 5, 6], "start": "22:00", "end": "06:00"}]}
PHONES_PER_OFFICE = 6


def _offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return (lat + north_m / 111_320.0, lon + east_m / (111_320.0 * math.cos(math.radians(lat))))


def _zone(defaults: dict[str, Any], **keys: Any) -> Zone:
    zone, _ = Zone.objects.update_or_create(**keys, defaults=defaults)
    return zone


@transaction.atomic
def add_fences() -> int:
    bureau = Office.objects.get(kind=Office.Kind.BUREAU, code="bureau")
    _zone({"kind": Zone.Kind.INCLUSION, "purpose": Zone.Purpose.COUNTY, "geometry": bureau.boundary,
           "confirm_fixes": 3, "confirm_seconds": 300}, office=bureau, subject=None, name="县界（不得擅自离开）")
    for subject in Subject.objects.filter(status=Subject.Status.IN_SUPERVISION).exclude(home_lat=None):
        point = {"type": "Point", "coordinates": [subject.home_lon, subject.home_lat]}
        if subject.supervision_level == Subject.Level.STRICT:
            _zone({"kind": Zone.Kind.INCLUSION, "purpose": Zone.Purpose.CURFEW, "geometry": point, "radius_m": 300,
                   "schedule": CURFEW}, office=subject.office, subject=subject, name="夜间居家（22:00–06:00）")
        if subject.pk % 5 == 0:
            lat, lon = _offset(subject.home_lat, subject.home_lon, 1500, 900)
            _zone({"kind": Zone.Kind.EXCLUSION, "purpose": Zone.Purpose.EXCLUSION,
                   "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]}, "radius_m": 200,
                   "approach_buffer_m": 300, "confirm_fixes": 2, "confirm_seconds": 60},
                  office=subject.office, subject=subject, name="被害人住所（禁止接近）")
    return Zone.objects.count()


def _track(rnd: random.Random, start: dt.datetime, points: list[tuple[float, float]], *, step_min: int = 10,
           mock: bool = False, seed: str) -> list[dict[str, Any]]:
    fixes = []
    for i, (lat, lon) in enumerate(points):
        jitter_lat, jitter_lon = _offset(lat, lon, rnd.gauss(0, 15), rnd.gauss(0, 15))
        fixes.append({
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"demo:{seed}:{i}")),
            "recorded_at": (start + dt.timedelta(minutes=i * step_min)).isoformat(),
            "lat": round(jitter_lat, 6), "lon": round(jitter_lon, 6), "accuracy_m": rnd.choice([8, 12, 20, 35]),
            "crs": "wgs84", "battery": max(20, 95 - i * 2), "charging": False, "provider": "fused",
            "mock_location": mock,
        })
    return fixes


def simulate_phones(seed: int = 7) -> int:
    """Enroll a few phones per office and upload the last hours of their day (once)."""
    if CheckIn.objects.exists():
        return 0
    rnd = random.Random(seed)
    now = timezone.now().replace(second=0, microsecond=0)
    start = now - dt.timedelta(hours=3)
    uploaded = 0
    for office in Office.objects.filter(kind=Office.Kind.OFFICE).order_by("code"):
        subjects = list(Subject.objects.filter(office=office, status=Subject.Status.IN_SUPERVISION)
                        .exclude(home_lat=None).order_by("pk")[:PHONES_PER_OFFICE])
        officer = office.staff.order_by("pk").first()
        for n, subject in enumerate(subjects):
            device = Device.objects.filter(subject=subject, revoked_at__isnull=True).first()
            if device is None:
                code = issue_enrollment_code(subject, officer).code
                device = enroll_device(code, {"platform": rnd.choice(["android", "harmony", "ios"]),
                                              "model": rnd.choice(["HUAWEI Mate 60", "Xiaomi 14", "OPPO Reno 11",
                                                                   "vivo X100", "iPhone 15"]),
                                              "os_version": "14", "app_version": "1.3.0"}).device
            home = (subject.home_lat, subject.home_lon)
            points = [home] * 18
            mock = False
            if office.code == "chengqu" and n == 0:
                victim = Zone.objects.filter(subject=subject, kind=Zone.Kind.EXCLUSION).first()
                target = tuple(reversed(victim.geometry["coordinates"])) if victim else _offset(*home, 1500, 900)
                points = [home] * 12 + [target] * 6  # walks to the victim's home and stays there
            elif office.code == "yatou" and n == 1:
                points = [home] * 10 + [_offset(*home, 0, -60_000)] * 8  # leaves the county westwards
            elif office.code == "lidao" and n == 2:
                mock = True
            fixes = _track(rnd, start, points, step_min=10, mock=mock, seed=f"{subject.pk}")
            record_checkins(device, fixes)
            uploaded += len(fixes)
    return uploaded
