"""Seed data for the check-in benchmark: phones with home, county and exclusion zones."""

from __future__ import annotations

import datetime as dt
from typing import Any

from shapely.geometry import Point, mapping

BENCH_PASSWORD = "bench-console-password-2026"
# The console watcher's authenticator key (hex), so the benchmark can sign in with its second factor.
BENCH_TOTP_KEY = "62656e63682d746f74702d6b65792d32303236"


def seed(devices: int, latency_subjects: int) -> dict[str, Any]:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    from backend.accounts.models import Office, Role, User
    from backend.monitoring.models import Zone
    from backend.supervision.models import Subject
    from backend.supervision.services import enroll_device, issue_enrollment_code
    from backend.supervision.signing import public_key_text

    bureau = Office.objects.create(code="bureau", name="基准司法局", kind=Office.Kind.BUREAU)
    office = Office.objects.create(code="bench", name="基准司法所", parent=bureau)
    county = Point(122.42, 37.16).buffer(0.3)
    Zone.objects.create(
        office=bureau, name="县界", kind="inclusion", purpose="county", geometry=mapping(county)
    )
    officer = User.objects.create_user(
        "bench_officer", password=BENCH_PASSWORD, role=Role.OFFICER, office=office
    )
    watcher = User.objects.create_user(
        "bench_bureau", password=BENCH_PASSWORD, role=Role.BUREAU_STAFF, office=bureau
    )
    from backend.accounts.otp import start_enrollment

    start_enrollment(watcher, key=BENCH_TOTP_KEY, confirmed=True)
    out: dict[str, Any] = {
        "devices": [],
        "latency_subjects": [],
        "staff": {"username": watcher.username, "password": BENCH_PASSWORD, "totp_key": BENCH_TOTP_KEY},
    }
    for n in range(devices + latency_subjects):
        lat, lon = 37.10 + (n % 20) * 0.006, 122.35 + (n // 20) * 0.006
        subject = Subject.objects.create(
            office=office,
            responsible_officer=officer,
            name=f"基准{n}",
            gender="male",
            id_number=_id(n),
            home_address="基准村",
            home_lat=lat,
            home_lon=lon,
            case_number=f"BENCH-{n}",
            sentence_type="probation",
            supervision_start=dt.date(2026, 1, 1),
            supervision_end=dt.date(2028, 1, 1),
        )
        Zone.objects.create(
            office=office,
            subject=subject,
            name="居住地",
            kind="inclusion",
            purpose="home",
            geometry={"type": "Point", "coordinates": [lon, lat]},
            radius_m=2000,
        )
        zone_lat, zone_lon = lat + 0.02, lon + 0.02
        Zone.objects.create(
            office=office,
            subject=subject,
            name="禁入区",
            kind="exclusion",
            purpose="exclusion",
            geometry={"type": "Point", "coordinates": [zone_lon, zone_lat]},
            radius_m=200,
            confirm_fixes=1,
            confirm_seconds=0,
        )
        code = issue_enrollment_code(subject, officer).code
        # Each phone's signing key: the load generator signs every upload with it.
        key = Ed25519PrivateKey.generate()
        seed_hex = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption()).hex()
        token = enroll_device(code, {"platform": "android", "public_key": public_key_text(key)}).device_token
        if n < devices:
            out["devices"].append({"token": token, "key": seed_hex, "lat": lat, "lon": lon})
        else:
            out["latency_subjects"].append(
                {
                    "token": token,
                    "key": seed_hex,
                    "subject_id": subject.pk,
                    "zone_lat": zone_lat,
                    "zone_lon": zone_lon,
                    "home_lat": lat,
                    "home_lon": lon,
                }
            )
    return out


def _id(n: int) -> str:
    from backend.supervision.identity import check_digit

    first17 = f"37108219800101{n % 1000:03d}"
    return first17 + check_digit(first17)
