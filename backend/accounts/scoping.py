"""Which offices a staff member may see. Every staff queryset goes through here.

An office role sees its own office; bureau roles and superusers see every office; a unit reporter
sees no office. A request for
an object outside that scope answers 404, never 403, so the existence of another office's person
is not revealed.
"""

from __future__ import annotations

from typing import TypeVar

from django.contrib.auth.models import AnonymousUser
from django.db.models import Model, QuerySet

from backend.accounts.models import Role, User

M = TypeVar("M", bound=Model)


def visible_office_ids(user: User | AnonymousUser) -> set[int] | None:
    """The ids of the offices ``user`` may see, or ``None`` for all of them (none for anonymous)."""
    if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
        return set()
    if user.is_bureau_wide:
        return None
    if user.role == Role.REPORTER:
        return set()  # a unit's reporter sees their unit's returns (backend.bureau), no office's people
    return {user.office_id} if user.office_id else set()


def scope_to_offices(queryset: QuerySet[M], user: User | AnonymousUser, field: str = "office") -> QuerySet[M]:
    """Restrict ``queryset`` to rows whose ``field`` (an Office FK path) the user may see."""
    office_ids = visible_office_ids(user)
    if office_ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": office_ids})


def may_see_office(user: User | AnonymousUser, office_id: int | None) -> bool:
    office_ids = visible_office_ids(user)
    return office_ids is None or office_id in office_ids
