"""Minimal fields in every answer (issue 17 §7; PIPL Art. 28): an answer carries no secret and no
personal data its reader does not need. The rules, held for every answer of the API and every
serializer and admin page of the project, so that a new field cannot slip one in:

* no response schema of the spec names a secret (token, secret, hash, password, key, OTP …) unless
  the pair (schema, field) is in ``SECRET_NAMED_BUT_ALLOWED`` with its reason;
* a phone (``/api/v1/mobile/…``) gets only the fields in ``PHONE_ANSWER_FIELDS``: its own person's
  schedule, zones, status and contacts; never staff details, other people, risk scores or notes;
* no serializer uses ``fields = "__all__"`` or ``exclude`` (they leak every new model field);
* a serializer that answers with an identity number is a ``PersonSerializerBase`` (masked unless
  revealed, with a reason, into the access log);
* the person lists carry no home address, home coordinates or notes;
* no admin page shows a secret model field.

Each check is a function that returns the problems it finds; the tests at the end plant a
violation of each and show that it is found. docs/security.md ("Minimal fields") says what was
decided and why.
"""

from __future__ import annotations

import copy
import importlib
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib import admin
from django.test import RequestFactory
from rest_framework import serializers

from tests.openapi_helpers import load_spec

# ---------------------------------------------------------------------------------------------
# The vocabulary
# ---------------------------------------------------------------------------------------------

# A field name is split on "_"; any of these words in it names a secret.
SECRET_WORDS = frozenset(
    {
        "token",
        "secret",
        "hash",
        "password",
        "passwd",
        "key",
        "otp",
        "otpauth",
        "totp",
        "hotp",
        "digest",
        "salt",
        "signature",
        "private",
        "credential",
        "credentials",
        "pin",
        "cookie",
        "apikey",
    }
)

# (schema, field) → why the answer may carry it.
SECRET_NAMED_BUT_ALLOWED: dict[tuple[str, str], str] = {
    ("LoginResponse", "token"): "the staff API token, shown once, when a sign-in asks (stored hashed)",
    ("LoginResponse", "csrf_token"): "the session's CSRF token: the console sends it back",
    ("EnrollResponse", "device_token"): "the phone's token, shown once at enrollment (stored hashed)",
    ("OtpEnrollment", "secret"): "a new authenticator's key, shown once to its owner to type in",
    ("OtpEnrollment", "otpauth_uri"): "the same key as a URI for the QR code, shown once to its owner",
    ("Device", "token_prefix"): "8 characters that tell tokens apart; they authenticate nothing",
    ("DeliveryAttempt", "token_prefix"): "8 characters that tell push tokens apart; they reach nothing",
    ("StaffPushTokenAnswer", "token_prefix"): "8 characters that tell push tokens apart",
    ("Device", "has_push_token"): "yes or no",
    ("DevicePushTokenAnswer", "has_push_token"): "yes or no",
    ("DeliveryAttempt", "token_forgotten"): "yes or no",
    ("Archive", "head_hash"): "the archive's hash chain: integrity values derived from no secret",
    ("Version", "previous_hash"): "the archive's hash chain: integrity values derived from no secret",
    ("Version", "entry_hash"): "the archive's hash chain: integrity values derived from no secret",
    ("Document", "source_key"): "names the record a document was made from (alert:12)",
    ("DocumentDetail", "source_key"): "names the record a document was made from (alert:12)",
    ("LitigationCase", "is_key"): "重点案件 (a key case), not a key",
    ("LitigationCase", "key_reason"): "why the case is a key case",
    ("OfficeRates", "key_persons"): "重点人员 (key persons) counted",
    ("ReleasedPerson", "is_key_person"): "重点人员 (a key person), not a key",
    ("ReleasedPersonRow", "is_key_person"): "重点人员 (a key person), not a key",
}

# Every field a phone may be answered with, by schema. A phone is its person's: it needs the
# person's own schedule, zones, status, education, leave and contacts, nothing about anyone else.
# A new field here is a decision: make sure the phone needs it (docs/security.md, Minimal fields).
PHONE_ANSWER_FIELDS: dict[str, frozenset[str]] = {
    name: frozenset(fields.split())
    for name, fields in {
        "CheckinAnswer": "accepted commands next_checkin_due reminders results server_time",
        "CheckinError": "accepted code commands detail errors next_checkin_due reminders results server_time",
        "CheckinResult": "clock_skew_s errors id index quality status",
        "CommandAck": "acknowledged_at id",
        "DevicePushTokenAnswer": "has_push_token",
        "EnrollResponse": "device_id device_token me",
        "Error": "code detail errors server_time server_time_ms",
        "Me": "device_id name office responsible_officer status subject_id supervision_end "
        "supervision_level supervision_start",
        "MobileEducation": "hours upcoming",
        "MobileHours": "completed missing month required",
        "MobileLeaveRequest": "approver created_at decided_at decision_note destination destination_point "
        "ends_at flagged id radius_m reason reported_back_at starts_at status",
        "MobileOffice": "name phone",
        "MobileOfficer": "name phone",
        "MobileSession": "ends_at hours kind kind_label outcome place_lat place_lon place_name "
        "place_radius_m session_id starts_at topic",
        "MonthlyReportFiled": "document period photos version",
        "PendingItem": "body data id title type",
        "PendingReminder": "body data id title type",
        "PhoneCommand": "created_at expires_at id interval_s kind leave_request note payload reason regime status",
        "PhoneStatusAnswer": "commands next_checkin_due server_time",
        "ReminderAck": "acknowledged_at id",
    }.items()
}

# Model fields no admin page may show, with the pages allowed one and why.
SECRET_MODEL_FIELDS = frozenset(
    {"token_hash", "code_hash", "key_hash", "push_token", "public_key", "key", "token", "session_data"}
)
ADMIN_SHOWS_BUT_ALLOWED: dict[tuple[str, str, str], str] = {
    ("otp_totp.TOTPDevice", "add", "key"): "the add page shows a new authenticator's key once, to type in",
    ("accounts.User", "add", "password"): "Django's own widget: the password typed in",
    ("accounts.User", "change", "password"): "Django's widget shows the algorithm and a masked hash only",
}

# Only on a person's own record, never on the lists (where they live: PIPL Art. 28).
DETAIL_ONLY = frozenset({"home_address", "home_lat", "home_lon", "notes"})
PERSON_LISTS = ("/api/v1/subjects", "/api/v1/released-persons")

# ---------------------------------------------------------------------------------------------
# The checks: each returns what it finds
# ---------------------------------------------------------------------------------------------


def secret_words(name: str) -> set[str]:
    return set(re.split(r"[_\W]+", name.lower())) & SECRET_WORDS


def fields_of(
    schema: Any, components: dict[str, Any], owner: str, seen: set[str]
) -> Iterator[tuple[str, str]]:
    """(component, field) of every property in ``schema``, following references once each."""
    if isinstance(schema, list):
        for item in schema:
            yield from fields_of(item, components, owner, seen)
        return
    if not isinstance(schema, dict):
        return
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in seen:
            seen.add(name)
            yield from fields_of(components[name], components, name, seen)
        return
    for key in ("allOf", "oneOf", "anyOf", "items", "additionalProperties"):
        yield from fields_of(schema.get(key), components, owner, seen)
    for field, sub in schema.get("properties", {}).items():
        yield owner, field
        yield from fields_of(sub, components, owner, seen)


def answer_fields(spec: dict[str, Any], path_prefix: str = "") -> dict[tuple[str, str], set[str]]:
    """(component, field) of every response of the spec's operations under ``path_prefix`` → operations."""
    components = spec.get("components", {}).get("schemas", {})
    found: dict[tuple[str, str], set[str]] = {}
    for path, operations in spec["paths"].items():
        if not path.startswith(path_prefix):
            continue
        for method, operation in operations.items():
            if not isinstance(operation, dict):
                continue
            for response in operation.get("responses", {}).values():
                for content in response.get("content", {}).values():
                    owner = f"{method.upper()} {path}"
                    for pair in fields_of(content.get("schema"), components, owner, set()):
                        found.setdefault(pair, set()).add(owner)
    return found


def secret_answer_problems(spec: dict[str, Any]) -> list[str]:
    return [
        f"{schema}.{field} names a secret ({', '.join(sorted(secret_words(field)))}), answered by "
        f"{sorted(operations)[0]}: remove it, or allow it with a reason in SECRET_NAMED_BUT_ALLOWED"
        for (schema, field), operations in sorted(answer_fields(spec).items())
        if secret_words(field) and (schema, field) not in SECRET_NAMED_BUT_ALLOWED
    ]


def phone_answer_problems(spec: dict[str, Any]) -> list[str]:
    return [
        f"{schema}.{field} reaches a phone ({sorted(operations)[0]}): does the phone need it? "
        "If so, add it to PHONE_ANSWER_FIELDS"
        for (schema, field), operations in sorted(answer_fields(spec, "/api/v1/mobile/").items())
        if field not in PHONE_ANSWER_FIELDS.get(schema, frozenset())
    ]


def person_list_problems(spec: dict[str, Any]) -> list[str]:
    problems = []
    for path in PERSON_LISTS:
        operation = {"paths": {path: {"get": spec["paths"][path]["get"]}}, "components": spec["components"]}
        for (schema, field), _ops in answer_fields(operation).items():
            if field in DETAIL_ONLY:
                problems.append(f"{schema}.{field} is in the list {path}: keep it to the person's record")
    return sorted(problems)


def project_serializers() -> list[type[serializers.BaseSerializer[Any]]]:
    """Every serializer class the project defines (the URLconf imports every view's module)."""
    importlib.import_module("backend.config.urls")
    importlib.import_module("backend.monitoring.payloads")
    found: list[type[serializers.BaseSerializer[Any]]] = []
    todo: list[type[Any]] = [serializers.BaseSerializer]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        if cls.__module__.startswith("backend.") and cls not in found:
            found.append(cls)
    return found


def serializer_problems(classes: list[type[Any]]) -> list[str]:
    from backend.supervision.api.serializers import PersonSerializerBase

    problems = []
    for cls in classes:
        meta = getattr(cls, "Meta", None)
        name = f"{cls.__module__}.{cls.__qualname__}"
        if getattr(meta, "fields", None) == serializers.ALL_FIELDS:
            problems.append(f'{name}: fields = "__all__" answers with every new model field; list them')
        if getattr(meta, "exclude", None) is not None:
            problems.append(f"{name}: exclude answers with every new model field; list the fields")
        if not issubclass(cls, serializers.Serializer) or issubclass(cls, PersonSerializerBase):
            continue
        try:
            fields = dict(cls().fields)
        except Exception:  # a serializer that needs its context: its declared and listed fields
            listed = getattr(meta, "fields", None)
            fields = dict.fromkeys(listed if isinstance(listed, (list, tuple)) else [])
            fields.update(getattr(cls, "_declared_fields", {}))
        for field_name, field in fields.items():
            shows_id_number = "id_number" in (field_name, getattr(field, "source", None))
            if shows_id_number and not getattr(field, "write_only", False):
                problems.append(
                    f"{name}.{field_name}: an identity number answered unmasked; "
                    "use PersonSerializerBase (masked, revealed only with a logged reason)"
                )
    return problems


def admin_problems(site: admin.AdminSite) -> list[str]:
    from backend.accounts.models import User

    request = RequestFactory().get("/admin/")
    request.user = User(username="root", is_staff=True, is_superuser=True, is_active=True)
    problems = []
    for model, model_admin in site._registry.items():
        label = model._meta.label
        for page, obj in (("add", None), ("change", model())):
            shown = {str(name) for name in model_admin.get_list_display(request)} if obj is None else set()
            for _title, options in model_admin.get_fieldsets(request, obj):
                for entry in options.get("fields", ()):
                    shown.update(entry if isinstance(entry, (list, tuple)) else [entry])
            for field in sorted(shown & SECRET_MODEL_FIELDS):
                if (label, page, field) not in ADMIN_SHOWS_BUT_ALLOWED:
                    problems.append(f"admin {label} ({page} page or list) shows {field}")
    return problems


# ---------------------------------------------------------------------------------------------
# The rules, on the project
# ---------------------------------------------------------------------------------------------


def test_no_answer_names_a_secret_without_a_reason() -> None:
    assert secret_answer_problems(load_spec()) == []


def test_every_allowed_secret_name_is_still_answered() -> None:
    """An allowance whose field is gone is removed, so the list says only what is true."""
    answered = set(answer_fields(load_spec()))
    assert sorted(set(SECRET_NAMED_BUT_ALLOWED) - answered) == []


def test_a_phone_is_answered_only_with_the_fields_it_needs() -> None:
    assert phone_answer_problems(load_spec()) == []


def test_the_person_lists_leave_homes_and_notes_to_the_record() -> None:
    assert person_list_problems(load_spec()) == []


def test_no_serializer_answers_with_all_fields_or_an_unmasked_identity_number() -> None:
    classes = project_serializers()
    assert len(classes) > 100  # the walk found the project's serializers
    assert serializer_problems(classes) == []


@pytest.mark.django_db
def test_no_admin_page_shows_a_secret() -> None:
    assert len(admin.site._registry) > 50
    assert admin_problems(admin.site) == []


# ---------------------------------------------------------------------------------------------
# Each check finds a planted violation
# ---------------------------------------------------------------------------------------------


def planted_spec(path: str, properties: dict[str, Any]) -> dict[str, Any]:
    spec = copy.deepcopy(load_spec())  # the loaded spec is shared by every test of the process
    schema = {"type": "object", "properties": properties}
    spec["components"]["schemas"]["Planted"] = schema
    answer = {"200": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Planted"}}}}}
    spec["paths"][path] = {"get": {"responses": answer}}
    return spec


def test_a_planted_token_hash_in_an_answer_is_found() -> None:
    spec = planted_spec("/api/v1/planted", {"id": {"type": "integer"}, "token_hash": {"type": "string"}})
    assert secret_answer_problems(spec) == [
        "Planted.token_hash names a secret (hash, token), answered by GET /api/v1/planted: "
        "remove it, or allow it with a reason in SECRET_NAMED_BUT_ALLOWED"
    ]


def test_a_planted_risk_score_in_a_phone_answer_is_found() -> None:
    spec = planted_spec("/api/v1/mobile/planted", {"risk_score": {"type": "number"}})
    assert [p.split(" reaches")[0] for p in phone_answer_problems(spec)] == ["Planted.risk_score"]


def test_a_planted_home_address_in_a_person_list_is_found() -> None:
    spec = copy.deepcopy(load_spec())
    row = spec["components"]["schemas"]["SubjectRow"]
    row["properties"]["home_lat"] = {"type": "number"}
    assert person_list_problems(spec) == [
        "SubjectRow.home_lat is in the list /api/v1/subjects: keep it to the person's record"
    ]


def test_planted_all_fields_exclude_and_unmasked_identity_serializers_are_found() -> None:
    from backend.supervision.models import Subject

    class AllFields(serializers.ModelSerializer[Subject]):
        class Meta:
            model = Subject
            fields = "__all__"

    class Excluding(serializers.ModelSerializer[Subject]):
        class Meta:
            model = Subject
            exclude = ["notes"]

    class Unmasked(serializers.ModelSerializer[Subject]):
        class Meta:
            model = Subject
            fields = ["id", "name", "id_number"]

    class Renamed(serializers.Serializer[Any]):
        identity = serializers.CharField(source="id_number")

    for cls in (AllFields, Excluding, Unmasked, Renamed):
        cls.__module__ = "backend.planted"
    problems = serializer_problems([AllFields, Excluding, Unmasked, Renamed])
    assert [p.split("<locals>.")[1].split(":")[0] for p in problems] == [
        "AllFields",  # fields = "__all__"
        "AllFields.id_number",
        "Excluding",  # exclude
        "Excluding.id_number",
        "Unmasked.id_number",
        "Renamed.identity",  # the identity number under another name
    ]


@pytest.mark.django_db
def test_a_planted_admin_showing_a_push_token_is_found() -> None:
    from backend.supervision.models import Device

    site = admin.AdminSite(name="planted")
    site.register(Device, admin.ModelAdmin)  # every field, the push token and token hash among them
    problems = admin_problems(site)
    assert "admin supervision.Device (change page or list) shows push_token" in problems
    assert "admin supervision.Device (add page or list) shows token_hash" in problems
