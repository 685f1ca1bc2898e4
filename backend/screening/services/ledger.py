"""The screening ledger (风险排查台账): one row per screened person, streamed as XLSX.

Rows are read with a server-side cursor in the order staff file them (office, band, score) and
written through ``backend.core.ledger`` in constant memory: 100,000 rows never sit in memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import IO, Any

import msgspec
from django.db.models import QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import translation
from django.utils.translation import gettext as _

from backend.accounts.models import Office
from backend.core.ledger import Column, write_ledger
from backend.screening.factors import KNOWN_ABSENT, registered_factors
from backend.screening.models import Screening, ScreeningResult
from backend.screening.rules import Band, PersonKind

LEDGER_LANGUAGE = "zh-hans"
REVIEW_REASONS = {"high": "高风险", "incomplete": "数据不全", "rose": "风险上升"}


def ledger_columns() -> list[Column]:
    return [
        Column(_("office"), width=16),
        Column(_("kind of person"), width=12),
        Column(_("full name"), width=10),
        Column(_("score"), "number", width=8),
        Column(_("band"), width=10),
        Column(_("band last quarter"), width=10),
        Column(_("change since last quarter"), "number", width=10),
        Column(_("factors without data"), "int", width=8),
        Column(_("factors (value → points × weight)"), width=60),
        Column(_("why to review"), width=16),
        Column(_("band set by the reviewer"), width=10),
        Column(_("reason for the override"), width=24),
        Column(_("reviewer's conclusion"), width=30),
        Column(_("reviewed by"), width=10),
        Column(_("reviewed at"), "datetime", width=18),
        Column(_("rule table version"), "int", width=8),
    ]


def _factor_labels() -> dict[str, str]:
    labels = {code: str(label) for code, (label, _source) in KNOWN_ABSENT.items()}
    labels.update({code: str(factor.label) for code, factor in registered_factors().items()})
    return labels


def _factor_text(summary: str, labels: dict[str, str], no_data: str) -> str:
    """``ScreeningResult.factor_summary`` in words: the factors that count, and those without data."""
    if not summary:
        return ""
    parts = []
    for item in summary.split(";"):
        code, _sep, numbers = item.partition("=")
        label = labels.get(code, code)
        if numbers == "-":
            parts.append(f"{label}: {no_data}")
        else:
            value, points, weight = numbers.split(":")
            parts.append(f"{label}: {value} → {points}×{weight}")
    return "；".join(parts)


def ledger_rows(results: QuerySet[ScreeningResult]) -> Iterator[Sequence[Any]]:
    offices = dict(Office.objects.values_list("pk", "name"))
    bands = {b.value: str(b.label) for b in Band}
    kinds = {k.value: str(k.label) for k in PersonKind}
    labels = _factor_labels()
    no_data = _("no data")
    reviewers: dict[int, str] = {}
    from backend.accounts.models import User

    # The factors in short (``factor_summary``), not their JSON: reading and decoding every factor
    # of 100,000 people was half the time of the ledger. The reasons come as JSON text, decoded by
    # msgspec (the ORM's json.loads per row cost more).
    rows = results.order_by("office_id", "person_kind", "-score", "id").values_list(
        "office_id", "person_kind", "name", "score", "band", "previous_band", "previous_score",
        "missing", "factor_summary", Cast("review_reasons", TextField()), "override_band",
        "override_reason", "conclusion", "reviewed_by_id", "reviewed_at", "rule_version",
    )  # fmt: skip
    decode = msgspec.json.decode
    for (
        office_id, kind, name, score, band, previous_band, previous_score, missing, factors,
        reasons, override_band, override_reason, conclusion, reviewer_id, reviewed_at, version,
    ) in rows.iterator(chunk_size=5000):  # fmt: skip
        if reviewer_id is not None and reviewer_id not in reviewers:
            reviewer = User.objects.filter(pk=reviewer_id).first()
            reviewers[reviewer_id] = (reviewer.get_full_name() or reviewer.username) if reviewer else ""
        yield (
            offices.get(office_id, ""),
            kinds.get(kind, kind),
            name,
            score,
            bands.get(band, band),
            bands.get(previous_band, ""),
            None if previous_score is None else score - previous_score,
            missing,
            _factor_text(factors, labels, no_data),
            "、".join(REVIEW_REASONS.get(r, r) for r in decode(reasons)),
            bands.get(override_band, ""),
            override_reason,
            conclusion,
            reviewers.get(reviewer_id, "") if reviewer_id is not None else "",
            reviewed_at,
            version,
        )


def ledger_title(screening: Screening) -> str:
    scope = screening.office.name if screening.office is not None else _("all offices")
    name = _("Risk screening ledger")
    return f"{name} {screening.quarter} · {scope} · #{screening.pk}"


def write_screening_ledger(
    target: str | IO[bytes], screening: Screening, results: QuerySet[ScreeningResult]
) -> int:
    """Write the ledger of ``results`` (already scoped to the caller) with Chinese headers."""
    with translation.override(LEDGER_LANGUAGE):
        return write_ledger(
            target,
            title=ledger_title(screening),
            columns=ledger_columns(),
            rows=ledger_rows(results),
            sheet_name=_("Risk screening"),
        )
