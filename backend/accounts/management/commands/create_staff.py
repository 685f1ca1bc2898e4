"""Create (or update) a staff user from the command line, for deployment bootstrap."""

from __future__ import annotations

import secrets
import sys
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from backend.accounts.models import OFFICE_ROLES, Office, Role, User


class Command(BaseCommand):
    help = "Create a staff user with a role and office. Prints a generated password if none is given."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--office", help="office code (required for office roles)")
        parser.add_argument("--name", default="", help="full name, e.g. 张伟")
        parser.add_argument("--phone", default="")
        parser.add_argument(
            "--password-stdin", action="store_true", help="read the password from standard input"
        )
        parser.add_argument("--update", action="store_true", help="update the user if it exists")

    def handle(self, *args: Any, **options: Any) -> None:
        role = Role(options["role"])
        office = None
        if options["office"]:
            office = Office.objects.filter(code=options["office"]).first()
            if office is None:
                known = ", ".join(Office.objects.values_list("code", flat=True)) or "none yet"
                raise CommandError(f"Unknown office {options['office']!r} (known: {known}).")
        if role in OFFICE_ROLES and office is None:
            raise CommandError(f"Role {role.value} needs --office.")
        generated = not options["password_stdin"]
        password = secrets.token_urlsafe(12) if generated else sys.stdin.readline().rstrip("\n")
        username = options["username"]
        existing = User.objects.filter(username=username).first()
        if existing is not None and not options["update"]:
            raise CommandError(f"User {username!r} exists; pass --update to change it.")
        user = existing or User(username=username)
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError("Password rejected: " + " ".join(exc.messages)) from exc
        family, given = (options["name"][:1], options["name"][1:]) if options["name"] else ("", "")
        with transaction.atomic():
            user.role, user.office, user.phone = role, office, options["phone"]
            user.last_name, user.first_name = family, given
            user.is_staff = True  # may log in to the admin; what they see there is scoped
            user.is_superuser = role == Role.SYSADMIN
            user.set_password(password)
            user.save()
        self.stdout.write(
            self.style.SUCCESS(f"{'Updated' if existing else 'Created'} {username} ({role.label})")
        )
        if generated:
            self.stdout.write(f"password: {password}")
