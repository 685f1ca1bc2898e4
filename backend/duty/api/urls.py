from backend.core.api import Router
from backend.duty.api import views

router = Router()
router.register("duty/shifts", views.DutyShiftViewSet, basename="duty-shift")
router.register("periodic-jobs", views.PeriodicJobViewSet, basename="periodic-job")

urlpatterns = router.urls
