"""Joint inspections: plans that visit the same enterprise within a window become one visit."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils.translation import gettext as _

from backend.accounts.models import User
from backend.bureau.models import UnitReturn
from backend.lawadmin.models import InspectionPlan, JointInspection

MERGEABLE = (UnitReturn.Status.SUBMITTED, UnitReturn.Status.ACCEPTED)
MAX_WINDOW_DAYS = 90


def cluster_plans(plans: list[InspectionPlan], window_days: int) -> list[list[InspectionPlan]]:
    """Group one enterprise's plans (sorted by date) into runs that start no more than ``window_days``
    apart from the run's first plan. A run is joint when at least two departments are in it."""
    runs: list[list[InspectionPlan]] = []
    for plan in sorted(plans, key=lambda p: (p.planned_on, p.pk)):
        if runs and (plan.planned_on - runs[-1][0].planned_on).days <= window_days:
            runs[-1].append(plan)
        else:
            runs.append([plan])
    return [run for run in runs if len({p.unit_id for p in run}) >= 2]


@transaction.atomic
def merge_joint_inspections(
    start: dt.date, end: dt.date, *, window_days: int, by: User | None = None
) -> list[JointInspection]:
    """Merge the submitted plans of ``start``..``end`` not yet in a joint inspection: each run of
    plans for one enterprise within the window (two departments or more) becomes one visit, on the
    run's first planned day."""
    if end < start:
        raise ValidationError({"end": [_("The period ends before it starts.")]})
    if not 1 <= window_days <= MAX_WINDOW_DAYS:
        raise ValidationError({"window_days": [_("From 1 to %(max)d days.") % {"max": MAX_WINDOW_DAYS}]})
    plans = InspectionPlan.objects.select_for_update().filter(
        status__in=MERGEABLE, joint__isnull=True, planned_on__range=(start, end)
    )
    by_enterprise: dict[int, list[InspectionPlan]] = defaultdict(list)
    for plan in plans:
        by_enterprise[plan.enterprise_id].append(plan)
    joints = []
    for enterprise_id, its_plans in sorted(by_enterprise.items()):
        for run in cluster_plans(its_plans, window_days):
            joint = JointInspection.objects.create(
                enterprise_id=enterprise_id,
                scheduled_on=run[0].planned_on,
                window_days=window_days,
                created_by=by,
            )
            InspectionPlan.objects.filter(pk__in=[p.pk for p in run]).update(joint=joint)
            joints.append(joint)
    return joints


@dataclass(frozen=True)
class VisitsSaved:
    plans: int
    joint_inspections: int
    plans_merged: int
    visits: int
    visits_saved: int


def visits_saved(plans: QuerySet[InspectionPlan]) -> VisitsSaved:
    """Visits an enterprise receives with the merging, and the visits saved (plans merged − joints)."""
    total = plans.count()
    merged = plans.filter(joint__isnull=False)
    joints = merged.values("joint").distinct().count()
    merged_count = merged.count()
    return VisitsSaved(
        plans=total,
        joint_inspections=joints,
        plans_merged=merged_count,
        visits=total - merged_count + joints,
        visits_saved=merged_count - joints,
    )


def departments_per_joint(joints: QuerySet[JointInspection]) -> QuerySet[JointInspection]:
    return joints.annotate(departments=Count("plans__unit", distinct=True))
