from django.urls import path

from backend.core.api import Router
from backend.resettlement.api import views

router = Router()
router.register("handover-steps", views.HandoverStepViewSet, basename="handover-step")
router.register("resettlement-alerts", views.ResettlementAlertViewSet, basename="resettlement-alert")
router.register("assistance-teams", views.AssistanceTeamViewSet, basename="assistance-team")
router.register("assistance-team-members", views.TeamMemberViewSet, basename="assistance-team-member")
router.register("resettlement-visits", views.VisitViewSet, basename="resettlement-visit")
router.register("safety-screenings", views.SafetyScreeningViewSet, basename="safety-screening")

urlpatterns = [
    # Under supervision's released-persons prefix; config/urls.py includes these first.
    path("released-persons/ledger.xlsx", views.KeyPersonLedgerView.as_view(), name="key-person-ledger"),
    path("resettlement-rates", views.RatesView.as_view(), name="resettlement-rates"),
    *router.urls,
]
