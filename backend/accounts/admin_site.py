"""The administration site: django-otp's, so the admin needs the second factor too.

The login form picks the staff member's own TOTP device (they have one), counts a wrong code as a
failed sign-in for the lockout, and tells the access log (through ``accounts.signals``); the
admin's pages tell it what they show (``RoleBasedAdmin``), so admin reads are audited like API reads.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.signals import user_login_failed
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from backend.accounts.otp import confirmed_device, otp_required
from backend.accounts.signals import staff_login_failed


class StaffAdminLoginForm(OTPAdminAuthenticationForm):  # type: ignore[misc]
    def _chosen_device(self, user: Any) -> Any:
        return super()._chosen_device(user) or confirmed_device(user)

    def clean_otp(self, user: Any) -> None:
        if not otp_required():
            return
        try:
            super().clean_otp(user)
        except forms.ValidationError:
            username = str(self.cleaned_data.get("username") or "")[:150]
            if self.request is not None:
                user_login_failed.send(
                    sender=__name__, credentials={"username": username}, request=self.request
                )
                staff_login_failed.send(
                    sender=__name__, request=self.request, username=username, reason="otp"
                )
            raise


class StaffAdminSite(OTPAdminSite):  # type: ignore[misc]
    name = "admin"
    login_form = StaffAdminLoginForm

    def __init__(self, name: str = "admin") -> None:
        super().__init__(name)

    def has_permission(self, request: Any) -> bool:
        if not otp_required():
            return bool(request.user.is_active and request.user.is_staff)
        return bool(super().has_permission(request))
