from rest_framework.routers import SimpleRouter

from backend.audit.api import views

router = SimpleRouter(trailing_slash=False)
router.register("audit/access-log", views.AccessLogViewSet, basename="access-log")
urlpatterns = router.urls
