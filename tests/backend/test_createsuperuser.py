"""``manage.py createsuperuser`` makes a system administrator who can use every door with full rights.

Django's command knows nothing of roles and offices; the staff manager gives its superuser the
system administrator role, which needs no office and sees every office.
"""

from __future__ import annotations

import io
from typing import Any
from unittest import mock

import pytest
from channels.db import database_sync_to_async
from django.core.management import call_command
from django.test import Client
from rest_framework.test import APIClient

from tests.backend.monitoring.console_ws import communicator
from tests.conftest import otp_code, verified_second_factor

pytestmark = pytest.mark.django_db

PASSWORD = "Root-of-the-county-2026"


class _Terminal(io.StringIO):
    """Standard input that says it is a terminal, as ``createsuperuser`` wants before it prompts."""

    def isatty(self) -> bool:
        return True


def _noinput(monkeypatch: Any) -> None:
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", PASSWORD)
    call_command(
        "createsuperuser", interactive=False, username="root", email="root@example.org", stdout=io.StringIO()
    )


def _interactive(monkeypatch: Any) -> None:
    answers = {
        "用户名": "root",
        "Username": "root",
        "电子邮件": "root@example.org",
        "Email": "root@example.org",
    }

    def answer(prompt: str) -> str:
        return next(value for key, value in answers.items() if key.lower() in prompt.lower())

    with (
        mock.patch("builtins.input", side_effect=answer),
        mock.patch(
            "django.contrib.auth.management.commands.createsuperuser.getpass.getpass", return_value=PASSWORD
        ),
    ):
        call_command("createsuperuser", interactive=True, stdin=_Terminal(), stdout=io.StringIO())


@pytest.fixture(params=["noinput", "interactive"])
def root(request: Any, monkeypatch: Any) -> Any:
    from backend.accounts.models import User

    {"noinput": _noinput, "interactive": _interactive}[request.param](monkeypatch)
    return User.objects.get(username="root")


def test_the_superuser_is_a_system_administrator_without_an_office(root: Any) -> None:
    assert root.role == "sysadmin" and root.office is None
    assert root.is_superuser and root.is_staff and root.is_active
    assert root.is_bureau_wide and not root.is_read_only and root.may_see_id_numbers
    assert root.email == "root@example.org" and root.check_password(PASSWORD)


def test_the_superuser_logs_in_to_the_admin(root: Any) -> None:
    client = Client()
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD, "otp_token": otp_code(root)}
    )
    assert response.status_code == 302 and response.url == "/admin/", response.content[:500]
    assert client.get("/admin/").status_code == 200
    assert client.get("/admin/accounts/user/").status_code == 200
    assert client.get("/admin/accounts/office/add/").status_code == 200


def test_the_superuser_logs_in_to_the_api_and_the_console(root: Any) -> None:
    client = Client()
    response = client.post(
        "/api/v1/auth/login",
        {"username": "root", "password": PASSWORD, "otp_token": otp_code(root)},
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    user = response.json()["user"]
    assert user["role"] == "sysadmin" and user["office"] is None
    assert user["bureau_wide"] is True and user["read_only"] is False
    assert client.get("/console/").status_code == 200
    assert client.get("/api/v1/auth/me").json()["username"] == "root"


def test_the_superuser_sees_and_changes_subjects_of_every_office(
    root: Any, subject_a: Any, subject_b: Any
) -> None:
    token = (
        APIClient()
        .post(
            "/api/v1/auth/login",
            {"username": "root", "password": PASSWORD, "otp_token": otp_code(root), "issue_token": True},
            format="json",
        )
        .json()["token"]
    )
    script = APIClient()
    script.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = script.get("/api/v1/subjects")
    assert response.status_code == 200
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert {row["id"] for row in rows} == {subject_a.pk, subject_b.pk}
    assert {row["office"] for row in rows} == {subject_a.office_id, subject_b.office_id}
    for subject in (subject_a, subject_b):
        response = script.patch(f"/api/v1/subjects/{subject.pk}", {"notes": "核查"}, format="json")
        assert response.status_code == 200, response.content


@pytest.mark.django_db(transaction=True)
async def test_the_superusers_console_listens_to_every_office(root: Any) -> None:
    await database_sync_to_async(verified_second_factor)(root)  # signed in with the second factor
    console = communicator(root)
    connected, _ = await console.connect()
    assert connected
    hello = await console.receive_json_from()
    assert hello["type"] == "hello" and hello["user"]["role"] == "sysadmin"
    assert hello["user"]["office_ids"] is None  # None: every office, present and future
    await console.disconnect()


def test_a_superuser_cannot_be_given_another_role(db: Any) -> None:
    from backend.accounts.models import User

    with pytest.raises(ValueError, match="sysadmin"):
        User.objects.create_superuser("root", "root@example.org", PASSWORD, role="officer")
