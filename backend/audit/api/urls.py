from backend.audit.api import views
from backend.core.api import Router

router = Router()
router.register("audit/access-log", views.AccessLogViewSet, basename="access-log")
urlpatterns = router.urls
