"""Rewards and sanctions (表扬 / 训诫 / 警告 / 提请撤销缓刑、假释 / 提请收监执行).

Each is a record with its facts, legal basis, proposer, approver and date, and a document of the
subject's execution archive: the proposal is its first version, the approval (or withdrawal) the
next. Resolving an alert as a reprimand or warning proposal creates a draft (``draft_from_alert``,
connected to monitoring's ``alert_resolved`` signal).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from backend.accounts.models import Role, User
from backend.archives.models import Origin, Sanction, SanctionKind
from backend.archives.services.documents import add_document, add_version, catalogue_item
from backend.monitoring.models import Alert
from backend.supervision.models import Subject

# Who may approve: the office head for 表扬/训诫/警告 (decided by the county body on the office's
# proposal in practice; the office head signs the proposal), the bureau for the rest.
APPROVERS = {
    SanctionKind.COMMENDATION: {Role.OFFICE_HEAD, Role.BUREAU_STAFF, Role.BUREAU_HEAD},
    SanctionKind.REPRIMAND: {Role.OFFICE_HEAD, Role.BUREAU_STAFF, Role.BUREAU_HEAD},
    SanctionKind.WARNING: {Role.OFFICE_HEAD, Role.BUREAU_STAFF, Role.BUREAU_HEAD},
    SanctionKind.REVOKE_PROBATION: {Role.BUREAU_HEAD},
    SanctionKind.REVOKE_PAROLE: {Role.BUREAU_HEAD},
    SanctionKind.IMPRISONMENT: {Role.BUREAU_HEAD},
}
DEFAULT_BASIS = {
    SanctionKind.COMMENDATION: "《社区矫正法》第二十八条",
    SanctionKind.REPRIMAND: "《社区矫正法》第二十八条",
    SanctionKind.WARNING: "《社区矫正法》第二十八条",
    SanctionKind.REVOKE_PROBATION: "《社区矫正法》第四十六条",
    SanctionKind.REVOKE_PAROLE: "《社区矫正法》第四十六条",
    SanctionKind.IMPRISONMENT: "《社区矫正法》第四十九条",
}
FROM_RESOLUTION = {
    Alert.Resolution.REPRIMAND_PROPOSAL: SanctionKind.REPRIMAND,
    Alert.Resolution.WARNING_PROPOSAL: SanctionKind.WARNING,
}


def sanction_data(sanction: Sanction) -> dict[str, Any]:
    return {
        "kind": sanction.kind,
        "status": sanction.status,
        "facts": sanction.facts,
        "legal_basis": sanction.legal_basis,
        "proposed_by": sanction.proposed_by_id,
        "approved_by": sanction.approved_by_id,
        "decided_on": sanction.decided_on.isoformat() if sanction.decided_on else None,
        "alert": sanction.alert_id,
    }


def propose_sanction(
    subject: Subject, *, kind: str, facts: str, legal_basis: str, user: User, alert_id: int | None = None
) -> Sanction:
    """A draft reward or sanction, filed as a document of the execution archive."""
    if kind not in SanctionKind.values:
        raise ValidationError({"kind": [_("Unknown kind.")]})
    if kind == SanctionKind.REVOKE_PROBATION and subject.sentence_type != Subject.SentenceType.PROBATION:
        raise ValidationError({"kind": [_("Only probation can be revoked this way.")]})
    if kind == SanctionKind.REVOKE_PAROLE and subject.sentence_type != Subject.SentenceType.PAROLE:
        raise ValidationError({"kind": [_("Only parole can be revoked this way.")]})
    with transaction.atomic():
        sanction = Sanction.objects.create(
            subject=subject,
            kind=kind,
            facts=facts,
            legal_basis=legal_basis or DEFAULT_BASIS[SanctionKind(kind)],
            proposed_by=user,
            alert_id=alert_id,
        )
        sanction.document = add_document(
            subject,
            title=f"{SanctionKind(kind).label} · {subject.name}",
            item=catalogue_item("sanction"),
            origin=Origin.SANCTION,
            data=sanction_data(sanction),
            source_key=f"sanction:{sanction.pk}",
            user=user,
            kind="execution",
        )
        sanction.save(update_fields=["document"])
    return sanction


def approve_sanction(sanction: Sanction, user: User, decided_on: dt.date | None = None) -> Sanction:
    """Approve a draft: the approver and the date become the document's next version."""
    if not (user.is_superuser or user.role in APPROVERS[SanctionKind(sanction.kind)]):
        raise ValidationError({"approver": [_("Your role may not approve this kind.")]}, code="not_approver")
    return _decide(sanction, user, Sanction.Status.APPROVED, decided_on or timezone.localdate())


def withdraw_sanction(sanction: Sanction, user: User) -> Sanction:
    return _decide(sanction, user, Sanction.Status.WITHDRAWN, timezone.localdate())


def _decide(sanction: Sanction, user: User, status: str, decided_on: dt.date) -> Sanction:
    with transaction.atomic():
        sanction = Sanction.objects.select_for_update().get(pk=sanction.pk)
        if sanction.status != Sanction.Status.DRAFT:
            raise ValidationError({"status": [_("Only a draft can be decided.")]}, code="not_draft")
        sanction.status = status
        sanction.decided_on = decided_on
        if status == Sanction.Status.APPROVED:
            sanction.approved_by = user
        sanction.save(update_fields=["status", "decided_on", "approved_by"])
        if sanction.document is not None:
            add_version(sanction.document, data=sanction_data(sanction), note=str(status), user=user)
    return sanction


def draft_from_alert(alert: Alert, user: User) -> Sanction | None:
    """The draft a 训诫/警告 proposal made while resolving ``alert`` creates (once per alert)."""
    kind = FROM_RESOLUTION.get(alert.resolution)  # type: ignore[call-overload]
    if kind is None:
        return None
    existing = Sanction.objects.filter(alert_id=alert.pk).first()
    if existing is not None:
        return existing
    facts = f"{alert.get_kind_display()}（预警 #{alert.seq}，{timezone.localtime(alert.occurred_at):%Y-%m-%d %H:%M}）：{alert.resolution_note}"
    try:
        with transaction.atomic():
            return propose_sanction(
                alert.subject, kind=kind, facts=facts, legal_basis="", user=user, alert_id=alert.pk
            )
    except IntegrityError:
        return Sanction.objects.filter(alert_id=alert.pk).first()
