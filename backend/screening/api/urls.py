from django.urls import path

from backend.core.api import Router
from backend.screening.api import views

router = Router()
router.register("screenings", views.ScreeningViewSet, basename="screening")

urlpatterns = [
    path("screening-rules", views.RuleTableView.as_view(), name="screening-rules"),
    *router.urls,
]
