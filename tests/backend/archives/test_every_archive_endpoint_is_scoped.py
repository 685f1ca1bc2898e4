"""Office A's officer gets 404 for office B's archive records through every archive endpoint, and
an auditor's every write to them is 403."""

from __future__ import annotations

from typing import Any

import pytest

from tests.backend.archives.scoping_ids import archive_ids
from tests.backend.test_office_scoping import staff_detail_routes
from tests.conftest import client_for

pytestmark = pytest.mark.django_db
MINE = ("archives", "archive-documents", "archive-files", "sanctions")


def routes(ids: dict[str, int], subject_id: int) -> list[str]:
    found = []
    for route in staff_detail_routes():
        resource = route.split("/")[2]
        if resource in MINE:
            found.append("/" + route.replace("<pk>", str(ids[resource])))
        elif resource == "subjects" and "archive" in route:
            found.append("/" + route.replace("<pk>", str(subject_id)))
    return found


def test_another_office_gets_404_everywhere(officer_a: Any, officer_b: Any, subject_b: Any) -> None:
    ids = archive_ids(subject_b, officer_b)
    client = client_for(officer_a)
    checked = 0
    for url in routes(ids, subject_b.pk):
        for method in ("get", "post", "patch", "put", "delete"):
            response = getattr(client, method)(url, {}, format="json")
            if response.status_code == 405:
                continue
            assert response.status_code == 404, (method, url, response.status_code, response.content[:200])
            checked += 1
    assert checked >= 10


def test_auditors_writes_are_403_everywhere(auditor: Any, officer_a: Any, subject_a: Any) -> None:
    ids = archive_ids(subject_a, officer_a)
    client = client_for(auditor)
    checked = 0
    for url in [*routes(ids, subject_a.pk), "/api/v1/archive-documents", "/api/v1/sanctions"]:
        for method in ("post", "patch", "put", "delete"):
            response = getattr(client, method)(url, {}, format="json")
            if response.status_code == 405:
                continue
            assert response.status_code == 403, (method, url, response.status_code)
            checked += 1
        assert client.get(url).status_code in (200, 405)  # reads are open to auditors (405: write-only)
    assert checked >= 5
