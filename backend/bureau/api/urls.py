from backend.bureau.api import views
from backend.core.api import Router

router = Router()
router.register("units", views.UnitViewSet, basename="unit")
router.register("rectification-items", views.RectificationItemViewSet, basename="rectification-item")
router.register("indicators", views.IndicatorViewSet, basename="indicator")

urlpatterns = router.urls
