"""Staff learning's API (the bureau's own module: 404 to office roles and unit reporters)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts.models import Role
from backend.accounts.permissions import staff_user
from backend.bureau.api.mixins import UnitScopedViewSetMixin
from backend.learning.api.serializers import (
    AttendanceListSerializer,
    LectureReviewSerializer,
    StaffLectureSerializer,
    StudyTripSerializer,
    TrainingClassSerializer,
)
from backend.learning.models import Attendance, LectureReview, StaffLecture, StudyTrip, TrainingClass

# 班子成员: the bureau's leadership reviews the lectures.
REVIEWER_ROLES = frozenset({Role.BUREAU_HEAD, Role.SYSADMIN})


class _BureauRecords(UnitScopedViewSetMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin):
    office_roles_allowed = False
    reporters_allowed = False


class TrainingClassViewSet(_BureauRecords, viewsets.ReadOnlyModelViewSet[TrainingClass]):
    """Topical training classes with their attendance."""

    audit_resource = "training_class"
    serializer_class = TrainingClassSerializer
    filterset_fields = ["lecturer_kind", "held_on"]

    def get_queryset(self) -> QuerySet[TrainingClass]:
        return TrainingClass.objects.prefetch_related("attendance_set")

    @extend_schema(request=AttendanceListSerializer, responses=TrainingClassSerializer)
    @action(detail=True, methods=["post"])
    def attendance(self, request: Request, pk: str | None = None) -> Response:
        """Record who attended (each entry replaces that person's earlier one)."""
        training = self.get_object()
        form = AttendanceListSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        with transaction.atomic():
            for entry in form.validated_data["entries"]:
                Attendance.objects.update_or_create(
                    training=training, staff=entry["staff"], defaults={"present": entry["present"]}
                )
        return Response(self.get_serializer(self.get_object()).data)


class StaffLectureViewSet(_BureauRecords, viewsets.ReadOnlyModelViewSet[StaffLecture]):
    """The weekly staff lectures and the leaders' reviews."""

    audit_resource = "staff_lecture"
    serializer_class = StaffLectureSerializer
    filterset_fields = ["speaker", "held_on"]

    def get_queryset(self) -> QuerySet[StaffLecture]:
        return StaffLecture.objects.select_related("speaker").prefetch_related("reviews__reviewer")

    @extend_schema(request=LectureReviewSerializer, responses={201: LectureReviewSerializer})
    @action(detail=True, methods=["post"])
    def reviews(self, request: Request, pk: str | None = None) -> Response:
        """A leader reviews the lecture (once; not their own)."""
        lecture = self.get_object()
        reviewer = staff_user(request)
        if reviewer.role not in REVIEWER_ROLES:
            return Response(
                {"detail": _("Only the bureau's leaders review lectures.")}, status=status.HTTP_403_FORBIDDEN
            )
        if lecture.speaker_id == reviewer.pk:
            raise ValidationError({"reviewer": [_("Nobody reviews their own lecture.")]})
        if LectureReview.objects.filter(lecture=lecture, reviewer=reviewer).exists():
            raise ValidationError({"reviewer": [_("You have already reviewed this lecture.")]})
        form = LectureReviewSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        form.save(lecture=lecture, reviewer=reviewer)
        return Response(form.data, status=status.HTTP_201_CREATED)


class StudyTripViewSet(_BureauRecords, viewsets.ReadOnlyModelViewSet[StudyTrip]):
    """Study trips and what was learnt."""

    audit_resource = "study_trip"
    serializer_class = StudyTripSerializer
    filterset_fields = ["starts_on"]

    def get_queryset(self) -> QuerySet[StudyTrip]:
        return StudyTrip.objects.prefetch_related("participants")
