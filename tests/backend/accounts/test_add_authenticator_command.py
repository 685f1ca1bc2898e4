"""The first administrator gets an authenticator from the command line, then signs in with it."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_otp.oath import TOTP
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db


def test_the_printed_key_signs_in(sysadmin: Any, tmp_path: Path) -> None:
    out = io.StringIO()
    call_command("add_authenticator", "sysadmin", "--qr-svg", str(tmp_path / "qr.svg"), stdout=out)
    key = next(line.split()[-1] for line in out.getvalue().splitlines() if "key:" in line)
    assert (tmp_path / "qr.svg").read_bytes().startswith(b"<?xml")
    code = f"{TOTP(base64.b32decode(key)).token():06d}"
    response = APIClient().post(
        "/api/v1/auth/login",
        {"username": "sysadmin", "password": "correct-horse-battery", "otp_token": code},
        format="json",
    )
    assert response.status_code == 200, response.content


def test_an_unknown_user_is_an_error(db: Any) -> None:
    with pytest.raises(CommandError):
        call_command("add_authenticator", "nobody", stdout=io.StringIO())
