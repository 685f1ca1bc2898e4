"""营商服务's rules: sanctions and their effects, the one-vote veto on hiring, the review summaries."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.bureau.models import Unit
from backend.business.models import (
    RATING_ORDER,
    VETO_DAYS,
    AdviserHiring,
    CertificateRequirement,
    LawFirm,
    Lawyer,
    Sanction,
)


def lower_rating(rating: str) -> str:
    """One step down (A → B → C → D; D stays D)."""
    index = RATING_ORDER.index(rating)  # type: ignore[arg-type]
    return RATING_ORDER[min(index + 1, len(RATING_ORDER) - 1)]


@transaction.atomic
def decide_sanction(
    *,
    firm: LawFirm,
    kind: str,
    decided_on: dt.date,
    reason: str,
    lawyer: Lawyer | None = None,
    veto: bool | None = None,
    by: User | None = None,
) -> Sanction:
    """Record a measure. A downgrade lowers the lawyer's (or, for the firm, the firm's) rating one
    step; a downgrade or a referral vetoes hiring for a year unless ``veto`` says otherwise."""
    if lawyer is not None and lawyer.firm_id != firm.pk:
        raise ValidationError({"lawyer": [_("The lawyer does not belong to this firm.")]})
    vetoes = kind in Sanction.VETO_BY_DEFAULT if veto is None else veto
    sanction = Sanction.objects.create(
        firm=firm,
        lawyer=lawyer,
        kind=kind,
        decided_on=decided_on,
        reason=reason,
        veto=vetoes,
        veto_until=decided_on + dt.timedelta(days=VETO_DAYS) if vetoes else None,
        decided_by=by,
    )
    if kind == Sanction.Kind.DOWNGRADE:
        target: Lawyer | LawFirm = lawyer if lawyer is not None else firm
        target.rating = lower_rating(target.rating)
        target.save(update_fields=["rating"])
    return sanction


def vetoes_against(lawyer: Lawyer, day: dt.date) -> QuerySet[Sanction]:
    """Sanctions in force on ``day`` that veto hiring ``lawyer``: the lawyer's own and their firm's."""
    return Sanction.objects.filter(
        Q(lawyer=lawyer) | Q(firm_id=lawyer.firm_id, lawyer__isnull=True),
        veto=True,
        decided_on__lte=day,
        veto_until__gte=day,
    )


ADVISER_UNITS = {
    AdviserHiring.Kind.GOVERNMENT: (Unit.Kind.DEPARTMENT, Unit.Kind.TOWN),
    AdviserHiring.Kind.VILLAGE: (Unit.Kind.VILLAGE,),
}


def hire_adviser(
    *, unit: Unit, lawyer: Lawyer, kind: str, starts_on: dt.date, ends_on: dt.date, by: User | None = None
) -> AdviserHiring:
    """Hire ``lawyer`` as ``unit``'s legal adviser; refused while a sanction's veto is in force
    at any day of the term (一票否决), or when the lawyer no longer practises."""
    errors: dict[str, list[str]] = {}
    if ends_on < starts_on:
        errors["ends_on"] = [_("The term ends before it starts.")]
    if unit.kind not in ADVISER_UNITS[kind]:  # type: ignore[index]
        errors["unit"] = [_("This kind of adviser is not hired by this kind of unit.")]
    if not lawyer.is_active:
        errors["lawyer"] = [_("The lawyer no longer practises.")]
    veto = (
        vetoes_against(lawyer, starts_on).first()
        or Sanction.objects.filter(
            Q(lawyer=lawyer) | Q(firm_id=lawyer.firm_id, lawyer__isnull=True),
            veto=True,
            decided_on__lte=ends_on,
            veto_until__gte=starts_on,
        ).first()
    )
    if veto is not None:
        errors.setdefault("lawyer", []).append(
            _("One-vote veto: %(measure)s of %(date)s is in force until %(until)s.")
            % {"measure": veto.get_kind_display(), "date": veto.decided_on, "until": veto.veto_until}
        )
    if errors:
        raise ValidationError(errors)
    return AdviserHiring.objects.create(
        unit=unit, lawyer=lawyer, kind=kind, starts_on=starts_on, ends_on=ends_on, created_by=by
    )


def certificate_summary(requirements: QuerySet[CertificateRequirement]) -> dict[str, object]:
    """How the review stands: certificates by decision and progress, and the share decided."""
    decisions = Counter(requirements.values_list("decision", flat=True))
    progress = Counter(requirements.values_list("progress", flat=True))
    total = sum(decisions.values())
    decided = total - decisions.get(CertificateRequirement.Decision.PENDING, 0)
    return {
        "total": total,
        "by_decision": {
            choice: decisions.get(choice, 0) for choice in CertificateRequirement.Decision.values
        },
        "by_progress": {choice: progress.get(choice, 0) for choice in CertificateRequirement.Progress.values},
        "decided_share": round(100 * decided / total, 2) if total else None,
    }


def check_certificate_decision(decision: str, legal_basis: str, progress: str) -> None:
    """A kept certificate names its legal basis; a decided one is no longer "reviewing"."""
    errors: dict[str, list[str]] = {}
    if decision == CertificateRequirement.Decision.KEPT and not legal_basis.strip():
        errors["legal_basis"] = [_("A certificate is kept only on a legal basis: name it.")]
    if (
        decision != CertificateRequirement.Decision.PENDING
        and progress == CertificateRequirement.Progress.REVIEWING
    ):
        errors["progress"] = [_("A decided certificate is decided or implemented.")]
    if (
        decision == CertificateRequirement.Decision.PENDING
        and progress != CertificateRequirement.Progress.REVIEWING
    ):
        errors["progress"] = [_("A certificate under review is still reviewing.")]
    if errors:
        raise ValidationError(errors)
