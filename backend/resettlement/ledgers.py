"""The key-person ledger (重点人员台账) through the shared ledger writer."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from backend.core.ledger import Column, ledger_response
from backend.resettlement.services import key_person_rows
from backend.supervision.models import ReleasedPerson

KEY_PERSON_COLUMNS = [
    Column(_("office"), width=16),
    Column(_("full name"), width=10),
    Column(_("gender"), width=6),
    Column(_("identity number"), width=20),
    Column(_("source"), width=16),
    Column(_("prison"), width=16),
    Column(_("crime"), width=14),
    Column(_("expected release date"), "date", 12),
    Column(_("latest handover step"), width=16),
    Column(_("latest step done at"), "datetime", 18),
    Column(_("met at the gate at"), "datetime", 18),
    Column(_("met at the gate where"), width=16),
    Column(_("received at"), "datetime", 18),
    Column(_("status"), width=12),
    Column(_("assistance team"), width=40),
    Column(_("assistance ends"), "date", 12),
    Column(_("last visit"), "date", 12),
    Column(_("latest safety screening"), width=16),
    Column(_("responsible officer"), width=10),
]


class _Counted:
    """Rows passed through, counted (the export's audit row records how many)."""

    def __init__(self, rows: object) -> None:
        self.rows, self.count = rows, 0

    def __iter__(self):  # type: ignore[no-untyped-def]
        for row in self.rows:  # type: ignore[attr-defined]
            self.count += 1
            yield row


def key_person_ledger(people: QuerySet[ReleasedPerson], *, show_id_numbers: bool) -> FileResponse:
    today = timezone.localdate()
    rows = _Counted(key_person_rows(people, show_id_numbers))
    response = ledger_response(
        f"重点人员台账-{today:%Y%m%d}.xlsx",
        title=f"刑满释放重点人员台账（{today:%Y-%m-%d}）",
        columns=KEY_PERSON_COLUMNS,
        rows=rows,
        sheet_name="重点人员台账",
    )
    response.ledger_rows = rows.count  # type: ignore[attr-defined]
    return response
