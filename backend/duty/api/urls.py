from backend.core.api import Router
from backend.duty.api import views

router = Router()
router.register("duty/shifts", views.DutyShiftViewSet, basename="duty-shift")

urlpatterns = router.urls
