"""The access log is hash-chained (SHA-256 + SM3, backend.core.chain); verify_access_log finds a
row altered, removed or slipped in, names it and exits non-zero; concurrent writers keep one chain."""

from __future__ import annotations

import io
import itertools
import threading
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections

from backend.core.chain import GENESIS_HASH
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def verify() -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_access_log", stdout=out, stderr=err)
    except CommandError as exc:
        return 1, out.getvalue(), err.getvalue() + str(exc)
    return 0, out.getvalue(), err.getvalue()


def some_entries(officer_a: Any, subject_a: Any, n: int = 4) -> list[int]:
    from backend.audit.models import AccessLog

    client = client_for(officer_a)
    for _ in range(n):
        client.get(f"/api/v1/subjects/{subject_a.pk}", {"x": "1"})
    return list(AccessLog.objects.order_by("id").values_list("id", flat=True))


def raw(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        # Someone with the database's superuser rights: the append-only trigger does not fire.
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = DEFAULT")


def test_entries_link_to_each_other_and_the_chain_verifies(officer_a: Any, subject_a: Any) -> None:
    from backend.audit.models import AccessLog

    ids = some_entries(officer_a, subject_a)
    rows = list(AccessLog.objects.order_by("id"))
    assert rows[0].previous_hash == GENESIS_HASH
    assert all(b.previous_hash == a.entry_hash for a, b in itertools.pairwise(rows))
    assert all(len(r.sha256) == len(r.sm3) == 64 for r in rows)
    status, out, _err = verify()
    assert status == 0 and f"{len(ids)} entries" in out


def test_an_altered_row_is_named(officer_a: Any, subject_a: Any) -> None:
    ids = some_entries(officer_a, subject_a)
    raw("UPDATE audit_accesslog SET object_id = %s WHERE id = %s", ["999", ids[1]])
    status, _out, err = verify()
    assert status == 1 and f"entry {ids[1]}: content does not match" in err


def test_a_removed_row_is_named_by_the_row_after_it(officer_a: Any, subject_a: Any) -> None:
    ids = some_entries(officer_a, subject_a)
    raw("DELETE FROM audit_accesslog WHERE id = %s", [ids[1]])
    status, _out, err = verify()
    assert status == 1 and f"entry {ids[2]}: does not follow the previous entry" in err


def test_a_row_slipped_in_around_the_service_is_named(officer_a: Any, subject_a: Any) -> None:
    from backend.audit.models import AccessLog

    some_entries(officer_a, subject_a, 2)
    forged = AccessLog(action="read", resource="subject", object_id="1", detail={})
    AccessLog.objects.bulk_create([forged])
    last = AccessLog.objects.order_by("-id").first()
    assert last is not None
    status, _out, err = verify()
    assert status == 1 and f"entry {last.pk}:" in err


@pytest.mark.django_db(transaction=True)
def test_the_chain_holds_concurrent_writers(officer_a: Any, subject_a: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers: PostgreSQL")
    from backend.audit.services import record_access

    def writer() -> None:
        try:
            for i in range(10):
                record_access(None, action="read", resource="subject", object_id=i, actor=officer_a)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    status, out, err = verify()
    assert status == 0, err
    assert "200 entries" in out


def test_a_track_read_records_its_reason(officer_a: Any, subject_a: Any) -> None:
    from backend.audit.models import AccessLog

    client_for(officer_a).get(f"/api/v1/subjects/{subject_a.pk}/track", {"reason": "核查夜间外出\x00"})
    entry = AccessLog.objects.get(resource="track")
    assert entry.reason == "核查夜间外出" and entry.outcome == "ok"
