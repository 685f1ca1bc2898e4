"""The fuzz run's cast, built with the project's own commands and services.

Runs in a subprocess against the fuzz database and the server's settings (never inside pytest's
Django), as ``python -m tests.fuzz.cast setup OUT.json`` before the server starts and
``python -m tests.fuzz.cast pools CONTEXT.json`` once the staff have logged in:

``setup``  migrates, loads a small demo county (``load_demo``), gives the fuzzing staff a TOTP device
           of their own (``start_enrollment``; the harness computes their login codes from its key),
           creates the staff member whose tokens the logout operation spends (``create_staff``) and
           mints those tokens (``mint_token``: one per logout request, since a TOTP code is accepted
           once per 30-second step and the operation would otherwise need a login per example),
           enrolls the phone the mobile API is fuzzed with (``issue_enrollment_code`` +
           ``enroll_device``, with the public half of a key pair whose private half goes into the
           context: the hooks sign every phone request with it), schedules reminders for it and issues one-time enrollment codes for
           other subjects (so ``POST /mobile/enroll`` sometimes succeeds).

The ids path parameters are drawn from are read by the harness through the API itself (every list
operation of the spec, as each identity), so they cover every app without a list kept here.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import sys
from pathlib import Path

DEMO_SUBJECTS, DEMO_RELEASED = 48, 6
OFFICE = "chengqu"  # the officer's office, and the phone's subject's
BUREAU_USER, BUREAU_PASSWORD = "juzhang", "Demo-head-2026"  # bureau head: every office, and the access log
OFFICER_USER, OFFICER_PASSWORD = "chengqu_officer", "Demo-officer-2026"
LOGOUT_USER = "fuzz_logout"
ENROLL_CODES = 8
REMINDERS = 3
# Logout tokens: the examples of POST /auth/logout in both passes, with room for the stateful phase.
LOGOUT_TOKENS = 3 * int(os.environ.get("FUZZ_MAX_EXAMPLES", "25")) + 100
DEVICE = {"platform": "android", "model": "Mate 60", "os_version": "14", "app_version": "1.0.0"}


def setup(out: Path) -> None:
    from django.core.management import call_command
    from django.utils import timezone
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from backend.accounts.authentication import mint_token
    from backend.accounts.models import User
    from backend.accounts.otp import start_enrollment
    from backend.reminders.services import schedule_reminder
    from backend.supervision.models import Subject
    from backend.supervision.services import enroll_device, issue_enrollment_code

    call_command("migrate", "--no-input", verbosity=0)
    call_command(
        "load_demo", subjects=DEMO_SUBJECTS, released=DEMO_RELEASED, quiet=True, stdout=io.StringIO()
    )
    printed = io.StringIO()
    call_command("create_staff", LOGOUT_USER, role="officer", office=OFFICE, name="注销测试", stdout=printed)
    logout_password = next(
        line.split(":", 1)[1].strip()
        for line in printed.getvalue().splitlines()
        if line.startswith("password:")
    )

    logout_user = User.objects.get(username=LOGOUT_USER)
    logout_tokens = [mint_token(logout_user) for _ in range(LOGOUT_TOKENS)]
    # The fuzzing staff's second factor: a device of their own whose key the harness gets.
    otp_keys = {}
    for who, username in (("bureau", BUREAU_USER), ("officer", OFFICER_USER)):
        user = User.objects.get(username=username)
        TOTPDevice.objects.filter(user=user).delete()
        otp_keys[who] = start_enrollment(user, confirmed=True).device.key

    officer = User.objects.get(username=OFFICER_USER)
    in_supervision = Subject.objects.filter(status=Subject.Status.IN_SUPERVISION).order_by("pk")
    phone_subject = in_supervision.filter(office__code=OFFICE).first()
    if phone_subject is None:
        raise SystemExit(f"load_demo left no subject in supervision in office {OFFICE}")
    # The phone's signing key: it signs every request (backend/supervision/signing.py).
    from tests.phone_auth import new_key, public_key_of, seed_of

    phone_key = new_key()
    enrollment = enroll_device(
        issue_enrollment_code(phone_subject, officer).code, {**DEVICE, "public_key": public_key_of(phone_key)}
    )
    now = timezone.now()
    for n in range(REMINDERS):
        schedule_reminder(
            phone_subject,
            "other",
            now - dt.timedelta(minutes=n),
            f"提醒{n}",
            "请按时报到。",
            None,
            f"fuzz:{n}",
        )

    # Codes for subjects other than the phone's: enrolling with one revokes that subject's phone.
    bureau_head = User.objects.get(username=BUREAU_USER)
    codes = [
        issue_enrollment_code(subject, bureau_head).code
        for subject in in_supervision.exclude(pk=phone_subject.pk).order_by("-pk")[:ENROLL_CODES]
    ]

    out.write_text(
        json.dumps(
            {
                "staff": {
                    "bureau": [BUREAU_USER, BUREAU_PASSWORD],
                    "officer": [OFFICER_USER, OFFICER_PASSWORD],
                },
                "otp_keys": otp_keys,
                "logout": [LOGOUT_USER, logout_password],
                "logout_tokens": logout_tokens,
                "phone": {
                    "subject": phone_subject.pk,
                    "token": enrollment.device_token,
                    "key": seed_of(phone_key),
                    "device": DEVICE,
                },
                "enroll_codes": codes,
            },
            indent=2,
        )
    )


def main() -> None:
    import django

    django.setup()
    command, path = sys.argv[1], Path(sys.argv[2])
    {"setup": setup}[command](path)


if __name__ == "__main__":
    main()
