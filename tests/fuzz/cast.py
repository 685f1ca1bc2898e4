"""The fuzz run's cast, built with the project's own commands and services.

Runs in a subprocess against the fuzz database and the server's settings (never inside pytest's
Django), as ``python -m tests.fuzz.cast setup OUT.json`` before the server starts and
``python -m tests.fuzz.cast pools CONTEXT.json`` once the staff have logged in:

``setup``  migrates, loads a small demo county (``load_demo``), creates the staff member whose token
           the logout operation may spend (``create_staff``), enrolls the phone the mobile API is
           fuzzed with (``issue_enrollment_code`` + ``enroll_device``), schedules reminders for it and
           issues one-time enrollment codes for other subjects (so ``POST /mobile/enroll`` sometimes
           succeeds).
``pools``  writes the ids each identity can see, so path parameters name real rows most of the time.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
from pathlib import Path
from typing import Any

DEMO_SUBJECTS, DEMO_RELEASED = 48, 6
OFFICE = "chengqu"  # the officer's office, and the phone's subject's
BUREAU_USER, BUREAU_PASSWORD = "juzhang", "Demo-head-2026"  # bureau head: every office, and the access log
OFFICER_USER, OFFICER_PASSWORD = "chengqu_officer", "Demo-officer-2026"
LOGOUT_USER = "fuzz_logout"
ENROLL_CODES = 8
REMINDERS = 3
DEVICE = {"platform": "android", "model": "Mate 60", "os_version": "14", "app_version": "1.0.0"}


def setup(out: Path) -> None:
    from django.core.management import call_command
    from django.utils import timezone

    from backend.accounts.models import User
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

    officer = User.objects.get(username=OFFICER_USER)
    in_supervision = Subject.objects.filter(status=Subject.Status.IN_SUPERVISION).order_by("pk")
    phone_subject = in_supervision.filter(office__code=OFFICE).first()
    if phone_subject is None:
        raise SystemExit(f"load_demo left no subject in supervision in office {OFFICE}")
    enrollment = enroll_device(issue_enrollment_code(phone_subject, officer).code, DEVICE)
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
                "logout": [LOGOUT_USER, logout_password],
                "phone": {"subject": phone_subject.pk, "token": enrollment.device_token, "device": DEVICE},
                "enroll_codes": codes,
            },
            indent=2,
        )
    )


def _ids(queryset: Any, limit: int = 200) -> list[int]:
    return list(queryset.order_by("-pk").values_list("pk", flat=True)[:limit])


def pools(context_path: Path) -> None:
    """Add ``pools``: for each identity, the ids of each kind of row it may see."""
    from backend.accounts.models import Office
    from backend.audit.models import AccessLog
    from backend.monitoring.models import Alert, Zone
    from backend.reminders.models import Reminder
    from backend.supervision.models import ReleasedPerson, Subject

    context = json.loads(context_path.read_text())
    phone_subject = context["phone"]["subject"]

    def visible(office: Office | None) -> dict[str, list[int]]:
        def scoped(queryset: Any, field: str = "office") -> Any:
            return queryset if office is None else queryset.filter(**{field: office})

        return {
            "subjects": _ids(scoped(Subject.objects.exclude(pk=phone_subject))),
            "released-persons": _ids(scoped(ReleasedPerson.objects.all())),
            "zones": _ids(scoped(Zone.objects.all())),
            "alerts": _ids(scoped(Alert.objects.all())),
            "offices": _ids(Office.objects.all() if office is None else Office.objects.filter(pk=office.pk)),
            "access-log": _ids(AccessLog.objects.all()) if office is None else [],
        }

    context["pools"] = {
        "bureau": visible(None),
        "officer": visible(Office.objects.get(code=OFFICE)),
        "phone": {"reminders": _ids(Reminder.objects.filter(subject_id=phone_subject))},
    }
    context_path.write_text(json.dumps(context, indent=2))


def main() -> None:
    import django

    django.setup()
    command, path = sys.argv[1], Path(sys.argv[2])
    {"setup": setup, "pools": pools}[command](path)


if __name__ == "__main__":
    main()
