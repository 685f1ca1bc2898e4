from backend.core.api import Router
from backend.lawadmin.api import enforcement, officers, records, risk

router = Router()
router.register("enforcement-officers", officers.EnforcementOfficerViewSet, basename="enforcement-officer")
router.register("study-records", officers.StudyRecordViewSet, basename="study-record")
router.register("ability-tests", officers.AbilityTestViewSet, basename="ability-test")
router.register("hearing-attendances", officers.HearingAttendanceViewSet, basename="hearing-attendance")
router.register("litigation-cases", records.LitigationCaseViewSet, basename="litigation-case")
router.register("legality-reviews", records.LegalityReviewViewSet, basename="legality-review")
router.register("contract-catalogues", records.ContractCatalogueViewSet, basename="contract-catalogue")
router.register("compliance-notices", records.ComplianceNoticeViewSet, basename="compliance-notice")
router.register("inspection-rubrics", records.InspectionRubricViewSet, basename="inspection-rubric")
router.register(
    "rule-of-law-inspections", records.RuleOfLawInspectionViewSet, basename="rule-of-law-inspection"
)
router.register("inspection-plans", enforcement.InspectionPlanViewSet, basename="inspection-plan")
router.register("joint-inspections", enforcement.JointInspectionViewSet, basename="joint-inspection")
router.register("first-offence-returns", enforcement.FirstOffenceViewSet, basename="first-offence-return")
router.register("social-supervisors", enforcement.SocialSupervisorViewSet, basename="social-supervisor")
router.register("case-file-reviews", enforcement.CaseFileReviewViewSet, basename="case-file-review")
router.register(
    "case-file-assignments", enforcement.CaseFileAssignmentViewSet, basename="case-file-assignment"
)
router.register("risk-conferences", risk.RiskConferenceViewSet, basename="risk-conference")
router.register("contract-self-checks", risk.ContractSelfCheckViewSet, basename="contract-self-check")
router.register("mock-trial-scripts", risk.MockTrialScriptViewSet, basename="mock-trial-script")

urlpatterns = router.urls
