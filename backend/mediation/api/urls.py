from backend.core.api import Router
from backend.mediation.api import views

router = Router()
router.register("mediation/centres", views.CentreViewSet, basename="mediation-centre")
router.register("mediation/mediators", views.MediatorViewSet, basename="mediator")
router.register("mediation/bodies", views.BodyViewSet, basename="mediation-body")
router.register("mediation/disputes", views.DisputeViewSet, basename="dispute")
router.register("mediation/expert-requests", views.ExpertRequestViewSet, basename="expert-request")
router.register("mediation/credit-rules", views.CreditRuleViewSet, basename="credit-rule")

urlpatterns = router.urls
