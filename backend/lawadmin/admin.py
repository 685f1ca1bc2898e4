from django.contrib import admin

from backend.bureau.admin import BureauAdmin, UnitScopedAdmin
from backend.lawadmin.models import (
    AbilityTest,
    AbilityTestEntry,
    CaseFileAssignment,
    CaseFileReview,
    ComplianceNotice,
    ContractCatalogue,
    ContractSelfCheck,
    EnforcementOfficer,
    FirstOffenceReturn,
    HearingAttendance,
    InspectionPlan,
    InspectionRubric,
    InspectionScore,
    JointInspection,
    LegalityReview,
    LitigationCase,
    MockTrialScript,
    RiskConference,
    RiskyContract,
    RubricItem,
    RuleOfLawInspection,
    SocialSupervisor,
    StudyRecord,
)


@admin.register(EnforcementOfficer)
class EnforcementOfficerAdmin(UnitScopedAdmin):
    list_display = ["name", "certificate_no", "unit", "field", "is_active"]
    list_filter = ["field", "is_active", "unit"]
    search_fields = ["name", "certificate_no"]


@admin.register(StudyRecord)
class StudyRecordAdmin(UnitScopedAdmin):
    unit_field = "officer__unit"
    list_display = ["officer", "date", "hours", "topic"]
    date_hierarchy = "date"
    search_fields = ["officer__name", "topic"]
    raw_id_fields = ["officer"]


class EntryInline(admin.TabularInline):  # type: ignore[type-arg]  # generic in the stubs only
    model = AbilityTestEntry
    extra = 0
    raw_id_fields = ["officer"]
    readonly_fields = ["field", "rank"]


@admin.register(AbilityTest)
class AbilityTestAdmin(BureauAdmin):
    list_display = ["title", "year", "held_on", "sample_ratio", "population", "status", "seed"]
    list_filter = ["year", "status"]
    readonly_fields = ["seed", "population", "status", "drawn_at", "published_at"]
    inlines = [EntryInline]


@admin.register(HearingAttendance)
class HearingAttendanceAdmin(UnitScopedAdmin):
    list_display = ["unit", "held_on", "court", "case_number", "attendees", "leader_attended"]
    date_hierarchy = "held_on"


@admin.register(LitigationCase)
class LitigationCaseAdmin(UnitScopedAdmin):
    list_display = ["case_number", "unit", "court", "served_on", "reported_on", "stage", "outcome", "is_key"]
    list_filter = ["stage", "outcome", "is_key", "unit__kind"]
    search_fields = ["case_number", "cause", "plaintiff"]
    date_hierarchy = "served_on"


@admin.register(LegalityReview)
class LegalityReviewAdmin(UnitScopedAdmin):
    list_display = ["title", "unit", "kind", "received_on", "reviewed_on", "opinion"]
    list_filter = ["kind", "opinion"]
    search_fields = ["title"]


@admin.register(ContractCatalogue)
class ContractCatalogueAdmin(UnitScopedAdmin):
    list_display = ["unit", "year", "quarter", "contracts", "reviewed", "status", "submitted_at"]
    list_filter = ["year", "quarter", "status"]


@admin.register(ComplianceNotice)
class ComplianceNoticeAdmin(UnitScopedAdmin):
    list_display = ["number", "unit", "year", "quarter", "issued_at", "sent_at", "acknowledged_at"]
    list_filter = ["year", "quarter"]
    readonly_fields = [
        "number",
        "document",
        "issued_at",
        "issued_by",
        "sent_at",
        "sent_to",
        "acknowledged_at",
    ]


class RubricItemInline(admin.TabularInline):  # type: ignore[type-arg]  # generic in the stubs only
    model = RubricItem
    extra = 0


@admin.register(InspectionRubric)
class InspectionRubricAdmin(BureauAdmin):
    list_display = ["title", "year", "half"]
    inlines = [RubricItemInline]


class ScoreInline(admin.TabularInline):  # type: ignore[type-arg]  # generic in the stubs only
    model = InspectionScore
    extra = 0
    readonly_fields = ["item", "score", "note"]


@admin.register(RuleOfLawInspection)
class RuleOfLawInspectionAdmin(UnitScopedAdmin):
    list_display = ["unit", "rubric", "inspected_on", "status", "total"]
    list_filter = ["rubric", "status"]
    readonly_fields = ["status", "total"]
    inlines = [ScoreInline]


@admin.register(InspectionPlan)
class InspectionPlanAdmin(UnitScopedAdmin):
    list_display = ["unit", "enterprise", "planned_on", "matters", "status", "joint"]
    list_filter = ["status"]
    date_hierarchy = "planned_on"


class PlanInline(admin.TabularInline):  # type: ignore[type-arg]  # generic in the stubs only
    model = InspectionPlan
    fields = ["unit", "planned_on", "matters"]
    readonly_fields = ["unit", "planned_on", "matters"]
    extra = 0
    can_delete = False


@admin.register(JointInspection)
class JointInspectionAdmin(BureauAdmin):
    list_display = ["enterprise", "scheduled_on", "window_days", "created_at"]
    readonly_fields = ["enterprise", "scheduled_on", "window_days", "created_by"]
    inlines = [PlanInline]


@admin.register(FirstOffenceReturn)
class FirstOffenceReturnAdmin(UnitScopedAdmin):
    list_display = ["unit", "year", "month", "no_penalty", "light_penalty", "status"]
    list_filter = ["year", "month", "status"]


@admin.register(SocialSupervisor)
class SocialSupervisorAdmin(BureauAdmin):
    list_display = ["name", "background", "organisation", "is_active"]
    list_filter = ["background", "is_active"]
    search_fields = ["name", "organisation"]


class AssignmentInline(admin.TabularInline):  # type: ignore[type-arg]  # generic in the stubs only
    model = CaseFileAssignment
    fields = ["reviewed_unit", "reviewer_unit", "files", "score"]
    readonly_fields = ["reviewed_unit", "reviewer_unit"]
    extra = 0
    can_delete = False


@admin.register(CaseFileReview)
class CaseFileReviewAdmin(BureauAdmin):
    list_display = ["title", "year", "held_on", "seed"]
    readonly_fields = ["seed"]
    inlines = [AssignmentInline]


@admin.register(RiskConference)
class RiskConferenceAdmin(BureauAdmin):
    list_display = ["topic", "held_on"]
    filter_horizontal = ["units"]


class RiskyInline(admin.TabularInline):  # type: ignore[type-arg]  # generic in the stubs only
    model = RiskyContract
    extra = 0


@admin.register(ContractSelfCheck)
class ContractSelfCheckAdmin(UnitScopedAdmin):
    list_display = ["unit", "year", "contracts_checked", "status"]
    list_filter = ["year", "status"]
    inlines = [RiskyInline]


@admin.register(MockTrialScript)
class MockTrialScriptAdmin(UnitScopedAdmin):
    list_display = ["title", "unit", "year", "submitted_on", "score", "award"]
    list_filter = ["year", "award"]
