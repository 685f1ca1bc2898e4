from __future__ import annotations

from typing import Any

from django.db.models import Count, QuerySet
from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters import rest_framework as filters
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from backend.accounts.permissions import staff_user
from backend.accounts.scoping import scope_to_offices
from backend.audit.api.mixins import AuditedViewSetMixin
from backend.audit.models import AccessLog
from backend.audit.services import record_access
from backend.core.api import IdFilter, TimeFilter
from backend.education import services
from backend.education.api.serializers import (
    AttendanceRuleSerializer,
    ConfirmAttendanceSerializer,
    EducationSessionSerializer,
    EnrollmentSerializer,
    HoursBehindPageSerializer,
    HoursBehindSerializer,
    MobileEducationSerializer,
)
from backend.education.ledgers import hours_behind_ledger
from backend.education.models import AttendanceRule, EducationSession, Enrollment, SessionKind
from backend.supervision.api.views import MobileAPIView
from backend.supervision.models import Subject

MONTH_PARAMETER = OpenApiParameter(
    "month", OpenApiTypes.STR, description="YYYY-MM (county time); this month when absent.", required=False
)


class SessionFilter(filters.FilterSet):
    office = IdFilter(field_name="office_id")
    kind = filters.ChoiceFilter(choices=SessionKind.choices)
    since = TimeFilter(field_name="starts_at", lookup_expr="gte")
    until = TimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = EducationSession
        fields = ["office", "kind", "since", "until"]


class EducationSessionViewSet(
    AuditedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[EducationSession],
):
    """Education sessions (入矫教育, 集中教育, 公益活动) of the caller's offices."""

    audit_resource = "education_session"
    serializer_class = EducationSessionSerializer
    filterset_class = SessionFilter
    ordering_fields = ["starts_at", "created_at"]
    documented_errors = {"compute_attendance": {"409": "The session is not over yet."}}

    def get_queryset(self) -> QuerySet[EducationSession]:
        queryset = EducationSession.objects.select_related("office").annotate(
            enrolled_count=Count("enrollments")
        )
        return scope_to_offices(queryset, self.request.user)

    def perform_create(self, serializer: Any) -> None:
        serializer.instance = services.create_session(staff_user(self.request), **serializer.validated_data)

    def perform_update(self, serializer: Any) -> None:
        serializer.instance = services.update_session(serializer.instance, **serializer.validated_data)

    @extend_schema(request=None, responses={200: EnrollmentSerializer(many=True)}, tags=["education"])
    @action(detail=True, methods=["post"], url_path="compute-attendance", pagination_class=None)
    def compute_attendance(self, request: Request, pk: str | None = None) -> Response:
        """Compute the attendance of a session that is over from its subjects' check-ins now."""
        session = self.get_object()
        if session.ends_at > timezone.now():
            return Response({"detail": _("The session is not over yet."), "code": "not_over"}, status=409)
        services.compute_attendance(session)
        enrollments = Enrollment.objects.filter(session=session).select_related("subject", "confirmed_by")
        return Response(
            EnrollmentSerializer(enrollments, many=True, context=self.get_serializer_context()).data
        )


class EnrollmentFilter(filters.FilterSet):
    session = IdFilter(field_name="session_id")
    subject = IdFilter(field_name="subject_id")
    outcome = filters.ChoiceFilter(choices=Enrollment.Outcome.choices)

    class Meta:
        model = Enrollment
        fields = ["session", "subject", "outcome"]


class EnrollmentViewSet(
    AuditedViewSetMixin, mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet[Enrollment]
):
    """Subjects enrolled in sessions, and whether they attended."""

    audit_resource = "education_enrollment"
    serializer_class = EnrollmentSerializer
    filterset_class = EnrollmentFilter

    def get_queryset(self) -> QuerySet[Enrollment]:
        queryset = Enrollment.objects.select_related("subject", "session", "confirmed_by")
        return scope_to_offices(queryset, self.request.user, "session__office")

    def perform_create(self, serializer: Any) -> None:
        data = serializer.validated_data
        serializer.instance = services.enroll_subject(
            data["session"], data["subject"], staff_user(self.request)
        )

    @extend_schema(
        request=ConfirmAttendanceSerializer, responses={200: EnrollmentSerializer}, tags=["education"]
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request: Request, pk: str | None = None) -> Response:
        """Staff decide attended or absent themselves, with a reason (the check-ins no longer decide)."""
        enrollment = self.get_object()
        form = ConfirmAttendanceSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        enrollment = services.confirm_attendance(
            enrollment,
            attended=form.validated_data["attended"],
            reason=form.validated_data["reason"],
            by=staff_user(request),
        )
        return Response(self.get_serializer(enrollment).data)


class AttendanceRuleViewSet(mixins.ListModelMixin, viewsets.GenericViewSet[AttendanceRule]):
    """The attendance rules in force (edited in the admin)."""

    serializer_class = AttendanceRuleSerializer
    queryset = AttendanceRule.objects.all()
    pagination_class = None


class HoursBehindView(APIView):
    """Subjects of the caller's offices who completed fewer education hours than required in a month."""

    def _rows(self, request: Request) -> tuple[str, list[services.MonthHours]]:
        month = services.parse_month(request.query_params.get("month"))
        subjects = scope_to_offices(Subject.objects.all(), request.user)
        return month, services.hours_behind(subjects, month)

    @extend_schema(parameters=[MONTH_PARAMETER], responses=HoursBehindPageSerializer, tags=["education"])
    def get(self, request: Request) -> Response:
        month, rows = self._rows(request)
        record_access(
            request,
            action=AccessLog.Action.LIST,
            resource="education_hours",
            detail={"month": month, "ids": [row.subject.pk for row in rows[:500]]},
        )
        return Response(
            {"month": month, "count": len(rows), "results": HoursBehindSerializer(rows, many=True).data}
        )


class HoursBehindLedgerView(HoursBehindView):
    """The same list as an XLSX ledger (教育学习时长不足台账)."""

    @extend_schema(
        parameters=[MONTH_PARAMETER],
        responses={
            (200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiResponse(
                OpenApiTypes.BINARY, description="XLSX ledger"
            )
        },
        tags=["education"],
    )
    def get(self, request: Request) -> FileResponse:  # type: ignore[override]
        month, rows = self._rows(request)
        record_access(
            request,
            action=AccessLog.Action.EXPORT,
            resource="education_hours",
            detail={"month": month, "rows": len(rows)},
        )
        return hours_behind_ledger(month, rows)


class MobileEducationView(MobileAPIView):
    """The subject's upcoming sessions and this month's hours; nothing about anyone else."""

    @extend_schema(responses=MobileEducationSerializer, tags=["mobile"])
    def get(self, request: Request) -> Response:
        subject = self.device.subject
        month = timezone.localtime().strftime("%Y-%m")
        hours = services.subject_month_hours(subject, month)
        data = {
            "upcoming": list(services.upcoming_sessions_for(subject)),
            "hours": {
                "month": month,
                "required": hours.required,
                "completed": hours.completed,
                "missing": hours.missing,
            },
        }
        return Response(MobileEducationSerializer(data).data)
