"""Enterprise inspection plans and joint inspections, first-offence returns, case-file reviews."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from backend.accounts.permissions import staff_user
from backend.bureau.api.mixins import (
    RETURN_FIELDS,
    RETURN_READ_ONLY,
    LedgerMixin,
    UnitReturnSerializer,
    UnitReturnViewSetMixin,
    UnitScopedViewSetMixin,
)
from backend.bureau.models import Unit
from backend.core.api import ModelSerializer
from backend.core.ledger import Column
from backend.lawadmin import services
from backend.lawadmin.api.officers import YEAR, year_of
from backend.lawadmin.api.serializers import check_date
from backend.lawadmin.models import (
    CaseFileAssignment,
    CaseFileReview,
    FirstOffenceReturn,
    InspectionPlan,
    JointInspection,
    SocialSupervisor,
)
from backend.lawadmin.models.enterprise import JOINT_WINDOW_DAYS
from backend.lawadmin.services.enterprise import MERGEABLE

# ---------------------------------------------------------------------------------------------
# Serializers
# ---------------------------------------------------------------------------------------------


class InspectionPlanSerializer(UnitReturnSerializer):
    enterprise = serializers.PrimaryKeyRelatedField(queryset=Unit.objects.filter(kind=Unit.Kind.ENTERPRISE))
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)

    class Meta:
        model = InspectionPlan
        fields = [*RETURN_FIELDS, "enterprise", "enterprise_name", "planned_on", "matters", "joint"]
        read_only_fields = [*RETURN_READ_ONLY, "joint"]

    def validate_planned_on(self, value: Any) -> Any:
        return check_date(value)


class MergeSerializer(serializers.Serializer[Any]):
    start = serializers.DateField()
    end = serializers.DateField()
    window_days = serializers.IntegerField(min_value=1, max_value=90, default=JOINT_WINDOW_DAYS)

    def validate_start(self, value: Any) -> Any:
        return check_date(value)

    def validate_end(self, value: Any) -> Any:
        return check_date(value)


class JointInspectionSerializer(ModelSerializer[JointInspection]):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    plans: Any = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    departments = serializers.SerializerMethodField()

    class Meta:
        model = JointInspection
        fields = [
            "id",
            "enterprise",
            "enterprise_name",
            "scheduled_on",
            "window_days",
            "plans",
            "departments",
        ]

    def get_departments(self, joint: JointInspection) -> list[str]:
        return sorted({plan.unit.name for plan in joint.plans.all()})


class VisitsSavedSerializer(serializers.Serializer[Any]):
    plans = serializers.IntegerField()
    joint_inspections = serializers.IntegerField()
    plans_merged = serializers.IntegerField()
    visits = serializers.IntegerField()
    visits_saved = serializers.IntegerField()


class FirstOffenceSerializer(UnitReturnSerializer):
    class Meta:
        model = FirstOffenceReturn
        fields = [*RETURN_FIELDS, "year", "month", "no_penalty", "light_penalty", "guidance"]
        read_only_fields = RETURN_READ_ONLY
        validators: list[Any] = []  # the unit may be left out; one return a month is checked below

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        key = {k: attrs.get(k, getattr(self.instance, k, None)) for k in ("unit", "year", "month")}
        clash = FirstOffenceReturn.objects.filter(**key)
        if self.instance is not None:
            clash = clash.exclude(pk=self.instance.pk)
        if clash.exists():
            raise serializers.ValidationError({"month": [_("This unit has already filed this month.")]})
        return attrs


class MonthlyCountSerializer(serializers.Serializer[Any]):
    unit = serializers.IntegerField()
    unit_name = serializers.CharField()
    month = serializers.IntegerField()
    no_penalty = serializers.IntegerField()
    light_penalty = serializers.IntegerField()


class SocialSupervisorSerializer(ModelSerializer[SocialSupervisor]):
    class Meta:
        model = SocialSupervisor
        fields = ["id", "name", "background", "organisation", "phone", "is_active"]


class CaseFileReviewSerializer(ModelSerializer[CaseFileReview]):
    class Meta:
        model = CaseFileReview
        fields = ["id", "year", "title", "held_on", "seed"]
        read_only_fields = ["seed"]

    def validate_held_on(self, value: Any) -> Any:
        return check_date(value)


class AssignSerializer(serializers.Serializer[Any]):
    units = serializers.PrimaryKeyRelatedField(
        queryset=Unit.objects.filter(kind__in=[Unit.Kind.DEPARTMENT, Unit.Kind.TOWN]),
        many=True,
        allow_empty=False,
    )
    seed = serializers.IntegerField(min_value=0, max_value=2**62, required=False)


class AssignmentSerializer(ModelSerializer[CaseFileAssignment]):
    reviewed_unit_name = serializers.CharField(source="reviewed_unit.name", read_only=True)
    reviewer_unit_name = serializers.CharField(source="reviewer_unit.name", read_only=True)

    class Meta:
        model = CaseFileAssignment
        fields = [
            "id",
            "review",
            "reviewed_unit",
            "reviewed_unit_name",
            "reviewer_unit",
            "reviewer_unit_name",
            "files",
            "score",
            "findings",
            "supervisors",
        ]
        read_only_fields = fields


class AssessSerializer(serializers.Serializer[Any]):
    files = serializers.IntegerField(min_value=0, max_value=10_000)
    score = serializers.DecimalField(max_digits=5, decimal_places=1, min_value=0, max_value=100)
    findings = serializers.CharField(max_length=4000, allow_blank=True, default="")
    supervisors = serializers.PrimaryKeyRelatedField(
        queryset=SocialSupervisor.objects.all(), many=True, required=False, default=list
    )


# ---------------------------------------------------------------------------------------------
# Views
# ---------------------------------------------------------------------------------------------


class InspectionPlanViewSet(
    UnitReturnViewSetMixin,
    LedgerMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[InspectionPlan],
):
    """Departments' enterprise inspection plans; the bureau merges them into joint inspections."""

    audit_resource = "inspection_plan"
    serializer_class = InspectionPlanSerializer
    bureau_actions = frozenset({"review", "merge"})
    filterset_fields = ["unit", "enterprise", "status", "joint"]
    ledger_title = _lazy("Enterprise inspection plans")
    ledger_filename = "inspection-plans.xlsx"
    ledger_columns = (
        Column(_lazy("department"), width=24),
        Column(_lazy("enterprise"), width=24),
        Column(_lazy("planned on"), "date"),
        Column(_lazy("matters to inspect"), width=40),
        Column(_lazy("joint inspection"), "bool", 10),
    )

    def get_queryset(self) -> QuerySet[InspectionPlan]:
        return self.scope(InspectionPlan.objects.select_related("unit", "enterprise"))

    def ledger_row(self, plan: InspectionPlan) -> list[Any]:
        return [
            plan.unit.name,
            plan.enterprise.name,
            plan.planned_on,
            plan.matters,
            plan.joint_id is not None,
        ]

    @extend_schema(request=MergeSerializer, responses={201: JointInspectionSerializer(many=True)})
    @action(detail=False, methods=["post"], pagination_class=None)
    def merge(self, request: Request) -> Response:
        """Merge the period's submitted plans into joint inspections (进一次门、查多项事)."""
        form = MergeSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        joints = services.merge_joint_inspections(**form.validated_data, by=staff_user(request))
        data = JointInspectionSerializer(joints, many=True).data
        return Response(data, status=status.HTTP_201_CREATED)

    @extend_schema(parameters=[YEAR], responses=VisitsSavedSerializer)
    @action(detail=False, methods=["get"], url_path="visits-saved", pagination_class=None)
    def visits_saved(self, request: Request) -> Response:
        """Plans of the year, the joint inspections they became, and the visits to enterprises saved."""
        plans = self.filter_queryset(self.get_queryset()).filter(planned_on__year=year_of(request))
        return Response(VisitsSavedSerializer(services.visits_saved(plans)).data)


class JointInspectionViewSet(UnitScopedViewSetMixin, viewsets.ReadOnlyModelViewSet[JointInspection]):
    """Joint inspections; a department's reporter sees those its plans are in."""

    audit_resource = "joint_inspection"
    serializer_class = JointInspectionSerializer
    unit_field = "plans__unit"
    filterset_fields = ["enterprise"]

    def get_queryset(self) -> QuerySet[JointInspection]:
        return (
            self.scope(JointInspection.objects.select_related("enterprise"))
            .prefetch_related("plans__unit")
            .distinct()
        )


class FirstOffenceViewSet(
    UnitReturnViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[FirstOffenceReturn],
):
    """Each department's monthly first-offence-no-penalty and light-penalty counts (a unit's return)."""

    audit_resource = "first_offence_return"
    serializer_class = FirstOffenceSerializer
    filterset_fields = ["unit", "year", "month", "status"]

    def get_queryset(self) -> QuerySet[FirstOffenceReturn]:
        return self.scope(FirstOffenceReturn.objects.select_related("unit"))

    @extend_schema(parameters=[YEAR], responses=MonthlyCountSerializer(many=True))
    @action(detail=False, methods=["get"], url_path="by-month", pagination_class=None)
    def by_month(self, request: Request) -> Response:
        """Per department and month, the filed (submitted or accepted) counts of the year."""
        rows = (
            self.get_queryset()
            .filter(year=year_of(request), status__in=MERGEABLE)
            .values("unit", "unit__name", "month")
            .annotate(no_penalty_sum=Sum("no_penalty"), light_penalty_sum=Sum("light_penalty"))
            .order_by("unit", "month")
        )
        data = [
            {
                "unit": r["unit"],
                "unit_name": r["unit__name"],
                "month": r["month"],
                "no_penalty": r["no_penalty_sum"],
                "light_penalty": r["light_penalty_sum"],
            }
            for r in rows
        ]
        return Response(MonthlyCountSerializer(data, many=True).data)


class SocialSupervisorViewSet(
    UnitScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[SocialSupervisor],
):
    """The social supervisors' panel (personal data, reads audited); the bureau's alone."""

    audit_resource = "social_supervisor"
    serializer_class = SocialSupervisorSerializer
    reporters_allowed = False
    filterset_fields = ["background", "is_active"]

    def get_queryset(self) -> QuerySet[SocialSupervisor]:
        return SocialSupervisor.objects.all()


class CaseFileReviewViewSet(
    UnitScopedViewSetMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.ReadOnlyModelViewSet[CaseFileReview],
):
    """Rounds of case-file review; ``assign`` draws the cross-review (nobody reviews their own unit)."""

    audit_resource = "case_file_review"
    serializer_class = CaseFileReviewSerializer
    bureau_actions = frozenset({"create", "update", "partial_update", "assign"})
    filterset_fields = ["year"]

    def get_queryset(self) -> QuerySet[CaseFileReview]:
        return CaseFileReview.objects.all()

    @extend_schema(request=AssignSerializer, responses={201: AssignmentSerializer(many=True)})
    @action(detail=True, methods=["post"], pagination_class=None)
    def assign(self, request: Request, pk: str | None = None) -> Response:
        """Pair every unit with another to review its case files, from a recorded seed."""
        review = self.get_object()
        form = AssignSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        assignments = services.assign_cross_review(
            review, form.validated_data["units"], seed=form.validated_data.get("seed")
        )
        return Response(AssignmentSerializer(assignments, many=True).data, status=status.HTTP_201_CREATED)


class CaseFileAssignmentViewSet(UnitScopedViewSetMixin, viewsets.ReadOnlyModelViewSet[CaseFileAssignment]):
    """Who reviews whose case files; the reviewing unit's reporter records the result."""

    audit_resource = "case_file_assignment"
    serializer_class = AssignmentSerializer
    unit_field = "reviewer_unit"
    reporter_actions = frozenset({"assess"})
    filterset_fields = ["review", "reviewed_unit", "reviewer_unit"]

    def get_queryset(self) -> QuerySet[CaseFileAssignment]:
        return self.scope(
            CaseFileAssignment.objects.select_related("reviewed_unit", "reviewer_unit").prefetch_related(
                "supervisors"
            )
        )

    @extend_schema(request=AssessSerializer)
    @action(detail=True, methods=["post"])
    def assess(self, request: Request, pk: str | None = None) -> Response:
        """Files reviewed, the score, findings and the social supervisors who took part."""
        assignment = self.get_object()
        form = AssessSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        return Response(
            self.get_serializer(services.record_assessment(assignment, **form.validated_data)).data
        )
