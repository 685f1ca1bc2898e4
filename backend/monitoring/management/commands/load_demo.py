"""Build (or refresh) the demo county. Idempotent; refuses to run outside demo mode.

It lives in the top app because it fills every floor: supervision's people and phones, then
monitoring's fences and check-ins. The modules above monitoring add their records through the
steps they register in ``backend.core.demo``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from backend.core.demo import demo_steps
from backend.monitoring.demo import add_fences, simulate_phones
from backend.supervision.demo import load_demo_county


class Command(BaseCommand):
    help = "Load the demo county (bureau, 12 offices, staff of every role, ~300 subjects). Demo mode only."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--subjects", type=int, default=300)
        parser.add_argument("--released", type=int, default=40)
        parser.add_argument("--quiet", action="store_true", help="do not print the logins")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_MODE:
            raise CommandError(
                "load_demo only runs with DEMO_MODE on: it creates users with known passwords."
            )
        translation.activate(settings.LANGUAGE_CODE)
        report = load_demo_county(subjects=options["subjects"], released=options["released"])
        zones = add_fences()
        fixes = simulate_phones()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo county ready: {report.offices} offices, {report.subjects} subjects, {report.released} released "
                f"persons, {zones} zones, {fixes} check-ins uploaded."
            )
        )
        for step in demo_steps():
            self.stdout.write(f"  {step.name}: {step.run()}")
        if options["quiet"]:
            return
        self.stdout.write("Demo logins (demo mode only):")
        shown_office_roles = 0
        for username, password, role, office in report.logins:
            if office.endswith("司法所"):
                shown_office_roles += 1
                if shown_office_roles > 4:
                    continue
            self.stdout.write(f"  {username:<20} {password:<24} {role} · {office}")
        self.stdout.write("  (every office has <code>_head and <code>_officer with the same passwords)")
