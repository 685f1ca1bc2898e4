"""DRF permissions for staff. Object scope is enforced by scoped querysets (404), not here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

if TYPE_CHECKING:
    from rest_framework.views import APIView

from backend.accounts.models import Role, User


def _staff(request: Request) -> User | None:
    user = request.user
    if isinstance(user, User) and user.is_authenticated and user.is_active:
        return user
    return None


def staff_user(request: Request) -> User:
    """The active staff member making ``request``, in a view whose permission class admits only them."""
    user = _staff(request)
    if user is None:
        raise PermissionDenied(IsStaffMember.message)
    return user


class IsStaffMember(BasePermission):
    """Any active staff user; read-only roles (auditors) may only read."""

    message = _("Staff login required.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = _staff(request)
        if user is None:
            return False
        if user.is_read_only and request.method not in SAFE_METHODS:
            self.message = _("Auditors have read-only access.")
            return False
        return True


class IsSignedInStaff(BasePermission):
    """Any active staff member, whatever the method: for one's own session (logout, authenticator);
    auditors too, who may otherwise only read."""

    message = _("Staff login required.")

    def has_permission(self, request: Request, view: APIView) -> bool:
        return _staff(request) is not None


class IsAuditReader(BasePermission):
    """Who may read the access log: auditors, the bureau head, system administrators."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = _staff(request)
        return bool(
            user
            and (user.is_superuser or user.role in {Role.AUDITOR, Role.BUREAU_HEAD, Role.SYSADMIN})
            and request.method in SAFE_METHODS
        )
