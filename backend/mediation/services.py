"""Mediation's rules: closing a dispute, ordering an expert (点单式), and the rule table's sums.

- An expert is assigned by rule: an active expert of the dispute's field with the fewest open
  assignments, then the one assigned longest ago, then the lowest id — the same request always
  gets the same expert on the same data, and work spreads over the pool.
- The rule table gives, for a kind of dispute and an outcome, a mediator's credit points, the
  subsidy, and the town's assessment deduction; a row for the kind wins over the row for any kind.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.exceptions import ValidationError

from backend.accounts.models import User
from backend.mediation.models import CreditRule, Dispute, ExpertRequest, Mediator

ZERO = Decimal("0")


def close_dispute(
    dispute: Dispute, *, status: str, outcome: str, closed_on: dt.date | None = None
) -> Dispute:
    """Record how a dispute ended (resolved, failed, escalated); a closed dispute stays closed."""
    if dispute.status in Dispute.CLOSED:
        raise ValidationError({"status": [_("The dispute is already closed.")]})
    if status not in Dispute.CLOSED:
        raise ValidationError({"status": [_("Resolved, failed or escalated.")]})
    closed_on = closed_on or timezone.localdate()
    if closed_on < dispute.received_on:
        raise ValidationError({"closed_on": [_("A dispute closes on or after the day it was received.")]})
    dispute.status, dispute.outcome, dispute.closed_on = status, outcome, closed_on
    dispute.save(update_fields=["status", "outcome", "closed_on"])
    return dispute


def pick_expert(field: str) -> Mediator | None:
    """The expert the rule assigns for ``field`` now (see the module text), or ``None``."""
    return (
        Mediator.objects.filter(is_active=True, is_expert=True, expert_field=field)
        .annotate(
            open_requests=Count(
                "assignments",
                filter=Q(assignments__status=ExpertRequest.Status.ASSIGNED),
            ),
            last_assigned=Max("assignments__requested_at"),
        )
        .order_by("open_requests", F("last_assigned").asc(nulls_first=True), "pk")
        .first()
    )


@transaction.atomic
def order_expert(dispute: Dispute, *, field: str | None = None, by: User | None = None) -> ExpertRequest:
    """A town orders an expert for a dispute; the rule assigns one at once (or says none is free)."""
    if dispute.status in Dispute.CLOSED:
        raise ValidationError({"dispute": [_("The dispute is already closed.")]})
    field = field or dispute.kind
    # One assignment at a time: the pool's counts must not be read by two orders at once.
    list(Mediator.objects.select_for_update().filter(is_expert=True, expert_field=field).values_list("pk"))
    expert = pick_expert(field)
    return ExpertRequest.objects.create(
        dispute=dispute,
        field=field,
        requested_by=by,
        expert=expert,
        status=ExpertRequest.Status.ASSIGNED if expert else ExpertRequest.Status.UNAVAILABLE,
    )


def complete_expert_request(request: ExpertRequest, *, resolved: bool, outcome: str) -> ExpertRequest:
    """The outcome comes back to the town that ordered the expert."""
    if request.status != ExpertRequest.Status.ASSIGNED:
        raise ValidationError({"status": [_("Only an assigned request can be completed.")]})
    request.status, request.resolved, request.outcome = ExpertRequest.Status.DONE, resolved, outcome
    request.done_at = timezone.now()
    request.save(update_fields=["status", "resolved", "outcome", "done_at"])
    return request


def rule_table() -> dict[tuple[str, str], CreditRule]:
    return {(rule.kind, rule.outcome): rule for rule in CreditRule.objects.all()}


def rule_for(rules: dict[tuple[str, str], CreditRule], kind: str, outcome: str) -> CreditRule | None:
    return rules.get((kind, outcome)) or rules.get(("", outcome))


@dataclass
class MediatorCredit:
    mediator_id: int
    name: str
    unit_id: int
    disputes: int = 0
    points: Decimal = ZERO
    subsidy: Decimal = ZERO


@dataclass
class UnitDeduction:
    unit_id: int
    escalated: int = 0
    deduction: Decimal = ZERO


def credits(
    year: int, *, unit_ids: set[int] | None = None
) -> tuple[list[MediatorCredit], list[UnitDeduction]]:
    """Mediators' points and subsidies, and towns' deductions, for the disputes closed in ``year``."""
    rules = rule_table()
    closed = Dispute.objects.filter(closed_on__year=year, status__in=Dispute.CLOSED).select_related(
        "mediator"
    )
    if unit_ids is not None:
        closed = closed.filter(unit__in=unit_ids)
    per_mediator: dict[int, MediatorCredit] = {}
    per_unit: dict[int, UnitDeduction] = defaultdict(lambda: UnitDeduction(0))
    for dispute in closed.iterator(chunk_size=1000):
        rule = rule_for(rules, dispute.kind, dispute.status)
        if dispute.mediator is not None:
            credit = per_mediator.setdefault(
                dispute.mediator_id or 0,
                MediatorCredit(dispute.mediator.pk, dispute.mediator.name, dispute.mediator.unit_id),
            )
            credit.disputes += 1
            if rule is not None:
                credit.points += rule.points
                credit.subsidy += rule.subsidy
        if dispute.status == Dispute.Status.ESCALATED:
            deduction = per_unit[dispute.unit_id]
            deduction.unit_id = dispute.unit_id
            deduction.escalated += 1
            deduction.deduction += rule.deduction if rule is not None else ZERO
    mediators = sorted(per_mediator.values(), key=lambda c: (-c.points, c.name, c.mediator_id))
    units = sorted(per_unit.values(), key=lambda d: (-d.deduction, d.unit_id))
    return mediators, units


def full_time_share(unit_ids: set[int] | None = None) -> tuple[int, int]:
    """(full-time, all) active mediators."""
    mediators = Mediator.objects.filter(is_active=True)
    if unit_ids is not None:
        mediators = mediators.filter(unit__in=unit_ids)
    counts = mediators.aggregate(all=Count("pk"), full=Count("pk", filter=Q(full_time=True)))
    return counts["full"], counts["all"]
