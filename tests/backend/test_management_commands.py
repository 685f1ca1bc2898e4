"""The deployment commands: ``create_staff`` bootstraps real accounts, ``load_demo`` builds the demo county."""

from __future__ import annotations

import io
import itertools
import re
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from shapely.geometry import Point, shape
from shapely.ops import unary_union

from tests.conftest import client_for, otp_code

pytestmark = pytest.mark.django_db

# ---------------------------------------------------------------------------------------------
# create_staff
# ---------------------------------------------------------------------------------------------


def create_staff(*args: str, stdin: str | None = None, monkeypatch: Any = None) -> str:
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    out = io.StringIO()
    call_command("create_staff", *args, stdout=out)
    return out.getvalue()


def login(username: str, password: str) -> Any:
    from backend.accounts.models import User

    cache.clear()  # the login throttle counts in the cache; other tests' attempts must not count here
    user = User.objects.filter(username=username).first()
    code = otp_code(user) if user is not None else "000000"
    return client_for(None).post(
        "/api/v1/auth/login", {"username": username, "password": password, "otp_token": code}, format="json"
    )


def test_create_staff_creates_a_staff_member_with_role_office_and_name(office_a: Any) -> None:
    from backend.accounts.models import Role, User

    create_staff(
        "zhangwei", "--role", "officer", "--office", office_a.code, "--name", "张伟", "--phone", "13800000000"
    )
    user = User.objects.get(username="zhangwei")
    assert (user.role, user.office, user.phone) == (Role.OFFICER, office_a, "13800000000")
    assert (user.last_name, user.first_name) == ("张", "伟")
    assert user.is_staff and not user.is_superuser


def test_create_staff_makes_a_sysadmin_a_superuser_without_an_office(db: Any) -> None:
    from backend.accounts.models import User

    create_staff("root", "--role", "sysadmin")
    user = User.objects.get(username="root")
    assert user.is_superuser and user.office is None


def test_create_staff_refuses_an_unknown_office_listing_the_known_codes(office_a: Any, office_b: Any) -> None:
    from backend.accounts.models import User

    with pytest.raises(CommandError) as raised:
        create_staff("lisi", "--role", "officer", "--office", "nowhere")
    message = str(raised.value)
    assert "'nowhere'" in message
    assert office_a.code in message and office_b.code in message and "bureau" in message
    assert not User.objects.filter(username="lisi").exists()


def test_create_staff_refuses_an_office_role_without_an_office(db: Any) -> None:
    from backend.accounts.models import User

    for role in ("officer", "office_head"):
        with pytest.raises(CommandError, match="--office"):
            create_staff("wangwu", "--role", role)
    assert not User.objects.filter(username="wangwu").exists()


def test_create_staff_reads_the_password_from_stdin_and_prints_none(office_a: Any, monkeypatch: Any) -> None:
    from backend.accounts.models import User

    output = create_staff(
        "zhaoliu",
        "--role",
        "office_head",
        "--office",
        office_a.code,
        "--password-stdin",
        stdin="a-Long-chosen-passphrase\n",
        monkeypatch=monkeypatch,
    )
    assert User.objects.get(username="zhaoliu").check_password("a-Long-chosen-passphrase")
    assert "password" not in output.lower()


def test_create_staff_rejects_a_weak_password_from_stdin(office_a: Any, monkeypatch: Any) -> None:
    from backend.accounts.models import User

    with pytest.raises(CommandError, match="Password rejected"):
        create_staff(
            "weak",
            "--role",
            "officer",
            "--office",
            office_a.code,
            "--password-stdin",
            stdin="12345\n",
            monkeypatch=monkeypatch,
        )
    assert not User.objects.filter(username="weak").exists()


def test_the_generated_password_is_printed_and_logs_in_through_the_api(office_a: Any) -> None:
    output = create_staff("qianqi", "--role", "officer", "--office", office_a.code)
    match = re.search(r"^password: (\S+)$", output, re.M)
    assert match, output
    response = login("qianqi", match.group(1))
    assert response.status_code == 200, response.content
    assert response.json()["user"]["username"] == "qianqi"
    assert response.json()["user"]["office"] == office_a.pk
    assert login("qianqi", match.group(1) + "x").status_code == 401


def test_two_generated_passwords_differ(office_a: Any) -> None:
    first = re.search(r"password: (\S+)", create_staff("one", "--role", "officer", "--office", office_a.code))
    second = re.search(
        r"password: (\S+)", create_staff("two", "--role", "officer", "--office", office_a.code)
    )
    assert first and second and first.group(1) != second.group(1)


def test_create_staff_refuses_an_existing_user_without_update(office_a: Any, office_b: Any) -> None:
    from backend.accounts.models import User

    create_staff("sunba", "--role", "officer", "--office", office_a.code)
    password_hash = User.objects.get(username="sunba").password
    with pytest.raises(CommandError, match="--update"):
        create_staff("sunba", "--role", "office_head", "--office", office_b.code)
    user = User.objects.get(username="sunba")
    assert (user.role, user.office, user.password) == ("officer", office_a, password_hash)


def test_create_staff_with_update_changes_role_office_and_password(office_a: Any, office_b: Any) -> None:
    from backend.accounts.models import User

    create_staff("zhoujiu", "--role", "officer", "--office", office_a.code)
    output = create_staff("zhoujiu", "--role", "office_head", "--office", office_b.code, "--update")
    assert output.startswith("Updated")
    user = User.objects.get(username="zhoujiu")
    assert (user.role, user.office) == ("office_head", office_b)
    new_password = re.search(r"password: (\S+)", output)
    assert new_password and user.check_password(new_password.group(1))
    assert User.objects.filter(username="zhoujiu").count() == 1


# ---------------------------------------------------------------------------------------------
# load_demo
# ---------------------------------------------------------------------------------------------

SMALL = ("--subjects", "24", "--released", "6", "--quiet")


def load_demo(*args: str) -> str:
    out = io.StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    from backend.accounts.models import Office, User
    from backend.supervision.models import ReleasedPerson, Subject

    return {
        "offices": sorted(Office.objects.values_list("code", "name", "kind", "parent__code", "boundary")),
        "staff": sorted(User.objects.values_list("username", "role", "office__code", "password")),
        "subjects": sorted(
            Subject.objects.values_list(
                "case_number",
                "name",
                "id_number",
                "office__code",
                "home_lat",
                "home_lon",
                "responsible_officer__username",
                "supervision_start",
                "supervision_end",
                "supervision_level",
                "sentence_type",
            )
        ),
        "released": sorted(
            ReleasedPerson.objects.values_list(
                "id_number", "name", "office__code", "home_lat", "home_lon", "release_date", "status"
            )
        ),
    }


@pytest.fixture
def demo(db: Any) -> str:
    with override_settings(DEMO_MODE=True):
        return load_demo(*SMALL)


def test_load_demo_builds_a_bureau_twelve_offices_and_the_requested_people(demo: str) -> None:
    from backend.accounts.models import Office
    from backend.supervision.models import ReleasedPerson, Subject

    assert "12 offices, 24 subjects, 6 released persons" in demo
    assert Office.objects.filter(kind=Office.Kind.BUREAU).count() == 1
    assert Office.objects.filter(kind=Office.Kind.OFFICE, parent__kind=Office.Kind.BUREAU).count() == 12
    assert Subject.objects.count() == 24
    assert ReleasedPerson.objects.count() == 6
    # Subjects are spread over every office, not piled into the first.
    assert Subject.objects.values("office").distinct().count() == 12


def test_load_demo_twice_changes_nothing(demo: str) -> None:
    before = snapshot()
    with override_settings(DEMO_MODE=True):
        second = load_demo(*SMALL)
    assert "12 offices, 24 subjects, 6 released persons" in second
    assert snapshot() == before


def test_every_demo_home_lies_inside_its_offices_boundary(demo: str) -> None:
    from backend.supervision.models import ReleasedPerson, Subject

    people = [*Subject.objects.select_related("office"), *ReleasedPerson.objects.select_related("office")]
    assert len(people) == 30
    for person in people:
        assert person.home_lat is not None and person.home_lon is not None, person
        home = Point(person.home_lon, person.home_lat)
        assert shape(person.office.boundary).contains(home), f"{person} lives outside {person.office}"


def test_the_demo_offices_tile_the_bureau_without_overlapping(demo: str) -> None:
    from backend.accounts.models import Office

    offices = [shape(o.boundary) for o in Office.objects.filter(kind=Office.Kind.OFFICE)]
    assert len(offices) == 12
    assert all(polygon.is_valid and polygon.area > 0 for polygon in offices)
    for first, second in itertools.combinations(offices, 2):
        assert first.intersection(second).area < 1e-12
    county = shape(Office.objects.get(kind=Office.Kind.BUREAU).boundary)
    union = unary_union(offices)
    assert union.symmetric_difference(county).area < 1e-9 * county.area
    # Neighbours share borders: the county is one piece, with no gaps between offices.
    assert union.geom_type == "Polygon" and len(union.interiors) == 0


def test_demo_identity_numbers_are_valid(demo: str) -> None:
    from backend.supervision.identity import id_number_problem
    from backend.supervision.models import ReleasedPerson, Subject

    numbers = [
        *Subject.objects.values_list("id_number", flat=True),
        *ReleasedPerson.objects.values_list("id_number", flat=True),
    ]
    assert len(numbers) == 30
    problems = {number: id_number_problem(number) for number in numbers if id_number_problem(number)}
    assert not problems


def test_the_demo_has_staff_of_every_role_and_a_head_and_officer_per_office(demo: str) -> None:
    from backend.accounts.models import Office, Role, User

    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    for office in Office.objects.filter(kind=Office.Kind.OFFICE):
        roles = set(User.objects.filter(office=office).values_list("role", flat=True))
        assert roles == {Role.OFFICE_HEAD, Role.OFFICER}, office.code
    assert User.objects.get(role=Role.SYSADMIN).is_superuser


def test_the_printed_demo_logins_work(db: Any) -> None:
    with override_settings(DEMO_MODE=True):
        output = load_demo("--subjects", "12", "--released", "0")
    match = re.search(r"^\s+(\w+_officer)\s+(\S+)", output, re.M)
    assert match, output
    response = login(match.group(1), match.group(2))
    assert response.status_code == 200, response.content
    assert response.json()["user"]["role"] == "officer"


def test_load_demo_refuses_to_run_when_demo_mode_is_off(db: Any) -> None:
    from backend.accounts.models import Office, User

    with override_settings(DEMO_MODE=False), pytest.raises(CommandError, match="DEMO_MODE"):
        load_demo(*SMALL)
    assert not Office.objects.exists()
    assert not User.objects.exists()
