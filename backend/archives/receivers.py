"""What the archives do when another module speaks (connected in ``ArchivesConfig.ready``)."""

from __future__ import annotations

from typing import Any

from django.apps import apps

from backend.archives.models import Sanction, SanctionKind
from backend.archives.services.sanctions import draft_from_alert
from backend.archives.services.sources import _file, alert_document


def on_alert_resolved(sender: Any, alert: Any, user: Any, **kwargs: Any) -> None:
    """File the resolved alert in the working archive; a 训诫/警告 proposal becomes a draft."""
    _file(alert.subject, alert_document(alert))
    draft_from_alert(alert, user)


def sanctions_factor(chunk: Any) -> dict[int, Any]:
    """Screening's ``sanctions`` factor: reprimands and warnings decided in the quarter, by kind."""
    from django.db.models import Count
    from django.utils import timezone

    from backend.screening.rules import Fact

    start = timezone.localtime(chunk.window_start).date()
    end = timezone.localtime(chunk.window_end).date()
    rows = (
        Sanction.objects.filter(
            subject_id__gte=chunk.first_id,
            subject_id__lte=chunk.last_id,  # a range: an IN list of 2,000 ids cost 0.5 s
            status=Sanction.Status.APPROVED,
            kind__in=[SanctionKind.REPRIMAND, SanctionKind.WARNING],
            decided_on__gte=start,
            decided_on__lt=end,
        )
        .values("subject_id", "kind")
        .annotate(n=Count("id"))
    )
    found: dict[int, dict[str, int]] = {pid: {} for pid in chunk.person_ids}
    for row in rows:
        found.setdefault(row["subject_id"], {})[row["kind"]] = row["n"]
    return {pid: Fact(value=sum(kinds.values()), facts=kinds) for pid, kinds in found.items()}


def register_screening_factor() -> None:
    """Give screening the ``sanctions`` factor when screening is installed (it may land later)."""
    if not apps.is_installed("backend.screening"):
        return
    from django.utils.translation import gettext_lazy as _

    from backend.screening.factors import register_factor
    from backend.screening.rules import PersonKind

    register_factor(
        "sanctions",
        label=_("sanctions (reprimands, warnings)"),
        description=_("Reprimands (训诫) and warnings (警告) approved in the quarter."),
        kinds={PersonKind.SUBJECT},
        source="archives",
        compute=sanctions_factor,
    )
