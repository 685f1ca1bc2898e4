"""The education ledger: who is behind their monthly hours (教育学习时长不足台账), via core's writer."""

from __future__ import annotations

from django.http import FileResponse
from django.utils.translation import gettext_lazy as _

from backend.core.ledger import Column, ledger_response
from backend.education.services import MonthHours

HOURS_BEHIND_COLUMNS = [
    Column(_("office"), width=16),
    Column(_("full name"), width=12),
    Column(_("supervision level"), width=12),
    Column(_("hours required"), "number", 10),
    Column(_("hours completed"), "number", 10),
    Column(_("hours missing"), "number", 10),
]


def hours_behind_ledger(month: str, rows: list[MonthHours]) -> FileResponse:
    return ledger_response(
        f"教育学习时长不足台账-{month}.xlsx",
        title=f"教育学习时长不足台账（{month}）",
        columns=HOURS_BEHIND_COLUMNS,
        rows=(
            [
                row.subject.office.name,
                row.subject.name,
                row.subject.get_supervision_level_display(),
                row.required,
                row.completed,
                row.missing,
            ]
            for row in rows
        ),
        sheet_name=month,
    )
