from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import SearchFilter
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from backend.accounts.permissions import staff_user
from backend.accounts.scoping import scope_to_offices
from backend.audit.api.mixins import AuditedViewSetMixin
from backend.core.parsers import StrictJSONParser
from backend.supervision.api.renderers import PhoneJSONRenderer
from backend.supervision.api.serializers import (
    DeviceSerializer,
    EnrollmentCodeSerializer,
    EnrollRequestSerializer,
    EnrollResponseSerializer,
    MeSerializer,
    ReleasedPersonSerializer,
    RevokeDeviceSerializer,
    SubjectSerializer,
)
from backend.supervision.authentication import DeviceTokenAuthentication, IsEnrolledDevice
from backend.supervision.models import Device, ReleasedPerson, Subject
from backend.supervision.services import end_supervision, enroll_device, issue_enrollment_code, revoke_device

# The mixin goes before a DRF view among a view's bases; to the checker it is that view.
if TYPE_CHECKING:
    _ViewBase = APIView
else:
    _ViewBase = object


class ScopedQuerysetMixin(_ViewBase):
    """Restrict the viewset's queryset to the caller's offices: other offices' objects are 404."""

    office_field = "office"

    def scope(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return scope_to_offices(queryset, self.request.user, self.office_field)


class SubjectViewSet(
    AuditedViewSetMixin,
    ScopedQuerysetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[Subject],
):
    """Corrections subjects of the caller's offices. Records are never deleted: supervision ends."""

    audit_resource = "subject"
    serializer_class = SubjectSerializer
    documented_errors = {"revoke_device": {"409": "The person has no active phone."}}
    filterset_fields = ["office", "status", "supervision_level", "sentence_type", "responsible_officer"]
    search_fields = ["name", "case_number", "home_address"]
    ordering_fields = ["name", "supervision_end", "created_at"]
    # The configured backends plus search (the stubs type the class attribute per model).
    filter_backends = [*viewsets.ReadOnlyModelViewSet.filter_backends, SearchFilter]  # type: ignore[misc]

    def get_queryset(self) -> QuerySet[Subject]:
        active = Prefetch("devices", queryset=Device.objects.filter(revoked_at__isnull=True))
        return self.scope(
            Subject.objects.select_related("office", "responsible_officer").prefetch_related(active)
        )

    @extend_schema(request=None, responses={201: EnrollmentCodeSerializer}, tags=["subjects"])
    @action(detail=True, methods=["post"], url_path="enrollment-code")
    def enrollment_code(self, request: Request, pk: str | None = None) -> Response:
        """Issue a one-time phone enrollment code (valid 24 h, single use; replaces earlier codes)."""
        subject = self.get_object()
        issued = issue_enrollment_code(subject, staff_user(request))
        return Response(
            {"code": issued.code, "expires_at": issued.expires_at, "subject": subject.pk},
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(responses=DeviceSerializer(many=True), tags=["subjects"])
    @action(detail=True, methods=["get"])
    def devices(self, request: Request, pk: str | None = None) -> Response:
        """All phones ever enrolled for the subject, newest first."""
        subject = self.get_object()
        devices = Device.objects.filter(subject=subject).order_by("-enrolled_at", "-pk")
        # The stubs tie pagination to the view's own model; DRF pages any queryset.
        page = self.paginate_queryset(devices)  # type: ignore[arg-type]
        return self.get_paginated_response(DeviceSerializer(page, many=True).data)

    @extend_schema(request=RevokeDeviceSerializer, responses={200: DeviceSerializer}, tags=["subjects"])
    @action(detail=True, methods=["post"], url_path="revoke-device")
    def revoke_device(self, request: Request, pk: str | None = None) -> Response:
        """Revoke the subject's active phone (lost, replaced); it can no longer upload."""
        subject = self.get_object()
        form = RevokeDeviceSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        device = Device.objects.filter(subject=subject, revoked_at__isnull=True).first()
        if device is None:
            return Response(
                {"detail": _("This person has no active phone."), "code": "no_active_phone"},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(DeviceSerializer(revoke_device(device, form.validated_data["reason"])).data)

    @extend_schema(request=None, responses={200: SubjectSerializer}, tags=["subjects"])
    @action(detail=True, methods=["post"], url_path="end-supervision")
    def end_supervision(self, request: Request, pk: str | None = None) -> Response:
        """End the supervision: the record stays, the phone is revoked."""
        subject = end_supervision(self.get_object())
        return Response(self.get_serializer(subject).data)


class ReleasedPersonViewSet(
    AuditedViewSetMixin,
    ScopedQuerysetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[ReleasedPerson],
):
    """Released persons (刑满释放人员) of the caller's offices."""

    audit_resource = "released_person"
    serializer_class = ReleasedPersonSerializer
    filterset_fields = ["office", "status", "is_key_person", "responsible_officer"]
    search_fields = ["name", "home_address", "prison"]
    ordering_fields = ["name", "release_date", "created_at"]
    # The configured backends plus search (the stubs type the class attribute per model).
    filter_backends = [*viewsets.ReadOnlyModelViewSet.filter_backends, SearchFilter]  # type: ignore[misc]

    def get_queryset(self) -> QuerySet[ReleasedPerson]:
        return self.scope(ReleasedPerson.objects.select_related("office", "responsible_officer"))


# ---------------------------------------------------------------------------------------------
# Mobile API
# ---------------------------------------------------------------------------------------------


class MobileAPIView(APIView):
    """Base for phone endpoints: device-token authentication only, JSON bodies only."""

    authentication_classes = [DeviceTokenAuthentication]
    parser_classes = [StrictJSONParser]
    renderer_classes = [PhoneJSONRenderer]
    permission_classes = [IsEnrolledDevice]

    @property
    def device(self) -> Device:
        return self.request.auth  # type: ignore[return-value]


class EnrollView(APIView):
    """Exchange the officer's one-time code for this phone's device token."""

    authentication_classes: list[type] = []
    permission_classes = [AllowAny]
    parser_classes = [StrictJSONParser]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "enroll"

    @extend_schema(
        request=EnrollRequestSerializer,
        responses={
            201: EnrollResponseSerializer,
            400: OpenApiResponse(description="Invalid, used or expired code"),
        },
        tags=["mobile"],
        auth=[],
    )
    def post(self, request: Request) -> Response:
        form = EnrollRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        enrollment = enroll_device(form.validated_data["code"], form.validated_data["device"])
        device = enrollment.device
        me = MeSerializer(device.subject, context={"device": device}).data
        return Response(
            {"device_token": enrollment.device_token, "device_id": device.pk, "me": me},
            status=status.HTTP_201_CREATED,
        )


class MeView(MobileAPIView):
    """The subject's own status; nothing about anyone else."""

    @extend_schema(responses=MeSerializer, tags=["mobile"])
    def get(self, request: Request) -> Response:
        subject = Subject.objects.select_related("office", "responsible_officer").get(
            pk=self.device.subject_id
        )
        return Response(MeSerializer(subject, context={"device": self.device}).data)
