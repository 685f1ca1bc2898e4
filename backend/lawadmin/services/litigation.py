"""Win and loss rates per unit, and the units late to report their cases."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db.models import QuerySet

from backend.lawadmin.models import LitigationCase


@dataclass
class UnitRecord:
    unit: int
    unit_name: str
    cases: int = 0
    decided: int = 0
    won: int = 0
    lost: int = 0
    late: int = 0

    @property
    def win_rate(self) -> float | None:
        return round(self.won / self.decided, 4) if self.decided else None

    @property
    def loss_rate(self) -> float | None:
        return round(self.lost / self.decided, 4) if self.decided else None


def litigation_statistics(cases: QuerySet[LitigationCase]) -> list[UnitRecord]:
    """Per unit: cases, decided (won or lost), won, lost, reported late; rates over decided cases."""
    out: dict[int, UnitRecord] = {}
    for case in cases.select_related("unit"):
        row = out.setdefault(case.unit_id, UnitRecord(case.unit_id, case.unit.name))
        row.cases += 1
        row.decided += case.outcome in LitigationCase.DECIDED
        row.won += case.outcome == LitigationCase.Outcome.WON
        row.lost += case.outcome == LitigationCase.Outcome.LOST
        row.late += case.reported_late
    return sorted(out.values(), key=lambda r: (-r.cases, r.unit))


def late_reporters(cases: QuerySet[LitigationCase]) -> list[dict[str, object]]:
    """Units that reported a case after the deadline, most late cases first, with those cases."""
    late: dict[int, list[LitigationCase]] = defaultdict(list)
    for case in cases.select_related("unit"):
        if case.reported_late:
            late[case.unit_id].append(case)
    rows = [
        {
            "unit": unit_id,
            "unit_name": items[0].unit.name,
            "late_cases": len(items),
            "case_numbers": [c.case_number for c in items],
            "most_days_late": max((c.reported_on - c.report_due).days for c in items),
        }
        for unit_id, items in late.items()
    ]
    return sorted(rows, key=lambda r: (-int(r["late_cases"]), int(r["unit"])))  # type: ignore[call-overload]
