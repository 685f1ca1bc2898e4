from backend.business.api import views
from backend.core.api import Router

router = Router()
router.register("law-firms", views.LawFirmViewSet, basename="law-firm")
router.register("lawyers", views.LawyerViewSet, basename="lawyer")
router.register("lawyer-sanctions", views.SanctionViewSet, basename="lawyer-sanction")
router.register("adviser-hirings", views.AdviserHiringViewSet, basename="adviser-hiring")
router.register("law-firm-inspections", views.FirmInspectionViewSet, basename="law-firm-inspection")
router.register("law-firm-assessments", views.AnnualAssessmentViewSet, basename="law-firm-assessment")
router.register("experts", views.ExpertViewSet, basename="expert")
router.register("enterprise-visits", views.EnterpriseVisitViewSet, basename="enterprise-visit")
router.register(
    "certificate-requirements", views.CertificateRequirementViewSet, basename="certificate-requirement"
)

urlpatterns = router.urls
