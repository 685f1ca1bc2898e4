"""The spec is the contract: ``mobile_api_spec/openapi.yaml`` is what the code generates, and the
API answers what it promises.
"""

from __future__ import annotations

import difflib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from tests.conftest import (
    client_for,
    device_client,
    enroll_phone,
    make_subject,
    new_phone_key,
    phone_description,
)
from tests.openapi_helpers import SPEC_PATH, assert_matches_spec, load_spec

PROJECT = Path(__file__).resolve().parent.parent


def spec_language() -> str:
    """The language ``make spec`` generates in: its ``--lang``, else the default language of the settings."""
    makefile = (PROJECT / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^spec:.*\n((?:\t.*\n)+)", makefile, re.M)
    lang = re.search(r"--lang[= ](\S+)", recipe.group(1)) if recipe else None
    return lang.group(1) if lang else settings.LANGUAGE_CODE


def generate_spec() -> bytes:
    """What ``manage.py spectacular --file mobile_api_spec/openapi.yaml`` writes."""
    from drf_spectacular.renderers import OpenApiYamlRenderer
    from drf_spectacular.settings import spectacular_settings

    generator = spectacular_settings.DEFAULT_GENERATOR_CLASS(urlconf=None, api_version=None)
    with translation.override(spec_language()):
        schema = generator.get_schema(request=None, public=True)
    return OpenApiYamlRenderer().render(schema, renderer_context={})  # type: ignore[no-any-return]


# ---------------------------------------------------------------------------------------------
# The committed file is the generated one
# ---------------------------------------------------------------------------------------------


def test_the_committed_spec_is_what_the_code_generates() -> None:
    generated = generate_spec().decode("utf-8")
    committed = SPEC_PATH.read_text(encoding="utf-8")
    if generated != committed:
        diff = difflib.unified_diff(
            committed.splitlines(), generated.splitlines(), "committed", "generated", lineterm="", n=1
        )
        shown = "\n".join(list(diff)[:60])
        pytest.fail(
            f"{SPEC_PATH.relative_to(PROJECT)} is out of date with the API: run `make spec` and commit it.\n"
            f"{shown}",
            pytrace=False,
        )


def test_the_committed_spec_is_valid_openapi() -> None:
    from drf_spectacular.validation import validate_schema

    spec = load_spec()
    validate_schema(json.loads(json.dumps(spec, default=str)))
    assert spec["openapi"].startswith("3.")


def test_the_mobile_endpoints_are_documented_with_the_device_token() -> None:
    spec = load_spec()
    assert spec["components"]["securitySchemes"]["DeviceToken"] == {
        "type": "apiKey",
        "in": "header",
        "name": "Authorization",
        "description": "`Device <device_token>`, the token returned once by POST /api/v1/mobile/enroll.",
    }
    mobile = {path: item for path, item in spec["paths"].items() if path.startswith("/api/v1/mobile/")}
    assert {"/api/v1/mobile/enroll", "/api/v1/mobile/me"} <= set(mobile)
    for path, item in mobile.items():
        for method, operation in item.items():
            if path == "/api/v1/mobile/enroll":
                assert operation.get("security") in (None, [], [{}]), "enrolling needs no token"
            else:
                # The token and the two signature headers, all three together.
                assert operation["security"] == [
                    {"DeviceToken": [], "DeviceSignatureTime": [], "DeviceSignature": []}
                ], f"{method.upper()} {path}"
    schemes = spec["components"]["securitySchemes"]
    assert schemes["DeviceSignatureTime"]["name"] == "X-Signature-Time"
    assert schemes["DeviceSignature"]["name"] == "X-Signature"


# ---------------------------------------------------------------------------------------------
# Real answers match the spec
# ---------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_get_mobile_me_matches_the_spec(officer_a: Any, subject_a: Any) -> None:
    officer_a.phone = "13900000001"
    officer_a.save()
    _device, token = enroll_phone(subject_a, officer_a)
    response = device_client(token).get("/api/v1/mobile/me")
    assert response.status_code == 200
    assert_matches_spec(response, "/api/v1/mobile/me", "get")


@pytest.mark.django_db
def test_get_mobile_me_without_a_responsible_officer_matches_the_spec(office_a: Any, officer_a: Any) -> None:
    subject = make_subject(office_a, None)
    _device, token = enroll_phone(subject, officer_a)
    response = device_client(token).get("/api/v1/mobile/me")
    assert response.json()["responsible_officer"] is None
    assert_matches_spec(response, "/api/v1/mobile/me", "get")


@pytest.mark.django_db
def test_post_mobile_enroll_matches_the_spec(officer_a: Any, subject_a: Any) -> None:
    code = client_for(officer_a).post(f"/api/v1/subjects/{subject_a.pk}/enrollment-code").json()["code"]
    device = {
        "platform": "ios",
        "model": "iPhone 15",
        "os_version": "17.5",
        "app_version": "1.0.0",
        "push_token": "apns-token",
        "public_key": phone_description(new_phone_key())["public_key"],
    }
    response = client_for(None).post("/api/v1/mobile/enroll", {"code": code, "device": device}, format="json")
    assert response.status_code == 201, response.content
    assert_matches_spec(response, "/api/v1/mobile/enroll", "post")


@pytest.mark.django_db
def test_get_subjects_matches_the_spec(officer_a: Any, head_a: Any, subject_a: Any, office_a: Any) -> None:
    make_subject(office_a, None, home_lat=None, home_lon=None)  # no officer, no home, no phone: the nulls
    enroll_phone(subject_a, officer_a)  # one with a phone: active_device is an object
    for user in (officer_a, head_a):  # masked and full identity numbers
        response = client_for(user).get("/api/v1/subjects")
        assert response.status_code == 200
        assert response.json()["count"] == 2
        assert_matches_spec(response, "/api/v1/subjects", "get")


@pytest.mark.django_db
def test_get_one_subject_matches_the_spec_through_its_path_template(officer_a: Any, subject_a: Any) -> None:
    response = client_for(officer_a).get(f"/api/v1/subjects/{subject_a.pk}")
    assert response.status_code == 200
    assert_matches_spec(response, f"/api/v1/subjects/{subject_a.pk}", "get")


# ---------------------------------------------------------------------------------------------
# The helper notices when an answer breaks the contract
# ---------------------------------------------------------------------------------------------


class FakeResponse:
    def __init__(self, status_code: int, body: Any) -> None:
        self.status_code = status_code
        self.content = b"" if body is None else json.dumps(body).encode()

    def json(self) -> Any:
        return json.loads(self.content)


def me_body() -> dict[str, Any]:
    return {
        "subject_id": 1,
        "name": "对象",
        "status": "active",
        "supervision_level": "normal",
        "supervision_start": "2026-01-01",
        "supervision_end": "2027-12-31",
        "office": {"name": "甲司法所", "phone": ""},
        "responsible_officer": None,
        "device_id": 3,
    }


def test_the_helper_accepts_a_body_as_documented() -> None:
    assert_matches_spec(FakeResponse(200, me_body()), "/api/v1/mobile/me", "get")


def test_the_helper_rejects_a_field_the_spec_does_not_document() -> None:
    with pytest.raises(AssertionError, match="secret_field"):
        assert_matches_spec(FakeResponse(200, {**me_body(), "secret_field": 1}), "/api/v1/mobile/me", "get")


def test_the_helper_rejects_a_missing_required_field() -> None:
    body = me_body()
    del body["name"]
    with pytest.raises(AssertionError, match="'name' is a required property"):
        assert_matches_spec(FakeResponse(200, body), "/api/v1/mobile/me", "get")


def test_the_helper_rejects_a_wrong_type_deep_in_the_body() -> None:
    body = me_body()
    body["office"]["name"] = 7
    with pytest.raises(AssertionError, match=r"office\.name: 7 is not of type 'string'"):
        assert_matches_spec(FakeResponse(200, body), "/api/v1/mobile/me", "get")


def test_the_helper_rejects_null_where_the_spec_does_not_allow_it() -> None:
    with pytest.raises(AssertionError, match="None is not of type 'string'"):
        assert_matches_spec(FakeResponse(200, {**me_body(), "name": None}), "/api/v1/mobile/me", "get")


def test_the_helper_rejects_a_malformed_date() -> None:
    with pytest.raises(AssertionError, match="supervision_start"):
        assert_matches_spec(
            FakeResponse(200, {**me_body(), "supervision_start": "01/01/2026"}), "/api/v1/mobile/me", "get"
        )


def test_the_helper_rejects_a_status_the_spec_does_not_document() -> None:
    with pytest.raises(AssertionError, match="answered 418"):
        assert_matches_spec(FakeResponse(418, {"detail": "teapot"}), "/api/v1/mobile/me", "get")


def test_the_helper_rejects_an_unknown_path() -> None:
    with pytest.raises(AssertionError, match="make spec"):
        assert_matches_spec(FakeResponse(200, {}), "/api/v1/mobile/nowhere", "get")
