"""Give a staff member a TOTP authenticator from the command line (the first administrator's, at
deployment, who cannot sign in to the admin without one). Prints the otpauth URI and the key once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from backend.accounts.models import User
from backend.accounts.otp import start_enrollment


class Command(BaseCommand):
    help = "Replace a staff member's authenticator (TOTP) with a new one; print its otpauth URI and key."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--qr-svg", type=Path, help="also write the QR code to this SVG file")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No staff member {options['username']!r}.")
        TOTPDevice.objects.filter(user=user).delete()
        enrollment = start_enrollment(user, confirmed=True)
        if options["qr_svg"]:
            import base64

            svg = base64.b64decode(enrollment.qr_svg_data_uri.split(",", 1)[1])
            options["qr_svg"].write_bytes(svg)
        self.stdout.write(f"authenticator for {user.username}: scan or type it into the app, shown once")
        self.stdout.write(f"  key:  {enrollment.secret_base32}")
        self.stdout.write(f"  URI:  {enrollment.otpauth_uri}")
