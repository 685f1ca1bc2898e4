from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import User
from backend.accounts.permissions import staff_user
from backend.accounts.scoping import scope_to_offices
from backend.audit.models import AccessLog
from backend.audit.services import record_access
from backend.reminders.api.serializers import (
    DeliveryAttemptSerializer,
    DevicePushTokenAnswerSerializer,
    DevicePushTokenSerializer,
    PendingReminderSerializer,
    ReminderAckSerializer,
    StaffPushTokenAnswerSerializer,
    StaffPushTokenRemoveSerializer,
    StaffPushTokenSerializer,
)
from backend.reminders.models import DeliveryAttempt
from backend.reminders.services import (
    acknowledge_reminder,
    pending_payload,
    register_staff_push_token,
    set_device_push_token,
    unregister_staff_push_token,
)
from backend.supervision.api.views import MobileAPIView
from backend.supervision.models import Subject

# ---------------------------------------------------------------------------------------------
# Mobile API
# ---------------------------------------------------------------------------------------------


class DevicePushTokenView(MobileAPIView):
    """Update this phone's push token (the app calls it whenever the provider issues a new one)."""

    @extend_schema(
        request=DevicePushTokenSerializer, responses=DevicePushTokenAnswerSerializer, tags=["mobile"]
    )
    def put(self, request: Request) -> Response:
        form = DevicePushTokenSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        device = set_device_push_token(self.device, form.validated_data["push_token"])
        return Response({"has_push_token": bool(device.push_token)})


class PendingRemindersView(MobileAPIView):
    """The reminders waiting for this phone (the same list every check-in answer carries)."""

    @extend_schema(responses=PendingReminderSerializer(many=True), tags=["mobile"])
    def get(self, request: Request) -> Response:
        return Response(PendingReminderSerializer(pending_payload(self.device), many=True).data)


class ReminderAckView(MobileAPIView):
    """The phone has shown the reminder: it is no longer pushed or returned. Idempotent."""

    @extend_schema(request=None, responses=ReminderAckSerializer, tags=["mobile"])
    def post(self, request: Request, pk: int) -> Response:
        reminder = acknowledge_reminder(self.device, pk)
        return Response(
            ReminderAckSerializer({"id": str(reminder.pk), "acknowledged_at": reminder.acknowledged_at}).data
        )


# ---------------------------------------------------------------------------------------------
# Staff API
# ---------------------------------------------------------------------------------------------


class IsActiveStaff(BasePermission):
    """Any logged-in staff member, auditors included: a push token is their own, not a record."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        return isinstance(user, User) and user.is_authenticated and user.is_active


class StaffPushTokenView(APIView):
    """Register (PUT) or remove (DELETE) the push token of the phone the staff member uses.

    Critical alerts of the staff member's office are pushed to it, HIGH priority.
    """

    permission_classes = [IsActiveStaff]

    @extend_schema(request=StaffPushTokenSerializer, responses=StaffPushTokenAnswerSerializer, tags=["staff"])
    def put(self, request: Request) -> Response:
        form = StaffPushTokenSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        record = register_staff_push_token(
            staff_user(request),
            form.validated_data["push_token"],
            form.validated_data["platform"],
        )
        return Response(StaffPushTokenAnswerSerializer(record).data)

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "push_token", str, required=True, description="The token to forget (a JSON body is read too)."
            )
        ],
        request=None,
        responses={204: None},
        tags=["staff"],
    )
    def delete(self, request: Request) -> Response:
        # A DELETE names what it removes in the query (a body on DELETE is not part of the
        # published contract); older clients that send it in a JSON body still work.
        data = request.query_params if "push_token" in request.query_params else request.data
        form = StaffPushTokenRemoveSerializer(data=data)
        form.is_valid(raise_exception=True)
        unregister_staff_push_token(staff_user(request), form.validated_data["push_token"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubjectDeliveriesView(generics.ListAPIView[DeliveryAttempt]):
    """Every push attempt about one person, newest first: to their phone, and to staff about them.

    Scoped like the person (another office's person is 404) and recorded in the access log.
    """

    serializer_class = DeliveryAttemptSerializer
    filterset_fields = ["result", "recipient", "transport", "reminder", "alert"]
    ordering_fields = ["at"]

    def get_queryset(self) -> QuerySet[DeliveryAttempt]:
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular inspecting the view
            return DeliveryAttempt.objects.none()
        subjects = scope_to_offices(Subject.objects.all(), self.request.user)
        subject = get_object_or_404(subjects, pk=self.kwargs["pk"])
        return (
            DeliveryAttempt.objects.filter(subject=subject)
            .select_related("reminder", "staff_user")
            .order_by("-at", "-id")
        )

    @extend_schema(tags=["subjects"])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def finalize_response(self, request: Request, response: Response, *args: Any, **kwargs: Any) -> Response:
        response = super().finalize_response(request, response, *args, **kwargs)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            data = response.data if isinstance(getattr(response, "data", None), dict) else {}
            rows = data.get("results") if response.status_code < 400 else None
            detail = {"ids": [row.get("id") for row in rows[:500]]} if isinstance(rows, list) else {}
            record_access(
                request,
                action=AccessLog.Action.LIST,
                resource="delivery",
                object_id=self.kwargs.get("pk", ""),
                status_code=response.status_code,
                detail=detail,
            )
        return response
