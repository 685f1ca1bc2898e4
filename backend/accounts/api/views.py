from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate, login, logout
from django.contrib.auth.signals import user_login_failed
from django.db.models import QuerySet
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.api.serializers import (
    LoginResponseSerializer,
    LoginSerializer,
    OfficeSerializer,
    OtpConfirmedSerializer,
    OtpConfirmSerializer,
    OtpEnrollmentSerializer,
    StaffSerializer,
)
from backend.accounts.authentication import mint_token
from backend.accounts.client import client_ip
from backend.accounts.lockout import LOCKOUT_CODE, cooloff_seconds, lockout_message, serialized_login
from backend.accounts.models import Office, StaffToken, User
from backend.accounts.otp import confirm_enrollment, otp_required, start_enrollment, verify_code
from backend.accounts.permissions import IsSignedInStaff, staff_user
from backend.accounts.scoping import visible_office_ids
from backend.accounts.signals import staff_logged_in, staff_logging_out, staff_login_failed
from backend.core.api import ScopedRateThrottle


def _login_refused(request: Request, username: str, reason: str) -> Response:
    """401 for any refused sign-in; the answer never says which factor was wrong."""
    # The access log (``backend.audit``) records the refusal.
    staff_login_failed.send(sender=LoginView, request=request, username=username, reason=reason)
    if getattr(request._request, "axes_locked_out", False):
        return _locked_out()
    return Response(
        {
            "detail": _("Wrong username, password or verification code."),
            "code": "bad_credentials",
        },
        status=status.HTTP_401_UNAUTHORIZED,
        headers={"WWW-Authenticate": 'Session realm="api"'},
    )


def _locked_out() -> Response:
    return Response(
        {"detail": lockout_message(), "code": LOCKOUT_CODE},
        status=status.HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(cooloff_seconds())},
    )


class LoginView(APIView):
    """Staff login with password and TOTP code: opens a session (console); with `issue_token: true` it
    also returns an API token (scripts). Five failures in 15 minutes lock the username and the
    address (429)."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"
    documented_errors = {
        "post": {
            "401": "Wrong username, password or verification code, or the account is disabled.",
            "429": "Too many failed sign-ins: locked out for 15 minutes (see Retry-After).",
        }
    }

    @extend_schema(request=LoginSerializer, responses={200: LoginResponseSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        form = LoginSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        username = form.validated_data["username"][:150]
        with serialized_login(username, client_ip(request)):
            user = authenticate(request._request, username=username, password=form.validated_data["password"])
            if getattr(request._request, "axes_locked_out", False):
                staff_login_failed.send(sender=LoginView, request=request, username=username, reason="locked")
                return _locked_out()
            if not isinstance(user, User):
                return _login_refused(request, username, "password")
            if otp_required():
                device = verify_code(user, form.validated_data.get("otp_token") or "")
                if device is None:
                    # A wrong second factor counts toward the lockout like a wrong password.
                    user_login_failed.send(
                        sender=__name__, credentials={"username": username}, request=request._request
                    )
                    return _login_refused(request, username, "otp")
                user.otp_device = device  # type: ignore[attr-defined]  # django-otp keeps it in the session
            login(request._request, user)
            # Only for a caller that asked: every token is one more live bearer credential.
            key = mint_token(user) if form.validated_data["issue_token"] else None
        staff_logged_in.send(sender=LoginView, request=request, user=user)
        answer: dict[str, Any] = {"user": StaffSerializer(user).data}
        if key is not None:
            answer["token"] = key
        answer["csrf_token"] = get_token(request._request)
        return Response(answer)


class LogoutView(APIView):
    """Ends the session; with token authentication it also invalidates the token."""

    permission_classes = [IsSignedInStaff]

    @extend_schema(request=None, responses={204: None}, tags=["auth"])
    def post(self, request: Request) -> Response:
        staff_logging_out.send(sender=LogoutView, request=request)
        if isinstance(request.auth, StaffToken):
            request.auth.delete()
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


class OtpDeviceView(APIView):
    """Enroll a new authenticator (TOTP) for oneself: scan the QR code, then confirm with a code.

    The current device keeps working until the new one is confirmed."""

    permission_classes = [IsSignedInStaff]

    @extend_schema(request=None, responses={201: OtpEnrollmentSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        enrollment = start_enrollment(staff_user(request))
        return Response(
            {
                "device_id": enrollment.device.pk,
                "otpauth_uri": enrollment.otpauth_uri,
                "qr_svg": enrollment.qr_svg_data_uri,
                "secret": enrollment.secret_base32,
            },
            status=status.HTTP_201_CREATED,
        )


class OtpDeviceConfirmView(APIView):
    """Confirm a new authenticator with a code it shows; it replaces the previous one."""

    permission_classes = [IsSignedInStaff]

    documented_errors = {"post": {"400": "No such unconfirmed device of yours, or a wrong code."}}

    @extend_schema(request=OtpConfirmSerializer, responses={200: OtpConfirmedSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        form = OtpConfirmSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        device = confirm_enrollment(
            staff_user(request), form.validated_data["device_id"], form.validated_data["otp_token"]
        )
        if device is None:
            raise serializers.ValidationError({"otp_token": [_("Wrong or expired verification code.")]})
        return Response({"device_id": device.pk})


class MeView(APIView):
    """The logged-in staff member."""

    @extend_schema(responses=StaffSerializer, tags=["auth"])
    def get(self, request: Request) -> Response:
        return Response(StaffSerializer(staff_user(request)).data)


class OfficeViewSet(viewsets.ReadOnlyModelViewSet[Office]):
    """Offices the caller may see (the bureau sees all)."""

    serializer_class = OfficeSerializer
    filterset_fields = ["kind", "is_active"]

    def get_queryset(self) -> QuerySet[Office]:
        office_ids = visible_office_ids(self.request.user)
        queryset = Office.objects.all()
        return queryset if office_ids is None else queryset.filter(pk__in=office_ids)


class PingView(APIView):
    """Connectivity and clock check for phones and monitors: no database, no authentication."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []

    @extend_schema(
        responses={200: inline_serializer("Ping", {"server_time": serializers.DateTimeField()})},
        tags=["mobile"],
        auth=[],
    )
    def get(self, request: Request) -> Response:
        return Response({"server_time": timezone.now()})
