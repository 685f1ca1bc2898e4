"""Which units a staff member may see. Every unit-scoped queryset of the bureau's modules goes here.

- bureau roles (and superusers) see every unit;
- a unit reporter sees their own unit only (``UnitMembership``); without one, nothing;
- an office role (司法所) sees the town (or street) linked to its office and that town's villages,
  and only in modules that let office roles in (``offices=True``). The bureau's own modules
  (inspections of departments, litigation, law firms…) pass ``offices=False``: office roles see
  nothing there, and the API answers them 404.

An object outside the caller's units answers 404, never 403, as for offices.
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, Q, QuerySet

from backend.accounts.models import OFFICE_ROLES, Role, User
from backend.bureau.models import Unit, UnitMembership

M = TypeVar("M", bound=Model)


def reporter_unit_id(user: User | AnonymousUser) -> int | None:
    """The unit of a unit reporter, or ``None`` (not a reporter, or not linked yet)."""
    if not isinstance(user, User) or user.role != Role.REPORTER:
        return None
    membership = UnitMembership.objects.filter(user=user).values_list("unit_id", flat=True).first()
    return membership


def visible_unit_ids(user: User | AnonymousUser, *, offices: bool = True) -> set[int] | None:
    """The ids of the units ``user`` may see, or ``None`` for all of them."""
    if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
        return set()
    if user.is_bureau_wide:
        return None
    if user.role == Role.REPORTER:
        unit_id = reporter_unit_id(user)
        return {unit_id} if unit_id else set()
    if offices and user.role in OFFICE_ROLES and user.office_id:
        towns = Q(kind=Unit.Kind.TOWN, office_id=user.office_id)
        villages = Q(parent__kind=Unit.Kind.TOWN, parent__office_id=user.office_id)
        return set(Unit.objects.filter(towns | villages).values_list("pk", flat=True))
    return set()


def scope_to_units(
    queryset: QuerySet[M], user: User | AnonymousUser, field: str = "unit", *, offices: bool = True
) -> QuerySet[M]:
    """Restrict ``queryset`` to rows whose ``field`` (a Unit FK path) the user may see."""
    unit_ids = visible_unit_ids(user, offices=offices)
    if unit_ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": unit_ids})


def may_see_unit(user: User | AnonymousUser, unit_id: int | None, *, offices: bool = True) -> bool:
    unit_ids = visible_unit_ids(user, offices=offices)
    return unit_ids is None or unit_id in unit_ids
