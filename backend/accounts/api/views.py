from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.db.models import QuerySet
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from backend.accounts.api.serializers import (
    LoginResponseSerializer,
    LoginSerializer,
    OfficeSerializer,
    StaffSerializer,
)
from backend.accounts.models import Office, User
from backend.accounts.permissions import staff_user
from backend.accounts.scoping import visible_office_ids
from backend.accounts.signals import staff_logged_in, staff_logging_out, staff_login_failed


class LoginView(APIView):
    """Staff login: opens a session (console) and returns an API token (scripts)."""

    permission_classes = [AllowAny]
    authentication_classes: list[type] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"
    documented_errors = {"post": {"401": "Wrong username or password, or the account is disabled."}}

    @extend_schema(request=LoginSerializer, responses={200: LoginResponseSerializer}, tags=["auth"])
    def post(self, request: Request) -> Response:
        form = LoginSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        user = authenticate(
            request._request,
            username=form.validated_data["username"],
            password=form.validated_data["password"],
        )
        if not isinstance(user, User):
            # The access log (``backend.audit``) records the refusal.
            staff_login_failed.send(
                sender=LoginView, request=request, username=form.validated_data["username"][:150]
            )
            return Response(
                {"detail": _("Wrong username or password."), "code": "bad_credentials"},
                status=status.HTTP_401_UNAUTHORIZED,
                headers={"WWW-Authenticate": 'Session realm="api"'},
            )
        login(request._request, user)
        token, _created = Token.objects.get_or_create(user=user)
        staff_logged_in.send(sender=LoginView, request=request, user=user)
        return Response(
            {
                "user": StaffSerializer(user).data,
                "token": token.key,
                "csrf_token": get_token(request._request),
            }
        )


class LogoutView(APIView):
    """Ends the session; with token authentication it also invalidates the token."""

    @extend_schema(request=None, responses={204: None}, tags=["auth"])
    def post(self, request: Request) -> Response:
        staff_logging_out.send(sender=LogoutView, request=request)
        if isinstance(request.auth, Token):
            request.auth.delete()
        logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
