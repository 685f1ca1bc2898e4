from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.filters import SearchFilter
from rest_framework.permissions import SAFE_METHODS, AllowAny, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.models import Role, User
from backend.accounts.permissions import staff_user
from backend.accounts.scoping import scope_to_offices
from backend.audit.api.mixins import AuditedViewSetMixin
from backend.core.api import ScopedRateThrottle
from backend.core.parsers import StrictJSONParser
from backend.supervision.api.renderers import PhoneJSONRenderer
from backend.supervision.api.serializers import (
    POLICY_VALUE_FIELDS,
    REVEAL_ERRORS,
    REVEAL_PARAMETERS,
    ChangeLevelSerializer,
    DeviceSerializer,
    EnrollmentCodeSerializer,
    EnrollRequestSerializer,
    EnrollResponseSerializer,
    LevelChangeSerializer,
    MeSerializer,
    ReleasedPersonRowSerializer,
    ReleasedPersonSerializer,
    RevokeDeviceSerializer,
    SubjectRowSerializer,
    SubjectSerializer,
    SupervisionPolicySerializer,
)
from backend.supervision.authentication import DeviceTokenAuthentication, IsEnrolledDevice
from backend.supervision.models import Device, LevelChange, ReleasedPerson, Subject, SupervisionPolicy
from backend.supervision.rules import DEFAULT_ROWS
from backend.supervision.services import (
    change_level,
    end_supervision,
    enroll_device,
    issue_enrollment_code,
    revoke_device,
    update_policy,
)

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


@extend_schema_view(retrieve=extend_schema(parameters=REVEAL_PARAMETERS))
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
    documented_errors = {
        "revoke_device": {"409": "The person has no active phone."},
        "retrieve": REVEAL_ERRORS,
    }
    filterset_fields = ["office", "status", "supervision_level", "sentence_type", "responsible_officer"]
    search_fields = ["name", "case_number", "home_address"]
    ordering_fields = ["name", "supervision_end", "created_at"]
    # The configured backends plus search (the stubs type the class attribute per model).
    filter_backends = [*viewsets.ReadOnlyModelViewSet.filter_backends, SearchFilter]  # type: ignore[misc]

    def get_serializer_class(self) -> type[SubjectSerializer]:
        return SubjectRowSerializer if self.action == "list" else SubjectSerializer

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

    @extend_schema(request=ChangeLevelSerializer, responses={201: LevelChangeSerializer}, tags=["subjects"])
    @action(detail=True, methods=["post"], url_path="level")
    def level(self, request: Request, pk: str | None = None) -> Response:
        """Change the supervision level (分类管理) for a reason; kept in the level history and
        applied to the person's check-in schedule at once."""
        subject = self.get_object()
        form = ChangeLevelSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        change = change_level(
            subject, form.validated_data["level"], form.validated_data["reason"], staff_user(request)
        )
        self.audit_detail = {"from": change.from_level, "to": change.to_level}
        return Response(LevelChangeSerializer(change).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses=LevelChangeSerializer(many=True), tags=["subjects"])
    @action(detail=True, methods=["get"], url_path="level-changes")
    def level_changes(self, request: Request, pk: str | None = None) -> Response:
        """The person's supervision level changes, newest first, with reasons and authors."""
        subject = self.get_object()
        changes = (
            LevelChange.objects.filter(subject=subject)
            .select_related("changed_by")
            .order_by("-changed_at", "-id")
        )
        page = self.paginate_queryset(changes)  # type: ignore[arg-type]
        return self.get_paginated_response(LevelChangeSerializer(page, many=True).data)

    @extend_schema(request=None, responses={200: SubjectSerializer}, tags=["subjects"])
    @action(detail=True, methods=["post"], url_path="end-supervision")
    def end_supervision(self, request: Request, pk: str | None = None) -> Response:
        """End the supervision: the record stays, the phone is revoked."""
        subject = end_supervision(self.get_object())
        return Response(self.get_serializer(subject).data)


@extend_schema_view(retrieve=extend_schema(parameters=REVEAL_PARAMETERS))
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
    documented_errors = {"retrieve": REVEAL_ERRORS}
    filterset_fields = ["office", "status", "is_key_person", "responsible_officer"]
    search_fields = ["name", "home_address", "prison"]
    ordering_fields = ["name", "release_date", "created_at"]
    # The configured backends plus search (the stubs type the class attribute per model).
    filter_backends = [*viewsets.ReadOnlyModelViewSet.filter_backends, SearchFilter]  # type: ignore[misc]

    def get_serializer_class(self) -> type[ReleasedPersonSerializer]:
        return ReleasedPersonRowSerializer if self.action == "list" else ReleasedPersonSerializer

    def get_queryset(self) -> QuerySet[ReleasedPerson]:
        return self.scope(ReleasedPerson.objects.select_related("office", "responsible_officer"))


class PolicyPermission(BasePermission):
    """Any office or bureau staff member reads the level policies (officers need to know what a
    level demands); only bureau staff, the bureau head and superusers change them."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated or not user.is_active:
            return False
        if request.method in SAFE_METHODS:
            if user.is_superuser or user.role != Role.REPORTER:
                return True
            self.message = _("Unit reporters do not see supervision policies.")
            return False
        if user.is_superuser or user.role in POLICY_WRITERS:
            return True
        self.message = _("Only the bureau changes the supervision level policies.")
        return False


POLICY_WRITERS = frozenset({Role.BUREAU_STAFF, Role.BUREAU_HEAD})


class SupervisionPolicyView(AuditedViewSetMixin, APIView):
    """What each supervision level (严管/普管/宽管) demands. ``PUT`` a list of one or more levels,
    each with every value: it applies to everyone of the level at once."""

    audit_resource = "supervision_policy"
    permission_classes = [PolicyPermission]
    action = "list"

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Logged as a list of the policies (refused reads included) or as their update.
        self.action = "update" if request.method == "PUT" else "list"
        super().initial(request, *args, **kwargs)

    def _answer(self) -> Response:
        rows = {row.level: row for row in SupervisionPolicy.objects.all()}
        ordered = [
            rows.get(level) or SupervisionPolicy(level=level, **DEFAULT_ROWS[level]) for level in DEFAULT_ROWS
        ]
        return Response(SupervisionPolicySerializer(ordered, many=True).data)

    @extend_schema(responses=SupervisionPolicySerializer(many=True), tags=["supervision"])
    def get(self, request: Request) -> Response:
        return self._answer()

    @extend_schema(
        request=SupervisionPolicySerializer(many=True),
        responses=SupervisionPolicySerializer(many=True),
        tags=["supervision"],
    )
    def put(self, request: Request) -> Response:
        if not isinstance(request.data, list) or not 1 <= len(request.data) <= len(DEFAULT_ROWS):
            raise ValidationError(
                {"non_field_errors": [_("Send a list of 1 to 3 level policies.")]}, code="invalid"
            )
        form = SupervisionPolicySerializer(data=request.data, many=True)
        form.is_valid(raise_exception=True)
        levels = [item["level"] for item in form.validated_data]
        if len(set(levels)) != len(levels):
            raise ValidationError({"non_field_errors": [_("Each level at most once.")]}, code="invalid")
        missing = {
            str(index): {
                name: [_("This field is required.")] for name in POLICY_VALUE_FIELDS if name not in item
            }
            for index, item in enumerate(form.validated_data)
        }
        missing = {index: fields for index, fields in missing.items() if fields}
        if missing:
            raise ValidationError(missing, code="required")
        with transaction.atomic():
            for item in form.validated_data:
                update_policy(
                    item["level"], {k: v for k, v in item.items() if k != "level"}, staff_user(request)
                )
        self.audit_detail = {"levels": levels}
        return self._answer()


# ---------------------------------------------------------------------------------------------
# Mobile API
# ---------------------------------------------------------------------------------------------


_PHONE_ERRORS = {
    "401": "The device token is missing, unknown or revoked (`not_authenticated`, `device_revoked`), "
    "the phone was enrolled without a signing key (`reenroll`), or the request's signature is missing "
    "(`signature_required`), does not match it (`signature_invalid`) or was made too far from the "
    "server's time (`signature_expired`, with `server_time`).",
    "409": "This signed request was received before (`signature_replayed`): a retry is signed again.",
}


class MobileAPIView(APIView):
    """Base for phone endpoints: device-token authentication with signed requests, JSON bodies."""

    authentication_classes = [DeviceTokenAuthentication]
    parser_classes = [StrictJSONParser]
    renderer_classes = [PhoneJSONRenderer]
    permission_classes = [IsEnrolledDevice]
    documented_errors = dict.fromkeys(("get", "post", "put", "patch", "delete"), _PHONE_ERRORS)

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
