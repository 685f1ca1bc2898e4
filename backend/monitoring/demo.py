"""Monitoring part of the demo county: fences, enrolled phones and a few hours of check-ins.

Everything goes through the real services (enrollment, ``record_checkins``), so the demo console
shows alerts the engine really raised: a person entering a victim's home zone, one leaving the
county, one whose phone reports a mock location.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import random
import uuid
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.db import transaction
from django.utils import timezone
from shapely.geometry import Point, shape
from shapely.ops import nearest_points

from backend.accounts.models import Office
from backend.monitoring.models import CheckIn, Zone
from backend.monitoring.services import record_checkins
from backend.supervision.models import Device, Subject
from backend.supervision.services import enroll_device, issue_enrollment_code
from backend.supervision.signing import public_key_text

CURFEW = {"tz": "Asia/Shanghai", "windows": [{"start": "22:00", "end": "06:00"}]}
PHONES_PER_OFFICE = 6


def _home(subject: Subject) -> tuple[float, float]:
    """A demo person's home: the demo county gives every person one."""
    assert subject.home_lat is not None and subject.home_lon is not None
    return subject.home_lat, subject.home_lon


def _offset(lat: float, lon: float, north_m: float, east_m: float) -> tuple[float, float]:
    return (lat + north_m / 111_320.0, lon + east_m / (111_320.0 * math.cos(math.radians(lat))))


def _zone(defaults: dict[str, Any], **keys: Any) -> Zone:
    zone, _ = Zone.objects.update_or_create(**keys, defaults=defaults)
    return zone


@transaction.atomic
def add_fences() -> int:
    bureau = Office.objects.get(kind=Office.Kind.BUREAU, code="bureau")
    _zone(
        {
            "kind": Zone.Kind.INCLUSION,
            "purpose": Zone.Purpose.COUNTY,
            "geometry": bureau.boundary,
            "confirm_fixes": 3,
            "confirm_seconds": 300,
        },
        office=bureau,
        subject=None,
        name="县界（不得擅自离开）",
    )
    for subject in Subject.objects.filter(status=Subject.Status.IN_SUPERVISION).exclude(home_lat=None):
        point = {"type": "Point", "coordinates": [subject.home_lon, subject.home_lat]}
        if subject.supervision_level == Subject.Level.STRICT:
            _zone(
                {
                    "kind": Zone.Kind.INCLUSION,
                    "purpose": Zone.Purpose.CURFEW,
                    "geometry": point,
                    "radius_m": 300,
                    "schedule": CURFEW,
                },
                office=subject.office,
                subject=subject,
                name="夜间居家（22:00–06:00）",
            )
        if subject.pk % 5 == 0:
            lat, lon = _offset(*_home(subject), 1500, 900)
            _zone(
                {
                    "kind": Zone.Kind.EXCLUSION,
                    "purpose": Zone.Purpose.EXCLUSION,
                    "geometry": {"type": "Point", "coordinates": [round(lon, 6), round(lat, 6)]},
                    "radius_m": 200,
                    "approach_buffer_m": 300,
                    "confirm_fixes": 2,
                    "confirm_seconds": 60,
                },
                office=subject.office,
                subject=subject,
                name="被害人住所（禁止接近）",
            )
    return Zone.objects.count()


def _track(
    rnd: random.Random,
    now: dt.datetime,
    points: list[tuple[float, float]],
    *,
    mock: bool = False,
    seed: str,
    recent: int = 0,
) -> list[dict[str, Any]]:
    """Fixes every 10 minutes over the last hours; the last ``recent`` ones every 2 minutes."""
    older = len(points) - recent
    times = [now - dt.timedelta(minutes=2 * recent + 10 * (older - i)) for i in range(older)] + [
        now - dt.timedelta(minutes=2 * (recent - i)) for i in range(recent)
    ]
    fixes = []
    for i, ((lat, lon), at) in enumerate(zip(points, times, strict=True)):
        jitter_lat, jitter_lon = _offset(lat, lon, rnd.gauss(0, 12), rnd.gauss(0, 12))
        fixes.append(
            {
                "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"demo:{seed}:{i}")),
                "recorded_at": at.isoformat(),
                "lat": round(jitter_lat, 6),
                "lon": round(jitter_lon, 6),
                "accuracy_m": rnd.choice([8, 12, 20, 35]),
                "crs": "wgs84",
                "battery": max(20, 95 - i * 2),
                "charging": False,
                "provider": "fused",
                "mock_location": mock and i >= older,  # the spoofing app was switched on lately
            }
        )
    return fixes


def _line(a: tuple[float, float], b: tuple[float, float], n: int) -> list[tuple[float, float]]:
    return [(a[0] + (b[0] - a[0]) * k / (n - 1), a[1] + (b[1] - a[1]) * k / (n - 1)) for k in range(n)]


def _county_exit(home: tuple[float, float]) -> tuple[list[tuple[float, float]], int]:
    """A drive from home to the nearest county border, crossing it in the last minutes."""
    bureau = Office.objects.get(kind=Office.Kind.BUREAU, code="bureau")
    border = shape(bureau.boundary).exterior
    nearest = nearest_points(Point(home[1], home[0]), border)[1]
    edge = (nearest.y, nearest.x)
    north, east = (
        (edge[0] - home[0]) * 111_320.0,
        (edge[1] - home[1]) * 111_320.0 * math.cos(math.radians(home[0])),
    )
    length = math.hypot(north, east) or 1.0
    unit = (north / length, east / length)
    before = _offset(*edge, -600 * unit[0], -600 * unit[1])
    beyond = _offset(*edge, 1500 * unit[0], 1500 * unit[1])
    return [home] * 4 + _line(home, before, 8) + _line(before, beyond, 7), 7


def simulate_phones(seed: int = 7) -> int:
    """Enroll a few phones per office and upload the last hours of their day (once)."""
    if CheckIn.objects.exists():
        return 0
    rnd = random.Random(seed)
    now = timezone.now().replace(second=0, microsecond=0)
    uploaded, victim_done = 0, False
    for office in Office.objects.filter(kind=Office.Kind.OFFICE).order_by("code"):
        subjects = list(
            Subject.objects.filter(office=office, status=Subject.Status.IN_SUPERVISION)
            .exclude(home_lat=None)
            .order_by("pk")[: PHONES_PER_OFFICE * 3]
        )
        subjects = sorted(subjects, key=lambda s: (s.pk % 5 != 0, s.pk))[:PHONES_PER_OFFICE]
        officer = office.staff.order_by("pk").first()
        assert officer is not None  # the demo county staffs every office before it enrolls phones
        for n, subject in enumerate(subjects):
            device = Device.objects.filter(subject=subject, revoked_at__isnull=True).first()
            if device is None:
                code = issue_enrollment_code(subject, officer).code
                device = enroll_device(
                    code,
                    {
                        "platform": rnd.choice(["android", "harmony", "ios"]),
                        "model": rnd.choice(
                            ["HUAWEI Mate 60", "Xiaomi 14", "OPPO Reno 11", "vivo X100", "iPhone 15"]
                        ),
                        "os_version": "14",
                        "app_version": "1.3.0",
                        "public_key": demo_phone_key(subject.pk),
                    },
                ).device
            home = _home(subject)
            points, recent, mock = [home] * 18, 0, False
            victim = Zone.objects.filter(subject=subject, kind=Zone.Kind.EXCLUSION).first()
            if office.code == "chengqu" and victim is not None and not victim_done:
                target = (victim.geometry["coordinates"][1], victim.geometry["coordinates"][0])
                points, recent = (
                    [home] * 12 + _line(home, target, 4) + [target] * 4,
                    6,
                )  # to the victim's home
                victim_done = True
            elif office.code == "yatou" and n == 1:
                points, recent = _county_exit(home)
            elif office.code == "lidao" and n == 2:
                recent, mock = 5, True
            fixes = _track(rnd, now, points, mock=mock, seed=f"{subject.pk}", recent=recent)
            record_checkins(device, fixes)
            uploaded += len(fixes)
    return uploaded


def demo_phone_key(subject_id: int) -> str:
    """The public key a demo phone registers: its key pair follows from the person's id, so the
    demo county is the same each time it is loaded (demo phones upload through the services)."""
    seed = hashlib.sha256(f"corrections-monitor demo phone {subject_id}".encode()).digest()
    return public_key_text(Ed25519PrivateKey.from_private_bytes(seed))
